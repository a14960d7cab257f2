/*
 * The streaming validator for tabular datasets (CSV, JSONL): checks every
 * record against a schema and feeds the statistics, one chunk at a time.
 * Chunks may split the input anywhere (mid-line, mid-quoted-field,
 * mid-UTF-8 sequence); the results do not depend on where.
 *
 *	arca_tab *t = arca_tab_new(schema, stats, 100);
 *	for each file: arca_tab_begin_file(t, "data.csv");
 *	               arca_tab_feed(t, buf, n, &err) ... ;
 *	               arca_tab_end_file(t, &err);
 *	arca_tab_error_count(t), arca_tab_issue_at(t, i) ...
 *	arca_tab_free(t);
 *
 * Data violations are collected as issues, never returned: feed and
 * end_file fail (< 0) only when processing cannot go on (out of memory,
 * a record over ARCA_TAB_MAX_RECORD bytes, calls out of order).
 */
#ifndef ARCA_CATALOG_TABULAR_H
#define ARCA_CATALOG_TABULAR_H

#include <stddef.h>
#include <stdint.h>
#include "arca/error.h"
#include "catalog/schema.h"
#include "catalog/stats.h"

/* Longest record (CSV record, JSONL line): beyond it the input is
 * treated as broken (an unterminated quote, a binary file). */
#define ARCA_TAB_MAX_RECORD (64u << 20)

typedef struct arca_tab arca_tab;

/* One data violation. The strings live as long as the arca_tab (field
 * names as long as the schema). */
typedef struct arca_tab_issue {
	const char *file;    /* the display name given to begin_file */
	uint64_t line;       /* 1-based physical line where the record starts */
	const char *field;   /* the schema field, NULL for record-level issues */
	const char *message; /* e.g. "value \"-3\" below min 0" */
	const char *text;    /* "data.csv:17: field \"tenure_months\": value
	                      * \"-3\" below min 0" */
} arca_tab_issue;

/*
 * A validator for schema s (csv or jsonl; s must outlive it), feeding
 * stats (may be NULL; it must have been made for s, not read from JSON)
 * and keeping the first max_errors issues. NULL when out of memory or
 * when s or stats do not fit.
 */
arca_tab *arca_tab_new(const arca_schema *s, arca_stats *stats,
	size_t max_errors);
void arca_tab_free(arca_tab *t);

/* Starts a file; display_name is copied and used in issues. 0, or
 * ARCA_ERROR when out of memory or a file is already open. */
int arca_tab_begin_file(arca_tab *t, const char *display_name);
/* Validates the next len bytes of the open file. */
int arca_tab_feed(arca_tab *t, const void *data, size_t len,
	arca_error *err);
/* Ends the file: its last record need not end with a newline. */
int arca_tab_end_file(arca_tab *t, arca_error *err);

/* Data records seen in all files (header rows and blank lines are not
 * records), records with at least one issue, and all issues (not capped
 * by max_errors). */
uint64_t arca_tab_rows(const arca_tab *t);
uint64_t arca_tab_invalid_rows(const arca_tab *t);
uint64_t arca_tab_error_count(const arca_tab *t);
/* Issues kept (at most max_errors), in input order; borrowed. */
size_t arca_tab_issue_count(const arca_tab *t);
const arca_tab_issue *arca_tab_issue_at(const arca_tab *t, size_t i);

#endif
