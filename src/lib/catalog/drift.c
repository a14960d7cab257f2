/*
 * Drift reports: schema changes from arca_schema_diff and measures
 * computed from two statistics documents, judged by a policy. Reads the
 * statistics defensively: a member that is missing or of the wrong type
 * only skips the measures that need it.
 */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "catalog/drift.h"

typedef struct report {
	const arca_drift_policy *p;
	json_t *findings;
	int counts[3];
	bool ack;
	bool oom;
} report;

static json_t *dec(double v)
{
	char b[32];

	if (isinf(v))
		return json_string("inf");
	arca_schema__dec_format(b, v, 12);
	return json_string(b);
}

/* A number member: integer, or decimal string; NAN when absent. */
static double num(json_t *o, const char *k)
{
	json_t *v = json_object_get(o, k);
	char *end;
	double d;

	if (json_is_integer(v))
		return (double)json_integer_value(v);
	if (!json_is_string(v))
		return NAN;
	d = strtod(json_string_value(v), &end);
	return *end ? NAN : d;
}

static const arca_drift_threshold *threshold(const arca_drift_policy *p,
	const char *field, arca_drift_measure m)
{
	for (size_t i = 0; field && i < p->field_count; i++)
		if (p->fields[i].set[m] && !strcmp(p->fields[i].field, field))
			return &p->fields[i].t[m];
	return &p->thresholds[m];
}

static void add(report *r, json_t *f, arca_drift_severity sev)
{
	json_object_set_new(f, "severity",
		json_string(arca_drift_severity_name(sev)));
	if (json_array_append_new(r->findings, f) < 0)
		r->oom = true;
	r->counts[sev]++;
	if (r->p->acknowledge_at != ARCA_DRIFT_NEVER &&
		sev >= r->p->acknowledge_at)
		r->ack = true;
}

/* A measure finding; steals old_v, new_v and values (may be NULL). */
static void measure(report *r, arca_drift_measure m, const char *field,
	json_t *old_v, json_t *new_v, double value, json_t *values)
{
	const arca_drift_threshold *t = threshold(r->p, field, m);
	arca_drift_severity sev = ARCA_DRIFT_INFO;
	json_t *f = NULL;

	/* judge the figure people see: 0.3 - 0.2 is 0.1 here */
	if (isfinite(value)) {
		char b[32];
		arca_schema__dec_format(b, value, 12);
		value = strtod(b, NULL);
	}
	if (!(value > 0)) /* unchanged (or not computable) */
		goto drop;
	if (!(f = json_object())) {
		r->oom = true;
		goto drop;
	}
	json_object_set_new(f, "kind", json_string(arca_drift_measure_name(m)));
	if (field)
		json_object_set_new(f, "field", json_string(field));
	if (old_v)
		json_object_set_new(f, "old", old_v);
	if (new_v)
		json_object_set_new(f, "new", new_v);
	if (values)
		json_object_set_new(f, "values", values);
	json_object_set_new(f, "value", dec(value));
	if (t->has_fail && value >= t->fail) {
		sev = ARCA_DRIFT_FAIL;
		json_object_set_new(f, "threshold", dec(t->fail));
	} else if (t->has_warn && value >= t->warn) {
		sev = ARCA_DRIFT_WARN;
		json_object_set_new(f, "threshold", dec(t->warn));
	}
	add(r, f, sev);
	return;
drop:
	json_decref(old_v);
	json_decref(new_v);
	json_decref(values);
}

static void schema_findings(report *r, const arca_schema *a,
	const arca_schema *b)
{
	json_t *diff = arca_schema_diff(a, b), *c;
	arca_drift_change kind;
	size_t i;

	if (!diff) {
		r->oom = true;
		return;
	}
	json_array_foreach(diff, i, c) {
		json_t *f = json_deep_copy(c);
		const char *k = json_string_value(json_object_get(c, "kind"));
		if (!f || !k || arca_drift_change_parse(&kind, k) < 0) {
			json_decref(f);
			r->oom = true;
			continue;
		}
		add(r, f, r->p->schema_changes[kind]);
	}
	json_decref(diff);
}

static json_t *integer(double v)
{
	return json_integer((json_int_t)v);
}

static void row_count(report *r, json_t *a, json_t *b)
{
	const char *fmt = json_string_value(json_object_get(b, "format"));
	/* blobs have no rows: count files instead */
	const char *key = fmt && !strcmp(fmt, "files") ? "files" : "rows";
	double x = num(a, key), y = num(b, key);

	if (!isnan(x) && !isnan(y))
		measure(r, ARCA_DRIFT_ROW_COUNT_CHANGE, NULL, integer(x),
			integer(y), fabs(y - x) / fmax(x, 1), NULL);
}

static double total(json_t *f)
{
	return num(f, "count") + num(f, "nulls") + num(f, "invalid");
}

static void numeric(report *r, const char *name, json_t *a, json_t *b)
{
	double ma = num(a, "mean"), mb = num(b, "mean"), sd = num(a, "sd");
	double v;

	if (isnan(ma) || isnan(mb) || isnan(sd))
		return;
	v = sd > 0 ? fabs(mb - ma) / sd : (mb != ma ? INFINITY : 0);
	measure(r, ARCA_DRIFT_MEAN_SHIFT_SD, name, dec(ma), dec(mb), v, NULL);
}

/* Count of category value v in array cats, or -1. */
static double cat_count(json_t *cats, const char *v)
{
	json_t *c;
	size_t i;

	json_array_foreach(cats, i, c)
		if (!strcmp(json_string_value(json_object_get(c, "value")), v))
			return num(c, "count");
	return -1;
}

static double cat_total(json_t *cats)
{
	double n = 0;
	json_t *c;
	size_t i;

	json_array_foreach(cats, i, c)
		n += num(c, "count");
	return n;
}

/* Values of x not in y, in x's order (most frequent first). */
static json_t *missing_in(json_t *x, json_t *y)
{
	json_t *out = json_array(), *c;
	size_t i;

	json_array_foreach(x, i, c) {
		const char *v = json_string_value(json_object_get(c, "value"));
		if (out && cat_count(y, v) < 0)
			json_array_append_new(out, json_string(v));
	}
	return out;
}

static void categories(report *r, const char *name, json_t *a, json_t *b)
{
	json_t *ca = json_object_get(a, "categories");
	json_t *cb = json_object_get(b, "categories"), *c, *added, *gone;
	double ta = cat_total(ca), tb = cat_total(cb), tvd = 0;
	size_t i;

	if (!json_is_array(ca) || !json_is_array(cb) || !ta || !tb)
		return;
	/* total variation distance: half the L1 distance of the shares */
	json_array_foreach(cb, i, c) {
		double x = cat_count(ca, json_string_value(json_object_get(c,
			"value")));
		tvd += fabs(num(c, "count") / tb - (x < 0 ? 0 : x) / ta);
	}
	json_array_foreach(ca, i, c)
		if (cat_count(cb, json_string_value(json_object_get(c,
			"value"))) < 0)
			tvd += num(c, "count") / ta;
	measure(r, ARCA_DRIFT_CATEGORY_SHIFT, name, NULL, NULL, tvd / 2, NULL);
	added = missing_in(cb, ca);
	gone = missing_in(ca, cb);
	measure(r, ARCA_DRIFT_NEW_CATEGORIES, name, NULL, NULL,
		(double)json_array_size(added), added);
	measure(r, ARCA_DRIFT_VANISHED_CATEGORIES, name, NULL, NULL,
		(double)json_array_size(gone), gone);
}

static void booleans(report *r, const char *name, json_t *a, json_t *b)
{
	double ta = num(a, "true_count"), fa = num(a, "false_count");
	double tb = num(b, "true_count"), fb = num(b, "false_count");
	double pa, pb;

	if (!(ta + fa > 0) || !(tb + fb > 0))
		return;
	pa = ta / (ta + fa);
	pb = tb / (tb + fb);
	measure(r, ARCA_DRIFT_CATEGORY_SHIFT, name, dec(pa), dec(pb),
		fabs(pb - pa), NULL);
}

static void field(report *r, const char *name, json_t *a, json_t *b)
{
	const char *type = json_string_value(json_object_get(b, "type"));
	double ta = total(a), tb = total(b), x, y;

	if (!type || !json_equal(json_object_get(a, "type"),
		json_object_get(b, "type")))
		return; /* a type change is a schema finding */
	if (ta > 0 && tb > 0) {
		x = num(a, "nulls") / ta;
		y = num(b, "nulls") / tb;
		measure(r, ARCA_DRIFT_NULL_RATE_CHANGE, name, dec(x), dec(y),
			fabs(y - x), NULL);
	}
	if (!strcmp(type, "integer") || !strcmp(type, "decimal"))
		numeric(r, name, a, b);
	x = num(a, "distinct");
	y = num(b, "distinct");
	if (!isnan(x) && !isnan(y))
		measure(r, ARCA_DRIFT_DISTINCT_CHANGE, name, integer(x),
			integer(y), fabs(y - x) / fmax(x, 1), NULL);
	if (!strcmp(type, "boolean"))
		booleans(r, name, a, b);
	else if (!strcmp(type, "string"))
		categories(r, name, a, b);
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static void stats_findings(report *r, const arca_schema *s, json_t *a,
	json_t *b)
{
	json_t *fa = json_object_get(a, "fields"), *fb = json_object_get(b,
		"fields"), *v;
	size_t n = 0, cap = s ? s->field_count : json_object_size(fb);
	const char **names = calloc(cap + 1, sizeof(char *));
	const char *k;

	if (!names) {
		r->oom = true;
		return;
	}
	row_count(r, a, b);
	if (s) {
		for (size_t i = 0; i < s->field_count; i++)
			names[n++] = s->fields[i].name;
	} else {
		json_object_foreach(fb, k, v)
			names[n++] = k;
		qsort(names, n, sizeof(*names), cmp_str);
	}
	for (size_t i = 0; i < n; i++) {
		json_t *x = json_object_get(fa, names[i]);
		json_t *y = json_object_get(fb, names[i]);
		if (json_is_object(x) && json_is_object(y))
			field(r, names[i], x, y);
	}
	free(names);
}

json_t *arca_drift_compare(const arca_schema *old_s, json_t *old_stats,
	const arca_schema *new_s, json_t *new_stats,
	const arca_drift_policy *p)
{
	report r = { p, json_array(), { 0, 0, 0 }, false, false };
	json_t *out = json_object(), *counts = json_object();
	int worst = 0;

	if (!r.findings || !out || !counts)
		goto oom;
	if (old_s && new_s)
		schema_findings(&r, old_s, new_s);
	if (json_is_object(old_stats) && json_is_object(new_stats))
		stats_findings(&r, new_s, old_stats, new_stats);
	if (r.oom)
		goto oom;
	for (int i = 0; i < 3; i++) {
		json_object_set_new(counts, arca_drift_severity_name(
			(arca_drift_severity)i), json_integer(r.counts[i]));
		if (r.counts[i])
			worst = i;
	}
	json_object_set_new(out, "drift", json_integer(ARCA_DRIFT_VERSION));
	/* No finding at all is "none", not "info". */
	json_object_set_new(out, "severity", json_string(
		json_array_size(r.findings) ? arca_drift_severity_name(
		(arca_drift_severity)worst) : "none"));
	json_object_set_new(out, "needs_ack", json_boolean(r.ack));
	json_object_set_new(out, "counts", counts);
	json_object_set_new(out, "findings", r.findings);
	return out;
oom:
	json_decref(r.findings);
	json_decref(counts);
	json_decref(out);
	return NULL;
}

/* ---- one finding as text ---- */

typedef struct sbuf {
	char *buf;
	size_t n;
	size_t len; /* what the whole text needs */
} sbuf;

static void put(sbuf *s, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void put(sbuf *s, const char *fmt, ...)
{
	va_list ap;
	int k;

	va_start(ap, fmt);
	k = vsnprintf(s->len < s->n ? s->buf + s->len : NULL,
		s->len < s->n ? s->n - s->len : 0, fmt, ap);
	va_end(ap);
	if (k > 0)
		s->len += (size_t)k;
}

/* A value: decimal strings of measures bare, anything else as JSON. */
static void put_value(sbuf *s, json_t *v, bool measure_kind)
{
	char *j;

	if (!v) {
		put(s, "(none)");
	} else if (measure_kind && json_is_string(v)) {
		put(s, "%s", json_string_value(v));
	} else if ((j = json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT))) {
		put(s, "%.200s%s", j, strlen(j) > 200 ? "..." : "");
		free(j);
	}
}

int arca_drift_finding_format(json_t *finding, char *buf, size_t n)
{
	const char *kind = json_string_value(json_object_get(finding, "kind"));
	const char *sev = json_string_value(json_object_get(finding,
		"severity"));
	json_t *f = json_object_get(finding, "field"), *v;
	json_t *o = json_object_get(finding, "old");
	json_t *nw = json_object_get(finding, "new");
	sbuf s = { buf, n, 0 };
	arca_drift_measure m;
	bool is_measure;

	if (!kind || !sev)
		return -1;
	if (n)
		buf[0] = '\0';
	is_measure = arca_drift_measure_parse(&m, kind) == 0;
	put(&s, "%-4s  %s", sev, kind);
	if (json_is_string(f))
		put(&s, "  field \"%s\"", json_string_value(f));
	if ((v = json_object_get(finding, "constraint")) ||
		(v = json_object_get(finding, "option")))
		put(&s, " %s", json_string_value(v));
	if (!strcmp(kind, "field_added") || !strcmp(kind, "field_removed")) {
		json_t *def = o ? o : nw;
		put(&s, " (%s)", json_string_value(json_object_get(def, "type")));
	} else if (o || nw) {
		put(&s, ": ");
		put_value(&s, o, is_measure);
		put(&s, " -> ");
		put_value(&s, nw, is_measure);
	}
	if ((v = json_object_get(finding, "values"))) {
		put(&s, "%s", o || nw ? " " : ": ");
		put_value(&s, v, false);
	}
	if ((v = json_object_get(finding, "value"))) {
		put(&s, " (%s", json_string_value(v));
		if ((v = json_object_get(finding, "threshold")))
			put(&s, " >= %s", json_string_value(v));
		put(&s, ")");
	}
	return s.len > (size_t)INT32_MAX ? -1 : (int)s.len;
}
