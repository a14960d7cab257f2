/* Minimal, bounded XML element search for S3 responses (s3_xml.h). */
#include <stdio.h>
#include <string.h>
#include "arca/error.h"
#include "store/s3_xml.h"

/* memmem over a span. */
static const char *find(const char *p, const char *end, const char *needle)
{
	size_t n = strlen(needle);

	if ((size_t)(end - p) < n)
		return NULL;
	return memmem(p, (size_t)(end - p), needle, n);
}

int arca_s3__xml_next(const arca_s3_xml_span *doc, const char *tag,
	size_t *pos, arca_s3_xml_span *inner)
{
	const char *end = doc->p + doc->len, *open, *close, *p;
	char otag[80], ctag[80], stag[80];

	if (*pos > doc->len || strlen(tag) > 64)
		return 0;
	snprintf(otag, sizeof(otag), "<%s>", tag);
	snprintf(ctag, sizeof(ctag), "</%s>", tag);
	snprintf(stag, sizeof(stag), "<%s/>", tag);
	p = doc->p + *pos;
	open = find(p, end, otag);
	close = find(p, end, stag);
	if (close && (!open || close < open)) {
		inner->p = close;
		inner->len = 0;
		*pos = (size_t)(close + strlen(stag) - doc->p);
		return 1;
	}
	if (!open)
		return 0;
	open += strlen(otag);
	if (!(close = find(open, end, ctag)))
		return 0;
	inner->p = open;
	inner->len = (size_t)(close - open);
	*pos = (size_t)(close + strlen(ctag) - doc->p);
	return 1;
}

int arca_s3__xml_text(arca_buf *out, const arca_s3_xml_span *doc,
	const char *tag)
{
	arca_s3_xml_span in;
	size_t pos = 0;
	int rc;

	if (!arca_s3__xml_next(doc, tag, &pos, &in))
		return 0;
	if ((rc = arca_s3__xml_unescape(out, in.p, in.len)) < 0)
		return rc;
	return arca_buf_grow(out, 0) < 0 ? ARCA_ERROR : 1;
}

/* UTF-8 encoding of code point cp (refusing NUL, surrogates, > U+10FFFF). */
static int put_utf8(arca_buf *out, unsigned long cp)
{
	unsigned char u[4];
	size_t n;

	if (!cp || (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff)
		return ARCA_EINVALID;
	if (cp < 0x80) {
		u[0] = (unsigned char)cp;
		n = 1;
	} else if (cp < 0x800) {
		u[0] = (unsigned char)(0xc0 | (cp >> 6));
		u[1] = (unsigned char)(0x80 | (cp & 0x3f));
		n = 2;
	} else if (cp < 0x10000) {
		u[0] = (unsigned char)(0xe0 | (cp >> 12));
		u[1] = (unsigned char)(0x80 | ((cp >> 6) & 0x3f));
		u[2] = (unsigned char)(0x80 | (cp & 0x3f));
		n = 3;
	} else {
		u[0] = (unsigned char)(0xf0 | (cp >> 18));
		u[1] = (unsigned char)(0x80 | ((cp >> 12) & 0x3f));
		u[2] = (unsigned char)(0x80 | ((cp >> 6) & 0x3f));
		u[3] = (unsigned char)(0x80 | (cp & 0x3f));
		n = 4;
	}
	return arca_buf_put(out, u, n) < 0 ? ARCA_ERROR : 0;
}

/* One entity at s (after '&', up to ';' at semi): appended to out. */
static int entity(arca_buf *out, const char *s, size_t n)
{
	static const struct {
		const char *name;
		char c;
	} named[] = { { "amp", '&' }, { "lt", '<' }, { "gt", '>' },
		{ "quot", '"' }, { "apos", '\'' } };
	unsigned long cp = 0;
	size_t i;

	for (i = 0; i < sizeof(named) / sizeof(named[0]); i++)
		if (strlen(named[i].name) == n && !memcmp(s, named[i].name, n))
			return arca_buf_put(out, &named[i].c, 1) < 0 ?
				ARCA_ERROR : 0;
	if (n < 2 || s[0] != '#' || n > 10)
		return ARCA_EINVALID;
	if (s[1] == 'x') {
		if (n < 3)
			return ARCA_EINVALID;
		for (i = 2; i < n; i++) {
			char c = s[i];
			int v = c >= '0' && c <= '9' ? c - '0' :
				c >= 'a' && c <= 'f' ? c - 'a' + 10 :
				c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
			if (v < 0)
				return ARCA_EINVALID;
			cp = cp * 16 + (unsigned long)v;
		}
	} else {
		for (i = 1; i < n; i++) {
			if (s[i] < '0' || s[i] > '9')
				return ARCA_EINVALID;
			cp = cp * 10 + (unsigned long)(s[i] - '0');
		}
	}
	return put_utf8(out, cp);
}

int arca_s3__xml_unescape(arca_buf *out, const char *s, size_t len)
{
	const char *end = s + len, *amp, *semi;
	int rc;

	while (s < end) {
		amp = memchr(s, '&', (size_t)(end - s));
		if (!amp)
			return arca_buf_put(out, s, (size_t)(end - s)) < 0 ?
				ARCA_ERROR : 0;
		if (arca_buf_put(out, s, (size_t)(amp - s)) < 0)
			return ARCA_ERROR;
		semi = memchr(amp, ';', (size_t)(end - amp));
		if (!semi)
			return ARCA_EINVALID;
		if ((rc = entity(out, amp + 1, (size_t)(semi - amp - 1))) < 0)
			return rc;
		s = semi + 1;
	}
	return 0;
}

int arca_s3__xml_escape(arca_buf *out, const char *s)
{
	for (; *s; s++) {
		const char *e = *s == '&' ? "&amp;" : *s == '<' ? "&lt;" :
			*s == '>' ? "&gt;" : *s == '"' ? "&quot;" :
			*s == '\'' ? "&apos;" : NULL;
		if (e ? arca_buf_puts(out, e) < 0 : arca_buf_put(out, s, 1) < 0)
			return ARCA_ERROR;
	}
	return 0;
}
