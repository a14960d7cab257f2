/*
 * Dataset schemas (formats/dataset-schema.md): what a dataset's files
 * contain. Loaded from YAML, stored as canonical JSON, compared between
 * versions. The struct is public and read-only after loading.
 */
#ifndef ARCA_CATALOG_SCHEMA_H
#define ARCA_CATALOG_SCHEMA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <jansson.h>
#include "arca/error.h"

#define ARCA_SCHEMA_VERSION 1

typedef enum arca_schema_format {
	ARCA_SCHEMA_CSV,
	ARCA_SCHEMA_JSONL,
	ARCA_SCHEMA_FILES /* opaque blobs: no fields */
} arca_schema_format;

typedef enum arca_field_type {
	ARCA_FIELD_STRING,
	ARCA_FIELD_INTEGER,
	ARCA_FIELD_DECIMAL,
	ARCA_FIELD_BOOLEAN,
	ARCA_FIELD_TIMESTAMP
} arca_field_type;

/* Which optional constraints a field sets (arca_schema_field.has). */
enum {
	ARCA_FIELD_HAS_MIN = 1 << 0,
	ARCA_FIELD_HAS_MAX = 1 << 1,
	ARCA_FIELD_HAS_MAX_LENGTH = 1 << 2,
	ARCA_FIELD_HAS_ENUM = 1 << 3
};

typedef struct arca_schema_field {
	char *name;            /* UTF-8, unique in the schema */
	arca_field_type type;
	bool required;         /* column/key must be present (default true) */
	bool nullable;         /* empty cell / JSON null allowed (default false) */
	bool pii;              /* personal data: no values kept in stats */
	unsigned has;          /* ARCA_FIELD_HAS_* */
	/* min/max, inclusive: integer fields fill both forms, decimal
	 * fields only min_d/max_d. */
	int64_t min_i, max_i;
	double min_d, max_d;
	uint64_t max_length;   /* in code points (strings) */
	char **enum_values;    /* strings only; NUL-terminated UTF-8 */
	size_t enum_count;
} arca_schema_field;

typedef struct arca_schema {
	arca_schema_format format;
	char csv_delimiter;    /* csv: one ASCII byte, default ',' */
	bool csv_header;       /* csv: first record names the columns */
	bool extra_fields;     /* true: undeclared columns/keys are allowed */
	arca_schema_field *fields;
	size_t field_count;
} arca_schema;

/*
 * Parses a schema from YAML text; name is used in messages ("file:line:
 * col: ..."). ARCA_EINVALID for any syntax or schema error, ARCA_ERROR
 * for memory. *out is set only on success; free with arca_schema_free.
 */
int arca_schema_load_yaml(arca_schema **out, const char *text, size_t len,
	const char *name, arca_error *err);
/* Reads path and parses it as above (ARCA_ENOTFOUND if missing). */
int arca_schema_load_file(arca_schema **out, const char *path,
	arca_error *err);

/* The canonical JSON form (formats/dataset-schema.md "JSON form"); a new
 * reference, NULL only when out of memory. */
json_t *arca_schema_to_json(const arca_schema *s);
/* The reverse; checks the same rules as the YAML loader. Errors name
 * the JSON member ("fields[2].max"). */
int arca_schema_from_json(arca_schema **out, json_t *doc, arca_error *err);

/*
 * What changed from old to new: a JSON array of change objects in a
 * fixed order (formats/dataset-schema.md "Schema diff"); empty when the
 * schemas are equivalent. NULL only when out of memory.
 */
json_t *arca_schema_diff(const arca_schema *old_s, const arca_schema *new_s);

void arca_schema_free(arca_schema *s);

/* Borrowed field i (NULL when out of range) or by name (NULL if none). */
const arca_schema_field *arca_schema_field_at(const arca_schema *s,
	size_t i);
const arca_schema_field *arca_schema_field_find(const arca_schema *s,
	const char *name);
/* Index of a field by name, or -1. */
long arca_schema_field_index(const arca_schema *s, const char *name);

/* "csv", "jsonl", "files"; "string", "integer", ... */
const char *arca_schema_format_name(arca_schema_format f);
const char *arca_schema_type_name(arca_field_type t);
/* Reverse lookups: 0 or -1 for an unknown name. */
int arca_schema_format_parse(arca_schema_format *out, const char *name);
int arca_schema_type_parse(arca_field_type *out, const char *name);

/*
 * Internal helpers shared by the catalog modules (tabular, drift).
 * arca_schema__dec_format writes the shortest decimal string that reads
 * back as exactly v (at most 17 significant digits; -0 as "0"). With
 * digits > 0 it rounds to that many significant digits instead.
 */
void arca_schema__dec_format(char out[32], double v, int digits);

#endif
