/*
 * Restore as a POSIX (pax) tar stream.
 *
 * The calling thread walks the trees and writes the stream in order;
 * worker threads fetch and decode chunks ahead of it into a ring of
 * slots. Entries wait in a short FIFO until their chunks come round: the
 * walker adds entries (and submits their chunks while the ring has room)
 * and writes the oldest entry whenever the ring is full or the FIFO is
 * long. Chunks are submitted in stream order, so the writer takes slots
 * in sequence. Memory is bounded by the ring (2 slots per thread, plus 2)
 * and the FIFO (ARCA_TAR_PENDING entries).
 *
 * On failure the output is abandoned: nothing more is written to fd, so
 * no end-of-archive marker follows a truncated entry.
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <archive.h>
#include <archive_entry.h>
#include <zstd.h>
#include "snapshot/restore.h"

#define ARCA_TAR_PENDING 1024

enum { SLOT_FREE, SLOT_QUEUED, SLOT_DONE };

typedef struct tentry {
	struct tentry *next;
	char *name;           /* in the stream */
	char *disp;           /* snapshot path, quoted for messages */
	arca_entry_type type;
	uint32_t mode;
	int64_t mtime_ns;
	uint64_t size;
	char *target;
	arca_id *chunks;
	size_t nchunks, submitted;
} tentry;

typedef struct slot {
	int state, rc;
	arca_id id;
	const char *disp;     /* borrowed from its entry */
	arca_buf out;
	arca_error err;
} slot;

typedef struct tar {
	arca_repo *r;
	const arca_restore_opts *opts;
	struct archive *a;
	arca_restore_stats st;
	int64_t tick;

	pthread_mutex_t mu;
	pthread_cond_t work, done;
	slot *slots;
	size_t cap;
	uint64_t submitted, taken, consumed;
	int stop;

	tentry *head, *tail, *cursor; /* cursor: first with chunks to submit */
	size_t npending;
	arca_buf name;        /* full snapshot path of the walk */
	size_t rel;           /* where the stream name starts in it */
	arca_error *err;
} tar;

typedef struct tworker {
	tar *t;
	pthread_t th;
	ZSTD_DCtx *dctx;
	arca_buf frame;
} tworker;

static void *tworker_main(void *arg)
{
	tworker *w = arg;
	tar *t = w->t;
	slot *s;
	int rc;

	pthread_mutex_lock(&t->mu);
	for (;;) {
		while (t->taken == t->submitted && !t->stop)
			pthread_cond_wait(&t->work, &t->mu);
		if (t->stop)
			break;
		s = &t->slots[t->taken++ % t->cap];
		pthread_mutex_unlock(&t->mu);
		arca_error_clear(&s->err);
		rc = arca_restore__get(&w->frame, t->r, &s->id, s->disp,
			&s->err);
		if (rc == 0)
			rc = arca_restore__decode(&s->out, &w->frame, &s->id,
				s->disp, w->dctx, &s->err);
		pthread_mutex_lock(&t->mu);
		s->rc = rc;
		s->state = SLOT_DONE;
		pthread_cond_broadcast(&t->done);
	}
	pthread_mutex_unlock(&t->mu);
	return NULL;
}

static void heartbeat(tar *t)
{
	if (!arca_restore__tick(&t->tick))
		return;
	arca_repo_lock_refresh(t->r, NULL);
	if (t->opts->progress)
		t->opts->progress(t->st.files, t->st.bytes, t->opts->payload);
}

/* Submits chunks, in stream order, while the ring has room. */
static void fill(tar *t)
{
	pthread_mutex_lock(&t->mu);
	while (t->cursor && t->submitted - t->consumed < t->cap) {
		tentry *e = t->cursor;
		slot *s;
		if (e->submitted == e->nchunks) {
			t->cursor = e->next;
			continue;
		}
		s = &t->slots[t->submitted++ % t->cap];
		s->id = e->chunks[e->submitted++];
		s->disp = e->disp;
		s->state = SLOT_QUEUED;
		pthread_cond_signal(&t->work);
	}
	pthread_mutex_unlock(&t->mu);
}

static int arch_fail(tar *t, const char *what, const char *disp)
{
	return arca_error_set(t->err, ARCA_ERROR, "writing the tar stream: "
		"%s '%s': %s", what, disp, archive_error_string(t->a) ?
		archive_error_string(t->a) : "unknown error");
}

static int write_header(tar *t, const tentry *e)
{
	struct archive_entry *ae = archive_entry_new();
	int64_t s = e->mtime_ns / 1000000000, ns = e->mtime_ns % 1000000000;
	int rc = 0, ar;

	if (!ae)
		return arca_error_set(t->err, ARCA_ERROR, "out of memory");
	if (ns < 0) {
		ns += 1000000000;
		s--;
	}
	archive_entry_copy_pathname(ae, e->name);
	archive_entry_set_mtime(ae, (time_t)s, (long)ns);
	if (e->type == ARCA_ENTRY_FILE) {
		archive_entry_set_filetype(ae, AE_IFREG);
		archive_entry_set_size(ae, (la_int64_t)e->size);
	} else if (e->type == ARCA_ENTRY_DIR) {
		archive_entry_set_filetype(ae, AE_IFDIR);
	} else {
		archive_entry_set_filetype(ae, AE_IFLNK);
		archive_entry_copy_symlink(ae, e->target);
	}
	archive_entry_set_perm(ae, e->type == ARCA_ENTRY_SYMLINK ? 0777 :
		(mode_t)(e->mode & 07777));
	ar = archive_write_header(t->a, ae);
	if (ar == ARCHIVE_WARN && t->opts->warn)
		t->opts->warn(e->disp, archive_error_string(t->a),
			t->opts->payload);
	else if (ar < ARCHIVE_WARN)
		rc = arch_fail(t, "cannot write the header of", e->disp);
	archive_entry_free(ae);
	return rc;
}

/* Waits for the next slot in sequence; heartbeats while waiting. */
static slot *next_slot(tar *t)
{
	slot *s = &t->slots[t->consumed % t->cap];
	struct timespec ts;

	pthread_mutex_lock(&t->mu);
	while (s->state != SLOT_DONE) {
		clock_gettime(CLOCK_MONOTONIC, &ts);
		ts.tv_nsec += 100000000;
		if (ts.tv_nsec >= 1000000000) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000;
		}
		pthread_cond_timedwait(&t->done, &t->mu, &ts);
		pthread_mutex_unlock(&t->mu);
		heartbeat(t);
		pthread_mutex_lock(&t->mu);
	}
	pthread_mutex_unlock(&t->mu);
	return s;
}

static void free_slot(tar *t, slot *s)
{
	pthread_mutex_lock(&t->mu);
	s->state = SLOT_FREE;
	t->consumed++;
	pthread_mutex_unlock(&t->mu);
}

static int write_content(tar *t, const tentry *e)
{
	uint64_t done = 0;
	int rc = 0;

	for (size_t k = 0; k < e->nchunks && rc == 0; k++) {
		slot *s;
		fill(t);
		s = next_slot(t);
		if ((rc = s->rc) < 0) {
			*t->err = s->err;
		} else if (s->out.len > e->size - done) {
			rc = arca_error_set(t->err, ARCA_ECORRUPT, "restoring "
				"'%s': content is longer than the %llu bytes "
				"the snapshot records", e->disp,
				(unsigned long long)e->size);
		} else if (s->out.len && archive_write_data(t->a, s->out.data,
			s->out.len) != (la_ssize_t)s->out.len) {
			rc = arch_fail(t, "cannot write", e->disp);
		} else {
			done += s->out.len;
			t->st.bytes += s->out.len;
		}
		free_slot(t, s);
		heartbeat(t);
	}
	if (rc == 0 && done != e->size)
		rc = arca_error_set(t->err, ARCA_ECORRUPT, "restoring '%s': "
			"content is %llu bytes, the snapshot records %llu",
			e->disp, (unsigned long long)done,
			(unsigned long long)e->size);
	return rc;
}

static void free_entry(tentry *e)
{
	free(e->name);
	free(e->disp);
	free(e->target);
	free(e->chunks);
	free(e);
}

/* Writes and drops the oldest pending entry. */
static int write_head(tar *t)
{
	tentry *e = t->head;
	int rc;

	if (e->type == ARCA_ENTRY_FILE && !e->nchunks && e->size)
		return arca_error_set(t->err, ARCA_ECORRUPT, "restoring '%s': "
			"content is 0 bytes, the snapshot records %llu",
			e->disp, (unsigned long long)e->size);
	if ((rc = write_header(t, e)) < 0)
		return rc;
	if (e->type == ARCA_ENTRY_FILE && (rc = write_content(t, e)) < 0)
		return rc;
	if (e->type == ARCA_ENTRY_FILE)
		t->st.files++;
	else if (e->type == ARCA_ENTRY_DIR)
		t->st.dirs++;
	else
		t->st.symlinks++;
	t->head = e->next;
	if (!t->head)
		t->tail = NULL;
	if (t->cursor == e)
		t->cursor = e->next;
	t->npending--;
	free_entry(e);
	return 0;
}

static tentry *new_entry(tar *t, const arca_node *n)
{
	tentry *e = calloc(1, sizeof(*e));
	char d[ARCA_RESTORE_DISP];
	const char *full = arca_buf_cstr(&t->name);

	if (!e)
		return NULL;
	e->type = n->type;
	e->mode = n->mode;
	e->mtime_ns = n->mtime_ns;
	e->size = n->size;
	e->nchunks = n->nchunks;
	e->name = strdup(full + t->rel);
	e->disp = strdup(arca_restore__disp(d, full, t->name.len));
	if (n->type == ARCA_ENTRY_SYMLINK)
		e->target = strdup(n->target);
	if (n->nchunks && (e->chunks = malloc(n->nchunks * sizeof(arca_id))))
		memcpy(e->chunks, n->chunks, n->nchunks * sizeof(arca_id));
	if (!e->name || !e->disp || (n->type == ARCA_ENTRY_SYMLINK &&
		!e->target) || (n->nchunks && !e->chunks)) {
		free_entry(e);
		return NULL;
	}
	return e;
}

/* Queues the entry at t->name; writes the oldest ones while the ring is
 * full or the FIFO is long. */
static int add_entry(tar *t, const arca_node *n)
{
	tentry *e = new_entry(t, n);
	int rc = 0;

	if (!e)
		return arca_error_set(t->err, ARCA_ERROR, "out of memory");
	if (t->tail)
		t->tail->next = e;
	else
		t->head = e;
	t->tail = e;
	t->npending++;
	if (!t->cursor)
		t->cursor = e;
	fill(t);
	while (rc == 0 && t->head && (t->cursor ||
		t->npending > ARCA_TAR_PENDING)) {
		rc = write_head(t);
		fill(t);
	}
	heartbeat(t);
	return rc;
}

static int set_name(tar *t, size_t base, const arca_node *n)
{
	t->name.len = base;
	if ((base && arca_buf_put(&t->name, "/", 1) < 0) ||
		arca_buf_put(&t->name, n->name, n->name_len) < 0)
		return arca_error_set(t->err, ARCA_ERROR, "out of memory");
	return 0;
}

static int walk(tar *t, const arca_id *id)
{
	arca_tree tr = ARCA_TREE_INIT;
	size_t base = t->name.len;
	int rc;

	if ((rc = arca_tree_load(&tr, t->r, id, t->err)) < 0)
		return rc;
	for (size_t i = 0; i < tr.n && rc == 0; i++) {
		const arca_node *n = &tr.nodes[i];
		if ((rc = set_name(t, base, n)) < 0 ||
			(rc = add_entry(t, n)) < 0)
			break;
		if (n->type == ARCA_ENTRY_DIR)
			rc = walk(t, &n->tree);
	}
	t->name.len = base;
	arca_tree_dispose(&tr);
	return rc;
}

static int stream(tar *t, const arca_restore_root *root)
{
	size_t base;
	int rc = 0;

	if (arca_buf_puts(&t->name, root->path) < 0)
		return arca_error_set(t->err, ARCA_ERROR, "out of memory");
	base = t->name.len;
	if (root->single) {
		/* A single entry is stored under its own name. */
		t->rel = base - root->node.name_len;
		rc = add_entry(t, &root->node);
	} else {
		t->rel = base ? base + 1 : 0;
		rc = walk(t, &root->tree);
	}
	while (rc == 0 && t->head)
		rc = write_head(t);
	if (rc == 0 && archive_write_close(t->a) != ARCHIVE_OK)
		rc = arch_fail(t, "cannot finish", "");
	return rc;
}

static int tar_init(tar *t, arca_repo *r, const arca_restore_opts *opts,
	int nthreads, arca_error *err)
{
	pthread_condattr_t ca;

	memset(t, 0, sizeof(*t));
	t->r = r;
	t->opts = opts;
	t->err = err;
	t->cap = (size_t)nthreads * 2 + 2;
	if (!(t->slots = calloc(t->cap, sizeof(*t->slots))))
		return arca_error_set(err, ARCA_ERROR, "out of memory");
	pthread_mutex_init(&t->mu, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&t->work, &ca);
	pthread_cond_init(&t->done, &ca);
	pthread_condattr_destroy(&ca);
	return 0;
}

static void tar_dispose(tar *t)
{
	while (t->head) {
		tentry *e = t->head;
		t->head = e->next;
		free_entry(e);
	}
	for (size_t i = 0; i < t->cap; i++)
		arca_buf_dispose(&t->slots[i].out);
	free(t->slots);
	arca_buf_dispose(&t->name);
	pthread_cond_destroy(&t->work);
	pthread_cond_destroy(&t->done);
	pthread_mutex_destroy(&t->mu);
}

/*
 * libarchive's output. libarchive's own blocking would write 10 KiB at a
 * time; we take its bytes unblocked and write them in large pieces, then
 * pad the stream to a whole 10240-byte record as tar does. After a
 * failure the sink is abandoned: nothing more reaches fd.
 */
#define SINK_BUF (1u << 20)
#define TAR_RECORD 10240

typedef struct sink {
	int fd;
	int abandoned;
	unsigned char *buf;
	size_t len;
	uint64_t total;
} sink;

static int write_fd(struct archive *a, int fd, const void *data, size_t len)
{
	const char *p = data;

	while (len) {
		ssize_t n = write(fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			archive_set_error(a, errno, "%s", strerror(errno));
			return -1;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

static int sink_flush(struct archive *a, sink *k)
{
	int rc = k->len ? write_fd(a, k->fd, k->buf, k->len) : 0;

	k->len = 0;
	return rc;
}

static la_ssize_t sink_write(struct archive *a, void *cd, const void *buf,
	size_t len)
{
	sink *k = cd;

	if (k->abandoned) {
		archive_set_error(a, ECANCELED, "stream abandoned");
		return -1;
	}
	if ((k->len + len > SINK_BUF || len >= SINK_BUF / 2) &&
		sink_flush(a, k) < 0)
		return -1;
	if (len >= SINK_BUF / 2) {
		if (write_fd(a, k->fd, buf, len) < 0)
			return -1;
	} else {
		memcpy(k->buf + k->len, buf, len);
		k->len += len;
	}
	k->total += len;
	return (la_ssize_t)len;
}

static int sink_close(struct archive *a, void *cd)
{
	sink *k = cd;
	size_t pad = (size_t)((TAR_RECORD - k->total % TAR_RECORD) %
		TAR_RECORD);

	if (k->abandoned)
		return ARCHIVE_OK;
	if (k->len + pad > SINK_BUF && sink_flush(a, k) < 0)
		return ARCHIVE_FATAL;
	memset(k->buf + k->len, 0, pad);
	k->len += pad;
	k->total += pad;
	return sink_flush(a, k) < 0 ? ARCHIVE_FATAL : ARCHIVE_OK;
}

static int open_archive(tar *t, sink *k)
{
	if (!(t->a = archive_write_new()))
		return arca_error_set(t->err, ARCA_ERROR, "out of memory");
	/* Full pax, not pax_restricted: the restricted writer drops the
	 * nanoseconds of mtimes unless some other field needs a pax header.
	 * Entries with whole-second mtimes and short ASCII names still get
	 * plain ustar headers. */
	if (archive_write_set_format_pax(t->a) != ARCHIVE_OK ||
		archive_write_add_filter_none(t->a) != ARCHIVE_OK ||
		archive_write_set_bytes_per_block(t->a, 0) != ARCHIVE_OK ||
		archive_write_open2(t->a, k, NULL, sink_write, sink_close,
			NULL) != ARCHIVE_OK)
		return arch_fail(t, "cannot start", "");
	return 0;
}

/* Runs the stream with n workers, then stops and joins them. */
static int run(tar *t, const arca_restore_root *root, sink *k, int n)
{
	tworker *ws = calloc((size_t)n, sizeof(*ws));
	int rc = 0, started = 0;

	if (!ws)
		return arca_error_set(t->err, ARCA_ERROR, "out of memory");
	for (; started < n; started++) {
		ws[started].t = t;
		if (!(ws[started].dctx = ZSTD_createDCtx()))
			break;
		if (pthread_create(&ws[started].th, NULL, tworker_main,
			&ws[started]) != 0) {
			ZSTD_freeDCtx(ws[started].dctx);
			break;
		}
	}
	if (started < n)
		rc = arca_error_set(t->err, ARCA_ERROR,
			"cannot start restore threads");
	if (rc == 0 && (rc = open_archive(t, k)) == 0)
		rc = stream(t, root);
	pthread_mutex_lock(&t->mu);
	t->stop = 1;
	pthread_cond_broadcast(&t->work);
	pthread_mutex_unlock(&t->mu);
	for (int i = 0; i < started; i++) {
		pthread_join(ws[i].th, NULL);
		ZSTD_freeDCtx(ws[i].dctx);
		arca_buf_dispose(&ws[i].frame);
	}
	free(ws);
	return rc;
}

int arca_restore_tar(arca_restore_stats *stats, arca_repo *r,
	const arca_id *snapshot, const char *subpath, int fd,
	const arca_restore_opts *opts, arca_error *err)
{
	arca_restore_opts none = ARCA_RESTORE_OPTS_INIT;
	arca_error local = ARCA_ERROR_INIT;
	arca_restore_root root;
	sink k = { fd, 0, NULL, 0, 0 };
	tar t;
	int rc;

	if (!opts)
		opts = &none;
	if (!err)
		err = &local;
	if ((rc = arca_restore__find(&root, r, snapshot, subpath, err)) < 0)
		return rc;
	if ((rc = arca_restore__check(r, &root, err)) < 0)
		goto done;
	if (!(k.buf = malloc(SINK_BUF))) {
		rc = arca_error_set(err, ARCA_ERROR, "out of memory");
		goto done;
	}
	if ((rc = tar_init(&t, r, opts, arca_restore__threads(opts),
		err)) < 0)
		goto done;
	rc = run(&t, &root, &k, arca_restore__threads(opts));
	if (t.a) {
		/* After a failure nothing more reaches fd: no end-of-archive
		 * marker may make a truncated stream look complete. */
		k.abandoned = rc < 0;
		archive_write_free(t.a);
	}
	if (rc == 0 && opts->progress)
		opts->progress(t.st.files, t.st.bytes, opts->payload);
	if (rc == 0 && stats)
		*stats = t.st;
	tar_dispose(&t);
done:
	free(k.buf);
	arca_restore__root_dispose(&root);
	return rc;
}
