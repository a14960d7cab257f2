/*
 * The value grammar of templates (formats/template.md "Values"):
 * integers, exact decimals, durations, sizes, names and references.
 * Decimals never go through a double: they are kept and compared as
 * decimal text.
 */
#include <errno.h>
#include <math.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "repo/repo.h"
#include "run/template_int.h"

#define DIGITS "0123456789"
#define ALNUM "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ" DIGITS

static int is_alpha(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

const char *arca_template__type_name(arca_param_type type)
{
	switch (type) {
	case ARCA_PARAM_STRING: return "string";
	case ARCA_PARAM_INTEGER: return "integer";
	case ARCA_PARAM_DECIMAL: return "decimal";
	case ARCA_PARAM_BOOLEAN: return "boolean";
	case ARCA_PARAM_ENUM: return "enum";
	case ARCA_PARAM_DURATION: return "duration";
	case ARCA_PARAM_SIZE: return "size";
	case ARCA_PARAM_DATASET: return "dataset";
	}
	return "?";
}

const char *arca_template__type_expect(arca_param_type type)
{
	switch (type) {
	case ARCA_PARAM_STRING: return "a string";
	case ARCA_PARAM_INTEGER: return "a whole number such as 42 or -3";
	case ARCA_PARAM_DECIMAL: return "a decimal number such as 0.25";
	case ARCA_PARAM_BOOLEAN: return "true or false";
	case ARCA_PARAM_ENUM: return "one of the listed values";
	case ARCA_PARAM_DURATION:
		return "a duration such as 90s, 15m, 2h, 1h30m or 1d";
	case ARCA_PARAM_SIZE:
		return "a size such as 4096, 100KB, 64MiB or 1GiB";
	case ARCA_PARAM_DATASET:
		return "a dataset reference NAME, NAME@latest, NAME@N or "
			"NAME@TAG";
	}
	return "?";
}

int arca_template__parse_int(const char *s, int64_t *out)
{
	const char *d = s + (*s == '-' || *s == '+');
	char *end;
	long long v;

	if (!*d || strspn(d, DIGITS) != strlen(d))
		return -1;
	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno == ERANGE)
		return -2;
	*out = v;
	return 0;
}

/* a * m + b without overflow past INT64_MAX (all non-negative). */
static int mul_add(int64_t *acc, int64_t a, int64_t m, int64_t b)
{
	if (a > (INT64_MAX - b) / m)
		return -2;
	*acc = a * m + b;
	return 0;
}

int arca_template__parse_duration(const char *s, int64_t *seconds)
{
	static const char units[] = "dhms";
	static const int64_t mult[] = { 86400, 3600, 60, 1 };
	int64_t total = 0, n;
	int next = 0; /* units must come in the order d, h, m, s */

	if (!*s)
		return -1;
	if (strspn(s, DIGITS) == strlen(s)) /* plain seconds */
		return arca_template__parse_int(s, seconds) < 0 ? -2 : 0;
	while (*s) {
		size_t nd = strspn(s, DIGITS);
		const char *u;
		char num[32];

		if (!nd || nd >= sizeof(num) || !s[nd] ||
			!(u = strchr(units + next, s[nd])))
			return -1;
		memcpy(num, s, nd);
		num[nd] = '\0';
		if (arca_template__parse_int(num, &n) < 0 ||
			mul_add(&n, n, mult[u - units], 0) < 0 ||
			mul_add(&total, total, 1, n) < 0)
			return -2;
		next = (int)(u - units) + 1;
		s += nd + 1;
	}
	*seconds = total;
	return 0;
}

int arca_template__parse_size(const char *s, int64_t *bytes)
{
	static const struct { const char *u; int64_t m; } units[] = {
		{ "", 1 }, { "B", 1 },
		{ "KB", 1000 }, { "MB", 1000000 }, { "GB", 1000000000 },
		{ "TB", 1000000000000 },
		{ "KiB", 1LL << 10 }, { "MiB", 1LL << 20 }, { "GiB", 1LL << 30 },
		{ "TiB", 1LL << 40 },
	};
	size_t nd = strspn(s, DIGITS);
	char num[32];
	int64_t n;

	if (!nd || nd >= sizeof(num))
		return nd ? -2 : -1;
	for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
		if (strcmp(s + nd, units[i].u))
			continue;
		memcpy(num, s, nd);
		num[nd] = '\0';
		if (arca_template__parse_int(num, &n) < 0 ||
			mul_add(bytes, n, units[i].m, 0) < 0)
			return -2;
		return 0;
	}
	return -1;
}

int arca_template__parse_decimal(const char *s, char **canon)
{
	const char *p = s, *ip, *fp = "";
	size_t ni, nf = 0, len;
	long e = 0;
	int neg = 0;
	char *digits, *out;

	if (strlen(s) > 400)
		return -2;
	if (*p == '-' || *p == '+')
		neg = *p++ == '-';
	ip = p;
	ni = strspn(p, DIGITS);
	p += ni;
	if (*p == '.') {
		fp = ++p;
		nf = strspn(p, DIGITS);
		p += nf;
	}
	if (!ni && !nf)
		return -1;
	if (*p == 'e' || *p == 'E') {
		const char *q = ++p;
		q += (*q == '-' || *q == '+');
		if (!*q || strspn(q, DIGITS) != strlen(q) || strlen(q) > 4)
			return strlen(q) > 4 && strspn(q, DIGITS) ==
				strlen(q) ? -2 : -1;
		e = strtol(p, NULL, 10);
		p += strlen(p);
	}
	if (*p)
		return -1;
	/* all digits in a row; the point sits after ni + e of them */
	len = ni + nf;
	if (!(digits = malloc(len + 1)))
		return -2;
	memcpy(digits, ip, ni);
	memcpy(digits + ni, fp, nf);
	digits[len] = '\0';
	{
		long point = (long)ni + e, nfrac;
		size_t lead = 0, cap, o = 0;

		/* the fractional digits as written, shifted by the exponent */
		nfrac = (long)len - point;
		if (nfrac < 0)
			nfrac = 0;
		cap = (size_t)(point > 0 ? point : 0) + (size_t)nfrac + 4 +
			(size_t)(point < 0 ? -point : 0);
		if (cap > 2000 || !(out = malloc(cap + 2))) {
			free(digits);
			return -2;
		}
		out[o++] = '-';
		/* integer part: digits[0 .. point) padded with zeros */
		for (long i = 0; i < point; i++) {
			char c = i < (long)len ? digits[i] : '0';
			if (c == '0' && !lead)
				continue; /* no leading zeros */
			lead = 1;
			out[o++] = c;
		}
		if (!lead)
			out[o++] = '0';
		if (nfrac > 0) {
			out[o++] = '.';
			for (long i = point; i < (long)len; i++)
				out[o++] = i < 0 ? '0' : digits[i];
		}
		out[o] = '\0';
	}
	free(digits);
	/* "-0" and "-0.00" are zero, and zero has no sign */
	if (!neg || strspn(out + 1, "0.") == strlen(out + 1))
		memmove(out, out + 1, strlen(out));
	*canon = out;
	return 0;
}

int arca_template__dec_cmp(const char *a, const char *b)
{
	int na = *a == '-', nb = *b == '-', sign, c = 0;
	const char *ia = a + na, *ib = b + nb, *fa, *fb;
	size_t la = strcspn(ia, "."), lb = strcspn(ib, ".");

	if (na != nb)
		return na ? -1 : 1;
	sign = na ? -1 : 1;
	if (la != lb)
		return la < lb ? -sign : sign;
	if ((c = strncmp(ia, ib, la)))
		return c < 0 ? -sign : sign;
	fa = ia[la] ? ia + la + 1 : "";
	fb = ib[lb] ? ib + lb + 1 : "";
	while (*fa || *fb) {
		char x = *fa ? *fa++ : '0', y = *fb ? *fb++ : '0';
		if (x != y)
			return x < y ? -sign : sign;
	}
	return 0;
}

const char *arca_template__real_text(char *buf, size_t size, double d)
{
	char tmp[40], digs[24], out[64];
	int prec, exp10, k = 0, n;
	size_t o;
	char *e;

	if (!isfinite(d)) {
		snprintf(buf, size, "%s", isnan(d) ? "NaN" : d < 0 ?
			"-Infinity" : "Infinity");
		return buf;
	}
	if (d == 0) {
		snprintf(buf, size, "0");
		return buf;
	}
	/* the fewest significant digits that read back to the same double */
	for (prec = 0; prec < 17; prec++) {
		snprintf(tmp, sizeof(tmp), "%.*e", prec, d);
		if (strtod(tmp, NULL) == d)
			break;
	}
	e = strchr(tmp, 'e');
	exp10 = atoi(e + 1);
	for (const char *p = tmp; p < e; p++)
		if (*p >= '0' && *p <= '9')
			digs[k++] = *p;
	while (k > 1 && digs[k - 1] == '0')
		k--;
	digs[k] = '\0';
	n = exp10 + 1; /* where the point goes, relative to digs */
	o = 0;
	if (d < 0)
		out[o++] = '-';
	if (k <= n && n <= 21) { /* 1200 */
		for (int i = 0; i < n; i++)
			out[o++] = i < k ? digs[i] : '0';
	} else if (0 < n && n <= 21) { /* 12.5 */
		for (int i = 0; i < k; i++) {
			if (i == n)
				out[o++] = '.';
			out[o++] = digs[i];
		}
	} else if (-6 < n && n <= 0) { /* 0.00125 */
		out[o++] = '0';
		out[o++] = '.';
		for (int i = 0; i < -n; i++)
			out[o++] = '0';
		for (int i = 0; i < k; i++)
			out[o++] = digs[i];
	} else { /* 1.25e-7, 1e+21 */
		out[o++] = digs[0];
		if (k > 1)
			out[o++] = '.';
		for (int i = 1; i < k; i++)
			out[o++] = digs[i];
		o += (size_t)snprintf(out + o, sizeof(out) - o, "e%c%d",
			n - 1 < 0 ? '-' : '+', abs(n - 1));
	}
	out[o] = '\0';
	snprintf(buf, size, "%s", out);
	return buf;
}

int arca_template__ident_valid(const char *s)
{
	size_t n = strlen(s);

	return n && n <= 64 && is_alpha(s[0]) &&
		strspn(s, ALNUM "_-") == n;
}

int arca_template__env_name_valid(const char *s)
{
	size_t n = strlen(s);

	return n && n <= 128 && (is_alpha(s[0]) || s[0] == '_') &&
		strspn(s, ALNUM "_") == n;
}

/* A numeric identifier: digits, no leading zero unless alone. */
static int semver_num(const char *s, size_t n)
{
	return n && n < 10 && strspn(s, DIGITS) >= n && !(n > 1 && s[0] == '0');
}

int arca_template__semver_valid(const char *s)
{
	const char *p = s;

	for (int i = 0; i < 3; i++) {
		size_t n = strspn(p, DIGITS);
		if (!semver_num(p, n))
			return 0;
		p += n;
		if (i < 2 && *p++ != '.')
			return 0;
	}
	if (!*p)
		return 1;
	if (*p++ != '-')
		return 0;
	/* dot-separated identifiers of [0-9A-Za-z-] */
	for (;;) {
		size_t n = strspn(p, ALNUM "-");
		if (!n || (strspn(p, DIGITS) == n && n > 1 && p[0] == '0'))
			return 0;
		p += n;
		if (!*p)
			return strlen(s) <= 128;
		if (*p++ != '.')
			return 0;
	}
}

int arca_template__dataset_ref_valid(const char *s)
{
	const char *at = strchr(s, '@');
	char name[128];
	size_t n = at ? (size_t)(at - s) : strlen(s), m;

	if (n >= sizeof(name))
		return 0;
	memcpy(name, s, n);
	name[n] = '\0';
	if (!arca_repo__dataset_name_valid(name))
		return 0;
	if (!at)
		return 1;
	at++;
	m = strlen(at);
	if (!strcmp(at, "latest"))
		return 1;
	if (m && strspn(at, DIGITS) == m)
		return m < 18 && at[0] != '0';
	if (!strncmp(at, "sha256:", 7))
		return m >= 11 && m <= 71 &&
			strspn(at + 7, DIGITS "abcdef") == m - 7;
	/* a tag */
	return m && m <= 64 && strspn(at, ALNUM "._-") == m &&
		strspn(at, ALNUM) && at[m - 1] != '.' && !strstr(at, "..");
}

/* Canonical number text of a numeric type's value, or an error. */
static int number(char **out, arca_param_type type, const char *text,
	char *why, size_t whysize)
{
	int64_t v;
	int rc;

	switch (type) {
	case ARCA_PARAM_DECIMAL:
		if ((rc = arca_template__parse_decimal(text, out)) == 0)
			return 0;
		break;
	case ARCA_PARAM_INTEGER:
		rc = arca_template__parse_int(text, &v);
		break;
	case ARCA_PARAM_DURATION:
		rc = arca_template__parse_duration(text, &v);
		break;
	case ARCA_PARAM_SIZE:
		rc = arca_template__parse_size(text, &v);
		break;
	default:
		rc = -1;
		break;
	}
	if (rc == -2) {
		snprintf(why, whysize, "out of range (expected %s%s)",
			arca_template__type_expect(type),
			type == ARCA_PARAM_DECIMAL ? " of at most 400 characters" :
			" of at most 2^63-1");
		return ARCA_EINVALID;
	}
	if (rc < 0) {
		snprintf(why, whysize, "not %s %s (expected %s)",
			type == ARCA_PARAM_INTEGER ? "an" : "a",
			arca_template__type_name(type),
			arca_template__type_expect(type));
		return ARCA_EINVALID;
	}
	if (type != ARCA_PARAM_DECIMAL &&
		asprintf(out, "%lld", (long long)v) < 0) {
		snprintf(why, whysize, "out of memory");
		return ARCA_ERROR;
	}
	return 0;
}

int arca_template__bound(char **out, arca_param_type type, const char *text,
	char *why, size_t whysize)
{
	return number(out, type, text, why, whysize);
}

static int check_pattern(const char *pattern, const char *text, char *why,
	size_t whysize)
{
	regex_t re;
	int rc;

	if (regcomp(&re, pattern, REG_EXTENDED | REG_NOSUB)) {
		snprintf(why, whysize, "the pattern \"%s\" is not a valid "
			"POSIX extended regular expression", pattern);
		return ARCA_EINVALID;
	}
	rc = regexec(&re, text, 0, NULL, 0);
	regfree(&re);
	if (rc) {
		snprintf(why, whysize, "not a match for the pattern \"%s\" "
			"(expected a string matching it)", pattern);
		return ARCA_EINVALID;
	}
	return 0;
}

/* min <= canon <= max, for numeric types. */
static int check_range(const arca_template_param *p, const char *canon,
	char *why, size_t whysize)
{
	const char *unit = p->type == ARCA_PARAM_DURATION ? " s" :
		p->type == ARCA_PARAM_SIZE ? " bytes" : "";

	if (p->has_min && p->has_max && (arca_template__dec_cmp(canon,
		p->min) < 0 || arca_template__dec_cmp(canon, p->max) > 0)) {
		snprintf(why, whysize, "out of range (expected %s%s to %s%s)",
			p->min, unit, p->max, unit);
		return ARCA_EINVALID;
	}
	if (p->has_min && arca_template__dec_cmp(canon, p->min) < 0) {
		snprintf(why, whysize, "below the minimum (expected at least "
			"%s%s)", p->min, unit);
		return ARCA_EINVALID;
	}
	if (p->has_max && arca_template__dec_cmp(canon, p->max) > 0) {
		snprintf(why, whysize, "above the maximum (expected at most "
			"%s%s)", p->max, unit);
		return ARCA_EINVALID;
	}
	return 0;
}

int arca_template__value(json_t **out, const arca_template_param *p,
	const char *text, char *why, size_t whysize)
{
	char *canon = NULL;
	int rc;

	*out = NULL;
	switch (p->type) {
	case ARCA_PARAM_BOOLEAN:
		/* YAML 1.2 core spellings */
		if (!strcmp(text, "true") || !strcmp(text, "True") ||
			!strcmp(text, "TRUE") || !strcmp(text, "false") ||
			!strcmp(text, "False") || !strcmp(text, "FALSE")) {
			*out = json_boolean(text[0] == 't' || text[0] == 'T');
			break;
		}
		snprintf(why, whysize, "not a boolean (expected true or "
			"false)");
		return ARCA_EINVALID;
	case ARCA_PARAM_ENUM: {
		char list[512];
		size_t used = 0;
		for (size_t i = 0; p->values && p->values[i]; i++)
			if (!strcmp(p->values[i], text)) {
				*out = json_string(text);
				goto done;
			}
		list[0] = '\0';
		for (size_t i = 0; p->values && p->values[i] &&
			used < sizeof(list); i++) {
			int n = snprintf(list + used, sizeof(list) - used,
				"%s%s", i ? ", " : "", p->values[i]);
			used += n > 0 ? (size_t)n : 0;
		}
		snprintf(why, whysize, "not allowed (expected one of: %s)",
			list);
		return ARCA_EINVALID;
	}
	case ARCA_PARAM_STRING:
		if (p->pattern && (rc = check_pattern(p->pattern, text, why,
			whysize)) < 0)
			return rc;
		*out = json_string(text);
		break;
	case ARCA_PARAM_DATASET:
		if (!arca_template__dataset_ref_valid(text)) {
			snprintf(why, whysize, "not a dataset reference "
				"(expected %s)",
				arca_template__type_expect(p->type));
			return ARCA_EINVALID;
		}
		*out = json_string(text);
		break;
	default:
		if ((rc = number(&canon, p->type, text, why, whysize)) < 0)
			return rc;
		if ((rc = check_range(p, canon, why, whysize)) < 0) {
			free(canon);
			return rc;
		}
		if (p->type == ARCA_PARAM_DECIMAL)
			*out = json_string(canon);
		else
			*out = json_integer(strtoll(canon, NULL, 10));
		free(canon);
		break;
	}
done:
	if (!*out) {
		/* jansson refuses strings that are not UTF-8 */
		snprintf(why, whysize, "not valid UTF-8 (expected %s)",
			arca_template__type_expect(p->type));
		return ARCA_EINVALID;
	}
	return 0;
}

/* Levenshtein distance, for near misses of short names. */
static size_t distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b), row[130], prev, tmp;

	if (la > 128 || lb > 128)
		return (size_t)-1;
	for (size_t j = 0; j <= lb; j++)
		row[j] = j;
	for (size_t i = 1; i <= la; i++) {
		prev = row[0];
		row[0] = i;
		for (size_t j = 1; j <= lb; j++) {
			size_t best = prev + (a[i - 1] != b[j - 1]);
			if (row[j] + 1 < best)
				best = row[j] + 1;
			if (row[j - 1] + 1 < best)
				best = row[j - 1] + 1;
			tmp = row[j];
			row[j] = best;
			prev = tmp;
		}
	}
	return row[lb];
}

const char *arca_template__suggest(const char *word,
	const char *const *cands, size_t n)
{
	const char *best = NULL;
	size_t bd = (size_t)-1, limit = strlen(word) < 5 ? 1 : 2;

	for (size_t i = 0; i < n; i++) {
		size_t d = distance(word, cands[i]);
		if (d < bd) {
			bd = d;
			best = cands[i];
		}
	}
	return bd <= limit ? best : NULL;
}
