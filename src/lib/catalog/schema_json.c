/*
 * Schemas as canonical JSON (what a dataset version's record stores) and
 * the diff between two schemas. Decimal bounds are strings because
 * canonical JSON has integers only.
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "catalog/schema.h"

static json_t *field_json(const arca_schema_field *f)
{
	json_t *o = json_object(), *a;
	char buf[32];

	if (!o)
		return NULL;
	json_object_set_new(o, "name", json_string(f->name));
	json_object_set_new(o, "type",
		json_string(arca_schema_type_name(f->type)));
	json_object_set_new(o, "required", json_boolean(f->required));
	json_object_set_new(o, "nullable", json_boolean(f->nullable));
	json_object_set_new(o, "pii", json_boolean(f->pii));
	for (int k = 0; k < 2; k++) {
		unsigned bit = k ? ARCA_FIELD_HAS_MAX : ARCA_FIELD_HAS_MIN;
		if (!(f->has & bit))
			continue;
		if (f->type == ARCA_FIELD_INTEGER) {
			json_object_set_new(o, k ? "max" : "min",
				json_integer(k ? f->max_i : f->min_i));
		} else {
			arca_schema__dec_format(buf, k ? f->max_d : f->min_d, 0);
			json_object_set_new(o, k ? "max" : "min",
				json_string(buf));
		}
	}
	if (f->has & ARCA_FIELD_HAS_MAX_LENGTH)
		json_object_set_new(o, "max_length",
			json_integer((json_int_t)f->max_length));
	if (f->has & ARCA_FIELD_HAS_ENUM) {
		if (!(a = json_array())) {
			json_decref(o);
			return NULL;
		}
		for (size_t i = 0; i < f->enum_count; i++)
			json_array_append_new(a, json_string(f->enum_values[i]));
		json_object_set_new(o, "enum", a);
	}
	return o;
}

json_t *arca_schema_to_json(const arca_schema *s)
{
	json_t *o = json_object(), *a = NULL, *c, *fj;
	char delim[2] = { s->csv_delimiter, 0 };

	if (!o)
		return NULL;
	json_object_set_new(o, "schema", json_integer(ARCA_SCHEMA_VERSION));
	json_object_set_new(o, "format",
		json_string(arca_schema_format_name(s->format)));
	if (s->format == ARCA_SCHEMA_FILES)
		return o;
	if (s->format == ARCA_SCHEMA_CSV) {
		if (!(c = json_object()))
			goto oom;
		json_object_set_new(c, "delimiter", json_string(delim));
		json_object_set_new(c, "header", json_boolean(s->csv_header));
		json_object_set_new(o, "csv", c);
	}
	json_object_set_new(o, "extra_fields",
		json_string(s->extra_fields ? "allow" : "reject"));
	if (!(a = json_array()))
		goto oom;
	for (size_t i = 0; i < s->field_count; i++) {
		if (!(fj = field_json(&s->fields[i])) ||
			json_array_append_new(a, fj) < 0)
			goto oom;
	}
	json_object_set_new(o, "fields", a);
	return o;
oom:
	json_decref(a);
	json_decref(o);
	return NULL;
}

/* ---- from JSON ---- */

typedef struct jctx {
	arca_error *err;
	char where[64]; /* "fields[3]" */
} jctx;

static int jfail(jctx *c, const char *key, const char *msg)
{
	return arca_error_set(c->err, ARCA_EINVALID, "schema JSON: %s%s%s: %s",
		c->where, *c->where ? "." : "", key, msg);
}

static int only_keys(jctx *c, json_t *o, const char *const *keys)
{
	const char *k;
	json_t *v;

	json_object_foreach(o, k, v) {
		size_t i;
		for (i = 0; keys[i] && strcmp(keys[i], k); i++)
			;
		if (!keys[i])
			return jfail(c, k, "unknown member");
	}
	return 0;
}

static int jbool(jctx *c, json_t *o, const char *key, bool *out, bool req)
{
	json_t *v = json_object_get(o, key);

	if (!v)
		return req ? jfail(c, key, "missing") : 0;
	if (!json_is_boolean(v))
		return jfail(c, key, "expected a boolean");
	*out = json_is_true(v);
	return 0;
}

static int jbound(jctx *c, arca_schema_field *f, json_t *o, int is_max)
{
	const char *key = is_max ? "max" : "min";
	json_t *v = json_object_get(o, key);
	char *end;
	double d;

	if (!v)
		return 0;
	if (f->type == ARCA_FIELD_INTEGER) {
		if (!json_is_integer(v))
			return jfail(c, key, "expected an integer");
		*(is_max ? &f->max_i : &f->min_i) = json_integer_value(v);
		d = (double)json_integer_value(v);
	} else if (f->type == ARCA_FIELD_DECIMAL) {
		if (!json_is_string(v))
			return jfail(c, key, "expected a decimal string");
		errno = 0;
		d = strtod(json_string_value(v), &end);
		if (*end || end == json_string_value(v) || !isfinite(d))
			return jfail(c, key, "not a finite decimal");
	} else {
		return jfail(c, key, "only integer and decimal fields have "
			"bounds");
	}
	*(is_max ? &f->max_d : &f->min_d) = d;
	f->has |= is_max ? ARCA_FIELD_HAS_MAX : ARCA_FIELD_HAS_MIN;
	return 0;
}

static int jenum(jctx *c, arca_schema_field *f, json_t *o)
{
	json_t *a = json_object_get(o, "enum"), *v;
	size_t i;

	if (!a)
		return 0;
	if (f->type != ARCA_FIELD_STRING)
		return jfail(c, "enum", "only string fields have an enum");
	if (!json_is_array(a) || !json_array_size(a))
		return jfail(c, "enum", "expected a non-empty array");
	if (!(f->enum_values = calloc(json_array_size(a), sizeof(char *))))
		return arca_error_set(c->err, ARCA_ERROR, "out of memory");
	json_array_foreach(a, i, v) {
		if (!json_is_string(v))
			return jfail(c, "enum", "expected strings");
		for (size_t k = 0; k < f->enum_count; k++)
			if (!strcmp(f->enum_values[k], json_string_value(v)))
				return jfail(c, "enum", "duplicate value");
		if (!(f->enum_values[f->enum_count] =
			strdup(json_string_value(v))))
			return arca_error_set(c->err, ARCA_ERROR,
				"out of memory");
		f->enum_count++;
	}
	f->has |= ARCA_FIELD_HAS_ENUM;
	return 0;
}

static const char *const jfield_keys[] = { "name", "type", "required",
	"nullable", "pii", "min", "max", "max_length", "enum", NULL };

static int jfield(jctx *c, arca_schema *s, json_t *o)
{
	arca_schema_field *f = &s->fields[s->field_count];
	json_t *v;
	int rc;

	if (!json_is_object(o))
		return jfail(c, "", "expected an object");
	if ((rc = only_keys(c, o, jfield_keys)) < 0)
		return rc;
	v = json_object_get(o, "name");
	if (!json_is_string(v) || !*json_string_value(v))
		return jfail(c, "name", "expected a non-empty string");
	if (arca_schema_field_find(s, json_string_value(v)))
		return jfail(c, "name", "duplicate field name");
	if (!(f->name = strdup(json_string_value(v))))
		return arca_error_set(c->err, ARCA_ERROR, "out of memory");
	s->field_count++;
	v = json_object_get(o, "type");
	if (!json_is_string(v) ||
		arca_schema_type_parse(&f->type, json_string_value(v)) < 0)
		return jfail(c, "type", "expected a field type");
	if ((rc = jbool(c, o, "required", &f->required, true)) < 0 ||
		(rc = jbool(c, o, "nullable", &f->nullable, true)) < 0 ||
		(rc = jbool(c, o, "pii", &f->pii, true)) < 0 ||
		(rc = jbound(c, f, o, 0)) < 0 || (rc = jbound(c, f, o, 1)) < 0 ||
		(rc = jenum(c, f, o)) < 0)
		return rc;
	if ((f->has & ARCA_FIELD_HAS_MIN) && (f->has & ARCA_FIELD_HAS_MAX) &&
		(f->type == ARCA_FIELD_INTEGER ? f->min_i > f->max_i :
		f->min_d > f->max_d))
		return jfail(c, "max", "less than min");
	if ((v = json_object_get(o, "max_length"))) {
		if (f->type != ARCA_FIELD_STRING || !json_is_integer(v) ||
			json_integer_value(v) < 1)
			return jfail(c, "max_length", "expected a positive "
				"integer on a string field");
		f->max_length = (uint64_t)json_integer_value(v);
		f->has |= ARCA_FIELD_HAS_MAX_LENGTH;
	}
	return 0;
}

static int jcsv(jctx *c, arca_schema *s, json_t *o)
{
	static const char *const keys[] = { "delimiter", "header", NULL };
	json_t *v;
	int rc;

	if (!json_is_object(o))
		return jfail(c, "csv", "expected an object");
	snprintf(c->where, sizeof(c->where), "csv");
	if ((rc = only_keys(c, o, keys)) < 0)
		return rc;
	v = json_object_get(o, "delimiter");
	if (!json_is_string(v) || strlen(json_string_value(v)) != 1 ||
		(unsigned char)json_string_value(v)[0] >= 0x80 ||
		strchr("\"\r\n", json_string_value(v)[0]))
		return jfail(c, "delimiter", "expected one ASCII character "
			"other than a quote or newline");
	s->csv_delimiter = json_string_value(v)[0];
	if ((rc = jbool(c, o, "header", &s->csv_header, true)) < 0)
		return rc;
	c->where[0] = '\0';
	return 0;
}

static const char *const jtop_keys[] = { "schema", "format", "csv",
	"extra_fields", "fields", NULL };

static int jtop(jctx *c, arca_schema *s, json_t *doc)
{
	json_t *v, *a;
	size_t i;
	int rc;

	if (!json_is_object(doc))
		return jfail(c, "schema", "expected an object");
	if ((rc = only_keys(c, doc, jtop_keys)) < 0)
		return rc;
	v = json_object_get(doc, "schema");
	if (!json_is_integer(v) || json_integer_value(v) != ARCA_SCHEMA_VERSION)
		return jfail(c, "schema", "unsupported schema version");
	v = json_object_get(doc, "format");
	if (!json_is_string(v) ||
		arca_schema_format_parse(&s->format, json_string_value(v)) < 0)
		return jfail(c, "format", "expected csv, jsonl or files");
	if ((v = json_object_get(doc, "csv")) && (s->format !=
		ARCA_SCHEMA_CSV || (rc = jcsv(c, s, v)) < 0))
		return s->format != ARCA_SCHEMA_CSV ? jfail(c, "csv",
			"only for format csv") : rc;
	if ((v = json_object_get(doc, "extra_fields"))) {
		if (!json_is_string(v) || (strcmp(json_string_value(v),
			"allow") && strcmp(json_string_value(v), "reject")))
			return jfail(c, "extra_fields", "expected allow or "
				"reject");
		s->extra_fields = !strcmp(json_string_value(v), "allow");
	}
	a = json_object_get(doc, "fields");
	if (s->format == ARCA_SCHEMA_FILES)
		return a ? jfail(c, "fields", "not for format files") : 0;
	if (!json_is_array(a) || !json_array_size(a))
		return jfail(c, "fields", "expected a non-empty array");
	if (!(s->fields = calloc(json_array_size(a), sizeof(*s->fields))))
		return arca_error_set(c->err, ARCA_ERROR, "out of memory");
	json_array_foreach(a, i, v) {
		snprintf(c->where, sizeof(c->where), "fields[%zu]", i);
		if ((rc = jfield(c, s, v)) < 0)
			return rc;
	}
	return 0;
}

int arca_schema_from_json(arca_schema **out, json_t *doc, arca_error *err)
{
	arca_schema *s = calloc(1, sizeof(*s));
	jctx c = { err, "" };
	int rc;

	if (!s)
		return arca_error_set(err, ARCA_ERROR, "out of memory");
	s->csv_delimiter = ',';
	s->csv_header = true;
	if ((rc = jtop(&c, s, doc)) < 0) {
		arca_schema_free(s);
		return rc;
	}
	*out = s;
	return 0;
}

/* ---- diff ---- */

/* json_equal, but two absent members are equal too. */
static bool same(json_t *a, json_t *b)
{
	return a == b || json_equal(a, b);
}

/* Appends {"kind": kind, "field"?: field, key?: ..., old?, new?}; the
 * old/new references are stolen (either may be NULL: not set). */
static int add_change(json_t *out, const char *kind, const char *field,
	const char *key, const char *keyval, json_t *old_v, json_t *new_v)
{
	json_t *o = json_object();

	if (!o) {
		json_decref(old_v);
		json_decref(new_v);
		return -1;
	}
	json_object_set_new(o, "kind", json_string(kind));
	if (field)
		json_object_set_new(o, "field", json_string(field));
	if (key)
		json_object_set_new(o, key, json_string(keyval));
	if (old_v)
		json_object_set_new(o, "old", old_v);
	if (new_v)
		json_object_set_new(o, "new", new_v);
	return json_array_append_new(out, o);
}

static json_t *copy_member(json_t *o, const char *key)
{
	json_t *v = json_object_get(o, key);

	return v ? json_deep_copy(v) : NULL;
}

static int diff_options(json_t *out, json_t *a, json_t *b)
{
	static const char *const opts[] = { "csv", "extra_fields" };
	int rc = 0;

	if (!same(json_object_get(a, "format"),
		json_object_get(b, "format")))
		return add_change(out, "format_changed", NULL, NULL, NULL,
			copy_member(a, "format"), copy_member(b, "format"));
	for (int i = 0; i < 2 && rc == 0; i++) {
		json_t *x = json_object_get(a, opts[i]);
		json_t *y = json_object_get(b, opts[i]);
		const char *k;
		json_t *v;

		if (same(x, y) || !x || !y)
			continue;
		if (!json_is_object(x)) {
			rc = add_change(out, "option_changed", NULL, "option",
				opts[i], json_deep_copy(x), json_deep_copy(y));
			continue;
		}
		json_object_foreach(x, k, v) {
			char name[32];
			if (same(v, json_object_get(y, k)))
				continue;
			snprintf(name, sizeof(name), "%s.%s", opts[i], k);
			if ((rc = add_change(out, "option_changed", NULL,
				"option", name, json_deep_copy(v),
				copy_member(y, k))) < 0)
				break;
		}
	}
	return rc;
}

static int diff_field(json_t *out, json_t *x, json_t *y, const char *name)
{
	static const char *const cons[] = { "required", "nullable", "min",
		"max", "max_length", "enum" };
	bool retyped = !same(json_object_get(x, "type"),
		json_object_get(y, "type"));

	if (retyped && add_change(out, "type_changed", name, NULL, NULL,
		copy_member(x, "type"), copy_member(y, "type")) < 0)
		return -1;
	for (int i = 0; i < 6; i++) {
		/* bounds, lengths and enums belong to the old type */
		if (retyped && i >= 2)
			break;
		if (same(json_object_get(x, cons[i]),
			json_object_get(y, cons[i])))
			continue;
		if (add_change(out, "constraint_changed", name, "constraint",
			cons[i], copy_member(x, cons[i]),
			copy_member(y, cons[i])) < 0)
			return -1;
	}
	if (!same(json_object_get(x, "pii"), json_object_get(y, "pii")))
		return add_change(out, "pii_changed", name, NULL, NULL,
			copy_member(x, "pii"), copy_member(y, "pii"));
	return 0;
}

/* Field object named name in array a, or NULL. */
static json_t *find_field(json_t *a, const char *name)
{
	json_t *v;
	size_t i;

	json_array_foreach(a, i, v)
		if (!strcmp(json_string_value(json_object_get(v, "name")),
			name))
			return v;
	return NULL;
}

static int diff_fields(json_t *out, json_t *fa, json_t *fb)
{
	json_t *x, *y;
	size_t i;

	json_array_foreach(fa, i, x) {
		const char *name = json_string_value(json_object_get(x, "name"));
		if (!(y = find_field(fb, name))) {
			if (add_change(out, "field_removed", name, NULL, NULL,
				json_deep_copy(x), NULL) < 0)
				return -1;
		} else if (diff_field(out, x, y, name) < 0) {
			return -1;
		}
	}
	json_array_foreach(fb, i, y) {
		const char *name = json_string_value(json_object_get(y, "name"));
		if (!find_field(fa, name) && add_change(out, "field_added",
			name, NULL, NULL, NULL, json_deep_copy(y)) < 0)
			return -1;
	}
	return 0;
}

/* Names of the fields in order. */
static json_t *names(const arca_schema *s)
{
	json_t *a = json_array();

	for (size_t i = 0; a && i < s->field_count; i++)
		json_array_append_new(a, json_string(s->fields[i].name));
	return a;
}

/* Without a header, CSV columns are the fields in order: a different
 * order of the same names is a change. */
static int diff_order(json_t *out, const arca_schema *a, const arca_schema *b)
{
	size_t i;

	if (a->format != ARCA_SCHEMA_CSV || b->format != ARCA_SCHEMA_CSV ||
		a->csv_header || b->csv_header)
		return 0;
	for (i = 0; i < a->field_count && i < b->field_count; i++)
		if (strcmp(a->fields[i].name, b->fields[i].name))
			break;
	if (i == a->field_count || i == b->field_count)
		return 0; /* one is a prefix of the other: added or removed */
	return add_change(out, "option_changed", NULL, "option", "field_order",
		names(a), names(b));
}

json_t *arca_schema_diff(const arca_schema *old_s, const arca_schema *new_s)
{
	json_t *a = arca_schema_to_json(old_s), *b = arca_schema_to_json(new_s);
	json_t *out = json_array(), *empty = json_array();
	json_t *fa, *fb;
	int rc = -1;

	if (!a || !b || !out || !empty)
		goto done;
	fa = json_object_get(a, "fields");
	fb = json_object_get(b, "fields");
	if (diff_options(out, a, b) == 0 && diff_order(out, old_s, new_s) == 0 &&
		diff_fields(out, fa ? fa : empty, fb ? fb : empty) == 0)
		rc = 0;
done:
	json_decref(a);
	json_decref(b);
	json_decref(empty);
	if (rc < 0) {
		json_decref(out);
		return NULL;
	}
	return out;
}
