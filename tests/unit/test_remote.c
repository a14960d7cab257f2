/*
 * Remotes (remotes.json beside a local repository): add, list, remove,
 * names and URLs refused, credentials never stored nor repeated, the
 * file's format, and what a command-line REMOTE resolves to.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "repo_fixture.h"
#include "ut_files.h"
#include "ut_repo.h"
#include "arca/remote.h"

typedef struct fix {
	char *dir, *file;
	arca_repo *r;
} fix;

static int setup(void **state)
{
	fix *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	f->r = tu_repo_new(&f->dir);
	f->file = ut_fmt("%s/repo/remotes.json", f->dir);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	fix *f = *state;

	arca_repo_free(f->r);
	tu_rmtree(f->dir);
	free(f->file);
	free(f);
	return 0;
}

static void add_ok(fix *f, const char *name, const char *url,
	const arca_store_opts *so)
{
	arca_error err = ARCA_ERROR_INIT;

	if (arca_remote_add(f->r, name, url, so, &err) < 0)
		fail_msg("add %s: %s", name, err.msg);
}

static void test_remote__add_list_remove(void **state)
{
	fix *f = *state;
	arca_store_opts so = { "http://127.0.0.1:9000", "eu-west-1", 1 };
	arca_remote_list l;
	arca_error err = ARCA_ERROR_INIT;
	char *path, *text;

	assert_int_equal(arca_remote_list_load(&l, f->r, &err), 0);
	assert_int_equal(l.n, 0);
	assert_int_equal(arca_remote_file(&path, f->r, &err), 0);
	assert_string_equal(path, f->file);
	free(path);

	add_ok(f, "zeta", "s3://bucket/prefix", &so);
	add_ok(f, "alpha.1_x-y", "/srv/arca-copy", NULL);
	assert_int_equal(arca_remote_list_load(&l, f->r, &err), 0);
	assert_int_equal(l.n, 2);
	assert_string_equal(l.v[0].name, "alpha.1_x-y");
	assert_string_equal(l.v[0].url, "/srv/arca-copy");
	assert_null(l.v[0].endpoint);
	assert_null(l.v[0].region);
	assert_int_equal(l.v[0].path_style, -1);
	assert_string_equal(l.v[1].name, "zeta");
	assert_string_equal(l.v[1].url, "s3://bucket/prefix");
	assert_string_equal(l.v[1].endpoint, "http://127.0.0.1:9000");
	assert_string_equal(l.v[1].region, "eu-west-1");
	assert_int_equal(l.v[1].path_style, 1);
	arca_remote_list_dispose(&l);

	/* The file: documented format, sorted, readable. */
	text = ut_read_file(f->file, NULL);
	assert_non_null(strstr(text, "\"format\": \"arca-remotes\""));
	assert_non_null(strstr(text, "\"version\": 1"));
	assert_non_null(strstr(text, "\"path_style\": true"));
	assert_true(strstr(text, "alpha.1_x-y") < strstr(text, "zeta"));
	free(text);

	/* duplicates and unknown names */
	assert_int_equal(arca_remote_add(f->r, "zeta", "s3://other", NULL,
		&err), ARCA_EEXISTS);
	ut_assert_msg(&err, "'zeta'");
	assert_int_equal(arca_remote_remove(f->r, "nope", &err),
		ARCA_ENOTFOUND);
	ut_assert_msg(&err, "'nope'");

	assert_int_equal(arca_remote_remove(f->r, "zeta", &err), 0);
	assert_int_equal(arca_remote_list_load(&l, f->r, &err), 0);
	assert_int_equal(l.n, 1);
	assert_string_equal(l.v[0].name, "alpha.1_x-y");
	arca_remote_list_dispose(&l);
	/* no temp file left behind */
	text = ut_fmt("%s/repo", f->dir);
	assert_int_equal(ut_count_dir(text), 2); /* config, remotes.json */
	free(text);
}

static void test_remote__refused(void **state)
{
	fix *f = *state;
	arca_store_opts creds_ep = { "https://AKIA:TOPSECRET@host", NULL, -1 };
	arca_error err = ARCA_ERROR_INIT;
	static const char *const bad_names[] = { "", ".hidden", "-x", "a/b",
		"a b", "x\n", "0123456789012345678901234567890123456789"
		"0123456789012345678901234" };
	static const char *const bad_urls[] = { "", "s3://", "s3:///x",
		"ftp://host/x", "http://host/x" };

	for (size_t i = 0; i < sizeof(bad_names) / sizeof(*bad_names); i++) {
		assert_int_equal(arca_remote_add(f->r, bad_names[i], "s3://b",
			NULL, &err), ARCA_EINVALID);
		ut_assert_msg(&err, "invalid remote name");
	}
	for (size_t i = 0; i < sizeof(bad_urls) / sizeof(*bad_urls); i++)
		assert_int_equal(arca_remote_add(f->r, "x", bad_urls[i], NULL,
			&err), ARCA_EINVALID);
	assert_int_equal(arca_remote_add(f->r, "x",
		"s3://AKIAKEY:TOPSECRET@bucket/p", NULL, &err), ARCA_EINVALID);
	ut_assert_msg(&err, "credentials");
	assert_null(strstr(err.msg, "TOPSECRET"));
	assert_null(strstr(err.msg, "AKIAKEY"));
	assert_int_equal(arca_remote_add(f->r, "x", "s3://bucket", &creds_ep,
		&err), ARCA_EINVALID);
	ut_assert_msg(&err, "endpoint holds credentials");
	assert_null(strstr(err.msg, "TOPSECRET"));
	assert_int_equal(arca_remote_add(f->r, "x", "s3://bucket", &(arca_store_opts){
		"ftp://host", NULL, -1 }, &err), ARCA_EINVALID);
	/* nothing was written */
	assert_false(ut_exists(f->file));
}

static void test_remote__relative_path(void **state)
{
	fix *f = *state;
	arca_remote_list l;
	arca_error err = ARCA_ERROR_INIT;
	char cwd[4096], *want;

	assert_non_null(getcwd(cwd, sizeof(cwd)));
	add_ok(f, "here", "copies/one", NULL);
	assert_int_equal(arca_remote_list_load(&l, f->r, &err), 0);
	want = ut_fmt("%s/copies/one", cwd);
	assert_string_equal(l.v[0].url, want);
	free(want);
	arca_remote_list_dispose(&l);
}

static void test_remote__resolve(void **state)
{
	fix *f = *state;
	arca_store_opts saved = { "http://127.0.0.1:9000", NULL, 1 };
	arca_store_opts flags = { "http://elsewhere:1", "us-west-2", 0 };
	arca_remote rm;
	arca_store_opts so;
	arca_error err = ARCA_ERROR_INIT;

	add_ok(f, "origin", "s3://b/p", &saved);
	/* saved settings win; what is not saved comes from the flags */
	assert_int_equal(arca_remote_resolve(&rm, f->r, "origin", &flags,
		&err), 0);
	assert_string_equal(rm.name, "origin");
	assert_string_equal(rm.url, "s3://b/p");
	so = arca_remote_store_opts(&rm);
	assert_string_equal(so.endpoint, "http://127.0.0.1:9000");
	assert_string_equal(so.region, "us-west-2");
	assert_int_equal(so.path_style, 1);
	arca_remote_dispose(&rm);

	/* a URL, with the flags */
	assert_int_equal(arca_remote_resolve(&rm, f->r, "s3://c/d", &flags,
		&err), 0);
	assert_null(rm.name);
	assert_string_equal(rm.url, "s3://c/d");
	assert_string_equal(rm.endpoint, "http://elsewhere:1");
	assert_int_equal(rm.path_style, 0);
	arca_remote_dispose(&rm);
	assert_int_equal(arca_remote_resolve(&rm, NULL, "./dir", NULL, &err),
		0);
	assert_string_equal(rm.url, "./dir");
	assert_int_equal(rm.path_style, -1);
	arca_remote_dispose(&rm);

	/* neither */
	assert_int_equal(arca_remote_resolve(&rm, f->r, "backup", NULL, &err),
		ARCA_ENOTFOUND);
	ut_assert_msg(&err, "no remote named 'backup'");
	assert_int_equal(arca_remote_resolve(&rm, f->r,
		"s3://K:TOPSECRET@b/p", NULL, &err), ARCA_EINVALID);
	assert_null(strstr(err.msg, "TOPSECRET"));
}

static void test_remote__bad_file(void **state)
{
	fix *f = *state;
	arca_remote_list l;
	arca_error err = ARCA_ERROR_INIT;

	ut_write_str(f->file, "{\"format\":\"something\",\"version\":1,"
		"\"remotes\":{}}");
	assert_int_equal(arca_remote_list_load(&l, f->r, &err),
		ARCA_EINVALID);
	ut_assert_msg(&err, f->file);
	ut_write_str(f->file, "{\"format\":\"arca-remotes\",\"version\":1,"
		"\"remotes\":{\"x\":{\"url\":7}}}");
	assert_int_equal(arca_remote_list_load(&l, f->r, &err),
		ARCA_EINVALID);
	ut_assert_msg(&err, "'x'");
	ut_write_str(f->file, "{\"format\":\"arca-remotes\",\"version\":2,"
		"\"remotes\":{}}");
	assert_int_equal(arca_remote_list_load(&l, f->r, &err),
		ARCA_EINVALID);
	ut_assert_msg(&err, "upgrade arca");
	ut_write_str(f->file, "{\"format\":");
	assert_int_equal(arca_remote_list_load(&l, f->r, &err),
		ARCA_EINVALID);
	/* a change refuses to overwrite what it cannot read */
	assert_int_equal(arca_remote_add(f->r, "y", "s3://b", NULL, &err),
		ARCA_EINVALID);
	/* unknown members are kept out of the way */
	ut_write_str(f->file, "{\"format\":\"arca-remotes\",\"version\":1,"
		"\"remotes\":{\"x\":{\"url\":\"s3://b\",\"later\":1}}}");
	assert_int_equal(arca_remote_list_load(&l, f->r, &err), 0);
	assert_int_equal(l.n, 1);
	arca_remote_list_dispose(&l);
}

int main(void)
{
#define T(name) cmocka_unit_test_setup_teardown(test_remote__##name, \
	setup, teardown)
	const struct CMUnitTest tests[] = {
		T(add_list_remove),
		T(refused),
		T(relative_path),
		T(resolve),
		T(bad_file),
	};

	return cmocka_run_group_tests_name("test_remote", tests, NULL, NULL);
}
