/*
 * arca_verify on hand-built repositories: a clean one, then one damage at
 * a time (a flipped byte, a deleted chunk or tree, bad records, refs and
 * keys), checking exactly which findings come back.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "store/store.h"
#include "repo_fixture.h"
#include "arca/verify.h"

/* ------------------------------------------------------------- fixtures */

/*
 * The repository every case starts from:
 *   top.txt            [A]
 *   link -> top.txt
 *   sub/a.csv          [S, A]
 *   other/deep/b.csv   [B, S]
 *   other/empty.txt    []
 * S is shared by two files in two directories; refs/datasets/demo names
 * the snapshot.
 */
typedef struct fix {
	char *dir;
	char *root;      /* the repository's directory */
	arca_repo *r;
	arca_id a, b, s;
	arca_id t_root, t_sub, t_other, t_deep;
	arca_id snap;
} fix;

#define A_LEN 5000
#define B_LEN 70000
#define S_LEN 300000

static unsigned char *blob(size_t len, uint64_t seed, int text)
{
	unsigned char *p = malloc(len);

	assert_non_null(p);
	tu_fill_random(p, len, seed);
	if (text)
		for (size_t i = 0; i < len; i++)
			p[i] = (unsigned char)("abc,123\n"[p[i] & 7]);
	return p;
}

static int setup(void **state)
{
	fix *f = calloc(1, sizeof(*f));
	arca_error err = ARCA_ERROR_INIT;
	unsigned char *a = blob(A_LEN, 1, 1), *b = blob(B_LEN, 2, 0),
		*s = blob(S_LEN, 3, 1);
	arca_id sa[2], bs[2];
	arca_node n[4];

	assert_non_null(f);
	f->r = tu_repo_new(&f->dir);
	assert_true(asprintf(&f->root, "%s/repo", f->dir) > 0);
	f->a = tu_put_blob(f->r, a, A_LEN);
	f->b = tu_put_blob(f->r, b, B_LEN);
	f->s = tu_put_blob(f->r, s, S_LEN);
	sa[0] = f->s;
	sa[1] = f->a;
	bs[0] = f->b;
	bs[1] = f->s;
	n[0] = tu_file("a.csv", sa, 2, S_LEN + A_LEN);
	f->t_sub = tu_put_tree(f->r, n, 1);
	n[0] = tu_file("b.csv", bs, 2, B_LEN + S_LEN);
	f->t_deep = tu_put_tree(f->r, n, 1);
	n[0] = tu_dir("deep", &f->t_deep);
	n[1] = tu_file("empty.txt", NULL, 0, 0);
	f->t_other = tu_put_tree(f->r, n, 2);
	n[0] = tu_file("top.txt", &f->a, 1, A_LEN);
	n[1] = tu_link("link", "top.txt");
	n[2] = tu_dir("sub", &f->t_sub);
	n[3] = tu_dir("other", &f->t_other);
	f->t_root = tu_put_tree(f->r, n, 4);
	f->snap = tu_put_snapshot(f->r, &f->t_root);
	if (arca_repo__ref_set(f->r, "datasets/demo", &f->snap, &err) < 0)
		fail_msg("ref: %s", err.msg);
	free(a);
	free(b);
	free(s);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	fix *f = *state;

	arca_repo_free(f->r);
	free(f->root);
	tu_rmtree(f->dir);
	free(f);
	return 0;
}

/* The findings of one run, copied. */
typedef struct found {
	arca_finding_id id;
	arca_severity sev;
	char *object, *snapshot, *path, *message;
} found;

typedef struct run {
	found v[256];
	size_t n;
	arca_verify_stats st;
	int rc;
	int stop_with;   /* callback returns this on the first finding */
} run;

static char *dup_or_null(const char *s)
{
	return s ? strdup(s) : NULL;
}

static int collect(const arca_finding *f, void *payload)
{
	run *r = payload;
	found *x;

	assert_true(r->n < 256);
	assert_string_equal(f->name, arca_finding_name(f->id));
	assert_int_equal(f->severity, arca_finding_severity(f->id));
	assert_non_null(f->message);
	assert_null(strchr(f->message, '\n'));
	x = &r->v[r->n++];
	x->id = f->id;
	x->sev = f->severity;
	x->object = dup_or_null(f->object);
	x->snapshot = dup_or_null(f->snapshot);
	x->path = dup_or_null(f->path);
	x->message = strdup(f->message);
	return r->stop_with;
}

static void run_clear(run *r)
{
	for (size_t i = 0; i < r->n; i++) {
		free(r->v[i].object);
		free(r->v[i].snapshot);
		free(r->v[i].path);
		free(r->v[i].message);
	}
	r->n = 0;
}

static void verify(run *r, fix *f, int read_data, int threads)
{
	arca_verify_opts o = ARCA_VERIFY_OPTS_INIT;
	arca_error err = ARCA_ERROR_INIT;

	run_clear(r);
	o.read_data = read_data;
	o.threads = threads;
	o.finding = collect;
	o.payload = r;
	r->rc = arca_verify(&r->st, f->r, &o, &err);
	if (r->rc < 0 && r->rc != ARCA_EVERIFY && !r->stop_with)
		fail_msg("arca_verify: %s", err.msg);
}

static const char *str(const arca_id *id, char buf[ARCA_ID_STRSZ])
{
	arca_id_str(buf, id);
	return buf;
}

/* Number of findings with this id, object, snapshot and path (NULL: any;
 * "" for snapshot or path: must be absent). */
static size_t count(const run *r, arca_finding_id id, const char *object,
	const char *snapshot, const char *path)
{
	size_t n = 0;

	for (size_t i = 0; i < r->n; i++) {
		const found *x = &r->v[i];
		if (x->id != id ||
			(object && (!x->object || strcmp(x->object, object))))
			continue;
		if (snapshot && (*snapshot ? !x->snapshot ||
			strcmp(x->snapshot, snapshot) : x->snapshot != NULL))
			continue;
		if (path && (*path ? !x->path || strcmp(x->path, path) :
			x->path != NULL))
			continue;
		n++;
	}
	return n;
}

static size_t count_sev(const run *r, arca_severity sev)
{
	size_t n = 0;

	for (size_t i = 0; i < r->n; i++)
		n += r->v[i].sev == sev;
	return n;
}

static void dump(const run *r)
{
	for (size_t i = 0; i < r->n; i++)
		print_message("  finding %s %s: %s\n",
			arca_finding_name(r->v[i].id),
			r->v[i].object ? r->v[i].object : "-",
			r->v[i].message);
}

/* The file behind an object. */
static char *object_file(fix *f, const arca_id *id)
{
	char key[ARCA_KEY_MAX], *p;

	arca_repo__object_key(key, id);
	assert_true(asprintf(&p, "%s/%s", f->root, key) > 0);
	return p;
}

static void remove_object(fix *f, const arca_id *id)
{
	char *p = object_file(f, id);

	assert_int_equal(unlink(p), 0);
	free(p);
}

static void write_file(fix *f, const char *key, const char *text)
{
	arca_error err = ARCA_ERROR_INIT;

	if (arca_store_put(f->r->store, key, text, strlen(text), 0, &err) < 0)
		fail_msg("put %s: %s", key, err.msg);
}

/* XORs the byte at off of file p with x (x twice restores it). */
static void xor_byte(const char *p, off_t off, unsigned char x)
{
	struct stat st;
	unsigned char c;
	int fd;

	assert_int_equal(stat(p, &st), 0);
	chmod(p, st.st_mode | S_IWUSR);
	fd = open(p, O_RDWR);
	assert_true(fd >= 0);
	assert_int_equal(pread(fd, &c, 1, off), 1);
	c ^= x;
	assert_int_equal(pwrite(fd, &c, 1, off), 1);
	close(fd);
	chmod(p, st.st_mode);
}

/* ----------------------------------------------------------------- cases */

static void test_verify__clean(void **state)
{
	fix *f = *state;
	run r = { .n = 0 };

	verify(&r, f, 1, 0);
	dump(&r);
	assert_int_equal(r.rc, 0);
	assert_int_equal(r.n, 0);
	/* 3 chunks, 4 trees, 1 snapshot */
	assert_int_equal(r.st.objects, 8);
	assert_int_equal(r.st.snapshots, 1);
	assert_int_equal(r.st.trees, 4);
	assert_int_equal(r.st.files, 4);
	assert_true(r.st.stored_bytes > 0);
	assert_true(r.st.content_bytes > A_LEN + B_LEN + S_LEN);
	for (int i = 0; i < 3; i++)
		assert_int_equal(r.st.findings[i], 0);

	/* Same without reading data, and with one thread. */
	verify(&r, f, 0, 1);
	assert_int_equal(r.rc, 0);
	assert_int_equal(r.n, 0);
	assert_int_equal(r.st.objects, 8);
	assert_int_equal(r.st.content_bytes, 0);
	run_clear(&r);
}

/* All 8 object ids of the fixture. */
static void all_ids(fix *f, arca_id out[8])
{
	out[0] = f->a;
	out[1] = f->b;
	out[2] = f->s;
	out[3] = f->t_root;
	out[4] = f->t_sub;
	out[5] = f->t_other;
	out[6] = f->t_deep;
	out[7] = f->snap;
}

static void test_verify__flipped_byte(void **state)
{
	fix *f = *state;
	run r = { .n = 0 };
	arca_id ids[8];
	uint64_t seed = 0x5eed;

	all_ids(f, ids);
	for (int trial = 0; trial < 50; trial++) {
		unsigned char rnd[16];
		uint64_t pick, at;
		size_t n;
		char s[ARCA_ID_STRSZ], *p;
		struct stat st;

		tu_fill_random(rnd, sizeof(rnd), seed + (uint64_t)trial);
		memcpy(&pick, rnd, 8);
		memcpy(&at, rnd + 8, 8);
		p = object_file(f, &ids[pick % 8]);
		assert_int_equal(stat(p, &st), 0);
		at %= (uint64_t)st.st_size;
		xor_byte(p, (off_t)at, 0xff);
		verify(&r, f, 1, trial % 3);
		str(&ids[pick % 8], s);
		n = count(&r, ARCA_FINDING_CORRUPT_OBJECT, s, NULL, NULL);
		if (r.rc != ARCA_EVERIFY || n == 0 ||
			n != count_sev(&r, ARCA_SEV_ERROR)) {
			print_message("trial %d: %s offset %llu\n", trial, s,
				(unsigned long long)at);
			dump(&r);
			fail_msg("expected only CORRUPT_OBJECT %s", s);
		}
		/* Phase 1 names the object alone, with why. */
		assert_int_equal(count(&r, ARCA_FINDING_CORRUPT_OBJECT, s, "",
			""), 1);
		xor_byte(p, (off_t)at, 0xff);
		free(p);
	}
	verify(&r, f, 1, 0);
	assert_int_equal(r.rc, 0);
	assert_int_equal(r.n, 0);
	run_clear(&r);
}

static void test_verify__corrupt_chunk_context(void **state)
{
	fix *f = *state;
	run r = { .n = 0 };
	char s[ARCA_ID_STRSZ], snap[ARCA_ID_STRSZ], *p = object_file(f, &f->s);
	struct stat st;

	assert_int_equal(stat(p, &st), 0);
	xor_byte(p, st.st_size / 2, 0x01);
	verify(&r, f, 1, 2);
	str(&f->s, s);
	str(&f->snap, snap);
	assert_int_equal(r.rc, ARCA_EVERIFY);
	assert_int_equal(count(&r, ARCA_FINDING_CORRUPT_OBJECT, s, "", ""), 1);
	assert_int_equal(count(&r, ARCA_FINDING_CORRUPT_OBJECT, s, snap,
		"sub/a.csv"), 1);
	assert_int_equal(count(&r, ARCA_FINDING_CORRUPT_OBJECT, s, snap,
		"other/deep/b.csv"), 1);
	assert_int_equal(count_sev(&r, ARCA_SEV_ERROR), 3);
	/* The message names the object and says why. */
	assert_non_null(strstr(r.v[0].message, s));
	assert_true(strlen(r.v[0].message) > strlen(s) + 10);

	/* Without reading data nothing is wrong. */
	verify(&r, f, 0, 0);
	assert_int_equal(r.rc, 0);
	assert_int_equal(r.n, 0);
	free(p);
	run_clear(&r);
}

/* A frame whose content size field claims gigabytes is reported from its
 * block headers, without trying to allocate that much. */
static void test_verify__lying_content_size(void **state)
{
	fix *f = *state;
	run r = { .n = 0 };
	char s[ARCA_ID_STRSZ], *p = object_file(f, &f->b);
	unsigned char h[16];
	size_t off;
	int fd;

	fd = open(p, O_RDONLY);
	assert_true(fd >= 0);
	assert_int_equal(read(fd, h, sizeof(h)), sizeof(h));
	close(fd);
	/* B (70000 bytes) has a 4-byte content size field (RFC 8878). */
	assert_int_equal(h[4] >> 6, 2);
	off = 5 + !((h[4] >> 5) & 1) + (size_t[]){ 0, 1, 2, 4 }[h[4] & 3];
	xor_byte(p, (off_t)(off + 3), 0xf0);
	verify(&r, f, 1, 0);
	str(&f->b, s);
	assert_int_equal(r.rc, ARCA_EVERIFY);
	assert_int_equal(count(&r, ARCA_FINDING_CORRUPT_OBJECT, s, "", ""), 1);
	assert_non_null(strstr(r.v[0].message, "claims"));
	free(p);
	run_clear(&r);
}

static void test_verify__missing_chunk(void **state)
{
	fix *f = *state;
	run r = { .n = 0 };
	char s[ARCA_ID_STRSZ], snap[ARCA_ID_STRSZ];

	remove_object(f, &f->s);
	str(&f->s, s);
	str(&f->snap, snap);
	for (int read_data = 1; read_data >= 0; read_data--) {
		verify(&r, f, read_data, 0);
		dump(&r);
		assert_int_equal(r.rc, ARCA_EVERIFY);
		assert_int_equal(count(&r, ARCA_FINDING_MISSING_OBJECT, s, snap,
			"sub/a.csv"), 1);
		assert_int_equal(count(&r, ARCA_FINDING_MISSING_OBJECT, s, snap,
			"other/deep/b.csv"), 1);
		assert_int_equal(count_sev(&r, ARCA_SEV_ERROR), 2);
		assert_int_equal(r.st.findings[ARCA_SEV_ERROR], 2);
		assert_int_equal(r.n, 2);
		assert_non_null(strstr(r.v[0].message, "is missing"));
		assert_non_null(strstr(r.v[0].message, snap));
		assert_int_equal(r.st.objects, 7);
	}
	run_clear(&r);
}

/* The same missing chunk in a second snapshot that shares a clean tree
 * and a damaged one: the damaged one is walked again. */
static void test_verify__missing_chunk_two_snapshots(void **state)
{
	fix *f = *state;
	run r = { .n = 0 };
	char s[ARCA_ID_STRSZ], snap1[ARCA_ID_STRSZ], snap2[ARCA_ID_STRSZ];
	arca_node n[2];
	arca_id root2, snap;

	n[0] = tu_dir("copy", &f->t_sub);
	n[1] = tu_dir("other", &f->t_other);
	root2 = tu_put_tree(f->r, n, 2);
	snap = tu_put_snapshot(f->r, &root2);
	remove_object(f, &f->s);
	verify(&r, f, 1, 0);
	dump(&r);
	str(&f->s, s);
	str(&f->snap, snap1);
	str(&snap, snap2);
	assert_int_equal(r.rc, ARCA_EVERIFY);
	assert_int_equal(count(&r, ARCA_FINDING_MISSING_OBJECT, s, snap1,
		"sub/a.csv"), 1);
	assert_int_equal(count(&r, ARCA_FINDING_MISSING_OBJECT, s, snap1,
		"other/deep/b.csv"), 1);
	assert_int_equal(count(&r, ARCA_FINDING_MISSING_OBJECT, s, snap2,
		"copy/a.csv"), 1);
	assert_int_equal(count(&r, ARCA_FINDING_MISSING_OBJECT, s, snap2,
		"other/deep/b.csv"), 1);
	assert_int_equal(r.n, 4);
	assert_int_equal(r.st.snapshots, 2);
	run_clear(&r);
}

static void test_verify__missing_tree(void **state)
{
	fix *f = *state;
	run r = { .n = 0 };
	char t[ARCA_ID_STRSZ], snap[ARCA_ID_STRSZ], b[ARCA_ID_STRSZ];

	remove_object(f, &f->t_deep);
	verify(&r, f, 1, 0);
	dump(&r);
	str(&f->t_deep, t);
	str(&f->snap, snap);
	str(&f->b, b);
	assert_int_equal(r.rc, ARCA_EVERIFY);
	assert_int_equal(count(&r, ARCA_FINDING_MISSING_OBJECT, t, snap,
		"other/deep"), 1);
	assert_int_equal(count_sev(&r, ARCA_SEV_ERROR), 1);
	/* Only the lost tree named B. */
	assert_int_equal(count(&r, ARCA_FINDING_UNREFERENCED_OBJECT, b, NULL,
		NULL), 1);
	assert_int_equal(count_sev(&r, ARCA_SEV_INFO), 1);
	run_clear(&r);
}

static void test_verify__missing_root_tree(void **state)
{
	fix *f = *state;
	run r = { .n = 0 };
	char t[ARCA_ID_STRSZ], snap[ARCA_ID_STRSZ];

	remove_object(f, &f->t_root);
	verify(&r, f, 1, 0);
	str(&f->t_root, t);
	str(&f->snap, snap);
	assert_int_equal(r.rc, ARCA_EVERIFY);
	assert_int_equal(count(&r, ARCA_FINDING_MISSING_OBJECT, t, snap, ""),
		1);
	assert_int_equal(count_sev(&r, ARCA_SEV_ERROR), 1);
	run_clear(&r);
}

static void test_verify__bad_tree(void **state)
{
	fix *f = *state;
	run r = { .n = 0 };
	const char *doc = "{\"entries\":[],\"type\":\"blob\",\"version\":1}";
	char t[ARCA_ID_STRSZ], snap[ARCA_ID_STRSZ];
	arca_id bad, root, sid;
	arca_node n[2];

	bad = tu_put_blob(f->r, doc, strlen(doc));
	n[0] = tu_dir("weird", &bad);
	n[1] = tu_dir("sub", &f->t_sub);
	root = tu_put_tree(f->r, n, 2);
	sid = tu_put_snapshot(f->r, &root);
	verify(&r, f, 1, 0);
	dump(&r);
	str(&bad, t);
	str(&sid, snap);
	assert_int_equal(r.rc, ARCA_EVERIFY);
	assert_int_equal(count(&r, ARCA_FINDING_BAD_TREE, t, snap, "weird"), 1);
	assert_int_equal(count_sev(&r, ARCA_SEV_ERROR), 1);
	run_clear(&r);
}

static void test_verify__bad_entry_name(void **state)
{
	fix *f = *state;
	run r = { .n = 0 };
	char snap[ARCA_ID_STRSZ];
	arca_node n[2];
	arca_id root, sid;

	n[0] = tu_file("..", &f->a, 1, A_LEN);
	n[1] = tu_file("ok\n'x", &f->a, 1, A_LEN);
	root = tu_put_tree(f->r, n, 2);
	sid = tu_put_snapshot(f->r, &root);
	remove_object(f, &f->a);
	verify(&r, f, 1, 0);
	dump(&r);
	str(&sid, snap);
	assert_int_equal(r.rc, ARCA_EVERIFY);
	assert_int_equal(count(&r, ARCA_FINDING_BAD_TREE, NULL, snap, ""), 1);
	/* The odd (but valid) name is reported raw in path, quoted in the
	 * message. */
	assert_int_equal(count(&r, ARCA_FINDING_MISSING_OBJECT, NULL, snap,
		"ok\n'x"), 1);
	for (size_t i = 0; i < r.n; i++)
		if (r.v[i].path && !strcmp(r.v[i].path, "ok\n'x"))
			assert_non_null(strstr(r.v[i].message,
				"'ok\\x0a\\'x'"));
	run_clear(&r);
}

static void test_verify__size_mismatch(void **state)
{
	fix *f = *state;
	run r = { .n = 0 };
	char snap[ARCA_ID_STRSZ];
	arca_node n[1];
	arca_id root, sid;

	n[0] = tu_file("short.txt", &f->a, 1, A_LEN + 1);
	root = tu_put_tree(f->r, n, 1);
	sid = tu_put_snapshot(f->r, &root);
	verify(&r, f, 1, 0);
	str(&sid, snap);
	assert_int_equal(r.rc, ARCA_EVERIFY);
	assert_int_equal(count(&r, ARCA_FINDING_SIZE_MISMATCH, NULL, snap,
		"short.txt"), 1);
	assert_int_equal(r.n, 1);
	/* Sizes are unknown without reading data: no check. */
	verify(&r, f, 0, 0);
	assert_int_equal(r.rc, 0);
	assert_int_equal(r.n, 0);
	run_clear(&r);
}

static void test_verify__record_missing_snapshot(void **state)
{
	fix *f = *state;
	run r = { .n = 0 };
	arca_error err = ARCA_ERROR_INIT;
	char s[ARCA_ID_STRSZ];
	arca_id ghost;

	memset(&ghost, 0x42, sizeof(ghost));
	if (arca_repo__record_add(f->r, "snapshot", &ghost, &err) < 0)
		fail_msg("record: %s", err.msg);
	verify(&r, f, 1, 0);
	dump(&r);
	str(&ghost, s);
	assert_int_equal(r.rc, ARCA_EVERIFY);
	assert_int_equal(count(&r, ARCA_FINDING_MISSING_OBJECT, s, s, ""), 1);
	assert_int_equal(r.n, 1);
	assert_int_equal(r.st.snapshots, 2);
	run_clear(&r);
}

static void test_verify__bad_record(void **state)
{
	fix *f = *state;
	run r = { .n = 0 };
	char key[ARCA_KEY_MAX], hex[ARCA_ID_HEXSZ + 1], line[100];
	char s[ARCA_ID_STRSZ];
	const char *doc = "{\"type\":\"note\"}";
	arca_id notsnap;

	/* A record that holds another id. */
	arca_id_hex(hex, &f->snap);
	snprintf(key, sizeof(key), "records/snapshot/%s", hex);
	snprintf(line, sizeof(line), "%s\n", str(&f->a, s));
	write_file(f, key, line);
	/* A snapshot record whose object is no snapshot. */
	notsnap = tu_put_blob(f->r, doc, strlen(doc));
	arca_id_hex(hex, &notsnap);
	snprintf(key, sizeof(key), "records/snapshot/%s", hex);
	write_file(f, key, str(&notsnap, s));
	verify(&r, f, 1, 0);
	dump(&r);
	assert_int_equal(r.rc, ARCA_EVERIFY);
	arca_id_hex(hex, &f->snap);
	snprintf(key, sizeof(key), "records/snapshot/%s", hex);
	assert_int_equal(count(&r, ARCA_FINDING_BAD_RECORD, key, NULL, NULL),
		1);
	assert_int_equal(count(&r, ARCA_FINDING_BAD_RECORD, str(&notsnap, s),
		s, NULL), 1);
	assert_int_equal(r.n, 2);
	run_clear(&r);
}

static void test_verify__bad_ref(void **state)
{
	fix *f = *state;
	run r = { .n = 0 };
	char line[100], s[ARCA_ID_STRSZ];

	write_file(f, "refs/datasets/garbage", "not an id\n");
	snprintf(line, sizeof(line), "%s\n", str(&f->a, s));
	write_file(f, "refs/datasets/chunk", line);
	verify(&r, f, 1, 0);
	dump(&r);
	assert_int_equal(r.rc, ARCA_EVERIFY);
	assert_int_equal(count(&r, ARCA_FINDING_BAD_REF,
		"refs/datasets/garbage", NULL, NULL), 1);
	assert_int_equal(count(&r, ARCA_FINDING_BAD_REF, "refs/datasets/chunk",
		NULL, NULL), 1);
	assert_int_equal(r.n, 2);
	run_clear(&r);
}

static void test_verify__stray_key(void **state)
{
	fix *f = *state;
	run r = { .n = 0 };
	char key[ARCA_KEY_MAX], hex[ARCA_ID_HEXSZ + 1];

	write_file(f, "objects/zz/notes.txt", "hello");
	arca_id_hex(hex, &f->a);
	/* The right name under the wrong prefix directory. */
	snprintf(key, sizeof(key), "objects/%c%c/%s",
		hex[0] == '0' ? '1' : '0', hex[1], hex);
	write_file(f, key, "x");
	write_file(f, "records/snapshot/nothex", "x");
	verify(&r, f, 1, 0);
	dump(&r);
	assert_int_equal(r.rc, 0);
	assert_int_equal(count(&r, ARCA_FINDING_STRAY_KEY,
		"objects/zz/notes.txt", NULL, NULL), 1);
	assert_int_equal(count(&r, ARCA_FINDING_STRAY_KEY, key, NULL, NULL),
		1);
	assert_int_equal(count(&r, ARCA_FINDING_STRAY_KEY,
		"records/snapshot/nothex", NULL, NULL), 1);
	assert_int_equal(r.n, 3);
	assert_int_equal(r.st.findings[ARCA_SEV_WARNING], 3);
	run_clear(&r);
}

static void test_verify__unreferenced(void **state)
{
	fix *f = *state;
	run r = { .n = 0 };
	char s[ARCA_ID_STRSZ];
	arca_id extra = tu_put_blob(f->r, "orphan", 6);

	verify(&r, f, 1, 0);
	assert_int_equal(r.rc, 0);
	assert_int_equal(r.n, 1);
	assert_int_equal(count(&r, ARCA_FINDING_UNREFERENCED_OBJECT,
		str(&extra, s), NULL, NULL), 1);
	assert_int_equal(r.st.findings[ARCA_SEV_INFO], 1);
	run_clear(&r);
}

static void test_verify__callback_stops(void **state)
{
	fix *f = *state;
	run r = { .n = 0 };

	remove_object(f, &f->s);
	r.stop_with = -42;
	verify(&r, f, 1, 0);
	assert_int_equal(r.rc, -42);
	assert_int_equal(r.n, 1);
	run_clear(&r);
}

static void test_verify__names(void **state)
{
	(void)state;
	assert_string_equal(arca_finding_name(ARCA_FINDING_MISSING_OBJECT),
		"MISSING_OBJECT");
	assert_int_equal(arca_finding_severity(ARCA_FINDING_STRAY_KEY),
		ARCA_SEV_WARNING);
	assert_int_equal(arca_finding_severity(
		ARCA_FINDING_UNREFERENCED_OBJECT), ARCA_SEV_INFO);
	assert_string_equal(arca_finding_name(ARCA_FINDING__COUNT), "UNKNOWN");
}

#define T(name) cmocka_unit_test_setup_teardown(test_verify__##name, \
	setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(clean),
		T(flipped_byte),
		T(corrupt_chunk_context),
		T(lying_content_size),
		T(missing_chunk),
		T(missing_chunk_two_snapshots),
		T(missing_tree),
		T(missing_root_tree),
		T(bad_tree),
		T(bad_entry_name),
		T(size_mismatch),
		T(record_missing_snapshot),
		T(bad_record),
		T(bad_ref),
		T(stray_key),
		T(unreferenced),
		T(callback_stops),
		cmocka_unit_test(test_verify__names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
