/*
 * arca_transfer between real repositories: two local directories for the
 * rules (everything, by ref, by record id, idempotence, a corrupt or
 * missing source object held back with what needs it, claim-ref
 * conflicts, another repository refused), then local -> S3 -> local
 * through a real s3rver started here.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "repo_fixture.h"
#include "ut_files.h"
#include "ut_repo.h"
#include "s3rver.h"
#include "arca/remote.h"
#include "arca/verify.h"
#include "util/json.h"

#define BUCKET "arca-xfer"

static ut_s3rver server;

/* ------------------------------------------------------------- fixture */

/*
 * The source repository:
 *   snapshot A (ref datasets/a): a.txt [c1 c2], sub/b.bin [c3]
 *   snapshot B (ref datasets/b): x.txt [c4 c1]
 *   dataset-version record V naming B and a stats object S, claimed by
 *     catalog/demo/versions/1, tagged by catalog/demo/tags/gold
 *   an object U nothing names
 */
typedef struct fix {
	char *dir, *src_path, *dst_path;
	arca_repo *src;
	arca_id c[5], ta, tsub, tb, a, b, v, s, u;
	size_t nobjects;
	struct {
		int code;
		char kind[16], name[256], msg[1024];
	} prob[32];
	size_t nprob;
} fix;

static arca_id blob_n(arca_repo *r, size_t len, uint64_t seed)
{
	unsigned char *p = malloc(len);
	arca_id id;

	assert_non_null(p);
	tu_fill_random(p, len, seed);
	id = tu_put_blob(r, p, len);
	free(p);
	return id;
}

static arca_id json_record(arca_repo *r, const char *kind, json_t *doc)
{
	arca_error err = ARCA_ERROR_INIT;
	arca_id id;

	if (arca_repo__json_put(r, &id, doc, 0, &err) < 0 ||
		arca_repo__flush(r, &err) < 0 ||
		arca_repo__record_add(r, kind, &id, &err) < 0)
		fail_msg("record: %s", err.msg);
	json_decref(doc);
	return id;
}

static void ref(arca_repo *r, const char *name, const arca_id *id)
{
	arca_error err = ARCA_ERROR_INIT;

	if (arca_repo__ref_set(r, name, id, &err) < 0)
		fail_msg("ref %s: %s", name, err.msg);
}

static int setup(void **state)
{
	fix *f = calloc(1, sizeof(*f));
	arca_node n[2];
	arca_id ids[2];

	assert_non_null(f);
	f->src = tu_repo_new(&f->dir);
	f->src_path = ut_fmt("%s/repo", f->dir);
	f->dst_path = ut_fmt("%s/dst", f->dir);
	for (int i = 1; i <= 4; i++)
		f->c[i] = blob_n(f->src, 1000u * (unsigned)i + 7, (uint64_t)i);
	ids[0] = f->c[1];
	ids[1] = f->c[2];
	n[0] = tu_file("b.bin", &f->c[3], 1, 3007);
	f->tsub = tu_put_tree(f->src, n, 1);
	n[0] = tu_file("a.txt", ids, 2, 1007 + 2007);
	n[1] = tu_dir("sub", &f->tsub);
	f->ta = tu_put_tree(f->src, n, 2);
	f->a = tu_put_snapshot(f->src, &f->ta);
	ids[0] = f->c[4];
	ids[1] = f->c[1];
	n[0] = tu_file("x.txt", ids, 2, 4007 + 1007);
	f->tb = tu_put_tree(f->src, n, 1);
	f->b = tu_put_snapshot(f->src, &f->tb);
	f->s = tu_put_blob(f->src, "{\"rows\":3}", 10);
	f->v = json_record(f->src, "dataset-version", json_pack("{s:s, s:o, "
		"s:o, s:{s:s}}", "type", "dataset-version", "snapshot",
		arca_json_id(&f->b), "stats", arca_json_id(&f->s), "ingest",
		"quoted", "sha256:0000000000000000000000000000000000000000000"
		"000000000000000000000"));
	f->u = blob_n(f->src, 500, 99);
	ref(f->src, "datasets/a", &f->a);
	ref(f->src, "datasets/b", &f->b);
	ref(f->src, "catalog/demo/versions/1", &f->v);
	ref(f->src, "catalog/demo/tags/gold", &f->v);
	/* c1-c4, 3 trees, 2 snapshots, S, V, U */
	f->nobjects = 12;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	fix *f = *state;

	arca_repo_free(f->src);
	free(f->src_path);
	free(f->dst_path);
	tu_rmtree(f->dir);
	free(f);
	return 0;
}

/* ------------------------------------------------------------- helpers */

static void on_problem(const arca_transfer_problem *p, void *payload)
{
	fix *f = payload;

	assert_non_null(p->message);
	assert_null(strchr(p->message, '\n'));
	assert_true(f->nprob < 32);
	f->prob[f->nprob].code = p->code;
	snprintf(f->prob[f->nprob].kind, 16, "%s", p->kind);
	snprintf(f->prob[f->nprob].name, 256, "%s", p->name);
	snprintf(f->prob[f->nprob].msg, 1024, "%s", p->message);
	f->nprob++;
}

static arca_transfer_opts opts(fix *f)
{
	arca_transfer_opts o = ARCA_TRANSFER_OPTS_INIT;

	o.parallel = 4;
	o.remote = "backup";
	o.problem = on_problem;
	o.payload = f;
	return o;
}

static arca_repo *open_dst(fix *f, const char *url,
	const arca_store_opts *so)
{
	arca_transfer_opts o = opts(f);
	arca_error err = ARCA_ERROR_INIT;
	arca_repo *d = NULL;

	if (arca_transfer_open(&d, url, so, f->src, &o, &err) < 0)
		fail_msg("transfer_open %s: %s", url, err.msg);
	assert_string_equal(arca_repo_id(d), arca_repo_id(f->src));
	return d;
}

static int xfer(fix *f, arca_repo *dst, arca_repo *src,
	const char *const *refs, size_t n, arca_transfer_stats *st,
	arca_error *err)
{
	arca_transfer_opts o = opts(f);

	f->nprob = 0;
	arca_error_clear(err);
	return arca_transfer(dst, src, refs, n, &o, st, err);
}

static char *obj_path(const char *root, const arca_id *id)
{
	char hex[ARCA_ID_HEXSZ + 1];

	arca_id_hex(hex, id);
	return ut_fmt("%s/objects/%.2s/%s", root, hex, hex);
}

static int has_obj(const char *root, const arca_id *id)
{
	char *p = obj_path(root, id);
	int r = ut_exists(p);

	free(p);
	return r;
}

static int has_record(const char *root, const char *kind, const arca_id *id)
{
	char hex[ARCA_ID_HEXSZ + 1], *p;
	int r;

	arca_id_hex(hex, id);
	p = ut_fmt("%s/records/%s/%s", root, kind, hex);
	r = ut_exists(p);
	free(p);
	return r;
}

/* The id ref name holds in r, or the zero id when it has none. */
static arca_id ref_of(arca_repo *r, const char *name)
{
	arca_error err = ARCA_ERROR_INIT;
	arca_id id;

	memset(&id, 0, sizeof(id));
	if (arca_repo__ref_get(r, &id, name, &err) < 0)
		memset(&id, 0, sizeof(id));
	return id;
}

static int same_id(const arca_id *a, const arca_id *b)
{
	return !arca_id_cmp(a, b);
}

static size_t count_objects(const char *root)
{
	char *d = ut_fmt("%s/objects", root), *sub;
	size_t n = 0;
	char hex[3];

	for (int i = 0; i < 256; i++) {
		snprintf(hex, sizeof(hex), "%02x", i);
		sub = ut_fmt("%s/%s", d, hex);
		n += ut_count_dir(sub);
		free(sub);
	}
	free(d);
	return n;
}

/* Same stored bytes on both sides (frames are copied as they are). */
static void same_frame(const char *a_root, const char *b_root,
	const arca_id *id)
{
	char *a = obj_path(a_root, id), *b = obj_path(b_root, id);
	size_t na, nb;
	char *da = ut_read_file(a, &na), *db = ut_read_file(b, &nb);

	assert_int_equal(na, nb);
	assert_memory_equal(da, db, na);
	free(da);
	free(db);
	free(a);
	free(b);
}

static void verify_clean(arca_repo *r)
{
	arca_error err = ARCA_ERROR_INIT;
	arca_verify_stats st;

	if (arca_verify(&st, r, NULL, &err) < 0)
		fail_msg("verify: %s", err.msg);
	assert_int_equal(st.findings[ARCA_SEV_ERROR], 0);
}

static size_t find_prob(fix *f, const char *kind, const char *name_part)
{
	for (size_t i = 0; i < f->nprob; i++)
		if (!strcmp(f->prob[i].kind, kind) &&
			strstr(f->prob[i].name, name_part))
			return i;
	fail_msg("no %s problem naming '%s' among %zu", kind, name_part,
		f->nprob);
	return 0;
}

static void flip_byte(const char *root, const arca_id *id, long at)
{
	char *p = obj_path(root, id);
	int fd = open(p, O_RDWR);
	unsigned char c;

	assert_true(fd >= 0);
	assert_int_equal(pread(fd, &c, 1, at), 1);
	c ^= 0x40;
	assert_int_equal(pwrite(fd, &c, 1, at), 1);
	close(fd);
	free(p);
}

/* --------------------------------------------------------------- cases */

static void test_transfer__everything_then_nothing(void **state)
{
	fix *f = *state;
	arca_error err = ARCA_ERROR_INIT;
	arca_transfer_stats st;
	arca_repo *d = open_dst(f, f->dst_path, NULL);
	const char *refs[] = { "datasets/a", "datasets/b",
		"catalog/demo/versions/1", "catalog/demo/tags/gold" };
	arca_id all[12];
	size_t k = 0;

	assert_int_equal(xfer(f, d, f->src, NULL, 0, &st, &err), 0);
	assert_int_equal(f->nprob, 0);
	assert_int_equal(st.objects, f->nobjects);
	assert_int_equal(st.objects_skipped, 0);
	assert_true(st.bytes > 0);
	assert_int_equal(st.records, 3);
	assert_int_equal(st.refs, 4);
	assert_int_equal(st.not_copied + st.conflicts, 0);
	assert_int_equal(count_objects(f->dst_path), f->nobjects);
	for (int i = 1; i <= 4; i++)
		all[k++] = f->c[i];
	all[k++] = f->ta;
	all[k++] = f->tsub;
	all[k++] = f->tb;
	all[k++] = f->a;
	all[k++] = f->b;
	all[k++] = f->s;
	all[k++] = f->v;
	all[k++] = f->u;
	for (size_t i = 0; i < k; i++)
		same_frame(f->src_path, f->dst_path, &all[i]);
	assert_true(has_record(f->dst_path, "snapshot", &f->a));
	assert_true(has_record(f->dst_path, "snapshot", &f->b));
	assert_true(has_record(f->dst_path, "dataset-version", &f->v));
	for (size_t i = 0; i < 4; i++) {
		arca_id want = ref_of(f->src, refs[i]), got = ref_of(d, refs[i]);
		assert_true(same_id(&want, &got));
	}
	verify_clean(d);
	assert_int_equal(ut_nlocks(f->dst_path), 0);
	assert_int_equal(ut_nlocks(f->src_path), 0);

	/* Again: nothing left to copy. */
	assert_int_equal(xfer(f, d, f->src, NULL, 0, &st, &err), 0);
	assert_int_equal(st.objects, 0);
	assert_int_equal(st.bytes, 0);
	assert_int_equal(st.objects_skipped, f->nobjects);
	assert_int_equal(st.records, 0);
	assert_int_equal(st.records_skipped, 3);
	assert_int_equal(st.refs, 0);
	assert_int_equal(st.refs_skipped, 4);

	/* And back the other way: the source lacks nothing either. */
	assert_int_equal(xfer(f, f->src, d, NULL, 0, &st, &err), 0);
	assert_int_equal(st.objects + st.records + st.refs, 0);
	arca_repo_free(d);
}

static void test_transfer__by_ref(void **state)
{
	fix *f = *state;
	arca_error err = ARCA_ERROR_INIT;
	arca_transfer_stats st;
	arca_repo *d = open_dst(f, f->dst_path, NULL);
	const char *a[] = { "datasets/a" };
	const char *cat[] = { "refs/catalog/demo/" };
	arca_id z;

	assert_int_equal(xfer(f, d, f->src, a, 1, &st, &err), 0);
	/* c1 c2 c3, two trees, the snapshot document */
	assert_int_equal(st.objects, 6);
	assert_int_equal(st.records, 1);
	assert_int_equal(st.refs, 1);
	assert_true(has_obj(f->dst_path, &f->c[3]));
	assert_true(has_obj(f->dst_path, &f->tsub));
	assert_false(has_obj(f->dst_path, &f->c[4]));
	assert_false(has_obj(f->dst_path, &f->u));
	assert_true(has_record(f->dst_path, "snapshot", &f->a));
	assert_false(has_record(f->dst_path, "snapshot", &f->b));
	z = ref_of(d, "datasets/a");
	assert_true(same_id(&z, &f->a));
	z = ref_of(d, "datasets/b");
	assert_true(arca_id_is_zero(&z));
	verify_clean(d);

	/* A prefix: the catalog record, and the snapshot it names with all
	 * its objects; c1 is there already. */
	assert_int_equal(xfer(f, d, f->src, cat, 1, &st, &err), 0);
	assert_int_equal(st.objects, 5); /* c4, tb, B, S, V */
	assert_int_equal(st.objects_skipped, 1);
	assert_int_equal(st.records, 2);
	assert_int_equal(st.refs, 2);
	assert_true(has_record(f->dst_path, "snapshot", &f->b));
	assert_true(has_record(f->dst_path, "dataset-version", &f->v));
	z = ref_of(d, "catalog/demo/versions/1");
	assert_true(same_id(&z, &f->v));
	z = ref_of(d, "datasets/b");
	assert_true(arca_id_is_zero(&z));
	assert_false(has_obj(f->dst_path, &f->u));
	verify_clean(d);
	arca_repo_free(d);
}

static void test_transfer__by_record_id(void **state)
{
	fix *f = *state;
	arca_error err = ARCA_ERROR_INIT;
	arca_transfer_stats st;
	arca_repo *d = open_dst(f, f->dst_path, NULL);
	char hex[ARCA_ID_HEXSZ + 1], prefix[16];
	const char *arg[] = { prefix };
	const char *bad[] = { "datasets/nope" };

	/* Unknown: nothing is copied. */
	assert_int_equal(xfer(f, d, f->src, bad, 1, &st, &err),
		ARCA_ENOTFOUND);
	ut_assert_msg(&err, "datasets/nope");
	assert_int_equal(count_objects(f->dst_path), 0);

	arca_id_hex(hex, &f->b);
	snprintf(prefix, sizeof(prefix), "%.10s", hex);
	assert_int_equal(xfer(f, d, f->src, arg, 1, &st, &err), 0);
	assert_int_equal(st.objects, 4); /* c4 c1 tb B */
	assert_int_equal(st.records, 1);
	assert_int_equal(st.refs, 0);
	assert_true(has_record(f->dst_path, "snapshot", &f->b));
	verify_clean(d);
	arca_repo_free(d);
}

static void test_transfer__corrupt_source_object(void **state)
{
	fix *f = *state;
	arca_error err = ARCA_ERROR_INIT;
	arca_transfer_stats st;
	arca_repo *d = open_dst(f, f->dst_path, NULL);
	char s[ARCA_ID_STRSZ], *p;
	size_t i;
	arca_id z;

	flip_byte(f->src_path, &f->c[3], 20);
	assert_int_equal(xfer(f, d, f->src, NULL, 0, &st, &err),
		ARCA_ECORRUPT);
	ut_assert_msg(&err, "1 object(s) could not be copied");
	/* the chunk, snapshot A's record and its ref: nothing else */
	assert_int_equal(f->nprob, 3);
	assert_int_equal(st.not_copied, 3);
	arca_id_str(s, &f->c[3]);
	i = find_prob(f, "object", s);
	assert_int_equal(f->prob[i].code, ARCA_ECORRUPT);
	assert_non_null(strstr(f->prob[i].msg, "corrupt in the local "
		"repository"));
	i = find_prob(f, "record", "snapshot/");
	assert_non_null(strstr(f->prob[i].msg, s));
	find_prob(f, "ref", "datasets/a");
	assert_false(has_obj(f->dst_path, &f->c[3]));
	assert_false(has_record(f->dst_path, "snapshot", &f->a));
	z = ref_of(d, "datasets/a");
	assert_true(arca_id_is_zero(&z));
	/* everything else made it */
	assert_true(has_record(f->dst_path, "snapshot", &f->b));
	assert_true(has_record(f->dst_path, "dataset-version", &f->v));
	z = ref_of(d, "datasets/b");
	assert_true(same_id(&z, &f->b));
	assert_true(has_obj(f->dst_path, &f->u));
	verify_clean(d);

	/* Repaired at the source: the next run completes. */
	flip_byte(f->src_path, &f->c[3], 20);
	assert_int_equal(xfer(f, d, f->src, NULL, 0, &st, &err), 0);
	assert_int_equal(st.objects, 1);
	assert_int_equal(st.records, 1);
	assert_int_equal(st.refs, 1);
	assert_true(has_record(f->dst_path, "snapshot", &f->a));
	verify_clean(d);

	/* A tree the source lost is read from the destination's copy to
	 * find what it names. */
	p = obj_path(f->src_path, &f->tsub);
	assert_int_equal(unlink(p), 0);
	free(p);
	assert_int_equal(xfer(f, d, f->src, NULL, 0, &st, &err), 0);
	arca_repo_free(d);
}

static void test_transfer__missing_source_object(void **state)
{
	fix *f = *state;
	arca_error err = ARCA_ERROR_INIT;
	arca_transfer_stats st;
	arca_repo *d = open_dst(f, f->dst_path, NULL);
	const char *a[] = { "datasets/a" };
	char *p = obj_path(f->src_path, &f->c[2]);
	char s[ARCA_ID_STRSZ];
	size_t i;

	assert_int_equal(unlink(p), 0);
	free(p);
	assert_int_equal(xfer(f, d, f->src, a, 1, &st, &err), ARCA_ECORRUPT);
	arca_id_str(s, &f->c[2]);
	i = find_prob(f, "object", s);
	assert_non_null(strstr(f->prob[i].msg, "missing in the local "
		"repository"));
	find_prob(f, "record", "snapshot/");
	find_prob(f, "ref", "datasets/a");
	assert_false(has_record(f->dst_path, "snapshot", &f->a));
	/* the objects that were there were copied */
	assert_true(has_obj(f->dst_path, &f->c[3]));
	verify_clean(d);
	arca_repo_free(d);
}

static void test_transfer__claim_conflict(void **state)
{
	fix *f = *state;
	arca_error err = ARCA_ERROR_INIT;
	arca_transfer_stats st;
	arca_repo *d = open_dst(f, f->dst_path, NULL);
	arca_id w, z;
	size_t i;

	/* The destination recorded its own version 1 and gold tag. */
	w = json_record(d, "dataset-version", json_pack("{s:s, s:s}", "type",
		"dataset-version", "note", "made over there"));
	if (arca_repo__ref_create(d, "catalog/demo/versions/1", &w, &err) < 0)
		fail_msg("%s", err.msg);
	ref(d, "catalog/demo/tags/gold", &w);

	assert_int_equal(xfer(f, d, f->src, NULL, 0, &st, &err), ARCA_EEXISTS);
	ut_assert_msg(&err, "catalog/demo/versions/1");
	assert_int_equal(st.conflicts, 1);
	assert_int_equal(st.not_copied, 0);
	i = find_prob(f, "ref", "catalog/demo/versions/1");
	assert_int_equal(f->prob[i].code, ARCA_EEXISTS);
	z = ref_of(d, "catalog/demo/versions/1");
	assert_true(same_id(&z, &w));
	/* tags move; everything else was copied */
	z = ref_of(d, "catalog/demo/tags/gold");
	assert_true(same_id(&z, &f->v));
	z = ref_of(d, "datasets/a");
	assert_true(same_id(&z, &f->a));
	assert_true(has_record(f->dst_path, "dataset-version", &f->v));
	verify_clean(d);
	/* Still a conflict the next time. */
	assert_int_equal(xfer(f, d, f->src, NULL, 0, &st, &err), ARCA_EEXISTS);
	assert_int_equal(st.conflicts, 1);
	arca_repo_free(d);
}

/* A server without atomic writes (s3rver) can keep part of a value
 * when the writer dies: a push without REFs copies such keys again. */
static void test_transfer__truncated_destination(void **state)
{
	fix *f = *state;
	arca_error err = ARCA_ERROR_INIT;
	arca_transfer_stats st;
	arca_repo *d = open_dst(f, f->dst_path, NULL);
	char hex[ARCA_ID_HEXSZ + 1], *p;

	assert_int_equal(xfer(f, d, f->src, NULL, 0, &st, &err), 0);
	p = obj_path(f->dst_path, &f->c[4]);
	assert_int_equal(truncate(p, 100), 0);
	free(p);
	arca_id_hex(hex, &f->b);
	p = ut_fmt("%s/records/snapshot/%s", f->dst_path, hex);
	assert_int_equal(truncate(p, 30), 0);
	free(p);
	assert_int_equal(xfer(f, d, f->src, NULL, 0, &st, &err), 0);
	assert_int_equal(st.objects, 1);
	assert_int_equal(st.objects_skipped, f->nobjects - 1);
	assert_int_equal(st.records, 1);
	same_frame(f->src_path, f->dst_path, &f->c[4]);
	verify_clean(d);
	arca_repo_free(d);
}

static void test_transfer__other_repository(void **state)
{
	fix *f = *state;
	arca_transfer_opts o = opts(f);
	arca_error err = ARCA_ERROR_INIT;
	arca_transfer_stats st;
	arca_repo *other = NULL, *d = NULL;

	if (arca_repo_init(&other, f->dst_path, NULL, &err) < 0)
		fail_msg("%s", err.msg);
	assert_int_equal(arca_transfer_open(&d, f->dst_path, NULL, f->src, &o,
		&err), ARCA_EINVALID);
	assert_null(d);
	ut_assert_msg(&err, arca_repo_id(other));
	ut_assert_msg(&err, arca_repo_id(f->src));
	ut_assert_msg(&err, "remote 'backup'");
	assert_int_equal(xfer(f, other, f->src, NULL, 0, &st, &err),
		ARCA_EINVALID);
	assert_int_equal(count_objects(f->dst_path), 0);
	arca_repo_free(other);
}

/* Local -> S3 -> another local directory, through s3rver. */
static void test_transfer__s3_round_trip(void **state)
{
	fix *f = *state;
	arca_store_opts so = { server.endpoint, "us-east-1", 1 };
	arca_error err = ARCA_ERROR_INIT;
	arca_transfer_stats st;
	arca_transfer_opts o = opts(f);
	arca_repo *s3, *back;
	char *back_path = ut_fmt("%s/back", f->dir);
	const char *url = "s3://" BUCKET "/round/trip";

	setenv("ARCA_S3_MAX_KEYS", "3", 1); /* pages of 3 keys */
	s3 = open_dst(f, url, &so);
	assert_int_equal(xfer(f, s3, f->src, NULL, 0, &st, &err), 0);
	assert_int_equal(st.objects, f->nobjects);
	assert_int_equal(st.refs, 4);
	verify_clean(s3);
	assert_int_equal(xfer(f, s3, f->src, NULL, 0, &st, &err), 0);
	assert_int_equal(st.objects, 0);
	assert_int_equal(st.objects_skipped, f->nobjects);

	/* pull into a directory that does not exist yet */
	o.pull = 1;
	if (arca_transfer_open(&back, back_path, NULL, s3, &o, &err) < 0)
		fail_msg("%s", err.msg);
	assert_int_equal(xfer(f, back, s3, NULL, 0, &st, &err), 0);
	assert_int_equal(st.objects, f->nobjects);
	assert_int_equal(st.records, 3);
	for (int i = 1; i <= 4; i++)
		same_frame(f->src_path, back_path, &f->c[i]);
	same_frame(f->src_path, back_path, &f->v);
	verify_clean(back);
	unsetenv("ARCA_S3_MAX_KEYS");
	arca_repo_free(back);
	arca_repo_free(s3);
	free(back_path);
}

int main(void)
{
	static const char *const buckets[] = { BUCKET, NULL };
#define T(name) cmocka_unit_test_setup_teardown(test_transfer__##name, \
	setup, teardown)
	const struct CMUnitTest tests[] = {
		T(everything_then_nothing),
		T(by_ref),
		T(by_record_id),
		T(corrupt_source_object),
		T(missing_source_object),
		T(claim_conflict),
		T(truncated_destination),
		T(other_repository),
		T(s3_round_trip),
	};
	int failed;

	if (ut_s3rver_start(&server, buckets) < 0) {
		fprintf(stderr, "test_transfer: cannot start s3rver: %s\n",
			server.error);
		return 1;
	}
	setenv("AWS_ACCESS_KEY_ID", "S3RVER", 1);
	setenv("AWS_SECRET_ACCESS_KEY", "S3RVER", 1);
	setenv("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent/credentials", 1);
	setenv("AWS_CONFIG_FILE", "/nonexistent/config", 1);
	setenv("ARCA_S3_RETRY_BASE_MS", "20", 1);
	unsetenv("AWS_PROFILE");
	unsetenv("AWS_CA_BUNDLE");
	failed = cmocka_run_group_tests_name("test_transfer", tests, NULL,
		NULL);
	ut_s3rver_stop(&server);
	return failed ? 1 : 0;
}
