/*
 * The repository core (src/lib/repo): init and open with their config and
 * version checks, objects (put, read, decode, resolve), records, refs and
 * locks. Repositories are real local directories in temp dirs.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "testutil.h"
#include "repo_fixture.h"
#include "ut_files.h"
#include "ut_repo.h"
#include "hash/sha256.h"
#include "util/json.h"
#include "util/sys.h"

/* Per-case state: a temp dir holding the repository at dir/repo. */
typedef struct fx {
	char *dir;
	char *path;
	arca_repo *r;
} fx;

static int setup(void **state)
{
	fx *f = calloc(1, sizeof(*f));

	if (!f)
		return -1;
	f->r = tu_repo_new(&f->dir);
	f->path = ut_fmt("%s/repo", f->dir);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	fx *f = *state;

	arca_repo_free(f->r);
	free(f->path);
	tu_rmtree(f->dir);
	free(f);
	return 0;
}

/* --- init and open --- */

static void test_repo__init_creates_config(void **state)
{
	fx *f = *state;
	char *cfg_path = ut_fmt("%s/config", f->path), *cfg;
	arca_error err = ARCA_ERROR_INIT;
	json_t *doc = NULL;
	const char *s;
	int64_t v;
	size_t len;

	cfg = ut_read_file(cfg_path, &len);
	assert_int_equal(arca_json_parse(&doc, cfg, len, "config", &err), 0);
	assert_int_equal(arca_json_get_str(&s, doc, "format", "c", &err), 0);
	assert_string_equal(s, "arca-repository");
	assert_int_equal(arca_json_get_int(&v, json_object_get(doc,
		"version"), "major", "c", &err), 0);
	assert_int_equal(v, ARCA_FORMAT_MAJOR);
	assert_int_equal(arca_json_get_str(&s, doc, "id", "c", &err), 0);
	assert_int_equal(strlen(s), 32);
	assert_string_equal(s, arca_repo_id(f->r));
	assert_int_equal(arca_json_get_int(&v, json_object_get(doc,
		"compression"), "level", "c", &err), 0);
	assert_int_equal(v, 3);
	assert_int_equal(arca_repo_zstd_level(f->r), 3);
	/* canonical: no whitespace, sorted keys */
	assert_null(strchr(cfg, ' '));
	assert_null(strchr(cfg, '\n'));
	assert_string_equal(arca_repo_url(f->r), f->path);
	json_decref(doc);
	free(cfg);
	free(cfg_path);
}

static void test_repo__init_twice(void **state)
{
	fx *f = *state;
	arca_error err = ARCA_ERROR_INIT;
	arca_repo *r = NULL;
	char *cfg = ut_fmt("%s/config", f->path), *before, *after;

	before = ut_read_file(cfg, NULL);
	assert_int_equal(arca_repo_init(&r, f->path, NULL, &err),
		ARCA_EEXISTS);
	assert_null(r);
	ut_assert_msg(&err, f->path);
	after = ut_read_file(cfg, NULL);
	assert_string_equal(before, after);
	free(before);
	free(after);
	free(cfg);
}

static void test_repo__init_zstd_level(void **state)
{
	static const int bad[] = { -1, 20, 100 };
	fx *f = *state;
	arca_repo_init_opts o = ARCA_REPO_INIT_OPTS_INIT;
	arca_error err = ARCA_ERROR_INIT;
	arca_repo *r = NULL;
	char *p = ut_fmt("%s/r", f->dir), *url = ut_fmt("file://%s", p);

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		o.zstd_level = bad[i];
		assert_int_equal(arca_repo_init(&r, p, &o, &err),
			ARCA_EINVALID);
		assert_null(r);
		ut_assert_msg(&err, "zstd level");
	}
	assert_false(ut_exists(p));
	o.zstd_level = 19;
	assert_int_equal(arca_repo_init(&r, p, &o, &err), 0);
	arca_repo_free(r);
	r = ut_repo_open(url);
	assert_int_equal(arca_repo_zstd_level(r), 19);
	arca_repo_free(r);
	free(url);
	free(p);
}

static void test_repo__open_missing(void **state)
{
	fx *f = *state;
	arca_error err = ARCA_ERROR_INIT;
	arca_repo *r = NULL;
	char *missing = ut_fmt("%s/nope", f->dir);
	char *empty = ut_fmt("%s/empty", f->dir);

	assert_int_equal(arca_repo_open(&r, missing, &err), ARCA_ENOTFOUND);
	assert_null(r);
	ut_assert_msg(&err, "arca init");
	assert_false(ut_exists(missing));
	ut_mkdir(empty, 0755);
	arca_error_clear(&err);
	assert_int_equal(arca_repo_open(&r, empty, &err), ARCA_ENOTFOUND);
	assert_null(r);
	ut_assert_msg(&err, "arca init");
	ut_assert_msg(&err, empty);
	free(missing);
	free(empty);
}

/* Writes a config by hand into a new directory dir/name; returns its path. */
static char *hand_repo(fx *f, const char *name, const char *config)
{
	char *p = ut_fmt("%s/%s", f->dir, name), *c;

	ut_mkdir(p, 0755);
	c = ut_fmt("%s/config", p);
	ut_write_str(c, config);
	free(c);
	return p;
}

#define CFG_TAIL CFG_ALGOS "\"id\":\"0123456789abcdef0123456789abcdef\"," \
	"\"chunker\":{\"algorithm\":\"fastcdc-v1\",\"min_size\":262144," \
	"\"avg_size\":1048576,\"max_size\":4194304}," \
	"\"compression\":{\"algorithm\":\"zstd\",\"level\":3}}"

#define CFG_ALGOS "\"hash\":\"sha256\"," \
	"\"object_encoding\":\"zstd-frame-checksum\","
#define CFG_V1 "{\"format\":\"arca-repository\"," \
	"\"version\":{\"major\":1,\"minor\":0},"
#define CFG_CHUNKER "\"chunker\":{\"algorithm\":\"fastcdc-v1\"," \
	"\"min_size\":262144,\"avg_size\":1048576,\"max_size\":4194304},"
#define CFG_ID "\"id\":\"0123456789abcdef0123456789abcdef\","

static void test_repo__open_newer_version(void **state)
{
	fx *f = *state;
	arca_error err = ARCA_ERROR_INIT;
	arca_repo *r = NULL;
	char *p = hand_repo(f, "v2", "{\"format\":\"arca-repository\","
		"\"version\":{\"major\":2,\"minor\":3}," CFG_TAIL);
	char *ok = hand_repo(f, "v1", "{\"format\":\"arca-repository\","
		"\"version\":{\"major\":1,\"minor\":7}," CFG_TAIL);

	assert_int_equal(arca_repo_open(&r, p, &err), ARCA_EVERSION);
	assert_null(r);
	ut_assert_msg(&err, "2.3");
	ut_assert_msg(&err, "1.x");
	/* a newer minor of our major is fine */
	r = ut_repo_open(ok);
	assert_string_equal(arca_repo_id(r), "0123456789abcdef0123456789abcdef");
	arca_repo_free(r);
	free(p);
	free(ok);
}

static void test_repo__open_bad_config(void **state)
{
	static const char *bad[] = {
		"{\"format\":\"tar-pit\",\"version\":{\"major\":1,\"minor\":0},"
		CFG_TAIL,
		"{\"version\":{\"major\":1,\"minor\":0}," CFG_TAIL,
		"{\"format\":\"arca-repository\"," CFG_TAIL,
		"not json at all",
		"",
		/* id not 32 hex digits */
		CFG_V1 CFG_ALGOS "\"id\":\"../../etc\"," CFG_CHUNKER
		"\"compression\":{\"algorithm\":\"zstd\",\"level\":3}}",
		/* unknown algorithms */
		CFG_V1 "\"hash\":\"blake3\",\"object_encoding\":"
		"\"zstd-frame-checksum\"," CFG_ID CFG_CHUNKER
		"\"compression\":{\"algorithm\":\"zstd\",\"level\":3}}",
		CFG_V1 CFG_ALGOS CFG_ID CFG_CHUNKER
		"\"compression\":{\"algorithm\":\"lz4\",\"level\":3}}",
		CFG_V1 CFG_ALGOS CFG_ID "\"chunker\":{\"algorithm\":"
		"\"rabin\",\"min_size\":262144,\"avg_size\":1048576,"
		"\"max_size\":4194304},"
		"\"compression\":{\"algorithm\":\"zstd\",\"level\":3}}",
		/* out of range */
		CFG_V1 CFG_ALGOS CFG_ID CFG_CHUNKER
		"\"compression\":{\"algorithm\":\"zstd\",\"level\":99}}",
		CFG_V1 CFG_ALGOS CFG_ID "\"chunker\":{\"algorithm\":"
		"\"fastcdc-v1\",\"min_size\":-1,\"avg_size\":1048576,"
		"\"max_size\":4194304},"
		"\"compression\":{\"algorithm\":\"zstd\",\"level\":3}}",
	};
	fx *f = *state;
	char name[32];

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		arca_error err = ARCA_ERROR_INIT;
		arca_repo *r = NULL;
		char *p;
		int rc;
		snprintf(name, sizeof(name), "bad%zu", i);
		p = hand_repo(f, name, bad[i]);
		rc = arca_repo_open(&r, p, &err);
		if (rc >= 0)
			fail_msg("config %zu accepted", i);
		assert_null(r);
		assert_int_equal(err.code, rc);
		assert_true(err.msg[0] != '\0');
		if (i == 0)
			ut_assert_msg(&err, "tar-pit");
		if (i == 5)
			ut_assert_msg(&err, "32 lowercase hex");
		if (i == 6)
			ut_assert_msg(&err, "blake3");
		if (i == 7)
			ut_assert_msg(&err, "lz4");
		free(p);
	}
}

/* --- objects --- */

static void test_repo__object_roundtrip(void **state)
{
	fx *f = *state;
	size_t big_len = 5u << 20;
	unsigned char *big = malloc(big_len);
	char hex[ARCA_ID_HEXSZ + 1], s[ARCA_ID_STRSZ], *file;
	arca_error err = ARCA_ERROR_INIT;
	unsigned char *data = NULL;
	arca_id id0, id1, id5, want;
	arca_repo *r2;
	size_t len;

	assert_non_null(big);
	tu_fill_random(big, big_len, 42);
	id0 = tu_put_blob(f->r, "", 0);
	id1 = tu_put_blob(f->r, "x", 1);
	id5 = tu_put_blob(f->r, big, big_len);
	assert_int_equal(arca_sha256(&want, big, big_len, NULL), 0);
	assert_memory_equal(&id5, &want, sizeof(want));
	arca_id_hex(hex, &id0);
	assert_string_equal(hex, "e3b0c44298fc1c149afbf4c8996fb924"
		"27ae41e4649b934ca495991b7852b855");
	file = ut_fmt("%s/objects/%.2s/%s", f->path, hex, hex);
	assert_true(ut_exists(file));
	free(file);
	ut_read_back(f->r, &id0, "", 0);
	ut_read_back(f->r, &id1, "x", 1);
	ut_read_back(f->r, &id5, big, big_len);
	/* and through another handle */
	r2 = ut_repo_open(f->path);
	ut_read_back(r2, &id5, big, big_len);
	arca_repo_free(r2);
	free(big);
	/* missing */
	assert_int_equal(arca_sha256(&want, "never stored", 12, NULL), 0);
	arca_id_str(s, &want);
	assert_int_equal(arca_repo_object_read(f->r, &data, &len, &want,
		&err), ARCA_ENOTFOUND);
	assert_null(data);
	ut_assert_msg(&err, s);
	assert_int_equal(arca_repo__object_exists(f->r, &want, &err), 0);
}

static void test_repo__object_put_existing(void **state)
{
	fx *f = *state;
	arca_error err = ARCA_ERROR_INIT;
	arca_put_result res;
	arca_repo *r2;

	assert_int_equal(arca_repo__object_put(f->r, &res, "dup", 3, 0, NULL,
		&err), 0);
	assert_int_equal(res.stored, 1);
	assert_true(res.stored_size > 0);
	assert_int_equal(arca_repo__object_put(f->r, &res, "dup", 3, 0, NULL,
		&err), 0);
	assert_int_equal(res.stored, 0);
	assert_int_equal(res.stored_size, 0);
	/* a fresh handle knows nothing: it finds the object in the store */
	r2 = ut_repo_open(f->path);
	assert_int_equal(arca_repo__object_exists(r2, &res.id, &err), 1);
	assert_int_equal(arca_repo__object_put(r2, &res, "dup", 3,
		ARCA_REPO_PUT_DEFER, NULL, &err), 0);
	assert_int_equal(res.stored, 0);
	assert_int_equal(arca_repo__flush(r2, &err), 0);
	arca_repo_free(r2);
}

static void test_repo__object_decode_corrupt(void **state)
{
	static const char text[] = "some object content, some object content";
	arca_buf frame = ARCA_BUF_INIT, out = ARCA_BUF_INIT;
	arca_error err = ARCA_ERROR_INIT;
	char s[ARCA_ID_STRSZ];
	arca_id id, other;
	size_t len = sizeof(text) - 1;

	(void)state;
	assert_int_equal(arca_sha256(&id, text, len, NULL), 0);
	assert_int_equal(arca_sha256(&other, "other", 5, NULL), 0);
	arca_id_str(s, &id);
	assert_int_equal(arca_repo__object_encode(&frame, text, len, 3, NULL,
		&err), 0);
	assert_int_equal(arca_repo__object_decode(&out, frame.data, frame.len,
		&id, NULL, &err), 0);
	assert_int_equal(out.len, len);
	assert_memory_equal(out.data, text, len);
	/* truncated: at every length */
	for (size_t n = 0; n < frame.len; n++) {
		arca_error_clear(&err);
		assert_int_equal(arca_repo__object_decode(&out, frame.data, n,
			&id, NULL, &err), ARCA_ECORRUPT);
		ut_assert_msg(&err, s);
	}
	/* trailing garbage */
	assert_int_equal(arca_buf_put(&frame, "x", 1), 0);
	assert_int_equal(arca_repo__object_decode(&out, frame.data, frame.len,
		&id, NULL, &err), ARCA_ECORRUPT);
	/* a flipped bit in the checksum */
	assert_int_equal(arca_repo__object_encode(&frame, text, len, 3, NULL,
		&err), 0);
	frame.data[frame.len - 1] ^= 1;
	assert_int_equal(arca_repo__object_decode(&out, frame.data, frame.len,
		NULL, NULL, &err), ARCA_ECORRUPT);
	/* no checksum */
	ut_zstd_frame(&frame, text, len, 0, 1);
	assert_int_equal(arca_repo__object_decode(&out, frame.data, frame.len,
		&id, NULL, &err), ARCA_ECORRUPT);
	ut_assert_msg(&err, "checksum");
	/* no content size */
	ut_zstd_frame(&frame, text, len, 1, 0);
	assert_int_equal(arca_repo__object_decode(&out, frame.data, frame.len,
		&id, NULL, &err), ARCA_ECORRUPT);
	/* valid frame, content of another id */
	ut_zstd_frame(&frame, text, len, 1, 1);
	assert_int_equal(arca_repo__object_decode(&out, frame.data, frame.len,
		&id, NULL, &err), 0);
	arca_error_clear(&err);
	assert_int_equal(arca_repo__object_decode(&out, frame.data, frame.len,
		&other, NULL, &err), ARCA_ECORRUPT);
	arca_id_str(s, &other);
	ut_assert_msg(&err, s);
	arca_buf_dispose(&frame);
	arca_buf_dispose(&out);
}

static void test_repo__object_read_corrupt(void **state)
{
	fx *f = *state;
	arca_error err = ARCA_ERROR_INIT;
	unsigned char *data = NULL;
	char ha[ARCA_ID_HEXSZ + 1], hb[ARCA_ID_HEXSZ + 1], *pa, *pb, *frame;
	arca_id a = tu_put_blob(f->r, "aaaa", 4);
	arca_id b = tu_put_blob(f->r, "bbbb", 4);
	size_t len;

	arca_id_hex(ha, &a);
	arca_id_hex(hb, &b);
	pa = ut_fmt("%s/objects/%.2s/%s", f->path, ha, ha);
	pb = ut_fmt("%s/objects/%.2s/%s", f->path, hb, hb);
	/* b's file now holds a's (valid) frame */
	frame = ut_read_file(pa, &len);
	ut_write_file(pb, frame, len);
	assert_int_equal(arca_repo_object_read(f->r, &data, &len, &b, &err),
		ARCA_ECORRUPT);
	assert_null(data);
	ut_assert_msg(&err, hb);
	ut_read_back(f->r, &a, "aaaa", 4);
	free(frame);
	free(pa);
	free(pb);
}

/* --- resolve --- */

static void resolve_ok(fx *f, const char *spec, const arca_id *want)
{
	arca_error err = ARCA_ERROR_INIT;
	arca_id got;

	memset(&got, 0, sizeof(got));
	if (arca_repo_object_resolve(&got, f->r, spec, &err) < 0)
		fail_msg("resolve '%s': %s", spec, err.msg);
	assert_memory_equal(&got, want, sizeof(got));
}

static void resolve_fails(fx *f, const char *spec, int code)
{
	arca_error err = ARCA_ERROR_INIT;
	arca_id got;

	assert_int_equal(arca_repo_object_resolve(&got, f->r, spec, &err),
		code);
	assert_int_equal(err.code, code);
}

static void test_repo__object_resolve(void **state)
{
	fx *f = *state;
	char hex[ARCA_ID_HEXSZ + 1], hx[ARCA_ID_HEXSZ + 1], spec[96];
	arca_id a = tu_put_blob(f->r, "resolve me", 10), x, y;
	size_t k;

	arca_id_hex(hex, &a);
	resolve_ok(f, hex, &a);
	snprintf(spec, sizeof(spec), "sha256:%s", hex);
	resolve_ok(f, spec, &a);
	snprintf(spec, sizeof(spec), "%.8s", hex);
	resolve_ok(f, spec, &a);
	snprintf(spec, sizeof(spec), "sha256:%.6s", hex);
	resolve_ok(f, spec, &a);
	for (k = 0; k < 8; k++)
		spec[k] = (char)(hex[k] >= 'a' ? hex[k] - 32 : hex[k]);
	spec[8] = '\0';
	resolve_ok(f, spec, &a);

	snprintf(spec, sizeof(spec), "%.3s", hex);
	resolve_fails(f, spec, ARCA_EINVALID);
	resolve_fails(f, "", ARCA_EINVALID);
	resolve_fails(f, "zzzz", ARCA_EINVALID);
	resolve_fails(f, "../../config", ARCA_EINVALID);

	ut_colliding_pair(f->r, &x, &y);
	arca_id_hex(hx, &x);
	snprintf(spec, sizeof(spec), "%.4s", hx);
	resolve_fails(f, spec, ARCA_EAMBIGUOUS);
	arca_id_hex(hex, &y);
	for (k = 4; hx[k] == hex[k]; k++)
		;
	snprintf(spec, sizeof(spec), "%.*s", (int)k + 1, hx);
	resolve_ok(f, spec, &x);
	snprintf(spec, sizeof(spec), "%.*s", (int)k + 1, hex);
	resolve_ok(f, spec, &y);

	/* a prefix no stored object has */
	snprintf(spec, sizeof(spec), "%.4s", hx);
	spec[3] = spec[3] == '0' ? '1' : '0';
	resolve_fails(f, spec, ARCA_ENOTFOUND);
}

/* --- records and refs --- */

static void test_repo__records(void **state)
{
	fx *f = *state;
	arca_error err = ARCA_ERROR_INIT;
	arca_id a = tu_put_blob(f->r, "a", 1), b = tu_put_blob(f->r, "b", 1);
	arca_id c = tu_put_blob(f->r, "c", 1);
	ut_idlist l = { .n = 0 };
	char *stray;

	assert_int_equal(arca_repo__record_list(f->r, "snapshot", ut_idlist_cb,
		&l, &err), 0);
	assert_int_equal(l.n, 0);
	assert_int_equal(arca_repo__record_add(f->r, "snapshot", &a, &err), 0);
	assert_int_equal(arca_repo__record_add(f->r, "snapshot", &b, &err), 0);
	assert_int_equal(arca_repo__record_add(f->r, "snapshot", &b, &err), 0);
	assert_int_equal(arca_repo__record_add(f->r, "run", &c, &err), 0);
	stray = ut_fmt("%s/records/snapshot/README", f->path);
	ut_write_str(stray, "not a record\n");
	assert_int_equal(arca_repo__record_list(f->r, "snapshot", ut_idlist_cb,
		&l, &err), 0);
	assert_int_equal(l.n, 2);
	assert_true(ut_idlist_has(&l, &a) && ut_idlist_has(&l, &b));
	l.n = 0;
	assert_int_equal(arca_repo__record_list(f->r, "run", ut_idlist_cb, &l,
		&err), 0);
	assert_int_equal(l.n, 1);
	assert_true(ut_idlist_has(&l, &c));
	l.n = 0;
	l.stop_at = 1;
	assert_int_equal(arca_repo__record_list(f->r, "snapshot", ut_idlist_cb,
		&l, &err), 7);
	assert_int_equal(l.n, 1);
	for (const char **k = (const char *[]){ "a/b", "", "..", NULL }; *k;
		k++)
		assert_int_equal(arca_repo__record_add(f->r, *k, &a, &err),
			ARCA_EINVALID);
	free(stray);
}

static void test_repo__refs(void **state)
{
	static const char *bad[] = { "../x", "", ".hidden", "a//b", "/abs",
		"a/", "a/../b", "a/./b", "..", "a b", "x\n", "a/.hidden" };
	fx *f = *state;
	arca_error err = ARCA_ERROR_INIT;
	arca_id a = tu_put_blob(f->r, "a", 1), b = tu_put_blob(f->r, "b", 1);
	char s[ARCA_ID_STRSZ], *file, *content, *want;
	arca_id got;

	assert_int_equal(arca_repo__ref_get(f->r, &got, "datasets/churn",
		&err), ARCA_ENOTFOUND);
	ut_assert_msg(&err, "datasets/churn");
	for (arca_id *x = &a; x; x = x == &a ? &b : NULL) {
		assert_int_equal(arca_repo__ref_set(f->r, "datasets/churn", x,
			&err), 0);
		assert_int_equal(arca_repo__ref_get(f->r, &got,
			"datasets/churn", &err), 0);
		assert_memory_equal(&got, x, sizeof(got));
	}
	file = ut_fmt("%s/refs/datasets/churn", f->path);
	content = ut_read_file(file, NULL);
	arca_id_str(s, &b);
	want = ut_fmt("%s\n", s);
	assert_string_equal(content, want);
	/* other valid names */
	assert_int_equal(arca_repo__ref_set(f->r, "v1.2-rc_3+x@y", &a, &err),
		0);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		arca_error_clear(&err);
		if (arca_repo__ref_set(f->r, bad[i], &a, &err) != ARCA_EINVALID)
			fail_msg("ref name '%s' accepted", bad[i]);
		assert_int_equal(arca_repo__ref_get(f->r, &got, bad[i], &err),
			ARCA_EINVALID);
	}
	/* nothing was written for the invalid names */
	free(want);
	want = ut_fmt("%s/refs", f->path);
	assert_int_equal(ut_count_dir(want), 2);
	free(want);
	want = ut_fmt("%s/x", f->path);
	assert_false(ut_exists(want));
	/* a ref that does not hold an id */
	ut_write_str(file, "garbage\n");
	assert_int_equal(arca_repo__ref_get(f->r, &got, "datasets/churn",
		&err), ARCA_ECORRUPT);
	free(file);
	free(content);
	free(want);
}

/* --- locks --- */

static void assert_holder(const arca_error *err, const char *pid,
	const char *host, const char *kind)
{
	ut_assert_msg(err, pid);
	ut_assert_msg(err, host);
	ut_assert_msg(err, kind);
}

static void test_repo__lock_shared_shared(void **state)
{
	fx *f = *state;
	arca_error err = ARCA_ERROR_INIT;
	arca_repo *r2 = ut_repo_open(f->path);

	ut_lock_ok(f->r, 0);
	ut_lock_ok(r2, 0);
	assert_int_equal(ut_nlocks(f->path), 2);
	assert_int_equal(arca_repo_lock(r2, 0, &err), ARCA_EINVALID);
	arca_repo_free(r2);
	assert_int_equal(ut_nlocks(f->path), 1);
}

static void test_repo__lock_exclusive_conflicts(void **state)
{
	fx *f = *state;
	arca_error err = ARCA_ERROR_INIT;
	arca_repo *r2 = ut_repo_open(f->path);
	char h[256], pid[32];

	arca_hostname(h, sizeof(h));
	snprintf(pid, sizeof(pid), "pid %d", (int)getpid());
	ut_lock_ok(f->r, 0);
	assert_int_equal(arca_repo_lock(r2, 1, &err), ARCA_ELOCKED);
	assert_holder(&err, pid, h, "a shared lock");
	assert_null(r2->lock_key);
	assert_int_equal(ut_nlocks(f->path), 1);
	assert_int_equal(arca_repo_unlock(f->r, &err), 0);

	ut_lock_ok(f->r, 1);
	arca_error_clear(&err);
	assert_int_equal(arca_repo_lock(r2, 0, &err), ARCA_ELOCKED);
	assert_holder(&err, pid, h, "an exclusive lock");
	assert_int_equal(arca_repo_lock(r2, 1, &err), ARCA_ELOCKED);
	assert_int_equal(ut_nlocks(f->path), 1);
	assert_int_equal(arca_repo_unlock(f->r, &err), 0);
	ut_lock_ok(r2, 1);
	arca_repo_free(r2);
}

static void test_repo__lock_stale_removed(void **state)
{
	fx *f = *state;
	long long now = (long long)(arca_time_now_ns() / 1000000000);
	char h[256], *p;

	arca_hostname(h, sizeof(h));
	/* this host, process gone */
	ut_hand_lock(f->path, "deadbeef01", 1, h, ut_dead_pid(), 0,
		now + 3600);
	/* this host, pid alive but started at another time: reused */
	ut_hand_lock(f->path, "deadbeef02", 1, h, 1, 1, now + 3600);
	/* another host, expired */
	ut_hand_lock(f->path, "deadbeef03", 1, "elsewhere.example", 4242, 0,
		now - 60);
	assert_int_equal(ut_nlocks(f->path), 3);
	ut_lock_ok(f->r, 1);
	assert_int_equal(ut_nlocks(f->path), 1);
	p = ut_fmt("%s/%s", f->path, f->r->lock_key);
	assert_true(ut_exists(p));
	free(p);
}

static void test_repo__lock_foreign_host_blocks(void **state)
{
	fx *f = *state;
	long long now = (long long)(arca_time_now_ns() / 1000000000);
	arca_error err = ARCA_ERROR_INIT;

	ut_hand_lock(f->path, "cafe01", 0, "elsewhere.example", 4242, 0,
		now + 600);
	assert_int_equal(arca_repo_lock(f->r, 1, &err), ARCA_ELOCKED);
	ut_assert_msg(&err, "elsewhere.example");
	ut_assert_msg(&err, "pid 4242");
	assert_int_equal(ut_nlocks(f->path), 1);
	ut_lock_ok(f->r, 0); /* shared with a shared lock */
	assert_int_equal(ut_nlocks(f->path), 2);
	assert_int_equal(arca_repo_unlock(f->r, &err), 0);
	/* a lock file from elsewhere with absurd times still just blocks */
	{
		char *p = ut_fmt("%s/locks/cafe02", f->path);
		ut_write_str(p, "{\"exclusive\":true,\"expires\":"
			"9223372036854775807,\"hostname\":\"far.example\","
			"\"pid\":7,\"time\":9223372036854775807}");
		free(p);
	}
	assert_int_equal(arca_repo_lock(f->r, 0, &err), ARCA_ELOCKED);
	ut_assert_msg(&err, "far.example");
}

static void test_repo__lock_unreadable_file(void **state)
{
	fx *f = *state;
	arca_error err = ARCA_ERROR_INIT;
	struct timespec old[2] = { { 0, UTIME_OMIT }, { 0, 0 } };
	char *p = ut_fmt("%s/locks", f->path), *file;

	ut_mkdir(p, 0755);
	file = ut_fmt("%s/garbage", p);
	ut_write_str(file, "not a lock");
	/* treated as an exclusive lock while the file is recent */
	assert_int_equal(arca_repo_lock(f->r, 0, &err), ARCA_ELOCKED);
	ut_assert_msg(&err, "garbage");
	/* and as stale once it is old */
	old[1].tv_sec = (time_t)(arca_time_now_ns() / 1000000000) - 7200;
	assert_int_equal(utimensat(AT_FDCWD, file, old, 0), 0);
	ut_lock_ok(f->r, 1);
	assert_false(ut_exists(file));
	free(file);
	free(p);
}

static void test_repo__unlock_removes(void **state)
{
	fx *f = *state;
	arca_error err = ARCA_ERROR_INIT;
	char *p;

	assert_int_equal(arca_repo_unlock(f->r, &err), 0);
	ut_lock_ok(f->r, 1);
	p = ut_fmt("%s/%s", f->path, f->r->lock_key);
	assert_true(ut_exists(p));
	assert_int_equal(arca_repo_unlock(f->r, &err), 0);
	assert_false(ut_exists(p));
	assert_null(f->r->lock_key);
	assert_int_equal(ut_nlocks(f->path), 0);
	assert_int_equal(arca_repo_unlock(f->r, &err), 0);
	free(p);
}

static void test_repo__lock_refresh(void **state)
{
	fx *f = *state;
	arca_error err = ARCA_ERROR_INIT;
	json_t *doc = NULL;
	int64_t t, e, now;
	char *p, *text;
	size_t len;

	assert_int_equal(arca_repo_lock_refresh(f->r, &err), 0); /* unlocked */
	ut_lock_ok(f->r, 0);
	p = ut_fmt("%s/%s", f->path, f->r->lock_key);
	ut_write_str(p, "{\"exclusive\":false,\"expires\":2000,"
		"\"hostname\":\"h\",\"pid\":1,\"time\":1000}");
	/* refreshed recently: nothing written */
	assert_int_equal(arca_repo_lock_refresh(f->r, &err), 0);
	text = ut_read_file(p, NULL);
	assert_non_null(strstr(text, "\"time\":1000"));
	free(text);
	f->r->lock_refreshed -= 3600;
	f->r->lock_since -= 3600; /* taken an hour ago */
	assert_int_equal(arca_repo_lock_refresh(f->r, &err), 0);
	now = arca_time_now_ns() / 1000000000;
	text = ut_read_file(p, &len);
	assert_int_equal(arca_json_parse(&doc, text, len, "lock", &err), 0);
	assert_int_equal(arca_json_get_int(&t, doc, "time", "lock", &err), 0);
	assert_int_equal(arca_json_get_int(&e, doc, "expires", "lock", &err),
		0);
	/* "time" stays when it was taken; the expiry moves on */
	assert_int_equal(t, f->r->lock_since);
	assert_true(t <= now - 3600);
	assert_true(e >= now + 1800 - 5 && e <= now + 1800);
	assert_int_equal(arca_json_get_int(&e, doc, "pid", "lock", &err), 0);
	assert_int_equal(e, getpid());
	assert_true(f->r->lock_refreshed >= now - 5);
	json_decref(doc);
	free(text);
	free(p);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_repo__init_creates_config),
		T(test_repo__init_twice),
		T(test_repo__init_zstd_level),
		T(test_repo__open_missing),
		T(test_repo__open_newer_version),
		T(test_repo__open_bad_config),
		T(test_repo__object_roundtrip),
		T(test_repo__object_put_existing),
		T(test_repo__object_decode_corrupt),
		T(test_repo__object_read_corrupt),
		T(test_repo__object_resolve),
		T(test_repo__records),
		T(test_repo__refs),
		T(test_repo__lock_shared_shared),
		T(test_repo__lock_exclusive_conflicts),
		T(test_repo__lock_stale_removed),
		T(test_repo__lock_foreign_host_blocks),
		T(test_repo__lock_unreadable_file),
		T(test_repo__unlock_removes),
		T(test_repo__lock_refresh),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
