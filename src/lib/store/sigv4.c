/*
 * AWS Signature Version 4: canonical request, string to sign, signing
 * key and Authorization header (see sigv4.h). Tested against AWS's
 * published test suite (tests/unit/data/sigv4/).
 */
#include <stdlib.h>
#include <string.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include "arca/error.h"
#include "store/sigv4.h"

#define ALGORITHM "AWS4-HMAC-SHA256"

static int is_unreserved(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
		(c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_' ||
		c == '~';
}

int arca_sigv4_encode(arca_buf *out, const char *s, size_t len,
	int keep_slash)
{
	static const char hex[] = "0123456789ABCDEF";
	char esc[3] = { '%', 0, 0 };

	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if (is_unreserved(c) || (keep_slash && c == '/')) {
			if (arca_buf_put(out, &s[i], 1) < 0)
				return ARCA_ERROR;
			continue;
		}
		esc[1] = hex[c >> 4];
		esc[2] = hex[c & 15];
		if (arca_buf_put(out, esc, 3) < 0)
			return ARCA_ERROR;
	}
	return 0;
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Appends the percent-decoding of s[0, len) (a bad escape is literal). */
static int decode(arca_buf *out, const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		char c = s[i];

		if (c == '%' && i + 2 < len && hexval(s[i + 1]) >= 0 &&
		    hexval(s[i + 2]) >= 0) {
			c = (char)(hexval(s[i + 1]) * 16 + hexval(s[i + 2]));
			i += 2;
		}
		if (arca_buf_put(out, &c, 1) < 0)
			return ARCA_ERROR;
	}
	return 0;
}

/* "/a/./b/../c//" → "/a/c/": dot segments and empty segments removed. */
static int normalize_path(arca_buf *out, const char *path)
{
	size_t *starts = NULL, n = 0, cap = 0;
	const char *p = path, *end;
	size_t len = strlen(path), seg;
	int trailing = len > 0 && path[len - 1] == '/';
	int rc = 0;

	while (*p) {
		while (*p == '/')
			p++;
		if (!*p)
			break;
		end = strchr(p, '/');
		seg = end ? (size_t)(end - p) : strlen(p);
		if (seg == 1 && p[0] == '.') {
			/* skip */
		} else if (seg == 2 && p[0] == '.' && p[1] == '.') {
			if (n) {
				n--;
				out->len = starts[n];
			}
		} else {
			if (n == cap) {
				size_t *ns = realloc(starts,
					(cap = cap * 2 + 8) * sizeof(*ns));
				if (!ns) {
					rc = ARCA_ERROR;
					goto done;
				}
				starts = ns;
			}
			starts[n++] = out->len;
			if (arca_buf_put(out, "/", 1) < 0 ||
			    arca_buf_put(out, p, seg) < 0) {
				rc = ARCA_ERROR;
				goto done;
			}
		}
		p += seg;
	}
	if ((!n || trailing) && arca_buf_put(out, "/", 1) < 0)
		rc = ARCA_ERROR;
done:
	free(starts);
	return rc;
}

static int canonical_uri(arca_buf *out, const arca_sigv4_request *r)
{
	arca_buf norm = ARCA_BUF_INIT;
	const char *path = r->path && *r->path ? r->path : "/";
	int rc = 0;

	if (r->flags & ARCA_SIGV4_NORMALIZE_PATH) {
		if (normalize_path(&norm, path) < 0) {
			rc = ARCA_ERROR;
			goto done;
		}
		path = arca_buf_cstr(&norm);
	}
	if (r->flags & ARCA_SIGV4_ENCODE_PATH)
		rc = arca_sigv4_encode(out, path, strlen(path), 1);
	else if (arca_buf_puts(out, path) < 0)
		rc = ARCA_ERROR;
done:
	arca_buf_dispose(&norm);
	return rc;
}

typedef struct qparam {
	char *name;  /* encoded */
	char *value; /* encoded */
} qparam;

static int cmp_param(const void *a, const void *b)
{
	const qparam *x = a, *y = b;
	int c = strcmp(x->name, y->name);

	return c ? c : strcmp(x->value, y->value);
}

/* Decodes then strictly re-encodes s[0, len) into a new string. */
static char *reencode(const char *s, size_t len)
{
	arca_buf dec = ARCA_BUF_INIT, enc = ARCA_BUF_INIT;
	char *out = NULL;

	if (decode(&dec, s, len) == 0 &&
	    arca_sigv4_encode(&enc, (const char *)dec.data, dec.len, 0) == 0 &&
	    arca_buf_grow(&enc, 0) == 0)
		out = (char *)arca_buf_detach(&enc, NULL);
	arca_buf_dispose(&dec);
	arca_buf_dispose(&enc);
	return out;
}

static int canonical_query(arca_buf *out, const char *query)
{
	qparam *ps = NULL;
	size_t n = 0, cap = 0, i;
	const char *p = query, *amp, *eq;
	int rc = 0;

	while (p && *p) {
		size_t len;

		amp = strchr(p, '&');
		len = amp ? (size_t)(amp - p) : strlen(p);
		if (len) {
			if (n == cap) {
				qparam *np = realloc(ps,
					(cap = cap * 2 + 8) * sizeof(*np));
				if (!np) {
					rc = ARCA_ERROR;
					goto done;
				}
				ps = np;
			}
			eq = memchr(p, '=', len);
			ps[n].name = reencode(p, eq ? (size_t)(eq - p) : len);
			ps[n].value = eq ? reencode(eq + 1,
				len - (size_t)(eq + 1 - p)) : strdup("");
			n++;
			if (!ps[n - 1].name || !ps[n - 1].value) {
				rc = ARCA_ERROR;
				goto done;
			}
		}
		p = amp ? amp + 1 : NULL;
	}
	if (n)
		qsort(ps, n, sizeof(*ps), cmp_param);
	for (i = 0; i < n; i++)
		if (arca_buf_printf(out, "%s%s=%s", i ? "&" : "", ps[i].name,
				ps[i].value) < 0) {
			rc = ARCA_ERROR;
			goto done;
		}
done:
	for (i = 0; i < n; i++) {
		free(ps[i].name);
		free(ps[i].value);
	}
	free(ps);
	return rc;
}

typedef struct hdr {
	char *name; /* lower-cased copy */
	const char *value;
	size_t order;
} hdr;

static int cmp_hdr(const void *a, const void *b)
{
	const hdr *x = a, *y = b;
	int c = strcmp(x->name, y->name);

	if (c)
		return c;
	return x->order < y->order ? -1 : x->order > y->order;
}

/* Appends value trimmed, with inner runs of whitespace as one space. */
static int put_trimmed(arca_buf *out, const char *v)
{
	int space = 0, any = 0;

	for (; *v; v++) {
		if (*v == ' ' || *v == '\t' || *v == '\n' || *v == '\r') {
			space = any;
			continue;
		}
		if (space && arca_buf_put(out, " ", 1) < 0)
			return ARCA_ERROR;
		if (arca_buf_put(out, v, 1) < 0)
			return ARCA_ERROR;
		space = 0;
		any = 1;
	}
	return 0;
}

static int canonical_headers(arca_buf *out, arca_buf *signed_headers,
	const arca_sigv4_request *r)
{
	hdr *hs = calloc(r->nheaders ? r->nheaders : 1, sizeof(*hs));
	size_t i, j;
	int rc = 0;

	if (!hs)
		return ARCA_ERROR;
	for (i = 0; i < r->nheaders; i++) {
		if (!r->headers[i].name || !*r->headers[i].name ||
		    !r->headers[i].value) {
			rc = ARCA_EINVALID;
			goto done;
		}
		if (!(hs[i].name = strdup(r->headers[i].name))) {
			rc = ARCA_ERROR;
			goto done;
		}
		for (j = 0; hs[i].name[j]; j++)
			if (hs[i].name[j] >= 'A' && hs[i].name[j] <= 'Z')
				hs[i].name[j] = (char)(hs[i].name[j] + 32);
		hs[i].value = r->headers[i].value;
		hs[i].order = i;
	}
	qsort(hs, r->nheaders, sizeof(*hs), cmp_hdr);
	for (i = 0; i < r->nheaders; i++) {
		int same = i && !strcmp(hs[i].name, hs[i - 1].name);

		if (same)
			rc = arca_buf_put(out, ",", 1);
		else
			rc = arca_buf_printf(out, "%s%s:", i ? "\n" : "",
				hs[i].name);
		if (rc < 0 || put_trimmed(out, hs[i].value) < 0)
			goto oom;
		if (same || !signed_headers)
			continue;
		if (arca_buf_printf(signed_headers, "%s%s",
				signed_headers->len ? ";" : "",
				hs[i].name) < 0)
			goto oom;
	}
	if (r->nheaders && arca_buf_put(out, "\n", 1) < 0)
		goto oom;
	rc = 0;
	goto done;
oom:
	rc = ARCA_ERROR;
done:
	for (i = 0; i < r->nheaders; i++)
		free(hs[i].name);
	free(hs);
	return rc;
}

int arca_sigv4_canonical_request(arca_buf *creq, arca_buf *signed_headers,
	const arca_sigv4_request *r)
{
	arca_buf sh = ARCA_BUF_INIT;
	int rc;

	if (!r->method || !r->payload_hash || !r->path || r->path[0] != '/')
		return ARCA_EINVALID;
	if (arca_buf_printf(creq, "%s\n", r->method) < 0 ||
	    canonical_uri(creq, r) < 0 || arca_buf_put(creq, "\n", 1) < 0 ||
	    canonical_query(creq, r->query) < 0 ||
	    arca_buf_put(creq, "\n", 1) < 0) {
		rc = ARCA_ERROR;
		goto done;
	}
	if ((rc = canonical_headers(creq, &sh, r)) < 0)
		goto done;
	if (arca_buf_printf(creq, "\n%s\n%s", arca_buf_cstr(&sh),
			r->payload_hash) < 0 ||
	    (signed_headers && arca_buf_put(signed_headers, sh.data,
			sh.len) < 0))
		rc = ARCA_ERROR;
done:
	arca_buf_dispose(&sh);
	return rc;
}

static void to_hex(char *hex, const unsigned char *d, size_t n)
{
	static const char digits[] = "0123456789abcdef";

	for (size_t i = 0; i < n; i++) {
		hex[2 * i] = digits[d[i] >> 4];
		hex[2 * i + 1] = digits[d[i] & 15];
	}
	hex[2 * n] = '\0';
}

void arca_sigv4_sha256_hex(char hex[65], const void *data, size_t len)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned mdlen = 0;

	EVP_Digest(data, len, md, &mdlen, EVP_sha256(), NULL);
	to_hex(hex, md, 32);
}

/* "YYYYMMDD/region/service/aws4_request" */
static int put_scope(arca_buf *out, const arca_sigv4_key *k)
{
	if (!k->amz_date || strlen(k->amz_date) < 8)
		return ARCA_EINVALID;
	return arca_buf_printf(out, "%.8s/%s/%s/aws4_request", k->amz_date,
		k->region, k->service) < 0 ? ARCA_ERROR : 0;
}

int arca_sigv4_string_to_sign(arca_buf *out, const arca_sigv4_key *k,
	const char *creq, size_t creq_len)
{
	char hex[65];
	int rc;

	if (arca_buf_printf(out, ALGORITHM "\n%s\n", k->amz_date) < 0)
		return ARCA_ERROR;
	if ((rc = put_scope(out, k)) < 0)
		return rc;
	arca_sigv4_sha256_hex(hex, creq, creq_len);
	return arca_buf_printf(out, "\n%s", hex) < 0 ? ARCA_ERROR : 0;
}

static int hmac(unsigned char out[32], const void *key, size_t klen,
	const char *data, size_t dlen)
{
	unsigned len = 0;

	if (!HMAC(EVP_sha256(), key, (int)klen, (const unsigned char *)data,
			dlen, out, &len) || len != 32)
		return ARCA_ERROR;
	return 0;
}

/* HMAC-SHA256 of sts with the key derived from the secret and scope. */
static int signature(char hex[65], const arca_sigv4_key *k, const char *sts,
	size_t sts_len)
{
	arca_buf secret = ARCA_BUF_INIT;
	unsigned char key[32], sig[32];
	int rc = ARCA_ERROR;

	if (arca_buf_printf(&secret, "AWS4%s", k->secret_key) < 0)
		goto done;
	if (hmac(key, secret.data, secret.len, k->amz_date, 8) < 0 ||
	    hmac(key, key, 32, k->region, strlen(k->region)) < 0 ||
	    hmac(key, key, 32, k->service, strlen(k->service)) < 0 ||
	    hmac(key, key, 32, "aws4_request", 12) < 0 ||
	    hmac(sig, key, 32, sts, sts_len) < 0)
		goto done;
	to_hex(hex, sig, 32);
	rc = 0;
done:
	OPENSSL_cleanse(key, sizeof(key));
	if (secret.data)
		OPENSSL_cleanse(secret.data, secret.len);
	arca_buf_dispose(&secret);
	return rc;
}

int arca_sigv4_authorization(arca_buf *out, const arca_sigv4_request *r,
	const arca_sigv4_key *k)
{
	arca_buf creq = ARCA_BUF_INIT, sh = ARCA_BUF_INIT, sts = ARCA_BUF_INIT;
	char sig[65];
	int rc;

	if (!k->access_key || !k->secret_key || !k->region || !k->service)
		return ARCA_EINVALID;
	if ((rc = arca_sigv4_canonical_request(&creq, &sh, r)) < 0 ||
	    (rc = arca_sigv4_string_to_sign(&sts, k, (const char *)creq.data,
			creq.len)) < 0 ||
	    (rc = signature(sig, k, (const char *)sts.data, sts.len)) < 0)
		goto done;
	if (arca_buf_printf(out, ALGORITHM " Credential=%s/", k->access_key) <
			0 || put_scope(out, k) < 0 ||
	    arca_buf_printf(out, ", SignedHeaders=%s, Signature=%s",
			arca_buf_cstr(&sh), sig) < 0)
		rc = ARCA_ERROR;
done:
	arca_buf_dispose(&creq);
	arca_buf_dispose(&sh);
	arca_buf_dispose(&sts);
	return rc;
}
