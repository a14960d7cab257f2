/*
 * Dataset schemas (src/lib/catalog/schema*.c): YAML loading with exact
 * error positions, the canonical JSON form, and schema diffs.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "testutil.h"
#include "catalog/schema.h"
#include "util/json.h"

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

static arca_schema *load_ok(const char *yaml)
{
	arca_error err = ARCA_ERROR_INIT;
	arca_schema *s = NULL;

	if (arca_schema_load_yaml(&s, yaml, strlen(yaml), "s.yaml", &err) < 0)
		fail_msg("load: %s", err.msg);
	return s;
}

/* Canonical text of a JSON value (for exact comparisons). */
static char *canon(json_t *j)
{
	arca_error err = ARCA_ERROR_INIT;
	arca_buf b = ARCA_BUF_INIT;

	if (arca_json_canonical(&b, j, &err) < 0)
		fail_msg("canonical: %s", err.msg);
	return (char *)arca_buf_detach(&b, NULL);
}

static void test_schema__load_example(void **state)
{
	arca_error err = ARCA_ERROR_INIT;
	arca_schema *s = NULL;
	const arca_schema_field *f;
	char *path = data_path("churn.schema.yaml");

	(void)state;
	assert_int_equal(arca_schema_load_file(&s, path, &err), 0);
	assert_int_equal(s->format, ARCA_SCHEMA_CSV);
	assert_int_equal(s->csv_delimiter, ',');
	assert_true(s->csv_header);
	assert_false(s->extra_fields);
	assert_int_equal(s->field_count, 6);
	f = arca_schema_field_at(s, 0);
	assert_string_equal(f->name, "customer_id");
	assert_int_equal(f->type, ARCA_FIELD_STRING);
	assert_true(f->required && !f->nullable && f->pii);
	assert_int_equal(f->has, ARCA_FIELD_HAS_MAX_LENGTH);
	assert_int_equal(f->max_length, 32);
	f = arca_schema_field_find(s, "tenure_months");
	assert_int_equal(f->type, ARCA_FIELD_INTEGER);
	assert_int_equal(f->has, ARCA_FIELD_HAS_MIN | ARCA_FIELD_HAS_MAX);
	assert_int_equal(f->min_i, 0);
	assert_int_equal(f->max_i, 600);
	f = arca_schema_field_find(s, "plan");
	assert_int_equal(f->enum_count, 3);
	assert_string_equal(f->enum_values[2], "pro");
	f = arca_schema_field_find(s, "monthly_charges");
	assert_int_equal(f->type, ARCA_FIELD_DECIMAL);
	assert_true(f->min_d == 0 && f->max_d == 999.99);
	f = arca_schema_field_find(s, "signup_at");
	assert_int_equal(f->type, ARCA_FIELD_TIMESTAMP);
	assert_true(!f->required && f->nullable && !f->pii);
	assert_null(arca_schema_field_find(s, "nope"));
	assert_int_equal(arca_schema_field_index(s, "churned"), 4);
	assert_null(arca_schema_field_at(s, 6));
	arca_schema_free(s);
	free(path);
}

static void test_schema__load_variants(void **state)
{
	arca_schema *s;

	(void)state;
	s = load_ok("schema: 1\nformat: files\n");
	assert_int_equal(s->format, ARCA_SCHEMA_FILES);
	assert_int_equal(s->field_count, 0);
	arca_schema_free(s);
	s = load_ok("schema: 1\nformat: csv\ncsv:\n  delimiter: \"\\t\"\n"
		"  header: false\nextra_fields: allow\nfields:\n"
		"  - {name: a, type: decimal, min: -1.5e3, max: 2}\n"
		"  - {name: b, type: string, nullable: true, required: false}\n");
	assert_int_equal(s->csv_delimiter, '\t');
	assert_false(s->csv_header);
	assert_true(s->extra_fields);
	assert_true(s->fields[0].min_d == -1500 && s->fields[0].max_d == 2);
	assert_true(s->fields[1].nullable && !s->fields[1].required);
	arca_schema_free(s);
}

struct bad_case {
	const char *yaml;
	const char *msg;
};

static const struct bad_case bad_cases[] = {
	{ "schema: 1\nformat: csv\nfieldz: []\n",
	  "s.yaml:3:1: unknown key \"fieldz\" in the schema (expected one of: "
	  "schema, format, csv, extra_fields, fields)" },
	{ "schema: 1\nformat: jsonl\nfields:\n  - name: a\n    type: string\n"
	  "    maxlen: 3\n",
	  "s.yaml:6:5: unknown key \"maxlen\" in a field (expected one of: "
	  "name, type, required, nullable, pii, min, max, enum, max_length)" },
	{ "schema: 1\nformat: jsonl\nfields:\n  - name: a\n    type: string\n"
	  "    required: yes\n",
	  "s.yaml:6:15: required must be a boolean (true or false)" },
	{ "schema: 1\nformat: jsonl\nfields:\n  - name: a\n    type: int\n",
	  "s.yaml:5:11: unknown field type \"int\" (expected string, integer, "
	  "decimal, boolean or timestamp)" },
	{ "schema: 1\nformat: jsonl\nfields:\n  - {name: a, type: string}\n"
	  "  - {name: a, type: integer}\n",
	  "s.yaml:5:12: duplicate field name \"a\"" },
	{ "schema: 1\nformat: jsonl\nfields:\n  - name: n\n    type: integer\n"
	  "    min: 10\n    max: 5\n",
	  "s.yaml:7:10: field \"n\": min 10 is greater than max 5" },
	{ "schema: 1\nformat: jsonl\nfields:\n  - name: d\n    type: decimal\n"
	  "    min: 0.5\n    max: 0.25\n",
	  "s.yaml:7:10: field \"d\": min 0.5 is greater than max 0.25" },
	{ "schema: 1\nformat: jsonl\nfields:\n  - name: n\n    type: integer\n"
	  "    enum: [a, b]\n",
	  "s.yaml:6:11: enum does not apply to integer field \"n\" (only "
	  "string)" },
	{ "schema: 1\nformat: jsonl\nfields:\n  - name: n\n    type: boolean\n"
	  "    max_length: 3\n",
	  "s.yaml:6:17: max_length does not apply to boolean field \"n\" (only "
	  "string)" },
	{ "schema: 1\nformat: jsonl\nfields:\n  - {name: s, type: string, "
	  "min: 1}\n",
	  "s.yaml:4:34: min does not apply to string field \"s\" (only integer "
	  "and decimal)" },
	{ "schema: 1\nformat: jsonl\nfields:\n  - {name: n, type: integer, "
	  "max: 0.5}\n",
	  "s.yaml:4:35: max of integer field \"n\" must be an integer" },
	{ "schema: 1\nformat: jsonl\nfields:\n  - {name: n, type: integer, "
	  "max: \"5\"}\n",
	  "s.yaml:4:35: max must be a number, not a quoted string" },
	{ "schema: 1\nformat: jsonl\nfields:\n  - {name: s, type: string, "
	  "enum: [a, b, a]}\n",
	  "s.yaml:4:42: duplicate enum value \"a\" in field \"s\"" },
	{ "schema: 1\nformat: jsonl\nfields:\n  - {name: s, type: string, "
	  "max_length: 2, enum: [ab, abc]}\n",
	  "s.yaml:4:50: field \"s\": enum value \"abc\" is longer than "
	  "max_length 2" },
	{ "schema: 1\nformat: jsonl\nfields:\n  - {name: s, type: string, "
	  "max_length: 0}\n",
	  "s.yaml:4:41: max_length must be at least 1" },
	{ "schema: 2\nformat: csv\n",
	  "s.yaml:1:9: unsupported schema version 2 (this arca reads version "
	  "1)" },
	{ "format: csv\nfields: []\n",
	  "s.yaml:1:1: missing key \"schema\" (the schema format version, 1)" },
	{ "schema: 1\nformat: parquet\n",
	  "s.yaml:2:9: unknown format \"parquet\" (expected csv, jsonl or "
	  "files)" },
	{ "schema: 1\nformat: csv\n",
	  "s.yaml:1:1: missing key \"fields\" (format csv declares its "
	  "fields)" },
	{ "schema: 1\nformat: files\nfields:\n  - {name: a, type: string}\n",
	  "s.yaml:4:3: fields do not apply to format: files" },
	{ "schema: 1\nformat: jsonl\ncsv: {header: false}\n",
	  "s.yaml:3:6: csv options need format: csv" },
	{ "schema: 1\nformat: csv\ncsv: {delimiter: \"ab\"}\n",
	  "s.yaml:3:18: csv delimiter must be one ASCII character other than "
	  "a quote or newline" },
	{ "schema: 1\nformat: csv\nfields: []\n",
	  "s.yaml:3:9: fields is empty" },
	{ "schema: 1\nformat: csv\nfields:\n  - just-a-name\n",
	  "s.yaml:4:5: a field must be a mapping, not a scalar" },
	{ "schema: 1\nformat: csv\nfields:\n  - {type: string}\n",
	  "s.yaml:4:5: field has no name" },
	{ "schema: 1\nformat: csv\nfields:\n  - {name: x}\n",
	  "s.yaml:4:5: field \"x\" has no type" },
	{ "schema: 1\nformat: csv\nfields:\n  - {name: x, type: string}\n"
	  "extra_fields: maybe\n",
	  "s.yaml:5:15: extra_fields must be allow or reject, not \"maybe\"" },
	{ "- a\n- b\n",
	  "s.yaml:1:1: the document must be a mapping, not a list" },
	{ "",
	  "s.yaml:1:1: empty document, expected a mapping" },
	{ "# nothing but a comment\n",
	  "s.yaml:1:1: empty document, expected a mapping" },
	/* YAML errors come from libfyaml, with its positions */
	{ "schema: 1\nschema: 2\n",
	  "s.yaml:2:1: duplicate key" },
	{ "schema: 1\nformat: [csv\n",
	  "s.yaml:3:1: flow sequence without a closing bracket" },
};

/* Runs every bad case with stderr captured: nothing may be printed. */
static void test_schema__errors(void **state)
{
	char tmpl[] = "/tmp/arca-schema-stderr-XXXXXX";
	int fd = mkstemp(tmpl), saved = dup(2);

	(void)state;
	assert_true(fd >= 0 && saved >= 0);
	fflush(stderr);
	dup2(fd, 2);
	for (size_t i = 0; i < sizeof(bad_cases) / sizeof(bad_cases[0]); i++) {
		arca_error err = ARCA_ERROR_INIT;
		arca_schema *s = NULL;
		const char *y = bad_cases[i].yaml;
		int rc = arca_schema_load_yaml(&s, y, strlen(y), "s.yaml", &err);
		if (rc != ARCA_EINVALID || strcmp(err.msg, bad_cases[i].msg)) {
			dup2(saved, 2);
			fail_msg("case %zu: rc %d, message\n  got:  %s\n  want: "
				"%s", i, rc, err.msg, bad_cases[i].msg);
		}
		assert_null(s);
	}
	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	assert_int_equal(lseek(fd, 0, SEEK_END), 0);
	close(fd);
	unlink(tmpl);
}

static void test_schema__file_errors(void **state)
{
	arca_error err = ARCA_ERROR_INIT;
	arca_schema *s = NULL;
	char *path = data_path("bad.schema.yaml"), want[512];

	(void)state;
	assert_int_equal(arca_schema_load_file(&s, "/nonexistent/x.yaml", &err),
		ARCA_ENOTFOUND);
	assert_int_equal(arca_schema_load_file(&s, path, &err), ARCA_EINVALID);
	snprintf(want, sizeof(want), "%s:9:11: unknown field type \"float\" "
		"(expected string, integer, decimal, boolean or timestamp)",
		path);
	assert_string_equal(err.msg, want);
	assert_null(s);
	free(path);
}

static const char *example_json =
	"{\"csv\":{\"delimiter\":\",\",\"header\":true},\"extra_fields\":"
	"\"reject\",\"fields\":[{\"max_length\":32,\"name\":\"customer_id\","
	"\"nullable\":false,\"pii\":true,\"required\":true,\"type\":\"string\"},"
	"{\"max\":600,\"min\":0,\"name\":\"tenure_months\",\"nullable\":false,"
	"\"pii\":false,\"required\":true,\"type\":\"integer\"},{\"enum\":[\"basic\","
	"\"plus\",\"pro\"],\"name\":\"plan\",\"nullable\":false,\"pii\":false,"
	"\"required\":true,\"type\":\"string\"},{\"max\":\"999.99\",\"min\":\"0\","
	"\"name\":\"monthly_charges\",\"nullable\":false,\"pii\":false,"
	"\"required\":true,\"type\":\"decimal\"},{\"name\":\"churned\","
	"\"nullable\":false,\"pii\":false,\"required\":true,\"type\":\"boolean\"},"
	"{\"name\":\"signup_at\",\"nullable\":true,\"pii\":false,\"required\":"
	"false,\"type\":\"timestamp\"}],\"format\":\"csv\",\"schema\":1}";

static void test_schema__json_round_trip(void **state)
{
	arca_error err = ARCA_ERROR_INIT;
	arca_schema *s = NULL, *back = NULL;
	char *path = data_path("churn.schema.yaml"), *a, *b;
	json_t *j, *j2;

	(void)state;
	assert_int_equal(arca_schema_load_file(&s, path, &err), 0);
	j = arca_schema_to_json(s);
	a = canon(j);
	assert_string_equal(a, example_json);
	assert_int_equal(arca_schema_from_json(&back, j, &err), 0);
	j2 = arca_schema_to_json(back);
	b = canon(j2);
	assert_string_equal(a, b);
	assert_true(back->fields[3].max_d == 999.99);
	json_decref(j);
	j = arca_schema_diff(s, back);
	assert_int_equal(json_array_size(j), 0);
	json_decref(j);
	json_decref(j2);
	free(a);
	free(b);
	arca_schema_free(s);
	arca_schema_free(back);
	free(path);
}

static void json_bad(const char *text, const char *want)
{
	arca_error err = ARCA_ERROR_INIT;
	arca_schema *s = NULL;
	json_t *j = json_loads(text, 0, NULL);

	assert_non_null(j);
	assert_int_equal(arca_schema_from_json(&s, j, &err), ARCA_EINVALID);
	assert_string_equal(err.msg, want);
	assert_null(s);
	json_decref(j);
}

static void test_schema__json_errors(void **state)
{
	(void)state;
	json_bad("{\"schema\":1,\"format\":\"csv\",\"x\":1}",
		"schema JSON: x: unknown member");
	json_bad("{\"schema\":1,\"format\":\"jsonl\",\"fields\":[{\"name\":"
		"\"a\",\"type\":\"integer\",\"required\":true,\"nullable\":false,"
		"\"pii\":false,\"min\":5,\"max\":1}]}",
		"schema JSON: fields[0].max: less than min");
	json_bad("{\"schema\":1,\"format\":\"jsonl\",\"fields\":[{\"name\":"
		"\"a\",\"type\":\"real\"}]}",
		"schema JSON: fields[0].type: expected a field type");
	json_bad("{\"schema\":1,\"format\":\"jsonl\",\"fields\":[{\"name\":"
		"\"a\",\"type\":\"decimal\",\"required\":true,\"nullable\":false,"
		"\"pii\":false,\"min\":1}]}",
		"schema JSON: fields[0].min: expected a decimal string");
	json_bad("{\"schema\":3,\"format\":\"csv\"}",
		"schema JSON: schema: unsupported schema version");
}

static void test_schema__diff(void **state)
{
	arca_schema *a = load_ok("schema: 1\nformat: csv\nfields:\n"
		"  - {name: id, type: string, pii: true}\n"
		"  - {name: n, type: integer, min: 0, max: 600}\n"
		"  - {name: plan, type: string, enum: [a, b]}\n"
		"  - {name: gone, type: boolean}\n"
		"  - {name: t, type: integer, max: 5}\n");
	arca_schema *b = load_ok("schema: 1\nformat: csv\ncsv: {delimiter: "
		"\";\"}\nfields:\n"
		"  - {name: id, type: string}\n"
		"  - {name: n, type: integer, min: 0, max: 700, nullable: true}\n"
		"  - {name: plan, type: string, enum: [a, b, c]}\n"
		"  - {name: t, type: decimal}\n"
		"  - {name: new, type: timestamp}\n");
	arca_schema *c = load_ok("schema: 1\nformat: jsonl\nfields:\n"
		"  - {name: id, type: string}\n");
	json_t *d = arca_schema_diff(a, b);
	char *text = canon(d);

	(void)state;
	assert_string_equal(text,
		"[{\"kind\":\"option_changed\",\"new\":\";\",\"old\":\",\","
		"\"option\":\"csv.delimiter\"},"
		"{\"field\":\"id\",\"kind\":\"pii_changed\",\"new\":false,"
		"\"old\":true},"
		"{\"constraint\":\"nullable\",\"field\":\"n\",\"kind\":"
		"\"constraint_changed\",\"new\":true,\"old\":false},"
		"{\"constraint\":\"max\",\"field\":\"n\",\"kind\":"
		"\"constraint_changed\",\"new\":700,\"old\":600},"
		"{\"constraint\":\"enum\",\"field\":\"plan\",\"kind\":"
		"\"constraint_changed\",\"new\":[\"a\",\"b\",\"c\"],\"old\":"
		"[\"a\",\"b\"]},"
		"{\"field\":\"gone\",\"kind\":\"field_removed\",\"old\":{\"name\":"
		"\"gone\",\"nullable\":false,\"pii\":false,\"required\":true,"
		"\"type\":\"boolean\"}},"
		"{\"field\":\"t\",\"kind\":\"type_changed\",\"new\":\"decimal\","
		"\"old\":\"integer\"},"
		"{\"field\":\"new\",\"kind\":\"field_added\",\"new\":{\"name\":"
		"\"new\",\"nullable\":false,\"pii\":false,\"required\":true,"
		"\"type\":\"timestamp\"}}]");
	free(text);
	json_decref(d);
	d = arca_schema_diff(b, c);
	text = canon(d);
	/* a format change hides the options; fields still compare */
	assert_string_equal(text, "[{\"kind\":\"format_changed\",\"new\":"
		"\"jsonl\",\"old\":\"csv\"},{\"field\":\"n\",\"kind\":"
		"\"field_removed\",\"old\":{\"max\":700,\"min\":0,\"name\":"
		"\"n\",\"nullable\":true,\"pii\":false,\"required\":true,"
		"\"type\":\"integer\"}},{\"field\":\"plan\",\"kind\":"
		"\"field_removed\",\"old\":{\"enum\":[\"a\",\"b\",\"c\"],"
		"\"name\":\"plan\",\"nullable\":false,\"pii\":false,"
		"\"required\":true,\"type\":\"string\"}},{\"field\":\"t\","
		"\"kind\":\"field_removed\",\"old\":{\"name\":\"t\","
		"\"nullable\":false,\"pii\":false,\"required\":true,\"type\":"
		"\"decimal\"}},{\"field\":\"new\",\"kind\":\"field_removed\","
		"\"old\":{\"name\":\"new\",\"nullable\":false,\"pii\":false,"
		"\"required\":true,\"type\":\"timestamp\"}}]");
	free(text);
	json_decref(d);
	d = arca_schema_diff(a, a);
	assert_int_equal(json_array_size(d), 0);
	json_decref(d);
	arca_schema_free(c);
	/* without a header, column order is meaning */
	c = load_ok("schema: 1\nformat: csv\ncsv: {header: false}\nfields:\n"
		"  - {name: x, type: string}\n  - {name: y, type: string}\n");
	arca_schema_free(b);
	b = load_ok("schema: 1\nformat: csv\ncsv: {header: false}\nfields:\n"
		"  - {name: y, type: string}\n  - {name: x, type: string}\n");
	d = arca_schema_diff(c, b);
	text = canon(d);
	assert_string_equal(text, "[{\"kind\":\"option_changed\",\"new\":"
		"[\"y\",\"x\"],\"old\":[\"x\",\"y\"],\"option\":"
		"\"field_order\"}]");
	free(text);
	json_decref(d);
	arca_schema_free(a);
	arca_schema_free(b);
	arca_schema_free(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_schema__load_example),
		cmocka_unit_test(test_schema__load_variants),
		cmocka_unit_test(test_schema__errors),
		cmocka_unit_test(test_schema__file_errors),
		cmocka_unit_test(test_schema__json_round_trip),
		cmocka_unit_test(test_schema__json_errors),
		cmocka_unit_test(test_schema__diff),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
