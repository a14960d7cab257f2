/*
 * Signed S3 requests through libcurl, retried with backoff, and the
 * mapping of S3's answers to arca errors (s3_http.h).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <curl/curl.h>
#include "store/s3_http.h"
#include "store/s3_xml.h"
#include "store/sigv4.h"
#include "util/sys.h"

#define ERRBODY_MAX (64 * 1024)
#define POOL_MAX 64

int arca_s3__path(arca_buf *out, const arca_s3 *c, const char *key)
{
	if (arca_buf_puts(out, c->base_path) < 0)
		return ARCA_ERROR;
	if (!key)
		return arca_buf_puts(out, *c->base_path ? "" : "/") < 0 ?
			ARCA_ERROR : 0;
	if (arca_buf_put(out, "/", 1) < 0)
		return ARCA_ERROR;
	return arca_sigv4_encode(out, key, strlen(key), 1);
}

void *arca_s3__handle_take(arca_s3 *c)
{
	void *h = NULL;

	pthread_mutex_lock(&c->pool_lock);
	if (c->npool)
		h = c->pool[--c->npool];
	pthread_mutex_unlock(&c->pool_lock);
	return h ? h : curl_easy_init();
}

void arca_s3__handle_give(arca_s3 *c, void *curl)
{
	if (!curl)
		return;
	pthread_mutex_lock(&c->pool_lock);
	if (c->npool == c->pool_cap && c->pool_cap < POOL_MAX) {
		size_t cap = c->pool_cap ? c->pool_cap * 2 : 8;
		void **p = realloc(c->pool, cap * sizeof(*p));

		if (p) {
			c->pool = p;
			c->pool_cap = cap;
		}
	}
	if (c->npool < c->pool_cap) {
		c->pool[c->npool++] = curl;
		curl = NULL;
	}
	pthread_mutex_unlock(&c->pool_lock);
	if (curl)
		curl_easy_cleanup(curl);
}

void arca_s3__pool_free(arca_s3 *c)
{
	for (size_t i = 0; i < c->npool; i++)
		curl_easy_cleanup(c->pool[i]);
	free(c->pool);
	c->pool = NULL;
	c->npool = c->pool_cap = 0;
}

static size_t on_read(char *buf, size_t size, size_t n, void *p)
{
	arca_s3_xfer *x = p;
	size_t left = x->r->body_len - x->read_off, want = size * n;

	if (want > left)
		want = left;
	if (want)
		memcpy(buf, (const char *)x->r->body + x->read_off, want);
	x->read_off += want;
	return want;
}

static int on_seek(void *p, curl_off_t off, int origin)
{
	arca_s3_xfer *x = p;

	if (origin != SEEK_SET || off < 0 || (size_t)off > x->r->body_len)
		return CURL_SEEKFUNC_CANTSEEK;
	x->read_off = (size_t)off;
	return CURL_SEEKFUNC_OK;
}

/* Case-insensitive "Name:" prefix test for a header line. */
static const char *header_value(const char *line, size_t len,
	const char *name)
{
	size_t n = strlen(name);

	if (len <= n || strncasecmp(line, name, n) || line[n] != ':')
		return NULL;
	line += n + 1;
	while (*line == ' ' || *line == '\t')
		line++;
	return line;
}

static size_t on_header(char *line, size_t size, size_t n, void *p)
{
	arca_s3_xfer *x = p;
	size_t len = size * n, vlen, size2 = 0;
	const char *v;
	char *dst;

	if (len >= 5 && !strncmp(line, "HTTP/", 5)) {
		/* a new response starts */
		x->r->etag[0] = x->r->content_range[0] = '\0';
		return len;
	}
	if ((v = header_value(line, len, "ETag")))
		dst = x->r->etag, size2 = sizeof(x->r->etag);
	else if ((v = header_value(line, len, "Content-Range")))
		dst = x->r->content_range,
		size2 = sizeof(x->r->content_range);
	else
		return len;
	vlen = len - (size_t)(v - line);
	while (vlen && (v[vlen - 1] == '\r' || v[vlen - 1] == '\n' ||
			v[vlen - 1] == ' '))
		vlen--;
	if (vlen < size2)
		snprintf(dst, size2, "%.*s", (int)vlen, v);
	return len;
}

static void amz_date(char out[17])
{
	time_t now = time(NULL);
	struct tm tm;

	gmtime_r(&now, &tm);
	strftime(out, 17, "%Y%m%dT%H%M%SZ", &tm);
}

static int add_header(arca_s3_xfer *x, const char *line)
{
	struct curl_slist *l = curl_slist_append(x->headers, line);

	if (!l)
		return ARCA_ERROR;
	x->headers = l;
	return 0;
}

/* Builds the URL, the signed headers and the Authorization header. */
static int build(arca_s3_xfer *x, arca_s3 *c, arca_s3_req *r,
	arca_buf *authz)
{
	arca_sigv4_header h[ARCA_S3_MAX_HEADERS + 4];
	arca_buf path = ARCA_BUF_INIT, line = ARCA_BUF_INIT;
	char date[17], hash[65];
	const char *payload = r->payload_hash;
	size_t nh = 0, i;
	int rc = ARCA_ERROR;

	amz_date(date);
	if (!payload) {
		arca_sigv4_sha256_hex(hash, r->body ? r->body : "",
			r->body_len);
		payload = hash;
	}
	if (arca_s3__path(&path, c, r->key) < 0)
		goto done;
	if (arca_buf_printf(&x->url, "%s%s%s%s", c->origin,
			arca_buf_cstr(&path), r->query ? "?" : "",
			r->query ? r->query : "") < 0)
		goto done;
	h[nh++] = (arca_sigv4_header){ "host", c->host };
	h[nh++] = (arca_sigv4_header){ "x-amz-content-sha256", payload };
	h[nh++] = (arca_sigv4_header){ "x-amz-date", date };
	if (c->creds.token)
		h[nh++] = (arca_sigv4_header){ "x-amz-security-token",
			c->creds.token };
	for (i = 0; i < r->nhdr; i++)
		h[nh++] = (arca_sigv4_header){ r->hdr_name[i],
			r->hdr_value[i] };
	{
		arca_sigv4_request sr = { r->method, arca_buf_cstr(&path),
			r->query, h, nh, payload, 0 };
		arca_sigv4_key k = { c->creds.access_key, c->creds.secret_key,
			c->region, "s3", date };

		if (arca_sigv4_authorization(authz, &sr, &k) < 0)
			goto done;
	}
	/* Every signed header is sent as signed; curl's own defaults that
	 * could interfere (Expect, Accept, a form Content-Type) are off. */
	for (i = 0; i < nh; i++) {
		arca_buf_clear(&line);
		if (arca_buf_printf(&line, "%s: %s", h[i].name,
				h[i].value) < 0 ||
		    add_header(x, arca_buf_cstr(&line)) < 0)
			goto done;
	}
	arca_buf_clear(&line);
	if (arca_buf_printf(&line, "Authorization: %s",
			arca_buf_cstr(authz)) < 0 ||
	    add_header(x, arca_buf_cstr(&line)) < 0 ||
	    add_header(x, "Expect:") < 0 || add_header(x, "Accept:") < 0 ||
	    (!strcmp(r->method, "POST") &&
	     add_header(x, "Content-Type: application/xml") < 0))
		goto done;
	rc = 0;
done:
	if (line.data)
		memset(line.data, 0, line.len);
	arca_buf_dispose(&line);
	arca_buf_dispose(&path);
	return rc;
}

static size_t on_body(char *data, size_t size, size_t n, void *p);

int arca_s3__xfer_setup(arca_s3_xfer *x, arca_s3 *c, void *curl,
	arca_s3_req *r, arca_error *err)
{
	arca_buf authz = ARCA_BUF_INIT;
	CURL *h = curl;
	int rc;

	arca_s3__xfer_dispose(x);
	x->c = c;
	x->r = r;
	x->curl = curl;
	x->read_off = 0;
	x->out_start = r->out ? r->out->len : 0;
	x->errbuf[0] = '\0';
	r->status = 0;
	r->length = -1;
	r->mtime_ns = 0;
	r->etag[0] = r->code[0] = r->message[0] = '\0';
	r->content_range[0] = '\0';
	rc = build(x, c, r, &authz);
	if (authz.data)
		memset(authz.data, 0, authz.len);
	arca_buf_dispose(&authz);
	if (rc < 0)
		return arca_error_set(err, ARCA_ERROR,
			"cannot prepare S3 request: out of memory");
	curl_easy_reset(h);
	curl_easy_setopt(h, CURLOPT_URL, arca_buf_cstr(&x->url));
	curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(h, CURLOPT_PATH_AS_IS, 1L);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, x->headers);
	curl_easy_setopt(h, CURLOPT_USERAGENT, "arca/" ARCA_VERSION);
	curl_easy_setopt(h, CURLOPT_ERRORBUFFER, x->errbuf);
	curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT, 10L);
	curl_easy_setopt(h, CURLOPT_LOW_SPEED_LIMIT, 1L);
	curl_easy_setopt(h, CURLOPT_LOW_SPEED_TIME, (long)c->timeout_s);
	curl_easy_setopt(h, CURLOPT_TCP_KEEPALIVE, 1L);
	curl_easy_setopt(h, CURLOPT_FILETIME, 1L);
	curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(h, CURLOPT_HEADERDATA, x);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, x);
	if (c->ca_bundle)
		curl_easy_setopt(h, CURLOPT_CAINFO, c->ca_bundle);
	if (!strcmp(r->method, "HEAD")) {
		curl_easy_setopt(h, CURLOPT_NOBODY, 1L);
	} else if (!strcmp(r->method, "PUT") || !strcmp(r->method, "POST")) {
		curl_easy_setopt(h, CURLOPT_READFUNCTION, on_read);
		curl_easy_setopt(h, CURLOPT_READDATA, x);
		curl_easy_setopt(h, CURLOPT_SEEKFUNCTION, on_seek);
		curl_easy_setopt(h, CURLOPT_SEEKDATA, x);
		if (!strcmp(r->method, "PUT")) {
			curl_easy_setopt(h, CURLOPT_UPLOAD, 1L);
			curl_easy_setopt(h, CURLOPT_INFILESIZE_LARGE,
				(curl_off_t)r->body_len);
		} else {
			curl_easy_setopt(h, CURLOPT_POST, 1L);
			curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE,
				(curl_off_t)r->body_len);
		}
	} else if (strcmp(r->method, "GET")) {
		curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, r->method);
	}
	return 0;
}

static size_t on_body(char *data, size_t size, size_t n, void *p)
{
	arca_s3_xfer *x = p;
	size_t len = size * n, room;
	long status = 0;

	curl_easy_getinfo(x->curl, CURLINFO_RESPONSE_CODE, &status);
	if (status >= 200 && status < 300) {
		if (x->r->out && arca_buf_put(x->r->out, data, len) < 0)
			return 0; /* out of memory: CURLE_WRITE_ERROR */
		return len;
	}
	/* an error document: keep its start */
	room = ERRBODY_MAX - (x->errbody.len < ERRBODY_MAX ?
		x->errbody.len : ERRBODY_MAX);
	if (arca_buf_put(&x->errbody, data, len < room ? len : room) < 0)
		return 0;
	return len;
}

void arca_s3__xfer_dispose(arca_s3_xfer *x)
{
	curl_slist_free_all(x->headers);
	x->headers = NULL;
	arca_buf_dispose(&x->errbody);
	arca_buf_dispose(&x->url);
}

static int transport_retryable(int rc)
{
	switch (rc) {
	case CURLE_COULDNT_RESOLVE_HOST:
	case CURLE_COULDNT_CONNECT:
	case CURLE_OPERATION_TIMEDOUT:
	case CURLE_SEND_ERROR:
	case CURLE_RECV_ERROR:
	case CURLE_GOT_NOTHING:
	case CURLE_PARTIAL_FILE:
	case CURLE_SSL_CONNECT_ERROR:
	case CURLE_WEIRD_SERVER_REPLY:
	case CURLE_HTTP2:
	case CURLE_HTTP2_STREAM:
		return 1;
	default:
		return 0;
	}
}

static int http_retryable(long status, const char *code)
{
	return status >= 500 || status == 429 || status == 408 ||
		(status == 400 && !strcmp(code, "RequestTimeout")) ||
		(status == 409 && !strcmp(code, "ConditionalRequestConflict"));
}

/* Whether s contains the secret or the token of c. */
static int holds_secret(const arca_s3 *c, const char *s)
{
	return (c->creds.secret_key && *c->creds.secret_key &&
		strstr(s, c->creds.secret_key)) ||
		(c->creds.token && *c->creds.token &&
		 strstr(s, c->creds.token));
}

/* Code and Message of an S3 error document, printable and secret-free. */
static void parse_error(arca_s3_xfer *x)
{
	arca_s3_xml_span doc = { (const char *)x->errbody.data,
		x->errbody.len };
	arca_buf code = ARCA_BUF_INIT, msg = ARCA_BUF_INIT;
	arca_s3_req *r = x->r;
	char *p;

	if (doc.p && arca_s3__xml_text(&code, &doc, "Code") > 0)
		snprintf(r->code, sizeof(r->code), "%s", arca_buf_cstr(&code));
	if (doc.p && arca_s3__xml_text(&msg, &doc, "Message") > 0)
		snprintf(r->message, sizeof(r->message), "%s",
			arca_buf_cstr(&msg));
	for (p = r->code; *p; p++)
		if (!((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') ||
		      (*p >= '0' && *p <= '9') || *p == '.' || *p == '-'))
			*p = '?';
	for (p = r->message; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			*p = ' ';
	if (holds_secret(x->c, r->message))
		snprintf(r->message, sizeof(r->message), "(message withheld)");
	arca_buf_dispose(&code);
	arca_buf_dispose(&msg);
}

/* Drops whatever a failed attempt appended to the caller's buffer. */
static void undo_output(arca_s3_xfer *x)
{
	if (x->r->out && x->r->out->len > x->out_start)
		x->r->out->len = x->out_start;
}

int arca_s3__xfer_finish(arca_s3_xfer *x, void *curl, int rc)
{
	arca_s3_req *r = x->r;
	curl_off_t len = -1, ft = -1;
	long status = 0;

	r->attempts++;
	if (rc != CURLE_OK) {
		r->status = 0;
		snprintf(r->message, sizeof(r->message), "%s",
			x->errbuf[0] ? x->errbuf : curl_easy_strerror(rc));
		undo_output(x);
		return transport_retryable(rc);
	}
	curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
	curl_easy_getinfo(curl, CURLINFO_CONTENT_LENGTH_DOWNLOAD_T, &len);
	curl_easy_getinfo(curl, CURLINFO_FILETIME_T, &ft);
	r->status = status;
	r->length = len;
	r->mtime_ns = ft > 0 ? (int64_t)ft * 1000000000 : 0;
	if (status >= 200 && status < 300)
		return 0;
	parse_error(x);
	undo_output(x);
	return http_retryable(status, r->code);
}

unsigned arca_s3__backoff_ms(const arca_s3 *c, unsigned n)
{
	unsigned long d = c->retry_base_ms ? c->retry_base_ms : 1;
	uint32_t rnd = 0;

	while (--n && d < 20000)
		d *= 2;
	if (d > 20000)
		d = 20000;
	arca_random(&rnd, sizeof(rnd));
	/* "equal jitter": half fixed, half random */
	return (unsigned)(d / 2 + rnd % (d / 2 + 1));
}

void arca_s3__sleep_ms(unsigned ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000 };

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

int arca_s3__perform(arca_s3 *c, arca_s3_req *r, arca_error *err)
{
	arca_s3_xfer x = { 0 };
	void *h = arca_s3__handle_take(c);
	unsigned n;
	int rc = 0, again;

	if (!h)
		return arca_error_set(err, ARCA_ERROR,
			"cannot start an S3 request: out of memory");
	r->attempts = 0;
	for (n = 0;; n++) {
		if ((rc = arca_s3__xfer_setup(&x, c, h, r, err)) < 0)
			break;
		again = arca_s3__xfer_finish(&x, h, curl_easy_perform(h));
		if (!again || n >= c->retries)
			break;
		arca_s3__sleep_ms(arca_s3__backoff_ms(c, n + 1));
	}
	if (!rc && !r->status)
		rc = arca_error_set(err, ARCA_EREMOTE,
			"s3 %s '%s%s%s': cannot reach '%s': %s (%d attempts)",
			r->method, c->url, r->key ? "/" : "",
			r->key && *c->prefix ? r->key + strlen(c->prefix) + 1 :
			r->key ? r->key : "", c->origin, r->message,
			r->attempts);
	arca_s3__xfer_dispose(&x);
	arca_s3__handle_give(c, h);
	return rc;
}

/* Whether S3 refused the credentials or their scope: 401, 403, or one of
 * these codes, which AWS sends with HTTP 400 (so does it a HEAD that
 * fails for them, without a code). */
static int credentials_refused(long status, const char *code)
{
	static const char *const codes[] = { "ExpiredToken", "InvalidToken",
		"TokenRefreshRequired", "InvalidAccessKeyId",
		"SignatureDoesNotMatch", "AccessDenied",
		"AuthorizationHeaderMalformed", "InvalidSecurity" };

	if (status == 401 || status == 403)
		return 1;
	if (status == 400 && !*code)
		return 1; /* a HEAD: its answer has no body to say why */
	for (size_t i = 0; i < sizeof(codes) / sizeof(codes[0]); i++)
		if (!strcmp(code, codes[i]))
			return 1;
	return 0;
}

int arca_s3__fail(const arca_s3 *c, const arca_s3_req *r, const char *key,
	arca_error *err)
{
	long s = r->status;
	int code, auth = credentials_refused(s, r->code);
	const char *hint = "";

	if (!strcmp(r->code, "NoSuchBucket"))
		return arca_error_set(err, ARCA_EREMOTE,
			"s3 bucket '%s' does not exist at %s (%s '%s%s%s': "
			"HTTP %ld NoSuchBucket)", c->bucket, c->origin,
			r->method, c->url, key ? "/" : "", key ? key : "", s);
	if (s == 404 && key)
		code = ARCA_ENOTFOUND;
	else if (s == 412)
		code = ARCA_EEXISTS;
	else if ((s >= 300 && s < 400) || auth || s == 404 || s == 408 ||
		 s == 429 || s >= 500)
		code = ARCA_EREMOTE;
	else
		code = ARCA_ERROR;
	if ((s >= 300 && s < 400) ||
	    !strcmp(r->code, "AuthorizationHeaderMalformed"))
		hint = " (is the region right? set AWS_REGION or --region)";
	else if (auth)
		hint = " (are the credentials right, and does the bucket's "
			"policy allow this?)";
	return arca_error_set(err, code, "s3 %s '%s%s%s': HTTP %ld%s%s%s%s%s",
		r->method, c->url, key ? "/" : "", key ? key : "", s,
		*r->code ? " " : "", r->code, *r->message ? ": " : "",
		r->message, hint);
}
