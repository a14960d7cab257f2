/*
 * Utilities under the formats: canonical JSON and byte strings in JSON
 * (src/lib/util/json.c), base64 (base64.c), id sets (idset.c) and RFC 3339
 * times (sys.c).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "testutil.h"
#include "util/base64.h"
#include "util/idset.h"
#include "util/json.h"
#include "util/sys.h"

/* Canonical serialization of a document given as (any) JSON text. */
static void canon_text(arca_buf *out, const char *text)
{
	arca_error err = ARCA_ERROR_INIT;
	json_t *doc = NULL;

	if (arca_json_parse(&doc, text, strlen(text), "test", &err) < 0)
		fail_msg("parse '%s': %s", text, err.msg);
	if (arca_json_canonical(out, doc, &err) < 0)
		fail_msg("canonical '%s': %s", text, err.msg);
	json_decref(doc);
}

static void check_canon(const char *text, const char *want)
{
	arca_buf b = ARCA_BUF_INIT;

	canon_text(&b, text);
	assert_string_equal(arca_buf_cstr(&b), want);
	assert_int_equal(b.len, strlen(want));
	arca_buf_dispose(&b);
}

static void test_json__canonical_sorted_compact(void **state)
{
	(void)state;
	check_canon("{ \"b\" : 1,\n \"a\" : [ 3, 2, 1 ],\t\"c\": { \"z\": null,"
		" \"y\": true, \"x\": \"s p a c e\" } }",
		"{\"a\":[3,2,1],\"b\":1,\"c\":{\"x\":\"s p a c e\",\"y\":true,"
		"\"z\":null}}");
	/* keys sort by their bytes: upper case before lower, "a" before
	 * "aa", UTF-8 after ASCII */
	check_canon("{\"\xc3\xa9\":1,\"aa\":2,\"a\":3,\"B\":4,\"_\":5}",
		"{\"B\":4,\"_\":5,\"a\":3,\"aa\":2,\"\xc3\xa9\":1}");
	check_canon("[]", "[]");
	check_canon("{}", "{}");
	check_canon("-9223372036854775808", "-9223372036854775808");
}

static void test_json__canonical_same_for_any_order(void **state)
{
	arca_buf a = ARCA_BUF_INIT, b = ARCA_BUF_INIT;
	arca_error err = ARCA_ERROR_INIT;
	json_t *x = json_object(), *y = json_object();
	char key[16];

	(void)state;
	for (int i = 0; i < 50; i++) {
		snprintf(key, sizeof(key), "k%d", i);
		json_object_set_new(x, key, json_integer(i));
		snprintf(key, sizeof(key), "k%d", 49 - i);
		json_object_set_new(y, key, json_integer(49 - i));
	}
	assert_int_equal(arca_json_canonical(&a, x, &err), 0);
	assert_int_equal(arca_json_canonical(&b, y, &err), 0);
	assert_int_equal(a.len, b.len);
	assert_memory_equal(a.data, b.data, a.len);
	/* replaces, does not append */
	assert_int_equal(arca_json_canonical(&a, x, &err), 0);
	assert_int_equal(a.len, b.len);
	json_decref(x);
	json_decref(y);
	arca_buf_dispose(&a);
	arca_buf_dispose(&b);
}

static void test_json__canonical_rejects_reals(void **state)
{
	static const char *docs[] = { "1.5", "{\"a\":0.0}", "[1,[2,[3.25]]]",
		"{\"a\":{\"b\":[1e3]}}" };
	arca_error err = ARCA_ERROR_INIT;
	arca_buf b = ARCA_BUF_INIT;

	(void)state;
	for (size_t i = 0; i < sizeof(docs) / sizeof(docs[0]); i++) {
		json_t *doc = NULL;
		assert_int_equal(arca_json_parse(&doc, docs[i], strlen(docs[i]),
			"t", &err), 0);
		arca_error_clear(&err);
		assert_int_equal(arca_json_canonical(&b, doc, &err),
			ARCA_EINVALID);
		assert_int_equal(err.code, ARCA_EINVALID);
		json_decref(doc);
	}
	arca_buf_dispose(&b);
}

static void test_json__unicode_raw(void **state)
{
	arca_buf b = ARCA_BUF_INIT;
	arca_error err = ARCA_ERROR_INIT;
	json_t *s = json_string("caf\xc3\xa9 \xe6\x97\xa5\xe6\x9c\xac "
		"\xf0\x9f\x98\x80");

	(void)state;
	assert_int_equal(arca_json_canonical(&b, s, &err), 0);
	assert_string_equal(arca_buf_cstr(&b), "\"caf\xc3\xa9 \xe6\x97\xa5"
		"\xe6\x9c\xac \xf0\x9f\x98\x80\"");
	/* escaped input comes out raw too */
	json_decref(s);
	arca_buf_dispose(&b);
	check_canon("\"\\u00e9\\ud83d\\ude00\"", "\"\xc3\xa9\xf0\x9f\x98\x80\"");
}

static void test_json__control_escaped(void **state)
{
	(void)state;
	check_canon("\"a\\u0001b\\u001fc\\n\\t\\r\\b\\f\\\"\\\\/\\u007f\"",
		"\"a\\u0001b\\u001Fc\\n\\t\\r\\b\\f\\\"\\\\/\x7f\"");
}

static void bytes_roundtrip(const char *data, size_t len, int want_b64)
{
	arca_error err = ARCA_ERROR_INIT;
	arca_buf out = ARCA_BUF_INIT, b = ARCA_BUF_INIT;
	json_t *obj = json_object(), *back = NULL;

	assert_int_equal(arca_json_set_bytes(obj, "name", data, len), 0);
	assert_int_equal(json_object_get(obj, "name") != NULL, !want_b64);
	assert_int_equal(json_object_get(obj, "name_b64") != NULL, want_b64);
	/* through canonical text and back */
	assert_int_equal(arca_json_canonical(&b, obj, &err), 0);
	assert_int_equal(arca_json_parse(&back, b.data, b.len, "t", &err), 0);
	assert_int_equal(arca_json_get_bytes(&out, back, "name", "t", &err),
		0);
	assert_int_equal(out.len, len);
	if (len)
		assert_memory_equal(out.data, data, len);
	json_decref(obj);
	json_decref(back);
	arca_buf_dispose(&out);
	arca_buf_dispose(&b);
}

static void test_json__bytes_roundtrip(void **state)
{
	static const char nul[] = { 'a', '\0', 'b', '\0' };
	arca_error err = ARCA_ERROR_INIT;
	arca_buf out = ARCA_BUF_INIT;
	json_t *obj;

	(void)state;
	bytes_roundtrip("plain.txt", 9, 0);
	bytes_roundtrip("", 0, 0);
	bytes_roundtrip("caf\xc3\xa9", 5, 0);
	bytes_roundtrip("\xff\xfe", 2, 1);
	bytes_roundtrip("latin1 caf\xe9", 11, 1);
	bytes_roundtrip("\xc3", 1, 1);              /* truncated sequence */
	bytes_roundtrip("\xed\xa0\x80", 3, 1);      /* UTF-16 surrogate */
	bytes_roundtrip("\xc0\xaf", 2, 1);          /* overlong '/' */
	bytes_roundtrip(nul, sizeof(nul), 1);
	bytes_roundtrip(nul + 1, 1, 1);

	/* missing, or bad base64 */
	obj = json_pack("{s:s}", "name_b64", "!!!!");
	assert_int_equal(arca_json_get_bytes(&out, obj, "target", "t", &err),
		ARCA_ECORRUPT);
	assert_non_null(strstr(err.msg, "target"));
	assert_int_equal(arca_json_get_bytes(&out, obj, "name", "t", &err),
		ARCA_ECORRUPT);
	json_decref(obj);
	arca_buf_dispose(&out);
}

static void test_json__accessors(void **state)
{
	arca_error err = ARCA_ERROR_INIT;
	json_t *o = json_pack("{s:s, s:I, s:s, s:f}", "s", "str", "i",
		(json_int_t)-7, "id", "sha256:0123", "r", 1.5);
	const char *s;
	int64_t i;
	arca_id id;

	(void)state;
	assert_int_equal(arca_json_get_str(&s, o, "s", "doc", &err), 0);
	assert_string_equal(s, "str");
	assert_int_equal(arca_json_get_int(&i, o, "i", "doc", &err), 0);
	assert_int_equal(i, -7);
	assert_int_equal(arca_json_get_str(&s, o, "i", "doc", &err),
		ARCA_ECORRUPT);
	assert_non_null(strstr(err.msg, "doc"));
	assert_non_null(strstr(err.msg, "'i'"));
	assert_int_equal(arca_json_get_int(&i, o, "r", "doc", &err),
		ARCA_ECORRUPT);
	assert_int_equal(arca_json_get_int(&i, o, "nope", "doc", &err),
		ARCA_ECORRUPT);
	assert_non_null(strstr(err.msg, "missing"));
	assert_int_equal(arca_json_get_id(&id, o, "id", "doc", &err),
		ARCA_ECORRUPT);
	assert_int_equal(arca_json_get_int(&i, NULL, "x", "doc", &err),
		ARCA_ECORRUPT);
	json_decref(o);
	/* duplicate keys and garbage are refused */
	assert_int_equal(arca_json_parse(&o, "{\"a\":1,\"a\":2}", 13, "d",
		&err), ARCA_ECORRUPT);
	assert_int_equal(arca_json_parse(&o, "{\"a\":", 5, "d", &err),
		ARCA_ECORRUPT);
	assert_non_null(strstr(err.msg, "d: invalid JSON"));
}

/* --- base64 --- */

static void test_json__base64_rfc4648(void **state)
{
	static const char *vec[][2] = { { "", "" }, { "f", "Zg==" },
		{ "fo", "Zm8=" }, { "foo", "Zm9v" }, { "foob", "Zm9vYg==" },
		{ "fooba", "Zm9vYmE=" }, { "foobar", "Zm9vYmFy" } };
	arca_buf b = ARCA_BUF_INIT;

	(void)state;
	for (size_t i = 0; i < sizeof(vec) / sizeof(vec[0]); i++) {
		arca_buf_clear(&b);
		assert_int_equal(arca_base64_encode(&b, vec[i][0],
			strlen(vec[i][0])), 0);
		assert_int_equal(b.len, strlen(vec[i][1]));
		if (b.len)
			assert_memory_equal(b.data, vec[i][1], b.len);
		arca_buf_clear(&b);
		assert_int_equal(arca_base64_decode(&b, vec[i][1]), 0);
		assert_int_equal(b.len, strlen(vec[i][0]));
		if (b.len)
			assert_memory_equal(b.data, vec[i][0], b.len);
	}
	arca_buf_dispose(&b);
}

static void test_json__base64_all_bytes(void **state)
{
	unsigned char data[256 * 3];
	arca_buf enc = ARCA_BUF_INIT, dec = ARCA_BUF_INIT;

	(void)state;
	for (size_t i = 0; i < sizeof(data); i++)
		data[i] = (unsigned char)(i * 7 + i / 256);
	for (size_t n = 1; n <= sizeof(data); n += 37) {
		arca_buf_clear(&enc);
		arca_buf_clear(&dec);
		assert_int_equal(arca_base64_encode(&enc, data, n), 0);
		assert_int_equal(enc.len, (n + 2) / 3 * 4);
		assert_int_equal(arca_base64_decode(&dec,
			arca_buf_cstr(&enc)), 0);
		assert_int_equal(dec.len, n);
		if (n)
			assert_memory_equal(dec.data, data, n);
	}
	arca_buf_dispose(&enc);
	arca_buf_dispose(&dec);
}

/* Encoding nothing into a fresh buffer must leave a valid empty string:
 * arca_buf_cstr promises "" for an empty buffer. */
static void test_json__base64_encode_empty(void **state)
{
	arca_buf b = ARCA_BUF_INIT, dec = ARCA_BUF_INIT;

	(void)state;
	assert_int_equal(arca_base64_encode(&b, "", 0), 0);
	assert_int_equal(b.len, 0);
	assert_string_equal(arca_buf_cstr(&b), "");
	assert_int_equal(arca_base64_decode(&dec, arca_buf_cstr(&b)), 0);
	assert_int_equal(dec.len, 0);
	arca_buf_dispose(&b);
	arca_buf_dispose(&dec);
}

static void test_json__base64_rejects(void **state)
{
	static const char *bad[] = { "Zg=", "Zg", "Z", "Zm9v!", "Zm9v Zm8=",
		"Z===", "====", "Zg==Zm8=", "Zm=v", "Zm9\n", "Zm-_", "Zg=A" };
	arca_buf b = ARCA_BUF_INIT;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		arca_buf_clear(&b);
		if (arca_base64_decode(&b, bad[i]) != ARCA_EINVALID)
			fail_msg("base64 '%s' accepted", bad[i]);
	}
	arca_buf_dispose(&b);
}

/* --- idset --- */

static void nth_id(arca_id *id, uint64_t n)
{
	tu_fill_random(id->raw, sizeof(id->raw), n * 2 + 1);
}

static void test_json__idset_growth(void **state)
{
	enum { N = 100000 };
	arca_idset s = ARCA_IDSET_INIT;
	arca_id id;

	(void)state;
	nth_id(&id, 0);
	assert_int_equal(arca_idset_has(&s, &id), 0);
	for (uint64_t i = 0; i < N; i++) {
		nth_id(&id, i);
		assert_int_equal(arca_idset_add(&s, &id), 1);
		assert_int_equal(arca_idset_has(&s, &id), 1);
	}
	assert_int_equal(s.count, N);
	for (uint64_t i = 0; i < N; i++) {
		nth_id(&id, i);
		assert_int_equal(arca_idset_has(&s, &id), 1);
		assert_int_equal(arca_idset_add(&s, &id), 0);
		nth_id(&id, i + N);
		assert_int_equal(arca_idset_has(&s, &id), 0);
	}
	assert_int_equal(s.count, N);
	/* ids that differ only in their last byte, and the zero id */
	memset(&id, 0, sizeof(id));
	assert_int_equal(arca_idset_add(&s, &id), 1);
	id.raw[31] = 1;
	assert_int_equal(arca_idset_has(&s, &id), 0);
	assert_int_equal(arca_idset_add(&s, &id), 1);
	arca_idset_dispose(&s);
	assert_int_equal(s.count, 0);
	assert_int_equal(arca_idset_has(&s, &id), 0);
}

/* --- times --- */

static void time_roundtrip(int64_t ns, const char *want)
{
	char s[ARCA_TIME_STRSZ];
	int64_t back = 0;

	arca_time_format(s, ns);
	if (want)
		assert_string_equal(s, want);
	assert_int_equal(strlen(s), 30);
	assert_int_equal(arca_time_parse(&back, s), 0);
	assert_int_equal(back, ns);
}

static void test_json__time_roundtrip(void **state)
{
	int64_t ns = 0, prev = 0;
	char a[ARCA_TIME_STRSZ], b[ARCA_TIME_STRSZ];

	(void)state;
	time_roundtrip(0, "1970-01-01T00:00:00.000000000Z");
	time_roundtrip(1700000000123456789LL,
		"2023-11-14T22:13:20.123456789Z");
	time_roundtrip(951782400000000001LL,  /* leap day */
		"2000-02-29T00:00:00.000000001Z");
	time_roundtrip(-1, "1969-12-31T23:59:59.999999999Z");
	time_roundtrip(4102444799999999999LL,
		"2099-12-31T23:59:59.999999999Z");
	time_roundtrip(arca_time_now_ns(), NULL);
	/* the fraction is optional and may be short */
	assert_int_equal(arca_time_parse(&ns, "2023-11-14T22:13:20Z"), 0);
	assert_int_equal(ns, 1700000000LL * 1000000000LL);
	assert_int_equal(arca_time_parse(&ns, "2023-11-14T22:13:20.5Z"), 0);
	assert_int_equal(ns, 1700000000500000000LL);
	/* rejects */
	assert_int_equal(arca_time_parse(&ns, ""), -1);
	assert_int_equal(arca_time_parse(&ns, "yesterday"), -1);
	assert_int_equal(arca_time_parse(&ns, "2023-11-14T22:13:20"), -1);
	assert_int_equal(arca_time_parse(&ns, "2023-11-14T22:13:20+01:00"),
		-1);
	assert_int_equal(arca_time_parse(&ns, "2023-11-14T22:13:20.1Zjunk"),
		-1);
	/* fixed width: strings sort as times do */
	for (int i = 0; i < 100; i++) {
		int64_t t;
		tu_fill_random(&t, sizeof(t), (uint64_t)i);
		t = (int64_t)((uint64_t)t % 4000000000000000000ULL);
		arca_time_format(a, prev);
		arca_time_format(b, t);
		assert_int_equal(strcmp(a, b) < 0, prev < t);
		prev = t;
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_json__canonical_sorted_compact),
		cmocka_unit_test(test_json__canonical_same_for_any_order),
		cmocka_unit_test(test_json__canonical_rejects_reals),
		cmocka_unit_test(test_json__unicode_raw),
		cmocka_unit_test(test_json__control_escaped),
		cmocka_unit_test(test_json__bytes_roundtrip),
		cmocka_unit_test(test_json__accessors),
		cmocka_unit_test(test_json__base64_rfc4648),
		cmocka_unit_test(test_json__base64_all_bytes),
		cmocka_unit_test(test_json__base64_encode_empty),
		cmocka_unit_test(test_json__base64_rejects),
		cmocka_unit_test(test_json__idset_growth),
		cmocka_unit_test(test_json__time_roundtrip),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
