/*
 * Verification, phase 1: fixity. Every key under objects/ is listed; with
 * read_data every object is read (one store get), decompressed and hashed
 * by a pool of worker threads, each with its own ZSTD_DCtx and reusable
 * buffers, so memory stays at threads x the largest object. Workers take
 * the next object from a shared index: the work list is the listing, and
 * nothing queues up. Phase 2 (verify_walk.c) checks what the records,
 * trees and refs name against what phase 1 found. Findings are reported
 * from the calling thread only, in a stable order (phase 1's corrupt
 * objects by id).
 */
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <zstd.h>
#include "verify/verify.h"
#include "util/sys.h"

static const char *const names[] = {
#define NAME(name, sev) #name,
	ARCA_FINDINGS(NAME)
#undef NAME
};

static const arca_severity severities[] = {
#define SEV(name, sev) sev,
	ARCA_FINDINGS(SEV)
#undef SEV
};

const char *arca_finding_name(arca_finding_id id)
{
	return (unsigned)id < ARCA_FINDING__COUNT ? names[id] : "UNKNOWN";
}

arca_severity arca_finding_severity(arca_finding_id id)
{
	return (unsigned)id < ARCA_FINDING__COUNT ? severities[id] :
		ARCA_SEV_ERROR;
}

/* ------------------------------------------------------------ object map */

static size_t slot_of(const arca_id *id, size_t cap)
{
	size_t h;

	memcpy(&h, id->raw, sizeof(h));
	return h & (cap - 1);
}

static arca_vobj *map_find(const arca_vobj_map *m, const arca_id *id)
{
	if (!m->cap)
		return NULL;
	for (size_t i = slot_of(id, m->cap); m->slots[i].state != VOBJ_EMPTY;
		i = (i + 1) & (m->cap - 1))
		if (!memcmp(&m->slots[i].id, id, sizeof(*id)))
			return &m->slots[i];
	return NULL;
}

static int map_grow(arca_vobj_map *m)
{
	size_t cap = m->cap ? m->cap * 2 : 1024;
	arca_vobj *slots = calloc(cap, sizeof(*slots));

	if (!slots)
		return ARCA_ERROR;
	for (size_t i = 0; i < m->cap; i++) {
		size_t j;
		if (m->slots[i].state == VOBJ_EMPTY)
			continue;
		for (j = slot_of(&m->slots[i].id, cap);
			slots[j].state != VOBJ_EMPTY; j = (j + 1) & (cap - 1))
			;
		slots[j] = m->slots[i];
	}
	free(m->slots);
	m->slots = slots;
	m->cap = cap;
	return 0;
}

/* Adds id as listed: 1 if added, 0 if already there, or ARCA_ERROR. */
static int map_add(arca_vobj_map *m, const arca_id *id)
{
	size_t i;

	if ((m->count + 1) * 4 > m->cap * 3 && map_grow(m) < 0)
		return ARCA_ERROR;
	for (i = slot_of(id, m->cap); m->slots[i].state != VOBJ_EMPTY;
		i = (i + 1) & (m->cap - 1))
		if (!memcmp(&m->slots[i].id, id, sizeof(*id)))
			return 0;
	m->slots[i].id = *id;
	m->slots[i].state = VOBJ_LISTED;
	m->count++;
	return 1;
}

arca_vobj *arca_verify__obj(arca_verify_run *v, const arca_id *id)
{
	return map_find(&v->objs, id);
}

/* ------------------------------------------------------------- reporting */

int arca_verify__quote(arca_buf *b, const char *path)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *p = (const unsigned char *)path;
	int rc = 0;

	for (; *p && rc == 0; p++) {
		char esc[4] = { '\\', 'x', hex[*p >> 4], hex[*p & 15] };
		if (*p == '\\' || *p == '\'') {
			esc[1] = (char)*p;
			rc = arca_buf_put(b, esc, 2);
		} else if (*p < 0x20 || *p == 0x7f) {
			rc = arca_buf_put(b, esc, 4);
		} else {
			rc = arca_buf_put(b, p, 1);
		}
	}
	return rc;
}

/* Returns s, or (freeing s) a copy with control bytes escaped as \xNN,
 * so that a message built from store keys or names stays on one line. */
static char *one_line(char *s)
{
	arca_buf b = ARCA_BUF_INIT;
	char *p;

	for (p = s; *p && !((unsigned char)*p < 0x20 || *p == 0x7f); p++)
		;
	if (!*p)
		return s;
	for (p = s; *p; p++) {
		unsigned char c = (unsigned char)*p;
		if ((c < 0x20 || c == 0x7f) ?
			arca_buf_printf(&b, "\\x%02x", c) < 0 :
			arca_buf_put(&b, p, 1) < 0) {
			arca_buf_dispose(&b);
			return s; /* out of memory: keep it as it is */
		}
	}
	free(s);
	return (char *)arca_buf_detach(&b, NULL);
}

int arca_verify__report(arca_verify_run *v, arca_finding_id fid,
	const char *object, const char *snapshot, const char *path,
	const char *fmt, ...)
{
	arca_finding f;
	va_list ap;
	char *msg;
	int n;

	va_start(ap, fmt);
	n = vasprintf(&msg, fmt, ap);
	va_end(ap);
	if (n < 0)
		return arca_error_set(v->err, ARCA_ERROR, "out of memory");
	msg = one_line(msg);
	f.id = fid;
	f.severity = arca_finding_severity(fid);
	f.name = arca_finding_name(fid);
	f.object = object;
	f.snapshot = snapshot;
	f.path = path;
	f.message = msg;
	v->stats->findings[f.severity]++;
	n = v->opts->finding ? v->opts->finding(&f, v->opts->payload) : 0;
	free(msg);
	if (n)
		return arca_error_set(v->err, n < 0 ? n : ARCA_ERROR,
			"verification stopped by the finding callback");
	return 0;
}

/* Largest content a zstd block holds (RFC 8878: 128 KiB). */
#define ZSTD_BLOCK_MAX (128u << 10)

/*
 * An upper bound of the content of the zstd frame f, from its block
 * headers (RFC 8878), or UINT64_MAX when it cannot be walked (decoding
 * then says why). A damaged content size field could otherwise make the
 * decoder allocate gigabytes for a frame of a few bytes.
 */
static uint64_t frame_bound(const unsigned char *f, size_t len)
{
	static const size_t did_size[4] = { 0, 1, 2, 4 };
	static const size_t fcs_size[4] = { 0, 2, 4, 8 };
	uint64_t bound = 0;
	size_t pos;
	int single;

	if (len < 5)
		return UINT64_MAX;
	single = (f[4] >> 5) & 1;
	pos = 5 + !single + did_size[f[4] & 3] +
		(f[4] >> 6 || !single ? fcs_size[f[4] >> 6] : 1);
	while (pos + 3 <= len) {
		uint32_t h = f[pos] | (uint32_t)f[pos + 1] << 8 |
			(uint32_t)f[pos + 2] << 16;
		uint32_t type = (h >> 1) & 3, size = h >> 3;
		pos += 3;
		/* raw: size bytes; RLE: one byte repeated size times;
		 * compressed: size bytes holding at most a block */
		bound += type == 2 ? ZSTD_BLOCK_MAX : size;
		pos += type == 1 ? 1 : size;
		if (h & 1)
			return bound;
	}
	return UINT64_MAX;
}

/* Reads object id's stored frame into raw: 0, ARCA_ENOTFOUND,
 * ARCA_EREMOTE, or ARCA_ECORRUPT when the key cannot be read. */
static int get_frame(arca_repo *r, arca_buf *raw, const arca_id *id,
	arca_error *e)
{
	char s[ARCA_ID_STRSZ];
	int rc;

	rc = arca_repo__frame_get(r, raw, id, e);
	if (rc == 0 || rc == ARCA_ENOTFOUND || rc == ARCA_EREMOTE)
		return rc;
	arca_id_str(s, id);
	arca_error_prefix(e, "object %s cannot be read", s);
	return ARCA_ECORRUPT;
}

int arca_verify__decode(arca_buf *out, const arca_buf *raw,
	const arca_id *id, void *dctx, arca_error *e)
{
	unsigned long long size = ZSTD_getFrameContentSize(raw->data,
		raw->len);
	uint64_t bound;
	char s[ARCA_ID_STRSZ];

	if (size != ZSTD_CONTENTSIZE_UNKNOWN &&
		size != ZSTD_CONTENTSIZE_ERROR &&
		size > (bound = frame_bound(raw->data, raw->len))) {
		arca_id_str(s, id);
		return arca_error_set(e, ARCA_ECORRUPT, "object %s: zstd "
			"frame claims %llu bytes of content, its blocks hold "
			"at most %llu", s, size, (unsigned long long)bound);
	}
	return arca_repo__object_decode(out, raw->data, raw->len, id, dctx,
		e);
}

int arca_verify__read(arca_verify_run *v, const arca_id *id, arca_error *e)
{
	arca_vobj *o = map_find(&v->objs, id);
	int rc;

	if (o && o->cached && o->state == VOBJ_GOOD) {
		arca_buf_clear(&v->data);
		return arca_buf_put(&v->data, o->cached, (size_t)o->size) < 0 ?
			arca_error_set(e, ARCA_ERROR, "out of memory") : 0;
	}
	if ((rc = get_frame(v->r, &v->raw, id, e)) < 0)
		return rc;
	return arca_verify__decode(&v->data, &v->raw, id, v->dctx, e);
}

/* -------------------------------------------------------- listing objects */

static int is_hex(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= '0' && s[i] <= '9') ||
			(s[i] >= 'a' && s[i] <= 'f')))
			return 0;
	return 1;
}

/* Parses "objects/ab/<64 hex>" (lower case, matching prefix). */
static int object_key_id(arca_id *id, const char *key)
{
	const char *p = key + strlen(ARCA_KEY_OBJECTS);

	if (strlen(p) != 3 + ARCA_ID_HEXSZ || p[2] != '/' || !is_hex(p, 2) ||
		!is_hex(p + 3, ARCA_ID_HEXSZ) || memcmp(p, p + 3, 2))
		return -1;
	return arca_id_parse(id, p + 3);
}

static int list_object(const char *key, uint64_t size, void *payload)
{
	arca_verify_run *v = payload;
	arca_id id;
	int rc;

	if (object_key_id(&id, key) < 0)
		return arca_verify__report(v, ARCA_FINDING_STRAY_KEY, key,
			NULL, NULL, "key '%s' is not the key of an object",
			key);
	if ((rc = map_add(&v->objs, &id)) < 0)
		return arca_error_set(v->err, ARCA_ERROR, "out of memory");
	if (rc == 1) {
		v->stats->objects++;
		v->stats->stored_bytes += size;
	}
	if (v->opts->progress && !(v->stats->objects & 4095))
		v->opts->progress(v->stats->objects, 0, v->opts->payload);
	return 0;
}

static int by_id(const void *a, const void *b)
{
	const arca_vobj *x = *(const arca_vobj *const *)a;
	const arca_vobj *y = *(const arca_vobj *const *)b;

	return arca_id_cmp(&x->id, &y->id);
}

/* Lists objects/ into v->objs and v->sorted. */
static int list_objects(arca_verify_run *v)
{
	size_t n = 0;
	int rc;

	rc = arca_repo__keys_list(v->r, ARCA_KEY_OBJECTS, list_object, v,
		v->err);
	if (rc)
		return rc < 0 ? rc : ARCA_ERROR;
	if (v->objs.count &&
		!(v->sorted = malloc(v->objs.count * sizeof(*v->sorted))))
		return arca_error_set(v->err, ARCA_ERROR, "out of memory");
	for (size_t i = 0; i < v->objs.cap; i++)
		if (v->objs.slots[i].state != VOBJ_EMPTY)
			v->sorted[n++] = &v->objs.slots[i];
	if (n)
		qsort(v->sorted, n, sizeof(*v->sorted), by_id);
	return 0;
}

/* Record ids, "records/<kind>/<64 hex>", for phase 1 to keep their
 * content (a listing is cheap next to fetching each again). */
static int record_id(const char *key, uint64_t size, void *payload)
{
	const char *slash = strrchr(key, '/');
	arca_id id;

	(void)size;
	if (!slash || strlen(slash + 1) != ARCA_ID_HEXSZ ||
		arca_id_parse(&id, slash + 1) < 0)
		return 0;
	return arca_idset_add(payload, &id) < 0 ? ARCA_ERROR : 0;
}

static int list_record_ids(arca_verify_run *v)
{
	int rc = arca_repo__keys_list(v->r, ARCA_KEY_RECORDS, record_id,
		&v->record_ids, v->err);

	if (rc == ARCA_ERROR && v->err && !v->err->msg[0])
		return arca_error_set(v->err, rc, "out of memory");
	return rc < 0 ? rc : rc ? ARCA_ERROR : 0;
}

/* ---------------------------------------------------------- worker pool */

typedef struct bad_object {
	arca_vobj *o;
	char *msg;
} bad_object;

typedef struct pool {
	arca_verify_run *v;
	size_t n;                  /* objects to check: v->sorted[0..n) */
	atomic_size_t next;        /* the next one to take */
	atomic_int stop;
	atomic_uint_fast64_t done, stored, content;
	atomic_uint_fast64_t cached; /* bytes kept for phase 2 */
	pthread_mutex_t lock;      /* guards what follows */
	pthread_cond_t cond;
	int running;
	bad_object *bad;
	size_t nbad, capbad;
	int rc;                    /* first error that stops the run */
	arca_error err;
} pool;

/* Worker buffers larger than this are released after use, so that one
 * huge (or lying) object does not pin its memory for the whole run. */
#define KEEP_BUF_MAX (64u << 20)
/* Trees and records kept from phase 1 for phase 2: at most this much in
 * all, and none larger than CACHE_ONE_MAX. */
#define CACHE_MAX ((uint64_t)256 << 20)
#define CACHE_ONE_MAX ((size_t)4 << 20)
/* Threads for a store that is not local, where fetching dominates. */
#define REMOTE_THREADS 8

static void pool_fail(pool *p, int rc, const arca_error *e)
{
	pthread_mutex_lock(&p->lock);
	if (!p->rc) {
		p->rc = rc;
		p->err = *e;
	}
	pthread_mutex_unlock(&p->lock);
	atomic_store(&p->stop, 1);
}

static int pool_bad(pool *p, arca_vobj *o, const char *msg)
{
	char *copy = strdup(msg);
	int rc = 0;

	pthread_mutex_lock(&p->lock);
	if (p->nbad == p->capbad) {
		size_t cap = p->capbad ? p->capbad * 2 : 16;
		bad_object *b = realloc(p->bad, cap * sizeof(*b));
		if (b) {
			p->bad = b;
			p->capbad = cap;
		}
	}
	if (copy && p->nbad < p->capbad)
		p->bad[p->nbad++] = (bad_object){ o, copy };
	else
		rc = ARCA_ERROR;
	pthread_mutex_unlock(&p->lock);
	if (rc)
		free(copy);
	o->state = VOBJ_CORRUPT;
	return rc;
}

/* Keeps the content of a tree or a record for phase 2, within the
 * budget. Trees are canonical JSON, so they start with their first key. */
static void keep(pool *p, arca_vobj *o, const arca_buf *out)
{
	static const char tree[] = "{\"entries\":[";

	if (out->len > CACHE_ONE_MAX || (!(out->len >= sizeof(tree) - 1 &&
		!memcmp(out->data, tree, sizeof(tree) - 1)) &&
		!arca_idset_has(&p->v->record_ids, &o->id)))
		return;
	if (atomic_fetch_add(&p->cached, out->len) + out->len >
		CACHE_MAX) {
		atomic_fetch_sub(&p->cached, out->len);
		return;
	}
	if ((o->cached = malloc(out->len ? out->len : 1)))
		memcpy(o->cached, out->data, out->len);
	else
		atomic_fetch_sub(&p->cached, out->len);
}

/* Reads and checks one object. 0, or an error that stops the run. */
static int check_one(pool *p, arca_vobj *o, ZSTD_DCtx *d, arca_buf *raw,
	arca_buf *out, arca_error *e)
{
	int rc = get_frame(p->v->r, raw, &o->id, e);

	if (rc == ARCA_EREMOTE)
		return rc;
	if (rc == ARCA_ENOTFOUND) {
		o->state = VOBJ_GONE;
		return 0;
	}
	atomic_fetch_add(&p->done, 1);
	atomic_fetch_add(&p->stored, raw->len);
	if (rc == 0)
		rc = arca_verify__decode(out, raw, &o->id, d, e);
	if (rc == ARCA_ECORRUPT)
		return pool_bad(p, o, e->msg) < 0 ?
			arca_error_set(e, ARCA_ERROR, "out of memory") : 0;
	if (rc < 0)
		return rc;
	o->size = out->len;
	keep(p, o, out);
	o->state = VOBJ_GOOD;
	atomic_fetch_add(&p->content, out->len);
	return 0;
}

static void *worker(void *arg)
{
	pool *p = arg;
	arca_buf raw = ARCA_BUF_INIT, out = ARCA_BUF_INIT;
	arca_error e = ARCA_ERROR_INIT;
	ZSTD_DCtx *d = ZSTD_createDCtx();
	int rc = d ? 0 : arca_error_set(&e, ARCA_ERROR, "out of memory");
	size_t i;

	while (rc == 0 && !atomic_load(&p->stop) &&
		(i = atomic_fetch_add(&p->next, 1)) < p->n) {
		rc = check_one(p, p->v->sorted[i], d, &raw, &out, &e);
		if (raw.cap > KEEP_BUF_MAX)
			arca_buf_dispose(&raw);
		if (out.cap > KEEP_BUF_MAX)
			arca_buf_dispose(&out);
	}
	if (rc < 0)
		pool_fail(p, rc, &e);
	arca_buf_dispose(&raw);
	arca_buf_dispose(&out);
	ZSTD_freeDCtx(d);
	pthread_mutex_lock(&p->lock);
	p->running--;
	pthread_cond_signal(&p->cond);
	pthread_mutex_unlock(&p->lock);
	return NULL;
}

/* Waits for the workers, reporting progress and keeping the lock fresh
 * from the calling thread. */
static void pool_wait(pool *p)
{
	arca_verify_run *v = p->v;
	struct timespec ts;

	pthread_mutex_lock(&p->lock);
	while (p->running > 0) {
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_nsec += 200 * 1000000L;
		if (ts.tv_nsec >= 1000000000L) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000L;
		}
		pthread_cond_timedwait(&p->cond, &p->lock, &ts);
		if (p->running == 0)
			break;
		pthread_mutex_unlock(&p->lock);
		if (v->opts->progress)
			v->opts->progress(atomic_load(&p->done),
				atomic_load(&p->stored), v->opts->payload);
		/* A failed refresh is retried later; the run goes on. */
		arca_repo_lock_refresh(v->r, NULL);
		pthread_mutex_lock(&p->lock);
	}
	pthread_mutex_unlock(&p->lock);
}

static int by_bad_id(const void *a, const void *b)
{
	const bad_object *x = a, *y = b;

	return arca_id_cmp(&x->o->id, &y->o->id);
}

/* Reports phase 1's corrupt objects, in id order. */
static int report_bad(arca_verify_run *v, pool *p)
{
	char s[ARCA_ID_STRSZ];
	int rc = 0;

	if (p->nbad)
		qsort(p->bad, p->nbad, sizeof(*p->bad), by_bad_id);
	for (size_t i = 0; i < p->nbad && rc == 0; i++) {
		arca_id_str(s, &p->bad[i].o->id);
		rc = arca_verify__report(v, ARCA_FINDING_CORRUPT_OBJECT, s,
			NULL, NULL, "%s", p->bad[i].msg);
	}
	return rc;
}

static int start_workers(pool *p, pthread_t *tids, int n)
{
	arca_error e = ARCA_ERROR_INIT;
	int started = 0;

	for (; started < n; started++) {
		pthread_mutex_lock(&p->lock);
		p->running++;
		pthread_mutex_unlock(&p->lock);
		if (pthread_create(&tids[started], NULL, worker, p)) {
			pthread_mutex_lock(&p->lock);
			p->running--;
			pthread_mutex_unlock(&p->lock);
			break;
		}
	}
	if (!started)
		pool_fail(p, arca_error_set(&e, ARCA_ERROR,
			"cannot start a verification thread"), &e);
	return started;
}

/* One per CPU for a local repository; for a remote one, where most of
 * the time is waiting for the network, $ARCA_S3_PARALLEL, else 8. */
static int default_threads(arca_repo *r)
{
	const char *e = getenv("ARCA_S3_PARALLEL");
	char *end;
	long n;

	if (arca_repo__local_dir(r))
		return arca_ncpu();
	if (e && *e && (n = strtol(e, &end, 10)) > 0 && !*end)
		return n > 256 ? 256 : (int)n;
	return REMOTE_THREADS;
}

static int check_objects(arca_verify_run *v)
{
	pool p = { .v = v, .n = v->objs.count };
	int threads = v->opts->threads > 0 ? v->opts->threads :
		default_threads(v->r);
	pthread_t *tids;
	int started, rc;

	if (threads > 256)
		threads = 256;
	if ((size_t)threads > p.n)
		threads = p.n ? (int)p.n : 1;
	if (!(tids = calloc((size_t)threads, sizeof(*tids))))
		return arca_error_set(v->err, ARCA_ERROR, "out of memory");
	pthread_mutex_init(&p.lock, NULL);
	pthread_cond_init(&p.cond, NULL);
	started = start_workers(&p, tids, threads);
	pool_wait(&p);
	for (int i = 0; i < started; i++)
		pthread_join(tids[i], NULL);
	v->stats->content_bytes = atomic_load(&p.content);
	if (p.rc) {
		rc = p.rc;
		if (v->err)
			*v->err = p.err;
	} else {
		rc = report_bad(v, &p);
	}
	if (rc == 0 && v->opts->progress)
		v->opts->progress(atomic_load(&p.done), atomic_load(&p.stored),
			v->opts->payload);
	for (size_t i = 0; i < p.nbad; i++)
		free(p.bad[i].msg);
	free(p.bad);
	pthread_cond_destroy(&p.cond);
	pthread_mutex_destroy(&p.lock);
	free(tids);
	return rc;
}

/* ---------------------------------------------------------------- driver */

/* Objects no record, snapshot or tree names: one INFO finding each (as
 * git fsck's "dangling"), in id order. */
static int report_unreferenced(arca_verify_run *v)
{
	char s[ARCA_ID_STRSZ];
	int rc = 0;

	for (size_t i = 0; i < v->objs.count && rc == 0; i++) {
		arca_vobj *o = v->sorted[i];
		if (o->ref || o->state == VOBJ_GONE)
			continue;
		arca_id_str(s, &o->id);
		rc = arca_verify__report(v, ARCA_FINDING_UNREFERENCED_OBJECT,
			s, NULL, NULL, "object %s is not named by any record, "
			"snapshot or tree", s);
	}
	return rc;
}

static void run_dispose(arca_verify_run *v)
{
	for (size_t i = 0; i < v->objs.cap; i++)
		free(v->objs.slots[i].cached);
	free(v->objs.slots);
	arca_idset_dispose(&v->record_ids);
	free(v->sorted);
	arca_idset_dispose(&v->clean);
	arca_idset_dispose(&v->records);
	ZSTD_freeDCtx(v->dctx);
	arca_buf_dispose(&v->raw);
	arca_buf_dispose(&v->data);
	arca_buf_dispose(&v->path);
	arca_buf_dispose(&v->msg);
}

/*
 * Phase 1 lists (and with read_data re-hashes) every object; phase 2
 * walks records, snapshots and trees, then checks refs; last, objects
 * nothing names. A nonzero return of the finding callback stops the run
 * and is returned (ARCA_ERROR when positive).
 */
int arca_verify(arca_verify_stats *stats, arca_repo *r,
	const arca_verify_opts *opts, arca_error *err)
{
	arca_verify_opts defaults = ARCA_VERIFY_OPTS_INIT;
	arca_verify_stats st;
	arca_verify_run v;
	int rc;

	memset(&st, 0, sizeof(st));
	memset(&v, 0, sizeof(v));
	v.r = r;
	v.opts = opts ? opts : &defaults;
	v.stats = &st;
	v.err = err;
	if (!(v.dctx = ZSTD_createDCtx())) {
		rc = arca_error_set(err, ARCA_ERROR, "out of memory");
		goto done;
	}
	if ((rc = list_objects(&v)) != 0 ||
		(v.opts->read_data && (rc = list_record_ids(&v)) != 0))
		goto done;
	if (v.opts->read_data && (rc = check_objects(&v)) != 0)
		goto done;
	if ((rc = arca_verify__records(&v)) != 0 ||
		(rc = arca_verify__refs(&v)) != 0 ||
		(rc = report_unreferenced(&v)) != 0)
		goto done;
	if (st.findings[ARCA_SEV_ERROR])
		rc = arca_error_set(err, ARCA_EVERIFY,
			"verification found %llu error(s)",
			(unsigned long long)st.findings[ARCA_SEV_ERROR]);
done:
	if (rc > 0)
		rc = ARCA_ERROR;
	if (stats)
		*stats = st;
	run_dispose(&v);
	return rc;
}
