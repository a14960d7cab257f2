/*
 * Loading a template (formats/template.md): the top level, inputs,
 * budgets and the adapter; diagnostics with file:line:col for every
 * problem, collected rather than stopping at the first.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "repo/repo.h"
#include "run/template_int.h"

void arca_template__diag_at(arca_tpl_ld *ld, int line, int col,
	const char *fmt, ...)
{
	char msg[ARCA_ERROR_MSG_SIZE];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	ld->nerr++;
	if (ld->diag)
		ld->diag(ld->file, line ? line : 1, col ? col : 1, msg,
			ld->payload);
}

void arca_template__diag(arca_tpl_ld *ld, struct fy_node *n,
	const char *fmt, ...)
{
	char msg[ARCA_ERROR_MSG_SIZE];
	int line = 1, col = 1;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (n)
		arca_yaml__pos(&ld->y, n, &line, &col);
	arca_template__diag_at(ld, line, col, "%s", msg);
}

/* The helpers format "name:line:col: msg"; split it back. */
void arca_template__diag_yaml(arca_tpl_ld *ld)
{
	const char *m = ld->yerr.msg;
	size_t n = strlen(ld->file);
	int line = 1, col = 1;
	char *end;

	if (!strncmp(m, ld->file, n) && m[n] == ':') {
		line = (int)strtol(m + n + 1, &end, 10);
		if (*end == ':') {
			col = (int)strtol(end + 1, &end, 10);
			if (*end == ':' && end[1] == ' ')
				m = end + 2;
		}
	}
	arca_template__diag_at(ld, line, col, "%s", m);
	arca_error_clear(&ld->yerr);
}

int arca_template__keys(arca_tpl_ld *ld, struct fy_node *map,
	const char *const *keys, const char *where)
{
	struct fy_node_pair *p;
	void *it = NULL;
	size_t nkeys = 0;
	int bad = 0;

	while (keys[nkeys])
		nkeys++;
	while ((p = fy_node_mapping_iterate(map, &it))) {
		struct fy_node *kn = fy_node_pair_key(p);
		const char *k = kn ? arca_template__scalar(kn) : NULL, *near;
		size_t i, used = 0;
		char list[512];

		if (!k) {
			arca_template__diag(ld, kn ? kn : map, "keys in %s must "
				"be plain names", where);
			bad++;
			continue;
		}
		for (i = 0; keys[i] && strcmp(keys[i], k); i++)
			;
		if (keys[i])
			continue;
		bad++;
		list[0] = '\0';
		for (i = 0; keys[i] && used < sizeof(list); i++) {
			int w = snprintf(list + used, sizeof(list) - used,
				"%s%s", i ? ", " : "", keys[i]);
			used += w > 0 ? (size_t)w : 0;
		}
		near = arca_template__suggest(k, keys, nkeys);
		arca_template__diag(ld, kn, "unknown key '%.64s' in %s%s%s%s "
			"(expected one of: %s)", k, where,
			near ? " (did you mean '" : "", near ? near : "",
			near ? "'?)" : "", list);
	}
	return bad;
}

const char *arca_template__scalar(struct fy_node *n)
{
	if (!n || fy_node_get_type(n) != FYNT_SCALAR ||
		arca_template__is_null(n))
		return NULL;
	return fy_node_get_scalar0(n);
}

int arca_template__is_null(struct fy_node *n)
{
	const char *p;

	if (!n)
		return 1;
	if (fy_node_get_type(n) != FYNT_SCALAR ||
		fy_node_get_style(n) != FYNS_PLAIN)
		return 0;
	p = fy_node_get_scalar0(n);
	return !p || !*p || !strcmp(p, "~") || !strcmp(p, "null") ||
		!strcmp(p, "Null") || !strcmp(p, "NULL");
}

int arca_template__str(arca_tpl_ld *ld, struct fy_node *map,
	const char *key, const char *what, int required, char **out)
{
	struct fy_node *n = arca_yaml__get(map, key);
	const char *s;

	*out = NULL;
	if (!n) {
		if (required)
			arca_template__diag(ld, map, "%s is missing its required "
				"member '%s'", what, key);
		return 0;
	}
	if (arca_yaml__str(&ld->y, n, key, &s) < 0) {
		arca_template__diag_yaml(ld);
		return -1;
	}
	*out = strdup(s);
	return 1;
}

char **arca_template__strlist(arca_tpl_ld *ld, struct fy_node *n,
	const char *what, const char *item_what)
{
	struct fy_node *item;
	void *it = NULL;
	char **v;
	size_t k = 0;
	const char *s;

	if (arca_yaml__seq(&ld->y, n, what) < 0) {
		arca_template__diag_yaml(ld);
		return NULL;
	}
	v = calloc((size_t)fy_node_sequence_item_count(n) + 1, sizeof(*v));
	while (v && (item = fy_node_sequence_iterate(n, &it))) {
		if (arca_yaml__str(&ld->y, item, item_what, &s) < 0)
			arca_template__diag_yaml(ld);
		else
			v[k++] = strdup(s);
	}
	return v;
}

void arca_template__strv_free(char **v)
{
	for (size_t i = 0; v && v[i]; i++)
		free(v[i]);
	free(v);
}

void arca_template__load_budget(arca_tpl_ld *ld, struct fy_node *n,
	arca_budget *b, const char *where)
{
	static const char *const keys[] = { "wall", "cpu", "memory", NULL };
	char what[96];

	snprintf(what, sizeof(what), "the budget of %s", where);
	if (arca_yaml__map(&ld->y, n, what) < 0) {
		arca_template__diag_yaml(ld);
		return;
	}
	arca_template__keys(ld, n, keys, what);
	for (int i = 0; i < 3; i++) {
		struct fy_node *v = arca_yaml__get(n, keys[i]);
		const char *s = arca_template__scalar(v);
		int64_t x;
		int rc;

		if (!v)
			continue;
		rc = !s ? -1 : i < 2 ? arca_template__parse_duration(s, &x) :
			arca_template__parse_size(s, &x);
		if (rc == 0 && x == 0)
			arca_template__diag(ld, v, "%s: %s '%s' is zero (expected "
				"a limit above 0; leave %s out for no limit)", what,
				keys[i], s, keys[i]);
		else if (rc < 0)
			arca_template__diag(ld, v, "%s: %s '%s' is %s (expected "
				"%s)", what, keys[i], s ? s : "", rc == -2 ?
				"out of range" : "invalid",
				arca_template__type_expect(i < 2 ?
				ARCA_PARAM_DURATION : ARCA_PARAM_SIZE));
		else if (i == 0)
			b->wall_s = x;
		else if (i == 1)
			b->cpu_s = x;
		else
			b->memory = (uint64_t)x;
	}
}

const arca_template_param *arca_template__param_find(const arca_template *t,
	const char *nskey)
{
	const char *dot = strchr(nskey, '.');

	if (!dot)
		return NULL;
	for (size_t i = 0; i < t->nparams; i++) {
		const arca_template_param *p = &t->params[i];
		if (strlen(p->ns) == (size_t)(dot - nskey) &&
			!strncmp(p->ns, nskey, (size_t)(dot - nskey)) &&
			!strcmp(p->key, dot + 1))
			return p;
	}
	return NULL;
}

static void load_inputs(arca_tpl_ld *ld, struct fy_node *n)
{
	static const char *const keys[] = { "param", NULL };
	arca_template *t = ld->t;
	struct fy_node_pair *pr;
	void *it = NULL;

	if (arca_yaml__map(&ld->y, n, "inputs") < 0) {
		arca_template__diag_yaml(ld);
		return;
	}
	t->inputs = calloc((size_t)fy_node_mapping_item_count(n) + 1,
		sizeof(*t->inputs));
	while (t->inputs && (pr = fy_node_mapping_iterate(n, &it))) {
		struct fy_node *kn = fy_node_pair_key(pr);
		struct fy_node *v = fy_node_pair_value(pr);
		const char *name = arca_template__scalar(kn);
		const arca_template_param *p;
		char what[128], *param;

		if (!name || !arca_template__ident_valid(name)) {
			arca_template__diag(ld, kn, "invalid input name '%s' "
				"(expected " ARCA_TEMPLATE_IDENT_RULE ")",
				name ? name : "");
			continue;
		}
		snprintf(what, sizeof(what), "input '%s'", name);
		if (arca_yaml__map(&ld->y, v, what) < 0) {
			arca_template__diag_yaml(ld);
			continue;
		}
		arca_template__keys(ld, v, keys, what);
		if (arca_template__str(ld, v, "param", what, 1, &param) <= 0)
			continue;
		p = arca_template__param_find(t, param);
		if (!p || p->type != ARCA_PARAM_DATASET)
			arca_template__diag(ld, arca_yaml__get(v, "param"),
				"%s: '%s' is %s (expected the name NS.KEY of a "
				"parameter of type dataset)", what, param,
				p ? "not of type dataset" : "no parameter");
		t->inputs[t->ninputs].name = strdup(name);
		t->inputs[t->ninputs++].param = param;
	}
}

static void load_adapter(arca_tpl_ld *ld, struct fy_node *n)
{
	static const char *const keys[] = { "name", "output", "version", NULL };
	arca_template_adapter *a = &ld->t->adapter;
	const arca_template_output *o;
	int rc;

	if (arca_yaml__map(&ld->y, n, "adapter") < 0) {
		arca_template__diag_yaml(ld);
		return;
	}
	arca_template__keys(ld, n, keys, "the adapter");
	if (arca_template__str(ld, n, "name", "the adapter", 1, &a->name) > 0 &&
		!arca_repo__dataset_name_valid(a->name))
		arca_template__diag(ld, arca_yaml__get(n, "name"), "invalid "
			"adapter name '%s' (expected " ARCA_DATASET_NAME_RULE ")",
			a->name);
	if (arca_template__str(ld, n, "output", "the adapter", 1,
		&a->output) > 0) {
		o = arca_template_output_find(ld->t, a->output, NULL);
		if (!o || o->kind != ARCA_OUTPUT_ADAPTER)
			arca_template__diag(ld, arca_yaml__get(n, "output"),
				"the adapter's output '%s' is %s (expected the "
				"name of an output of kind adapter)", a->output,
				o ? "not of kind adapter" : "no stage's output");
	}
	rc = arca_template__str(ld, n, "version", "the adapter", 0,
		&a->version);
	if (rc == 0)
		a->version = strdup("patch");
	else if (rc > 0 && strcmp(a->version, "patch") &&
		strcmp(a->version, "minor") && strcmp(a->version, "major") &&
		!arca_template__semver_valid(a->version))
		arca_template__diag(ld, arca_yaml__get(n, "version"), "invalid "
			"adapter version '%s' (expected patch, minor, major or a "
			"semantic version such as 1.4.0)", a->version);
}

static void load_top(arca_tpl_ld *ld)
{
	static const char *const keys[] = { "arca_template", "name",
		"version", "description", "tools", "parameters", "budget",
		"inputs", "stages", "gates", "adapter", NULL };
	struct fy_node *root = ld->y.root, *n;
	arca_template *t = ld->t;
	int64_t format;

	arca_template__keys(ld, root, keys, "the template");
	if (!(n = arca_yaml__get(root, "arca_template")))
		arca_template__diag(ld, root, "the template is missing its "
			"required member 'arca_template' (expected "
			"arca_template: 1)");
	else if (arca_yaml__int(&ld->y, n, "arca_template", &format) < 0)
		arca_template__diag_yaml(ld);
	else if (format != ARCA_TEMPLATE_FORMAT) {
		arca_template__diag(ld, n, "unsupported template format %lld "
			"(expected %d; a newer arca may read it)",
			(long long)format, ARCA_TEMPLATE_FORMAT);
		return; /* the rest would be read with the wrong rules */
	}
	if (arca_template__str(ld, root, "name", "the template", 1,
		&t->name) > 0 && !arca_repo__dataset_name_valid(t->name))
		arca_template__diag(ld, arca_yaml__get(root, "name"), "invalid "
			"template name '%s' (expected " ARCA_DATASET_NAME_RULE
			")", t->name);
	if (arca_template__str(ld, root, "version", "the template", 1,
		&t->version) > 0 && !arca_template__semver_valid(t->version))
		arca_template__diag(ld, arca_yaml__get(root, "version"),
			"invalid version '%s' (expected a semantic version "
			"MAJOR.MINOR.PATCH such as 1.0.0, optionally with "
			"-prerelease)", t->version);
	arca_template__str(ld, root, "description", "the template", 0,
		&t->description);
	if ((n = arca_yaml__get(root, "tools")) &&
		(t->tools = arca_template__strlist(ld, n, "tools",
		"a tool"))) {
		void *it = NULL;
		struct fy_node *item;
		while ((item = fy_node_sequence_iterate(n, &it))) {
			const char *s = arca_template__scalar(item);
			if (s && (!*s || strpbrk(s, "/ \t\n") ||
				strlen(s) > 128))
				arca_template__diag(ld, item, "invalid tool "
					"'%s' (expected a program name, no '/' "
					"and no spaces)", s);
		}
	}
	if (!t->tools)
		t->tools = calloc(1, sizeof(*t->tools));
	if ((n = arca_yaml__get(root, "parameters")))
		arca_template__load_params(ld, n);
	if ((n = arca_yaml__get(root, "budget")))
		arca_template__load_budget(ld, n, &t->budget, "the template");
	if ((n = arca_yaml__get(root, "inputs")))
		load_inputs(ld, n);
	if (!(n = arca_yaml__get(root, "stages")))
		arca_template__diag(ld, root, "the template is missing its "
			"required member 'stages' (expected a list of stages)");
	else
		arca_template__load_stages(ld, n);
	arca_template__check_subst(ld);
	if ((n = arca_yaml__get(root, "gates")))
		arca_template__load_gates(ld, n);
	if ((n = arca_yaml__get(root, "adapter")))
		load_adapter(ld, n);
}

int arca_template_load(arca_template **out, const char *path,
	arca_template_diag_cb diag, void *payload, arca_error *err)
{
	arca_tpl_ld ld;
	char *text = NULL;
	size_t len;
	int rc;

	*out = NULL;
	memset(&ld, 0, sizeof(ld));
	ld.file = path;
	ld.diag = diag;
	ld.payload = payload;
	if ((rc = arca_yaml__read_file(&text, &len, path, err)) < 0)
		return rc;
	if (!(ld.t = calloc(1, sizeof(*ld.t))) || !(ld.t->path = strdup(path))) {
		free(text);
		free(ld.t);
		return arca_error_set(err, ARCA_ERROR, "out of memory");
	}
	if (arca_yaml__open(&ld.y, text, len, path, &ld.yerr) < 0)
		arca_template__diag_yaml(&ld);
	else
		load_top(&ld);
	arca_yaml__close(&ld.y);
	free(text);
	free(ld.stage_nodes);
	free(ld.reach);
	if (ld.nerr) {
		arca_template_free(ld.t);
		return arca_error_set(err, ARCA_EINVALID, "%s: %d problem%s in "
			"the template", path, ld.nerr, ld.nerr == 1 ? "" : "s");
	}
	*out = ld.t;
	return 0;
}

void arca_template_free(arca_template *t)
{
	if (!t)
		return;
	free(t->path);
	free(t->name);
	free(t->version);
	free(t->description);
	for (size_t i = 0; i < t->nparams; i++)
		arca_template__param_free(&t->params[i]);
	free(t->params);
	for (size_t i = 0; i < t->ninputs; i++) {
		free(t->inputs[i].name);
		free(t->inputs[i].param);
	}
	free(t->inputs);
	for (size_t i = 0; i < t->nstages; i++)
		arca_template__stage_free(&t->stages[i]);
	free(t->stages);
	for (size_t i = 0; i < t->ngates; i++)
		arca_template__gate_free(&t->gates[i]);
	free(t->gates);
	free(t->adapter.name);
	free(t->adapter.output);
	free(t->adapter.version);
	arca_template__strv_free(t->tools);
	free(t);
}

const arca_template_stage *arca_template_stage_find(const arca_template *t,
	const char *name)
{
	for (size_t i = 0; i < t->nstages; i++)
		if (t->stages[i].name && !strcmp(t->stages[i].name, name))
			return &t->stages[i];
	return NULL;
}

const arca_template_output *arca_template_output_find(const arca_template *t,
	const char *name, const arca_template_stage **stage)
{
	for (size_t i = 0; i < t->nstages; i++)
		for (size_t j = 0; j < t->stages[i].noutputs; j++)
			if (!strcmp(t->stages[i].outputs[j].name, name)) {
				if (stage)
					*stage = &t->stages[i];
				return &t->stages[i].outputs[j];
			}
	return NULL;
}
