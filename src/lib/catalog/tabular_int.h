/* The inside of arca_tab, shared by tabular*.c. */
#ifndef ARCA_CATALOG_TABULAR_INT_H
#define ARCA_CATALOG_TABULAR_INT_H

#include <stdbool.h>
#include "catalog/tabular.h"
#include "util/buf.h"

/* What a value is, as the parser found it. */
enum {
	TV_ABSENT,  /* no such column/key in this record */
	TV_NULL,    /* empty unquoted CSV cell, JSON null */
	TV_TEXT,    /* CSV cell: decoded bytes, UTF-8 not yet checked */
	TV_STR,     /* JSON string: raw bytes between the quotes, checked */
	TV_NUM,     /* JSON number (esc: has a fraction or exponent) */
	TV_TRUE,
	TV_FALSE,
	TV_OBJ,
	TV_ARR
};

typedef struct tab_val {
	const char *p;
	size_t len;
	uint8_t kind;
	uint8_t esc;    /* TV_STR: has escapes; TV_NUM: not integer-form */
	uint64_t ncp;   /* TV_STR without escapes: code points */
} tab_val;

typedef struct csv_cell {
	const char *p;
	size_t len;
	uint8_t quoted;
	uint8_t esc;    /* has doubled quotes */
	uint8_t bad;    /* CELL_* */
} csv_cell;

enum { CELL_OK, CELL_STRAY_QUOTE, CELL_AFTER_QUOTE, CELL_UNTERMINATED };

/* Per field: enum values hashed once for fast membership tests. */
typedef struct tab_field {
	size_t name_len;
	uint64_t *enum_hash;
	size_t *enum_len;
} tab_field;

struct arca_tab {
	const arca_schema *s;
	arca_stats *stats;
	bool csv;
	size_t max_errors;
	tab_field *fields;
	uint32_t *name_slots;      /* field index + 1, by name hash */
	uint32_t name_mask;

	uint64_t rows, invalid_rows, errors;
	arca_tab_issue *issues;
	size_t nissues, issues_cap;
	char **names;              /* display names, kept for the issues */
	size_t nnames;

	/* the open file */
	bool open;
	const char *file;
	uint64_t line;             /* physical line at the parse position */
	uint64_t rec_line;         /* line where the current record starts */
	uint64_t bytes;
	int bom;                   /* BOM bytes matched; -1 when past it */
	bool row_bad;
	int fatal;                 /* sticky error code */
	arca_buf carry;            /* a record split across chunks */
	int scan;                  /* CSV scanner state at the carry's end */
	arca_buf scratch;          /* unescaped values */
	arca_buf scratch2;         /* unescaped JSON keys */

	bool header_done;          /* CSV: columns are mapped */
	uint8_t stop[256];         /* CSV: bytes ending an unquoted cell;
	                            * JSONL: bytes ending a plain string run */
	/* CSV */
	long *colmap;              /* column -> field index, -1: extra */
	size_t ncols;
	bool *mapped;              /* field has a column */
	csv_cell *cells;
	size_t ncells, cells_cap;
	uint64_t nl_inside;        /* newlines inside quotes of the record */
	const char *rec_start, *rec_end;
	bool rec_ascii;            /* the record is all ASCII (so UTF-8) */

	/* JSONL */
	tab_val *vals;             /* per field, valid where seen == stamp */
	uint64_t *seen;
	uint64_t stamp;
	size_t guess;              /* field expected for the next key */
	tab_val *unknown;          /* keys not in the schema, this line */
	size_t nunknown, unknown_cap;
};

/* Records an issue at the current record; f may be NULL. */
void arca_tab__issue(arca_tab *t, const arca_schema_field *f,
	const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* An issue "value \"<p>\" <fmt...>" (value quoted and shortened). */
void arca_tab__bad_value(arca_tab *t, const arca_schema_field *f,
	const char *p, size_t len, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));
/* Writes p as a short, printable, double-quoted string. */
void arca_tab__quote(char *out, size_t size, const char *p, size_t len);

/* Field index of a name, or -1. */
long arca_tab__lookup(const arca_tab *t, const char *p, size_t len);
/* Checks value v of field fi and feeds the statistics. */
void arca_tab__check(arca_tab *t, size_t fi, const tab_val *v);
/* Opens and closes a record (row counts, statistics). */
void arca_tab__row_begin(arca_tab *t);
void arca_tab__row_end(arca_tab *t);
/* Appends to the carry, refusing records over ARCA_TAB_MAX_RECORD. */
int arca_tab__carry(arca_tab *t, const char *p, size_t len,
	arca_error *err);

/* Parsers (tabular_parse.c). 0, -1 (syntax) or -2 (out of range). */
int arca_tab__parse_int(const char *p, size_t len, int64_t *out);
int arca_tab__parse_dec(const char *p, size_t len, double *out);
int arca_tab__parse_time(const char *p, size_t len, int64_t *us);
/* Length (2-4) of the valid UTF-8 sequence at p, or 0. */
int arca_tab__utf8_seq(const unsigned char *p, const unsigned char *end);
/* Whether [p, p + len) is all ASCII. */
bool arca_tab__ascii(const char *p, size_t len);
/* Validates UTF-8 and counts code points; -1 with *bad = offset of the
 * first bad byte. */
int arca_tab__utf8(const char *p, size_t len, uint64_t *ncp, size_t *bad);
/* Decodes a checked JSON string body into out; sets *ncp. */
int arca_tab__json_unescape(arca_buf *out, const char *p, size_t len,
	uint64_t *ncp);

/* Formats (tabular_csv.c, tabular_jsonl.c). */
int arca_tab__csv_init(arca_tab *t);
int arca_tab__csv_feed(arca_tab *t, const char *p, size_t len,
	arca_error *err);
int arca_tab__csv_end(arca_tab *t, arca_error *err);
int arca_tab__jsonl_init(arca_tab *t);
int arca_tab__jsonl_feed(arca_tab *t, const char *p, size_t len,
	arca_error *err);
int arca_tab__jsonl_end(arca_tab *t, arca_error *err);

#endif
