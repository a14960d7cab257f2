/*
 * Fetching an http(s) URL into a file with libcurl, for dataset ingestion:
 * conditional requests (ETag / Last-Modified) so an unchanged source is not
 * downloaded again, an optional expected SHA-256, limited redirects,
 * verified TLS, timeouts, and retries with backoff.
 */
#ifndef ARCA_INGEST_FETCH_H
#define ARCA_INGEST_FETCH_H

#include <stdint.h>
#include "arca/error.h"

typedef struct arca_fetch_opts {
	long connect_timeout_s;   /* default 15; 0: curl's own (300) */
	long low_speed_timeout_s; /* abort an attempt that moves < 1 KB/s for
				     this long; default 60; 0: never */
	int max_redirects;        /* default 5; 0 refuses any redirect */
	int retries;              /* extra attempts after the first on
				     transient failures; default 4 */
	long retry_base_ms;       /* first backoff delay, doubled each retry,
				     with jitter; default 500 */
	const char *expected_sha256; /* optional "sha256:<hex>" or "<hex>" */
	const char *ca_bundle;    /* optional PEM file of trusted CAs, in place
				     of curl's default store. CURL_CA_BUNDLE
				     and SSL_CERT_FILE are not read here: the
				     CLI may pass them in. (libcurl itself
				     honours http_proxy, https_proxy and
				     no_proxy.) */
	const char *user_agent;   /* default "arca/<version>" */
} arca_fetch_opts;

/* Fills o with the defaults above (all pointers NULL). */
void arca_fetch_opts_init(arca_fetch_opts *o);

typedef struct arca_fetch_result {
	int not_modified;     /* 1: the server said 304; nothing written */
	long http_status;     /* of the final response (200, 304, ...) */
	char *etag;           /* validators to store for next time, as the
				 final response sent them (malloc'd, or NULL
				 if it sent none); on a 304 without them,
				 copies of the ones passed in */
	char *last_modified;
	char sha256[65];      /* lower-case hex of the body; "" on 304 */
	uint64_t bytes;       /* body length; 0 on 304 */
	char *effective_url;  /* after redirects, without userinfo, query
				 or fragment (malloc'd) */
} arca_fetch_result;

#define ARCA_FETCH_RESULT_INIT { 0, 0, NULL, NULL, { 0 }, 0, NULL }

/* Frees the strings; r is ARCA_FETCH_RESULT_INIT afterwards. NULL is ok. */
void arca_fetch_result_free(arca_fetch_result *r);

/*
 * Fetches url (http:// or https:// only) into fd, a regular file the
 * caller created (e.g. a temp file), written from offset 0 with pwrite and
 * truncated to the body's length. prev_etag / prev_last_modified (either
 * may be NULL) make the request conditional (If-None-Match /
 * If-Modified-Since); on 304 nothing is written to fd (fd is truncated
 * only when a body starts). The body is stored as served (no
 * Content-Encoding is asked for or undone) and hashed while streaming.
 * opts may be NULL for the defaults.
 *
 * Retried, with exponential backoff and jitter and at least a server's
 * Retry-After (capped at 2 minutes): connection and DNS failures,
 * timeouts, a body cut short (Content-Length not met, connection reset),
 * HTTP 408, 429 and 5xx. Not retried: other 4xx, TLS verification
 * failures, too many redirects, local write errors. An expected_sha256
 * mismatch is retried once only: after a complete transfer it almost
 * always means the source changed, but one re-download rules out a body
 * silently cut short (no Content-Length) or a stale cache.
 *
 * A redirect may only go to http or https, and from an https URL only to
 * https (no silent TLS downgrade). Credentials in the URL are sent to the
 * first host only (curl's default).
 *
 * Returns 0 and sets *res (overwritten: free an earlier result first),
 * which the caller frees with arca_fetch_result_free; or ARCA_EINVALID
 * (bad arguments, URL or scheme), ARCA_EREMOTE (unreachable, refused, TLS
 * failure, too many or refused redirects, HTTP >= 400 such as "HTTP 404
 * (not found)", a body still cut short after the retries), ARCA_EVERIFY
 * (expected_sha256 mismatch), ARCA_ERROR (local I/O, memory). On error
 * res is untouched and fd holds unspecified partial content. Messages
 * name the URL without its userinfo, query or fragment, and say how many
 * attempts were made when there was more than one. Thread-safe: each call
 * has its own curl handle.
 */
int arca_fetch_url(const char *url, int fd, const char *prev_etag,
	const char *prev_last_modified, const arca_fetch_opts *opts,
	arca_fetch_result *res, arca_error *err);

#endif
