/*
 * Drop folders and the ingest helpers around them
 * (src/lib/ingest/ingest_folder.c, ingest_util.c): which entries are
 * items, settle and marker completeness, fingerprints, staging dirs and
 * their sweep, source locks, copies and removal.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "testutil.h"
#include "ut_files.h"
#include "ingest/ingest.h"
#include "util/fs.h"
#include "util/sys.h"

#define HOUR_NS (3600LL * 1000000000)

/* Paths made with P() live until the test's teardown. */
static char *pool[512];
static size_t npool;

static char *keep(char *s)
{
	if (npool == sizeof(pool) / sizeof(pool[0]))
		fail_msg("path pool full");
	return pool[npool++] = s;
}

#define P(...) keep(ut_fmt(__VA_ARGS__))

static int teardown(void **state)
{
	(void)state;
	while (npool)
		free(pool[--npool]);
	return 0;
}

static int64_t now_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_REALTIME, &t);
	return (int64_t)t.tv_sec * 1000000000 + t.tv_nsec;
}

static arca_ingest_source folder_source(char *dir)
{
	arca_ingest_source s;

	memset(&s, 0, sizeof(s));
	s.name = "t";
	s.dataset = "d";
	s.kind = ARCA_INGEST_FOLDER;
	s.location = dir;
	s.settle_ms = 30000;
	return s;
}

static void scan(arca_ingest_item **items, size_t *n,
	const arca_ingest_source *s, int64_t now)
{
	arca_error err = ARCA_ERROR_INIT;

	if (arca_ingest__folder_scan(items, n, s, now, &err) < 0)
		fail_msg("scan: %s", err.msg);
}

/* "name:R" per item (R: r ready, p pending, i ignored), space-separated. */
static char *summary(arca_ingest_item *items, size_t n)
{
	static char buf[1024];
	size_t used = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < n; i++)
		used += (size_t)snprintf(buf + used, sizeof(buf) - used,
			"%s%s:%c", i ? " " : "", items[i].name,
			"rpi"[items[i].ready]);
	return buf;
}

static void test_ingest_folder__items_and_settle(void **state)
{
	char *dir = tu_mkdtemp();
	arca_ingest_source s = folder_source(dir);
	arca_ingest_item *items;
	size_t n;

	(void)state;
	ut_write_str(P("%s/b.csv", dir), "id\n1\n");
	ut_write_str(P("%s/a.csv", dir), "id\n2\n");
	ut_mkdir(P("%s/c-dir/sub", dir), 0755);
	ut_write_str(P("%s/c-dir/sub/x.csv", dir), "id\n3\n");
	/* never items */
	ut_write_str(P("%s/.hidden", dir), "x");
	ut_write_str(P("%s/up.csv.tmp", dir), "x");
	ut_write_str(P("%s/up.csv.part", dir), "x");
	assert_int_equal(symlink("a.csv", P("%s/link.csv", dir)), 0);
	assert_int_equal(mkfifo(P("%s/fifo", dir), 0600), 0);

	/* just written: still settling */
	scan(&items, &n, &s, 0);
	assert_string_equal(summary(items, n),
		"a.csv:p b.csv:p c-dir:p fifo:i link.csv:i");
	assert_true(!strncmp(items[0].why, "still changing (changed ", 24));
	assert_true(strstr(items[0].why, "ago, settle 30s)") != NULL);
	assert_string_equal(items[4].why, "not a regular file or directory "
		"(symbolic links are not followed)");
	assert_null(items[0].fingerprint);
	assert_true(items[2].is_dir);
	arca_ingest__items_free(items, n);

	/* an hour later they are complete */
	scan(&items, &n, &s, now_ns() + HOUR_NS);
	assert_string_equal(summary(items, n),
		"a.csv:r b.csv:r c-dir:r fifo:i link.csv:i");
	assert_non_null(items[0].fingerprint);
	arca_ingest__items_free(items, n);

	/* settle 0: complete at once; include patterns filter names */
	s.settle_ms = 0;
	s.include = (char *[]){ "*.csv", "c-*" };
	s.ninclude = 2;
	ut_write_str(P("%s/readme.txt", dir), "x");
	scan(&items, &n, &s, 0);
	assert_string_equal(summary(items, n), "a.csv:r b.csv:r c-dir:r "
		"link.csv:i");
	assert_string_equal(items[0].path, P("%s/a.csv", dir));
	arca_ingest__items_free(items, n);
	tu_rmtree(dir);
}

/* Setting an old mtime back (cp -p, touch -d) still counts as a change:
 * the ctime moves. */
static void test_ingest_folder__old_mtime_is_a_change(void **state)
{
	char *dir = tu_mkdtemp(), *f = P("%s/old.csv", dir);
	arca_ingest_source s = folder_source(dir);
	struct timespec ts[2] = { { 1000000000, 0 }, { 1000000000, 0 } };
	arca_ingest_item *items;
	size_t n;

	(void)state;
	ut_write_str(f, "id\n1\n");
	assert_int_equal(utimensat(AT_FDCWD, f, ts, 0), 0);
	scan(&items, &n, &s, 0);
	assert_string_equal(summary(items, n), "old.csv:p");
	arca_ingest__items_free(items, n);
	tu_rmtree(dir);
}

static void test_ingest_folder__marker(void **state)
{
	char *dir = tu_mkdtemp();
	arca_ingest_source s = folder_source(dir);
	arca_ingest_item *items;
	size_t n;

	(void)state;
	s.marker = ".done";
	s.settle_ms = 0;
	ut_write_str(P("%s/a.csv", dir), "id\n1\n");
	ut_write_str(P("%s/b.csv", dir), "id\n1\n");
	ut_write_str(P("%s/b.csv.done", dir), "");
	ut_mkdir(P("%s/d1", dir), 0755);
	ut_write_str(P("%s/d1/x.csv", dir), "id\n1\n");
	ut_mkdir(P("%s/d2", dir), 0755);
	ut_write_str(P("%s/d2/x.csv", dir), "id\n1\n");
	ut_write_str(P("%s/d2/.done", dir), "");
	ut_mkdir(P("%s/d3", dir), 0755);
	ut_write_str(P("%s/d3.done", dir), "");
	scan(&items, &n, &s, 0);
	/* marker files are not items themselves */
	assert_string_equal(summary(items, n),
		"a.csv:p b.csv:r d1:p d2:r d3:r");
	assert_string_equal(items[0].why, "waiting for its marker .done");
	assert_string_equal(items[2].why, "waiting for its marker file "
		"inside it, .done");
	arca_ingest__items_free(items, n);

	/* with a marker and a settle time, both must hold */
	s.settle_ms = 60000;
	scan(&items, &n, &s, 0);
	assert_string_equal(summary(items, n),
		"a.csv:p b.csv:p d1:p d2:p d3:p");
	arca_ingest__items_free(items, n);
	tu_rmtree(dir);
}

static json_t *fp(const char *path, const char *skip, int64_t *newest)
{
	arca_error err = ARCA_ERROR_INIT;
	json_t *j = NULL;
	int64_t dummy;

	if (arca_ingest__fingerprint(&j, newest ? newest : &dummy, path, skip,
		&err) < 0)
		fail_msg("fingerprint: %s", err.msg);
	return j;
}

static void set_mtime(const char *path, time_t sec)
{
	struct timespec ts[2] = { { sec, 0 }, { sec, 5 } };

	assert_int_equal(utimensat(AT_FDCWD, path, ts, AT_SYMLINK_NOFOLLOW), 0);
}

static void test_ingest_folder__fingerprints(void **state)
{
	char *dir = tu_mkdtemp(), *f = P("%s/f.csv", dir),
		*d = P("%s/d", dir), *text;
	json_t *a, *b;
	int64_t newest, before;

	(void)state;
	ut_write_str(f, "id\n1\n");
	set_mtime(f, 1700000000);
	a = fp(f, NULL, &newest);
	text = json_dumps(a, JSON_COMPACT | JSON_SORT_KEYS);
	assert_string_equal(text, "{\"mtime_ns\":1700000000000000005,"
		"\"size\":5,\"type\":\"file\"}");
	free(text);
	/* newest is the ctime here (just now), not the old mtime */
	assert_true(newest > now_ns() - HOUR_NS);
	json_decref(a);

	ut_mkdir(P("%s/sub", d), 0755);
	ut_write_str(P("%s/one.csv", d), "id\n1\n");
	ut_write_str(P("%s/sub/two.csv", d), "id\n22\n");
	ut_write_str(P("%s/.done", d), "");
	set_mtime(P("%s/one.csv", d), 1700000000);
	set_mtime(P("%s/sub/two.csv", d), 1700000000);
	a = fp(d, ".done", &before);
	b = fp(d, ".done", NULL);
	assert_true(json_equal(a, b));
	assert_string_equal(json_string_value(json_object_get(a, "type")),
		"dir");
	assert_int_equal(json_integer_value(json_object_get(a, "files")), 2);
	assert_int_equal(json_integer_value(json_object_get(a, "bytes")), 11);
	json_decref(b);
	/* the marker does not count; without skipping it, it does */
	b = fp(d, NULL, NULL);
	assert_false(json_equal(a, b));
	assert_int_equal(json_integer_value(json_object_get(b, "files")), 3);
	json_decref(b);
	/* a new mtime deep inside changes the fingerprint */
	set_mtime(P("%s/sub/two.csv", d), 1700000001);
	b = fp(d, ".done", NULL);
	assert_false(json_equal(a, b));
	json_decref(b);
	set_mtime(P("%s/sub/two.csv", d), 1700000000);
	b = fp(d, ".done", NULL);
	assert_true(json_equal(a, b));
	json_decref(b);
	/* so does a new (even empty) file */
	ut_write_str(P("%s/sub/three", d), "");
	b = fp(d, ".done", NULL);
	assert_false(json_equal(a, b));
	json_decref(b);
	json_decref(a);
	tu_rmtree(dir);
}

static void test_ingest_folder__missing(void **state)
{
	arca_ingest_source s = folder_source("/nonexistent/arca-drop");
	arca_error err = ARCA_ERROR_INIT;
	arca_ingest_item *items = NULL;
	size_t n = 0;

	(void)state;
	assert_int_equal(arca_ingest__folder_scan(&items, &n, &s, 0, &err),
		ARCA_ENOTFOUND);
	assert_string_equal(err.msg, "cannot list folder "
		"'/nonexistent/arca-drop': No such file or directory");
}

/* ---- helpers ------------------------------------------------------------ */

/* 1 if dir has an entry whose name starts with prefix. */
static int has_entry(const char *dir, const char *prefix)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	int found = 0;

	assert_non_null(d);
	while ((de = readdir(d)))
		if (!strncmp(de->d_name, prefix, strlen(prefix)))
			found = 1;
	closedir(d);
	return found;
}

static void test_ingest_folder__staging(void **state)
{
	char *cache = tu_mkdtemp(), *dead, *foreign, *mine_path;
	arca_error err = ARCA_ERROR_INIT;
	arca_buf mine = ARCA_BUF_INIT;
	struct stat st;
	pid_t pid;
	int status;

	(void)state;
	assert_int_equal(arca_ingest__staging_new(&mine, cache, &err), 0);
	mine_path = strdup(arca_buf_cstr(&mine));
	assert_int_equal(stat(mine_path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0700);
	ut_write_str(P("%s/data.csv", mine_path), "x");

	/* a staging dir of a process that has exited */
	if ((pid = fork()) == 0) {
		arca_buf b = ARCA_BUF_INIT;
		_exit(arca_ingest__staging_new(&b, cache, NULL) < 0);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_int_equal(status, 0);
	dead = P("%ld-", (long)pid);
	assert_true(has_entry(P("%s/ingest-staging", cache), dead));
	/* something else in there that is not ours to remove */
	foreign = P("%s/ingest-staging/notes", cache);
	ut_mkdir(foreign, 0700);
	assert_int_equal(ut_count_dir(P("%s/ingest-staging", cache)), 3);

	assert_int_equal(arca_ingest__staging_sweep(cache, &err), 1);
	assert_false(has_entry(P("%s/ingest-staging", cache), dead));
	assert_int_equal(ut_count_dir(P("%s/ingest-staging", cache)), 2);
	assert_true(ut_exists(P("%s/data.csv", mine_path)));
	assert_true(ut_exists(foreign));
	assert_int_equal(arca_ingest__staging_sweep(cache, &err), 0);
	arca_buf_dispose(&mine);
	free(mine_path);
	tu_rmtree(cache);
}

static void test_ingest_folder__lock(void **state)
{
	char *cache = tu_mkdtemp();
	arca_error err = ARCA_ERROR_INIT;
	int fd = -1, fd2 = -1;
	pid_t holder, pid;
	int status;

	(void)state;
	assert_int_equal(arca_ingest__lock(&fd, &holder, cache, "src", &err),
		1);
	assert_true(fd >= 0);
	/* another process: busy, and told who holds it */
	if ((pid = fork()) == 0) {
		int f = -1, r = arca_ingest__lock(&f, &holder, cache, "src",
			NULL);
		_exit(r == 0 && holder == getppid() ? 0 : 1);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_int_equal(WEXITSTATUS(status), 0);
	/* another source is independent */
	assert_int_equal(arca_ingest__lock(&fd2, &holder, cache, "other",
		&err), 1);
	close(fd2);
	/* released on close (and so when a process dies) */
	close(fd);
	assert_int_equal(arca_ingest__lock(&fd, &holder, cache, "src", &err),
		1);
	close(fd);
	tu_rmtree(cache);
}

static void test_ingest_folder__copy_and_remove(void **state)
{
	char *dir = tu_mkdtemp(), *src = P("%s/src", dir),
		*dst = P("%s/dst", dir), *text;
	arca_error err = ARCA_ERROR_INIT;
	struct stat a, b;

	(void)state;
	ut_mkdir(P("%s/sub", src), 0750);
	ut_write_str(P("%s/sub/f.csv", src), "id\n1\n");
	chmod(P("%s/sub/f.csv", src), 0640);
	set_mtime(P("%s/sub/f.csv", src), 1600000000);
	assert_int_equal(symlink("sub/f.csv", P("%s/ln", src)), 0);
	{
		struct timespec old[2] = { { 1500000000, 0 },
			{ 1500000000, 0 } };
		assert_int_equal(utimensat(AT_FDCWD, P("%s/ln", src), old,
			AT_SYMLINK_NOFOLLOW), 0);
	}
	assert_int_equal(arca_ingest__copy(src, dst, &err), 0);
	text = ut_read_file(P("%s/sub/f.csv", dst), NULL);
	assert_string_equal(text, "id\n1\n");
	free(text);
	assert_int_equal(lstat(P("%s/sub/f.csv", src), &a), 0);
	assert_int_equal(lstat(P("%s/sub/f.csv", dst), &b), 0);
	assert_int_equal(a.st_mode, b.st_mode);
	assert_int_equal(a.st_mtim.tv_sec, b.st_mtim.tv_sec);
	assert_int_equal(a.st_mtim.tv_nsec, b.st_mtim.tv_nsec);
	assert_int_equal(lstat(P("%s/sub", dst), &b), 0);
	assert_int_equal(b.st_mode & 0777, 0750);
	assert_int_equal(lstat(P("%s/ln", dst), &b), 0);
	assert_true(S_ISLNK(b.st_mode));
	/* a symlink keeps its own times (an old one: a copy made now
	 * would differ) */
	assert_int_equal(lstat(P("%s/ln", src), &a), 0);
	assert_int_equal(a.st_mtim.tv_sec, 1500000000);
	assert_int_equal(b.st_mtim.tv_sec, 1500000000);
	assert_int_equal(b.st_mtim.tv_nsec, a.st_mtim.tv_nsec);
	/* the copy fingerprints like the original */
	{
		json_t *x = fp(src, NULL, NULL), *y = fp(dst, NULL, NULL);
		assert_true(json_equal(x, y));
		json_decref(x);
		json_decref(y);
	}
	/* a file copies to a new name */
	assert_int_equal(arca_ingest__copy(P("%s/sub/f.csv", src),
		P("%s/g.csv", dir), &err), 0);
	assert_true(ut_exists(P("%s/g.csv", dir)));
	/* the destination must not exist */
	assert_true(arca_ingest__copy(src, dst, &err) < 0);

	/* removal copes with directories a hook made unwritable */
	chmod(P("%s/sub", dst), 0);
	chmod(dst, 0500);
	assert_int_equal(arca_fs_rmtree(dst, &err), 0);
	assert_false(ut_exists(dst));
	assert_int_equal(arca_fs_rmtree(dst, &err), 0);
	tu_rmtree(dir);
}

static void test_ingest_folder__url_basename(void **state)
{
	static const char *const cases[][2] = {
		{ "https://h/data/churn.jsonl", "churn.jsonl" },
		{ "https://h/a/b.tar.gz", "b.tar.gz" },
		{ "https://h/", "download" },
		{ "https://h", "download" },
		{ "http://h/x/..", "download" },
		{ "http://h/we%20ird name.csv", "we_20ird_name.csv" },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *b = arca_ingest__url_basename(cases[i][0]);
		assert_string_equal(b, cases[i][1]);
		free(b);
	}
}

#define T(name) cmocka_unit_test_teardown(test_ingest_folder__##name, \
	teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(items_and_settle),
		T(old_mtime_is_a_change),
		T(marker),
		T(fingerprints),
		T(missing),
		T(staging),
		T(lock),
		T(copy_and_remove),
		T(url_basename),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
