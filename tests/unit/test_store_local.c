/*
 * The local-directory store: the conformance suite on a fresh temp
 * directory per case, then what only a local store can show (temp files,
 * staging, opening by path and URL).
 */
#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "store/store.h"
#include "testutil.h"
#include "store_suite.h"

/* Counts ".tmp-*" entries anywhere under rel (relative to at). */
static size_t count_tmp_at(int at, const char *rel)
{
	struct dirent *de;
	size_t n = 0;
	DIR *d;
	int fd;

	fd = openat(at, rel, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0 || !(d = fdopendir(fd)))
		fail_msg("cannot open directory '%s'", rel);
	while ((de = readdir(d)) != NULL) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		if (!strncmp(de->d_name, ".tmp-", 5))
			n++;
		else if (de->d_type == DT_DIR)
			n += count_tmp_at(dirfd(d), de->d_name);
	}
	closedir(d);
	return n;
}

static size_t count_tmp(const char *dir)
{
	return count_tmp_at(AT_FDCWD, dir);
}

/* The suite's factory: a fresh temp directory per case. */
typedef struct local_ctx {
	char *dir;
} local_ctx;

static arca_store *make_local(void *ctx)
{
	local_ctx *c = ctx;
	arca_error err = ARCA_ERROR_INIT;
	arca_store *s = NULL;

	c->dir = tu_mkdtemp();
	if (arca_store_local_new(&s, c->dir, 0, &err))
		fail_msg("arca_store_local_new: %s", err.msg);
	return s;
}

/* Every suite case must leave no temp file behind either. */
static void cleanup_local(arca_store *s, void *ctx)
{
	local_ctx *c = ctx;
	size_t n;

	arca_store_free(s);
	n = count_tmp(c->dir);
	tu_rmtree(c->dir);
	c->dir = NULL;
	if (n)
		fail_msg("%zu temp files left behind", n);
}

/* Local-only cases: a temp directory and a store opened on it. */
typedef struct fixture {
	char *dir;
	arca_store *s;
} fixture;

static int setup(void **state)
{
	fixture *f = calloc(1, sizeof(*f));
	arca_error err = ARCA_ERROR_INIT;

	if (!f)
		return -1;
	f->dir = tu_mkdtemp();
	*state = f;
	return arca_store_local_new(&f->s, f->dir, 0, &err) ? -1 : 0;
}

static int teardown(void **state)
{
	fixture *f = *state;

	arca_store_free(f->s);
	tu_rmtree(f->dir);
	free(f);
	return 0;
}

static void put(arca_store *s, const char *key, const char *value,
	unsigned flags)
{
	arca_error err = ARCA_ERROR_INIT;

	if (arca_store_put(s, key, value, strlen(value), flags, &err))
		fail_msg("put '%s': %s", key, err.msg);
}

static void check_str(arca_store *s, const char *key, const char *value)
{
	arca_error err = ARCA_ERROR_INIT;
	arca_buf b = ARCA_BUF_INIT;

	if (arca_store_get(s, &b, key, 0, UINT64_MAX, &err))
		fail_msg("get '%s': %s", key, err.msg);
	assert_string_equal(arca_buf_cstr(&b), value);
	arca_buf_dispose(&b);
}

static int count_cb(const char *key, const arca_store_info *st, void *payload)
{
	(*(size_t *)payload)++;
	return 0;
}

static size_t count_keys(arca_store *s, const char *prefix)
{
	arca_error err = ARCA_ERROR_INIT;
	size_t n = 0;

	if (arca_store_list(s, prefix, count_cb, &n, &err))
		fail_msg("list '%s': %s", prefix, err.msg);
	return n;
}

static void test_store_local__no_tmp_after_put(void **state)
{
	fixture *f = *state;
	arca_error err = ARCA_ERROR_INIT;

	put(f->s, "config", "c", 0);
	put(f->s, "config", "c2", 0);
	put(f->s, "objects/ab/cd/ef", "v", 0);
	put(f->s, "locks/l", "1", ARCA_STORE_PUT_EXCLUSIVE);
	assert_int_equal(arca_store_put(f->s, "locks/l", "2", 1,
		ARCA_STORE_PUT_EXCLUSIVE, &err), ARCA_EEXISTS);
	/* EXCLUSIVE wins over DEFER: published at once. */
	put(f->s, "locks/m", "3", ARCA_STORE_PUT_EXCLUSIVE |
		ARCA_STORE_PUT_DEFER);
	check_str(f->s, "locks/m", "3");
	assert_int_equal(count_tmp(f->dir), 0);
}

static void test_store_local__no_tmp_after_flush(void **state)
{
	fixture *f = *state;
	arca_error err = ARCA_ERROR_INIT;
	char key[32];

	for (int i = 0; i < 50; i++) {
		snprintf(key, sizeof(key), "objects/%02x/%d", i % 5, i);
		put(f->s, key, key, ARCA_STORE_PUT_DEFER);
	}
	put(f->s, "objects/00/0", "objects/00/0", ARCA_STORE_PUT_DEFER);
	assert_int_equal(count_tmp(f->dir), 51);
	assert_int_equal(arca_store_flush(f->s, &err), 0);
	assert_int_equal(count_tmp(f->dir), 0);
	assert_int_equal(count_keys(f->s, "objects/"), 50);
	check_str(f->s, "objects/00/0", "objects/00/0");
}

static void test_store_local__defer_invisible_before_flush(void **state)
{
	fixture *f = *state;
	arca_error err = ARCA_ERROR_INIT;
	arca_buf b = ARCA_BUF_INIT;

	put(f->s, "objects/aa/x", "deferred", ARCA_STORE_PUT_DEFER);
	assert_int_equal(arca_store_get(f->s, &b, "objects/aa/x", 0,
		UINT64_MAX, &err), ARCA_ENOTFOUND);
	assert_int_equal(arca_store_stat(f->s, "objects/aa/x", NULL, &err),
		ARCA_ENOTFOUND);
	assert_int_equal(count_keys(f->s, ""), 0);
	assert_int_equal(arca_store_flush(f->s, &err), 0);
	check_str(f->s, "objects/aa/x", "deferred");
	assert_int_equal(count_keys(f->s, ""), 1);
	arca_buf_dispose(&b);
}

static void test_store_local__free_without_flush(void **state)
{
	fixture *f = *state;
	arca_error err = ARCA_ERROR_INIT;

	put(f->s, "objects/aa/x", "x", ARCA_STORE_PUT_DEFER);
	put(f->s, "objects/bb/y", "y", ARCA_STORE_PUT_DEFER);
	put(f->s, "config", "c", 0);
	assert_int_equal(count_tmp(f->dir), 2);
	arca_store_free(f->s);
	f->s = NULL;
	assert_int_equal(count_tmp(f->dir), 0);
	assert_int_equal(arca_store_local_new(&f->s, f->dir, 0, &err), 0);
	assert_int_equal(arca_store_stat(f->s, "objects/aa/x", NULL, &err),
		ARCA_ENOTFOUND);
	assert_int_equal(count_keys(f->s, ""), 1);
}

/* Temp files a crashed writer left behind are never listed. */
static void test_store_local__stale_tmp_ignored(void **state)
{
	fixture *f = *state;
	char path[PATH_MAX];
	FILE *fp;

	put(f->s, "objects/aa/x", "x", 0);
	snprintf(path, sizeof(path), "%s/objects/aa/.tmp-0123", f->dir);
	assert_non_null(fp = fopen(path, "w"));
	fclose(fp);
	snprintf(path, sizeof(path), "%s/.tmp-dir", f->dir);
	assert_int_equal(mkdir(path, 0777), 0);
	snprintf(path, sizeof(path), "%s/.tmp-dir/k", f->dir);
	assert_non_null(fp = fopen(path, "w"));
	fclose(fp);
	assert_int_equal(count_keys(f->s, ""), 1);
	assert_int_equal(count_keys(f->s, "objects/aa/"), 1);
	assert_int_equal(count_keys(f->s, ".tmp-"), 0);
}

static void test_store_local__open_missing(void **state)
{
	fixture *f = *state;
	arca_error err = ARCA_ERROR_INIT;
	arca_store *s = NULL;
	char path[PATH_MAX];
	struct stat st;

	snprintf(path, sizeof(path), "%s/missing", f->dir);
	assert_int_equal(arca_store_local_new(&s, path, 0, &err),
		ARCA_ENOTFOUND);
	assert_null(s);
	assert_non_null(strstr(err.msg, "does not exist"));
	assert_non_null(strstr(err.msg, path));
	assert_int_equal(arca_store_open(&s, path, 0, &err), ARCA_ENOTFOUND);
	assert_null(s);
	assert_int_not_equal(stat(path, &st), 0);

	snprintf(path, sizeof(path), "%s/a/b/c", f->dir);
	assert_int_equal(arca_store_local_new(&s, path, 1, &err), 0);
	put(s, "config", "c", 0);
	arca_store_free(s);
	assert_int_equal(stat(path, &st), 0);
	assert_true(S_ISDIR(st.st_mode));

	snprintf(path, sizeof(path), "%s/a/b/c/config", f->dir);
	s = NULL;
	assert_int_equal(arca_store_local_new(&s, path, 0, &err),
		ARCA_EINVALID);
	assert_null(s);
}

static void test_store_local__open_url(void **state)
{
	fixture *f = *state;
	arca_error err = ARCA_ERROR_INIT;
	arca_store *s = NULL;
	char url[PATH_MAX + 32], *real = realpath(f->dir, NULL);

	assert_non_null(real);
	put(f->s, "config", "via path", 0);
	assert_string_equal(f->s->local_path(f->s), real);
	snprintf(url, sizeof(url), "file://%s", real);
	assert_string_equal(f->s->url, url);

	snprintf(url, sizeof(url), "file://%s", f->dir);
	assert_int_equal(arca_store_open(&s, url, 0, &err), 0);
	check_str(s, "config", "via path");
	assert_string_equal(s->local_path(s), real);
	arca_store_free(s);

	snprintf(url, sizeof(url), "FILE://localhost%s", f->dir);
	assert_int_equal(arca_store_open(&s, url, 0, &err), 0);
	check_str(s, "config", "via path");
	arca_store_free(s);

	assert_int_equal(arca_store_open(&s, f->dir, 0, &err), 0);
	check_str(s, "config", "via path");
	arca_store_free(s);

	s = NULL;
	assert_int_equal(arca_store_open(&s, "gs://x", 0, &err),
		ARCA_EINVALID);
	assert_string_equal(err.msg, "unsupported store URL scheme 'gs'");
	assert_int_equal(arca_store_open(&s, "file://", 0, &err),
		ARCA_EINVALID);
	assert_int_equal(arca_store_open(&s, "file://host/srv/repo", 0, &err),
		ARCA_EINVALID);
	assert_int_equal(arca_store_open(&s, "S3://b/p", 0, &err),
		ARCA_EINVALID);
	assert_int_equal(arca_store_open(&s, "", 0, &err), ARCA_EINVALID);
	assert_null(s);
	free(real);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(
			test_store_local__no_tmp_after_put, setup, teardown),
		cmocka_unit_test_setup_teardown(
			test_store_local__no_tmp_after_flush, setup, teardown),
		cmocka_unit_test_setup_teardown(
			test_store_local__defer_invisible_before_flush, setup,
			teardown),
		cmocka_unit_test_setup_teardown(
			test_store_local__free_without_flush, setup, teardown),
		cmocka_unit_test_setup_teardown(
			test_store_local__stale_tmp_ignored, setup, teardown),
		cmocka_unit_test_setup_teardown(
			test_store_local__open_missing, setup, teardown),
		cmocka_unit_test_setup_teardown(
			test_store_local__open_url, setup, teardown),
	};
	local_ctx ctx = { NULL };
	int failed;

	failed = store_suite_run("test_store_local", make_local,
		cleanup_local, &ctx);
	failed += cmocka_run_group_tests_name("test_store_local (local only)",
		tests, NULL, NULL);
	return failed ? 1 : 0;
}
