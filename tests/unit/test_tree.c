/*
 * Tree documents (src/lib/snapshot/tree.c): canonical order and bytes,
 * parse(serialize(x)) == x for every entry type and for names that are
 * not UTF-8, and the documents parse refuses.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "testutil.h"
#include "repo_fixture.h"
#include "hash/sha256.h"

static arca_id mkid(const char *seed)
{
	arca_id id;

	if (arca_sha256(&id, seed, strlen(seed), NULL) < 0)
		fail_msg("sha256");
	return id;
}

/* A node with an explicit name length (for names holding odd bytes). */
static arca_node named(arca_node n, const char *name, size_t len)
{
	n.name = (char *)name;
	n.name_len = len;
	return n;
}

static void assert_node_equal(const arca_node *a, const arca_node *b)
{
	assert_int_equal(a->name_len, b->name_len);
	assert_memory_equal(a->name, b->name, a->name_len);
	assert_int_equal(a->type, b->type);
	assert_int_equal(a->mode, b->mode);
	assert_int_equal(a->mtime_ns, b->mtime_ns);
	switch (a->type) {
	case ARCA_ENTRY_FILE:
		assert_int_equal(a->size, b->size);
		assert_int_equal(a->nchunks, b->nchunks);
		if (a->nchunks)
			assert_memory_equal(a->chunks, b->chunks,
				a->nchunks * sizeof(arca_id));
		break;
	case ARCA_ENTRY_DIR:
		assert_memory_equal(&a->tree, &b->tree, sizeof(arca_id));
		break;
	case ARCA_ENTRY_SYMLINK:
		assert_int_equal(a->target_len, b->target_len);
		assert_memory_equal(a->target, b->target, a->target_len);
		assert_int_equal(b->target[b->target_len], '\0');
		break;
	}
	assert_int_equal(b->name[b->name_len], '\0');
}

static void serialize_ok(arca_buf *out, arca_node *nodes, size_t n)
{
	arca_error err = ARCA_ERROR_INIT;

	if (arca_tree_serialize(out, nodes, n, &err) < 0)
		fail_msg("serialize: %s", err.msg);
}

static void parse_ok(arca_tree *t, const arca_buf *b)
{
	arca_error err = ARCA_ERROR_INIT;

	if (arca_tree_parse(t, b->data, b->len, "test tree", &err) < 0)
		fail_msg("parse: %s\n%s", err.msg, (const char *)b->data);
}

static void test_tree__sort_order(void **state)
{
	arca_id sub = mkid("sub"), c = mkid("c");
	arca_node nodes[] = {
		tu_file("b", &c, 1, 1),
		tu_dir("a", &sub),
		tu_link("B", "target"),
		tu_file("\xc3\xa9", &c, 1, 1),
		tu_link("a", "x"),
		tu_file("a", &c, 1, 1),
		tu_file("ab", &c, 1, 1),
		named(tu_file("", &c, 1, 1), "\xff", 1),
		tu_file("a\x01", &c, 1, 1),
	};
	static const struct {
		const char *name;
		arca_entry_type type;
	} want[] = {
		{ "B", ARCA_ENTRY_SYMLINK }, { "a", ARCA_ENTRY_FILE },
		{ "a", ARCA_ENTRY_DIR }, { "a", ARCA_ENTRY_SYMLINK },
		{ "a\x01", ARCA_ENTRY_FILE }, { "ab", ARCA_ENTRY_FILE },
		{ "b", ARCA_ENTRY_FILE }, { "\xc3\xa9", ARCA_ENTRY_FILE },
		{ "\xff", ARCA_ENTRY_FILE },
	};
	size_t n = sizeof(nodes) / sizeof(nodes[0]);
	arca_buf b = ARCA_BUF_INIT;
	arca_tree t = ARCA_TREE_INIT;

	(void)state;
	assert_int_equal(n, sizeof(want) / sizeof(want[0]));
	serialize_ok(&b, nodes, n);
	parse_ok(&t, &b);
	assert_int_equal(t.n, n);
	for (size_t i = 0; i < n; i++) {
		/* sorted in place, and in the document */
		assert_string_equal(nodes[i].name, want[i].name);
		assert_int_equal(nodes[i].type, want[i].type);
		assert_string_equal(t.nodes[i].name, want[i].name);
		assert_int_equal(t.nodes[i].type, want[i].type);
		if (i)
			assert_true(arca_node_cmp(&t.nodes[i - 1],
				&t.nodes[i]) < 0);
	}
	arca_tree_dispose(&t);
	arca_buf_dispose(&b);
}

/* Every kind of entry, with odd names, sizes and times. */
static size_t sample(arca_node *v, arca_id *chunks, arca_id *sub)
{
	static const char nul_name[] = { 'n', 'u', 'l', '\0', 'x' };
	size_t n = 0;

	for (int i = 0; i < 5; i++) {
		char seed[16];
		snprintf(seed, sizeof(seed), "chunk%d", i);
		chunks[i] = mkid(seed);
	}
	*sub = mkid("subtree");
	v[n++] = tu_file("empty", NULL, 0, 0);
	v[n++] = tu_file("one", chunks, 1, 7);
	v[n++] = tu_file("many", chunks, 5, 5000000000000ULL);
	v[n] = tu_file("old", chunks + 2, 1, 3);
	v[n].mtime_ns = -1234567890123LL;
	v[n++].mode = 04755;
	v[n++] = tu_dir("dir", sub);
	v[n++] = tu_dir("\xe6\x97\xa5\xe6\x9c\xac", sub);
	v[n++] = tu_link("link", "../some/where");
	v[n++] = tu_link("dangling", "");
	v[n++] = named(tu_file("", chunks, 2, 10), "bad\xff\xfe", 5);
	v[n++] = named(tu_dir("", sub), "latin\xe9", 6);
	v[n] = named(tu_link("", ""), "\x80", 1);
	v[n].target = (char *)"t\xc0\xafx";
	v[n++].target_len = 4;
	v[n++] = named(tu_file("", NULL, 0, 0), nul_name, sizeof(nul_name));
	v[n++] = tu_file("with \"quotes\" and \\ and \n", chunks, 1, 1);
	return n;
}

static void test_tree__roundtrip(void **state)
{
	arca_node nodes[32];
	arca_id chunks[5], sub;
	size_t n = sample(nodes, chunks, &sub);
	arca_buf b = ARCA_BUF_INIT, b2 = ARCA_BUF_INIT;
	arca_tree t = ARCA_TREE_INIT;

	(void)state;
	serialize_ok(&b, nodes, n);
	assert_null(memchr(b.data, '\n', b.len));
	parse_ok(&t, &b);
	assert_int_equal(t.n, n);
	for (size_t i = 0; i < n; i++)
		assert_node_equal(&nodes[i], &t.nodes[i]);
	/* and serializing what was parsed gives the same bytes */
	serialize_ok(&b2, t.nodes, t.n);
	assert_int_equal(b.len, b2.len);
	assert_memory_equal(b.data, b2.data, b.len);
	/* names that are not UTF-8 are carried as base64 */
	assert_non_null(strstr((char *)b.data, "\"name_b64\""));
	assert_non_null(strstr((char *)b.data, "\"target_b64\""));
	arca_tree_dispose(&t);
	arca_buf_dispose(&b);
	arca_buf_dispose(&b2);
}

static void test_tree__canonical(void **state)
{
	arca_node a[32], r[32];
	arca_id chunks[5], sub;
	size_t n = sample(a, chunks, &sub);
	arca_buf ba = ARCA_BUF_INIT, br = ARCA_BUF_INIT;
	arca_error err = ARCA_ERROR_INIT;
	arca_id ida, idr;

	(void)state;
	for (size_t i = 0; i < n; i++)
		r[i] = a[n - 1 - i];
	serialize_ok(&ba, a, n);
	serialize_ok(&br, r, n);
	assert_int_equal(ba.len, br.len);
	assert_memory_equal(ba.data, br.data, ba.len);
	assert_int_equal(arca_sha256(&ida, ba.data, ba.len, &err), 0);
	assert_int_equal(arca_sha256(&idr, br.data, br.len, &err), 0);
	assert_memory_equal(&ida, &idr, sizeof(ida));
	/* any change changes the bytes */
	r[3].mtime_ns++;
	serialize_ok(&br, r, n);
	assert_true(ba.len != br.len || memcmp(ba.data, br.data, ba.len));
	/* the empty tree */
	serialize_ok(&ba, NULL, 0);
	assert_string_equal(arca_buf_cstr(&ba),
		"{\"entries\":[],\"type\":\"tree\",\"version\":1}");
	arca_buf_dispose(&ba);
	arca_buf_dispose(&br);
}

static void test_tree__load(void **state)
{
	arca_error err = ARCA_ERROR_INIT;
	arca_node nodes[32];
	arca_id chunks[5], sub, id, blob;
	arca_tree t = ARCA_TREE_INIT;
	char *dir, s[ARCA_ID_STRSZ];
	arca_repo *r = tu_repo_new(&dir);
	size_t n = sample(nodes, chunks, &sub);

	(void)state;
	id = tu_put_tree(r, nodes, n);
	assert_int_equal(arca_tree_load(&t, r, &id, &err), 0);
	assert_int_equal(t.n, n);
	for (size_t i = 0; i < n; i++)
		assert_node_equal(&nodes[i], &t.nodes[i]);
	arca_tree_dispose(&t);
	/* an object that is not a tree */
	blob = tu_put_blob(r, "{\"type\":\"snapshot\"}", 19);
	arca_id_str(s, &blob);
	assert_int_equal(arca_tree_load(&t, r, &blob, &err), ARCA_ECORRUPT);
	assert_non_null(strstr(err.msg, s));
	assert_int_equal(t.n, 0);
	arca_repo_free(r);
	tu_rmtree(dir);
}

#define GOOD_FILE "\"mode\":420,\"mtime_ns\":0,\"name\":\"f\""
#define CHUNK "\"sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca4" \
	"95991b7852b855\""
#define TREE(entries) "{\"entries\":[" entries "],\"type\":\"tree\"," \
	"\"version\":1}"

static void test_tree__parse_rejects(void **state)
{
	static const char *bad[] = {
		"not json",
		"",
		"[]",
		"{\"entries\":[],\"version\":1}",                 /* no type */
		"{\"entries\":[],\"type\":\"snapshot\"}",
		"{\"entries\":{},\"type\":\"tree\"}",
		"{\"type\":\"tree\"}",
		TREE("{" GOOD_FILE ",\"size\":0,\"chunks\":[]}"), /* no type */
		TREE("{" GOOD_FILE ",\"type\":\"fifo\"}"),
		TREE("{" GOOD_FILE ",\"type\":7,\"size\":0,\"chunks\":[]}"),
		TREE("{" GOOD_FILE ",\"type\":\"file\",\"size\":1,"
			"\"chunks\":[\"sha256:1234\"]}"),
		TREE("{" GOOD_FILE ",\"type\":\"file\",\"size\":1,"
			"\"chunks\":[" CHUNK ",42]}"),
		TREE("{" GOOD_FILE ",\"type\":\"file\",\"size\":1,"
			"\"chunks\":" CHUNK "}"),
		TREE("{" GOOD_FILE ",\"type\":\"file\",\"size\":-1,"
			"\"chunks\":[]}"),
		TREE("{" GOOD_FILE ",\"type\":\"file\",\"size\":1.5,"
			"\"chunks\":[]}"),
		TREE("{" GOOD_FILE ",\"type\":\"file\",\"chunks\":[]}"),
		TREE("{" GOOD_FILE ",\"type\":\"dir\",\"tree\":\"nope\"}"),
		TREE("{" GOOD_FILE ",\"type\":\"dir\"}"),
		TREE("{" GOOD_FILE ",\"type\":\"symlink\"}"),
		TREE("{\"mode\":420,\"mtime_ns\":0,\"type\":\"symlink\","
			"\"target\":\"t\"}"),                     /* no name */
		TREE("{\"mode\":420,\"mtime_ns\":0,\"name_b64\":\"!!\","
			"\"type\":\"symlink\",\"target\":\"t\"}"),
		TREE("{\"mode\":\"420\",\"mtime_ns\":0,\"name\":\"f\","
			"\"type\":\"symlink\",\"target\":\"t\"}"),
		TREE("{" GOOD_FILE ",\"name\":\"g\",\"type\":\"symlink\","
			"\"target\":\"t\"}"),                     /* dup key */
		TREE("7"),
	};
	arca_error err = ARCA_ERROR_INIT;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		arca_tree t = ARCA_TREE_INIT;
		int rc;
		arca_error_clear(&err);
		rc = arca_tree_parse(&t, bad[i], strlen(bad[i]), "tree T",
			&err);
		if (rc != ARCA_ECORRUPT)
			fail_msg("document %zu: rc %d (%s): %s", i, rc, err.msg,
				bad[i]);
		assert_non_null(strstr(err.msg, "tree T"));
		assert_null(t.nodes);
		assert_int_equal(t.n, 0);
	}
	/* the messages say what is wrong */
	{
		arca_tree t = ARCA_TREE_INIT;
		const char *doc = TREE("{" GOOD_FILE ",\"type\":\"fifo\"}");
		assert_int_equal(arca_tree_parse(&t, doc, strlen(doc), "tree T",
			&err), ARCA_ECORRUPT);
		assert_non_null(strstr(err.msg, "fifo"));
	}
}

/* Names that restore must refuse are still recorded as they are. */
static void test_tree__hostile_names_kept(void **state)
{
	arca_id c = mkid("c");
	arca_node nodes[] = { tu_file("..", &c, 1, 1),
		tu_file("a/b", &c, 1, 1), tu_file("/", &c, 1, 1),
		tu_file("", &c, 1, 1), tu_file(".", &c, 1, 1) };
	size_t n = sizeof(nodes) / sizeof(nodes[0]);
	arca_buf b = ARCA_BUF_INIT;
	arca_tree t = ARCA_TREE_INIT;

	(void)state;
	serialize_ok(&b, nodes, n);
	parse_ok(&t, &b);
	assert_int_equal(t.n, n);
	for (size_t i = 0; i < n; i++)
		assert_node_equal(&nodes[i], &t.nodes[i]);
	arca_tree_dispose(&t);
	arca_buf_dispose(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_tree__sort_order),
		cmocka_unit_test(test_tree__roundtrip),
		cmocka_unit_test(test_tree__canonical),
		cmocka_unit_test(test_tree__load),
		cmocka_unit_test(test_tree__parse_rejects),
		cmocka_unit_test(test_tree__hostile_names_kept),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
