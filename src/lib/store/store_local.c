/*
 * The local-directory store: each key is a file under the root directory.
 * A value is written to a temp file ".tmp-<random>" beside its key, made
 * durable, then renamed over the key, and the directory is synced, so a
 * key is never visible with partial or non-durable content. Every access
 * goes through an O_DIRECTORY fd of the root and the *at() calls.
 *
 * ARCA_STORE_PUT_DEFER puts write their temp file without syncing it and
 * are staged; flush() makes the whole batch durable with one syncfs(),
 * renames every temp to its key, then syncs the directory entries.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include "store/store.h"

#define TMP_PREFIX ".tmp-"
#define TMP_PREFIX_LEN (sizeof(TMP_PREFIX) - 1)
/* Room for "DIR/" TMP_PREFIX "<16 hex>" beside any valid key. */
#define KEY_MAX (PATH_MAX - 64)
/* list() recursion limit, a guard against symlink loops. */
#define LIST_MAX_DEPTH 64

typedef struct staged {
	char *tmp; /* temp file, relative to the root */
	char *key;
	dev_t dev; /* filesystem the temp file is on */
} staged;

typedef struct local_store {
	arca_store parent;
	char *root; /* absolute path of the root directory */
	char *url;  /* "file://" root */
	int dirfd;
	pthread_mutex_t lock;       /* protects the staged list */
	pthread_mutex_t flush_lock; /* one flush at a time */
	staged *staged;
	size_t nstaged, cap;
} local_store;

static int oom(arca_error *err)
{
	return arca_error_set(err, ARCA_ERROR, "out of memory");
}

/* Why key[0, len) is not a valid key here, or NULL. */
static const char *bad_key(const char *key, size_t len)
{
	return arca_store_bad_key(key, len, KEY_MAX, 0);
}

static int check_key(const char *key, arca_error *err)
{
	const char *why;

	if (!key)
		key = "";
	why = bad_key(key, strlen(key));
	if (why)
		return arca_error_set(err, ARCA_EINVALID,
			"invalid store key '%s': %s", key, why);
	return 0;
}

static int not_found(const char *key, arca_error *err)
{
	return arca_error_set(err, ARCA_ENOTFOUND, "key '%s' not found", key);
}

static int io_error(local_store *ls, const char *what, const char *rel,
	int errnum, arca_error *err)
{
	return arca_error_set_errno(err, ARCA_ERROR, errnum,
		"cannot %s '%s%s%s'", what, ls->root, *rel ? "/" : "", rel);
}

static int is_missing(int errnum)
{
	return errnum == ENOENT || errnum == ENOTDIR;
}

static int write_all(int fd, const unsigned char *p, size_t len)
{
	ssize_t n;

	while (len) {
		n = write(fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			if (!n)
				errno = EIO;
			return -1;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Puts "DIR/.tmp-<random>" for key's directory into buf (PATH_MAX). */
static void tmp_name(char *buf, const char *key)
{
	const char *slash = strrchr(key, '/');
	int dlen = slash ? (int)(slash - key + 1) : 0;
	uint64_t r;

	if (getrandom(&r, sizeof(r), GRND_NONBLOCK) != (ssize_t)sizeof(r)) {
		/* Not secret, only unlikely to collide; O_EXCL retries. */
		struct timespec ts;

		clock_gettime(CLOCK_MONOTONIC, &ts);
		r = ((uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec) ^
			((uint64_t)gettid() << 40) ^ (uint64_t)(uintptr_t)&ts;
	}
	snprintf(buf, PATH_MAX, "%.*s" TMP_PREFIX "%016llx", dlen, key,
		(unsigned long long)r);
}

/* mkdir -p of the directories in key (not the last component). */
static int make_dirs(local_store *ls, const char *key, arca_error *err)
{
	char dir[PATH_MAX];
	const char *p;
	size_t n;

	for (p = key; (p = strchr(p, '/')) != NULL; p++) {
		n = (size_t)(p - key);
		memcpy(dir, key, n);
		dir[n] = '\0';
		/* EEXIST: made before, or by a concurrent put. */
		if (mkdirat(ls->dirfd, dir, 0777) < 0 && errno != EEXIST)
			return io_error(ls, "create directory", dir, errno,
				err);
	}
	return 0;
}

/* Creates a fresh temp file beside key into tmp (PATH_MAX), making key's
 * directories when missing (then *made_dirs is set). Returns the fd. */
static int open_tmp(local_store *ls, const char *key, char *tmp,
	int *made_dirs, arca_error *err)
{
	int fd, rc, tries;

	for (tries = 0; tries < 16; tries++) {
		tmp_name(tmp, key);
		fd = openat(ls->dirfd, tmp, O_WRONLY | O_CREAT | O_EXCL |
			O_CLOEXEC, 0666);
		if (fd >= 0)
			return fd;
		if (errno == EEXIST)
			continue;
		if (errno != ENOENT || !strchr(key, '/'))
			break;
		if ((rc = make_dirs(ls, key, err)) < 0)
			return rc;
		*made_dirs = 1;
	}
	return io_error(ls, "create", tmp, errno, err);
}

/* Writes data to fd, fsyncs it if sync, and closes it; *dev is set to
 * the filesystem it is on. */
static int write_tmp(local_store *ls, int fd, const char *tmp,
	const void *data, size_t len, int sync, dev_t *dev, arca_error *err)
{
	struct stat st;
	int rc = 0;

	if (write_all(fd, data, len) < 0)
		rc = io_error(ls, "write", tmp, errno, err);
	else if (sync && fsync(fd) < 0)
		rc = io_error(ls, "sync", tmp, errno, err);
	else if (fstat(fd, &st) < 0)
		rc = io_error(ls, "stat", tmp, errno, err);
	else
		*dev = st.st_dev;
	if (close(fd) < 0 && !rc)
		rc = io_error(ls, "write", tmp, errno, err);
	return rc;
}

static int sync_dir(local_store *ls, const char *dir, arca_error *err)
{
	int fd, rc = 0;

	fd = openat(ls->dirfd, *dir ? dir : ".", O_RDONLY | O_DIRECTORY |
		O_CLOEXEC);
	if (fd < 0)
		return io_error(ls, "open directory", dir, errno, err);
	if (fsync(fd) < 0)
		rc = io_error(ls, "sync directory", dir, errno, err);
	close(fd);
	return rc;
}

/* Syncs the directory holding key and, with ancestors set (directories
 * were just made), every directory above it up to the root. */
static int sync_parents(local_store *ls, const char *key, int ancestors,
	arca_error *err)
{
	char dir[PATH_MAX];
	char *slash;
	int rc;

	snprintf(dir, sizeof(dir), "%s", key);
	do {
		slash = strrchr(dir, '/');
		if (slash)
			*slash = '\0';
		else
			dir[0] = '\0';
		if ((rc = sync_dir(ls, dir, err)) < 0)
			return rc;
	} while (ancestors && slash);
	return 0;
}

/* Links tmp to key, failing with ARCA_EEXISTS if key exists; tmp is
 * removed on success. */
static int publish_exclusive(local_store *ls, const char *tmp,
	const char *key, arca_error *err)
{
	int e;

	if (!linkat(ls->dirfd, tmp, ls->dirfd, key, 0)) {
		unlinkat(ls->dirfd, tmp, 0);
		return 0;
	}
	e = errno;
	if (e == EPERM || e == EOPNOTSUPP || e == ENOSYS) {
		/* No hard links here (FAT, some network filesystems). */
		if (!renameat2(ls->dirfd, tmp, ls->dirfd, key,
				RENAME_NOREPLACE))
			return 0;
		e = errno;
	}
	if (e == EEXIST)
		return arca_error_set(err, ARCA_EEXISTS,
			"key '%s' already exists", key);
	return arca_error_set_errno(err, ARCA_ERROR, e,
		"cannot link '%s/%s' to '%s'", ls->root, tmp, key);
}

static int stage(local_store *ls, const char *tmp, const char *key,
	dev_t dev, arca_error *err)
{
	staged e = { strdup(tmp), strdup(key), dev };
	staged *p;
	int rc = 0;

	pthread_mutex_lock(&ls->lock);
	if (ls->nstaged == ls->cap) {
		p = realloc(ls->staged, (ls->cap * 2 + 64) * sizeof(*p));
		if (p) {
			ls->staged = p;
			ls->cap = ls->cap * 2 + 64;
		}
	}
	if (!e.tmp || !e.key || ls->nstaged == ls->cap)
		rc = oom(err);
	else
		ls->staged[ls->nstaged++] = e;
	pthread_mutex_unlock(&ls->lock);
	if (rc < 0) {
		free(e.tmp);
		free(e.key);
	}
	return rc;
}

/*
 * EXCLUSIVE wins over DEFER: its answer (EEXISTS or not) must be atomic
 * and final now, so such a put is always durable at once.
 */
static int local_put(arca_store *s, const char *key, const void *data,
	size_t len, unsigned flags, arca_error *err)
{
	local_store *ls = (local_store *)s;
	char tmp[PATH_MAX];
	int fd, rc, made_dirs = 0, defer;
	dev_t dev = 0;

	if ((rc = check_key(key, err)) < 0)
		return rc;
	defer = (flags & ARCA_STORE_PUT_DEFER) &&
		!(flags & ARCA_STORE_PUT_EXCLUSIVE);
	if ((fd = open_tmp(ls, key, tmp, &made_dirs, err)) < 0)
		return fd;
	if ((rc = write_tmp(ls, fd, tmp, data, len, !defer, &dev, err)) < 0)
		goto fail;
	if (defer)
		rc = stage(ls, tmp, key, dev, err);
	else if (flags & ARCA_STORE_PUT_EXCLUSIVE)
		rc = publish_exclusive(ls, tmp, key, err);
	else if (renameat(ls->dirfd, tmp, ls->dirfd, key) < 0)
		rc = arca_error_set_errno(err, ARCA_ERROR, errno,
			"cannot rename '%s/%s' to '%s'", ls->root, tmp, key);
	if (rc < 0)
		goto fail;
	return defer ? 0 : sync_parents(ls, key, made_dirs, err);
fail:
	unlinkat(ls->dirfd, tmp, 0);
	return rc;
}

/* Reads n bytes at off from fd, appending to out. */
static int read_range(local_store *ls, int fd, const char *key,
	arca_buf *out, uint64_t off, size_t n, arca_error *err)
{
	size_t got = 0;
	ssize_t r;

	if (arca_buf_grow(out, n) < 0)
		return oom(err);
	while (got < n) {
		r = pread(fd, out->data + out->len + got, n - got,
			(off_t)(off + got));
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			out->data[out->len] = '\0';
			return io_error(ls, "read", key, errno, err);
		}
		if (!r)
			break; /* cannot happen: values are never rewritten */
		got += (size_t)r;
	}
	out->len += got;
	out->data[out->len] = '\0';
	return 0;
}

static int local_get(arca_store *s, arca_buf *out, const char *key,
	uint64_t off, uint64_t len, arca_error *err)
{
	local_store *ls = (local_store *)s;
	struct stat st;
	uint64_t size, n = 0;
	int fd, rc;

	if ((rc = check_key(key, err)) < 0)
		return rc;
	fd = openat(ls->dirfd, key, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return is_missing(errno) ? not_found(key, err) :
			io_error(ls, "open", key, errno, err);
	if (fstat(fd, &st) < 0) {
		rc = io_error(ls, "stat", key, errno, err);
		goto done;
	}
	if (!S_ISREG(st.st_mode)) {
		rc = not_found(key, err);
		goto done;
	}
	size = (uint64_t)st.st_size;
	if (off < size)
		n = len < size - off ? len : size - off;
	if (n > SIZE_MAX / 2) {
		rc = oom(err);
		goto done;
	}
	rc = read_range(ls, fd, key, out, off, (size_t)n, err);
done:
	close(fd);
	return rc;
}

static int local_stat(arca_store *s, const char *key, arca_store_info *out,
	arca_error *err)
{
	local_store *ls = (local_store *)s;
	struct stat st;
	int rc;

	if ((rc = check_key(key, err)) < 0)
		return rc;
	if (fstatat(ls->dirfd, key, &st, 0) < 0)
		return is_missing(errno) ? not_found(key, err) :
			io_error(ls, "stat", key, errno, err);
	if (!S_ISREG(st.st_mode))
		return not_found(key, err);
	if (out) {
		out->size = (uint64_t)st.st_size;
		out->mtime_ns = (int64_t)st.st_mtim.tv_sec * 1000000000 +
			st.st_mtim.tv_nsec;
	}
	return 0;
}

static int local_del(arca_store *s, const char *key, arca_error *err)
{
	local_store *ls = (local_store *)s;
	int rc;

	if ((rc = check_key(key, err)) < 0)
		return rc;
	if (unlinkat(ls->dirfd, key, 0) < 0)
		return is_missing(errno) || errno == EISDIR ?
			not_found(key, err) :
			io_error(ls, "remove", key, errno, err);
	return 0;
}

typedef struct lister {
	local_store *ls;
	arca_store_list_cb cb;
	void *payload;
	arca_buf key; /* the key of the entry at hand */
	arca_error *err;
} lister;

static int list_dir(lister *l, int fd, const char *match, int depth);

/* Handles one directory entry whose name is already in l->key. */
static int list_entry(lister *l, int parent, const char *name, int depth)
{
	arca_store_info ast;
	struct stat st;
	int fd;

	if (fstatat(parent, name, &st, 0) < 0)
		return errno == ENOENT ? 0 : /* removed meanwhile */
			io_error(l->ls, "stat", arca_buf_cstr(&l->key), errno,
				l->err);
	if (S_ISREG(st.st_mode)) {
		ast.size = (uint64_t)st.st_size;
		ast.mtime_ns = (int64_t)st.st_mtim.tv_sec * 1000000000 +
			st.st_mtim.tv_nsec;
		return l->cb(arca_buf_cstr(&l->key), &ast, l->payload);
	}
	if (!S_ISDIR(st.st_mode))
		return 0;
	if (depth >= LIST_MAX_DEPTH)
		return arca_error_set(l->err, ARCA_ERROR,
			"cannot list '%s/%s': directories nested too deep",
			l->ls->root, arca_buf_cstr(&l->key));
	fd = openat(parent, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT ? 0 :
			io_error(l->ls, "open directory",
				arca_buf_cstr(&l->key), errno, l->err);
	if (arca_buf_put(&l->key, "/", 1) < 0) {
		close(fd);
		return oom(l->err);
	}
	return list_dir(l, fd, NULL, depth + 1);
}

/*
 * Lists the directory fd (taken over and closed) whose key prefix is in
 * l->key, visiting only names starting with match (all when NULL).
 */
static int list_dir(lister *l, int fd, const char *match, int depth)
{
	size_t base = l->key.len, mlen = match ? strlen(match) : 0;
	struct dirent *de;
	DIR *d;
	int rc = 0;

	if (!(d = fdopendir(fd))) {
		close(fd);
		return io_error(l->ls, "open directory",
			arca_buf_cstr(&l->key), errno, l->err);
	}
	while (errno = 0, (de = readdir(d)) != NULL) {
		const char *name = de->d_name;

		if (!strcmp(name, ".") || !strcmp(name, "..") ||
		    !strncmp(name, TMP_PREFIX, TMP_PREFIX_LEN) ||
		    (match && strncmp(name, match, mlen)))
			continue;
		l->key.len = base;
		if (arca_buf_puts(&l->key, name) < 0)
			rc = oom(l->err);
		else
			rc = list_entry(l, dirfd(d), name, depth);
		if (rc)
			break;
	}
	if (!de && errno && !rc)
		rc = io_error(l->ls, "read directory", arca_buf_cstr(&l->key),
			errno, l->err);
	closedir(d);
	l->key.len = base;
	if (l->key.data)
		l->key.data[base] = '\0';
	return rc;
}

static int local_list(arca_store *s, const char *prefix,
	arca_store_list_cb cb, void *payload, arca_error *err)
{
	lister l = { (local_store *)s, cb, payload, ARCA_BUF_INIT, err };
	const char *slash, *why = NULL;
	int fd, rc;

	if (!prefix)
		prefix = "";
	slash = strrchr(prefix, '/');
	if (*prefix == '/')
		why = "absolute";
	else if (slash)
		why = bad_key(prefix, (size_t)(slash - prefix));
	if (why)
		return arca_error_set(err, ARCA_EINVALID,
			"invalid store prefix '%s': %s", prefix, why);
	if (slash && arca_buf_put(&l.key, prefix,
			(size_t)(slash - prefix)) < 0)
		return oom(err);
	fd = openat(l.ls->dirfd, slash ? arca_buf_cstr(&l.key) : ".",
		O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0) {
		rc = is_missing(errno) ? 0 : io_error(l.ls, "open directory",
			arca_buf_cstr(&l.key), errno, err);
		goto done;
	}
	if (slash && arca_buf_put(&l.key, "/", 1) < 0) {
		close(fd);
		rc = oom(err);
		goto done;
	}
	rc = list_dir(&l, fd, slash ? slash + 1 : prefix, 0);
done:
	arca_buf_dispose(&l.key);
	return rc;
}

/* syncfs() of the filesystem holding rel. */
static int syncfs_at(local_store *ls, const char *rel)
{
	int fd, rc;

	fd = openat(ls->dirfd, rel, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	rc = syncfs(fd);
	close(fd);
	return rc;
}

/* Whether an entry before i is on the same filesystem as entry i. */
static int dev_seen(const staged *list, size_t i)
{
	for (size_t j = 0; j < i; j++)
		if (list[j].dev == list[i].dev)
			return 1;
	return 0;
}

/* Makes the staged temp files durable: one syncfs per filesystem, or an
 * fsync of each file when that fails. */
static int sync_staged(local_store *ls, const staged *list, size_t n,
	arca_error *err)
{
	size_t i;
	int fd, rc = 0;

	for (i = 0; i < n; i++)
		if (!dev_seen(list, i) && syncfs_at(ls, list[i].tmp) < 0)
			break;
	if (i == n)
		return 0;
	for (i = 0; i < n && !rc; i++) {
		fd = openat(ls->dirfd, list[i].tmp, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			return io_error(ls, "open", list[i].tmp, errno, err);
		if (fsync(fd) < 0)
			rc = io_error(ls, "sync", list[i].tmp, errno, err);
		close(fd);
	}
	return rc;
}

/* Makes the renames of the first n entries durable: one syncfs per
 * filesystem, or an fsync of each directory (and its parents, which may
 * be new) when that fails. */
static int sync_published(local_store *ls, const staged *list, size_t n,
	arca_error *err)
{
	const char *prev = NULL, *slash;
	size_t i, dlen = 0;
	int rc;

	for (i = 0; i < n; i++)
		if (!dev_seen(list, i) && syncfs_at(ls, list[i].key) < 0)
			break;
	if (i == n)
		return 0;
	for (i = 0; i < n; i++) {
		slash = strrchr(list[i].key, '/');
		if (prev && slash && (size_t)(slash - list[i].key) == dlen &&
		    !memcmp(prev, list[i].key, dlen))
			continue; /* same directory as the previous key */
		prev = list[i].key;
		dlen = slash ? (size_t)(slash - prev) : 0;
		if ((rc = sync_parents(ls, list[i].key, 1, err)) < 0)
			return rc;
	}
	return 0;
}

static int by_key(const void *a, const void *b)
{
	return strcmp(((const staged *)a)->key, ((const staged *)b)->key);
}

/* Renames staged temps to their keys; *done counts the ones renamed. */
static int publish_staged(local_store *ls, const staged *list, size_t n,
	size_t *done, arca_error *err)
{
	for (*done = 0; *done < n; (*done)++) {
		const staged *e = &list[*done];

		if (renameat(ls->dirfd, e->tmp, ls->dirfd, e->key) < 0)
			return arca_error_set_errno(err, ARCA_ERROR, errno,
				"cannot rename '%s/%s' to '%s'", ls->root,
				e->tmp, e->key);
	}
	return 0;
}

/* Puts entries a failed flush did not publish back on the staged list,
 * so that a later flush publishes them or free() removes them. */
static void restage(local_store *ls, staged *list, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (stage(ls, list[i].tmp, list[i].key, list[i].dev, NULL) < 0)
			unlinkat(ls->dirfd, list[i].tmp, 0);
		free(list[i].tmp);
		free(list[i].key);
	}
}

/*
 * Data first (syncfs), then the renames, then the directories: a key
 * never becomes visible before its content is durable. Duplicate keys in
 * one batch are renamed in put order (qsort is not stable, but such
 * values are identical: deferred keys are content-addressed).
 */
static int local_flush(arca_store *s, arca_error *err)
{
	local_store *ls = (local_store *)s;
	staged *list;
	size_t n, i, done = 0;
	int rc, rc2;

	pthread_mutex_lock(&ls->flush_lock);
	pthread_mutex_lock(&ls->lock);
	list = ls->staged;
	n = ls->nstaged;
	ls->staged = NULL;
	ls->nstaged = ls->cap = 0;
	pthread_mutex_unlock(&ls->lock);
	if (!n) {
		pthread_mutex_unlock(&ls->flush_lock);
		return 0;
	}
	qsort(list, n, sizeof(*list), by_key);
	rc = sync_staged(ls, list, n, err);
	if (!rc)
		rc = publish_staged(ls, list, n, &done, err);
	if (done && (rc2 = sync_published(ls, list, done, err)) < 0 && !rc)
		rc = rc2;
	for (i = 0; i < done; i++) {
		free(list[i].tmp);
		free(list[i].key);
	}
	restage(ls, list + done, n - done);
	free(list);
	pthread_mutex_unlock(&ls->flush_lock);
	return rc;
}

static const char *local_path(arca_store *s)
{
	return ((local_store *)s)->root;
}

/* Staged puts were never published: their temps are removed. */
static void local_free(arca_store *s)
{
	local_store *ls = (local_store *)s;
	size_t i;

	for (i = 0; i < ls->nstaged; i++) {
		unlinkat(ls->dirfd, ls->staged[i].tmp, 0);
		free(ls->staged[i].tmp);
		free(ls->staged[i].key);
	}
	free(ls->staged);
	close(ls->dirfd);
	pthread_mutex_destroy(&ls->lock);
	pthread_mutex_destroy(&ls->flush_lock);
	free(ls->root);
	free(ls->url);
	free(ls);
}

/* mkdir -p path; *made counts the directories created. */
static int mkdir_p(const char *path, int *made, arca_error *err)
{
	char dir[PATH_MAX];
	size_t n = strlen(path), i;
	char c;

	if (n >= sizeof(dir))
		return arca_error_set(err, ARCA_EINVALID,
			"invalid store path '%s': too long", path);
	memcpy(dir, path, n + 1);
	for (i = 1; i <= n; i++) {
		if ((dir[i] != '/' && dir[i] != '\0') || dir[i - 1] == '/')
			continue;
		c = dir[i];
		dir[i] = '\0';
		if (!mkdir(dir, 0777))
			(*made)++;
		else if (errno != EEXIST)
			return arca_error_set_errno(err, ARCA_ERROR, errno,
				"cannot create directory '%s'", dir);
		dir[i] = c;
	}
	return 0;
}

/* Syncs the parents of the root (as many as were made) so that the new
 * directories' entries are durable. */
static int sync_made(int fd, int made, const char *path, arca_error *err)
{
	int cur = fd, up, e;

	for (; made > 0; made--) {
		up = openat(cur, "..", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		e = errno;
		if (up >= 0 && fsync(up) < 0) {
			e = errno;
			close(up);
			up = -1;
		}
		if (cur != fd)
			close(cur);
		if (up < 0)
			return arca_error_set_errno(err, ARCA_ERROR, e,
				"cannot sync the parent of '%s'", path);
		cur = up;
	}
	if (cur != fd)
		close(cur);
	return 0;
}

static int open_root(const char *path, int create, arca_error *err)
{
	int fd, rc, made = 0;

	fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0 && errno == ENOENT && create) {
		if ((rc = mkdir_p(path, &made, err)) < 0)
			return rc;
		fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	}
	if (fd < 0 && errno == ENOENT)
		return arca_error_set(err, ARCA_ENOTFOUND,
			"store directory '%s' does not exist", path);
	if (fd < 0 && errno == ENOTDIR)
		return arca_error_set(err, ARCA_EINVALID,
			"store path '%s' is not a directory", path);
	if (fd < 0)
		return arca_error_set_errno(err, ARCA_ERROR, errno,
			"cannot open store directory '%s'", path);
	if (made && (rc = sync_made(fd, made, path, err)) < 0) {
		close(fd);
		return rc;
	}
	return fd;
}

static int init(local_store *ls, const char *path)
{
	size_t n;

	ls->root = realpath(path, NULL);
	if (!ls->root)
		ls->root = strdup(path);
	if (!ls->root)
		return -1;
	n = strlen(ls->root) + sizeof("file://");
	if (!(ls->url = malloc(n)))
		return -1;
	snprintf(ls->url, n, "file://%s", ls->root);
	if (pthread_mutex_init(&ls->lock, NULL))
		return -1;
	if (pthread_mutex_init(&ls->flush_lock, NULL)) {
		pthread_mutex_destroy(&ls->lock);
		return -1;
	}
	return 0;
}

int arca_store_local_new(arca_store **out, const char *path, int create,
	arca_error *err)
{
	local_store *ls;
	int fd;

	if (!path || !*path)
		return arca_error_set(err, ARCA_EINVALID,
			"invalid store path: empty");
	if ((fd = open_root(path, create, err)) < 0)
		return fd;
	if (!(ls = calloc(1, sizeof(*ls))) || init(ls, path) < 0) {
		if (ls) {
			free(ls->root);
			free(ls->url);
		}
		free(ls);
		close(fd);
		return oom(err);
	}
	ls->dirfd = fd;
	ls->parent.version = ARCA_STORE_VERSION;
	ls->parent.url = ls->url;
	ls->parent.lock_settle_ms = 0;
	ls->parent.put = local_put;
	ls->parent.get = local_get;
	ls->parent.stat = local_stat;
	ls->parent.list = local_list;
	ls->parent.del = local_del;
	ls->parent.flush = local_flush;
	ls->parent.local_path = local_path;
	ls->parent.free = local_free;
	*out = &ls->parent;
	return 0;
}
