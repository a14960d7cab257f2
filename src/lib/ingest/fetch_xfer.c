/*
 * One attempt of arca_fetch_url: the curl options, the callbacks that
 * stream the body into the file while hashing it and keep the final
 * response's validators, and the classification of what happened.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>
#include "ingest/fetch_int.h"

#define LOW_SPEED_LIMIT 1024      /* bytes/s, see low_speed_timeout_s */

/* Short names for the outcomes of an attempt. */
enum {
	DONE = ARCA_FETCH__DONE,
	RETRY = ARCA_FETCH__RETRY,
	FINAL = ARCA_FETCH__FINAL
};

/* A header's value if line is "name: value", trimmed; else NULL. */
static char *header_value(const char *line, size_t len, const char *name,
	int *oom)
{
	size_t n = strlen(name), a, b;
	char *v;

	if (len <= n || strncasecmp(line, name, n) || line[n] != ':')
		return NULL;
	for (a = n + 1; a < len && (line[a] == ' ' || line[a] == '\t'); a++)
		;
	for (b = len; b > a && (line[b - 1] == ' ' || line[b - 1] == '\t' ||
		line[b - 1] == '\r' || line[b - 1] == '\n'); b--)
		;
	if (!(v = strndup(line + a, b - a)))
		*oom = 1;
	return v;
}

static void replace(char **slot, char *v)
{
	free(*slot);
	*slot = v;
}

/* Headers of every response (redirects, 1xx) pass here; a status line
 * starts a new response, so only the final one's validators remain. */
static size_t on_header(char *p, size_t size, size_t nmemb, void *ud)
{
	arca_fetch__xfer *x = ud;
	size_t len = size * nmemb;
	char *v;

	if (len > 5 && !strncmp(p, "HTTP/", 5)) {
		/* curl's header data is not NUL-terminated: parse by hand. */
		const char *sp = memchr(p, ' ', len), *end = p + len;
		x->status = 0;
		for (sp = sp ? sp + 1 : end; sp < end && *sp >= '0' &&
			*sp <= '9' && x->status < 1000; sp++)
			x->status = x->status * 10 + (*sp - '0');
		x->retry_after = -1;
		replace(&x->etag, NULL);
		replace(&x->last_modified, NULL);
	} else if ((v = header_value(p, len, "ETag", &x->oom))) {
		replace(&x->etag, v);
	} else if ((v = header_value(p, len, "Last-Modified", &x->oom))) {
		replace(&x->last_modified, v);
	} else if ((v = header_value(p, len, "Retry-After", &x->oom))) {
		x->retry_after = arca_fetch__parse_retry_after(v, time(NULL));
		free(v);
	}
	return x->oom ? 0 : len;
}

static size_t on_body(char *p, size_t size, size_t nmemb, void *ud)
{
	arca_fetch__xfer *x = ud;
	size_t len = size * nmemb, done = 0;

	if (x->status >= 400) {
		/* An error page is of no use: stop reading it. */
		x->discarded = 1;
		return 0;
	}
	if (x->status < 200 || x->status >= 300)
		return len; /* a redirect's body, never the payload */
	if (!x->started) {
		/* Truncated only once a body arrives: a 304 leaves fd alone. */
		if (ftruncate(x->fd, 0) < 0) {
			x->write_errno = errno;
			return 0;
		}
		x->started = 1;
	}
	while (done < len) {
		ssize_t n = pwrite(x->fd, p + done, len - done,
			(off_t)(x->bytes + done));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			x->write_errno = n < 0 ? errno : EIO;
			return 0;
		}
		done += (size_t)n;
	}
	x->bytes += len;
	if (arca_sha256_update(x->sha, p, len, NULL) < 0) {
		x->oom = 1;
		return 0;
	}
	return len;
}

/* "fetch URL[ (redirected to URL2)]: " then fmt, into err. */
static int job_error(arca_fetch__job *j, arca_error *err, int code,
	const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static int job_error(arca_fetch__job *j, arca_error *err, int code,
	const char *fmt, ...)
{
	char detail[ARCA_ERROR_MSG_SIZE], *eff = NULL, *safe_eff = NULL;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(detail, sizeof(detail), fmt, ap);
	va_end(ap);
	if (curl_easy_getinfo(j->curl, CURLINFO_EFFECTIVE_URL, &eff) ==
		CURLE_OK && eff)
		safe_eff = arca_fetch__safe_url(eff);
	if (safe_eff && strcmp(safe_eff, j->safe))
		arca_error_set(err, code, "fetch %s (redirected to %s): %s",
			j->safe, safe_eff, detail);
	else
		arca_error_set(err, code, "fetch %s: %s", j->safe, detail);
	free(safe_eff);
	return code;
}

static int retryable_curl(CURLcode rc)
{
	switch (rc) {
	case CURLE_COULDNT_RESOLVE_PROXY:
	case CURLE_COULDNT_RESOLVE_HOST:
	case CURLE_COULDNT_CONNECT:
	case CURLE_OPERATION_TIMEDOUT:
	case CURLE_PARTIAL_FILE:
	case CURLE_GOT_NOTHING:
	case CURLE_SEND_ERROR:
	case CURLE_RECV_ERROR:
	case CURLE_HTTP2:
	case CURLE_HTTP2_STREAM:
		return 1;
	default:
		return 0;
	}
}

static int retryable_status(long s)
{
	return s == 408 || s == 429 || (s >= 500 && s <= 599);
}

static const char *status_text(long s)
{
	switch (s) {
	case 400: return "bad request";
	case 401: return "unauthorized";
	case 403: return "forbidden";
	case 404: return "not found";
	case 408: return "request timeout";
	case 410: return "gone";
	case 429: return "too many requests";
	case 500: return "internal server error";
	case 502: return "bad gateway";
	case 503: return "service unavailable";
	case 504: return "gateway timeout";
	default:
		return s >= 500 ? "server error" : s >= 400 ? "client error" :
			"unexpected status";
	}
}

/* Classifies a finished 2xx transfer: length and hash checks. */
static int check_body(arca_fetch__job *j, arca_error *err)
{
	arca_fetch__xfer *x = &j->x;
	curl_off_t cl = -1;
	char want_hex[ARCA_ID_HEXSZ + 1], got_hex[ARCA_ID_HEXSZ + 1];

	if (x->status == 206)
		return job_error(j, err, ARCA_EREMOTE,
			"HTTP 206 partial content to a request for the whole "
			"file"), FINAL;
	/* curl already fails short bodies; this also catches an overlong
	 * one that a broken server announced too small. */
	curl_easy_getinfo(j->curl, CURLINFO_CONTENT_LENGTH_DOWNLOAD_T, &cl);
	if (cl >= 0 && (uint64_t)cl != x->bytes)
		return job_error(j, err, ARCA_EREMOTE,
			"body is %llu bytes, Content-Length said %lld",
			(unsigned long long)x->bytes, (long long)cl), RETRY;
	if (!x->started && ftruncate(x->fd, 0) < 0)
		return arca_error_set_errno(err, ARCA_ERROR, errno,
			"fetch %s: truncating the output file", j->safe),
			FINAL;
	if (arca_sha256_final(x->sha, &x->got, err) < 0)
		return FINAL;
	if (!j->have_expected || !arca_id_cmp(&x->got, &j->expected))
		return DONE;
	arca_id_hex(want_hex, &j->expected);
	arca_id_hex(got_hex, &x->got);
	job_error(j, err, ARCA_EVERIFY, "SHA-256 mismatch: expected %s, got "
		"%s (%llu bytes)", want_hex, got_hex,
		(unsigned long long)x->bytes);
	/* Once is enough to rule out a transfer that went wrong unnoticed. */
	return j->mismatches++ ? FINAL : RETRY;
}

int arca_fetch__attempt(arca_fetch__job *j, arca_error *err)
{
	arca_fetch__xfer *x = &j->x;
	CURLcode rc;
	long code = 0;

	x->bytes = 0;
	x->started = x->write_errno = x->oom = x->discarded = 0;
	x->status = 0;
	x->retry_after = -1;
	replace(&x->etag, NULL);
	replace(&x->last_modified, NULL);
	arca_sha256_free(x->sha);
	x->sha = NULL;
	if (arca_sha256_new(&x->sha, err) < 0)
		return FINAL;
	j->errbuf[0] = '\0';

	rc = curl_easy_perform(j->curl);
	curl_easy_getinfo(j->curl, CURLINFO_RESPONSE_CODE, &code);
	if (code)
		x->status = code;

	if (x->oom)
		return arca_error_set(err, ARCA_ERROR, "fetch %s: out of "
			"memory", j->safe), FINAL;
	if (x->write_errno)
		return arca_error_set_errno(err, ARCA_ERROR, x->write_errno,
			"fetch %s: writing the download", j->safe), FINAL;
	if (rc != CURLE_OK && !(rc == CURLE_WRITE_ERROR && x->discarded)) {
		char why[CURL_ERROR_SIZE];
		/* curl's own words, minus anything secret from the URL. */
		snprintf(why, sizeof(why), "%s", j->errbuf[0] ? j->errbuf :
			curl_easy_strerror(rc));
		arca_fetch__redact(why, j->url);
		if (rc == CURLE_TOO_MANY_REDIRECTS)
			return job_error(j, err, ARCA_EREMOTE, "more than %d "
				"redirects", j->o->max_redirects), FINAL;
		if (rc == CURLE_UNSUPPORTED_PROTOCOL)
			return job_error(j, err, ARCA_EREMOTE, "redirect "
				"refused: %s", j->https ? "an https URL is "
				"only followed to https" : "only http and "
				"https are followed"), FINAL;
		job_error(j, err, rc == CURLE_OUT_OF_MEMORY ? ARCA_ERROR :
			ARCA_EREMOTE, "%s", why);
		return retryable_curl(rc) ? RETRY : FINAL;
	}
	if (x->status == 304) {
		if (j->conditional)
			return DONE;
		return job_error(j, err, ARCA_EREMOTE, "HTTP 304 to an "
			"unconditional request"), FINAL;
	}
	if (x->status >= 200 && x->status < 300)
		return check_body(j, err);
	job_error(j, err, ARCA_EREMOTE, "HTTP %ld (%s)", x->status,
		status_text(x->status));
	return retryable_status(x->status) ? RETRY : FINAL;
}

int arca_fetch__setup(arca_fetch__job *j, struct curl_slist *hdrs,
	const char *ua, arca_error *err)
{
	CURL *c = j->curl;
	const arca_fetch_opts *o = j->o;
	CURLcode rc = CURLE_OK;

#define SET(opt, val) \
	do { if (rc == CURLE_OK) rc = curl_easy_setopt(c, opt, val); } while (0)
	SET(CURLOPT_URL, j->url);
	SET(CURLOPT_NOSIGNAL, 1L);
	SET(CURLOPT_VERBOSE, 0L);
	SET(CURLOPT_ERRORBUFFER, j->errbuf);
	SET(CURLOPT_PROTOCOLS_STR, "http,https");
	/* No silent downgrade: what started verified stays verified. */
	SET(CURLOPT_REDIR_PROTOCOLS_STR, j->https ? "https" : "http,https");
	SET(CURLOPT_FOLLOWLOCATION, 1L);
	SET(CURLOPT_MAXREDIRS, (long)o->max_redirects);
	SET(CURLOPT_SSL_VERIFYPEER, 1L);
	SET(CURLOPT_SSL_VERIFYHOST, 2L);
	if (o->ca_bundle)
		SET(CURLOPT_CAINFO, o->ca_bundle);
	SET(CURLOPT_CONNECTTIMEOUT, o->connect_timeout_s);
	SET(CURLOPT_LOW_SPEED_LIMIT, (long)LOW_SPEED_LIMIT);
	SET(CURLOPT_LOW_SPEED_TIME, o->low_speed_timeout_s);
	SET(CURLOPT_TCP_KEEPALIVE, 1L);
	SET(CURLOPT_USERAGENT, ua);
	/* No CURLOPT_ACCEPT_ENCODING: the archive keeps the bytes as served. */
	if (hdrs)
		SET(CURLOPT_HTTPHEADER, hdrs);
	SET(CURLOPT_HEADERFUNCTION, on_header);
	SET(CURLOPT_HEADERDATA, &j->x);
	SET(CURLOPT_WRITEFUNCTION, on_body);
	SET(CURLOPT_WRITEDATA, &j->x);
#undef SET
	if (rc != CURLE_OK)
		return arca_error_set(err, rc == CURLE_OUT_OF_MEMORY ?
			ARCA_ERROR : ARCA_EINVALID, "fetch %s: %s", j->safe,
			curl_easy_strerror(rc));
	return 0;
}

