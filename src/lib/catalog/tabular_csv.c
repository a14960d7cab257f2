/*
 * CSV (RFC 4180): records are parsed in place from the caller's chunk;
 * only a record split across chunks is copied (the carry). A small
 * scanner with the same state machine as the parser finds where the
 * carried record ends, so a long record costs linear time however it
 * is chunked. Unquoted cells, the common case, are found eight bytes at
 * a time.
 *
 * Cells: an unquoted empty cell is null; "" is an empty string. A quote
 * inside an unquoted cell, or text after a closing quote, is kept as
 * data and reported. A CR before LF ends a line; a lone CR is data.
 */
#include <stdlib.h>
#include <string.h>
#include "catalog/tabular_int.h"

/* Scanner states: start of a cell, unquoted, quoted, quote in quoted. */
enum { S_CELL, S_UNQ, S_QUO, S_QQ };

/* Runs the scanner over [p, end): the position after the LF that ends
 * the record, or NULL (the state is kept in *state). */
static const char *scan(int *state, const char *p, const char *end,
	char delim)
{
	int s = *state;

	for (; p < end; p++) {
		char c = *p;
		if (s == S_QUO) {
			if (c == '"')
				s = S_QQ;
			continue;
		}
		if (s == S_QQ && c == '"') {
			s = S_QUO;
			continue;
		}
		if (c == '\n') {
			*state = S_CELL;
			return p + 1;
		}
		if (c == delim)
			s = S_CELL;
		else if (s == S_CELL && c == '"')
			s = S_QUO;
		else
			s = S_UNQ;
	}
	*state = s;
	return NULL;
}

static void positional(arca_tab *t);

int arca_tab__csv_init(arca_tab *t)
{
	size_t n = t->s->field_count;

	t->stop[(unsigned char)t->s->csv_delimiter] = 1;
	t->stop['\n'] = 1;
	t->stop['"'] = 1;
	t->cells_cap = n + 4;
	t->cells = calloc(t->cells_cap, sizeof(*t->cells));
	t->mapped = calloc(n, sizeof(bool));
	t->colmap = calloc(n, sizeof(long));
	if (!t->cells || !t->mapped || !t->colmap)
		return -1;
	if (!t->s->csv_header)
		positional(t); /* once: no header changes it */
	return 0;
}

static size_t count_nl(const char *p, const char *e)
{
	size_t n = 0;

	while ((p = memchr(p, '\n', (size_t)(e - p)))) {
		n++;
		p++;
	}
	return n;
}

/* A quoted cell from the opening quote at *pp; 0 when more input is
 * needed to finish it. */
static int quoted_cell(arca_tab *t, csv_cell *c, const char **pp,
	const char *end, bool eof)
{
	const char *p = *pp + 1, *q, *j;
	char delim = t->s->csv_delimiter;

	c->quoted = 1;
	c->p = p;
	for (;;) {
		if (!(q = memchr(p, '"', (size_t)(end - p)))) {
			if (!eof)
				return 0;
			t->nl_inside += count_nl(p, end);
			c->len = (size_t)(end - c->p);
			c->bad = CELL_UNTERMINATED;
			*pp = end;
			return 1;
		}
		t->nl_inside += count_nl(p, q);
		if (q + 1 == end && !eof)
			return 0; /* "" or the closing quote? */
		if (q + 1 < end && q[1] == '"') {
			c->esc = 1;
			p = q + 2;
			continue;
		}
		break;
	}
	c->len = (size_t)(q - c->p);
	/* after the closing quote: a delimiter, (CR)LF, or stray text */
	for (j = p = q + 1; p < end && *p != delim && *p != '\n'; p++)
		;
	if (p == end && !eof)
		return 0;
	if (p > j && !(p - j == 1 && *j == '\r'))
		c->bad = CELL_AFTER_QUOTE;
	*pp = p;
	return 1;
}

#if !defined(__BYTE_ORDER__) || __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "the CSV word scanner assumes a little-endian CPU"
#endif

#define ONES 0x0101010101010101ull
#define HIGHS 0x8080808080808080ull

/* High bit set in exactly the bytes of w equal to b's byte (no borrow
 * between bytes, so every match is real, not just the lowest). */
static inline uint64_t bytes_eq(uint64_t w, uint64_t b)
{
	uint64_t x = w ^ b, lows = ~HIGHS;

	return ~(((x & lows) + lows) | x | lows);
}

/*
 * Finds cell ends eight bytes at a time: m holds the (not yet used)
 * delimiter, LF and quote positions of the word at base; each word is
 * loaded once however many short cells it holds.
 */
typedef struct scanner {
	const char *base, *next; /* word of m; where the next word starts */
	uint64_t m;
	uint64_t delim;
	const uint8_t *stop;
} scanner;

static inline void scan_reset(scanner *sc, const char *p)
{
	sc->next = p;
	sc->m = 0;
}

/* The next delimiter, LF or quote, or end. */
static inline const char *scan_next(scanner *sc, const char *end)
{
	uint64_t w;
	const char *q;

	while (!sc->m) {
		if (end - sc->next < 8) {
			for (q = sc->next; q < end && !sc->stop[(uint8_t)*q]; q++)
				;
			sc->next = q < end ? q + 1 : end;
			return q;
		}
		memcpy(&w, sc->next, 8);
		sc->m = bytes_eq(w, sc->delim) | bytes_eq(w, ONES * '\n') |
			bytes_eq(w, ONES * '"');
		sc->base = sc->next;
		sc->next += 8;
	}
	q = sc->base + (__builtin_ctzll(sc->m) >> 3);
	sc->m &= sc->m - 1;
	return q;
}

static int unquoted_cell(scanner *sc, csv_cell *c, const char **pp,
	const char *end, bool eof)
{
	const char *p;

	c->p = *pp;
	if (sc->next < c->p)
		scan_reset(sc, c->p); /* after a quoted cell */
	while ((p = scan_next(sc, end)) < end && *p == '"')
		c->bad = CELL_STRAY_QUOTE; /* kept as data */
	if (p == end && !eof)
		return 0;
	c->len = (size_t)(p - c->p);
	if (c->len && c->p[c->len - 1] == '\r')
		c->len--; /* CRLF */
	*pp = p;
	return 1;
}

/* Splits one record starting at p into t->cells: 1 and *next after its
 * end, 0 when incomplete (eof: the input ends the record), -1 memory. */
static int record(arca_tab *t, const char *p, const char *end, bool eof,
	const char **next)
{
	char delim = t->s->csv_delimiter;
	scanner sc = { p, p, 0, ONES * (uint8_t)delim, t->stop };
	size_t n = 0;

	t->nl_inside = 0;
	t->rec_start = p;
	for (;;) {
		csv_cell *c;
		int r;
		if (n == t->cells_cap) {
			csv_cell *nc = realloc(t->cells, 2 * n * sizeof(*nc));
			if (!nc)
				return -1;
			t->cells = nc;
			t->cells_cap = 2 * n;
		}
		c = &t->cells[n++];
		c->quoted = c->esc = c->bad = 0;
		if (p < end && *p == '"') {
			r = quoted_cell(t, c, &p, end, eof);
			scan_reset(&sc, p); /* its matches are stale */
		} else {
			r = unquoted_cell(&sc, c, &p, end, eof);
		}
		if (r <= 0)
			return r;
		if (p < end && *p == delim) {
			p++;
			continue;
		}
		if (p < end)
			p++; /* the LF */
		break;
	}
	t->ncells = n;
	t->rec_end = *next = p;
	return 1;
}

/* The text of cell c, with doubled quotes undone (in scratch). */
static int cell_text(arca_tab *t, const csv_cell *c, const char **p,
	size_t *len)
{
	char *o;

	if (!c->esc) {
		*p = c->p;
		*len = c->len;
		return 0;
	}
	arca_buf_clear(&t->scratch);
	if (arca_buf_grow(&t->scratch, c->len + 1) < 0)
		return -1;
	o = (char *)t->scratch.data;
	for (size_t i = 0; i < c->len; i++) {
		*o++ = c->p[i];
		if (c->p[i] == '"')
			i++; /* skip the second of "" */
	}
	*p = (const char *)t->scratch.data;
	*len = t->scratch.len = (size_t)(o - *p);
	return 0;
}

static const char *cell_problem(int bad)
{
	switch (bad) {
	case CELL_STRAY_QUOTE: return "quote inside an unquoted value";
	case CELL_AFTER_QUOTE: return "text after a closing quote";
	default: return "quoted value not closed before the end of the file";
	}
}

static int header_cell(arca_tab *t, size_t j)
{
	const csv_cell *c = &t->cells[j];
	const char *p;
	size_t len, bad;
	uint64_t ncp;
	char q[128];
	long fi;

	t->colmap[j] = -1;
	if (cell_text(t, c, &p, &len) < 0)
		return -1;
	arca_tab__quote(q, sizeof(q), p, len);
	if (c->bad)
		arca_tab__issue(t, NULL, "header column %zu: %s", j + 1,
			cell_problem(c->bad));
	else if (arca_tab__utf8(p, len, &ncp, &bad) < 0)
		arca_tab__issue(t, NULL, "header column %zu: invalid UTF-8",
			j + 1);
	else if ((fi = arca_tab__lookup(t, p, len)) < 0) {
		if (!t->s->extra_fields)
			arca_tab__issue(t, NULL, "unknown column %s (the schema "
				"does not allow extra fields)", q);
	} else if (t->mapped[fi]) {
		arca_tab__issue(t, &t->s->fields[fi], "duplicate column %s",
			q);
	} else {
		t->mapped[fi] = true;
		t->colmap[j] = fi;
	}
	return 0;
}

static int header(arca_tab *t)
{
	long *cm;

	if (t->ncells > t->s->field_count &&
		!(cm = realloc(t->colmap, t->ncells * sizeof(long))))
		return -1;
	else if (t->ncells > t->s->field_count)
		t->colmap = cm;
	memset(t->mapped, 0, t->s->field_count * sizeof(bool));
	t->ncols = t->ncells;
	for (size_t j = 0; j < t->ncells; j++)
		if (header_cell(t, j) < 0)
			return -1;
	for (size_t i = 0; i < t->s->field_count; i++)
		if (!t->mapped[i] && t->s->fields[i].required)
			arca_tab__issue(t, &t->s->fields[i], "missing required "
				"column");
	t->header_done = true;
	return 0;
}

/* Positional columns when the file has no header row. */
static void positional(arca_tab *t)
{
	t->ncols = t->s->field_count;
	for (size_t i = 0; i < t->ncols; i++) {
		t->colmap[i] = (long)i;
		t->mapped[i] = true;
	}
}

static void extra_cell(arca_tab *t, const char *p, size_t len, size_t j)
{
	uint64_t ncp;
	size_t bad;

	if (!t->rec_ascii && arca_tab__utf8(p, len, &ncp, &bad) < 0)
		arca_tab__issue(t, NULL, "column %zu: invalid UTF-8", j + 1);
}

static int row(arca_tab *t)
{
	static const tab_val absent = { NULL, 0, TV_ABSENT, 0, 0 };

	arca_tab__row_begin(t);
	/* one pass here spares a UTF-8 check per cell */
	t->rec_ascii = arca_tab__ascii(t->rec_start,
		(size_t)(t->rec_end - t->rec_start));
	if (t->cells[t->ncells - 1].bad == CELL_UNTERMINATED) {
		/* the rest of the file is one cell: its shape means nothing */
		long fi = t->ncells - 1 < t->ncols ? t->colmap[t->ncells - 1] :
			-1;
		arca_tab__issue(t, fi >= 0 ? &t->s->fields[fi] : NULL, "%s",
			cell_problem(CELL_UNTERMINATED));
		arca_tab__row_end(t);
		return 0;
	}
	if (t->ncells != t->ncols) {
		arca_tab__issue(t, NULL, "record has %zu columns, expected %zu",
			t->ncells, t->ncols);
		arca_tab__row_end(t);
		return 0;
	}
	for (size_t j = 0; j < t->ncells; j++) {
		const csv_cell *c = &t->cells[j];
		long fi = t->colmap[j];
		tab_val v = { NULL, 0, TV_TEXT, 0, 0 };

		if (c->bad) {
			arca_tab__issue(t, fi >= 0 ? &t->s->fields[fi] : NULL,
				"%s", cell_problem(c->bad));
			if (fi >= 0 && t->stats)
				arca_stats__invalid(t->stats, (size_t)fi);
			continue;
		}
		if (cell_text(t, c, &v.p, &v.len) < 0)
			return -1;
		if (fi < 0)
			extra_cell(t, v.p, v.len, j);
		else {
			if (!c->quoted && !c->len)
				v.kind = TV_NULL;
			arca_tab__check(t, (size_t)fi, &v);
		}
	}
	for (size_t i = 0; i < t->s->field_count; i++) {
		if (t->mapped[i])
			continue;
		if (!t->s->fields[i].required) {
			arca_tab__check(t, i, &absent);
			continue;
		}
		/* reported once at the header; still an invalid record */
		t->row_bad = true;
		if (t->stats)
			arca_stats__invalid(t->stats, i);
	}
	arca_tab__row_end(t);
	return t->fatal;
}

/* Handles the record now in t->cells, which started at t->line. */
static int handle(arca_tab *t)
{
	int rc = 0;

	t->rec_line = t->line;
	t->line += 1 + t->nl_inside;
	if (t->ncells == 1 && !t->cells[0].quoted && !t->cells[0].len &&
		!t->cells[0].bad)
		return 0; /* blank line */
	if (!t->header_done)
		rc = header(t);
	else
		rc = row(t);
	return rc;
}

static int oom(arca_error *err)
{
	return arca_error_set(err, ARCA_ERROR, "out of memory");
}

/* Finishes the carried record with [p, end): *used bytes taken. */
static int finish_carry(arca_tab *t, const char *p, const char *end,
	size_t *used, arca_error *err)
{
	const char *q = scan(&t->scan, p, end, t->s->csv_delimiter), *next;
	int rc;

	*used = (size_t)((q ? q : end) - p);
	if ((rc = arca_tab__carry(t, p, *used, err)) < 0 || !q)
		return rc;
	if ((rc = record(t, (const char *)t->carry.data,
		(const char *)t->carry.data + t->carry.len, false, &next)) < 0)
		return oom(err);
	if (rc == 0) /* the scanner and the parser disagree: a bug */
		return arca_error_set(err, ARCA_ERROR, "%s:%llu: internal "
			"error in the CSV scanner", t->file,
			(unsigned long long)t->line);
	rc = handle(t);
	arca_buf_clear(&t->carry);
	return rc < 0 ? oom(err) : 0;
}

int arca_tab__csv_feed(arca_tab *t, const char *p, size_t len,
	arca_error *err)
{
	const char *end = p + len, *next;
	size_t used;
	int rc;

	if (t->carry.len) {
		if ((rc = finish_carry(t, p, end, &used, err)) < 0)
			return rc;
		p += used;
	}
	while (p < end) {
		if ((rc = record(t, p, end, false, &next)) < 0)
			return oom(err);
		if (rc == 0) {
			t->scan = S_CELL;
			scan(&t->scan, p, end, t->s->csv_delimiter);
			return arca_tab__carry(t, p, (size_t)(end - p), err);
		}
		if (handle(t) < 0)
			return oom(err);
		p = next;
	}
	return 0;
}

int arca_tab__csv_end(arca_tab *t, arca_error *err)
{
	const char *p = (const char *)t->carry.data, *next;

	if (t->carry.len) {
		if (record(t, p, p + t->carry.len, true, &next) < 0 ||
			handle(t) < 0)
			return oom(err);
	}
	if (!t->header_done) {
		/* an empty file has no header to map the columns */
		t->rec_line = t->line;
		arca_tab__issue(t, NULL, "no header row (the file is empty)");
	}
	return 0;
}
