/*
 * Gates ("evaluate.accuracy >= 0.80") and stage metrics: gates are
 * parsed when the template loads and compared exactly as decimals, and
 * metrics' reals become their shortest decimal text so that they can go
 * into canonical JSON (which has no reals).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "run/template_int.h"

void arca_template__gate_free(arca_template_gate *g)
{
	free(g->text);
	free(g->metric);
	free(g->value);
	free(g->stage);
	free(g->key);
}

static const struct { const char *text; arca_gate_op op; } ops[] = {
	{ ">=", ARCA_GATE_GE }, { "<=", ARCA_GATE_LE }, { "==", ARCA_GATE_EQ },
	{ "!=", ARCA_GATE_NE }, { ">", ARCA_GATE_GT }, { "<", ARCA_GATE_LT },
};

#define GATE_FORM "STAGE.KEY OP NUMBER, OP one of >= > <= < == !="

/* Parses text into g (metric, op, value); NULL or what is wrong. */
static const char *parse_gate(arca_template_gate *g, const char *text)
{
	const char *p = text + strspn(text, " \t"), *m = p, *num;
	size_t mlen = strcspn(p, " \t<>=!"), k, i;
	char *canon;

	p += mlen;
	if (!mlen)
		return "it names no metric";
	if (!memchr(m, '.', mlen) || m[0] == '.' || m[mlen - 1] == '.')
		return "the metric is not STAGE.KEY";
	for (k = 1; k < mlen; k++)
		if (m[k] == '.' && m[k - 1] == '.')
			return "the metric has an empty key ('..')";
	p += strspn(p, " \t");
	for (i = 0; i < sizeof(ops) / sizeof(ops[0]); i++)
		if (!strncmp(p, ops[i].text, strlen(ops[i].text)))
			break;
	if (i == sizeof(ops) / sizeof(ops[0]))
		return "it has no comparison operator";
	p += strlen(ops[i].text);
	p += strspn(p, " \t");
	num = p;
	k = strcspn(p, " \t");
	if (p[k + strspn(p + k, " \t")])
		return "there is text after the number";
	{
		char buf[420];
		if (!k || k >= sizeof(buf))
			return "the number is missing or too long";
		memcpy(buf, num, k);
		buf[k] = '\0';
		if (arca_template__parse_decimal(buf, &canon) < 0)
			return "the value is not a decimal number";
	}
	g->op = ops[i].op;
	g->value = canon;
	g->metric = strndup(m, mlen);
	return NULL;
}

/* The stage the metric starts with ("a.b" before "a" when both are
 * stages), and its metrics file must be declared. */
static void gate_stage(arca_tpl_ld *ld, arca_template_gate *g,
	struct fy_node *item)
{
	const arca_template *t = ld->t;
	const arca_template_stage *best = NULL;
	size_t blen = 0;

	for (size_t i = 0; i < t->nstages; i++) {
		const char *name = t->stages[i].name;
		size_t n = name ? strlen(name) : 0;
		if (n && n > blen && !strncmp(g->metric, name, n) &&
			g->metric[n] == '.') {
			best = &t->stages[i];
			blen = n;
		}
	}
	if (!best) {
		arca_template__diag(ld, item, "gate '%s': '%.*s' is no stage "
			"(expected " GATE_FORM ", STAGE a stage's name)", g->text,
			(int)strcspn(g->metric, "."), g->metric);
		return;
	}
	if (!best->metrics)
		arca_template__diag(ld, item, "gate '%s': stage '%s' declares "
			"no metrics file (expected 'metrics: FILE' in the stage)",
			g->text, best->name);
	g->stage = strdup(best->name);
	g->key = strdup(g->metric + blen + 1);
}

void arca_template__load_gates(arca_tpl_ld *ld, struct fy_node *n)
{
	arca_template *t = ld->t;
	struct fy_node *item;
	void *it = NULL;

	if (arca_yaml__seq(&ld->y, n, "gates") < 0) {
		arca_template__diag_yaml(ld);
		return;
	}
	t->gates = calloc((size_t)fy_node_sequence_item_count(n) + 1,
		sizeof(*t->gates));
	while (t->gates && (item = fy_node_sequence_iterate(n, &it))) {
		arca_template_gate *g = &t->gates[t->ngates];
		const char *s, *why;

		if (arca_yaml__str(&ld->y, item, "a gate", &s) < 0) {
			arca_template__diag_yaml(ld);
			continue;
		}
		if ((why = parse_gate(g, s))) {
			arca_template__diag(ld, item, "gate '%s' does not parse: "
				"%s (expected " GATE_FORM ")", s, why);
			continue;
		}
		g->text = strdup(s);
		t->ngates++;
		gate_stage(ld, g, item);
	}
}

/* The value at key path in obj: at each level the longest key that
 * matches (keys may hold dots). */
static json_t *lookup(json_t *obj, const char *path)
{
	while (*path) {
		size_t len = strlen(path);
		json_t *v = NULL;

		if (!json_is_object(obj))
			return NULL;
		for (;;) {
			char key[256];
			if (len < sizeof(key)) {
				memcpy(key, path, len);
				key[len] = '\0';
				if ((v = json_object_get(obj, key)))
					break;
			}
			while (len && path[--len] != '.')
				;
			if (!len)
				return NULL;
		}
		obj = v;
		path += len + (path[len] == '.');
	}
	return obj;
}

/* "NaN", "-inf", "Infinity": how non-finite numbers get written. */
static int not_finite(const char *s)
{
	s += *s == '-' || *s == '+';
	return !strcasecmp(s, "nan") || !strcasecmp(s, "inf") ||
		!strcasecmp(s, "infinity");
}

int arca_template_gate_eval(int *pass, const char **why,
	const arca_template_gate *g, json_t *metrics, arca_error *err)
{
	char buf[48], *canon = NULL;
	const char *text;
	json_t *m, *v;
	int c, rc;

	*pass = 0;
	*why = NULL;
	if (g->stage) {
		m = json_object_get(metrics, g->stage);
		v = m ? lookup(m, g->key) : NULL;
	} else {
		m = metrics;
		v = lookup(metrics, g->metric);
	}
	if (!m || !json_is_object(m)) {
		*why = "the stage wrote no metrics";
		return 0;
	}
	if (!v) {
		*why = "the metric is missing";
		return 0;
	}
	if (json_is_integer(v)) {
		snprintf(buf, sizeof(buf), "%lld",
			(long long)json_integer_value(v));
		text = buf;
	} else if (json_is_real(v)) {
		text = arca_template__real_text(buf, sizeof(buf),
			json_real_value(v));
	} else if (json_is_string(v)) {
		text = json_string_value(v);
	} else {
		*why = "the metric is not a number";
		return 0;
	}
	rc = arca_template__parse_decimal(text, &canon);
	if (rc == -1 && not_finite(text)) {
		*why = "the metric is not a finite number";
		return 0;
	}
	if (rc < 0) {
		*why = rc == -2 ? "the metric is too long to compare" :
			"the metric is not a number";
		return 0;
	}
	c = arca_template__dec_cmp(canon, g->value);
	free(canon);
	switch (g->op) {
	case ARCA_GATE_GE: *pass = c >= 0; break;
	case ARCA_GATE_GT: *pass = c > 0; break;
	case ARCA_GATE_LE: *pass = c <= 0; break;
	case ARCA_GATE_LT: *pass = c < 0; break;
	case ARCA_GATE_EQ: *pass = c == 0; break;
	case ARCA_GATE_NE: *pass = c != 0; break;
	default:
		return arca_error_set(err, ARCA_EINVALID, "gate '%s': unknown "
			"operator", g->text ? g->text : "?");
	}
	if (!*pass)
		*why = "the comparison does not hold";
	return 0;
}

static int normalize(json_t *j, arca_error *err);

/* j's replacement when it is a real (a new string), else NULL. */
static int replace(json_t **out, json_t *j, arca_error *err)
{
	char buf[48];
	double d;

	*out = NULL;
	if (!json_is_real(j))
		return normalize(j, err);
	d = json_real_value(j);
	if (!isfinite(d))
		return arca_error_set(err, ARCA_EINVALID, "a metric is not a "
			"finite number");
	if (!(*out = json_string(arca_template__real_text(buf, sizeof(buf),
		d))))
		return arca_error_set(err, ARCA_ERROR, "out of memory");
	return 0;
}

static int normalize(json_t *j, arca_error *err)
{
	json_t *v, *r;
	const char *k;
	size_t i;
	int rc;

	if (json_is_object(j)) {
		json_object_foreach(j, k, v) {
			if ((rc = replace(&r, v, err)) < 0)
				return rc;
			if (r && json_object_set_new(j, k, r) < 0)
				return arca_error_set(err, ARCA_ERROR,
					"out of memory");
		}
	} else if (json_is_array(j)) {
		json_array_foreach(j, i, v) {
			if ((rc = replace(&r, v, err)) < 0)
				return rc;
			if (r && json_array_set_new(j, i, r) < 0)
				return arca_error_set(err, ARCA_ERROR,
					"out of memory");
		}
	}
	return 0;
}

int arca_template_metrics_normalize(json_t *metrics, arca_error *err)
{
	if (json_is_real(metrics))
		return arca_error_set(err, ARCA_EINVALID, "metrics must be a "
			"JSON object or array, not a bare number");
	return normalize(metrics, err);
}
