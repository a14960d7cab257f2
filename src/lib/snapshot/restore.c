/*
 * Restore to a directory.
 *
 * The calling thread (the walker) checks every name first (restore_check.c),
 * then walks the trees depth first: it creates directories and symlinks,
 * opens each file and queues its chunks. Worker threads fetch a chunk,
 * decode and verify it against its id, and pwrite it at its offset, so the
 * chunks of one large file keep every core busy. A chunk's offset is the
 * sum of the sizes of the chunks before it, which are only known from
 * their frames: each worker publishes its chunk's size (from the frame
 * header, before decoding) and waits for the sizes before its own. Chunks
 * are queued in order, so whoever holds an earlier chunk publishes its size
 * without waiting: no deadlock. The queue holds 2 items per thread, so
 * memory does not grow with the data.
 *
 * Nothing inside the target is ever followed: directories are opened with
 * O_DIRECTORY | O_NOFOLLOW relative to their parent's fd, files are made
 * with O_CREAT | O_EXCL | O_NOFOLLOW, and whatever is in the way (a file, a
 * symlink) is unlinked first, never written through.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zstd.h>
#include "snapshot/restore.h"
#include "util/fs.h"

/* A file being written: opened by the walker, finished (mode, mtime,
 * close) by whoever releases its last chunk. */
typedef struct rfile {
	int fd;
	uint32_t mode;
	int64_t mtime_ns;
	uint64_t size;     /* as the snapshot records it */
	size_t nchunks;
	size_t refs;       /* chunks not yet released */
	size_t known;      /* off[0..known] are known */
	uint64_t *off;     /* nchunks + 1 offsets */
	uint64_t *len;     /* chunk sizes, UINT64_MAX until known */
	char path[];       /* quoted for messages */
} rfile;

typedef struct item {
	rfile *f;
	size_t idx;
	arca_id id;
} item;

typedef struct pool {
	arca_repo *r;
	pthread_mutex_t mu;
	pthread_cond_t work;  /* an item was queued, or closing */
	pthread_cond_t room;  /* an item was taken or finished */
	pthread_cond_t offs;  /* offsets advanced, or failed */
	item *q;
	size_t cap, head, len, busy;
	/* Threads waiting on each condition: signals only when someone
	 * waits, which spares most futex calls. */
	int idle, walker_waits, offs_waits;
	int closing, failed;
	arca_error err;       /* the first failure */
	uint64_t files, bytes;
} pool;

typedef struct worker {
	pool *p;
	pthread_t th;
	ZSTD_DCtx *dctx;
	arca_buf frame, out;
	arca_error err;
} worker;

typedef struct walker {
	pool *p;
	const arca_restore_opts *opts;
	arca_buf path;        /* snapshot path of the current entry */
	arca_restore_stats st;
	int64_t tick;
	int warned_lock;
} walker;

static int pool_fail(pool *p, int rc, const arca_error *e)
{
	pthread_mutex_lock(&p->mu);
	if (!p->failed) {
		p->failed = 1;
		p->err = *e;
		p->err.code = rc;
	}
	pthread_cond_broadcast(&p->work);
	pthread_cond_broadcast(&p->room);
	pthread_cond_broadcast(&p->offs);
	pthread_mutex_unlock(&p->mu);
	return rc;
}

static int pool_failed(pool *p)
{
	int rc;

	pthread_mutex_lock(&p->mu);
	rc = p->failed ? (p->err.code < 0 ? p->err.code : ARCA_ERROR) : 0;
	pthread_mutex_unlock(&p->mu);
	return rc;
}

static int sys_fail(pool *p, int errnum, const char *what, const char *path)
{
	arca_error e = ARCA_ERROR_INIT;

	arca_error_set_errno(&e, ARCA_ERROR, errnum, "restoring '%s': %s",
		path, what);
	return pool_fail(p, ARCA_ERROR, &e);
}

static void to_timespec(struct timespec ts[2], int64_t ns)
{
	int64_t s = ns / 1000000000, r = ns % 1000000000;

	if (r < 0) {
		r += 1000000000;
		s--;
	}
	ts[0].tv_sec = ts[1].tv_sec = (time_t)s;
	ts[0].tv_nsec = ts[1].tv_nsec = (long)r;
}

/* --- files and their chunks --- */

static int finish_file(pool *p, rfile *f, int failed)
{
	struct timespec ts[2];
	arca_error e = ARCA_ERROR_INIT;
	int rc = 0, fd = f->fd;

	if (failed)
		goto done;
	if (f->known != f->nchunks || f->off[f->nchunks] != f->size) {
		arca_error_set(&e, ARCA_ECORRUPT, "restoring '%s': content is "
			"%llu bytes, the snapshot records %llu", f->path,
			(unsigned long long)f->off[f->known],
			(unsigned long long)f->size);
		rc = pool_fail(p, ARCA_ECORRUPT, &e);
		goto done;
	}
	to_timespec(ts, f->mtime_ns);
	if (fchmod(fd, f->mode & 07777) < 0)
		rc = sys_fail(p, errno, "cannot set its mode", f->path);
	else if (futimens(fd, ts) < 0)
		rc = sys_fail(p, errno, "cannot set its mtime", f->path);
done:
	f->fd = -1;
	if (close(fd) < 0 && rc == 0 && !failed)
		rc = sys_fail(p, errno, "cannot close it", f->path);
	return rc;
}

static void free_file(rfile *f)
{
	if (f->fd >= 0)
		close(f->fd);
	free(f->off);
	free(f->len);
	free(f);
}

/* Drops n references to f (and counts bytes written); the last one
 * finishes and frees the file. */
static void release(pool *p, rfile *f, size_t n, uint64_t bytes)
{
	int last, failed;

	pthread_mutex_lock(&p->mu);
	p->bytes += bytes;
	f->refs -= n;
	last = f->refs == 0;
	failed = p->failed;
	pthread_mutex_unlock(&p->mu);
	if (!last)
		return;
	if (finish_file(p, f, failed) == 0 && !failed) {
		pthread_mutex_lock(&p->mu);
		p->files++;
		pthread_mutex_unlock(&p->mu);
	}
	free_file(f);
}

/* Records chunk idx's size and advances the known offsets. */
static void publish(pool *p, rfile *f, size_t idx, uint64_t size)
{
	pthread_mutex_lock(&p->mu);
	f->len[idx] = size;
	while (f->known < f->nchunks && f->len[f->known] != UINT64_MAX) {
		f->off[f->known + 1] = f->off[f->known] + f->len[f->known];
		f->known++;
	}
	if (p->offs_waits)
		pthread_cond_broadcast(&p->offs);
	pthread_mutex_unlock(&p->mu);
}

static int wait_offset(pool *p, rfile *f, size_t idx, uint64_t *off)
{
	int rc = 0;

	pthread_mutex_lock(&p->mu);
	while (f->known < idx && !p->failed) {
		p->offs_waits++;
		pthread_cond_wait(&p->offs, &p->mu);
		p->offs_waits--;
	}
	if (p->failed)
		rc = p->err.code < 0 ? p->err.code : ARCA_ERROR;
	else
		*off = f->off[idx];
	pthread_mutex_unlock(&p->mu);
	return rc;
}

static int write_at(rfile *f, const unsigned char *data, size_t len,
	uint64_t off, arca_error *err)
{
	while (len) {
		ssize_t n = pwrite(f->fd, data, len, (off_t)off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return arca_error_set_errno(err, ARCA_ERROR, errno,
				"restoring '%s': cannot write", f->path);
		data += n;
		len -= (size_t)n;
		off += (uint64_t)n;
	}
	return 0;
}

static int run_item(worker *w, const item *it)
{
	pool *p = w->p;
	rfile *f = it->f;
	unsigned long long size;
	uint64_t off = 0;
	int rc;

	if ((rc = arca_restore__get(&w->frame, p->r, &it->id, f->path,
		&w->err)) < 0)
		return rc;
	size = ZSTD_getFrameContentSize(w->frame.data, w->frame.len);
	if (size == ZSTD_CONTENTSIZE_UNKNOWN ||
		size == ZSTD_CONTENTSIZE_ERROR) {
		/* Let decode say what is wrong with the frame. */
		rc = arca_restore__decode(&w->out, &w->frame, &it->id, f->path,
			w->dctx, &w->err);
		return rc < 0 ? rc : arca_error_set(&w->err, ARCA_ECORRUPT,
			"restoring '%s': chunk has no content size", f->path);
	}
	publish(p, f, it->idx, size);
	if ((rc = arca_restore__decode(&w->out, &w->frame, &it->id, f->path,
		w->dctx, &w->err)) < 0 ||
		(rc = wait_offset(p, f, it->idx, &off)) < 0)
		return rc;
	if (off > f->size || w->out.len > f->size - off)
		return arca_error_set(&w->err, ARCA_ECORRUPT, "restoring '%s': "
			"content is longer than the %llu bytes the snapshot "
			"records", f->path, (unsigned long long)f->size);
	return write_at(f, w->out.data, w->out.len, off, &w->err);
}

static void *worker_main(void *arg)
{
	worker *w = arg;
	pool *p = w->p;
	item it;
	int rc, skip;

	pthread_mutex_lock(&p->mu);
	for (;;) {
		while (!p->len && !p->closing) {
			p->idle++;
			pthread_cond_wait(&p->work, &p->mu);
			p->idle--;
		}
		if (!p->len)
			break;
		it = p->q[p->head];
		p->head = (p->head + 1) % p->cap;
		p->len--;
		p->busy++;
		skip = p->failed;
		if (p->walker_waits)
			pthread_cond_signal(&p->room);
		pthread_mutex_unlock(&p->mu);
		w->out.len = 0;
		rc = skip ? 0 : run_item(w, &it);
		if (rc < 0)
			pool_fail(p, rc, &w->err);
		release(p, it.f, 1, rc == 0 && !skip ? w->out.len : 0);
		pthread_mutex_lock(&p->mu);
		p->busy--;
		if (p->walker_waits)
			pthread_cond_signal(&p->room);
	}
	pthread_mutex_unlock(&p->mu);
	return NULL;
}

/* --- the walker --- */

/* Progress and the repository lock's expiry (at most every 100 ms unless
 * forced). Called without p->mu held. */
static void heartbeat(walker *wk, int force)
{
	arca_error e = ARCA_ERROR_INIT;
	uint64_t files, bytes;

	if (!arca_restore__tick(&wk->tick) && !force)
		return;
	if (arca_repo_lock_refresh(wk->p->r, &e) < 0 && !wk->warned_lock &&
		wk->opts->warn) {
		wk->warned_lock = 1;
		wk->opts->warn("", e.msg, wk->opts->payload);
	}
	if (!wk->opts->progress)
		return;
	pthread_mutex_lock(&wk->p->mu);
	files = wk->p->files;
	bytes = wk->p->bytes;
	pthread_mutex_unlock(&wk->p->mu);
	wk->opts->progress(files, bytes, wk->opts->payload);
}

/* Waits on cond for up to 100 ms (p->mu held), with a heartbeat when one
 * is due. */
static void wait_beat(walker *wk, pthread_cond_t *cond)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	ts.tv_nsec += 100000000;
	if (ts.tv_nsec >= 1000000000) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000;
	}
	wk->p->walker_waits++;
	pthread_cond_timedwait(cond, &wk->p->mu, &ts);
	wk->p->walker_waits--;
	if (arca_restore__tick(&wk->tick)) {
		pthread_mutex_unlock(&wk->p->mu);
		heartbeat(wk, 1);
		pthread_mutex_lock(&wk->p->mu);
	}
}

static int enqueue(walker *wk, rfile *f, size_t idx, const arca_id *id)
{
	pool *p = wk->p;
	int rc = 0;

	pthread_mutex_lock(&p->mu);
	while (p->len == p->cap && !p->failed)
		wait_beat(wk, &p->room);
	if (p->failed) {
		rc = p->err.code < 0 ? p->err.code : ARCA_ERROR;
	} else {
		item *it = &p->q[(p->head + p->len) % p->cap];
		it->f = f;
		it->idx = idx;
		it->id = *id;
		p->len++;
		if (p->idle)
			pthread_cond_signal(&p->work);
	}
	pthread_mutex_unlock(&p->mu);
	return rc;
}

/* Removes whatever is at name (the link itself for a symlink; an empty
 * directory) so a new entry can take its place. */
static int clear_name(walker *wk, int dfd, const char *name, const char *path)
{
	arca_error e = ARCA_ERROR_INIT;

	if (unlinkat(dfd, name, 0) == 0 || errno == ENOENT)
		return 0;
	if (errno != EISDIR && errno != EPERM)
		return sys_fail(wk->p, errno, "cannot remove what is there",
			path);
	if (unlinkat(dfd, name, AT_REMOVEDIR) == 0 || errno == ENOENT)
		return 0;
	if (errno != ENOTEMPTY && errno != EEXIST)
		return sys_fail(wk->p, errno, "cannot remove the directory "
			"there", path);
	arca_error_set(&e, ARCA_EEXISTS, "restoring '%s': a non-empty "
		"directory is in the way", path);
	return pool_fail(wk->p, ARCA_EEXISTS, &e);
}

static int create_file(walker *wk, int dfd, const char *name,
	const char *path)
{
	int fd, rc;

	for (int tries = 0; tries < 3; tries++) {
		fd = openat(dfd, name, O_WRONLY | O_CREAT | O_EXCL |
			O_NOFOLLOW | O_CLOEXEC, 0600);
		if (fd >= 0)
			return fd;
		if (errno != EEXIST)
			return sys_fail(wk->p, errno, "cannot create it", path);
		if ((rc = clear_name(wk, dfd, name, path)) < 0)
			return rc;
	}
	return sys_fail(wk->p, EEXIST, "cannot create it", path);
}

static rfile *new_file(const arca_node *n, const char *path)
{
	size_t plen = strlen(path) + 1;
	rfile *f = calloc(1, sizeof(*f) + plen);

	if (!f)
		return NULL;
	memcpy(f->path, path, plen);
	f->fd = -1;
	f->mode = n->mode;
	f->mtime_ns = n->mtime_ns;
	f->size = n->size;
	f->nchunks = n->nchunks;
	f->refs = n->nchunks;
	f->off = calloc(n->nchunks + 1, sizeof(*f->off));
	f->len = malloc((n->nchunks ? n->nchunks : 1) * sizeof(*f->len));
	if (!f->off || !f->len) {
		free_file(f);
		return NULL;
	}
	for (size_t i = 0; i < n->nchunks; i++)
		f->len[i] = UINT64_MAX;
	return f;
}

static int restore_file(walker *wk, int dfd, const arca_node *n,
	const char *path)
{
	arca_error e = ARCA_ERROR_INIT;
	rfile *f;
	int rc;

	if (!(f = new_file(n, path))) {
		arca_error_set(&e, ARCA_ERROR, "out of memory");
		return pool_fail(wk->p, ARCA_ERROR, &e);
	}
	if ((f->fd = create_file(wk, dfd, n->name, path)) < 0) {
		rc = f->fd;
		f->fd = -1;
		free_file(f);
		return rc;
	}
	wk->st.files++;
	if (!n->nchunks) {
		f->refs = 1;
		release(wk->p, f, 1, 0);
		return pool_failed(wk->p);
	}
	for (size_t i = 0; i < n->nchunks; i++) {
		if ((rc = enqueue(wk, f, i, &n->chunks[i])) < 0) {
			release(wk->p, f, n->nchunks - i, 0);
			return rc;
		}
	}
	return 0;
}

static int restore_link(walker *wk, int dfd, const arca_node *n,
	const char *path)
{
	struct timespec ts[2];
	int rc;

	for (int tries = 0;; tries++) {
		if (symlinkat(n->target, dfd, n->name) == 0)
			break;
		if (errno != EEXIST || tries == 2)
			return sys_fail(wk->p, errno, "cannot create the "
				"symlink", path);
		if ((rc = clear_name(wk, dfd, n->name, path)) < 0)
			return rc;
	}
	to_timespec(ts, n->mtime_ns);
	if (utimensat(dfd, n->name, ts, AT_SYMLINK_NOFOLLOW) < 0)
		return sys_fail(wk->p, errno, "cannot set the symlink's mtime",
			path);
	wk->st.symlinks++;
	return 0;
}

/* Creates (or reuses, if it is a real directory) and opens a directory. */
static int open_dir(walker *wk, int dfd, const char *name, const char *path)
{
	struct stat st;
	int fd, rc;

	for (int tries = 0; tries < 3; tries++) {
		if (mkdirat(dfd, name, 0700) < 0 && errno != EEXIST)
			return sys_fail(wk->p, errno, "cannot create the "
				"directory", path);
		fd = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
			O_CLOEXEC);
		if (fd >= 0) {
			/* A reused directory must let us add entries. */
			if (fstat(fd, &st) == 0 && (st.st_mode & 0700) != 0700)
				(void)fchmod(fd, (st.st_mode & 07777) | 0700);
			return fd;
		}
		if (errno != ENOTDIR && errno != ELOOP && errno != ENOENT)
			return sys_fail(wk->p, errno, "cannot open the "
				"directory", path);
		/* A file or symlink is in the way: remove it (a link, not
		 * its target). */
		if ((rc = clear_name(wk, dfd, name, path)) < 0)
			return rc;
	}
	return sys_fail(wk->p, EEXIST, "cannot create the directory", path);
}

static int restore_tree(walker *wk, int dfd, const arca_id *id);

static int restore_dir(walker *wk, int dfd, const arca_node *n,
	const char *path)
{
	struct timespec ts[2];
	int fd, rc;

	if ((fd = open_dir(wk, dfd, n->name, path)) < 0)
		return fd;
	wk->st.dirs++;
	/* After its contents: they change its mtime, its mode may forbid
	 * adding them. Files still being written do not matter. */
	if ((rc = restore_tree(wk, fd, &n->tree)) == 0) {
		to_timespec(ts, n->mtime_ns);
		if (fchmod(fd, n->mode & 07777) < 0)
			rc = sys_fail(wk->p, errno, "cannot set its mode",
				path);
		else if (futimens(fd, ts) < 0)
			rc = sys_fail(wk->p, errno, "cannot set its mtime",
				path);
	}
	close(fd);
	return rc;
}

static int restore_node(walker *wk, int dfd, const arca_node *n)
{
	char d[ARCA_RESTORE_DISP];
	const char *path = arca_restore__disp(d, (const char *)wk->path.data,
		wk->path.len);
	int rc;

	if ((rc = pool_failed(wk->p)) < 0)
		return rc;
	heartbeat(wk, 0);
	switch (n->type) {
	case ARCA_ENTRY_FILE:
		return restore_file(wk, dfd, n, path);
	case ARCA_ENTRY_SYMLINK:
		return restore_link(wk, dfd, n, path);
	case ARCA_ENTRY_DIR:
		return restore_dir(wk, dfd, n, path);
	}
	return 0;
}

static int restore_tree(walker *wk, int dfd, const arca_id *id)
{
	arca_tree t = ARCA_TREE_INIT;
	arca_error e = ARCA_ERROR_INIT;
	size_t base = wk->path.len;
	int rc;

	if ((rc = arca_tree_load(&t, wk->p->r, id, &e)) < 0)
		return pool_fail(wk->p, rc, &e);
	for (size_t i = 0; i < t.n && rc == 0; i++) {
		const arca_node *n = &t.nodes[i];
		wk->path.len = base;
		if ((base && arca_buf_put(&wk->path, "/", 1) < 0) ||
			arca_buf_put(&wk->path, n->name, n->name_len) < 0) {
			arca_error_set(&e, ARCA_ERROR, "out of memory");
			rc = pool_fail(wk->p, ARCA_ERROR, &e);
			break;
		}
		rc = restore_node(wk, dfd, n);
	}
	wk->path.len = base;
	arca_tree_dispose(&t);
	return rc;
}

/* --- setup --- */

/* mkdir -p target, then opens it (the target itself may be a symlink the
 * caller chose; nothing below it is followed). */
static int open_target(int *out, const char *target, arca_error *err)
{
	int fd;

	if (arca_fs_mkdirs(target) < 0)
		return arca_error_set_errno(err, ARCA_ERROR, errno,
			"cannot create '%s'", target);
	if ((fd = open(target, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
		return arca_error_set_errno(err, ARCA_ERROR, errno,
			"cannot open '%s'", target);
	*out = fd;
	return 0;
}

static int pool_init(pool *p, arca_repo *r, int nthreads)
{
	pthread_condattr_t ca;

	memset(p, 0, sizeof(*p));
	p->r = r;
	p->cap = (size_t)nthreads * 2;
	if (!(p->q = calloc(p->cap, sizeof(*p->q))))
		return ARCA_ERROR;
	pthread_mutex_init(&p->mu, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&p->work, &ca);
	pthread_cond_init(&p->room, &ca);
	pthread_cond_init(&p->offs, &ca);
	pthread_condattr_destroy(&ca);
	return 0;
}

static void pool_dispose(pool *p)
{
	pthread_cond_destroy(&p->work);
	pthread_cond_destroy(&p->room);
	pthread_cond_destroy(&p->offs);
	pthread_mutex_destroy(&p->mu);
	free(p->q);
}

static int start_workers(worker *ws, int n, pool *p, arca_error *err)
{
	for (int i = 0; i < n; i++) {
		worker *w = &ws[i];
		w->p = p;
		if (!(w->dctx = ZSTD_createDCtx()) ||
			pthread_create(&w->th, NULL, worker_main, w) != 0) {
			ZSTD_freeDCtx(w->dctx);
			w->dctx = NULL;
			return arca_error_set(err, ARCA_ERROR,
				"cannot start restore threads");
		}
	}
	return 0;
}

/* Waits for queued work to finish (with heartbeats), then stops and
 * joins the workers that were started. */
static void stop_workers(walker *wk, worker *ws, int n)
{
	pool *p = wk->p;

	pthread_mutex_lock(&p->mu);
	while (p->len || p->busy)
		wait_beat(wk, &p->room);
	p->closing = 1;
	pthread_cond_broadcast(&p->work);
	pthread_mutex_unlock(&p->mu);
	for (int i = 0; i < n; i++) {
		if (!ws[i].dctx)
			continue;
		pthread_join(ws[i].th, NULL);
		ZSTD_freeDCtx(ws[i].dctx);
		arca_buf_dispose(&ws[i].frame);
		arca_buf_dispose(&ws[i].out);
	}
}

static int run(walker *wk, const arca_restore_root *root, int tfd,
	int nthreads, arca_error *err)
{
	worker *ws = calloc((size_t)nthreads, sizeof(*ws));
	arca_error e = ARCA_ERROR_INIT;
	int rc;

	if (!ws)
		return arca_error_set(err, ARCA_ERROR, "out of memory");
	if ((rc = start_workers(ws, nthreads, wk->p, &e)) < 0)
		pool_fail(wk->p, rc, &e);
	else if (arca_buf_puts(&wk->path, root->path) < 0)
		pool_fail(wk->p, arca_error_set(&e, ARCA_ERROR,
			"out of memory"), &e);
	else if (root->single)
		restore_node(wk, tfd, &root->node);
	else
		restore_tree(wk, tfd, &root->tree);
	stop_workers(wk, ws, nthreads);
	heartbeat(wk, 1);
	free(ws);
	if (!wk->p->failed)
		return 0;
	rc = wk->p->err.code < 0 ? wk->p->err.code : ARCA_ERROR;
	if (err)
		*err = wk->p->err;
	return rc;
}

int arca_restore_dir(arca_restore_stats *stats, arca_repo *r,
	const arca_id *snapshot, const char *subpath, const char *target,
	const arca_restore_opts *opts, arca_error *err)
{
	arca_restore_opts none = ARCA_RESTORE_OPTS_INIT;
	arca_restore_root root;
	walker wk;
	pool p;
	int rc, tfd = -1, nthreads;

	if (!opts)
		opts = &none;
	if (!target || !*target)
		return arca_error_set(err, ARCA_EINVALID,
			"no target directory given");
	if ((rc = arca_restore__find(&root, r, snapshot, subpath, err)) < 0)
		return rc;
	if ((rc = arca_restore__check(r, &root, err)) < 0 ||
		(rc = open_target(&tfd, target, err)) < 0)
		goto done;
	nthreads = arca_restore__threads(opts);
	if (pool_init(&p, r, nthreads) < 0) {
		rc = arca_error_set(err, ARCA_ERROR, "out of memory");
		goto done;
	}
	memset(&wk, 0, sizeof(wk));
	wk.p = &p;
	wk.opts = opts;
	rc = run(&wk, &root, tfd, nthreads, err);
	wk.st.bytes = p.bytes;
	if (rc == 0 && stats)
		*stats = wk.st;
	arca_buf_dispose(&wk.path);
	pool_dispose(&p);
done:
	if (tfd >= 0)
		close(tfd);
	arca_restore__root_dispose(&root);
	return rc;
}
