/*
 * Drift (src/lib/catalog/drift*.c): the shipped policy equals the
 * built-in one, policy errors with positions, and a comparison of two
 * versions with a finding for every measure.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "testutil.h"
#include "catalog/drift.h"
#include "catalog/schema.h"
#include "catalog/stats.h"
#include "util/json.h"

static char *canon(json_t *j)
{
	arca_error err = ARCA_ERROR_INIT;
	arca_buf b = ARCA_BUF_INIT;

	if (arca_json_canonical(&b, j, &err) < 0)
		fail_msg("canonical: %s", err.msg);
	return (char *)arca_buf_detach(&b, NULL);
}

static arca_schema *schema(const char *yaml)
{
	arca_error err = ARCA_ERROR_INIT;
	arca_schema *s = NULL;

	if (arca_schema_load_yaml(&s, yaml, strlen(yaml), "s.yaml", &err) < 0)
		fail_msg("schema: %s", err.msg);
	return s;
}

static void test_drift__default_is_shipped(void **state)
{
	const char *src = __FILE__, *slash = strrchr(src, '/');
	arca_error err = ARCA_ERROR_INIT;
	arca_drift_policy *p = NULL;
	const arca_drift_policy *d = arca_drift_policy_default();
	json_t *a, *b;
	char *path, *ta, *tb;

	(void)state;
	/* tests/unit/test_drift.c -> policies/drift.yaml */
	if (asprintf(&path, "%.*s/../../policies/drift.yaml",
		(int)(slash - src), src) < 0)
		fail_msg("asprintf");
	if (arca_drift_policy_load_file(&p, path, &err) < 0)
		fail_msg("%s", err.msg);
	a = arca_drift_policy_to_json(p);
	b = arca_drift_policy_to_json(d);
	ta = canon(a);
	tb = canon(b);
	assert_string_equal(ta, tb);
	assert_memory_equal(p->thresholds, d->thresholds,
		sizeof(d->thresholds));
	assert_memory_equal(p->schema_changes, d->schema_changes,
		sizeof(d->schema_changes));
	assert_int_equal(p->acknowledge_at, d->acknowledge_at);
	assert_int_equal(p->field_count, 0);
	assert_true(d->thresholds[ARCA_DRIFT_MEAN_SHIFT_SD].warn == 0.5);
	json_decref(a);
	json_decref(b);
	free(ta);
	free(tb);
	free(path);
	arca_drift_policy_free(p);
	arca_drift_policy_free((arca_drift_policy *)d); /* ignored */
}

/* A complete one-line-per-key policy; the arguments replace parts. */
static char *policy_text(const char *version, const char *thresholds,
	const char *changes, const char *ack, const char *extra)
{
	char *t;

	if (asprintf(&t, "drift: %s\nthresholds: {%s}\nschema_changes: {%s}\n"
		"acknowledge_at: %s\n%s", version ? version : "1",
		thresholds ? thresholds : "row_count_change: {warn: 0.1}, "
		"null_rate_change: {}, mean_shift_sd: {}, distinct_change: {}, "
		"category_shift: {}, new_categories: {}, vanished_categories: {}",
		changes ? changes : "field_added: warn, field_removed: fail, "
		"type_changed: fail, constraint_changed: warn, pii_changed: info, "
		"format_changed: fail, option_changed: warn",
		ack ? ack : "warn", extra ? extra : "") < 0)
		fail_msg("asprintf");
	return t;
}

static void policy_bad(char *text, const char *want)
{
	arca_error err = ARCA_ERROR_INIT;
	arca_drift_policy *p = NULL;
	int rc = arca_drift_policy_load_yaml(&p, text, strlen(text), "p.yaml",
		&err);

	if (rc != ARCA_EINVALID || strcmp(err.msg, want))
		fail_msg("rc %d\n  got:  %s\n  want: %s\n%s", rc, err.msg, want,
			text);
	assert_null(p);
	free(text);
}

static void test_drift__policy_errors(void **state)
{
	arca_error err = ARCA_ERROR_INIT;
	arca_drift_policy *p = NULL;
	char *ok = policy_text(NULL, NULL, NULL, NULL, NULL);

	(void)state;
	assert_int_equal(arca_drift_policy_load_yaml(&p, ok, strlen(ok),
		"p.yaml", &err), 0);
	assert_true(p->thresholds[0].has_warn && !p->thresholds[0].has_fail);
	assert_false(p->thresholds[1].has_warn || p->thresholds[1].has_fail);
	assert_int_equal(p->schema_changes[ARCA_DRIFT_PII_CHANGED],
		ARCA_DRIFT_INFO);
	assert_int_equal(p->acknowledge_at, ARCA_DRIFT_WARN);
	arca_drift_policy_free(p);
	free(ok);

	policy_bad(policy_text("2", NULL, NULL, NULL, NULL),
		"p.yaml:1:8: unsupported drift policy version 2 (this arca "
		"reads version 1)");
	policy_bad(policy_text(NULL, "rows_change: {}", NULL, NULL, NULL),
		"p.yaml:2:14: unknown key \"rows_change\" in thresholds "
		"(expected one of: row_count_change, null_rate_change, "
		"mean_shift_sd, distinct_change, category_shift, new_categories, "
		"vanished_categories)");
	policy_bad(policy_text(NULL, "row_count_change: {}", NULL, NULL, NULL),
		"p.yaml:2:13: thresholds has no threshold for null_rate_change "
		"(write {} for none)");
	policy_bad(policy_text(NULL, "row_count_change: {}, null_rate_change: "
		"{}, mean_shift_sd: {warn: 2, fail: 1}", NULL, NULL, NULL),
		"p.yaml:2:89: fail threshold of mean_shift_sd is below its warn "
		"threshold");
	policy_bad(policy_text(NULL, "row_count_change: {warn: -1}", NULL,
		NULL, NULL),
		"p.yaml:2:39: warn threshold of row_count_change must not be "
		"negative");
	policy_bad(policy_text(NULL, "row_count_change: {warn: high}", NULL,
		NULL, NULL),
		"p.yaml:2:39: warn must be a number, not \"high\"");
	policy_bad(policy_text(NULL, "row_count_change: {alert: 1}", NULL,
		NULL, NULL),
		"p.yaml:2:33: unknown key \"alert\" in row_count_change "
		"(expected one of: warn, fail)");
	policy_bad(policy_text(NULL, NULL, "field_added: maybe", NULL, NULL),
		"p.yaml:3:31: field_added must be info, warn or fail, not "
		"\"maybe\"");
	policy_bad(policy_text(NULL, NULL, "field_added: warn", NULL, NULL),
		"p.yaml:3:17: schema_changes has no severity for field_removed");
	policy_bad(policy_text(NULL, NULL, NULL, "sometimes", NULL),
		"p.yaml:4:17: acknowledge_at must be info, warn or fail or "
		"never, not \"sometimes\"");
	policy_bad(policy_text(NULL, NULL, NULL, NULL, "other: 1\n"),
		"p.yaml:5:1: unknown key \"other\" in the policy (expected one "
		"of: drift, thresholds, schema_changes, acknowledge_at, "
		"fields)");
	policy_bad(policy_text(NULL, NULL, NULL, NULL, "fields:\n  id:\n"
		"    distinct_change: {warn: 1, fail: 0.5}\n"),
		"p.yaml:7:38: fail threshold of distinct_change is below its "
		"warn threshold");
	policy_bad(strdup("drift: 1\nthresholds: [\n"),
		"p.yaml:3:1: flow sequence without a closing bracket");
	policy_bad(strdup("drift: 1\n"),
		"p.yaml:1:1: missing key \"thresholds\"");
}

static const char *old_schema = "schema: 1\nformat: csv\nfields:\n"
	"  - {name: id, type: string, pii: true}\n"
	"  - {name: n, type: integer, max: 600, nullable: true}\n"
	"  - {name: plan, type: string}\n"
	"  - {name: ok, type: boolean}\n"
	"  - {name: gone, type: string}\n";
static const char *new_schema = "schema: 1\nformat: csv\nfields:\n"
	"  - {name: id, type: string, pii: true}\n"
	"  - {name: n, type: integer, max: 700, nullable: true}\n"
	"  - {name: plan, type: string}\n"
	"  - {name: ok, type: boolean}\n"
	"  - {name: added, type: decimal}\n";

static const char *old_stats = "{\"stats\":1,\"format\":\"csv\",\"rows\":1000,"
	"\"invalid_rows\":0,\"files\":1,\"bytes\":9000,\"fields\":{"
	"\"id\":{\"type\":\"string\",\"count\":1000,\"nulls\":0,\"invalid\":0,"
	"\"distinct\":1000,\"high_cardinality\":true},"
	"\"n\":{\"type\":\"integer\",\"count\":990,\"nulls\":10,\"invalid\":0,"
	"\"distinct\":50,\"min\":0,\"max\":20,\"mean\":\"10\",\"sd\":\"2\"},"
	"\"plan\":{\"type\":\"string\",\"count\":1000,\"nulls\":0,\"invalid\":0,"
	"\"distinct\":3,\"high_cardinality\":false,\"categories\":["
	"{\"value\":\"basic\",\"count\":500},{\"value\":\"plus\",\"count\":300},"
	"{\"value\":\"pro\",\"count\":200}]},"
	"\"ok\":{\"type\":\"boolean\",\"count\":1000,\"nulls\":0,\"invalid\":0,"
	"\"true_count\":200,\"false_count\":800},"
	"\"gone\":{\"type\":\"string\",\"count\":0,\"nulls\":1000,\"invalid\":0,"
	"\"distinct\":0,\"high_cardinality\":false,\"categories\":[]}}}";
static const char *new_stats = "{\"stats\":1,\"format\":\"csv\",\"rows\":1300,"
	"\"invalid_rows\":0,\"files\":2,\"bytes\":12000,\"fields\":{"
	"\"id\":{\"type\":\"string\",\"count\":1300,\"nulls\":0,\"invalid\":0,"
	"\"distinct\":1300,\"high_cardinality\":true},"
	"\"n\":{\"type\":\"integer\",\"count\":1100,\"nulls\":200,\"invalid\":0,"
	"\"distinct\":50,\"min\":0,\"max\":20,\"mean\":\"11\",\"sd\":\"2\"},"
	"\"plan\":{\"type\":\"string\",\"count\":1300,\"nulls\":0,\"invalid\":0,"
	"\"distinct\":3,\"high_cardinality\":false,\"categories\":["
	"{\"value\":\"basic\",\"count\":600},{\"value\":\"gold\",\"count\":400},"
	"{\"value\":\"plus\",\"count\":300}]},"
	"\"ok\":{\"type\":\"boolean\",\"count\":1300,\"nulls\":0,\"invalid\":0,"
	"\"true_count\":390,\"false_count\":910},"
	"\"added\":{\"type\":\"decimal\",\"count\":1300,\"nulls\":0,\"invalid\":0,"
	"\"distinct\":1300,\"mean\":\"1\",\"sd\":\"1\"}}}";

/* "severity kind field" of each finding, one per line. */
static char *summary(json_t *report)
{
	arca_buf b = ARCA_BUF_INIT;
	json_t *f;
	size_t i;

	json_array_foreach(json_object_get(report, "findings"), i, f) {
		json_t *field = json_object_get(f, "field");
		arca_buf_printf(&b, "%s %s%s%s\n",
			json_string_value(json_object_get(f, "severity")),
			json_string_value(json_object_get(f, "kind")),
			field ? " " : "", field ? json_string_value(field) : "");
	}
	return (char *)arca_buf_detach(&b, NULL);
}

static const char *line_of(json_t *report, size_t i, char *buf, size_t n)
{
	json_t *f = json_array_get(json_object_get(report, "findings"), i);
	int k = arca_drift_finding_format(f, buf, n);

	assert_true(k >= 0 && (size_t)k < n);
	assert_int_equal(strlen(buf), (size_t)k);
	return buf;
}

static void test_drift__compare(void **state)
{
	arca_schema *a = schema(old_schema), *b = schema(new_schema);
	json_t *sa = json_loads(old_stats, 0, NULL);
	json_t *sb = json_loads(new_stats, 0, NULL);
	json_t *r = arca_drift_compare(a, sa, b, sb,
		arca_drift_policy_default());
	char *text = summary(r), line[256], *c;

	(void)state;
	assert_string_equal(text,
		"warn constraint_changed n\n"
		"fail field_removed gone\n"
		"warn field_added added\n"
		"warn row_count_change\n"
		"warn distinct_change id\n"
		"fail null_rate_change n\n"
		"warn mean_shift_sd n\n"
		"fail category_shift plan\n"
		"warn new_categories plan\n"
		"warn vanished_categories plan\n"
		"warn category_shift ok\n");
	free(text);
	assert_string_equal(json_string_value(json_object_get(r, "severity")),
		"fail");
	assert_true(json_is_true(json_object_get(r, "needs_ack")));
	c = canon(json_object_get(r, "counts"));
	assert_string_equal(c, "{\"fail\":3,\"info\":0,\"warn\":8}");
	free(c);
	c = canon(json_array_get(json_object_get(r, "findings"), 5));
	assert_string_equal(c, "{\"field\":\"n\",\"kind\":\"null_rate_change\","
		"\"new\":\"0.153846153846\",\"old\":\"0.01\",\"severity\":\"fail\","
		"\"threshold\":\"0.1\",\"value\":\"0.143846153846\"}");
	free(c);
	assert_string_equal(line_of(r, 0, line, sizeof(line)),
		"warn  constraint_changed  field \"n\" max: 600 -> 700");
	assert_string_equal(line_of(r, 1, line, sizeof(line)),
		"fail  field_removed  field \"gone\" (string)");
	assert_string_equal(line_of(r, 3, line, sizeof(line)),
		"warn  row_count_change: 1000 -> 1300 (0.3 >= 0.1)");
	assert_string_equal(line_of(r, 5, line, sizeof(line)),
		"fail  null_rate_change  field \"n\": 0.01 -> 0.153846153846 "
		"(0.143846153846 >= 0.1)");
	assert_string_equal(line_of(r, 6, line, sizeof(line)),
		"warn  mean_shift_sd  field \"n\": 10 -> 11 (0.5 >= 0.5)");
	assert_string_equal(line_of(r, 7, line, sizeof(line)),
		"fail  category_shift  field \"plan\" (0.307692307692 >= 0.3)");
	assert_string_equal(line_of(r, 8, line, sizeof(line)),
		"warn  new_categories  field \"plan\": [\"gold\"] (1 >= 1)");
	assert_string_equal(line_of(r, 10, line, sizeof(line)),
		"warn  category_shift  field \"ok\": 0.2 -> 0.3 (0.1 >= 0.1)");
	/* snprintf-like: a short buffer gets a prefix and the full size */
	assert_int_equal(arca_drift_finding_format(json_array_get(
		json_object_get(r, "findings"), 3), line, 10), 49);
	assert_string_equal(line, "warn  row");
	assert_int_equal(arca_drift_finding_format(sa, line, 10), -1);
	json_decref(r);

	/* no change, no findings */
	r = arca_drift_compare(a, sa, a, sa, arca_drift_policy_default());
	c = canon(r);
	assert_string_equal(c, "{\"counts\":{\"fail\":0,\"info\":0,\"warn\":0},"
		"\"drift\":1,\"findings\":[],\"needs_ack\":false,\"severity\":"
		"\"none\"}");
	free(c);
	json_decref(r);
	json_decref(sa);
	json_decref(sb);
	arca_schema_free(a);
	arca_schema_free(b);
}

/* Per-field overrides, info findings, a constant field that moves. */
static void test_drift__policy_applies(void **state)
{
	arca_error err = ARCA_ERROR_INIT;
	arca_drift_policy *p = NULL;
	char *t = policy_text(NULL, "row_count_change: {warn: 0.5}, "
		"null_rate_change: {}, mean_shift_sd: {fail: 3}, "
		"distinct_change: {warn: 0.25}, category_shift: {}, "
		"new_categories: {}, vanished_categories: {}", NULL, "never",
		"fields:\n  id:\n    distinct_change: {warn: 2}\n");
	json_t *sa = json_loads(old_stats, 0, NULL);
	json_t *sb = json_loads(new_stats, 0, NULL), *r;
	char *text;

	(void)state;
	if (arca_drift_policy_load_yaml(&p, t, strlen(t), "p.yaml", &err) < 0)
		fail_msg("%s", err.msg);
	assert_int_equal(p->field_count, 1);
	/* old sd 0 and a moved mean: infinitely many sds */
	json_object_set_new(json_object_get(json_object_get(sa, "fields"),
		"n"), "sd", json_string("0"));
	r = arca_drift_compare(NULL, sa, NULL, sb, p);
	text = summary(r);
	/* no schemas: fields in name order, no schema findings */
	assert_string_equal(text,
		"info row_count_change\n"
		"info distinct_change id\n"
		"info null_rate_change n\n"
		"fail mean_shift_sd n\n"
		"info category_shift ok\n"
		"info category_shift plan\n"
		"info new_categories plan\n"
		"info vanished_categories plan\n");
	free(text);
	assert_true(json_is_false(json_object_get(r, "needs_ack")));
	assert_string_equal(json_string_value(json_object_get(json_array_get(
		json_object_get(r, "findings"), 3), "value")), "inf");
	json_decref(r);
	json_decref(sa);
	json_decref(sb);
	arca_drift_policy_free(p);
	free(t);
}

/* Blobs have no rows: the file count stands in. */
static void test_drift__files_format(void **state)
{
	arca_schema *s = schema("schema: 1\nformat: files\n");
	arca_stats *a = arca_stats_new(s), *b = arca_stats_new(s);
	json_t *ja, *jb, *r;
	char *text;

	(void)state;
	for (int k = 0; k < 10; k++)
		arca_stats_add_file(a, 1000);
	for (int k = 0; k < 16; k++)
		arca_stats_add_file(b, 1000);
	ja = arca_stats_to_json(a);
	jb = arca_stats_to_json(b);
	r = arca_drift_compare(s, ja, s, jb, arca_drift_policy_default());
	text = canon(json_object_get(r, "findings"));
	assert_string_equal(text, "[{\"kind\":\"row_count_change\",\"new\":16,"
		"\"old\":10,\"severity\":\"fail\",\"threshold\":\"0.5\","
		"\"value\":\"0.6\"}]");
	free(text);
	json_decref(r);
	json_decref(ja);
	json_decref(jb);
	arca_stats_free(a);
	arca_stats_free(b);
	arca_schema_free(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_drift__default_is_shipped),
		cmocka_unit_test(test_drift__policy_errors),
		cmocka_unit_test(test_drift__compare),
		cmocka_unit_test(test_drift__policy_applies),
		cmocka_unit_test(test_drift__files_format),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
