/*
 * Statistics as canonical JSON (formats/dataset-stats.md). Fractional
 * figures are strings: canonical JSON has integers only, and rounding
 * computed ones to 12 significant digits keeps the bytes stable.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "catalog/stats_int.h"

/* Days since 1970-01-01 to a proleptic Gregorian date (era arithmetic). */
static void civil(int64_t days, int64_t *y, int *m, int *d)
{
	int64_t z = days + 719468;
	int64_t era = (z >= 0 ? z : z - 146096) / 146097;
	int64_t doe = z - era * 146097;
	int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	int64_t mp = (5 * doy + 2) / 153;

	*d = (int)(doy - (153 * mp + 2) / 5 + 1);
	*m = (int)(mp < 10 ? mp + 3 : mp - 9);
	*y = yoe + era * 400 + (*m <= 2);
}

void arca_stats__time_format(char out[40], int64_t us)
{
	int64_t secs = us / 1000000, frac = us % 1000000, days, y;
	int m, d, n;

	if (frac < 0) {
		frac += 1000000;
		secs--;
	}
	days = secs / 86400;
	secs %= 86400;
	if (secs < 0) {
		secs += 86400;
		days--;
	}
	civil(days, &y, &m, &d);
	n = snprintf(out, 40, "%04lld-%02d-%02dT%02d:%02d:%02d", (long long)y,
		m, d, (int)(secs / 3600), (int)(secs / 60 % 60),
		(int)(secs % 60));
	if (frac) {
		n += snprintf(out + n, (size_t)(40 - n), ".%06d", (int)frac);
		while (out[n - 1] == '0')
			out[--n] = '\0';
	}
	snprintf(out + n, (size_t)(40 - n), "Z");
}

static json_t *dec_string(double v, int digits)
{
	char buf[32];

	arca_schema__dec_format(buf, v, digits);
	return json_string(buf);
}

static int cat_cmp(const void *a, const void *b)
{
	const stats_cat *x = *(stats_cat *const *)a, *y = *(stats_cat *const *)b;
	uint32_t n = x->len < y->len ? x->len : y->len;
	int c;

	if (x->count != y->count)
		return x->count > y->count ? -1 : 1;
	if ((c = memcmp(x->value, y->value, n)))
		return c;
	return x->len < y->len ? -1 : x->len > y->len;
}

/* Categories, most frequent first, ties by value bytes. */
static json_t *cats_json(const stats_field *f)
{
	const stats_cat *order[ARCA_STATS_MAX_CATEGORIES];
	json_t *a = json_array(), *o;

	if (!a)
		return NULL;
	for (uint32_t i = 0; i < f->ncats; i++)
		order[i] = &f->cats[i];
	if (f->ncats)
		qsort(order, f->ncats, sizeof(order[0]), cat_cmp);
	for (uint32_t i = 0; i < f->ncats; i++) {
		if (!(o = json_object()) || json_array_append_new(a, o) < 0) {
			json_decref(a);
			return NULL;
		}
		json_object_set_new(o, "value", json_stringn(order[i]->value,
			order[i]->len));
		json_object_set_new(o, "count",
			json_integer((json_int_t)order[i]->count));
	}
	return a;
}

static void put_u(json_t *o, const char *k, uint64_t v)
{
	json_object_set_new(o, k, json_integer((json_int_t)v));
}

/* min and max (not for personal data: they are some record's value),
 * mean and sd. */
static void numeric_json(json_t *o, const stats_field *f)
{
	bool num = f->type == ARCA_FIELD_INTEGER ||
		f->type == ARCA_FIELD_DECIMAL;
	char a[40], b[40];

	if (f->pii) {
		/* only the aggregates below */
	} else if (f->type == ARCA_FIELD_INTEGER) {
		json_object_set_new(o, "min", json_integer(f->imin));
		json_object_set_new(o, "max", json_integer(f->imax));
	} else if (f->type == ARCA_FIELD_DECIMAL) {
		json_object_set_new(o, "min", dec_string(f->dmin, 0));
		json_object_set_new(o, "max", dec_string(f->dmax, 0));
	} else if (f->type == ARCA_FIELD_TIMESTAMP) {
		arca_stats__time_format(a, f->imin);
		arca_stats__time_format(b, f->imax);
		json_object_set_new(o, "min", json_string(a));
		json_object_set_new(o, "max", json_string(b));
	}
	if (num) {
		json_object_set_new(o, "mean", dec_string(f->mean, 12));
		json_object_set_new(o, "sd", dec_string(arca_stats__sd(f),
			12));
	}
}

static json_t *field_json(const stats_field *f)
{
	json_t *o = json_object(), *c;

	if (!o)
		return NULL;
	json_object_set_new(o, "type",
		json_string(arca_schema_type_name(f->type)));
	put_u(o, "count", f->count);
	put_u(o, "nulls", f->nulls);
	put_u(o, "invalid", f->invalid);
	if (f->type == ARCA_FIELD_BOOLEAN) {
		put_u(o, "true_count", f->ntrue);
		put_u(o, "false_count", f->nfalse);
		return o;
	}
	put_u(o, "distinct", arca_stats__distinct(f));
	if (f->count)
		numeric_json(o, f);
	if (f->type != ARCA_FIELD_STRING)
		return o;
	if (f->count) {
		put_u(o, "min_length", f->min_len);
		put_u(o, "max_length", f->max_len);
	}
	json_object_set_new(o, "high_cardinality", json_boolean(f->high_card));
	/* personal data never leaves as values */
	if (!f->high_card && !f->pii) {
		if (!(c = cats_json(f))) {
			json_decref(o);
			return NULL;
		}
		json_object_set_new(o, "categories", c);
	}
	return o;
}

json_t *arca_stats_to_json(const arca_stats *st)
{
	json_t *o, *fs, *fj;

	if (st->summary)
		return json_deep_copy(st->summary);
	if (!(o = json_object()) || !(fs = json_object())) {
		json_decref(o);
		return NULL;
	}
	json_object_set_new(o, "stats", json_integer(ARCA_STATS_VERSION));
	json_object_set_new(o, "format",
		json_string(arca_schema_format_name(st->format)));
	put_u(o, "rows", st->rows);
	put_u(o, "invalid_rows", st->invalid_rows);
	put_u(o, "files", st->files);
	put_u(o, "bytes", st->bytes);
	json_object_set_new(o, "fields", fs);
	for (size_t i = 0; i < st->nfields; i++) {
		if (!(fj = field_json(&st->f[i])) ||
			json_object_set_new(fs, st->f[i].name, fj) < 0) {
			json_decref(o);
			return NULL;
		}
	}
	return o;
}

/* ---- reading: validate the shape, keep the document ---- */

static int bad(arca_error *err, const char *field, const char *key,
	const char *what)
{
	if (field)
		return arca_error_set(err, ARCA_EINVALID, "stats JSON: "
			"fields.%s.%s: %s", field, key, what);
	return arca_error_set(err, ARCA_EINVALID, "stats JSON: %s: %s", key,
		what);
}

static int want_count(json_t *o, const char *k, const char *field, bool req,
	arca_error *err)
{
	json_t *v = json_object_get(o, k);

	if (!v && !req)
		return 0;
	if (!json_is_integer(v) || json_integer_value(v) < 0)
		return bad(err, field, k, "expected a count");
	return 0;
}

static int want_dec(json_t *o, const char *k, const char *field,
	arca_error *err)
{
	json_t *v = json_object_get(o, k);
	char *end;
	double d;

	if (!v)
		return 0;
	if (!json_is_string(v))
		return bad(err, field, k, "expected a decimal string");
	d = strtod(json_string_value(v), &end);
	if (*end || end == json_string_value(v) || !isfinite(d))
		return bad(err, field, k, "expected a decimal string");
	return 0;
}

static int check_cats(json_t *a, const char *field, arca_error *err)
{
	json_t *c;
	size_t i;

	if (!a)
		return 0;
	if (!json_is_array(a))
		return bad(err, field, "categories", "expected an array");
	json_array_foreach(a, i, c) {
		if (!json_is_string(json_object_get(c, "value")) ||
			want_count(c, "count", field, true, err) < 0)
			return bad(err, field, "categories",
				"expected {value, count} objects");
	}
	return 0;
}

static int check_field(const char *name, json_t *o, arca_error *err)
{
	static const char *const counts[] = { "count", "nulls", "invalid" };
	static const char *const opt[] = { "distinct", "min_length",
		"max_length", "true_count", "false_count" };
	arca_field_type t;
	json_t *v;
	int rc;

	if (!json_is_object(o))
		return bad(err, name, "type", "expected an object");
	v = json_object_get(o, "type");
	if (!json_is_string(v) || arca_schema_type_parse(&t,
		json_string_value(v)) < 0)
		return bad(err, name, "type", "expected a field type");
	for (int i = 0; i < 3; i++)
		if ((rc = want_count(o, counts[i], name, true, err)) < 0)
			return rc;
	for (int i = 0; i < 5; i++)
		if ((rc = want_count(o, opt[i], name, false, err)) < 0)
			return rc;
	if ((rc = want_dec(o, "mean", name, err)) < 0 ||
		(rc = want_dec(o, "sd", name, err)) < 0)
		return rc;
	for (int i = 0; i < 2; i++) {
		const char *k = i ? "max" : "min";
		if (!(v = json_object_get(o, k)))
			continue;
		if (t == ARCA_FIELD_INTEGER ? !json_is_integer(v) :
			!json_is_string(v))
			return bad(err, name, k, "wrong type");
		if (t == ARCA_FIELD_DECIMAL &&
			(rc = want_dec(o, k, name, err)) < 0)
			return rc;
	}
	if ((v = json_object_get(o, "high_cardinality")) &&
		!json_is_boolean(v))
		return bad(err, name, "high_cardinality", "expected a boolean");
	return check_cats(json_object_get(o, "categories"), name, err);
}

int arca_stats_from_json(arca_stats **out, json_t *doc, arca_error *err)
{
	static const char *const top[] = { "rows", "invalid_rows", "files",
		"bytes" };
	arca_schema_format fmt;
	arca_stats *st;
	const char *k;
	json_t *v, *fs;
	int rc;

	if (!json_is_object(doc))
		return bad(err, NULL, "stats", "expected an object");
	v = json_object_get(doc, "stats");
	if (!json_is_integer(v) || json_integer_value(v) != ARCA_STATS_VERSION)
		return bad(err, NULL, "stats", "unsupported version");
	v = json_object_get(doc, "format");
	if (!json_is_string(v) ||
		arca_schema_format_parse(&fmt, json_string_value(v)) < 0)
		return bad(err, NULL, "format", "expected csv, jsonl or files");
	for (int i = 0; i < 4; i++)
		if ((rc = want_count(doc, top[i], NULL, true, err)) < 0)
			return rc;
	if (!json_is_object(fs = json_object_get(doc, "fields")))
		return bad(err, NULL, "fields", "expected an object");
	json_object_foreach(fs, k, v)
		if ((rc = check_field(k, v, err)) < 0)
			return rc;
	if (!(st = calloc(1, sizeof(*st))))
		return arca_error_set(err, ARCA_ERROR, "out of memory");
	st->format = fmt;
	st->rows = (uint64_t)json_integer_value(json_object_get(doc, "rows"));
	st->invalid_rows = (uint64_t)json_integer_value(
		json_object_get(doc, "invalid_rows"));
	st->files = (uint64_t)json_integer_value(json_object_get(doc, "files"));
	st->bytes = (uint64_t)json_integer_value(json_object_get(doc, "bytes"));
	/* a copy: the caller may change doc afterwards */
	if (!(st->summary = json_deep_copy(doc))) {
		free(st);
		return arca_error_set(err, ARCA_ERROR, "out of memory");
	}
	*out = st;
	return 0;
}
