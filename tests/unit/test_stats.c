/*
 * Dataset statistics (src/lib/catalog/stats*.c): figures against hand
 * computed ones, distinct counts (exact, then HyperLogLog), categories
 * and the high-cardinality cutoff, deterministic canonical JSON.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "testutil.h"
#include "catalog/schema.h"
#include "catalog/stats.h"
#include "catalog/tabular.h"
#include "util/json.h"

static arca_schema *schema(const char *yaml)
{
	arca_error err = ARCA_ERROR_INIT;
	arca_schema *s = NULL;

	if (arca_schema_load_yaml(&s, yaml, strlen(yaml), "s.yaml", &err) < 0)
		fail_msg("schema: %s", err.msg);
	return s;
}

static char *canon(json_t *j)
{
	arca_error err = ARCA_ERROR_INIT;
	arca_buf b = ARCA_BUF_INIT;

	if (arca_json_canonical(&b, j, &err) < 0)
		fail_msg("canonical: %s", err.msg);
	return (char *)arca_buf_detach(&b, NULL);
}

static char *stats_text(const arca_stats *st)
{
	json_t *j = arca_stats_to_json(st);
	char *t = canon(j);

	json_decref(j);
	return t;
}

/* The canonical text of fields.<name> in st's JSON. */
static char *field_text(const arca_stats *st, const char *name)
{
	json_t *j = arca_stats_to_json(st);
	char *t = canon(json_object_get(json_object_get(j, "fields"), name));

	json_decref(j);
	return t;
}

static const char *all_types = "schema: 1\nformat: jsonl\nfields:\n"
	"  - {name: i, type: integer, nullable: true}\n"
	"  - {name: d, type: decimal}\n"
	"  - {name: b, type: boolean}\n"
	"  - {name: t, type: timestamp}\n"
	"  - {name: s, type: string}\n"
	"  - {name: p, type: string, pii: true}\n";

static void str(arca_stats *st, size_t f, const char *v, uint64_t ncp)
{
	assert_int_equal(arca_stats__str(st, f, v, strlen(v), ncp,
		arca_stats__hash(v, strlen(v))), 0);
}

static void test_stats__hand_computed(void **state)
{
	arca_schema *s = schema(all_types);
	arca_stats *st = arca_stats_new(s);
	const int64_t ints[] = { 1, 2, 3, 4, 10 };
	char *t;

	(void)state;
	for (int k = 0; k < 5; k++) {
		assert_int_equal(arca_stats__int(st, 0, ints[k]), 0);
		arca_stats__row(st, true);
	}
	arca_stats__null(st, 0);
	arca_stats__row(st, false);
	arca_stats__invalid(st, 1);
	assert_int_equal(arca_stats__dec(st, 1, 0.5), 0);
	assert_int_equal(arca_stats__dec(st, 1, 1.5), 0);
	assert_int_equal(arca_stats__dec(st, 1, -0.0), 0);
	arca_stats__bool(st, 2, true);
	arca_stats__bool(st, 2, false);
	arca_stats__bool(st, 2, true);
	assert_int_equal(arca_stats__time(st, 3, 1706702400000000), 0);
	assert_int_equal(arca_stats__time(st, 3, -1500000), 0);
	str(st, 4, "basic", 5);
	str(st, 4, "pro", 3);
	str(st, 4, "basic", 5);
	str(st, 4, "\xc3\xa9t\xc3\xa9", 3);
	str(st, 4, "plus", 4);
	str(st, 4, "pro", 3);
	str(st, 5, "alice@example.com", 17);
	arca_stats_add_file(st, 123);

	/* mean 4; sd = sqrt((9 + 4 + 1 + 0 + 36) / 4) */
	t = field_text(st, "i");
	assert_string_equal(t, "{\"count\":5,\"distinct\":5,\"invalid\":0,"
		"\"max\":10,\"mean\":\"4\",\"min\":1,\"nulls\":1,\"sd\":"
		"\"3.53553390593\",\"type\":\"integer\"}");
	free(t);
	/* -0 counts as 0: two distinct values of three */
	t = field_text(st, "d");
	assert_string_equal(t, "{\"count\":3,\"distinct\":3,\"invalid\":1,"
		"\"max\":\"1.5\",\"mean\":\"0.666666666667\",\"min\":\"0\","
		"\"nulls\":0,\"sd\":\"0.763762615826\",\"type\":\"decimal\"}");
	free(t);
	t = field_text(st, "b");
	assert_string_equal(t, "{\"count\":3,\"false_count\":1,\"invalid\":0,"
		"\"nulls\":0,\"true_count\":2,\"type\":\"boolean\"}");
	free(t);
	t = field_text(st, "t");
	assert_string_equal(t, "{\"count\":2,\"distinct\":2,\"invalid\":0,"
		"\"max\":\"2024-01-31T12:00:00Z\",\"min\":"
		"\"1969-12-31T23:59:58.5Z\",\"nulls\":0,\"type\":\"timestamp\"}");
	free(t);
	/* most frequent first, ties by value bytes */
	t = field_text(st, "s");
	assert_string_equal(t, "{\"categories\":[{\"count\":2,\"value\":"
		"\"basic\"},{\"count\":2,\"value\":\"pro\"},{\"count\":1,\"value\":"
		"\"plus\"},{\"count\":1,\"value\":\"\xc3\xa9t\xc3\xa9\"}],\"count\":6,"
		"\"distinct\":4,\"high_cardinality\":false,\"invalid\":0,"
		"\"max_length\":5,\"min_length\":3,\"nulls\":0,\"type\":"
		"\"string\"}");
	free(t);
	/* personal data: no values */
	t = field_text(st, "p");
	assert_string_equal(t, "{\"count\":1,\"distinct\":1,\"high_cardinality\":"
		"false,\"invalid\":0,\"max_length\":17,\"min_length\":17,"
		"\"nulls\":0,\"type\":\"string\"}");
	free(t);
	t = stats_text(st);
	assert_true(!strncmp(t, "{\"bytes\":123,\"fields\":{", 23));
	assert_non_null(strstr(t, "},\"files\":1,\"format\":\"jsonl\","
		"\"invalid_rows\":1,\"rows\":6,\"stats\":1}"));
	assert_int_equal(arca_stats_rows(st), 6);
	free(t);
	arca_stats_free(st);
	arca_schema_free(s);
}

/* Personal data: aggregates only, no value of any one record. */
static void test_stats__pii(void **state)
{
	arca_schema *s = schema("schema: 1\nformat: jsonl\nfields:\n"
		"  - {name: age, type: integer, pii: true}\n"
		"  - {name: born, type: timestamp, pii: true}\n"
		"  - {name: name, type: string, pii: true}\n");
	arca_stats *st = arca_stats_new(s);
	char *t;

	(void)state;
	assert_int_equal(arca_stats__int(st, 0, 30), 0);
	assert_int_equal(arca_stats__int(st, 0, 40), 0);
	assert_int_equal(arca_stats__time(st, 1, 0), 0);
	str(st, 2, "Bob", 3);
	t = stats_text(st);
	assert_string_equal(t, "{\"bytes\":0,\"fields\":{\"age\":{\"count\":2,"
		"\"distinct\":2,\"invalid\":0,\"mean\":\"35\",\"nulls\":0,"
		"\"sd\":\"7.07106781187\",\"type\":\"integer\"},\"born\":{"
		"\"count\":1,\"distinct\":1,\"invalid\":0,\"nulls\":0,\"type\":"
		"\"timestamp\"},\"name\":{\"count\":1,\"distinct\":1,"
		"\"high_cardinality\":false,\"invalid\":0,\"max_length\":3,"
		"\"min_length\":3,\"nulls\":0,\"type\":\"string\"}},\"files\":0,"
		"\"format\":\"jsonl\",\"invalid_rows\":0,\"rows\":0,\"stats\":1}");
	free(t);
	arca_stats_free(st);
	arca_schema_free(s);
}

static double distinct_of(const arca_stats *st, const char *name)
{
	json_t *j = arca_stats_to_json(st);
	double d = (double)json_integer_value(json_object_get(json_object_get(
		json_object_get(j, "fields"), name), "distinct"));

	json_decref(j);
	return d;
}

static void test_stats__distinct(void **state)
{
	arca_schema *s = schema(all_types);
	arca_stats *st = arca_stats_new(s);
	char v[32];
	double e;

	(void)state;
	/* exact up to the category limit, also for numbers */
	for (int k = 0; k < ARCA_STATS_MAX_CATEGORIES; k++) {
		assert_int_equal(arca_stats__int(st, 0, k * 7), 0);
		assert_int_equal(arca_stats__int(st, 0, k * 7), 0);
	}
	assert_true(distinct_of(st, "i") == ARCA_STATS_MAX_CATEGORIES);
	/* then HyperLogLog, seeded with what was seen */
	assert_int_equal(arca_stats__int(st, 0, -1), 0);
	e = distinct_of(st, "i");
	assert_true(e >= 64 && e <= 66);
	for (int k = 0; k < 100000; k++) {
		snprintf(v, sizeof(v), "value-%d", k);
		str(st, 4, v, strlen(v));
		str(st, 4, v, strlen(v)); /* repeats do not count */
		assert_int_equal(arca_stats__int(st, 0, (int64_t)k * 1000003),
			0);
		assert_int_equal(arca_stats__dec(st, 1, k / 8.0), 0);
	}
	e = distinct_of(st, "s");
	print_message("HLL: strings %.0f, integers %.0f, decimals %.0f of "
		"100000\n", e, distinct_of(st, "i"), distinct_of(st, "d"));
	assert_true(fabs(e - 100000) / 100000 < 0.03);
	/* 0..63 * 7 and -1 overlap little with k * 1000003 */
	assert_true(fabs(distinct_of(st, "i") - 100063) / 100063 < 0.03);
	assert_true(fabs(distinct_of(st, "d") - 100000) / 100000 < 0.03);
	arca_stats_free(st);
	arca_schema_free(s);
}

static void test_stats__high_cardinality(void **state)
{
	arca_schema *s = schema(all_types);
	arca_stats *st = arca_stats_new(s);
	char v[32], *t;
	json_t *j, *f;

	(void)state;
	for (int k = 0; k < ARCA_STATS_MAX_CATEGORIES; k++) {
		snprintf(v, sizeof(v), "c%02d", k);
		for (int r = 0; r <= k % 3; r++)
			str(st, 4, v, 3);
	}
	j = arca_stats_to_json(st);
	f = json_object_get(json_object_get(j, "fields"), "s");
	assert_int_equal(json_array_size(json_object_get(f, "categories")),
		ARCA_STATS_MAX_CATEGORIES);
	assert_true(json_is_false(json_object_get(f, "high_cardinality")));
	t = canon(json_array_get(json_object_get(f, "categories"), 0));
	assert_string_equal(t, "{\"count\":3,\"value\":\"c02\"}");
	free(t);
	json_decref(j);
	str(st, 4, "one more", 8);
	j = arca_stats_to_json(st);
	f = json_object_get(json_object_get(j, "fields"), "s");
	assert_null(json_object_get(f, "categories"));
	assert_true(json_is_true(json_object_get(f, "high_cardinality")));
	assert_true(json_integer_value(json_object_get(f, "distinct")) >= 64 &&
		json_integer_value(json_object_get(f, "distinct")) <= 66);
	assert_int_equal(json_integer_value(json_object_get(f, "count")),
		21 * (1 + 2 + 3) + 1 + 1); /* k % 3 + 1 each, one more */
	json_decref(j);
	arca_stats_free(st);
	arca_schema_free(s);
}

/* Same data, same bytes; and the JSON reads back to the same JSON. */
static void test_stats__deterministic_json(void **state)
{
	arca_schema *s = schema(all_types);
	arca_error err = ARCA_ERROR_INIT;
	arca_stats *a = arca_stats_new(s), *b = arca_stats_new(s), *r = NULL;
	char *ta, *tb, *tr, v[32];
	json_t *j;

	(void)state;
	for (int k = 0; k < 5000; k++) {
		arca_stats *x = k % 2 ? a : b, *y = k % 2 ? b : a;
		for (int n = 0; n < 2; n++) {
			arca_stats *z = n ? y : x;
			snprintf(v, sizeof(v), "v%d", k % 100);
			arca_stats__row(z, true);
			assert_int_equal(arca_stats__dec(z, 1, k * 0.1), 0);
			assert_int_equal(arca_stats__int(z, 0, k), 0);
			assert_int_equal(arca_stats__time(z, 3, k * 1000), 0);
			str(z, 4, v, strlen(v));
		}
	}
	ta = stats_text(a);
	tb = stats_text(b);
	assert_string_equal(ta, tb);
	j = arca_stats_to_json(a);
	assert_int_equal(arca_stats_from_json(&r, j, &err), 0);
	json_decref(j);
	assert_true(arca_stats_is_summary(r));
	assert_int_equal(arca_stats_rows(r), 5000);
	tr = stats_text(r);
	assert_string_equal(ta, tr);
	/* a summary cannot be fed */
	assert_null(arca_tab_new(s, r, 10));
	free(ta);
	free(tb);
	free(tr);
	arca_stats_free(a);
	arca_stats_free(b);
	arca_stats_free(r);
	arca_schema_free(s);
}

static void json_bad(const char *text, const char *want)
{
	arca_error err = ARCA_ERROR_INIT;
	arca_stats *st = NULL;
	json_t *j = json_loads(text, 0, NULL);

	assert_non_null(j);
	assert_int_equal(arca_stats_from_json(&st, j, &err), ARCA_EINVALID);
	assert_string_equal(err.msg, want);
	assert_null(st);
	json_decref(j);
}

static void test_stats__json_errors(void **state)
{
	(void)state;
	json_bad("{\"stats\":2}", "stats JSON: stats: unsupported version");
	json_bad("{\"stats\":1,\"format\":\"csv\",\"rows\":-1}",
		"stats JSON: rows: expected a count");
	json_bad("{\"stats\":1,\"format\":\"csv\",\"rows\":1,\"invalid_rows\":0,"
		"\"files\":1,\"bytes\":5,\"fields\":{\"a\":{\"type\":\"integer\","
		"\"count\":1,\"nulls\":0,\"invalid\":0,\"min\":\"1\"}}}",
		"stats JSON: fields.a.min: wrong type");
	json_bad("{\"stats\":1,\"format\":\"csv\",\"rows\":1,\"invalid_rows\":0,"
		"\"files\":1,\"bytes\":5,\"fields\":{\"a\":{\"type\":\"decimal\","
		"\"count\":1,\"nulls\":0,\"invalid\":0,\"mean\":\"x\"}}}",
		"stats JSON: fields.a.mean: expected a decimal string");
}

/* The validator feeds one arca_stats across the files of a version. */
static void test_stats__across_files(void **state)
{
	arca_schema *s = schema("schema: 1\nformat: csv\nfields:\n"
		"  - {name: n, type: integer}\n  - {name: c, type: string}\n");
	arca_error err = ARCA_ERROR_INIT;
	arca_stats *st = arca_stats_new(s);
	arca_tab *t = arca_tab_new(s, st, 10);
	const char *f1 = "n,c\n1,a\n2,b\n", *f2 = "c,n\nb,3\nc,x\n";
	char *txt;

	(void)state;
	assert_int_equal(arca_tab_begin_file(t, "1.csv"), 0);
	assert_int_equal(arca_tab_feed(t, f1, strlen(f1), &err), 0);
	assert_int_equal(arca_tab_end_file(t, &err), 0);
	assert_int_equal(arca_tab_begin_file(t, "2.csv"), 0);
	assert_int_equal(arca_tab_feed(t, f2, strlen(f2), &err), 0);
	assert_int_equal(arca_tab_end_file(t, &err), 0);
	txt = stats_text(st);
	/* "x" is invalid: counted as such, not in the integer figures */
	assert_string_equal(txt, "{\"bytes\":24,\"fields\":{\"c\":{\"categories\":"
		"[{\"count\":2,\"value\":\"b\"},{\"count\":1,\"value\":\"a\"},"
		"{\"count\":1,\"value\":\"c\"}],\"count\":4,\"distinct\":3,"
		"\"high_cardinality\":false,\"invalid\":0,\"max_length\":1,"
		"\"min_length\":1,\"nulls\":0,\"type\":\"string\"},\"n\":{\"count\":"
		"3,\"distinct\":3,\"invalid\":1,\"max\":3,\"mean\":\"2\",\"min\":1,"
		"\"nulls\":0,\"sd\":\"1\",\"type\":\"integer\"}},\"files\":2,"
		"\"format\":\"csv\",\"invalid_rows\":1,\"rows\":4,\"stats\":1}");
	free(txt);
	arca_tab_free(t);
	arca_stats_free(st);
	arca_schema_free(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_stats__hand_computed),
		cmocka_unit_test(test_stats__pii),
		cmocka_unit_test(test_stats__distinct),
		cmocka_unit_test(test_stats__high_cardinality),
		cmocka_unit_test(test_stats__deterministic_json),
		cmocka_unit_test(test_stats__json_errors),
		cmocka_unit_test(test_stats__across_files),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
