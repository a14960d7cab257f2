/*
 * File-system helpers (src/lib/util/fs.c): mkdir -p, where the cache
 * directory is and that it is made private, rm -rf that never follows a
 * symlink and copes with read-only directories, and atomic replacement
 * of a file that leaves nothing behind when it fails.
 */
#include <errno.h>
#include <stdarg.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "testutil.h"
#include "ut_files.h"
#include "util/fs.h"

/* ---- helpers ----------------------------------------------------------- */

/* A formatted path in one of a ring of buffers: valid for the next 15
 * calls, never freed. */
static const char *P(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static const char *P(const char *fmt, ...)
{
	static char ring[16][4200];
	static unsigned next;
	char *b = ring[next++ % 16];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(b, sizeof(ring[0]), fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(ring[0]))
		fail_msg("path too long");
	return b;
}

/* Checks that path holds exactly want. */
static void check_file(const char *path, const char *want)
{
	size_t len;
	char *got = ut_read_file(path, &len);

	assert_int_equal(len, strlen(want));
	assert_memory_equal(got, want, len);
	free(got);
}

static mode_t mode_of(const char *path)
{
	struct stat st;

	if (lstat(path, &st) < 0)
		fail_msg("lstat '%s': %s", path, strerror(errno));
	return st.st_mode & 07777;
}

static int is_dir(const char *path)
{
	struct stat st;

	return lstat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

/* The environment the cache path reads, saved and put back. */
static const char *const cache_vars[] = { "ARCA_CACHE_DIR", "XDG_CACHE_HOME",
	"HOME" };
#define NVARS (sizeof(cache_vars) / sizeof(cache_vars[0]))

static void env_save(char *saved[NVARS])
{
	for (size_t i = 0; i < NVARS; i++) {
		const char *v = getenv(cache_vars[i]);
		saved[i] = v ? strdup(v) : NULL;
	}
}

static void env_restore(char *saved[NVARS])
{
	for (size_t i = 0; i < NVARS; i++) {
		if (saved[i])
			setenv(cache_vars[i], saved[i], 1);
		else
			unsetenv(cache_vars[i]);
		free(saved[i]);
	}
}

/* Checks that cache_path (dir, sub) gives want, a directory of mode
 * 0700, with out cleared of what it held before. */
static void check_cache(const char *dir, const char *sub, const char *want)
{
	arca_buf out = ARCA_BUF_INIT;
	arca_error err = ARCA_ERROR_INIT;

	arca_buf_puts(&out, "left over/");
	if (arca_fs_cache_path(&out, dir, sub, &err) != 0)
		fail_msg("cache path: %s", err.msg);
	assert_string_equal(arca_buf_cstr(&out), want);
	assert_true(is_dir(want));
	assert_int_equal(mode_of(want), 0700);
	arca_buf_dispose(&out);
}

/* ---- mkdir -p ---------------------------------------------------------- */

static void test_fs__mkdirs(void **state)
{
	char *dir = tu_mkdtemp(), *p = ut_fmt("%s/a/b/c", dir);
	mode_t old = umask(022);

	(void)state;
	assert_int_equal(arca_fs_mkdirs(p), 0);
	assert_true(is_dir(p));
	/* 0777 less the umask, for every level made */
	assert_int_equal(mode_of(p), 0755);
	assert_int_equal(mode_of(P("%s/a", dir)), 0755);
	/* existing, with a trailing slash or doubled slashes: fine */
	assert_int_equal(arca_fs_mkdirs(p), 0);
	assert_int_equal(arca_fs_mkdirs(P("%s//a//b/", dir)), 0);
	/* private mode */
	assert_int_equal(arca_fs_mkdirs_mode(P("%s/p/q", dir), 0700), 0);
	assert_int_equal(mode_of(P("%s/p", dir)), 0700);
	assert_int_equal(mode_of(P("%s/p/q", dir)), 0700);
	/* a file in the way, last or in the middle */
	ut_write_str(P("%s/file", dir), "x");
	errno = 0;
	assert_int_equal(arca_fs_mkdirs(P("%s/file", dir)), -1);
	assert_int_equal(errno, ENOTDIR);
	errno = 0;
	assert_int_equal(arca_fs_mkdirs(P("%s/file/sub", dir)), -1);
	assert_int_equal(errno, ENOTDIR);
	assert_int_equal(arca_fs_mkdirs(""), -1);
	assert_int_equal(errno, ENOENT);
	umask(old);
	free(p);
	tu_rmtree(dir);
}

/* ---- the cache directory ----------------------------------------------- */

static void test_fs__cache_path_precedence(void **state)
{
	char *saved[NVARS], *dir = tu_mkdtemp();
	arca_buf out = ARCA_BUF_INIT;
	arca_error err = ARCA_ERROR_INIT;
	mode_t old = umask(022);

	(void)state;
	env_save(saved);
	setenv("ARCA_CACHE_DIR", P("%s/arca-cache/deep", dir), 1);
	setenv("XDG_CACHE_HOME", P("%s/xdg", dir), 1);
	setenv("HOME", P("%s/home", dir), 1);

	/* an explicit directory wins over everything */
	check_cache(P("%s/explicit", dir), "sub", P("%s/explicit/sub", dir));
	assert_false(ut_exists(P("%s/arca-cache", dir)));
	/* then ARCA_CACHE_DIR (an empty dir counts as none); its missing
	 * parents are made, private too */
	check_cache("", "sub", P("%s/arca-cache/deep/sub", dir));
	assert_int_equal(mode_of(P("%s/arca-cache", dir)), 0700);
	check_cache(NULL, NULL, P("%s/arca-cache/deep", dir));
	/* then $XDG_CACHE_HOME/arca (an empty variable counts as unset) */
	setenv("ARCA_CACHE_DIR", "", 1);
	check_cache(NULL, "sub", P("%s/xdg/arca/sub", dir));
	unsetenv("ARCA_CACHE_DIR");
	check_cache(NULL, NULL, P("%s/xdg/arca", dir));
	/* then $HOME/.cache/arca */
	setenv("XDG_CACHE_HOME", "", 1);
	check_cache(NULL, "work", P("%s/home/.cache/arca/work", dir));
	unsetenv("XDG_CACHE_HOME");
	check_cache(NULL, NULL, P("%s/home/.cache/arca", dir));
	assert_false(ut_exists(P("%s/home/.cache/arca/sub", dir)));
	/* none: a clear error */
	unsetenv("HOME");
	assert_int_equal(arca_fs_cache_path(&out, NULL, "sub", &err),
		ARCA_ERROR);
	assert_non_null(strstr(err.msg, "no cache directory"));
	assert_non_null(strstr(err.msg, "ARCA_CACHE_DIR"));
	/* a file in the way: the message names the path and why */
	ut_write_str(P("%s/plain", dir), "x");
	setenv("ARCA_CACHE_DIR", P("%s/plain", dir), 1);
	arca_error_clear(&err);
	assert_int_equal(arca_fs_cache_path(&out, NULL, "sub", &err),
		ARCA_ERROR);
	assert_non_null(strstr(err.msg, P("'%s/plain/sub'", dir)));
	assert_non_null(strstr(err.msg, strerror(ENOTDIR)));

	env_restore(saved);
	umask(old);
	arca_buf_dispose(&out);
	tu_rmtree(dir);
}

/* ---- rm -rf ------------------------------------------------------------ */

static int chown_one(const char *p, const struct stat *sb, int flag,
	struct FTW *ftw)
{
	(void)sb; (void)flag; (void)ftw;
	return lchown(p, 65534, 65534);
}

typedef struct {
	const char *tree, *missing;
} rm_arg;

typedef struct {
	int noaccess, rc, gone, rc_missing;
	char msg[ARCA_ERROR_MSG_SIZE];
} rm_res;

static void rm_child(void *arg, void *res)
{
	const rm_arg *a = arg;
	rm_res *r = res;
	arca_error err = ARCA_ERROR_INIT;
	struct stat st;

	if (lstat(a->tree, &st) < 0) { /* the temp dir is closed to nobody */
		r->noaccess = 1;
		return;
	}
	r->rc = arca_fs_rmtree(a->tree, &err);
	memcpy(r->msg, err.msg, sizeof(r->msg));
	r->gone = lstat(a->tree, &st) < 0 && errno == ENOENT;
	r->rc_missing = arca_fs_rmtree(a->missing, &err);
}

/* Run as nobody when the test runs as root, so that the read-only
 * directories really are read-only to the remover. */
static void test_fs__rmtree_readonly_and_symlinks(void **state)
{
	char *dir = tu_mkdtemp(), *tree = ut_fmt("%s/tree", dir);
	char *out = ut_fmt("%s/outside", dir), *miss = ut_fmt("%s/no", dir);
	rm_arg a = { tree, miss };
	rm_res res;

	(void)state;
	/* outside: what the symlinks point at, writable by the remover */
	ut_mkdir(P("%s/d", out), 0755);
	ut_write_str(P("%s/keep.txt", out), "keep");
	ut_write_str(P("%s/d/x.txt", out), "x");
	/* the tree: files, a read-only directory holding one the remover
	 * may not even search, and symlinks out of both */
	ut_mkdir(P("%s/ro/closed", tree), 0755);
	ut_write_str(P("%s/a.txt", tree), "a");
	ut_write_str(P("%s/ro/f.txt", tree), "f");
	ut_write_str(P("%s/ro/closed/g.txt", tree), "g");
	assert_int_equal(symlink("../outside", P("%s/link_dir", tree)), 0);
	assert_int_equal(symlink(P("%s/keep.txt", out),
		P("%s/ro/link_file", tree)), 0);
	assert_int_equal(symlink(P("%s/d", out),
		P("%s/ro/closed/link_d", tree)), 0);
	assert_int_equal(symlink("/nowhere/at/all", P("%s/dangling", tree)),
		0);
	if (geteuid() == 0)
		assert_int_equal(nftw(dir, chown_one, 16, FTW_PHYS), 0);
	assert_int_equal(chmod(dir, 0755), 0);
	assert_int_equal(chmod(P("%s/ro/closed", tree), 0), 0);
	assert_int_equal(chmod(P("%s/ro", tree), 0500), 0);

	memset(&res, 0, sizeof(res));
	if (ut_run_as_nobody(rm_child, &a, &res, sizeof(res)) || res.noaccess)
		rm_child(&a, &res); /* as root: no permission is real then */
	if (res.rc != 0)
		fail_msg("rmtree: %s", res.msg);
	assert_true(res.gone);
	assert_false(ut_exists(tree));
	/* nothing a symlink pointed at was touched */
	check_file(P("%s/keep.txt", out), "keep");
	check_file(P("%s/d/x.txt", out), "x");
	assert_int_equal(ut_count_dir(out), 2);
	/* a missing path is not an error */
	assert_int_equal(res.rc_missing, 0);
	/* a symlink given as the path itself: the link goes, not its target */
	assert_int_equal(symlink(out, P("%s/top_link", dir)), 0);
	assert_int_equal(arca_fs_rmtree(P("%s/top_link", dir), NULL), 0);
	assert_false(ut_exists(P("%s/top_link", dir)));
	assert_int_equal(ut_count_dir(out), 2);
	free(tree);
	free(out);
	free(miss);
	tu_rmtree(dir);
}

/* Makes levels nested directories named top/d/d/... under dir. */
static void make_deep(const char *dir, const char *top, int levels)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC), sub;

	assert_true(fd >= 0);
	for (int i = 0; i < levels; i++, fd = sub) {
		assert_int_equal(mkdirat(fd, i ? "d" : top, 0755), 0);
		sub = openat(fd, i ? "d" : top, O_RDONLY | O_DIRECTORY |
			O_CLOEXEC);
		assert_true(sub >= 0);
		close(fd);
	}
	close(fd);
}

/* A tree deeper than 256 levels is refused (nothing removed), with the
 * path in the message; one within the limit goes. */
static void test_fs__rmtree_depth_limit(void **state)
{
	char *dir = tu_mkdtemp(), *deep = ut_fmt("%s/deep", dir);
	arca_error err = ARCA_ERROR_INIT;

	(void)state;
	make_deep(dir, "deep", 300);
	make_deep(dir, "ok", 200);
	assert_int_equal(arca_fs_rmtree(deep, &err), ARCA_ERROR);
	assert_non_null(strstr(err.msg, P("cannot remove '%s'", deep)));
	assert_non_null(strstr(err.msg, strerror(ELOOP)));
	assert_true(is_dir(P("%s/d/d/d", deep)));
	assert_int_equal(arca_fs_rmtree(P("%s/ok", dir), &err), 0);
	assert_false(ut_exists(P("%s/ok", dir)));
	free(deep);
	tu_rmtree(dir);
}

/* ---- atomic replacement ------------------------------------------------ */

static void test_fs__write_atomic_replaces(void **state)
{
	char *dir = tu_mkdtemp(), *path = ut_fmt("%s/config.json", dir);
	char name[256], *cwd = getcwd(NULL, 0);
	arca_error err = ARCA_ERROR_INIT;
	struct stat before, after;
	mode_t old = umask(022);

	(void)state;
	ut_write_str(path, "old content that is longer than the new\n");
	assert_int_equal(chmod(path, 0644), 0);
	assert_int_equal(stat(path, &before), 0);
	if (arca_fs_write_atomic(path, "{\"a\":1}\n", 8, 0600, &err) != 0)
		fail_msg("write_atomic: %s", err.msg);
	check_file(path, "{\"a\":1}\n");
	assert_int_equal(mode_of(path), 0600);
	/* replaced by a rename, not rewritten in place */
	assert_int_equal(stat(path, &after), 0);
	assert_true(before.st_ino != after.st_ino);
	assert_int_equal(ut_count_dir(dir), 1); /* no temp file left */

	/* a new file, empty; the umask applies */
	umask(077);
	assert_int_equal(arca_fs_write_atomic(P("%s/empty", dir), NULL, 0,
		0644, &err), 0);
	assert_int_equal(mode_of(P("%s/empty", dir)), 0600);
	check_file(P("%s/empty", dir), "");
	umask(022);

	/* a name as long as a directory entry may be: the temp name is cut
	 * to fit */
	memset(name, 'n', 255);
	name[255] = '\0';
	assert_int_equal(arca_fs_write_atomic(P("%s/%s", dir, name), "x", 1,
		0644, &err), 0);
	assert_int_equal(mode_of(P("%s/%s", dir, name)), 0644);

	/* a path with no directory: the current one */
	assert_non_null(cwd);
	assert_int_equal(chdir(dir), 0);
	assert_int_equal(arca_fs_write_atomic("rel.txt", "rel", 3, 0644, &err),
		0);
	assert_int_equal(chdir(cwd), 0);
	check_file(P("%s/rel.txt", dir), "rel");
	assert_int_equal(ut_count_dir(dir), 4); /* and no temp file */

	umask(old);
	free(cwd);
	free(path);
	tu_rmtree(dir);
}

static void test_fs__write_atomic_fails_cleanly(void **state)
{
	char *dir = tu_mkdtemp(), *path = ut_fmt("%s/missing/f.json", dir);
	char *sub = ut_fmt("%s/sub", dir);
	arca_error err = ARCA_ERROR_INIT;

	(void)state;
	/* in a missing directory: an error naming the file, nothing made */
	assert_int_equal(arca_fs_write_atomic(path, "x", 1, 0644, &err),
		ARCA_ERROR);
	assert_non_null(strstr(err.msg, P("cannot write '%s'", path)));
	assert_non_null(strstr(err.msg, strerror(ENOENT)));
	assert_int_equal(ut_count_dir(dir), 0);

	/* the rename fails (a non-empty directory is in the way) after the
	 * temp file was written: it goes, the directory stays as it was */
	ut_mkdir(sub, 0755);
	ut_write_str(P("%s/inside", sub), "in");
	arca_error_clear(&err);
	assert_int_equal(arca_fs_write_atomic(sub, "x", 1, 0644, &err),
		ARCA_ERROR);
	assert_non_null(strstr(err.msg, P("cannot replace '%s'", sub)));
	assert_int_equal(ut_count_dir(dir), 1);
	assert_int_equal(ut_count_dir(sub), 1);
	check_file(P("%s/inside", sub), "in");

	/* no file name */
	arca_error_clear(&err);
	assert_int_equal(arca_fs_write_atomic(P("%s/", dir), "x", 1, 0644,
		&err), ARCA_EINVALID);
	assert_int_equal(ut_count_dir(dir), 1);
	free(path);
	free(sub);
	tu_rmtree(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fs__mkdirs),
		cmocka_unit_test(test_fs__cache_path_precedence),
		cmocka_unit_test(test_fs__rmtree_readonly_and_symlinks),
		cmocka_unit_test(test_fs__rmtree_depth_limit),
		cmocka_unit_test(test_fs__write_atomic_replaces),
		cmocka_unit_test(test_fs__write_atomic_fails_cleanly),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
