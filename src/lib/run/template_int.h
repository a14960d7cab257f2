/*
 * Internals of the template loader (template*.c): the loader's state and
 * its diagnostics, and the value grammar shared by loading (defaults,
 * bounds) and resolving (-p overrides).
 */
#ifndef ARCA_RUN_TEMPLATE_INT_H
#define ARCA_RUN_TEMPLATE_INT_H

#include <stdint.h>
#include "catalog/schema_yaml.h"
#include "arca/template.h"

/* Names of inputs, outputs and parameter keys: they appear inside
 * ${...} and "ns.key=value", so no '.', '=', '}' or spaces. */
#define ARCA_TEMPLATE_IDENT_RULE "1 to 64 letters, digits, '_' or '-', " \
	"starting with a letter"

/* One load: the YAML document, and where the problems go. */
typedef struct arca_tpl_ld {
	arca_yaml y;
	arca_error yerr;     /* what the arca_yaml__ helpers report into */
	const char *file;
	arca_template_diag_cb diag;
	void *payload;
	int nerr;
	arca_template *t;
	/* t->stages are in file order until sorted; stage_nodes follow */
	struct fy_node **stage_nodes; /* the mapping of each stage */
	unsigned char *reach; /* nstages^2: reach[a*n+b]: a depends on b */
	int sorted;          /* no cycle: t->stages sorted, reach known */
} arca_tpl_ld;

/* Reports one problem at node n (NULL: 1:1), or at line:col. */
void arca_template__diag(arca_tpl_ld *ld, struct fy_node *n,
	const char *fmt, ...) __attribute__((format(printf, 3, 4)));
void arca_template__diag_at(arca_tpl_ld *ld, int line, int col,
	const char *fmt, ...) __attribute__((format(printf, 4, 5)));
/* Reports what an arca_yaml__ helper put into ld->yerr. */
void arca_template__diag_yaml(arca_tpl_ld *ld);

/* Reports every key of map not in keys (NULL-terminated), with a
 * suggestion for a near miss. Returns how many there were. */
int arca_template__keys(arca_tpl_ld *ld, struct fy_node *map,
	const char *const *keys, const char *where);
/* The string value of key in map, strdup'd into *out: 1 found, 0 absent
 * (reported when required), -1 not a string (reported). */
int arca_template__str(arca_tpl_ld *ld, struct fy_node *map,
	const char *key, const char *what, int required, char **out);
/* A scalar's text (any style, never null), or NULL. */
const char *arca_template__scalar(struct fy_node *n);
/* 1 when the node is a null (~, null, or nothing). */
int arca_template__is_null(struct fy_node *n);
/* A NULL-terminated list of the strings of a sequence (reported items
 * are left out); NULL only when the node is not a list (reported). */
char **arca_template__strlist(arca_tpl_ld *ld, struct fy_node *n,
	const char *what, const char *item_what);
void arca_template__strv_free(char **v);

/* The sections, loaded in this order (each reports what it finds). */
void arca_template__load_params(arca_tpl_ld *ld, struct fy_node *n);
void arca_template__load_stages(arca_tpl_ld *ld, struct fy_node *n);
void arca_template__check_subst(arca_tpl_ld *ld);
void arca_template__load_gates(arca_tpl_ld *ld, struct fy_node *n);
void arca_template__param_free(arca_template_param *p);
void arca_template__stage_free(arca_template_stage *s);
void arca_template__gate_free(arca_template_gate *g);
/* A budget mapping {wall, cpu, memory}. */
void arca_template__load_budget(arca_tpl_ld *ld, struct fy_node *n,
	arca_budget *b, const char *where);

/* Finds a parameter by "ns.key" (or ns and key). */
const arca_template_param *arca_template__param_find(const arca_template *t,
	const char *nskey);

/* ---- values (template_value.c) ---- */

const char *arca_template__type_name(arca_param_type type);
/* Each returns 0, or -1 when s is not of the form, -2 out of range. */
int arca_template__parse_int(const char *s, int64_t *out);
int arca_template__parse_duration(const char *s, int64_t *seconds);
int arca_template__parse_size(const char *s, int64_t *bytes);
/* Exact decimal text ([+-]digits[.digits][e[+-]digits]) in its
 * canonical form (malloc'd): no '+', no exponent, no leading zeros
 * ("0.5"), the fractional digits kept as written ("0.10"), no "-0". */
int arca_template__parse_decimal(const char *s, char **canon);
/* Compares two canonical decimals exactly: <0, 0, >0. */
int arca_template__dec_cmp(const char *a, const char *b);
/* The shortest text that reads back as d ("0.1", "1e-7", "1e+21"), in
 * ECMAScript's Number-to-String form; buf of at least 40 bytes. */
const char *arca_template__real_text(char *buf, size_t size, double d);

int arca_template__ident_valid(const char *s);
int arca_template__semver_valid(const char *s);
/* NAME, NAME@latest, NAME@N, NAME@TAG, NAME@sha256:HEX */
int arca_template__dataset_ref_valid(const char *s);
int arca_template__env_name_valid(const char *s);

/* What a value of type looks like, for "expected ..." in messages. */
const char *arca_template__type_expect(arca_param_type type);
/*
 * Parses text as a value of parameter p (type, values, pattern, min,
 * max). On success *out is a new JSON value (see arca_template_resolve)
 * and 0 is returned; otherwise ARCA_EINVALID with why saying what is
 * wrong and what was expected (no parameter name, no value).
 */
int arca_template__value(json_t **out, const arca_template_param *p,
	const char *text, char *why, size_t whysize);
/* The canonical number text of a bound of p's type: integers as is,
 * durations in seconds, sizes in bytes, decimals canonical. */
int arca_template__bound(char **out, arca_param_type type, const char *text,
	char *why, size_t whysize);

/* The closest of cands (n of them) to word, or NULL if none is near. */
const char *arca_template__suggest(const char *word,
	const char *const *cands, size_t n);

#endif
