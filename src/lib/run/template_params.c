/*
 * Template parameters: their declarations (checked while loading, every
 * default against its own rules) and resolving them against "-p
 * ns.key=value" overrides into one typed JSON object.
 */
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "run/template_int.h"

static const char *const namespaces[] = ARCA_TEMPLATE_NAMESPACES;
#define NNS (sizeof(namespaces) / sizeof(namespaces[0]))

static const char *const type_names[] = { "string", "integer", "decimal",
	"boolean", "enum", "duration", "size", "dataset", NULL };

void arca_template__param_free(arca_template_param *p)
{
	free(p->ns);
	free(p->key);
	json_decref(p->def);
	arca_template__strv_free(p->values);
	free(p->min);
	free(p->max);
	free(p->pattern);
	free(p->description);
}

static int numeric(arca_param_type t)
{
	return t == ARCA_PARAM_INTEGER || t == ARCA_PARAM_DECIMAL ||
		t == ARCA_PARAM_DURATION || t == ARCA_PARAM_SIZE;
}

/* min or max: a number of the parameter's own type. */
static void load_bound(arca_tpl_ld *ld, arca_template_param *p,
	struct fy_node *def, const char *which, const char *name)
{
	struct fy_node *n = arca_yaml__get(def, which);
	const char *s = arca_template__scalar(n);
	char why[256], **out = which[1] == 'i' ? &p->min : &p->max;

	if (!n)
		return;
	if (!numeric(p->type)) {
		arca_template__diag(ld, n, "parameter '%s': %s applies only "
			"to integer, decimal, duration and size parameters, not "
			"%s", name, which, arca_template__type_name(p->type));
		return;
	}
	if (!s || arca_template__bound(out, p->type, s, why,
		sizeof(why)) < 0) {
		arca_template__diag(ld, n, "parameter '%s': %s '%s' is %s",
			name, which, s ? s : "", s ? why : "not a scalar");
		return;
	}
	*(which[1] == 'i' ? &p->has_min : &p->has_max) = 1;
}

static void load_values(arca_tpl_ld *ld, arca_template_param *p,
	struct fy_node *def, const char *name)
{
	struct fy_node *n = arca_yaml__get(def, "values"), *item;
	void *it = NULL;
	size_t k = 0;

	if (p->type != ARCA_PARAM_ENUM) {
		if (n)
			arca_template__diag(ld, n, "parameter '%s': values "
				"applies only to enum parameters", name);
		return;
	}
	if (!n) {
		arca_template__diag(ld, def, "enum parameter '%s' is missing "
			"its required member 'values' (expected a non-empty list "
			"of distinct strings)", name);
		return;
	}
	if (!(p->values = arca_template__strlist(ld, n, "values",
		"an enum value")))
		return;
	if (!p->values[0])
		arca_template__diag(ld, n, "enum parameter '%s' has no values "
			"(expected a non-empty list of distinct strings)", name);
	while ((item = fy_node_sequence_iterate(n, &it))) {
		const char *s = arca_template__scalar(item);
		if (!s)
			continue;
		for (size_t j = 0; j < k; j++)
			if (!strcmp(p->values[j], s)) {
				arca_template__diag(ld, item, "enum parameter "
					"'%s' lists '%s' twice (expected distinct "
					"values)", name, s);
				break;
			}
		k++;
	}
}

/* The governance parameters the runner acts on keep their meaning. */
static void check_governance(arca_tpl_ld *ld, arca_template_param *p,
	struct fy_node *def)
{
	struct fy_node *tn = arca_yaml__get(def, "type");

	if (!strcmp(p->key, "approval")) {
		if (p->type != ARCA_PARAM_ENUM) {
			arca_template__diag(ld, tn ? tn : def, "parameter "
				"'governance.approval' must be of type enum "
				"(expected values from: required, none)");
			return;
		}
		for (size_t i = 0; p->values && p->values[i]; i++)
			if (strcmp(p->values[i], "required") &&
				strcmp(p->values[i], "none"))
				arca_template__diag(ld, arca_yaml__get(def,
					"values"), "parameter "
					"'governance.approval' allows '%s' "
					"(expected values from: required, none)",
					p->values[i]);
	} else if (!strcmp(p->key, "require_hook") &&
		p->type != ARCA_PARAM_STRING) {
		arca_template__diag(ld, tn ? tn : def, "parameter "
			"'governance.require_hook' must be of type string "
			"(expected the hook's name)");
	}
}

static void load_param(arca_tpl_ld *ld, const char *ns, struct fy_node *kn,
	struct fy_node *def)
{
	static const char *const keys[] = { "type", "default", "description",
		"required", "min", "max", "values", "pattern", NULL };
	arca_template *t = ld->t;
	arca_template_param *p = &t->params[t->nparams];
	const char *key = arca_template__scalar(kn), *s;
	struct fy_node *n;
	char name[160], what[192], why[512], *type = NULL;
	bool req = false;
	int i, bad_required = 0, before;

	if (!key || !arca_template__ident_valid(key)) {
		arca_template__diag(ld, kn, "invalid parameter name '%s' in "
			"namespace %s (expected " ARCA_TEMPLATE_IDENT_RULE ")",
			key ? key : "", ns);
		return;
	}
	snprintf(name, sizeof(name), "%s.%s", ns, key);
	snprintf(what, sizeof(what), "parameter '%s'", name);
	if (arca_yaml__map(&ld->y, def, what) < 0) {
		arca_template__diag_yaml(ld);
		return;
	}
	arca_template__keys(ld, def, keys, what);
	if (arca_template__str(ld, def, "type", what, 1, &type) <= 0)
		return;
	for (i = 0; type_names[i] && strcmp(type_names[i], type); i++)
		;
	if (!type_names[i]) {
		const char *near = arca_template__suggest(type, type_names, 8);
		arca_template__diag(ld, arca_yaml__get(def, "type"), "%s has "
			"unknown type '%s'%s%s%s (expected one of: string, "
			"integer, decimal, boolean, enum, duration, size, "
			"dataset)", what, type, near ? " (did you mean '" : "",
			near ? near : "", near ? "'?)" : "");
		free(type);
		return;
	}
	free(type);
	t->nparams++;
	before = ld->nerr;
	p->type = (arca_param_type)(i + 1);
	p->ns = strdup(ns);
	p->key = strdup(key);
	p->line = 1;
	arca_yaml__pos(&ld->y, kn, &p->line, &i);
	arca_template__str(ld, def, "description", what, 0, &p->description);
	snprintf(why, sizeof(why), "%s: required", what);
	if ((n = arca_yaml__get(def, "required")) &&
		arca_yaml__bool(&ld->y, n, why, &req) < 0) {
		arca_template__diag_yaml(ld);
		bad_required = 1;
	}
	p->required = req;
	load_values(ld, p, def, name);
	if ((n = arca_yaml__get(def, "pattern"))) {
		regex_t re;
		if (p->type != ARCA_PARAM_STRING)
			arca_template__diag(ld, n, "%s: pattern applies only to "
				"string parameters", what);
		else if (arca_template__str(ld, def, "pattern", what, 0,
			&p->pattern) > 0) {
			if (regcomp(&re, p->pattern, REG_EXTENDED | REG_NOSUB))
				arca_template__diag(ld, n, "%s: pattern \"%s\" "
					"is not a valid POSIX extended regular "
					"expression", what, p->pattern);
			else
				regfree(&re);
		}
	}
	load_bound(ld, p, def, "min", name);
	load_bound(ld, p, def, "max", name);
	if (p->has_min && p->has_max &&
		arca_template__dec_cmp(p->min, p->max) > 0)
		arca_template__diag(ld, arca_yaml__get(def, "min"), "%s: min %s "
			"is above max %s (expected min <= max)", what, p->min,
			p->max);
	if (!strcmp(ns, "governance"))
		check_governance(ld, p, def);
	n = arca_yaml__get(def, "default");
	if (bad_required)
		; /* whether a default is needed is not known */
	else if (n && p->required)
		arca_template__diag(ld, n, "%s has both required: true and a "
			"default (expected one of them)", what);
	else if (!n && !p->required)
		arca_template__diag(ld, def, "%s has no default (expected a "
			"default, or required: true)", what);
	else if (n && !(s = arca_template__scalar(n)))
		arca_template__diag(ld, n, "%s: the default must be a scalar "
			"value (expected %s)", what,
			arca_template__type_expect(p->type));
	/* a default is checked against a declaration without problems */
	else if (n && ld->nerr == before && arca_template__value(&p->def, p,
		s, why, sizeof(why)) < 0)
		arca_template__diag(ld, n, "%s: default '%s' is %s", what, s,
			why);
}

void arca_template__load_params(arca_tpl_ld *ld, struct fy_node *n)
{
	arca_template *t = ld->t;
	size_t total = 0;

	if (arca_yaml__map(&ld->y, n, "parameters") < 0) {
		arca_template__diag_yaml(ld);
		return;
	}
	const char *keys[NNS + 1] = { NULL };
	for (size_t i = 0; i < NNS; i++)
		keys[i] = namespaces[i];
	arca_template__keys(ld, n, keys, "parameters (the namespaces)");
	for (size_t i = 0; i < NNS; i++) {
		struct fy_node *ns = arca_yaml__get(n, namespaces[i]);
		if (ns && fy_node_get_type(ns) == FYNT_MAPPING)
			total += (size_t)fy_node_mapping_item_count(ns);
	}
	if (!(t->params = calloc(total + 1, sizeof(*t->params))))
		return;
	/* namespace order, then file order */
	for (size_t i = 0; i < NNS; i++) {
		struct fy_node *ns = arca_yaml__get(n, namespaces[i]);
		struct fy_node_pair *pr;
		void *it = NULL;
		char what[64];

		if (!ns || arca_template__is_null(ns))
			continue;
		snprintf(what, sizeof(what), "namespace %s", namespaces[i]);
		if (arca_yaml__map(&ld->y, ns, what) < 0) {
			arca_template__diag_yaml(ld);
			continue;
		}
		while ((pr = fy_node_mapping_iterate(ns, &it)))
			load_param(ld, namespaces[i], fy_node_pair_key(pr),
				fy_node_pair_value(pr));
	}
}

/* An unknown "ns.key": the nearest known name, if any. */
static const char *near_param(const arca_template *t, const char *key,
	char *buf, size_t size)
{
	const char **names = calloc(t->nparams + 1, sizeof(*names));
	char **owned = calloc(t->nparams + 1, sizeof(*owned));
	const char *near = NULL;

	for (size_t i = 0; names && owned && i < t->nparams; i++) {
		if (asprintf(&owned[i], "%s.%s", t->params[i].ns,
			t->params[i].key) < 0)
			owned[i] = NULL;
		names[i] = owned[i] ? owned[i] : "";
		/* "epochs" for "training.epochs" */
		if (!strchr(key, '.') && !strcmp(key, t->params[i].key))
			near = names[i];
	}
	if (names && owned && !near)
		near = arca_template__suggest(key, names, t->nparams);
	if (near)
		snprintf(buf, size, "%s", near);
	for (size_t i = 0; owned && i < t->nparams; i++)
		free(owned[i]);
	free(owned);
	free(names);
	return near ? buf : NULL;
}

int arca_template_resolve(json_t **out, const arca_template *t,
	const char *const *overrides, size_t n, arca_error *err)
{
	json_t **vals = calloc(t->nparams + 1, sizeof(*vals)), *obj = NULL;
	char why[512], near[200], key[256];
	int rc = 0;

	*out = NULL;
	if (!vals)
		return arca_error_set(err, ARCA_ERROR, "out of memory");
	for (size_t i = 0; i < n && rc == 0; i++) {
		const char *eq = strchr(overrides[i], '=');
		const arca_template_param *p;

		if (!eq || eq == overrides[i] ||
			(size_t)(eq - overrides[i]) >= sizeof(key)) {
			rc = arca_error_set(err, ARCA_EINVALID, "parameter "
				"override '%s' is not of the form NS.KEY=VALUE",
				overrides[i]);
			break;
		}
		snprintf(key, sizeof(key), "%.*s", (int)(eq - overrides[i]),
			overrides[i]);
		if (!(p = arca_template__param_find(t, key))) {
			const char *m = near_param(t, key, near, sizeof(near));
			rc = arca_error_set(err, ARCA_EINVALID, "unknown "
				"parameter '%s'%s%s%s (template %s declares %zu "
				"parameter%s)", key, m ? " (did you mean '" : "",
				m ? m : "", m ? "'?)" : "", t->name, t->nparams,
				t->nparams == 1 ? "" : "s");
			break;
		}
		size_t k = (size_t)(p - t->params);
		json_decref(vals[k]);
		vals[k] = NULL;
		if (arca_template__value(&vals[k], p, eq + 1, why,
			sizeof(why)) < 0)
			rc = arca_error_set(err, ARCA_EINVALID, "invalid value "
				"'%s' for parameter '%s' (%s): %s", eq + 1, key,
				arca_template__type_name(p->type), why);
	}
	for (size_t i = 0; i < t->nparams && rc == 0; i++) {
		const arca_template_param *p = &t->params[i];
		if (vals[i])
			continue;
		if (p->def) {
			vals[i] = json_incref(p->def);
			continue;
		}
		rc = arca_error_set(err, ARCA_EINVALID, "parameter '%s.%s' is "
			"required and was not given (expected -p %s.%s=VALUE "
			"with %s)", p->ns, p->key, p->ns, p->key,
			arca_template__type_expect(p->type));
	}
	if (rc == 0 && !(obj = json_object()))
		rc = arca_error_set(err, ARCA_ERROR, "out of memory");
	for (size_t i = 0; rc == 0 && i < NNS; i++)
		if (json_object_set_new(obj, namespaces[i], json_object()) < 0)
			rc = arca_error_set(err, ARCA_ERROR, "out of memory");
	for (size_t i = 0; rc == 0 && i < t->nparams; i++)
		if (json_object_set(json_object_get(obj, t->params[i].ns),
			t->params[i].key, vals[i]) < 0)
			rc = arca_error_set(err, ARCA_ERROR, "out of memory");
	for (size_t i = 0; i < t->nparams; i++)
		json_decref(vals[i]);
	free(vals);
	if (rc == 0)
		*out = obj;
	else
		json_decref(obj);
	return rc;
}
