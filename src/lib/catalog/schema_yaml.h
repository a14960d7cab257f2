/*
 * YAML reading helpers shared by the schema and drift policy loaders:
 * libfyaml with its diagnostics collected (never printed), positions as
 * "name:line:col", and typed scalars with clear errors.
 */
#ifndef ARCA_CATALOG_SCHEMA_YAML_H
#define ARCA_CATALOG_SCHEMA_YAML_H

#include <stdbool.h>
#include <stdint.h>
#include <libfyaml.h>
#include "arca/error.h"

typedef struct arca_yaml {
	struct fy_diag *diag;
	struct fy_document *doc;
	struct fy_node *root;
	const char *name;      /* borrowed, used in messages */
	arca_error *err;
} arca_yaml;

/* Parses text; a YAML error becomes ARCA_EINVALID "name:line:col: msg".
 * The root must be a mapping. Close y even on failure. */
int arca_yaml__open(arca_yaml *y, const char *text, size_t len,
	const char *name, arca_error *err);
void arca_yaml__close(arca_yaml *y);

/* 1-based line and column where node n starts. */
void arca_yaml__pos(arca_yaml *y, struct fy_node *n, int *line, int *col);
/* Sets ARCA_EINVALID "name:line:col: <message>" at n; returns the code. */
int arca_yaml__fail(arca_yaml *y, struct fy_node *n, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/*
 * Refuses any key of mapping map not in keys (NULL-terminated): the
 * error points at the key and lists what is expected. where describes
 * the mapping ("the schema", "field \"x\"").
 */
int arca_yaml__check_keys(arca_yaml *y, struct fy_node *map,
	const char *const *keys, const char *where);
/* The value of key in map, or NULL when absent. */
struct fy_node *arca_yaml__get(struct fy_node *map, const char *key);

/* Typed scalars; what names the value in the error message. On a missing
 * value (n NULL) the error points at anchor. */
int arca_yaml__str(arca_yaml *y, struct fy_node *n, const char *what,
	const char **out);
int arca_yaml__bool(arca_yaml *y, struct fy_node *n, const char *what,
	bool *out);
int arca_yaml__int(arca_yaml *y, struct fy_node *n, const char *what,
	int64_t *out);
/* Any finite number; *is_int tells whether it was written as an
 * integer (then *iv holds it exactly). */
int arca_yaml__num(arca_yaml *y, struct fy_node *n, const char *what,
	double *out, bool *is_int, int64_t *iv);
int arca_yaml__map(arca_yaml *y, struct fy_node *n, const char *what);
int arca_yaml__seq(arca_yaml *y, struct fy_node *n, const char *what);

/* Reads a whole file (NUL-terminated); ARCA_ENOTFOUND when missing. */
int arca_yaml__read_file(char **out, size_t *len, const char *path,
	arca_error *err);

#endif
