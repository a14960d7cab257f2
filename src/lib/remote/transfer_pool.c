/*
 * The workers of a transfer: each takes a node from the shared queue,
 * reads the object from the source (one get), decodes it and checks it
 * against its id with its own ZSTD_DCtx, stores the frame as it is on
 * the destination when that lacks it, and, when the node must be read
 * as a tree, snapshot or record, queues what it names. The queue is a
 * stack, so the walk goes depth first and stays small. Problems with one
 * object (missing, corrupt, unparsable) mark its node bad and the run
 * goes on; anything else (the remote unreachable, a full disk) stops it.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <jansson.h>
#include <zstd.h>
#include "remote/transfer.h"
#include "snapshot/tree.h"
#include "util/json.h"
#include "verify/verify.h"

/* Worker buffers larger than this are released after use. */
#define KEEP_BUF_MAX (64u << 20)
/* Deferred local writes are made durable this often (seconds), so that
 * an interrupted transfer keeps most of what it copied. */
#define FLUSH_EVERY_S 10

typedef struct kids {
	arca_id *id;
	unsigned char *want;
	size_t n, cap;
} kids;

typedef struct worker {
	xfer *x;
	ZSTD_DCtx *d;
	arca_buf raw, data;
	kids k;
	arca_error e;
} worker;

static int kid(kids *k, const arca_id *id, unsigned want)
{
	if (k->n == k->cap) {
		size_t cap = k->cap ? k->cap * 2 : 64;
		arca_id *ids = realloc(k->id, cap * sizeof(*ids));
		unsigned char *w;
		if (!ids)
			return ARCA_ERROR;
		k->id = ids;
		if (!(w = realloc(k->want, cap)))
			return ARCA_ERROR;
		k->want = w;
		k->cap = cap;
	}
	k->id[k->n] = *id;
	k->want[k->n++] = (unsigned char)want;
	return 0;
}

/* ------------------------------------------------------------ reading */

/* Gets and checks object id from r into w->data (frame in w->raw): 0,
 * ARCA_ENOTFOUND, ARCA_ECORRUPT, or an error that stops the run. */
static int read_obj(worker *w, arca_repo *r, const arca_id *id,
	arca_error *e)
{
	char s[ARCA_ID_STRSZ];
	int rc = arca_repo__frame_get(r, &w->raw, id, e);

	if (rc == ARCA_ENOTFOUND || rc == ARCA_EREMOTE)
		return rc;
	if (rc < 0) {
		arca_id_str(s, id);
		arca_error_prefix(e, "object %s cannot be read", s);
		return ARCA_ECORRUPT;
	}
	return arca_verify__decode(&w->data, &w->raw, id, w->d, e);
}

/* --------------------------------------------------- what objects name */

static int tree_kids(worker *w, const arca_id *id, char **why)
{
	arca_tree t = ARCA_TREE_INIT;
	arca_error e = ARCA_ERROR_INIT;
	char s[ARCA_ID_STRSZ], what[96];
	int rc = 0;

	arca_id_str(s, id);
	snprintf(what, sizeof(what), "tree %s", s);
	if ((rc = arca_tree_parse(&t, w->data.data, w->data.len, what,
		&e)) < 0) {
		if (rc == ARCA_ERROR)
			return arca_error_set(&w->e, rc, "out of memory");
		return (*why = strdup(e.msg)) ? 0 : ARCA_ERROR;
	}
	for (size_t i = 0; i < t.n && rc == 0; i++) {
		const arca_node *n = &t.nodes[i];
		if (n->type == ARCA_ENTRY_DIR)
			rc = kid(&w->k, &n->tree, XW_TREE);
		for (size_t c = 0; c < n->nchunks && rc == 0; c++)
			rc = kid(&w->k, &n->chunks[c], 0);
	}
	arca_tree_dispose(&t);
	return rc < 0 ? arca_error_set(&w->e, ARCA_ERROR, "out of memory") :
		0;
}

static int snapshot_kids(worker *w, const arca_id *id, char **why)
{
	arca_error e = ARCA_ERROR_INIT;
	char s[ARCA_ID_STRSZ], what[96];
	json_t *doc = NULL;
	arca_id tree;
	int rc;

	arca_id_str(s, id);
	snprintf(what, sizeof(what), "snapshot %s", s);
	if ((rc = arca_json_parse(&doc, w->data.data, w->data.len, what,
		&e)) == 0)
		rc = arca_json_get_id(&tree, doc, "tree", what, &e);
	json_decref(doc);
	if (rc < 0)
		return (*why = strdup(e.msg)) ? 0 : ARCA_ERROR;
	return kid(&w->k, &tree, XW_TREE) < 0 ?
		arca_error_set(&w->e, ARCA_ERROR, "out of memory") : 0;
}

/* Every "sha256:<64 hex>" string in j, but a record's "ingest"
 * provenance (text it quoted, as verify skips it); a record among them
 * is to be read as one. */
static int json_ids(worker *w, json_t *j, int depth)
{
	const char *k;
	json_t *v;
	size_t i, first, n;
	unsigned want = 0;
	arca_id id;
	int rc = 0;

	if (depth > 32)
		return 0;
	if (json_is_string(j)) {
		const char *str = json_string_value(j);
		if (strncmp(str, ARCA_ID_PREFIX, 7) || strlen(str) != 7 +
			ARCA_ID_HEXSZ || arca_id_parse(&id, str) < 0)
			return 0;
		n = xfer__records_of(&w->x->src_recs, &id, &first);
		for (i = first; i < first + n; i++)
			want |= xfer__kind_want(w->x->src_recs.v[i].kind);
		return kid(&w->k, &id, want);
	}
	if (json_is_array(j))
		json_array_foreach(j, i, v)
			if ((rc = json_ids(w, v, depth + 1)) < 0)
				return rc;
	if (json_is_object(j))
		json_object_foreach(j, k, v) {
			if (depth == 0 && !strcmp(k, "ingest"))
				continue;
			if ((rc = json_ids(w, v, depth + 1)) < 0)
				return rc;
		}
	return rc;
}

static int record_kids(worker *w, const arca_id *id, char **why)
{
	char s[ARCA_ID_STRSZ], msg[160];
	json_t *doc = json_loadb((const char *)w->data.data, w->data.len, 0,
		NULL);
	int rc;

	if (!doc) {
		arca_id_str(s, id);
		snprintf(msg, sizeof(msg), "record object %s is not JSON", s);
		return (*why = strdup(msg)) ? 0 : ARCA_ERROR;
	}
	rc = json_ids(w, doc, 0);
	json_decref(doc);
	return rc < 0 ? arca_error_set(&w->e, ARCA_ERROR, "out of memory") :
		0;
}

/* ------------------------------------------------------------ one node */

static char *dup_msg(const char *fmt, const char *a, const char *b,
	const char *c)
{
	char *s;

	return asprintf(&s, fmt, a, b, c) < 0 ? NULL : s;
}

/* Reads n for copying and naming: 0 with *why NULL (read), 0 with *why
 * (a problem of this object), or an error that stops the run. */
static int fetch(worker *w, xnode *n, unsigned wants, char **why)
{
	arca_error e = ARCA_ERROR_INIT, e2 = ARCA_ERROR_INIT;
	char s[ARCA_ID_STRSZ];
	int rc = read_obj(w, w->x->src, &n->id, &e);

	if (rc == ARCA_ENOTFOUND || rc == ARCA_ECORRUPT) {
		/* The destination's copy will do to find what it names. */
		if (n->on_dst && wants &&
			read_obj(w, w->x->dst, &n->id, &e2) == 0)
			return 0;
		arca_id_str(s, &n->id);
		*why = rc == ARCA_ENOTFOUND ?
			dup_msg("object %s is missing in %s%s", s,
				w->x->src_name, "") :
			dup_msg("object %s is corrupt in %s: %s", s,
				w->x->src_name, e.msg);
		return *why ? 0 : arca_error_set(&w->e, ARCA_ERROR,
			"out of memory");
	}
	if (rc < 0)
		w->e = e;
	return rc;
}

static int process(worker *w, xnode *n)
{
	xfer *x = w->x;
	unsigned wants;
	int need_copy, bad, put = 0, rc = 0;
	char *why = NULL;

	pthread_mutex_lock(&x->lock);
	bad = n->result == XR_BAD;
	wants = bad ? 0 : n->wants & ~n->done_wants;
	need_copy = !n->on_dst && !n->copied && !bad;
	pthread_mutex_unlock(&x->lock);
	w->k.n = 0;
	if ((need_copy || wants) && (rc = fetch(w, n, wants, &why)) < 0)
		return rc;
	if (need_copy && !why) {
		if ((rc = arca_repo__frame_put(x->dst, &n->id, w->raw.data,
			w->raw.len, ARCA_REPO_PUT_DEFER, &w->e)) < 0)
			return rc;
		atomic_fetch_add(&x->bytes, w->raw.len);
		atomic_fetch_add(&x->done, 1);
		put = 1;
	}
	if (wants && !why) {
		if (wants & XW_TREE)
			rc = tree_kids(w, &n->id, &why);
		if (rc == 0 && !why && (wants & XW_SNAPSHOT))
			rc = snapshot_kids(w, &n->id, &why);
		if (rc == 0 && !why && (wants & XW_JSON))
			rc = record_kids(w, &n->id, &why);
		if (rc < 0)
			return rc;
	}

	pthread_mutex_lock(&x->lock);
	n->done_wants |= (unsigned char)wants;
	if (put)
		n->copied = 1;
	if (!n->counted) {
		n->counted = 1;
		if (n->on_dst && !x->everything)
			x->st->objects_skipped++;
	}
	if (why && n->result != XR_BAD) {
		n->result = XR_BAD;
		n->why = why;
		why = NULL;
	} else if (n->result == XR_NONE) {
		n->result = XR_OK;
	}
	if (w->k.n) {
		xnode **v = realloc(n->kids, (n->nkids + w->k.n) *
			sizeof(*v));
		if (!v)
			rc = arca_error_set(&w->e, ARCA_ERROR, "out of memory");
		else
			n->kids = v;
	}
	for (size_t i = 0; i < w->k.n && rc == 0; i++) {
		xnode *c = xfer__node(x, &w->k.id[i]);
		if (!c || xfer__want(x, c, w->k.want[i]) < 0) {
			rc = arca_error_set(&w->e, ARCA_ERROR, "out of memory");
			break;
		}
		n->kids[n->nkids++] = c;
	}
	n->queued = 0;
	/* Asked for more while it was being read: read it again. */
	if (rc == 0 && n->result != XR_BAD && (n->wants & ~n->done_wants) &&
		xfer__want(x, n, 0) < 0)
		rc = arca_error_set(&w->e, ARCA_ERROR, "out of memory");
	pthread_mutex_unlock(&x->lock);
	free(why);
	return rc;
}

/* ---------------------------------------------------------------- pool */

static void *work(void *arg)
{
	worker *w = arg;
	xfer *x = w->x;
	xnode *n;
	int rc;

	pthread_mutex_lock(&x->lock);
	for (;;) {
		while (!x->qn && x->busy && !x->stop)
			pthread_cond_wait(&x->cond, &x->lock);
		if (x->stop || !x->qn)
			break;
		n = x->queue[--x->qn];
		x->busy++;
		pthread_mutex_unlock(&x->lock);
		rc = process(w, n);
		if (w->raw.cap > KEEP_BUF_MAX)
			arca_buf_dispose(&w->raw);
		if (w->data.cap > KEEP_BUF_MAX)
			arca_buf_dispose(&w->data);
		pthread_mutex_lock(&x->lock);
		x->busy--;
		if (rc < 0 && !x->fatal) {
			x->fatal = rc;
			x->fatal_err = w->e;
		}
		if (rc < 0)
			x->stop = 1;
		if (x->stop || (!x->qn && !x->busy))
			pthread_cond_broadcast(&x->cond);
	}
	x->running--;
	pthread_cond_broadcast(&x->cond);
	pthread_cond_signal(&x->idle);
	pthread_mutex_unlock(&x->lock);
	return NULL;
}

static void report_progress(xfer *x)
{
	uint64_t done = atomic_load(&x->done);
	uint64_t total = atomic_load(&x->total);

	if (x->o->progress)
		x->o->progress(done, total > done ? total : done,
			atomic_load(&x->bytes), x->o->payload);
}

/* The caller's part while the workers run: progress, locks kept fresh,
 * deferred writes made durable now and then. */
static void wait_workers(xfer *x)
{
	struct timespec ts;
	time_t last_flush = time(NULL);

	pthread_mutex_lock(&x->lock);
	while (x->running > 0) {
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_nsec += 200 * 1000000L;
		if (ts.tv_nsec >= 1000000000L) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000L;
		}
		pthread_cond_timedwait(&x->idle, &x->lock, &ts);
		if (x->running == 0)
			break;
		pthread_mutex_unlock(&x->lock);
		report_progress(x);
		/* A failed refresh or flush is retried; the end says. */
		arca_repo_lock_refresh(x->src, NULL);
		arca_repo_lock_refresh(x->dst, NULL);
		if (time(NULL) - last_flush >= FLUSH_EVERY_S) {
			arca_repo__flush(x->dst, NULL);
			last_flush = time(NULL);
		}
		pthread_mutex_lock(&x->lock);
	}
	pthread_mutex_unlock(&x->lock);
	report_progress(x);
}

int xfer__run_pool(xfer *x)
{
	int n = x->threads, started = 0;
	pthread_t *tids = calloc((size_t)n, sizeof(*tids));
	worker *ws = calloc((size_t)n, sizeof(*ws));
	int rc = 0;

	if (!tids || !ws) {
		rc = arca_error_set(x->err, ARCA_ERROR, "out of memory");
		goto done;
	}
	pthread_mutex_lock(&x->lock);
	x->stop = 0;
	x->busy = 0;
	pthread_mutex_unlock(&x->lock);
	for (; started < n; started++) {
		ws[started].x = x;
		if (!(ws[started].d = ZSTD_createDCtx()))
			break;
		pthread_mutex_lock(&x->lock);
		x->running++;
		pthread_mutex_unlock(&x->lock);
		if (pthread_create(&tids[started], NULL, work, &ws[started])) {
			pthread_mutex_lock(&x->lock);
			x->running--;
			pthread_mutex_unlock(&x->lock);
			ZSTD_freeDCtx(ws[started].d);
			ws[started].d = NULL;
			break;
		}
	}
	if (!started) {
		rc = arca_error_set(x->err, ARCA_ERROR,
			"cannot start a transfer thread");
		goto done;
	}
	wait_workers(x);
	for (int i = 0; i < started; i++)
		pthread_join(tids[i], NULL);
	if (x->fatal) {
		rc = x->fatal;
		if (x->err)
			*x->err = x->fatal_err;
	}
done:
	for (int i = 0; i < n && ws; i++) {
		ZSTD_freeDCtx(ws[i].d);
		arca_buf_dispose(&ws[i].raw);
		arca_buf_dispose(&ws[i].data);
		free(ws[i].k.id);
		free(ws[i].k.want);
	}
	free(ws);
	free(tids);
	return rc;
}
