/*
 * Substitutions in stage argv: ${params.NS.KEY}, ${inputs.NAME},
 * ${outputs.NAME}, ${work}, ${code}, and "$$" for '$'. Checked when the
 * template is loaded; expanded element by element, so a value never
 * splits or joins arguments (there is no shell).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "util/buf.h"
#include "run/template_int.h"

/* Calls piece(ctx, is_name, text, len) for each literal run and each
 * placeholder name of s. Returns 0, the callback's negative return, or
 * 1 with *why set when s is malformed. */
typedef int (*piece_fn)(void *ctx, int is_name, const char *p, size_t n);

static int walk(const char *s, piece_fn piece, void *ctx, const char **why)
{
	const char *p = s;
	int rc;

	while (*p) {
		const char *d = strchr(p, '$'), *end;
		if (!d)
			return piece(ctx, 0, p, strlen(p));
		if (d > p && (rc = piece(ctx, 0, p, (size_t)(d - p))) < 0)
			return rc;
		if (d[1] == '$') {
			if ((rc = piece(ctx, 0, "$", 1)) < 0)
				return rc;
			p = d + 2;
			continue;
		}
		if (d[1] != '{') {
			*why = "a '$' must be followed by '{' or '$' (expected "
				"${NAME}, or '$$' for a literal '$')";
			return 1;
		}
		if (!(end = strchr(d + 2, '}'))) {
			*why = "'${' without its closing '}' (expected ${NAME})";
			return 1;
		}
		if (end == d + 2) {
			*why = "an empty '${}' (expected ${NAME})";
			return 1;
		}
		if ((rc = piece(ctx, 1, d + 2, (size_t)(end - d - 2))) < 0)
			return rc;
		p = end + 1;
	}
	return 0;
}

static int prefixed(const char *name, size_t n, const char *prefix,
	const char **rest)
{
	size_t k = strlen(prefix);

	if (n <= k || strncmp(name, prefix, k))
		return 0;
	*rest = name + k;
	return 1;
}

/* ---- checking, while loading ---- */

typedef struct check_ctx {
	arca_tpl_ld *ld;
	size_t stage;        /* index in t->stages */
	size_t elem;
	struct fy_node *node;
} check_ctx;

static int check_piece(void *vctx, int is_name, const char *p, size_t n)
{
	check_ctx *c = vctx;
	arca_tpl_ld *ld = c->ld;
	arca_template *t = ld->t;
	const arca_template_stage *s = &t->stages[c->stage], *owner = NULL;
	const char *rest, *sname = s->name ? s->name : "?";
	char name[256];

	if (!is_name)
		return 0;
	snprintf(name, sizeof(name), "%.*s", (int)n, p);
	if (!strcmp(name, "work") || !strcmp(name, "code"))
		return 0;
	if (prefixed(name, n, "params.", &rest)) {
		const char **names, *near = NULL;
		char **own;
		if (arca_template__param_find(t, rest))
			return 0;
		names = calloc(t->nparams + 1, sizeof(*names));
		own = calloc(t->nparams + 1, sizeof(*own));
		for (size_t i = 0; names && own && i < t->nparams; i++) {
			if (asprintf(&own[i], "%s.%s", t->params[i].ns,
				t->params[i].key) < 0)
				own[i] = NULL;
			names[i] = own[i] ? own[i] : "";
		}
		if (names && own)
			near = arca_template__suggest(rest, names, t->nparams);
		arca_template__diag(ld, c->node, "stage '%s', run[%zu]: "
			"unknown parameter '%s' in ${%s}%s%s%s", sname, c->elem,
			rest, name, near ? " (did you mean '" : "",
			near ? near : "", near ? "'?)" : "");
		for (size_t i = 0; own && i < t->nparams; i++)
			free(own[i]);
		free(own);
		free(names);
		return 0;
	}
	if (prefixed(name, n, "inputs.", &rest)) {
		for (size_t i = 0; i < t->ninputs; i++)
			if (!strcmp(t->inputs[i].name, rest))
				return 0;
		arca_template__diag(ld, c->node, "stage '%s', run[%zu]: unknown "
			"input '%s' in ${%s} (expected a name declared under "
			"inputs)", sname, c->elem, rest, name);
		return 0;
	}
	if (prefixed(name, n, "outputs.", &rest)) {
		if (!arca_template_output_find(t, rest, &owner)) {
			arca_template__diag(ld, c->node, "stage '%s', run[%zu]: "
				"unknown output '%s' in ${%s} (expected the name "
				"of an output of a stage)", sname, c->elem, rest,
				name);
			return 0;
		}
		if (owner != s && ld->sorted && !ld->reach[c->stage *
			t->nstages + (size_t)(owner - t->stages)])
			arca_template__diag(ld, c->node, "stage '%s', run[%zu]: "
				"${%s} is an output of stage '%s', which stage "
				"'%s' does not depend on (expected '%s' in its "
				"depends_on, directly or through other stages)",
				sname, c->elem, name, owner->name, sname,
				owner->name);
		return 0;
	}
	arca_template__diag(ld, c->node, "stage '%s', run[%zu]: unknown "
		"placeholder ${%s} (expected ${params.NS.KEY}, ${inputs.NAME}, "
		"${outputs.NAME}, ${work} or ${code})", sname, c->elem, name);
	return 0;
}

void arca_template__check_subst(arca_tpl_ld *ld)
{
	arca_template *t = ld->t;

	for (size_t i = 0; i < t->nstages; i++) {
		struct fy_node *run = arca_yaml__get(ld->stage_nodes[i], "run");
		struct fy_node *item;
		void *it = NULL;
		check_ctx c = { ld, i, 0, NULL };

		if (!run || fy_node_get_type(run) != FYNT_SEQUENCE)
			continue;
		for (; (item = fy_node_sequence_iterate(run, &it)); c.elem++) {
			const char *s = arca_template__scalar(item), *why;
			c.node = item;
			if (s && walk(s, check_piece, &c, &why) == 1)
				arca_template__diag(ld, item, "stage '%s', "
					"run[%zu]: %s", t->stages[i].name ?
					t->stages[i].name : "?", c.elem, why);
		}
	}
}

/* ---- expanding ---- */

typedef struct expand_ctx {
	const arca_template *t;
	const arca_template_stage *s;
	const arca_subst_ctx *x;
	arca_buf out;
	size_t elem;
	arca_error *err;
} expand_ctx;

static int put_param(expand_ctx *c, const char *nskey, const char *name)
{
	const char *dot = strchr(nskey, '.');
	char ns[64], num[48];
	json_t *v = NULL;

	if (dot && (size_t)(dot - nskey) < sizeof(ns)) {
		snprintf(ns, sizeof(ns), "%.*s", (int)(dot - nskey), nskey);
		v = json_object_get(json_object_get(c->x->params, ns), dot + 1);
	}
	switch (v ? json_typeof(v) : JSON_NULL) {
	case JSON_STRING:
		return arca_buf_put(&c->out, json_string_value(v),
			json_string_length(v));
	case JSON_INTEGER:
		return arca_buf_printf(&c->out, "%lld",
			(long long)json_integer_value(v));
	case JSON_REAL:
		return arca_buf_puts(&c->out, arca_template__real_text(num,
			sizeof(num), json_real_value(v)));
	case JSON_TRUE:
		return arca_buf_puts(&c->out, "true");
	case JSON_FALSE:
		return arca_buf_puts(&c->out, "false");
	default:
		return arca_error_set(c->err, ARCA_EINVALID, "stage '%s', "
			"run[%zu]: ${%s} has no value in the resolved parameters",
			c->s->name, c->elem, name);
	}
}

static int expand_piece(void *vctx, int is_name, const char *p, size_t n)
{
	expand_ctx *c = vctx;
	const arca_template_output *o;
	const char *rest;
	char name[256];

	if (!is_name)
		return arca_buf_put(&c->out, p, n);
	snprintf(name, sizeof(name), "%.*s", (int)n, p);
	if (!strcmp(name, "work"))
		return arca_buf_puts(&c->out, c->x->work);
	if (!strcmp(name, "code")) {
		if (c->x->code)
			return arca_buf_puts(&c->out, c->x->code);
		return arca_error_set(c->err, ARCA_EINVALID, "stage '%s', "
			"run[%zu]: ${code} is used but the run has no code "
			"directory", c->s->name, c->elem);
	}
	if (prefixed(name, n, "params.", &rest))
		return put_param(c, rest, name);
	if (prefixed(name, n, "inputs.", &rest)) {
		for (size_t i = 0; i < c->x->ninputs; i++)
			if (!strcmp(c->x->input_names[i], rest))
				return arca_buf_puts(&c->out,
					c->x->input_paths[i]);
	} else if (prefixed(name, n, "outputs.", &rest) &&
		(o = arca_template_output_find(c->t, rest, NULL))) {
		size_t len = strlen(o->path);
		if (arca_buf_puts(&c->out, c->x->work) < 0 ||
			arca_buf_puts(&c->out, "/") < 0)
			return ARCA_ERROR;
		/* a directory output without its trailing '/' */
		return arca_buf_put(&c->out, o->path, len - (o->dir && len));
	}
	return arca_error_set(c->err, ARCA_EINVALID, "stage '%s', run[%zu]: "
		"unknown name ${%s}", c->s->name, c->elem, name);
}

int arca_template_argv(char ***argv, const arca_template *t,
	const arca_template_stage *s, const arca_subst_ctx *ctx,
	arca_error *err)
{
	arca_error e = ARCA_ERROR_INIT; /* buf failures set none */
	expand_ctx c = { t, s, ctx, ARCA_BUF_INIT, 0, &e };
	char **v = calloc(s->nrun + 1, sizeof(*v));
	const char *why;
	int rc = 0;

	*argv = NULL;
	if (!v)
		return arca_error_set(err, ARCA_ERROR, "out of memory");
	for (; c.elem < s->nrun && rc == 0; c.elem++) {
		arca_buf_clear(&c.out);
		rc = walk(s->run[c.elem], expand_piece, &c, &why);
		if (rc == 1)
			rc = arca_error_set(&e, ARCA_EINVALID, "stage '%s', "
				"run[%zu]: %s", s->name, c.elem, why);
		if (rc == 0 && !(v[c.elem] = strdup(arca_buf_cstr(&c.out))))
			rc = ARCA_ERROR;
	}
	arca_buf_dispose(&c.out);
	if (rc < 0) {
		if (!e.code)
			arca_error_set(&e, ARCA_ERROR, "out of memory");
		if (err)
			*err = e;
		for (size_t i = 0; i < s->nrun; i++)
			free(v[i]);
		free(v);
		return rc;
	}
	*argv = v;
	return 0;
}
