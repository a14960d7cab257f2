/* Drift policies: names, the built-in default, the YAML loader. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "catalog/drift.h"
#include "catalog/schema_yaml.h"

static const char *const severity_names[] = { "info", "warn", "fail",
	"never" };
static const char *const measure_names[] = { "row_count_change",
	"null_rate_change", "mean_shift_sd", "distinct_change",
	"category_shift", "new_categories", "vanished_categories", NULL };
static const char *const change_names[] = { "field_added", "field_removed",
	"type_changed", "constraint_changed", "pii_changed", "format_changed",
	"option_changed", NULL };

const char *arca_drift_severity_name(arca_drift_severity s)
{
	return (unsigned)s < 4 ? severity_names[s] : "?";
}

const char *arca_drift_measure_name(arca_drift_measure m)
{
	return (unsigned)m < ARCA_DRIFT_MEASURES ? measure_names[m] : "?";
}

const char *arca_drift_change_name(arca_drift_change c)
{
	return (unsigned)c < ARCA_DRIFT_CHANGES ? change_names[c] : "?";
}

static int lookup(const char *const *names, int n, const char *name)
{
	for (int i = 0; i < n; i++)
		if (!strcmp(names[i], name))
			return i;
	return -1;
}

int arca_drift_severity_parse(arca_drift_severity *out, const char *name)
{
	int i = lookup(severity_names, 4, name);

	if (i < 0)
		return -1;
	*out = (arca_drift_severity)i;
	return 0;
}

int arca_drift_measure_parse(arca_drift_measure *out, const char *name)
{
	int i = lookup(measure_names, ARCA_DRIFT_MEASURES, name);

	if (i < 0)
		return -1;
	*out = (arca_drift_measure)i;
	return 0;
}

int arca_drift_change_parse(arca_drift_change *out, const char *name)
{
	int i = lookup(change_names, ARCA_DRIFT_CHANGES, name);

	if (i < 0)
		return -1;
	*out = (arca_drift_change)i;
	return 0;
}

/* Keep in sync with policies/drift.yaml (test_drift checks). */
static const arca_drift_policy default_policy = {
	.thresholds = {
		[ARCA_DRIFT_ROW_COUNT_CHANGE] = { true, true, 0.10, 0.50 },
		[ARCA_DRIFT_NULL_RATE_CHANGE] = { true, true, 0.02, 0.10 },
		[ARCA_DRIFT_MEAN_SHIFT_SD] = { true, true, 0.5, 2.0 },
		[ARCA_DRIFT_DISTINCT_CHANGE] = { true, true, 0.25, 1.0 },
		[ARCA_DRIFT_CATEGORY_SHIFT] = { true, true, 0.10, 0.30 },
		[ARCA_DRIFT_NEW_CATEGORIES] = { true, false, 1, 0 },
		[ARCA_DRIFT_VANISHED_CATEGORIES] = { true, false, 1, 0 },
	},
	.schema_changes = {
		[ARCA_DRIFT_FIELD_ADDED] = ARCA_DRIFT_WARN,
		[ARCA_DRIFT_FIELD_REMOVED] = ARCA_DRIFT_FAIL,
		[ARCA_DRIFT_TYPE_CHANGED] = ARCA_DRIFT_FAIL,
		[ARCA_DRIFT_CONSTRAINT_CHANGED] = ARCA_DRIFT_WARN,
		[ARCA_DRIFT_PII_CHANGED] = ARCA_DRIFT_WARN,
		[ARCA_DRIFT_FORMAT_CHANGED] = ARCA_DRIFT_FAIL,
		[ARCA_DRIFT_OPTION_CHANGED] = ARCA_DRIFT_WARN,
	},
	.acknowledge_at = ARCA_DRIFT_FAIL,
};

const arca_drift_policy *arca_drift_policy_default(void)
{
	return &default_policy;
}

void arca_drift_policy_free(arca_drift_policy *p)
{
	if (!p || p == &default_policy)
		return;
	for (size_t i = 0; i < p->field_count; i++)
		free(p->fields[i].field);
	free(p->fields);
	free(p);
}

/* ---- YAML ---- */

static int load_threshold(arca_yaml *y, struct fy_node *n, const char *what,
	arca_drift_threshold *t)
{
	static const char *const keys[] = { "warn", "fail", NULL };
	struct fy_node *v;
	bool is_int;
	int64_t iv;
	int rc;

	memset(t, 0, sizeof(*t));
	if ((rc = arca_yaml__map(y, n, what)) < 0 ||
		(rc = arca_yaml__check_keys(y, n, keys, what)) < 0)
		return rc;
	for (int k = 0; k < 2; k++) {
		double *d = k ? &t->fail : &t->warn;
		if (!(v = arca_yaml__get(n, keys[k])))
			continue;
		if ((rc = arca_yaml__num(y, v, keys[k], d, &is_int, &iv)) < 0)
			return rc;
		if (*d < 0)
			return arca_yaml__fail(y, v, "%s threshold of %s must "
				"not be negative", keys[k], what);
		*(k ? &t->has_fail : &t->has_warn) = true;
	}
	if (t->has_warn && t->has_fail && t->fail < t->warn)
		return arca_yaml__fail(y, arca_yaml__get(n, "fail"), "fail "
			"threshold of %s is below its warn threshold", what);
	return 0;
}

/* A mapping of measure -> threshold; all required unless partial. */
static int load_thresholds(arca_yaml *y, struct fy_node *n, bool partial,
	arca_drift_threshold *t, bool *set, const char *where)
{
	struct fy_node *v;
	int rc;

	if ((rc = arca_yaml__map(y, n, where)) < 0 ||
		(rc = arca_yaml__check_keys(y, n, measure_names, where)) < 0)
		return rc;
	for (int m = 0; m < ARCA_DRIFT_MEASURES; m++) {
		if (!(v = arca_yaml__get(n, measure_names[m]))) {
			if (partial)
				continue;
			return arca_yaml__fail(y, n, "%s has no threshold for "
				"%s (write {} for none)", where,
				measure_names[m]);
		}
		if ((rc = load_threshold(y, v, measure_names[m], &t[m])) < 0)
			return rc;
		if (set)
			set[m] = true;
	}
	return 0;
}

static int load_severity(arca_yaml *y, struct fy_node *n, const char *what,
	bool never_ok, arca_drift_severity *out)
{
	const char *s;
	int rc;

	if ((rc = arca_yaml__str(y, n, what, &s)) < 0)
		return rc;
	if (arca_drift_severity_parse(out, s) < 0 ||
		(*out == ARCA_DRIFT_NEVER && !never_ok))
		return arca_yaml__fail(y, n, "%s must be info, warn or fail%s, "
			"not \"%s\"", what, never_ok ? " or never" : "", s);
	return 0;
}

static int load_changes(arca_yaml *y, arca_drift_policy *p,
	struct fy_node *n)
{
	struct fy_node *v;
	int rc;

	if ((rc = arca_yaml__map(y, n, "schema_changes")) < 0 ||
		(rc = arca_yaml__check_keys(y, n, change_names,
		"schema_changes")) < 0)
		return rc;
	for (int c = 0; c < ARCA_DRIFT_CHANGES; c++) {
		if (!(v = arca_yaml__get(n, change_names[c])))
			return arca_yaml__fail(y, n, "schema_changes has no "
				"severity for %s", change_names[c]);
		if ((rc = load_severity(y, v, change_names[c], false,
			&p->schema_changes[c])) < 0)
			return rc;
	}
	return 0;
}

static int load_fields(arca_yaml *y, arca_drift_policy *p,
	struct fy_node *n)
{
	struct fy_node_pair *pair;
	void *it = NULL;
	char where[300];
	int rc;

	if ((rc = arca_yaml__map(y, n, "fields")) < 0)
		return rc;
	if (!(p->fields = calloc((size_t)fy_node_mapping_item_count(n) + 1,
		sizeof(*p->fields))))
		return arca_error_set(y->err, ARCA_ERROR, "out of memory");
	while ((pair = fy_node_mapping_iterate(n, &it))) {
		arca_drift_override *o = &p->fields[p->field_count];
		const char *name;
		if ((rc = arca_yaml__str(y, fy_node_pair_key(pair),
			"a field name", &name)) < 0)
			return rc;
		if (!(o->field = strdup(name)))
			return arca_error_set(y->err, ARCA_ERROR,
				"out of memory");
		p->field_count++;
		snprintf(where, sizeof(where), "field \"%.200s\"", name);
		if ((rc = load_thresholds(y, fy_node_pair_value(pair), true,
			o->t, o->set, where)) < 0)
			return rc;
	}
	return 0;
}

static const char *const top_keys[] = { "drift", "thresholds",
	"schema_changes", "acknowledge_at", "fields", NULL };

static int load_top(arca_yaml *y, arca_drift_policy *p)
{
	struct fy_node *r = y->root, *n;
	int64_t ver;
	int rc;

	if ((rc = arca_yaml__check_keys(y, r, top_keys, "the policy")) < 0)
		return rc;
	for (int i = 0; i < 4; i++)
		if (!arca_yaml__get(r, top_keys[i]))
			return arca_yaml__fail(y, r, "missing key \"%s\"",
				top_keys[i]);
	n = arca_yaml__get(r, "drift");
	if ((rc = arca_yaml__int(y, n, "drift", &ver)) < 0)
		return rc;
	if (ver != ARCA_DRIFT_VERSION)
		return arca_yaml__fail(y, n, "unsupported drift policy version "
			"%lld (this arca reads version 1)", (long long)ver);
	if ((rc = load_thresholds(y, arca_yaml__get(r, "thresholds"), false,
		p->thresholds, NULL, "thresholds")) < 0 ||
		(rc = load_changes(y, p, arca_yaml__get(r, "schema_changes"))) < 0 ||
		(rc = load_severity(y, arca_yaml__get(r, "acknowledge_at"),
		"acknowledge_at", true, &p->acknowledge_at)) < 0)
		return rc;
	if ((n = arca_yaml__get(r, "fields")))
		return load_fields(y, p, n);
	return 0;
}

int arca_drift_policy_load_yaml(arca_drift_policy **out, const char *text,
	size_t len, const char *name, arca_error *err)
{
	arca_drift_policy *p = calloc(1, sizeof(*p));
	arca_yaml y;
	int rc;

	if (!p)
		return arca_error_set(err, ARCA_ERROR, "out of memory");
	if ((rc = arca_yaml__open(&y, text, len, name, err)) == 0)
		rc = load_top(&y, p);
	arca_yaml__close(&y);
	if (rc < 0) {
		arca_drift_policy_free(p);
		return rc;
	}
	*out = p;
	return 0;
}

int arca_drift_policy_load_file(arca_drift_policy **out, const char *path,
	arca_error *err)
{
	char *text;
	size_t len;
	int rc;

	if ((rc = arca_yaml__read_file(&text, &len, path, err)) < 0)
		return rc;
	rc = arca_drift_policy_load_yaml(out, text, len, path, err);
	free(text);
	return rc;
}

/* ---- JSON ---- */

static json_t *thresholds_json(const arca_drift_threshold *t,
	const bool *set)
{
	json_t *o = json_object();
	char b[32];

	for (int m = 0; o && m < ARCA_DRIFT_MEASURES; m++) {
		json_t *x;
		if (set && !set[m])
			continue;
		if (!(x = json_object()))
			break;
		if (t[m].has_warn) {
			arca_schema__dec_format(b, t[m].warn, 0);
			json_object_set_new(x, "warn", json_string(b));
		}
		if (t[m].has_fail) {
			arca_schema__dec_format(b, t[m].fail, 0);
			json_object_set_new(x, "fail", json_string(b));
		}
		json_object_set_new(o, measure_names[m], x);
	}
	return o;
}

json_t *arca_drift_policy_to_json(const arca_drift_policy *p)
{
	json_t *o = json_object(), *c = json_object(), *f = json_object();

	if (!o || !c || !f) {
		json_decref(o);
		json_decref(c);
		json_decref(f);
		return NULL;
	}
	json_object_set_new(o, "drift", json_integer(ARCA_DRIFT_VERSION));
	json_object_set_new(o, "thresholds", thresholds_json(p->thresholds,
		NULL));
	for (int i = 0; i < ARCA_DRIFT_CHANGES; i++)
		json_object_set_new(c, change_names[i], json_string(
			arca_drift_severity_name(p->schema_changes[i])));
	json_object_set_new(o, "schema_changes", c);
	json_object_set_new(o, "acknowledge_at",
		json_string(arca_drift_severity_name(p->acknowledge_at)));
	for (size_t i = 0; i < p->field_count; i++)
		json_object_set_new(f, p->fields[i].field,
			thresholds_json(p->fields[i].t, p->fields[i].set));
	json_object_set_new(o, "fields", f);
	return o;
}
