/*
 * The streaming validator (src/lib/catalog/tabular*.c): CSV and JSONL
 * parsing, chunking independence, type and constraint checks with their
 * messages, the error cap; and a throughput figure (printed only).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "testutil.h"
#include "catalog/schema.h"
#include "catalog/stats.h"
#include "catalog/tabular.h"
#include "catalog/tabular_int.h"
#include "util/json.h"

static arca_schema *schema(const char *yaml)
{
	arca_error err = ARCA_ERROR_INIT;
	arca_schema *s = NULL;

	if (arca_schema_load_yaml(&s, yaml, strlen(yaml), "s.yaml", &err) < 0)
		fail_msg("schema: %s", err.msg);
	return s;
}

/* Everything a run produces, as text: counts, kept issues, statistics. */
static char *fingerprint(arca_tab *t, arca_stats *st)
{
	arca_error err = ARCA_ERROR_INIT;
	arca_buf b = ARCA_BUF_INIT, js = ARCA_BUF_INIT;
	json_t *j;

	arca_buf_printf(&b, "rows=%llu invalid=%llu errors=%llu\n",
		(unsigned long long)arca_tab_rows(t),
		(unsigned long long)arca_tab_invalid_rows(t),
		(unsigned long long)arca_tab_error_count(t));
	for (size_t i = 0; i < arca_tab_issue_count(t); i++)
		arca_buf_printf(&b, "%s\n", arca_tab_issue_at(t, i)->text);
	if (st) {
		j = arca_stats_to_json(st);
		if (arca_json_canonical(&js, j, &err) < 0)
			fail_msg("stats: %s", err.msg);
		arca_buf_put(&b, js.data, js.len);
		json_decref(j);
		arca_buf_dispose(&js);
	}
	return (char *)arca_buf_detach(&b, NULL);
}

/* Validates data cut at the given offsets (ascending); returns the
 * fingerprint. */
static char *run_cuts(const arca_schema *s, const char *name,
	const char *data, size_t len, const size_t *cuts, size_t ncuts,
	size_t max_errors)
{
	arca_error err = ARCA_ERROR_INIT;
	arca_stats *st = arca_stats_new(s);
	arca_tab *t = arca_tab_new(s, st, max_errors);
	size_t at = 0;
	char *fp;

	assert_non_null(t);
	assert_int_equal(arca_tab_begin_file(t, name), 0);
	for (size_t i = 0; i <= ncuts; i++) {
		size_t to = i < ncuts ? cuts[i] : len;
		if (arca_tab_feed(t, data + at, to - at, &err) < 0)
			fail_msg("feed: %s", err.msg);
		at = to;
	}
	if (arca_tab_end_file(t, &err) < 0)
		fail_msg("end: %s", err.msg);
	fp = fingerprint(t, st);
	arca_tab_free(t);
	arca_stats_free(st);
	return fp;
}

static char *run(const arca_schema *s, const char *name, const char *data)
{
	return run_cuts(s, name, data, strlen(data), NULL, 0, 100);
}

/* Runs data and checks counts and the kept issue texts. */
static void expect(const arca_schema *s, const char *name, const char *data,
	unsigned rows, unsigned errors, const char *const *issues)
{
	arca_error err = ARCA_ERROR_INIT;
	arca_tab *t = arca_tab_new(s, NULL, 100);
	size_t n = 0;

	assert_non_null(t);
	assert_int_equal(arca_tab_begin_file(t, name), 0);
	if (arca_tab_feed(t, data, strlen(data), &err) < 0 ||
		arca_tab_end_file(t, &err) < 0)
		fail_msg("run: %s", err.msg);
	for (; issues && issues[n]; n++) {
		const arca_tab_issue *is = arca_tab_issue_at(t, n);
		if (!is)
			fail_msg("missing issue %zu: %s", n, issues[n]);
		assert_string_equal(is->text, issues[n]);
	}
	if (arca_tab_issue_count(t) != n)
		fail_msg("unexpected issue: %s", arca_tab_issue_at(t, n)->text);
	assert_int_equal(arca_tab_rows(t), rows);
	assert_int_equal(arca_tab_error_count(t), errors);
	arca_tab_free(t);
}

/* tests/unit/data/catalog/<name>, found from this file's path. */
static char *data_path(const char *name)
{
	const char *src = __FILE__, *slash = strrchr(src, '/');
	char *p;

	if (asprintf(&p, "%.*s/data/catalog/%s", (int)(slash - src), src,
		name) < 0)
		fail_msg("asprintf");
	return p;
}

/* The example schema and data of formats/dataset-schema.md. */
static void test_tabular__example_files(void **state)
{
	arca_error err = ARCA_ERROR_INIT;
	arca_schema *s = NULL;
	char *sp = data_path("churn.schema.yaml"), *dp = data_path("churn.csv");
	char buf[64], *fp;
	arca_stats *st;
	arca_tab *t;
	FILE *f;
	size_t n;

	(void)state;
	assert_int_equal(arca_schema_load_file(&s, sp, &err), 0);
	st = arca_stats_new(s);
	t = arca_tab_new(s, st, 10);
	assert_non_null(f = fopen(dp, "rb"));
	assert_int_equal(arca_tab_begin_file(t, "churn.csv"), 0);
	while ((n = fread(buf, 1, sizeof(buf), f)) > 0)
		assert_int_equal(arca_tab_feed(t, buf, n, &err), 0);
	fclose(f);
	assert_int_equal(arca_tab_end_file(t, &err), 0);
	fp = fingerprint(t, st);
	assert_true(!strncmp(fp, "rows=4 invalid=0 errors=0\n{", 27));
	assert_non_null(strstr(fp, "\"signup_at\":{\"count\":3,\"distinct\":3,"
		"\"invalid\":0,\"max\":\"2024-02-29T00:00:00Z\",\"min\":"
		"\"2023-12-31T22:59:59.5Z\",\"nulls\":1,"));
	free(fp);
	arca_tab_free(t);
	arca_stats_free(st);
	arca_schema_free(s);
	free(sp);
	free(dp);
}

static const char *ab_schema = "schema: 1\nformat: csv\nfields:\n"
	"  - {name: a, type: string, nullable: true}\n"
	"  - {name: b, type: integer, min: 0}\n";

static void test_tabular__csv_quoting(void **state)
{
	arca_schema *s = schema(ab_schema);
	char *fp = run(s, "q.csv", "a,b\r\n\"x,y\",1\r\n\"he said \"\"hi\"\"\",2"
		"\r\n\"multi\nline\",3\r\nplain,4\n\"\",5\n,6\n\"crlf\"\r\nlast,7");
	const char *cats;

	(void)state;
	/* "crlf" alone is one column short */
	assert_true(!strncmp(fp, "rows=8 invalid=1 errors=1\n"
		"q.csv:9: record has 1 columns, expected 2\n", 67));
	cats = strstr(fp, "\"a\":");
	assert_non_null(cats);
	assert_non_null(strstr(cats, "{\"count\":1,\"value\":\"\"},"
		"{\"count\":1,\"value\":\"he said \\\"hi\\\"\"},"
		"{\"count\":1,\"value\":\"last\"},"
		"{\"count\":1,\"value\":\"multi\\nline\"},"
		"{\"count\":1,\"value\":\"plain\"},"
		"{\"count\":1,\"value\":\"x,y\"}]"));
	assert_non_null(strstr(cats, "\"nulls\":1,"));
	free(fp);
	arca_schema_free(s);
}

static void test_tabular__csv_lines_and_shape(void **state)
{
	arca_schema *s = schema(ab_schema);
	const char *const issues[] = {
		"d.csv:4: field \"b\": value \"-3\" below min 0",
		"d.csv:5: record has 3 columns, expected 2",
		"d.csv:6: field \"a\": quote inside an unquoted value",
		"d.csv:7: field \"a\": text after a closing quote",
		"d.csv:8: field \"b\": empty value, field is not nullable",
		"d.csv:9: field \"a\": quoted value not closed before the end "
		"of the file",
		NULL };

	(void)state;
	expect(s, "d.csv", "a,b\n\"multi\nline\",1\nx,-3\nx,1,2\nab\"c,1\n"
		"\"ab\"c,1\nz,\n\"open,1\n2,3\n", 7, 6, issues);
	arca_schema_free(s);
}

static void test_tabular__csv_header(void **state)
{
	arca_schema *s = schema("schema: 1\nformat: csv\nfields:\n"
		"  - {name: a, type: string}\n  - {name: b, type: integer}\n"
		"  - {name: c, type: integer, required: false, nullable: true}\n");
	arca_schema *x = schema("schema: 1\nformat: csv\nextra_fields: allow\n"
		"fields:\n  - {name: a, type: string}\n");
	arca_schema *nh = schema("schema: 1\nformat: csv\ncsv: {delimiter: "
		"\";\", header: false}\nfields:\n  - {name: a, type: string}\n"
		"  - {name: b, type: boolean}\n");
	const char *const missing[] = {
		"h.csv:1: field \"b\": missing required column", NULL };
	const char *const unknown[] = {
		"h.csv:1: unknown column \"zzz\" (the schema does not allow "
		"extra fields)",
		"h.csv:1: field \"a\": duplicate column \"a\"", NULL };
	const char *const empty[] = {
		"h.csv:1: no header row (the file is empty)", NULL };
	const char *const positional[] = {
		"n.csv:2: field \"b\": value \"maybe\" is not a boolean (true, "
		"false, 1 or 0)",
		"n.csv:4: record has 3 columns, expected 2", NULL };

	(void)state;
	/* one error at the header, none per row; c absent is fine */
	expect(s, "h.csv", "a\nx\ny\n", 2, 1, missing);
	expect(s, "h.csv", "b,a,zzz,a\n1,x,?,y\n", 1, 2, unknown);
	expect(s, "h.csv", "", 0, 1, empty);
	expect(s, "h.csv", "\xEF\xBB\xBF" "c,b,a\n,1,x\n\n\n", 1, 0, NULL);
	expect(x, "x.csv", "a,more,extra\n1,2,3\n", 1, 0, NULL);
	expect(nh, "n.csv", "x;true\ny;maybe\nz;0\n1;2;3\n", 4, 2, positional);
	arca_schema_free(s);
	arca_schema_free(x);
	arca_schema_free(nh);
}

static const char *types_schema = "schema: 1\nformat: csv\nfields:\n"
	"  - {name: i, type: integer, min: -5, max: 100, nullable: true}\n"
	"  - {name: d, type: decimal, min: 0.5, max: 1e3, nullable: true}\n"
	"  - {name: b, type: boolean, nullable: true}\n"
	"  - {name: t, type: timestamp, nullable: true}\n"
	"  - {name: s, type: string, max_length: 3, enum: [ab, \xc3\xa9t\xc3\xa9,"
	" x], nullable: true}\n";

static void test_tabular__types_csv(void **state)
{
	arca_schema *s = schema(types_schema);
	const char *const issues[] = {
		"t.csv:3: field \"i\": value \"abc\" is not an integer",
		"t.csv:4: field \"i\": value \"1.5\" is not an integer",
		"t.csv:5: field \"i\": value \"99999999999999999999\" is out of "
		"range for a 64-bit integer",
		"t.csv:6: field \"i\": value \"-6\" below min -5",
		"t.csv:7: field \"i\": value \"101\" above max 100",
		"t.csv:8: field \"d\": value \"0.4\" below min 0.5",
		"t.csv:9: field \"d\": value \"1e999\" is out of range",
		"t.csv:10: field \"d\": value \"1.2.3\" is not a decimal number",
		"t.csv:11: field \"b\": value \"yes\" is not a boolean (true, "
		"false, 1 or 0)",
		"t.csv:12: field \"t\": value \"2023-02-29\" is not an RFC 3339 "
		"timestamp or date",
		"t.csv:13: field \"t\": value \"2024-01-31T24:00:00Z\" is not an "
		"RFC 3339 timestamp or date",
		"t.csv:14: field \"s\": value \"abcd\" is 4 characters long, "
		"max_length 3",
		"t.csv:15: field \"s\": value \"zz\" not in enum [ab, \xc3\xa9t"
		"\xc3\xa9, x]",
		"t.csv:16: field \"s\": invalid UTF-8 (byte 0xFF at offset 1)",
		NULL };

	(void)state;
	expect(s, "t.csv", "i,d,b,t,s\n"
		"+7,1000,TRUE,2024-02-29T23:59:60.123456789-01:30,\xc3\xa9t\xc3\xa9\n"
		"abc,,,,\n1.5,,,,\n99999999999999999999,,,,\n-6,,,,\n101,,,,\n"
		",0.4,,,\n,1e999,,,\n,1.2.3,,,\n,,yes,,\n,,,2023-02-29,\n"
		",,,2024-01-31T24:00:00Z,\n,,,,abcd\n,,,,zz\n,,,,a\xff\n"
		"-5,.5e0,0,2024-01-31 12:00:00,x\n"
		"100,5e2,False,2024-01-31,ab\n", 17, 14, issues);
	arca_schema_free(s);
}

static const char *json_schema = "schema: 1\nformat: jsonl\nfields:\n"
	"  - {name: name, type: string, max_length: 5, nullable: true}\n"
	"  - {name: n, type: integer, required: false}\n"
	"  - {name: ok, type: boolean, required: false}\n"
	"  - {name: at, type: timestamp, required: false}\n"
	"  - {name: x, type: decimal, required: false}\n";

static void test_tabular__jsonl(void **state)
{
	arca_schema *s = schema(json_schema);
	const char *const issues[] = {
		"j.jsonl:3: column 13: invalid UTF-8",
		"j.jsonl:4: column 11: invalid JSON: unpaired surrogate \\u "
		"escape",
		"j.jsonl:5: field \"name\": expected a string, got an object",
		"j.jsonl:6: unknown field \"extra\" (the schema does not allow "
		"extra fields)",
		"j.jsonl:7: field \"n\": duplicate key",
		"j.jsonl:8: column 9: invalid JSON: expected ':'",
		"j.jsonl:9: column 16: invalid JSON: text after the object",
		"j.jsonl:10: column 16: invalid JSON: expected a key",
		"j.jsonl:11: field \"name\": missing required field",
		"j.jsonl:12: field \"n\": value \"1.0\" is not an integer",
		"j.jsonl:12: field \"ok\": expected a boolean, got a string",
		"j.jsonl:12: field \"at\": expected a timestamp string, got a "
		"number",
		"j.jsonl:12: field \"x\": expected a decimal number, got a string",
		"j.jsonl:13: column 1: expected a JSON object",
		"j.jsonl:14: field \"name\": value \"\xf0\x9f\x98\x80\xf0\x9f\x98"
		"\x80\xf0\x9f\x98\x80\xf0\x9f\x98\x80\xf0\x9f\x98\x80\xf0\x9f\x98"
		"\x80\" is 6 characters long, max_length 5",
		"j.jsonl:15: column 12: invalid JSON: control character in a "
		"string",
		NULL };

	(void)state;
	expect(s, "j.jsonl",
		"{\"name\": \"a\\\"b\\u00e9\\ud83d\\ude00\", \"n\": -0, \"ok\": true,"
		" \"at\": \"2024-01-31T12:00:00Z\", \"x\": 1.5e-3}\n"
		"   \r\n"
		"{\"name\": \"ab\xff\"}\n"
		"{\"name\": \"\\udc00\"}\n"
		"{\"name\": {\"a\": [1, 2]}}\n"
		"{\"name\": null, \"extra\": [1, {\"b\": \"\\n\"}]}\n"
		"{\"name\": null, \"n\": 1, \"n\": 2}\n"
		"{\"name\" 1}\n"
		"{\"name\": null} x\n"
		"{\"name\": null, }\n"
		"{}\n"
		"{\"name\": \"\", \"n\": 1.0, \"ok\": \"true\", \"at\": 5, "
		"\"x\": \"1\"}\n"
		"[1]\n"
		"{\"name\":\"\\ud83d\\ude00\xf0\x9f\x98\x80\\ud83d\\ude00\xf0\x9f"
		"\x98\x80\\ud83d\\ude00\xf0\x9f\x98\x80\"}\n"
		"{\"name\": \"a\tb\"}\n"
		"{\"name\": \"\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\"}",
		15, 16, issues);
	arca_schema_free(s);
}

/* Decoded JSON strings reach the statistics as bytes. */
static void test_tabular__jsonl_values(void **state)
{
	arca_schema *s = schema(json_schema);
	char *fp = run(s, "v.jsonl", "{\"name\":\"a\\\"\\u00e9\\ud83d\\ude00\"}\n"
		"{\"name\":\"\\/\\b\\f\\n\\t\", \"n\": -12, \"x\": 0.25}\n"
		"{\"name\":\"\xc3\xa9\", \"n\": 30, \"x\": -1E2}\n");

	(void)state;
	assert_non_null(strstr(fp, "rows=3 invalid=0 errors=0\n"));
	assert_non_null(strstr(fp, "{\"count\":1,\"value\":\"/\\b\\f\\n\\t\"},"
		"{\"count\":1,\"value\":\"a\\\"\xc3\xa9\xf0\x9f\x98\x80\"},"
		"{\"count\":1,\"value\":\"\xc3\xa9\"}]"));
	assert_non_null(strstr(fp, "\"max_length\":5,\"min_length\":1,"));
	assert_non_null(strstr(fp, "\"n\":{\"count\":2,\"distinct\":2,"
		"\"invalid\":0,\"max\":30,\"mean\":\"9\",\"min\":-12,"));
	assert_non_null(strstr(fp, "\"x\":{\"count\":2,\"distinct\":2,"
		"\"invalid\":0,\"max\":\"0.25\",\"mean\":\"-49.875\",\"min\":"
		"\"-100\","));
	free(fp);
	arca_schema_free(s);
}

/* Every single cut point, and one byte at a time, give the same result
 * as the whole input at once. */
static void check_chunking(const arca_schema *s, const char *name,
	const char *data)
{
	size_t len = strlen(data), *cuts = malloc(len * sizeof(size_t));
	char *whole = run_cuts(s, name, data, len, NULL, 0, 50), *fp;

	for (size_t k = 0; k <= len; k++) {
		fp = run_cuts(s, name, data, len, &k, 1, 50);
		if (strcmp(fp, whole))
			fail_msg("cut at %zu:\n%s\nvs whole:\n%s", k, fp, whole);
		free(fp);
	}
	for (size_t k = 0; k < len; k++)
		cuts[k] = k;
	fp = run_cuts(s, name, data, len, cuts, len, 50);
	assert_string_equal(fp, whole);
	free(fp);
	free(cuts);
	free(whole);
}

static void test_tabular__chunking(void **state)
{
	arca_schema *c = schema(types_schema);
	arca_schema *j = schema(json_schema);

	(void)state;
	check_chunking(c, "c.csv", "\xEF\xBB\xBFi,d,s,b,t\r\n"
		"1,2.5,\"ab\",true,2024-01-01\r\n"
		"\"7\",\"1e2\",\"x\",\"0\",\"2024-01-01T00:00:00+05:00\"\r\n"
		"x,,\"\xc3\xa9t\xc3\xa9\",1,\n"
		"\"\"\"\",,\"a\nb\",,\r\n"
		"\r\n"
		"-5,1000,ab\",False,\n"
		"\"unterminated,1,\n2");
	check_chunking(j, "j.jsonl",
		"{\"name\": \"\xc3\xa9\\u00e9\\ud83d\\ude00\", \"n\": 5}\r\n"
		"\n"
		"{\"name\": null, \"x\": -0.5e1, \"ok\": false, \"at\": "
		"\"2024-01-01T00:00:00.5Z\"}\n"
		"{\"name\": \"\xe2\x82\xac\", \"n\": [1, {\"a\": \"}\"}]}\n"
		"{\"name\" \"bad\"}\n"
		"{\"name\": \"ok\", \"n\": 2}");
	arca_schema_free(c);
	arca_schema_free(j);
}

/* Random inputs from an alphabet of troublesome bytes: chunked the same
 * as whole (and, under the sanitizers, no memory errors). */
static void test_tabular__random_inputs(void **state)
{
	static const char alpha[] = "\"\",,\n\r\\{}[]:u0d8e9-.1tfnx \xc3\xa9"
		"\xff\xef\xbb\xbf";
	arca_schema *c = schema(types_schema), *j = schema(json_schema);
	unsigned char rnd[96];
	char in[97];
	size_t cuts[3];

	(void)state;
	for (uint64_t seed = 1; seed <= 400; seed++) {
		const arca_schema *s = seed % 2 ? c : j;
		char *a, *b;
		tu_fill_random(rnd, sizeof(rnd), seed);
		for (size_t k = 0; k < 96; k++)
			in[k] = alpha[rnd[k] % (sizeof(alpha) - 1)];
		in[96] = '\0';
		if (seed % 4 < 2) /* half start like a record */
			memcpy(in, seed % 2 ? "i,d,b,t,s\n" : "{\"name\":\"", 10);
		for (int k = 0; k < 3; k++)
			cuts[k] = (size_t)rnd[k] * 96 / 256;
		if (cuts[0] > cuts[1]) {
			size_t x = cuts[0]; cuts[0] = cuts[1]; cuts[1] = x;
		}
		if (cuts[1] > cuts[2]) {
			size_t x = cuts[1]; cuts[1] = cuts[2]; cuts[2] = x;
		}
		if (cuts[0] > cuts[1]) {
			size_t x = cuts[0]; cuts[0] = cuts[1]; cuts[1] = x;
		}
		a = run_cuts(s, "r", in, 96, NULL, 0, 20);
		b = run_cuts(s, "r", in, 96, cuts, 3, 20);
		if (strcmp(a, b))
			fail_msg("seed %llu:\n%s\nvs\n%s",
				(unsigned long long)seed, a, b);
		free(a);
		free(b);
	}
	arca_schema_free(c);
	arca_schema_free(j);
}

static void test_tabular__error_cap(void **state)
{
	arca_schema *s = schema(ab_schema);
	arca_error err = ARCA_ERROR_INIT;
	arca_tab *t = arca_tab_new(s, NULL, 3);
	const char *data = "a,b\nx,-1\nx,-2\nx,-3\nx,-4\nx,5\nx,-6\n";

	(void)state;
	assert_int_equal(arca_tab_begin_file(t, "one.csv"), 0);
	assert_int_equal(arca_tab_feed(t, data, strlen(data), &err), 0);
	assert_int_equal(arca_tab_end_file(t, &err), 0);
	assert_int_equal(arca_tab_begin_file(t, "two.csv"), 0);
	assert_int_equal(arca_tab_feed(t, data, strlen(data), &err), 0);
	assert_int_equal(arca_tab_end_file(t, &err), 0);
	assert_int_equal(arca_tab_rows(t), 12);
	assert_int_equal(arca_tab_invalid_rows(t), 10);
	assert_int_equal(arca_tab_error_count(t), 10);
	assert_int_equal(arca_tab_issue_count(t), 3);
	assert_string_equal(arca_tab_issue_at(t, 2)->file, "one.csv");
	assert_int_equal(arca_tab_issue_at(t, 2)->line, 4);
	assert_string_equal(arca_tab_issue_at(t, 2)->field, "b");
	assert_string_equal(arca_tab_issue_at(t, 2)->message,
		"value \"-3\" below min 0");
	assert_null(arca_tab_issue_at(t, 3));
	/* out of order calls fail cleanly */
	assert_int_equal(arca_tab_feed(t, "x", 1, &err), ARCA_ERROR);
	arca_tab_free(t);
	arca_schema_free(s);
}

/* Values of pii fields never appear in messages. */
static void test_tabular__pii_redacted(void **state)
{
	arca_schema *s = schema("schema: 1\nformat: jsonl\nfields:\n"
		"  - {name: email, type: string, max_length: 5, pii: true}\n"
		"  - {name: age, type: integer, max: 130, pii: true}\n");
	const char *const issues[] = {
		"p.jsonl:1: field \"email\": value <pii, 17 bytes> is 17 "
		"characters long, max_length 5",
		"p.jsonl:1: field \"age\": value <pii, 3 bytes> above max 130",
		NULL };

	(void)state;
	expect(s, "p.jsonl", "{\"email\": \"alice@example.com\", \"age\": "
		"140}\n", 1, 2, issues);
	arca_schema_free(s);
}

/* Failures that stop processing, and calls that are refused. */
static void test_tabular__fatal(void **state)
{
	arca_schema *s = schema(ab_schema);
	arca_schema *files = schema("schema: 1\nformat: files\n");
	arca_error err = ARCA_ERROR_INIT;
	arca_tab *t = arca_tab_new(s, NULL, 0);
	char *chunk = malloc(1 << 20);
	int rc = 0;

	(void)state;
	assert_null(arca_tab_new(files, NULL, 10));
	assert_int_equal(arca_tab_feed(t, "a", 1, &err), ARCA_ERROR);
	assert_int_equal(arca_tab_begin_file(t, "big.csv"), 0);
	assert_int_equal(arca_tab_begin_file(t, "again.csv"), ARCA_ERROR);
	assert_int_equal(arca_tab_feed(t, "a,b\nx,1\n\"", 10, &err), 0);
	memset(chunk, 'x', 1 << 20);
	for (int k = 0; k < 80 && rc == 0; k++)
		rc = arca_tab_feed(t, chunk, 1 << 20, &err);
	assert_int_equal(rc, ARCA_EINVALID);
	assert_string_equal(err.msg, "big.csv:3: record is longer than 64 MiB "
		"(an unterminated quoted field?)");
	assert_int_equal(arca_tab_feed(t, "x", 1, &err), ARCA_EINVALID);
	assert_int_equal(arca_tab_end_file(t, &err), ARCA_EINVALID);
	assert_string_equal(err.msg, "big.csv: validation stopped by an "
		"earlier error");
	/* max_errors 0: counted, none kept */
	assert_int_equal(arca_tab_rows(t), 1);
	assert_int_equal(arca_tab_issue_count(t), 0);
	free(chunk);
	arca_tab_free(t);
	arca_schema_free(s);
	arca_schema_free(files);
}

static void test_tabular__parsers(void **state)
{
	const char *decs[] = { "0", "-0", "1.5", ".5", "5.", "+2", "1e10",
		"1.7976931348623157e308", "4.9e-324", "0.1", "123456789012345678",
		"1234567890123456789012345", "0.000000000000000000000000001",
		"9007199254740993", "3.141592653589793238462643383279", NULL };
	int64_t us, i;
	double d;

	(void)state;
	for (int k = 0; decs[k]; k++) {
		assert_int_equal(arca_tab__parse_dec(decs[k], strlen(decs[k]),
			&d), 0);
		if (d != strtod(decs[k], NULL))
			fail_msg("%s: %.17g vs %.17g", decs[k], d,
				strtod(decs[k], NULL));
	}
	assert_int_equal(arca_tab__parse_dec("1e", 2, &d), -1);
	assert_int_equal(arca_tab__parse_dec("nan", 3, &d), -1);
	assert_int_equal(arca_tab__parse_dec("-1e400", 6, &d), -2);
	assert_int_equal(arca_tab__parse_int("-9223372036854775808", 20, &i), 0);
	assert_true(i == INT64_MIN);
	assert_int_equal(arca_tab__parse_int("9223372036854775808", 19, &i), -2);
	assert_int_equal(arca_tab__parse_int("-", 1, &i), -1);
	assert_int_equal(arca_tab__parse_time("1970-01-01", 10, &us), 0);
	assert_true(us == 0);
	assert_int_equal(arca_tab__parse_time("2024-01-31T12:00:00Z", 20,
		&us), 0);
	assert_true(us == 1706702400000000);
	assert_int_equal(arca_tab__parse_time("2024-01-31T13:30:00.25+01:30",
		28, &us), 0);
	assert_true(us == 1706702400250000);
	assert_int_equal(arca_tab__parse_time("1969-12-31T23:59:59Z", 20,
		&us), 0);
	assert_true(us == -1000000);
	assert_int_equal(arca_tab__parse_time("2024-1-31", 9, &us), -1);
	assert_int_equal(arca_tab__parse_time("2024-01-31T12:00Z", 17, &us),
		-1);
	assert_int_equal(arca_tab__parse_time("2024-01-31T12:00:00+1:00", 24,
		&us), -1);
}

/* ---- throughput: printed, never asserted ---- */

static size_t gen_rows(char *buf, size_t size, bool json)
{
	static const char *plans[] = { "basic", "plus", "pro" };
	size_t o = 0;
	uint64_t x = 42;

	if (!json)
		o += (size_t)snprintf(buf, size, "customer_id,tenure_months,plan,"
			"monthly_charges,churned,signup_at,notes\n");
	for (unsigned r = 0; o + 400 < size; r++) {
		x = x * 6364136223846793005ull + 1442695040888963407ull;
		unsigned v = (unsigned)(x >> 33);
		if (json)
			o += (size_t)snprintf(buf + o, size - o,
				"{\"customer_id\":\"C%08u\",\"tenure_months\":%u,"
				"\"plan\":\"%s\",\"monthly_charges\":%u.%02u,"
				"\"churned\":%s,\"signup_at\":\"2024-%02u-%02uT"
				"%02u:%02u:00Z\",\"notes\":\"customer note %u\"}\n",
				r, v % 600, plans[v % 3], v % 200, v % 100,
				v & 1 ? "true" : "false", 1 + v % 12,
				1 + v % 28, v % 24, v % 60, v % 1000);
		else
			o += (size_t)snprintf(buf + o, size - o,
				"C%08u,%u,%s,%u.%02u,%s,2024-%02u-%02uT%02u:%02u:"
				"00Z,customer note %u\n", r, v % 600,
				plans[v % 3], v % 200, v % 100,
				v & 1 ? "true" : "false", 1 + v % 12,
				1 + v % 28, v % 24, v % 60, v % 1000);
	}
	return o;
}

static const char *bench_schema(bool json)
{
	return json ? "schema: 1\nformat: jsonl\nfields:\n"
		"  - {name: customer_id, type: string, max_length: 32, pii: true}\n"
		"  - {name: tenure_months, type: integer, min: 0, max: 600}\n"
		"  - {name: plan, type: string, enum: [basic, plus, pro]}\n"
		"  - {name: monthly_charges, type: decimal, min: 0}\n"
		"  - {name: churned, type: boolean}\n"
		"  - {name: signup_at, type: timestamp}\n"
		"  - {name: notes, type: string}\n" :
		"schema: 1\nformat: csv\nfields:\n"
		"  - {name: customer_id, type: string, max_length: 32, pii: true}\n"
		"  - {name: tenure_months, type: integer, min: 0, max: 600}\n"
		"  - {name: plan, type: string, enum: [basic, plus, pro]}\n"
		"  - {name: monthly_charges, type: decimal, min: 0}\n"
		"  - {name: churned, type: boolean}\n"
		"  - {name: signup_at, type: timestamp}\n"
		"  - {name: notes, type: string}\n";
}

static void bench(bool json, size_t mb)
{
	arca_error err = ARCA_ERROR_INIT;
	arca_schema *s = schema(bench_schema(json));
	size_t size = mb << 20, len;
	char *buf = malloc(size);
	struct timespec a, b;
	arca_stats *st;
	arca_tab *t;
	double secs;

	assert_non_null(buf);
	len = gen_rows(buf, size, json);
	st = arca_stats_new(s);
	t = arca_tab_new(s, st, 10);
	clock_gettime(CLOCK_MONOTONIC, &a);
	assert_int_equal(arca_tab_begin_file(t, "bench"), 0);
	for (size_t o = 0; o < len; o += 1 << 20) {
		size_t n = len - o < (1 << 20) ? len - o : 1 << 20;
		assert_int_equal(arca_tab_feed(t, buf + o, n, &err), 0);
	}
	assert_int_equal(arca_tab_end_file(t, &err), 0);
	clock_gettime(CLOCK_MONOTONIC, &b);
	secs = (double)(b.tv_sec - a.tv_sec) + (b.tv_nsec - a.tv_nsec) / 1e9;
	assert_int_equal(arca_tab_error_count(t), 0);
	print_message("throughput %s: %.1f MB in %.3f s = %.0f MB/s "
		"(%llu rows, %.0f bytes/row)\n", json ? "jsonl" : "csv",
		len / 1e6, secs, len / 1e6 / secs,
		(unsigned long long)arca_tab_rows(t),
		(double)len / (double)arca_tab_rows(t));
	arca_tab_free(t);
	arca_stats_free(st);
	arca_schema_free(s);
	free(buf);
}

static void test_tabular__throughput(void **state)
{
	const char *env = getenv("ARCA_TAB_BENCH_MB");
	size_t mb = env ? (size_t)strtoul(env, NULL, 10) : 16;

	(void)state;
	bench(false, mb);
	bench(true, mb);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_tabular__example_files),
		cmocka_unit_test(test_tabular__csv_quoting),
		cmocka_unit_test(test_tabular__csv_lines_and_shape),
		cmocka_unit_test(test_tabular__csv_header),
		cmocka_unit_test(test_tabular__types_csv),
		cmocka_unit_test(test_tabular__jsonl),
		cmocka_unit_test(test_tabular__jsonl_values),
		cmocka_unit_test(test_tabular__chunking),
		cmocka_unit_test(test_tabular__random_inputs),
		cmocka_unit_test(test_tabular__error_cap),
		cmocka_unit_test(test_tabular__pii_redacted),
		cmocka_unit_test(test_tabular__fatal),
		cmocka_unit_test(test_tabular__parsers),
		cmocka_unit_test(test_tabular__throughput),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
