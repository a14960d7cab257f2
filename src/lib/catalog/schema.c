/* Dataset schemas: lifecycle, names, and the YAML loader. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "catalog/schema.h"
#include "catalog/schema_yaml.h"

static const char *const format_names[] = { "csv", "jsonl", "files" };
static const char *const type_names[] = { "string", "integer", "decimal",
	"boolean", "timestamp" };

const char *arca_schema_format_name(arca_schema_format f)
{
	return (unsigned)f < 3 ? format_names[f] : "?";
}

const char *arca_schema_type_name(arca_field_type t)
{
	return (unsigned)t < 5 ? type_names[t] : "?";
}

int arca_schema_format_parse(arca_schema_format *out, const char *name)
{
	for (int i = 0; i < 3; i++)
		if (!strcmp(name, format_names[i])) {
			*out = (arca_schema_format)i;
			return 0;
		}
	return -1;
}

int arca_schema_type_parse(arca_field_type *out, const char *name)
{
	for (int i = 0; i < 5; i++)
		if (!strcmp(name, type_names[i])) {
			*out = (arca_field_type)i;
			return 0;
		}
	return -1;
}

void arca_schema__dec_format(char out[32], double v, int digits)
{
	if (v == 0)
		v = 0; /* -0 prints as "0" */
	if (digits > 0) {
		snprintf(out, 32, "%.*g", digits, v);
		return;
	}
	/* the shortest of %.15g..%.17g that reads back exactly */
	for (int d = 15; d <= 17; d++) {
		snprintf(out, 32, "%.*g", d, v);
		if (strtod(out, NULL) == v)
			return;
	}
}

void arca_schema_free(arca_schema *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < s->field_count; i++) {
		arca_schema_field *f = &s->fields[i];
		for (size_t k = 0; k < f->enum_count; k++)
			free(f->enum_values[k]);
		free(f->enum_values);
		free(f->name);
	}
	free(s->fields);
	free(s);
}

const arca_schema_field *arca_schema_field_at(const arca_schema *s, size_t i)
{
	return i < s->field_count ? &s->fields[i] : NULL;
}

long arca_schema_field_index(const arca_schema *s, const char *name)
{
	for (size_t i = 0; i < s->field_count; i++)
		if (!strcmp(s->fields[i].name, name))
			return (long)i;
	return -1;
}

const arca_schema_field *arca_schema_field_find(const arca_schema *s,
	const char *name)
{
	long i = arca_schema_field_index(s, name);

	return i < 0 ? NULL : &s->fields[i];
}

/* ---- YAML ---- */

static const char *const top_keys[] = { "schema", "format", "csv",
	"extra_fields", "fields", NULL };
static const char *const csv_keys[] = { "delimiter", "header", NULL };
static const char *const field_keys[] = { "name", "type", "required",
	"nullable", "pii", "min", "max", "enum", "max_length", NULL };

static int load_csv(arca_yaml *y, arca_schema *s, struct fy_node *n)
{
	struct fy_node *v;
	const char *d;
	int rc;

	if (s->format != ARCA_SCHEMA_CSV)
		return arca_yaml__fail(y, n, "csv options need format: csv");
	if ((rc = arca_yaml__map(y, n, "csv")) < 0 ||
		(rc = arca_yaml__check_keys(y, n, csv_keys, "csv")) < 0)
		return rc;
	if ((v = arca_yaml__get(n, "delimiter"))) {
		if ((rc = arca_yaml__str(y, v, "csv delimiter", &d)) < 0)
			return rc;
		if (strlen(d) != 1 || (unsigned char)d[0] >= 0x80 ||
			strchr("\"\r\n", d[0]))
			return arca_yaml__fail(y, v, "csv delimiter must be one "
				"ASCII character other than a quote or newline");
		s->csv_delimiter = d[0];
	}
	if ((v = arca_yaml__get(n, "header")) &&
		(rc = arca_yaml__bool(y, v, "csv header", &s->csv_header)) < 0)
		return rc;
	return 0;
}

static int dup_str(char **out, const char *s, arca_error *err)
{
	if (!(*out = strdup(s)))
		return arca_error_set(err, ARCA_ERROR, "out of memory");
	return 0;
}

static int load_enum(arca_yaml *y, arca_schema_field *f, struct fy_node *n)
{
	struct fy_node *it;
	void *iter = NULL;
	const char *v;
	size_t cnt;
	int rc;

	if ((rc = arca_yaml__seq(y, n, "enum")) < 0)
		return rc;
	if (!(cnt = (size_t)fy_node_sequence_item_count(n)))
		return arca_yaml__fail(y, n, "enum of field \"%s\" is empty",
			f->name);
	if (!(f->enum_values = calloc(cnt, sizeof(char *))))
		return arca_error_set(y->err, ARCA_ERROR, "out of memory");
	while ((it = fy_node_sequence_iterate(n, &iter))) {
		if ((rc = arca_yaml__str(y, it, "an enum value", &v)) < 0)
			return rc;
		for (size_t k = 0; k < f->enum_count; k++)
			if (!strcmp(f->enum_values[k], v))
				return arca_yaml__fail(y, it, "duplicate enum "
					"value \"%s\" in field \"%s\"", v,
					f->name);
		if ((rc = dup_str(&f->enum_values[f->enum_count], v,
			y->err)) < 0)
			return rc;
		f->enum_count++;
	}
	f->has |= ARCA_FIELD_HAS_ENUM;
	return 0;
}

/* min or max: integers for integer fields, any number for decimals. */
static int load_bound(arca_yaml *y, arca_schema_field *f, struct fy_node *n,
	const char *key)
{
	bool is_max = !strcmp(key, "max"), is_int;
	double d;
	int64_t i = 0;
	int rc;

	if (f->type != ARCA_FIELD_INTEGER && f->type != ARCA_FIELD_DECIMAL)
		return arca_yaml__fail(y, n, "%s does not apply to %s field "
			"\"%s\" (only integer and decimal)", key,
			arca_schema_type_name(f->type), f->name);
	if ((rc = arca_yaml__num(y, n, key, &d, &is_int, &i)) < 0)
		return rc;
	if (f->type == ARCA_FIELD_INTEGER && !is_int)
		return arca_yaml__fail(y, n, "%s of integer field \"%s\" must "
			"be an integer", key, f->name);
	if (is_max) {
		f->max_i = i;
		f->max_d = d;
		f->has |= ARCA_FIELD_HAS_MAX;
	} else {
		f->min_i = i;
		f->min_d = d;
		f->has |= ARCA_FIELD_HAS_MIN;
	}
	return 0;
}

/* Checks that need the whole field; errors point at the culprit key. */
static int check_field(arca_yaml *y, arca_schema_field *f, struct fy_node *n)
{
	bool bad_range = f->type == ARCA_FIELD_INTEGER ? f->min_i > f->max_i :
		f->min_d > f->max_d;
	char a[32], b[32];

	if ((f->has & ARCA_FIELD_HAS_MIN) && (f->has & ARCA_FIELD_HAS_MAX) &&
		bad_range) {
		if (f->type == ARCA_FIELD_INTEGER) {
			snprintf(a, sizeof(a), "%lld", (long long)f->min_i);
			snprintf(b, sizeof(b), "%lld", (long long)f->max_i);
		} else {
			arca_schema__dec_format(a, f->min_d, 0);
			arca_schema__dec_format(b, f->max_d, 0);
		}
		return arca_yaml__fail(y, arca_yaml__get(n, "max"), "field "
			"\"%s\": min %s is greater than max %s", f->name, a, b);
	}
	if ((f->has & ARCA_FIELD_HAS_ENUM) && (f->has &
		ARCA_FIELD_HAS_MAX_LENGTH)) {
		for (size_t k = 0; k < f->enum_count; k++) {
			const unsigned char *p = (const unsigned char *)
				f->enum_values[k];
			uint64_t cp = 0;
			for (; *p; p++)
				cp += (*p & 0xC0) != 0x80;
			if (cp > f->max_length)
				return arca_yaml__fail(y, arca_yaml__get(n,
					"enum"), "field \"%s\": enum value "
					"\"%s\" is longer than max_length %llu",
					f->name, f->enum_values[k],
					(unsigned long long)f->max_length);
		}
	}
	return 0;
}

static int load_type(arca_yaml *y, arca_schema_field *f, struct fy_node *m)
{
	struct fy_node *n = arca_yaml__get(m, "type");
	const char *t;
	int rc;

	if (!n)
		return arca_yaml__fail(y, m, "field \"%s\" has no type",
			f->name);
	if ((rc = arca_yaml__str(y, n, "type", &t)) < 0)
		return rc;
	if (arca_schema_type_parse(&f->type, t) < 0)
		return arca_yaml__fail(y, n, "unknown field type \"%s\" "
			"(expected string, integer, decimal, boolean or "
			"timestamp)", t);
	return 0;
}

static int load_field_opts(arca_yaml *y, arca_schema_field *f,
	struct fy_node *m)
{
	struct fy_node *n;
	int64_t len;
	int rc;

	if ((n = arca_yaml__get(m, "required")) &&
		(rc = arca_yaml__bool(y, n, "required", &f->required)) < 0)
		return rc;
	if ((n = arca_yaml__get(m, "nullable")) &&
		(rc = arca_yaml__bool(y, n, "nullable", &f->nullable)) < 0)
		return rc;
	if ((n = arca_yaml__get(m, "pii")) &&
		(rc = arca_yaml__bool(y, n, "pii", &f->pii)) < 0)
		return rc;
	if ((n = arca_yaml__get(m, "min")) &&
		(rc = load_bound(y, f, n, "min")) < 0)
		return rc;
	if ((n = arca_yaml__get(m, "max")) &&
		(rc = load_bound(y, f, n, "max")) < 0)
		return rc;
	if ((n = arca_yaml__get(m, "max_length"))) {
		if (f->type != ARCA_FIELD_STRING)
			return arca_yaml__fail(y, n, "max_length does not apply "
				"to %s field \"%s\" (only string)",
				arca_schema_type_name(f->type), f->name);
		if ((rc = arca_yaml__int(y, n, "max_length", &len)) < 0)
			return rc;
		if (len < 1)
			return arca_yaml__fail(y, n, "max_length must be at "
				"least 1");
		f->max_length = (uint64_t)len;
		f->has |= ARCA_FIELD_HAS_MAX_LENGTH;
	}
	if ((n = arca_yaml__get(m, "enum"))) {
		if (f->type != ARCA_FIELD_STRING)
			return arca_yaml__fail(y, n, "enum does not apply to "
				"%s field \"%s\" (only string)",
				arca_schema_type_name(f->type), f->name);
		if ((rc = load_enum(y, f, n)) < 0)
			return rc;
	}
	return check_field(y, f, m);
}

static int load_field(arca_yaml *y, arca_schema *s, struct fy_node *m)
{
	arca_schema_field *f = &s->fields[s->field_count];
	struct fy_node *n;
	const char *name;
	int rc;

	if ((rc = arca_yaml__map(y, m, "a field")) < 0 ||
		(rc = arca_yaml__check_keys(y, m, field_keys, "a field")) < 0)
		return rc;
	if (!(n = arca_yaml__get(m, "name")))
		return arca_yaml__fail(y, m, "field has no name");
	if ((rc = arca_yaml__str(y, n, "name", &name)) < 0)
		return rc;
	if (!*name || strlen(name) > 256)
		return arca_yaml__fail(y, n, "a field name must have 1 to 256 "
			"bytes");
	for (size_t i = 0; i < s->field_count; i++)
		if (!strcmp(s->fields[i].name, name))
			return arca_yaml__fail(y, n, "duplicate field name "
				"\"%s\"", name);
	if ((rc = dup_str(&f->name, name, y->err)) < 0)
		return rc;
	s->field_count++; /* owned from here on */
	f->required = true;
	if ((rc = load_type(y, f, m)) < 0)
		return rc;
	return load_field_opts(y, f, m);
}

static int load_fields(arca_yaml *y, arca_schema *s, struct fy_node *n)
{
	struct fy_node *it;
	void *iter = NULL;
	size_t cnt;
	int rc;

	if (s->format == ARCA_SCHEMA_FILES)
		return arca_yaml__fail(y, n, "fields do not apply to format: "
			"files");
	if ((rc = arca_yaml__seq(y, n, "fields")) < 0)
		return rc;
	if (!(cnt = (size_t)fy_node_sequence_item_count(n)))
		return arca_yaml__fail(y, n, "fields is empty");
	if (!(s->fields = calloc(cnt, sizeof(*s->fields))))
		return arca_error_set(y->err, ARCA_ERROR, "out of memory");
	while ((it = fy_node_sequence_iterate(n, &iter)))
		if ((rc = load_field(y, s, it)) < 0)
			return rc;
	return 0;
}

static int load_top(arca_yaml *y, arca_schema *s)
{
	struct fy_node *r = y->root, *n;
	const char *v;
	int64_t ver;
	int rc;

	if ((rc = arca_yaml__check_keys(y, r, top_keys, "the schema")) < 0)
		return rc;
	if (!(n = arca_yaml__get(r, "schema")))
		return arca_yaml__fail(y, r, "missing key \"schema\" (the "
			"schema format version, 1)");
	if ((rc = arca_yaml__int(y, n, "schema", &ver)) < 0)
		return rc;
	if (ver != ARCA_SCHEMA_VERSION)
		return arca_yaml__fail(y, n, "unsupported schema version %lld "
			"(this arca reads version 1)", (long long)ver);
	if (!(n = arca_yaml__get(r, "format")))
		return arca_yaml__fail(y, r, "missing key \"format\" (csv, "
			"jsonl or files)");
	if ((rc = arca_yaml__str(y, n, "format", &v)) < 0)
		return rc;
	if (arca_schema_format_parse(&s->format, v) < 0)
		return arca_yaml__fail(y, n, "unknown format \"%s\" (expected "
			"csv, jsonl or files)", v);
	if ((n = arca_yaml__get(r, "csv")) && (rc = load_csv(y, s, n)) < 0)
		return rc;
	if ((n = arca_yaml__get(r, "extra_fields"))) {
		if ((rc = arca_yaml__str(y, n, "extra_fields", &v)) < 0)
			return rc;
		if (strcmp(v, "allow") && strcmp(v, "reject"))
			return arca_yaml__fail(y, n, "extra_fields must be "
				"allow or reject, not \"%s\"", v);
		if (s->format == ARCA_SCHEMA_FILES)
			return arca_yaml__fail(y, n, "extra_fields does not "
				"apply to format: files");
		s->extra_fields = !strcmp(v, "allow");
	}
	if ((n = arca_yaml__get(r, "fields")))
		return load_fields(y, s, n);
	if (s->format != ARCA_SCHEMA_FILES)
		return arca_yaml__fail(y, r, "missing key \"fields\" (format "
			"%s declares its fields)",
			arca_schema_format_name(s->format));
	return 0;
}

int arca_schema_load_yaml(arca_schema **out, const char *text, size_t len,
	const char *name, arca_error *err)
{
	arca_schema *s = calloc(1, sizeof(*s));
	arca_yaml y;
	int rc;

	if (!s)
		return arca_error_set(err, ARCA_ERROR, "out of memory");
	s->csv_delimiter = ',';
	s->csv_header = true;
	if ((rc = arca_yaml__open(&y, text, len, name, err)) == 0)
		rc = load_top(&y, s);
	arca_yaml__close(&y);
	if (rc < 0) {
		arca_schema_free(s);
		return rc;
	}
	*out = s;
	return 0;
}

int arca_schema_load_file(arca_schema **out, const char *path,
	arca_error *err)
{
	char *text;
	size_t len;
	int rc;

	if ((rc = arca_yaml__read_file(&text, &len, path, err)) < 0)
		return rc;
	rc = arca_schema_load_yaml(out, text, len, path, err);
	free(text);
	return rc;
}
