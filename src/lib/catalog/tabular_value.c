/*
 * One value against its field: presence, type, constraints; valid values
 * go to the statistics, invalid ones to an issue and the field's
 * "invalid" count.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include "catalog/stats_int.h"
#include "catalog/tabular_int.h"

static const char *kind_name(int kind)
{
	switch (kind) {
	case TV_TEXT: case TV_STR: return "a string";
	case TV_NUM: return "a number";
	case TV_TRUE: case TV_FALSE: return "a boolean";
	case TV_OBJ: return "an object";
	case TV_ARR: return "an array";
	}
	return "null";
}

static void invalid(arca_tab *t, size_t fi)
{
	if (t->stats)
		arca_stats__invalid(t->stats, fi);
}

static void wrong_kind(arca_tab *t, size_t fi, const tab_val *v,
	const char *want)
{
	arca_tab__issue(t, &t->s->fields[fi], "expected %s, got %s", want,
		kind_name(v->kind));
	invalid(t, fi);
}

/* The decoded text of a string-like value; false after an issue. */
static bool text_of(arca_tab *t, size_t fi, const tab_val *v,
	const char **p, size_t *len, uint64_t *ncp)
{
	size_t bad;

	if (v->kind == TV_STR && v->esc) {
		if (arca_tab__json_unescape(&t->scratch, v->p, v->len, ncp) < 0) {
			t->fatal = ARCA_ERROR;
			return false;
		}
		*p = (const char *)t->scratch.data;
		*len = t->scratch.len;
		return true;
	}
	*p = v->p;
	*len = v->len;
	if (v->kind == TV_STR) {
		*ncp = v->ncp; /* checked by the JSON scanner */
		return true;
	}
	if (t->csv && t->rec_ascii) {
		*ncp = v->len;
		return true;
	}
	if (arca_tab__utf8(v->p, v->len, ncp, &bad) < 0) {
		arca_tab__issue(t, &t->s->fields[fi], "invalid UTF-8 (byte "
			"0x%02X at offset %zu)", (unsigned char)v->p[bad], bad);
		invalid(t, fi);
		return false;
	}
	return true;
}

static bool in_enum(const arca_tab *t, size_t fi, const char *p,
	size_t len, uint64_t h)
{
	const arca_schema_field *f = &t->s->fields[fi];
	const tab_field *tf = &t->fields[fi];

	for (size_t k = 0; k < f->enum_count; k++)
		if (tf->enum_hash[k] == h && tf->enum_len[k] == len &&
			arca_stats__same(f->enum_values[k], p, len))
			return true;
	return false;
}

static void enum_list(char *out, size_t size, const arca_schema_field *f)
{
	size_t o = 0;

	for (size_t k = 0; k < f->enum_count && o + 8 < size; k++) {
		int n = snprintf(out + o, size - o, "%s%s", k ? ", " : "",
			f->enum_values[k]);
		if (n < 0 || o + (size_t)n >= size - 4) {
			snprintf(out + o, size - o, ", ...");
			return;
		}
		o += (size_t)n;
	}
}

static void check_string(arca_tab *t, size_t fi, const tab_val *v)
{
	const arca_schema_field *f = &t->s->fields[fi];
	const char *p;
	size_t len;
	uint64_t ncp, h;
	char list[200];

	if (v->kind != TV_TEXT && v->kind != TV_STR) {
		wrong_kind(t, fi, v, "a string");
		return;
	}
	if (!text_of(t, fi, v, &p, &len, &ncp))
		return;
	if ((f->has & ARCA_FIELD_HAS_MAX_LENGTH) && ncp > f->max_length) {
		arca_tab__bad_value(t, f, p, len, "is %" PRIu64 " characters "
			"long, max_length %" PRIu64, ncp, f->max_length);
		invalid(t, fi);
		return;
	}
	h = arca_stats__hash(p, len);
	if (f->enum_count && !in_enum(t, fi, p, len, h)) {
		enum_list(list, sizeof(list), f);
		arca_tab__bad_value(t, f, p, len, "not in enum [%s]", list);
		invalid(t, fi);
		return;
	}
	if (t->stats && arca_stats__str(t->stats, fi, p, len, ncp, h) < 0)
		t->fatal = ARCA_ERROR;
}

static void check_integer(arca_tab *t, size_t fi, const tab_val *v)
{
	const arca_schema_field *f = &t->s->fields[fi];
	int64_t x;
	int rc;

	if (v->kind != TV_TEXT && v->kind != TV_NUM) {
		wrong_kind(t, fi, v, "an integer");
		return;
	}
	rc = v->kind == TV_NUM && v->esc ? -1 :
		arca_tab__parse_int(v->p, v->len, &x);
	if (rc < 0) {
		arca_tab__bad_value(t, f, v->p, v->len, rc == -2 ?
			"is out of range for a 64-bit integer" :
			"is not an integer");
		invalid(t, fi);
		return;
	}
	if ((f->has & ARCA_FIELD_HAS_MIN) && x < f->min_i) {
		arca_tab__bad_value(t, f, v->p, v->len, "below min %" PRId64,
			f->min_i);
		invalid(t, fi);
		return;
	}
	if ((f->has & ARCA_FIELD_HAS_MAX) && x > f->max_i) {
		arca_tab__bad_value(t, f, v->p, v->len, "above max %" PRId64,
			f->max_i);
		invalid(t, fi);
		return;
	}
	if (t->stats && arca_stats__int(t->stats, fi, x) < 0)
		t->fatal = ARCA_ERROR;
}

static void check_decimal(arca_tab *t, size_t fi, const tab_val *v)
{
	const arca_schema_field *f = &t->s->fields[fi];
	char b[32];
	double x;
	int rc;

	if (v->kind != TV_TEXT && v->kind != TV_NUM) {
		wrong_kind(t, fi, v, "a decimal number");
		return;
	}
	if ((rc = arca_tab__parse_dec(v->p, v->len, &x)) < 0) {
		arca_tab__bad_value(t, f, v->p, v->len, rc == -2 ?
			"is out of range" : "is not a decimal number");
		invalid(t, fi);
		return;
	}
	if ((f->has & ARCA_FIELD_HAS_MIN) && x < f->min_d) {
		arca_schema__dec_format(b, f->min_d, 0);
		arca_tab__bad_value(t, f, v->p, v->len, "below min %s", b);
		invalid(t, fi);
		return;
	}
	if ((f->has & ARCA_FIELD_HAS_MAX) && x > f->max_d) {
		arca_schema__dec_format(b, f->max_d, 0);
		arca_tab__bad_value(t, f, v->p, v->len, "above max %s", b);
		invalid(t, fi);
		return;
	}
	if (t->stats && arca_stats__dec(t->stats, fi, x) < 0)
		t->fatal = ARCA_ERROR;
}

/* Whether p (len bytes) is word (lower case) in any case. */
static bool word_ci(const char *p, size_t len, const char *word)
{
	for (size_t i = 0; i < len; i++)
		if ((p[i] | 0x20) != word[i])
			return false;
	return !word[len];
}

/* CSV booleans: true/false in any case, or 1/0. */
static int csv_bool(const char *p, size_t len)
{
	if (len == 1 && (*p == '1' || *p == '0'))
		return *p == '1';
	if (len == 4 && word_ci(p, len, "true"))
		return 1;
	if (len == 5 && word_ci(p, len, "false"))
		return 0;
	return -1;
}

static void check_boolean(arca_tab *t, size_t fi, const tab_val *v)
{
	int b;

	if (v->kind == TV_TRUE || v->kind == TV_FALSE) {
		b = v->kind == TV_TRUE;
	} else if (v->kind == TV_TEXT) {
		if ((b = csv_bool(v->p, v->len)) < 0) {
			arca_tab__bad_value(t, &t->s->fields[fi], v->p, v->len,
				"is not a boolean (true, false, 1 or 0)");
			invalid(t, fi);
			return;
		}
	} else {
		wrong_kind(t, fi, v, "a boolean");
		return;
	}
	if (t->stats)
		arca_stats__bool(t->stats, fi, b);
}

static void check_timestamp(arca_tab *t, size_t fi, const tab_val *v)
{
	const char *p;
	size_t len;
	uint64_t ncp;
	int64_t us;

	if (v->kind != TV_TEXT && v->kind != TV_STR) {
		wrong_kind(t, fi, v, "a timestamp string");
		return;
	}
	if (!text_of(t, fi, v, &p, &len, &ncp))
		return;
	if (arca_tab__parse_time(p, len, &us) < 0) {
		arca_tab__bad_value(t, &t->s->fields[fi], p, len, "is not an "
			"RFC 3339 timestamp or date");
		invalid(t, fi);
		return;
	}
	if (t->stats && arca_stats__time(t->stats, fi, us) < 0)
		t->fatal = ARCA_ERROR;
}

void arca_tab__check(arca_tab *t, size_t fi, const tab_val *v)
{
	const arca_schema_field *f = &t->s->fields[fi];

	if (v->kind == TV_ABSENT || v->kind == TV_NULL) {
		if (v->kind == TV_ABSENT && f->required) {
			arca_tab__issue(t, f, "missing required field");
			invalid(t, fi);
			return;
		}
		if (v->kind == TV_NULL && !f->nullable) {
			arca_tab__issue(t, f, t->csv ? "empty value, field is "
				"not nullable" : "null value, field is not "
				"nullable");
			invalid(t, fi);
			return;
		}
		if (t->stats)
			arca_stats__null(t->stats, fi);
		return;
	}
	switch (f->type) {
	case ARCA_FIELD_STRING: check_string(t, fi, v); break;
	case ARCA_FIELD_INTEGER: check_integer(t, fi, v); break;
	case ARCA_FIELD_DECIMAL: check_decimal(t, fi, v); break;
	case ARCA_FIELD_BOOLEAN: check_boolean(t, fi, v); break;
	case ARCA_FIELD_TIMESTAMP: check_timestamp(t, fi, v); break;
	}
}
