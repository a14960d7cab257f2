/*
 * Value parsers for the validator: integers, decimals, RFC 3339 times,
 * UTF-8, JSON string escapes. They run once per value, so they avoid
 * strtod/strtoll (and the NUL-terminated copy those need) on the usual
 * short inputs.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "catalog/tabular_int.h"

static inline bool digit(char c)
{
	return c >= '0' && c <= '9';
}

int arca_tab__parse_int(const char *p, size_t len, int64_t *out)
{
	const char *e = p + len;
	bool neg = false;
	uint64_t u = 0;

	if (p < e && (*p == '-' || *p == '+'))
		neg = *p++ == '-';
	if (p == e)
		return -1;
	for (; p < e; p++) {
		unsigned d = (unsigned)(*p - '0');
		if (d > 9)
			return -1;
		if (u > (UINT64_MAX - d) / 10)
			return -2;
		u = u * 10 + d;
	}
	if (neg ? u > (uint64_t)INT64_MAX + 1 : u > (uint64_t)INT64_MAX)
		return -2;
	*out = neg ? (int64_t)(0 - u) : (int64_t)u;
	return 0;
}

static const double pow10[] = { 1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7,
	1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19,
	1e20, 1e21, 1e22 };

/* The exact but slow way, for what the fast path cannot do exactly. */
static int slow_dec(const char *p, size_t len, double *out)
{
	char small[64], *buf = len < sizeof(small) ? small : malloc(len + 1);
	int rc = 0;

	if (!buf)
		return -2;
	memcpy(buf, p, len);
	buf[len] = '\0';
	*out = strtod(buf, NULL);
	if (!isfinite(*out))
		rc = -2;
	if (buf != small)
		free(buf);
	return rc;
}

/* Reads an exponent "[+-]digits" at p; false if malformed. */
static bool exponent(const char **pp, const char *e, int *exp10)
{
	const char *p = *pp;
	bool neg = false;
	int x = 0;

	if (p < e && (*p == '-' || *p == '+'))
		neg = *p++ == '-';
	if (p == e || !digit(*p))
		return false;
	for (; p < e && digit(*p); p++)
		if (x < 100000)
			x = x * 10 + (*p - '0');
	*exp10 += neg ? -x : x;
	*pp = p;
	return true;
}

/*
 * [+-]? (digits [. digits?] | . digits) ([eE] [+-]? digits)?; the value
 * is exact (Clinger's fast path: a mantissa below 2^53 times an exact
 * power of ten) or else from strtod.
 */
int arca_tab__parse_dec(const char *p, size_t len, double *out)
{
	const char *s = p, *e = p + len;
	bool neg = false, any = false, lost = false;
	uint64_t mant = 0;
	int ndig = 0, exp10 = 0;
	double d;

	if (p < e && (*p == '-' || *p == '+'))
		neg = *p++ == '-';
	for (; p < e && digit(*p); p++, any = true) {
		if (ndig < 19) {
			mant = mant * 10 + (uint64_t)(*p - '0');
			ndig += mant != 0;
		} else {
			exp10++;
			lost = true;
		}
	}
	if (p < e && *p == '.')
		for (p++; p < e && digit(*p); p++, any = true) {
			if (ndig < 19) {
				mant = mant * 10 + (uint64_t)(*p - '0');
				ndig += mant != 0;
				exp10--;
			} else {
				lost = true;
			}
		}
	if (!any)
		return -1;
	if (p < e && (*p == 'e' || *p == 'E')) {
		p++;
		if (!exponent(&p, e, &exp10))
			return -1;
	}
	if (p != e)
		return -1;
	if (lost || mant > (1ull << 53) || exp10 < -22 || exp10 > 22)
		return slow_dec(s, len, out);
	d = (double)mant;
	d = exp10 < 0 ? d / pow10[-exp10] : d * pow10[exp10];
	*out = neg ? -d : d;
	return 0;
}

/* Days since 1970-01-01 of a proleptic Gregorian date. */
static int64_t days_from_civil(int64_t y, int m, int d)
{
	int64_t era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

/* n digits at p as a number, or -1. */
static int num(const char *p, int n)
{
	int v = 0;

	for (int i = 0; i < n; i++) {
		if (!digit(p[i]))
			return -1;
		v = v * 10 + (p[i] - '0');
	}
	return v;
}

static int days_in_month(int y, int m)
{
	static const unsigned char dm[] = { 31, 28, 31, 30, 31, 30, 31, 31,
		30, 31, 30, 31 };

	if (m == 2 && (y % 4 == 0 && (y % 100 != 0 || y % 400 == 0)))
		return 29;
	return dm[m - 1];
}

/* "HH:MM:SS[.frac]" then the offset; adds to *us. */
static int parse_clock(const char *p, const char *e, int64_t *us)
{
	int h, mi, s, oh, om, frac = 0, scale = 1000000;

	if (e - p < 8 || p[2] != ':' || p[5] != ':')
		return -1;
	if ((h = num(p, 2)) < 0 || (mi = num(p + 3, 2)) < 0 ||
		(s = num(p + 6, 2)) < 0 || h > 23 || mi > 59 || s > 60)
		return -1;
	p += 8;
	if (p < e && *p == '.') {
		const char *f = ++p;
		for (; p < e && digit(*p); p++)
			if (p - f < 6) {
				frac = frac * 10 + (*p - '0');
				scale /= 10;
			}
		if (p == f || p - f > 9)
			return -1;
		frac *= scale;
	}
	*us += ((int64_t)h * 3600 + mi * 60 + s) * 1000000 + frac;
	if (p == e)
		return 0; /* no offset: read as UTC (documented) */
	if ((*p == 'Z' || *p == 'z') && p + 1 == e)
		return 0;
	if (e - p != 6 || (*p != '+' && *p != '-') || p[3] != ':' ||
		(oh = num(p + 1, 2)) < 0 || (om = num(p + 4, 2)) < 0 ||
		oh > 23 || om > 59)
		return -1;
	*us -= (*p == '-' ? -1 : 1) * ((int64_t)oh * 3600 + om * 60) * 1000000;
	return 0;
}

int arca_tab__parse_time(const char *p, size_t len, int64_t *us)
{
	const char *e = p + len;
	int y, m, d;

	if (len < 10 || p[4] != '-' || p[7] != '-')
		return -1;
	if ((y = num(p, 4)) < 0 || (m = num(p + 5, 2)) < 1 || m > 12 ||
		(d = num(p + 8, 2)) < 1 || d > days_in_month(y, m))
		return -1;
	*us = days_from_civil(y, m, d) * 86400 * 1000000;
	if (len == 10)
		return 0;
	if (p[10] != 'T' && p[10] != 't' && p[10] != ' ')
		return -1;
	return parse_clock(p + 11, e, us);
}

int arca_tab__utf8_seq(const unsigned char *p, const unsigned char *end)
{
	unsigned c = p[0];
	ptrdiff_t room = end - p;

	if (c < 0xC2 || c > 0xF4)
		return 0; /* ASCII is not a sequence; C0/C1 are overlong */
	if (room < 2 || (p[1] & 0xC0) != 0x80)
		return 0;
	if (c < 0xE0)
		return 2;
	if (room < 3 || (p[2] & 0xC0) != 0x80 ||
		(c == 0xE0 && p[1] < 0xA0) ||  /* overlong */
		(c == 0xED && p[1] >= 0xA0))   /* surrogates */
		return 0;
	if (c < 0xF0)
		return 3;
	if (room < 4 || (p[3] & 0xC0) != 0x80 ||
		(c == 0xF0 && p[1] < 0x90) ||  /* overlong */
		(c == 0xF4 && p[1] >= 0x90))   /* above U+10FFFF */
		return 0;
	return 4;
}

bool arca_tab__ascii(const char *p, size_t len)
{
	uint64_t w, acc = 0;
	size_t i = 0;

	for (; i + 8 <= len; i += 8) {
		memcpy(&w, p + i, 8);
		acc |= w;
	}
	for (; i < len; i++)
		acc |= (unsigned char)p[i];
	return !(acc & 0x8080808080808080ull);
}

int arca_tab__utf8(const char *p, size_t len, uint64_t *ncp, size_t *bad)
{
	const unsigned char *s = (const unsigned char *)p, *e = s + len;
	uint64_t n = 0, w;

	while (s < e) {
		/* ASCII eight bytes at a time */
		while (e - s >= 8) {
			memcpy(&w, s, 8);
			if (w & 0x8080808080808080ull)
				break;
			s += 8;
			n += 8;
		}
		if (s == e)
			break;
		if (*s < 0x80) {
			s++;
			n++;
			continue;
		}
		int k = arca_tab__utf8_seq(s, e);
		if (!k) {
			*bad = (size_t)(s - (const unsigned char *)p);
			return -1;
		}
		s += k;
		n++;
	}
	*ncp = n;
	return 0;
}

static unsigned hex4(const char *p)
{
	unsigned v = 0;

	for (int i = 0; i < 4; i++) {
		char c = p[i];
		v = v * 16 + (unsigned)(c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10);
	}
	return v;
}

static size_t put_utf8(char *o, unsigned cp)
{
	if (cp < 0x80) {
		o[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		o[0] = (char)(0xC0 | cp >> 6);
		o[1] = (char)(0x80 | (cp & 0x3F));
		return 2;
	}
	if (cp < 0x10000) {
		o[0] = (char)(0xE0 | cp >> 12);
		o[1] = (char)(0x80 | (cp >> 6 & 0x3F));
		o[2] = (char)(0x80 | (cp & 0x3F));
		return 3;
	}
	o[0] = (char)(0xF0 | cp >> 18);
	o[1] = (char)(0x80 | (cp >> 12 & 0x3F));
	o[2] = (char)(0x80 | (cp >> 6 & 0x3F));
	o[3] = (char)(0x80 | (cp & 0x3F));
	return 4;
}

int arca_tab__json_unescape(arca_buf *out, const char *p, size_t len,
	uint64_t *ncp)
{
	const char *e = p + len;
	uint64_t n = 0;
	char *o;

	arca_buf_clear(out);
	/* decoding never grows the text */
	if (arca_buf_grow(out, len + 1) < 0)
		return ARCA_ERROR;
	o = (char *)out->data;
	while (p < e) {
		unsigned cp;
		if (*p != '\\') {
			n += ((unsigned char)*p & 0xC0) != 0x80;
			*o++ = *p++;
			continue;
		}
		n++;
		switch (p[1]) {
		case 'b': *o++ = '\b'; p += 2; continue;
		case 'f': *o++ = '\f'; p += 2; continue;
		case 'n': *o++ = '\n'; p += 2; continue;
		case 'r': *o++ = '\r'; p += 2; continue;
		case 't': *o++ = '\t'; p += 2; continue;
		case 'u': break;
		default: *o++ = p[1]; p += 2; continue;
		}
		cp = hex4(p + 2);
		p += 6;
		/* the scanner checked that a high surrogate has its pair */
		if (cp >= 0xD800 && cp < 0xDC00) {
			cp = 0x10000 + ((cp - 0xD800) << 10) +
				(hex4(p + 2) - 0xDC00);
			p += 6;
		}
		o += put_utf8(o, cp);
	}
	out->len = (size_t)(o - (char *)out->data);
	*ncp = n;
	return 0;
}
