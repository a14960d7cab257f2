/* Snapshot source: a directory tree or a single file on disk. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include "snapshot/snap.h"

static int64_t ts_ns(const struct timespec *ts)
{
	return (int64_t)ts->tv_sec * 1000000000 + ts->tv_nsec;
}

static ssize_t fd_read(void *src, void *buf, size_t len)
{
	return read(*(int *)src, buf, len);
}

typedef struct nodes {
	arca_node *v;
	size_t n, cap;
} nodes;

static arca_node *nodes_add(nodes *ns)
{
	if (ns->n == ns->cap) {
		size_t cap = ns->cap ? ns->cap * 2 : 16;
		arca_node *v = realloc(ns->v, cap * sizeof(*v));
		if (!v)
			return NULL;
		ns->v = v;
		ns->cap = cap;
	}
	memset(&ns->v[ns->n], 0, sizeof(arca_node));
	return &ns->v[ns->n++];
}

static void nodes_dispose(nodes *ns)
{
	for (size_t i = 0; i < ns->n; i++)
		arca_node_dispose(&ns->v[i]);
	free(ns->v);
}

static int unreadable(arca_snap *s, const char *path, int errnum)
{
	if (!s->o->skip_unreadable)
		return arca_error_set_errno(s->err, ARCA_ERROR, errnum,
			"cannot read '%s' (use --skip-unreadable to skip "
			"unreadable files)", path);
	arca_snap__warn(s, path, "skipped: %s", strerror(errnum));
	s->st.skipped++;
	return 1;
}

#define RACY_NS 2000000000LL /* 2 s: coarser than any timestamp clock */

/* Records one regular file; 1 when it was skipped. */
static int add_file(arca_snap *s, arca_node *node, int dirfd,
	const char *name, const char *path, const struct stat *st)
{
	arca_id *chunks = NULL;
	size_t n = 0;
	int fd, rc;

	s->st.files++;
	if (s->cache && arca_statcache_lookup(s->cache, path, st, &chunks,
		&n)) {
		node->chunks = chunks;
		node->nchunks = n;
		node->size = (uint64_t)st->st_size;
		s->st.files_cached++;
		s->st.bytes += node->size;
		return 0;
	}
	fd = openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0) {
		s->st.files--;
		return unreadable(s, path, errno);
	}
	posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
	rc = arca_snap__ingest(s, node, fd_read, &fd, (uint64_t)st->st_size,
		path);
	close(fd);
	if (rc < 0)
		return rc;
	s->st.bytes += node->size;
	/* A file written within the filesystem's timestamp granularity of
	 * our reading it could be written again without its mtime moving
	 * (git's "racy clean"): such files are not cached, so the next
	 * snapshot reads them again. */
	if (s->cache && node->size == (uint64_t)st->st_size &&
		ts_ns(&st->st_mtim) < s->start_ns - RACY_NS &&
		arca_statcache_add(s->cache, path, st, node->chunks,
			node->nchunks) < 0)
		return arca_error_set(s->err, ARCA_ERROR, "out of memory");
	return 0;
}

static int walk(arca_snap *s, arca_id *tree, int dirfd, arca_buf *path);

/* Fills node for the entry name of dirfd; 1 when it is skipped. */
static int add_entry(arca_snap *s, arca_node *node, int dirfd,
	const char *name, arca_buf *path)
{
	struct stat st;
	char target[4096];
	ssize_t n;
	int fd, rc;

	if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return errno == ENOENT ? 1 : unreadable(s, arca_buf_cstr(path),
			errno);
	node->mode = st.st_mode & 07777;
	node->mtime_ns = ts_ns(&st.st_mtim);
	if (S_ISREG(st.st_mode)) {
		node->type = ARCA_ENTRY_FILE;
		return add_file(s, node, dirfd, name, arca_buf_cstr(path), &st);
	}
	if (S_ISLNK(st.st_mode)) {
		node->type = ARCA_ENTRY_SYMLINK;
		n = readlinkat(dirfd, name, target, sizeof(target));
		if (n < 0 || (size_t)n >= sizeof(target))
			return unreadable(s, arca_buf_cstr(path),
				n < 0 ? errno : ENAMETOOLONG);
		if (!(node->target = malloc((size_t)n + 1)))
			return arca_error_set(s->err, ARCA_ERROR, "out of memory");
		memcpy(node->target, target, (size_t)n);
		node->target[n] = '\0';
		node->target_len = (size_t)n;
		s->st.symlinks++;
		return 0;
	}
	if (!S_ISDIR(st.st_mode)) {
		arca_snap__warn(s, arca_buf_cstr(path),
			"skipped: not a regular file, directory or symlink");
		s->st.skipped++;
		return 1;
	}
	node->type = ARCA_ENTRY_DIR;
	fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
		O_CLOEXEC);
	if (fd < 0)
		return unreadable(s, arca_buf_cstr(path), errno);
	rc = walk(s, &node->tree, fd, path);
	close(fd);
	return rc;
}

static int by_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Reads the names in dirfd (freshly opened: at offset 0), sorted.
 * getdents64 on the fd itself: a DIR stream would cost a dup, fcntls
 * and a close per directory, a fifth of an unchanged re-snapshot's
 * system calls. */
static int read_names(arca_snap *s, char ***out, size_t *count, int dirfd,
	const char *path)
{
	char buf[32768], **v = NULL;
	size_t n = 0, cap = 0;
	ssize_t got;

	while ((got = getdents64(dirfd, buf, sizeof(buf))) > 0) {
		for (ssize_t off = 0; off < got; ) {
			struct dirent64 *de = (struct dirent64 *)(buf + off);
			off += de->d_reclen;
			if (!strcmp(de->d_name, ".") ||
				!strcmp(de->d_name, ".."))
				continue;
			if (n == cap) {
				char **nv = realloc(v, (cap = cap ? cap * 2 :
					64) * sizeof(*v));
				if (!nv)
					goto oom;
				v = nv;
			}
			if (!(v[n] = strdup(de->d_name)))
				goto oom;
			n++;
		}
	}
	if (got < 0) {
		int e = errno;
		while (n)
			free(v[--n]);
		free(v);
		return unreadable(s, path, e);
	}
	if (n)
		qsort(v, n, sizeof(*v), by_name);
	*out = v;
	*count = n;
	return 0;
oom:
	while (n)
		free(v[--n]);
	free(v);
	return arca_error_set(s->err, ARCA_ERROR, "out of memory");
}

static int walk(arca_snap *s, arca_id *tree, int dirfd, arca_buf *path)
{
	nodes ns = { 0 };
	char **names = NULL;
	size_t count = 0, base = path->len;
	int rc;

	if ((rc = read_names(s, &names, &count, dirfd,
		arca_buf_cstr(path))) != 0)
		return rc;
	s->st.dirs++;
	for (size_t i = 0; i < count && rc >= 0; i++) {
		arca_node *node = nodes_add(&ns);
		path->len = base;
		if (!node || arca_buf_printf(path, "/%s", names[i]) < 0) {
			rc = arca_error_set(s->err, ARCA_ERROR, "out of memory");
			break;
		}
		node->name = names[i];
		node->name_len = strlen(names[i]);
		names[i] = NULL;
		rc = add_entry(s, node, dirfd, node->name, path);
		if (rc == 1) { /* skipped */
			arca_node_dispose(node);
			ns.n--;
			rc = 0;
		}
		if (rc == 0)
			rc = arca_snap__tick(s);
	}
	path->len = base;
	path->data[base] = '\0';
	if (rc == 0)
		rc = arca_snap__put_tree(s, tree, ns.v, ns.n);
	for (size_t i = 0; i < count; i++)
		free(names[i]);
	free(names);
	nodes_dispose(&ns);
	return rc;
}

int arca_snap__dir(arca_snap *s, arca_id *root, const char *path)
{
	arca_buf p = ARCA_BUF_INIT;
	int fd, rc;

	fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return arca_error_set_errno(s->err, ARCA_ERROR, errno,
			"cannot open directory '%s'", path);
	if (arca_buf_puts(&p, strcmp(path, "/") ? path : "") < 0)
		rc = arca_error_set(s->err, ARCA_ERROR, "out of memory");
	else
		rc = walk(s, root, fd, &p);
	if (rc == 1)
		rc = arca_error_set(s->err, ARCA_ERROR,
			"cannot read directory '%s'", path);
	close(fd);
	arca_buf_dispose(&p);
	return rc;
}

int arca_snap__file(arca_snap *s, arca_id *root, const char *path)
{
	arca_buf p = ARCA_BUF_INIT;
	const char *slash = strrchr(path, '/');
	arca_node node;
	char *dir;
	int dirfd, rc;

	memset(&node, 0, sizeof(node));
	dir = slash ? strndup(path, (size_t)(slash - path) + 1) :
		strdup(".");
	node.name = strdup(slash ? slash + 1 : path);
	if (!dir || !node.name || arca_buf_puts(&p, path) < 0) {
		free(dir);
		arca_node_dispose(&node);
		return arca_error_set(s->err, ARCA_ERROR, "out of memory");
	}
	node.name_len = strlen(node.name);
	dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	free(dir);
	if (dirfd < 0) {
		rc = arca_error_set_errno(s->err, ARCA_ERROR, errno,
			"cannot open '%s'", path);
		goto done;
	}
	rc = add_entry(s, &node, dirfd, node.name, &p);
	close(dirfd);
	if (rc == 1)
		rc = arca_error_set(s->err, ARCA_ERROR,
			"nothing to snapshot: '%s' was skipped", path);
	if (rc == 0)
		rc = arca_snap__put_tree(s, root, &node, 1);
done:
	arca_node_dispose(&node);
	arca_buf_dispose(&p);
	return rc;
}
