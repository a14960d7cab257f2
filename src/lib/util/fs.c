/* File-system helpers: mkdir -p, the cache directory, rm -rf, atomic
 * file replacement (see arca/fs.h and util/fs.h). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "util/fs.h"
#include "util/sys.h"

/* ---- mkdir -p ---------------------------------------------------------- */

/* mkdir p unless it is a directory already (which mkdir may report as
 * EACCES or EROFS rather than EEXIST on some file systems). */
static int make_one(const char *p, mode_t mode)
{
	struct stat st;
	int e;

	if (mkdir(p, mode) == 0)
		return 0;
	e = errno;
	if (stat(p, &st) == 0) {
		if (S_ISDIR(st.st_mode))
			return 0;
		e = ENOTDIR;
	}
	errno = e;
	return -1;
}

int arca_fs_mkdirs_mode(const char *path, mode_t mode)
{
	char *p;
	int rc = 0, e = 0;

	if (!*path) {
		errno = ENOENT;
		return -1;
	}
	if (!(p = strdup(path)))
		return -1;
	for (char *s = p + 1;; s++) {
		if (*s && *s != '/')
			continue;
		char c = *s;
		*s = '\0';
		if (make_one(p, mode) < 0) {
			rc = -1;
			e = errno;
		}
		*s = c;
		if (rc < 0 || !c)
			break;
	}
	free(p);
	if (rc < 0)
		errno = e;
	return rc;
}

int arca_fs_mkdirs(const char *path)
{
	return arca_fs_mkdirs_mode(path, 0777);
}

/* ---- the cache directory ----------------------------------------------- */

int arca_fs_cache_path(arca_buf *out, const char *dir, const char *sub,
	arca_error *err)
{
	const char *v;
	int rc;

	arca_buf_clear(out);
	if (dir && *dir)
		rc = arca_buf_puts(out, dir);
	else if ((v = getenv("ARCA_CACHE_DIR")) && *v)
		rc = arca_buf_puts(out, v);
	else if ((v = getenv("XDG_CACHE_HOME")) && *v)
		rc = arca_buf_printf(out, "%s/arca", v);
	else if ((v = getenv("HOME")) && *v)
		rc = arca_buf_printf(out, "%s/.cache/arca", v);
	else
		return arca_error_set(err, ARCA_ERROR, "no cache directory "
			"(set ARCA_CACHE_DIR or HOME)");
	if (rc < 0 || (sub && arca_buf_printf(out, "/%s", sub) < 0))
		return arca_error_set(err, ARCA_ERROR, "out of memory");
	/* private: it holds this user's work dirs, locks and indexes */
	if (arca_fs_mkdirs_mode(arca_buf_cstr(out), 0700) < 0)
		return arca_error_set_errno(err, ARCA_ERROR, errno,
			"cannot create cache directory '%s'",
			arca_buf_cstr(out));
	return 0;
}

/* ---- rm -rf ------------------------------------------------------------ */

/* Removes name in dir (fd), recursively; directories are made
 * writable and searchable first (a hook may have chmod'ed them). */
static int rm_at(int dir, const char *name, int depth)
{
	struct stat st;
	struct dirent *de;
	DIR *d;
	int fd, rc = 0, e;

	if (fstatat(dir, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return errno == ENOENT ? 0 : -1;
	if (!S_ISDIR(st.st_mode))
		return unlinkat(dir, name, 0) < 0 && errno != ENOENT ? -1 : 0;
	if (depth > 256) {
		errno = ELOOP;
		return -1;
	}
	if ((st.st_mode & 0700) != 0700)
		(void)fchmodat(dir, name, 0700, 0);
	if ((fd = openat(dir, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
		O_CLOEXEC)) < 0)
		return -1;
	if (!(d = fdopendir(fd))) {
		close(fd);
		return -1;
	}
	while (rc == 0 && (de = readdir(d)))
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
			rc = rm_at(dirfd(d), de->d_name, depth + 1);
	e = errno; /* the failure's, not closedir's */
	closedir(d);
	if (rc < 0)
		errno = e;
	else if (unlinkat(dir, name, AT_REMOVEDIR) < 0 && errno != ENOENT)
		rc = -1;
	return rc;
}

int arca_fs_rmtree(const char *path, arca_error *err)
{
	if (rm_at(AT_FDCWD, path, 0) < 0)
		return arca_error_set_errno(err, ARCA_ERROR, errno,
			"cannot remove '%s'", path);
	return 0;
}

/* ---- atomic replacement ------------------------------------------------ */

static int write_all(int fd, const void *data, size_t len)
{
	const char *p = data;

	while (len) {
		ssize_t n = write(fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

int arca_fs_write_atomic(const char *path, const void *data, size_t len,
	mode_t mode, arca_error *err)
{
	const char *slash = strrchr(path, '/');
	const char *base = slash ? slash + 1 : path;
	char *dir = NULL, tmp[256], hex[17];
	int dfd = -1, fd = -1, made = 0, rc = 0;

	if (!*base)
		return arca_error_set(err, ARCA_EINVALID, "cannot write '%s': "
			"no file name", path);
	if (!(dir = slash == path ? strdup("/") : slash ?
		strndup(path, (size_t)(slash - path)) : strdup("."))) {
		rc = arca_error_set(err, ARCA_ERROR, "out of memory");
		goto done;
	}
	if (arca_random_hex(hex, 8) < 0) {
		rc = arca_error_set(err, ARCA_ERROR, "no random bytes");
		goto done;
	}
	/* ".tmp-": the prefix a repository reserves for temp files; the
	 * name is cut to stay within NAME_MAX */
	snprintf(tmp, sizeof(tmp), ".tmp-%.200s-%s", base, hex);
	/* The directory is opened first: it is fsynced after the rename,
	 * and a missing one fails before anything is made. */
	if ((dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0 ||
		(fd = openat(dfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW |
			O_CLOEXEC, mode)) < 0) {
		rc = arca_error_set_errno(err, ARCA_ERROR, errno, "cannot "
			"write '%s'", path);
		goto done;
	}
	made = 1;
	if (write_all(fd, data, len) < 0 || fsync(fd) < 0) {
		rc = arca_error_set_errno(err, ARCA_ERROR, errno, "cannot "
			"write '%s'", path);
		goto done;
	}
	rc = close(fd);
	fd = -1;
	if (rc < 0) {
		rc = arca_error_set_errno(err, ARCA_ERROR, errno, "cannot "
			"write '%s'", path);
		goto done;
	}
	if (renameat(dfd, tmp, dfd, base) < 0) {
		rc = arca_error_set_errno(err, ARCA_ERROR, errno, "cannot "
			"replace '%s'", path);
		goto done;
	}
	made = 0;
	if (fsync(dfd) < 0)
		rc = arca_error_set_errno(err, ARCA_ERROR, errno, "cannot "
			"sync the directory of '%s'", path);
done:
	if (fd >= 0)
		close(fd);
	if (made)
		unlinkat(dfd, tmp, 0);
	if (dfd >= 0)
		close(dfd);
	free(dir);
	return rc;
}
