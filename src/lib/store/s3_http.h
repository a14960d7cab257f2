/*
 * The S3 store's HTTP layer: one signed request to S3 through libcurl,
 * with retries (exponential backoff with jitter on 5xx, 429, timeouts and
 * connection resets), a pool of curl handles so connections are reused
 * across requests and threads, and the mapping of S3's answers to arca
 * error codes. store_s3.c and s3_multipart.c build on it.
 */
#ifndef ARCA_STORE_S3_HTTP_H
#define ARCA_STORE_S3_HTTP_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>
#include "arca/error.h"
#include "store/s3_creds.h"
#include "util/buf.h"

/* Where and how to reach one bucket; shared by every thread, read-only
 * after setup except for the handle pool. */
typedef struct arca_s3 {
	char *bucket;
	char *prefix;    /* "" or "a/b": keys are "a/b/KEY" */
	char *url;       /* "s3://bucket[/prefix]", for messages */
	char *origin;    /* "https://host[:port]" */
	char *host;      /* the Host header: host[:port] */
	char *base_path; /* "" (virtual-hosted) or "/bucket" (path-style) */
	char *region;
	char *ca_bundle; /* AWS_CA_BUNDLE, or NULL */
	arca_s3_creds creds;
	unsigned retries;       /* attempts after the first */
	unsigned retry_base_ms; /* first backoff delay */
	unsigned timeout_s;     /* a stalled transfer fails after this */
	pthread_mutex_t pool_lock;
	void **pool; /* idle CURL easy handles */
	size_t npool, pool_cap;
} arca_s3;

#define ARCA_S3_MAX_HEADERS 6

typedef struct arca_s3_req {
	/* in */
	const char *method;       /* GET HEAD PUT POST DELETE */
	const char *key;          /* full key (prefix included); NULL: bucket */
	const char *query;        /* encoded query, or NULL */
	const void *body;         /* PUT/POST payload */
	size_t body_len;
	const char *payload_hash; /* hex SHA-256 of body; NULL: computed */
	const char *hdr_name[ARCA_S3_MAX_HEADERS]; /* lower-case, signed */
	const char *hdr_value[ARCA_S3_MAX_HEADERS];
	size_t nhdr;
	arca_buf *out; /* a 2xx body is appended here; NULL: discarded */
	/* out */
	long status;      /* final HTTP status; 0 when none was received */
	int64_t length;   /* Content-Length, -1 unknown */
	int64_t mtime_ns; /* Last-Modified, 0 unknown */
	char etag[128];
	char content_range[96]; /* of a 206 */
	char code[64];     /* S3 error code from an error body, or "" */
	char message[256]; /* its message (never holding a secret) */
	int attempts;
} arca_s3_req;

/* One transfer's state while a curl handle runs it (multipart keeps
 * several at once). */
typedef struct arca_s3_xfer {
	arca_s3 *c;
	arca_s3_req *r;
	void *curl;
	struct curl_slist *headers;
	size_t read_off;
	size_t out_start;
	arca_buf errbody;
	arca_buf url;
	char errbuf[256]; /* CURL_ERROR_SIZE */
} arca_s3_xfer;

/* Appends a key's path ("/bucket/prefix/k%20x", encoded) to out. */
int arca_s3__path(arca_buf *out, const arca_s3 *c, const char *key);

/* A curl easy handle from the pool (a new one when empty), or NULL. */
void *arca_s3__handle_take(arca_s3 *c);
void arca_s3__handle_give(arca_s3 *c, void *curl);
void arca_s3__pool_free(arca_s3 *c);

/* Signs r and sets up curl to run it (dated now). 0 or ARCA_ERROR. */
int arca_s3__xfer_setup(arca_s3_xfer *x, arca_s3 *c, void *curl,
	arca_s3_req *r, arca_error *err);
/* After a run ending in curl code rc: fills r's outputs; 1 when the
 * attempt failed in a way worth retrying (and undoes its output). */
int arca_s3__xfer_finish(arca_s3_xfer *x, void *curl, int rc);
void arca_s3__xfer_dispose(arca_s3_xfer *x);
/* The delay before attempt n (1-based retry count), with jitter. */
unsigned arca_s3__backoff_ms(const arca_s3 *c, unsigned n);
void arca_s3__sleep_ms(unsigned ms);

/*
 * Runs r with retries. 0 when S3 answered (r->status says how, 5xx
 * included once retries are spent); ARCA_EREMOTE when it could not be
 * reached at all; ARCA_ERROR for local failures.
 */
int arca_s3__perform(arca_s3 *c, arca_s3_req *r, arca_error *err);

/*
 * Sets err from a non-success answer to r about key (relative to the
 * store; NULL for the bucket) and returns the code: ARCA_ENOTFOUND (404
 * for a key), ARCA_EEXISTS (412), ARCA_EREMOTE (denied, missing bucket,
 * throttled, server errors, redirects) or ARCA_ERROR. The message names
 * the bucket, key, HTTP status and S3 error code, never credentials.
 */
int arca_s3__fail(const arca_s3 *c, const arca_s3_req *r, const char *key,
	arca_error *err);

#endif
