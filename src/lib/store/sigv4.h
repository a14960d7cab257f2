/*
 * AWS Signature Version 4 (header-based), the signer the S3 store uses.
 * Pure functions over strings: no clock, no network, no credentials kept.
 *
 * The path and query are given as sent on the wire (percent-encoded).
 * S3 signs the path exactly as sent; other services normalize it and
 * encode it once more (ARCA_SIGV4_NORMALIZE_PATH, ARCA_SIGV4_ENCODE_PATH).
 * The query is always decoded and re-encoded, then sorted.
 */
#ifndef ARCA_STORE_SIGV4_H
#define ARCA_STORE_SIGV4_H

#include <stddef.h>
#include "util/buf.h"

/* The SHA-256 of the empty payload, and S3's "payload not signed". */
#define ARCA_SIGV4_EMPTY_SHA256 \
	"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
#define ARCA_SIGV4_UNSIGNED_PAYLOAD "UNSIGNED-PAYLOAD"

enum {
	/* Remove "." and ".." segments and empty segments (not for S3). */
	ARCA_SIGV4_NORMALIZE_PATH = 1 << 0,
	/* Percent-encode the (already encoded) path again (not for S3). */
	ARCA_SIGV4_ENCODE_PATH = 1 << 1
};

typedef struct arca_sigv4_header {
	const char *name;  /* any case; signed lower-cased */
	const char *value; /* trimmed, inner runs of spaces collapsed */
} arca_sigv4_header;

typedef struct arca_sigv4_request {
	const char *method;
	const char *path;  /* as sent, starting with '/' */
	const char *query; /* as sent, without '?'; NULL or "" for none */
	/* Every header to sign: must include host and x-amz-date (and
	 * x-amz-content-sha256, x-amz-security-token where used). A name
	 * given twice is signed as one header with comma-joined values. */
	const arca_sigv4_header *headers;
	size_t nheaders;
	const char *payload_hash; /* lower-case hex, or UNSIGNED-PAYLOAD */
	unsigned flags;           /* ARCA_SIGV4_* */
} arca_sigv4_request;

typedef struct arca_sigv4_key {
	const char *access_key;
	const char *secret_key;
	const char *region;
	const char *service;  /* "s3" */
	const char *amz_date; /* YYYYMMDDTHHMMSSZ, as in x-amz-date */
} arca_sigv4_key;

/* Appends the RFC 3986 encoding of s[0, len) to out: unreserved bytes
 * (A-Z a-z 0-9 - . _ ~) as they are, '/' too when keep_slash, every other
 * byte as %XX (upper-case hex). 0 or ARCA_ERROR (out of memory). */
int arca_sigv4_encode(arca_buf *out, const char *s, size_t len,
	int keep_slash);

/* The canonical request (appended to creq) and, when signed is not NULL,
 * the signed-headers list ("host;x-amz-date"). 0, ARCA_EINVALID (a
 * malformed request) or ARCA_ERROR (out of memory). */
int arca_sigv4_canonical_request(arca_buf *creq, arca_buf *signed_headers,
	const arca_sigv4_request *r);

/* The string to sign for a canonical request (appended to out). */
int arca_sigv4_string_to_sign(arca_buf *out, const arca_sigv4_key *k,
	const char *creq, size_t creq_len);

/* The value of the Authorization header for r signed with k (appended to
 * out): "AWS4-HMAC-SHA256 Credential=…, SignedHeaders=…, Signature=…".
 * The secret never appears in out. */
int arca_sigv4_authorization(arca_buf *out, const arca_sigv4_request *r,
	const arca_sigv4_key *k);

/* Lower-case hex of the SHA-256 of data into hex (65 bytes). */
void arca_sigv4_sha256_hex(char hex[65], const void *data, size_t len);

#endif
