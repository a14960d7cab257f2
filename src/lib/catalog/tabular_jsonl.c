/*
 * JSONL: one JSON object per line, blank lines ignored. A hand-written
 * scanner checks the full JSON grammar (strings with escapes and
 * surrogate pairs, UTF-8, numbers, nested values) without building a
 * tree: values stay pointers into the line until checked. A line is
 * parsed completely before any of its values is checked, so a syntax
 * error counts the record once and feeds no statistics.
 */
#include <stdlib.h>
#include <string.h>
#include "catalog/tabular_int.h"

#define MAX_DEPTH 64

typedef struct jcur {
	const char *p, *end;
	const char *msg; /* what went wrong, at p */
} jcur;

static bool fail(jcur *c, const char *msg)
{
	c->msg = msg;
	return false;
}

static inline void ws(jcur *c)
{
	while (c->p < c->end && (*c->p == ' ' || *c->p == '\t' ||
		*c->p == '\r'))
		c->p++;
}

int arca_tab__jsonl_init(arca_tab *t)
{
	size_t n = t->s->field_count;

	/* bytes that end the plain run of a string */
	for (int i = 0; i < 256; i++)
		t->stop[i] = i < 0x20 || i >= 0x80 || i == '"' || i == '\\';
	t->vals = calloc(n, sizeof(*t->vals));
	t->seen = calloc(n, sizeof(*t->seen));
	return t->vals && t->seen ? 0 : -1;
}

static bool hex4(const unsigned char *p, const unsigned char *e,
	unsigned *out)
{
	unsigned v = 0;

	if (e - p < 4)
		return false;
	for (int i = 0; i < 4; i++) {
		unsigned c = p[i], d;
		if (c >= '0' && c <= '9')
			d = c - '0';
		else if ((c | 0x20) >= 'a' && (c | 0x20) <= 'f')
			d = (c | 0x20) - 'a' + 10;
		else
			return false;
		v = v * 16 + d;
	}
	*out = v;
	return true;
}

/* One escape at *pp (the backslash); surrogates must come in pairs. */
static bool escape(jcur *c, const unsigned char **pp,
	const unsigned char *e)
{
	const unsigned char *p = *pp;
	unsigned cp, lo;

	c->p = (const char *)p;
	if (e - p < 2)
		return fail(c, "invalid JSON: unterminated string");
	if (p[1] && strchr("\"\\/bfnrt", p[1])) {
		*pp = p + 2;
		return true;
	}
	if (p[1] != 'u' || !hex4(p + 2, e, &cp))
		return fail(c, "invalid JSON: bad escape in a string");
	if (cp >= 0xDC00 && cp <= 0xDFFF)
		return fail(c, "invalid JSON: unpaired surrogate \\u escape");
	if (cp >= 0xD800 && cp <= 0xDBFF) {
		if (e - p < 12 || p[6] != '\\' || p[7] != 'u' ||
			!hex4(p + 8, e, &lo) || lo < 0xDC00 || lo > 0xDFFF)
			return fail(c, "invalid JSON: unpaired surrogate \\u "
				"escape");
		*pp = p + 12;
		return true;
	}
	*pp = p + 6;
	return true;
}

static bool string(arca_tab *t, jcur *c, tab_val *v)
{
	const unsigned char *p = (const unsigned char *)c->p + 1;
	const unsigned char *e = (const unsigned char *)c->end;
	const char *s = (const char *)p;
	uint64_t cont = 0;
	uint8_t esc = 0;
	int n;

	for (;;) {
		while (p < e && !t->stop[*p])
			p++;
		if (p == e) {
			c->p = (const char *)p;
			return fail(c, "invalid JSON: unterminated string");
		}
		if (*p == '"')
			break;
		if (*p == '\\') {
			esc = 1;
			if (!escape(c, &p, e))
				return false;
			continue;
		}
		c->p = (const char *)p;
		if (*p < 0x20)
			return fail(c, "invalid JSON: control character in a "
				"string");
		if (!(n = arca_tab__utf8_seq(p, e)))
			return fail(c, "invalid UTF-8");
		cont += (uint64_t)n - 1;
		p += n;
	}
	v->kind = TV_STR;
	v->p = s;
	v->len = (size_t)((const char *)p - s);
	v->esc = esc;
	v->ncp = v->len - cont;
	c->p = (const char *)p + 1;
	return true;
}

static inline bool digit(const jcur *c)
{
	return c->p < c->end && *c->p >= '0' && *c->p <= '9';
}

static bool number(jcur *c, tab_val *v)
{
	const char *s = c->p;
	bool frac = false;

	if (*c->p == '-')
		c->p++;
	if (!digit(c))
		return fail(c, "invalid JSON: bad number");
	if (*c->p++ != '0')
		while (digit(c))
			c->p++;
	if (c->p < c->end && *c->p == '.') {
		c->p++;
		if (!digit(c))
			return fail(c, "invalid JSON: bad number");
		while (digit(c))
			c->p++;
		frac = true;
	}
	if (c->p < c->end && (*c->p == 'e' || *c->p == 'E')) {
		c->p++;
		if (c->p < c->end && (*c->p == '+' || *c->p == '-'))
			c->p++;
		if (!digit(c))
			return fail(c, "invalid JSON: bad number");
		while (digit(c))
			c->p++;
		frac = true;
	}
	v->kind = TV_NUM;
	v->p = s;
	v->len = (size_t)(c->p - s);
	v->esc = frac;
	return true;
}

static bool literal(jcur *c, tab_val *v, const char *word, int kind)
{
	size_t n = strlen(word);

	if ((size_t)(c->end - c->p) < n || memcmp(c->p, word, n))
		return fail(c, "invalid JSON: expected a value");
	v->kind = (uint8_t)kind;
	v->p = c->p;
	v->len = n;
	c->p += n;
	return true;
}

static bool value(arca_tab *t, jcur *c, tab_val *v, int depth);

/* An object or array, checked and skipped. */
static bool nested(arca_tab *t, jcur *c, int depth)
{
	char close = *c->p == '{' ? '}' : ']';
	tab_val v;

	if (depth >= MAX_DEPTH)
		return fail(c, "invalid JSON: nested too deeply");
	c->p++;
	ws(c);
	if (c->p < c->end && *c->p == close) {
		c->p++;
		return true;
	}
	for (;;) {
		ws(c);
		if (close == '}') {
			if (c->p == c->end || *c->p != '"')
				return fail(c, "invalid JSON: expected a key");
			if (!string(t, c, &v))
				return false;
			ws(c);
			if (c->p == c->end || *c->p != ':')
				return fail(c, "invalid JSON: expected ':'");
			c->p++;
		}
		if (!value(t, c, &v, depth + 1))
			return false;
		ws(c);
		if (c->p < c->end && *c->p == ',') {
			c->p++;
			continue;
		}
		if (c->p < c->end && *c->p == close) {
			c->p++;
			return true;
		}
		return fail(c, close == '}' ? "invalid JSON: expected ',' or "
			"'}'" : "invalid JSON: expected ',' or ']'");
	}
}

static bool value(arca_tab *t, jcur *c, tab_val *v, int depth)
{
	ws(c);
	if (c->p == c->end)
		return fail(c, "invalid JSON: expected a value");
	switch (*c->p) {
	case '"':
		return string(t, c, v);
	case '{':
	case '[':
		v->kind = *c->p == '{' ? TV_OBJ : TV_ARR;
		v->p = c->p;
		if (!nested(t, c, depth))
			return false;
		v->len = (size_t)(c->p - v->p);
		return true;
	case 't':
		return literal(c, v, "true", TV_TRUE);
	case 'f':
		return literal(c, v, "false", TV_FALSE);
	case 'n':
		return literal(c, v, "null", TV_NULL);
	default:
		return number(c, v);
	}
}

/* Remembers a key that is unknown (ncp 0) or repeats field fi (ncp
 * fi + 1), reported once the line has parsed. */
static bool defer_key(arca_tab *t, const tab_val *k, uint64_t mark)
{
	if (t->nunknown == t->unknown_cap) {
		size_t cap = t->unknown_cap ? 2 * t->unknown_cap : 8;
		tab_val *u = realloc(t->unknown, cap * sizeof(*u));
		if (!u)
			return false;
		t->unknown = u;
		t->unknown_cap = cap;
	}
	t->unknown[t->nunknown] = *k;
	t->unknown[t->nunknown++].ncp = mark;
	return true;
}

/* Key text: raw, or unescaped into scratch2. */
static bool key_text(arca_tab *t, const tab_val *k, const char **p,
	size_t *len)
{
	uint64_t ncp;

	if (!k->esc) {
		*p = k->p;
		*len = k->len;
		return true;
	}
	if (arca_tab__json_unescape(&t->scratch2, k->p, k->len, &ncp) < 0)
		return false;
	*p = (const char *)t->scratch2.data;
	*len = t->scratch2.len;
	return true;
}

static bool bind(arca_tab *t, const tab_val *k, const tab_val *v)
{
	const char *p;
	size_t len;
	long fi;

	if (!key_text(t, k, &p, &len))
		return false;
	/* keys mostly come in the same order on every line */
	fi = (long)t->guess;
	if (t->guess >= t->s->field_count ||
		t->fields[fi].name_len != len ||
		memcmp(t->s->fields[fi].name, p, len))
		fi = arca_tab__lookup(t, p, len);
	if (fi < 0)
		return t->s->extra_fields || defer_key(t, k, 0);
	t->guess = (size_t)fi + 1;
	if (t->seen[fi] == t->stamp)
		return defer_key(t, k, (uint64_t)fi + 1);
	t->seen[fi] = t->stamp;
	t->vals[fi] = *v;
	return true;
}

/* The line's object; false with c->msg set (or NULL: out of memory). */
static bool object(arca_tab *t, jcur *c)
{
	tab_val k, v;

	if (*c->p != '{')
		return fail(c, "expected a JSON object");
	c->p++;
	ws(c);
	if (c->p < c->end && *c->p == '}')
		c->p++;
	else
		for (;;) {
			ws(c);
			if (c->p == c->end || *c->p != '"')
				return fail(c, "invalid JSON: expected a key");
			if (!string(t, c, &k))
				return false;
			ws(c);
			if (c->p == c->end || *c->p != ':')
				return fail(c, "invalid JSON: expected ':'");
			c->p++;
			if (!value(t, c, &v, 1))
				return false;
			if (!bind(t, &k, &v))
				return fail(c, NULL);
			ws(c);
			if (c->p < c->end && *c->p == ',') {
				c->p++;
				continue;
			}
			if (c->p < c->end && *c->p == '}') {
				c->p++;
				break;
			}
			return fail(c, "invalid JSON: expected ',' or '}'");
		}
	ws(c);
	return c->p == c->end || fail(c, "invalid JSON: text after the "
		"object");
}

static void report_keys(arca_tab *t)
{
	char q[128];
	const char *p;
	size_t len;

	for (size_t i = 0; i < t->nunknown; i++) {
		const tab_val *k = &t->unknown[i];
		if (!key_text(t, k, &p, &len)) {
			t->fatal = ARCA_ERROR;
			return;
		}
		arca_tab__quote(q, sizeof(q), p, len);
		if (k->ncp)
			arca_tab__issue(t, &t->s->fields[k->ncp - 1],
				"duplicate key");
		else
			arca_tab__issue(t, NULL, "unknown field %s (the schema "
				"does not allow extra fields)", q);
	}
}

static int line(arca_tab *t, const char *p, const char *e)
{
	static const tab_val absent = { NULL, 0, TV_ABSENT, 0, 0 };
	jcur c = { p, e, NULL };

	t->rec_line = t->line++;
	ws(&c);
	if (c.p == e)
		return 0; /* blank line */
	arca_tab__row_begin(t);
	t->stamp++;
	t->nunknown = 0;
	t->guess = 0;
	if (!object(t, &c)) {
		if (!c.msg)
			return ARCA_ERROR;
		arca_tab__issue(t, NULL, "column %zu: %s",
			(size_t)(c.p - p) + 1, c.msg);
		arca_tab__row_end(t);
		return 0;
	}
	report_keys(t);
	for (size_t i = 0; i < t->s->field_count; i++)
		arca_tab__check(t, i, t->seen[i] == t->stamp ? &t->vals[i] :
			&absent);
	arca_tab__row_end(t);
	return t->fatal;
}

static int oom(arca_error *err)
{
	return arca_error_set(err, ARCA_ERROR, "out of memory");
}

int arca_tab__jsonl_feed(arca_tab *t, const char *p, size_t len,
	arca_error *err)
{
	const char *end = p + len, *q;
	int rc;

	if (t->carry.len) {
		q = memchr(p, '\n', len);
		if ((rc = arca_tab__carry(t, p, (size_t)((q ? q : end) - p),
			err)) < 0 || !q)
			return rc;
		if (line(t, (const char *)t->carry.data,
			(const char *)t->carry.data + t->carry.len) < 0)
			return oom(err);
		arca_buf_clear(&t->carry);
		p = q + 1;
	}
	while (p < end) {
		if (!(q = memchr(p, '\n', (size_t)(end - p))))
			return arca_tab__carry(t, p, (size_t)(end - p), err);
		if (line(t, p, q) < 0)
			return oom(err);
		p = q + 1;
	}
	return 0;
}

int arca_tab__jsonl_end(arca_tab *t, arca_error *err)
{
	const char *p = (const char *)t->carry.data;

	if (t->carry.len && line(t, p, p + t->carry.len) < 0)
		return oom(err);
	return 0;
}
