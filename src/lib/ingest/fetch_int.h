/*
 * Internals of the URL fetcher, shared by fetch.c (the API and the retry
 * loop), fetch_xfer.c (one attempt: curl options, callbacks, outcome) and
 * fetch_util.c (pure helpers), and with the unit test.
 */
#ifndef ARCA_INGEST_FETCH_INT_H
#define ARCA_INGEST_FETCH_INT_H

#include <curl/curl.h>
#include <stdint.h>
#include <time.h>
#include "arca/error.h"
#include "arca/id.h"
#include "hash/sha256.h"
#include "ingest/fetch.h"

#define ARCA_FETCH_RETRY_AFTER_MAX_S 120 /* cap on a server's Retry-After */
#define ARCA_FETCH_BACKOFF_MAX_MS 60000  /* cap on one backoff delay */

/* One transfer's state, shared with the curl callbacks. */
typedef struct arca_fetch__xfer {
	int fd;
	arca_sha256_ctx *sha;
	uint64_t bytes;       /* body bytes written by this attempt */
	int started;          /* fd truncated for this attempt's body */
	int write_errno;      /* a local write failed */
	int oom;
	int discarded;        /* we aborted an error response's body */
	long status;          /* of the response being received */
	long retry_after;     /* seconds, -1 if none */
	arca_id got;          /* digest of a complete body */
	char *etag, *last_modified; /* of the response being received */
} arca_fetch__xfer;

/* Everything a call needs across attempts. */
typedef struct arca_fetch__job {
	const char *url;
	char *safe;            /* url for messages */
	const arca_fetch_opts *o;
	int conditional;
	int https;             /* redirects may only go to https */
	int have_expected;
	arca_id expected;
	int mismatches;
	CURL *curl;
	char errbuf[CURL_ERROR_SIZE];
	arca_fetch__xfer x;
} arca_fetch__job;

/* What one attempt came to. */
enum { ARCA_FETCH__DONE, ARCA_FETCH__RETRY, ARCA_FETCH__FINAL };

/* Sets every curl option of j->curl (hdrs: the conditional headers or
 * NULL; ua: the User-Agent). 0 or a negative code. */
int arca_fetch__setup(arca_fetch__job *j, struct curl_slist *hdrs,
	const char *ua, arca_error *err);

/* One attempt: resets j->x, performs, classifies; err is set unless the
 * result is ARCA_FETCH__DONE (then the status, validators, byte count and
 * digest are in j->x). */
int arca_fetch__attempt(arca_fetch__job *j, arca_error *err);

/*
 * url fit for messages and results: without userinfo (user:pass@), query
 * or fragment, control characters replaced by '?'. Works on strings curl
 * cannot parse too. malloc'd; NULL when out of memory.
 */
char *arca_fetch__safe_url(const char *url);

/* Replaces, in msg, any occurrence of the secrets of url (userinfo,
 * password, query, query values) of 3 or more bytes by "***". */
void arca_fetch__redact(char *msg, const char *url);

/* 0 if url parses and its scheme is http or https, else ARCA_EINVALID
 * (ARCA_ERROR when out of memory); messages name safe. */
int arca_fetch__check_url(const char *url, const char *safe,
	arca_error *err);

/* 1 if v is NULL or has no control characters (fit for a header). */
int arca_fetch__header_safe(const char *v);

/* Seconds from a Retry-After value (delta-seconds or an HTTP date,
 * relative to now), or -1 if it is neither. */
long arca_fetch__parse_retry_after(const char *v, time_t now);

/* Delay before retry number attempt+1 (attempt counts from 0):
 * base_ms * 2^attempt capped at ARCA_FETCH_BACKOFF_MAX_MS, with equal
 * jitter (half fixed, half random); at least retry_after_s seconds when
 * that is >= 0 (capped at ARCA_FETCH_RETRY_AFTER_MAX_S). */
long arca_fetch__backoff_ms(int attempt, long base_ms, long retry_after_s);

void arca_fetch__sleep_ms(long ms);

/* Appends to err->msg (no-op on NULL err). */
void arca_fetch__append(arca_error *err, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

#endif
