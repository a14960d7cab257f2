/*
 * The S3 store (store_s3.c): options beyond what a URL and the
 * environment say, and the multipart upload it uses for large values.
 */
#ifndef ARCA_STORE_S3_H
#define ARCA_STORE_S3_H

#include "store/s3_http.h"
#include "store/store.h"

typedef struct arca_store_s3_opts {
	/* "https://host[:port]"; NULL: $AWS_ENDPOINT_URL_S3, then
	 * $AWS_ENDPOINT_URL, else AWS itself (s3.REGION.amazonaws.com). */
	const char *endpoint;
	/* NULL: $AWS_REGION, $AWS_DEFAULT_REGION, the profile, us-east-1 */
	const char *region;
	/* 1 path-style, 0 virtual-hosted, -1: $ARCA_S3_PATH_STYLE, else
	 * path-style when an endpoint is given (or the bucket has a dot) */
	int path_style;
	/* 1 allow plain http to any host, 0 only to loopback, -1:
	 * $ARCA_S3_ALLOW_HTTP */
	int allow_http;
} arca_store_s3_opts;

#define ARCA_STORE_S3_OPTS_INIT { NULL, NULL, -1, -1 }

/*
 * Opens s3://BUCKET[/PREFIX] (location is "BUCKET[/PREFIX]", an "s3://"
 * in front is accepted). The bucket must exist, also with create=1
 * (buckets are made outside arca, as with 'aws s3 mb'): ARCA_EREMOTE
 * when it does not or when S3 cannot be reached or refuses,
 * ARCA_EINVALID for a bad URL, endpoint or missing credentials.
 */
int arca_store_s3_open(arca_store **out, const char *location, int create,
	const arca_store_s3_opts *opts, arca_error *err);

/*
 * Uploads data as full_key in parts of part_size bytes, up to parallel
 * at a time, each checked by S3 against its Content-MD5 and SHA-256; the
 * upload is aborted on failure. key names the value in messages.
 */
int arca_s3__multipart_put(arca_s3 *c, const char *full_key,
	const char *key, const unsigned char *data, size_t len,
	size_t part_size, unsigned parallel, arca_error *err);

/* Fills c's location, endpoint, region, credentials and retry settings
 * from location, opts and the environment (s3_config.c). */
int arca_s3__config(arca_s3 *c, const char *location,
	const arca_store_s3_opts *opts, arca_error *err);

/* base64 of the MD5 of data, for Content-MD5 (25 bytes with NUL). */
void arca_s3__md5_base64(char out[32], const void *data, size_t len);

#endif
