/*
 * The S3 store: each key is an object "PREFIX/KEY" in one bucket, reached
 * through S3's REST API (s3_http.c signs and sends; this file translates).
 *
 * - put: one PUT with Content-MD5 and the payload's SHA-256, so S3 checks
 *   every byte; values of ARCA_S3_MULTIPART_MB (default 64) MiB or more
 *   go up as a multipart upload. A PUT is atomic: readers see the old or
 *   the new value, never part of one.
 * - ARCA_STORE_PUT_DEFER: the put is simply done at once. A successful
 *   PUT is durable before the key becomes visible, which is what DEFER
 *   asks; objects are content-addressed and the records naming them are
 *   written after flush, so an early-visible object is harmless. flush is
 *   therefore NULL.
 * - ARCA_STORE_PUT_EXCLUSIVE: HEAD, then PUT with "If-None-Match: *"
 *   (atomic on AWS S3 and servers with conditional writes: 412 means the
 *   key exists). Exclusive puts of one store are serialized, so threads of
 *   one process never both win; servers that ignore If-None-Match on PUT
 *   (s3rver 3.7) leave a window between HEAD and PUT across processes,
 *   which the lock protocol's settle-and-recheck (lock_settle_ms) covers.
 * - del: HEAD (for ARCA_ENOTFOUND) then DELETE; list: ListObjectsV2 with
 *   continuation tokens. Buckets are never created here.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <curl/curl.h>
#include <openssl/evp.h>
#include "store/s3_xml.h"
#include "store/sigv4.h"
#include "store/store_s3.h"
#include "util/base64.h"
#include "util/sys.h"

#define KEY_MAX 900 /* S3 allows 1024 bytes with the prefix */
#define MIB ((size_t)1 << 20)

typedef struct s3_store {
	arca_store parent;
	arca_s3 c;
	size_t multipart_min; /* values this large use multipart */
	size_t part_size;
	unsigned parallel;     /* parts in flight */
	unsigned max_keys;     /* ListObjectsV2 page size; 0: S3's */
	pthread_mutex_t excl_lock; /* one exclusive put at a time */
} s3_store;

static int oom(arca_error *err)
{
	return arca_error_set(err, ARCA_ERROR, "out of memory");
}

/* Why key[0, len) is not a valid key here, or NULL. */
static const char *bad_key(const char *key, size_t len)
{
	return arca_store_bad_key(key, len, KEY_MAX, 1);
}

static int check_key(const char *key, arca_error *err)
{
	const char *why;

	if (!key)
		key = "";
	if ((why = bad_key(key, strlen(key))))
		return arca_error_set(err, ARCA_EINVALID,
			"invalid store key '%s': %s", key, why);
	return 0;
}

/* "PREFIX/key" (or key) into out. */
static int full_key(arca_buf *out, const s3_store *ss, const char *key)
{
	if (*ss->c.prefix && arca_buf_printf(out, "%s/", ss->c.prefix) < 0)
		return ARCA_ERROR;
	return arca_buf_puts(out, key) < 0 ? ARCA_ERROR : 0;
}

static int not_found(const s3_store *ss, const char *key, arca_error *err)
{
	return arca_error_set(err, ARCA_ENOTFOUND, "key '%s' not found in %s",
		key, ss->c.url);
}

void arca_s3__md5_base64(char out[32], const void *data, size_t len)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned mdlen = 0;
	arca_buf b = ARCA_BUF_INIT;

	EVP_Digest(data, len, md, &mdlen, EVP_md5(), NULL);
	out[0] = '\0';
	if (arca_base64_encode(&b, md, mdlen) == 0)
		snprintf(out, 32, "%s", arca_buf_cstr(&b));
	arca_buf_dispose(&b);
}

/* HEAD of a key: 0 (st filled), ARCA_ENOTFOUND or another error. */
static int head(s3_store *ss, const char *full, const char *key,
	arca_store_info *st, arca_error *err)
{
	arca_s3_req r = { .method = "HEAD", .key = full };
	int rc;

	if ((rc = arca_s3__perform(&ss->c, &r, err)) < 0)
		return rc;
	if (r.status == 404)
		return not_found(ss, key, err);
	if (r.status != 200)
		return arca_s3__fail(&ss->c, &r, key, err);
	if (st) {
		st->size = r.length > 0 ? (uint64_t)r.length : 0;
		st->mtime_ns = r.mtime_ns;
	}
	return 0;
}

static int put_once(s3_store *ss, const char *full, const char *key,
	const void *data, size_t len, int exclusive, arca_error *err)
{
	char md5[32], sha[65];
	arca_s3_req r = { .method = "PUT", .key = full, .body = data,
		.body_len = len, .payload_hash = sha };
	int rc;

	arca_s3__md5_base64(md5, data, len);
	arca_sigv4_sha256_hex(sha, data, len);
	r.hdr_name[r.nhdr] = "content-md5";
	r.hdr_value[r.nhdr++] = md5;
	if (exclusive) {
		r.hdr_name[r.nhdr] = "if-none-match";
		r.hdr_value[r.nhdr++] = "*";
	}
	if ((rc = arca_s3__perform(&ss->c, &r, err)) < 0)
		return rc;
	if (r.status == 200)
		return 0;
	if (r.status == 412)
		return arca_error_set(err, ARCA_EEXISTS,
			"key '%s' already exists in %s", key, ss->c.url);
	return arca_s3__fail(&ss->c, &r, key, err);
}

static int s3_put(arca_store *s, const char *key, const void *data,
	size_t len, unsigned flags, arca_error *err)
{
	s3_store *ss = (s3_store *)s;
	arca_buf full = ARCA_BUF_INIT;
	int rc;

	if ((rc = check_key(key, err)) < 0)
		return rc;
	if (full_key(&full, ss, key) < 0)
		return oom(err);
	if (flags & ARCA_STORE_PUT_EXCLUSIVE) {
		pthread_mutex_lock(&ss->excl_lock);
		rc = head(ss, arca_buf_cstr(&full), key, NULL, err);
		if (rc == 0)
			rc = arca_error_set(err, ARCA_EEXISTS,
				"key '%s' already exists in %s", key,
				ss->c.url);
		else if (rc == ARCA_ENOTFOUND)
			rc = put_once(ss, arca_buf_cstr(&full), key, data, len,
				1, err);
		pthread_mutex_unlock(&ss->excl_lock);
	} else if (len >= ss->multipart_min) {
		rc = arca_s3__multipart_put(&ss->c, arca_buf_cstr(&full), key,
			data, len, ss->part_size, ss->parallel, err);
	} else {
		rc = put_once(ss, arca_buf_cstr(&full), key, data, len, 0,
			err);
	}
	arca_buf_dispose(&full);
	return rc;
}

/* Keeps only [off, off+len) of what a 200 (range ignored) appended. */
static void keep_range(arca_buf *out, size_t start, uint64_t off,
	uint64_t len)
{
	size_t got = out->len - start, from, n;

	from = off < got ? (size_t)off : got;
	n = got - from;
	if (len < n)
		n = (size_t)len;
	memmove(out->data + start, out->data + start + from, n);
	out->len = start + n;
}

/*
 * A 206 must start where asked ("bytes START-END/TOTAL"); more than was
 * asked is cut (s3rver 3.7 answers "bytes=0-0" with the whole object).
 */
static int check_range(s3_store *ss, const arca_s3_req *r, const char *key,
	arca_buf *out, size_t start, uint64_t off, uint64_t len,
	arca_error *err)
{
	unsigned long long first;

	if (sscanf(r->content_range, "bytes %llu-", &first) != 1 ||
	    first != off) {
		out->len = start;
		return arca_error_set(err, ARCA_EREMOTE,
			"s3 GET '%s/%s': asked for bytes from %llu, got range "
			"'%s'", ss->c.url, key, (unsigned long long)off,
			r->content_range);
	}
	if (out->len - start > len)
		out->len = start + (size_t)len;
	return 0;
}

static int s3_get(arca_store *s, arca_buf *out, const char *key,
	uint64_t off, uint64_t len, arca_error *err)
{
	s3_store *ss = (s3_store *)s;
	arca_buf full = ARCA_BUF_INIT;
	arca_s3_req r = { .method = "GET", .out = out };
	char range[64];
	size_t start = out->len;
	int rc, ranged = off > 0 || len != UINT64_MAX;

	if ((rc = check_key(key, err)) < 0)
		return rc;
	if (full_key(&full, ss, key) < 0)
		return oom(err);
	if (len == 0) {
		rc = head(ss, arca_buf_cstr(&full), key, NULL, err);
		goto done;
	}
	if (ranged) {
		if (len == UINT64_MAX || off + len < off)
			snprintf(range, sizeof(range), "bytes=%llu-",
				(unsigned long long)off);
		else
			snprintf(range, sizeof(range), "bytes=%llu-%llu",
				(unsigned long long)off,
				(unsigned long long)(off + len - 1));
		r.hdr_name[r.nhdr] = "range";
		r.hdr_value[r.nhdr++] = range;
	}
	r.key = arca_buf_cstr(&full);
	if ((rc = arca_s3__perform(&ss->c, &r, err)) < 0)
		goto done;
	if (r.status == 200 && ranged)
		keep_range(out, start, off, len);
	else if (r.status == 206)
		rc = check_range(ss, &r, key, out, start, off, len, err);
	else if (r.status == 416) /* off at or past the end */
		out->len = start;
	else if (r.status == 404 && strcmp(r.code, "NoSuchBucket"))
		rc = not_found(ss, key, err);
	else if (r.status != 200 && r.status != 206)
		rc = arca_s3__fail(&ss->c, &r, key, err);
	if (out->data && out->len >= start)
		out->data[out->len] = '\0';
done:
	arca_buf_dispose(&full);
	return rc;
}

static int s3_stat(arca_store *s, const char *key, arca_store_info *st,
	arca_error *err)
{
	s3_store *ss = (s3_store *)s;
	arca_buf full = ARCA_BUF_INIT;
	int rc;

	if ((rc = check_key(key, err)) < 0)
		return rc;
	if (full_key(&full, ss, key) < 0)
		return oom(err);
	rc = head(ss, arca_buf_cstr(&full), key, st, err);
	arca_buf_dispose(&full);
	return rc;
}

static int s3_del(arca_store *s, const char *key, arca_error *err)
{
	s3_store *ss = (s3_store *)s;
	arca_buf full = ARCA_BUF_INIT;
	arca_s3_req r = { .method = "DELETE" };
	int rc;

	if ((rc = check_key(key, err)) < 0)
		return rc;
	if (full_key(&full, ss, key) < 0)
		return oom(err);
	r.key = arca_buf_cstr(&full);
	/* S3 answers 204 for a missing key too: ask first */
	if ((rc = head(ss, r.key, key, NULL, err)) == 0 &&
	    (rc = arca_s3__perform(&ss->c, &r, err)) == 0 &&
	    r.status != 204 && r.status != 200)
		rc = arca_s3__fail(&ss->c, &r, key, err);
	arca_buf_dispose(&full);
	return rc;
}

/* ListObjectsV2's query for one page (parameters in sorted order). */
static int list_query(arca_buf *q, const s3_store *ss, const char *full,
	const char *token)
{
	if (token && (arca_buf_puts(q, "continuation-token=") < 0 ||
			arca_sigv4_encode(q, token, strlen(token), 0) < 0 ||
			arca_buf_puts(q, "&") < 0))
		return ARCA_ERROR;
	if (arca_buf_puts(q, "list-type=2") < 0 ||
	    (ss->max_keys && arca_buf_printf(q, "&max-keys=%u",
			ss->max_keys) < 0) ||
	    arca_buf_puts(q, "&prefix=") < 0 ||
	    arca_sigv4_encode(q, full, strlen(full), 0) < 0)
		return ARCA_ERROR;
	return 0;
}

/* Calls cb for each <Contents> of one page; its nonzero return stops. */
static int list_page(s3_store *ss, const arca_s3_xml_span *doc,
	arca_store_list_cb cb, void *payload, arca_error *err)
{
	arca_buf key = ARCA_BUF_INIT, num = ARCA_BUF_INIT, tm = ARCA_BUF_INIT;
	size_t pos = 0, plen = *ss->c.prefix ? strlen(ss->c.prefix) + 1 : 0;
	arca_s3_xml_span item;
	arca_store_info st;
	const char *k;
	int rc = 0;

	while (!rc && arca_s3__xml_next(doc, "Contents", &pos, &item)) {
		arca_buf_clear(&key);
		arca_buf_clear(&num);
		arca_buf_clear(&tm);
		if (arca_s3__xml_text(&key, &item, "Key") <= 0 ||
		    arca_s3__xml_text(&num, &item, "Size") <= 0) {
			rc = arca_error_set(err, ARCA_EREMOTE,
				"s3 list %s: malformed ListObjectsV2 answer",
				ss->c.url);
			break;
		}
		k = arca_buf_cstr(&key);
		if (strlen(k) < plen || memcmp(k, ss->c.prefix, plen - !!plen) ||
		    bad_key(k + plen, strlen(k + plen)))
			continue; /* not one of ours (e.g. "dir/" markers) */
		st.size = strtoull(arca_buf_cstr(&num), NULL, 10);
		st.mtime_ns = 0;
		if (arca_s3__xml_text(&tm, &item, "LastModified") > 0)
			arca_time_parse(&st.mtime_ns, arca_buf_cstr(&tm));
		rc = cb(k + plen, &st, payload);
	}
	arca_buf_dispose(&key);
	arca_buf_dispose(&num);
	arca_buf_dispose(&tm);
	return rc;
}

static int s3_list(arca_store *s, const char *prefix, arca_store_list_cb cb,
	void *payload, arca_error *err)
{
	s3_store *ss = (s3_store *)s;
	arca_buf full = ARCA_BUF_INIT, q = ARCA_BUF_INIT, body = ARCA_BUF_INIT;
	arca_buf token = ARCA_BUF_INIT, trunc = ARCA_BUF_INIT;
	const char *slash, *why = NULL;
	arca_s3_req r = { .method = "GET", .out = &body };
	arca_s3_xml_span doc;
	int rc = 0, more = 1;

	if (!prefix)
		prefix = "";
	slash = strrchr(prefix, '/');
	if (*prefix == '/')
		why = "absolute";
	else if (slash)
		why = bad_key(prefix, (size_t)(slash - prefix));
	if (why)
		return arca_error_set(err, ARCA_EINVALID,
			"invalid store prefix '%s': %s", prefix, why);
	if (full_key(&full, ss, prefix) < 0)
		return oom(err);
	while (!rc && more) {
		arca_buf_clear(&q);
		arca_buf_clear(&body);
		if (list_query(&q, ss, arca_buf_cstr(&full),
				token.len ? arca_buf_cstr(&token) : NULL) < 0) {
			rc = oom(err);
			break;
		}
		r.query = arca_buf_cstr(&q);
		if ((rc = arca_s3__perform(&ss->c, &r, err)) < 0)
			break;
		if (r.status != 200) {
			rc = arca_s3__fail(&ss->c, &r, NULL, err);
			break;
		}
		doc = (arca_s3_xml_span){ (const char *)body.data, body.len };
		if ((rc = list_page(ss, &doc, cb, payload, err)) != 0)
			break;
		arca_buf_clear(&trunc);
		arca_buf_clear(&token);
		more = arca_s3__xml_text(&trunc, &doc, "IsTruncated") > 0 &&
			!strcmp(arca_buf_cstr(&trunc), "true");
		if (more && arca_s3__xml_text(&token, &doc,
				"NextContinuationToken") <= 0)
			rc = arca_error_set(err, ARCA_EREMOTE,
				"s3 list %s: truncated answer without a "
				"continuation token", ss->c.url);
	}
	arca_buf_dispose(&full);
	arca_buf_dispose(&q);
	arca_buf_dispose(&body);
	arca_buf_dispose(&token);
	arca_buf_dispose(&trunc);
	return rc;
}

static const char *s3_local_path(arca_store *s)
{
	(void)s;
	return NULL;
}

static void s3_free(arca_store *s)
{
	s3_store *ss = (s3_store *)s;
	char **strs[] = { &ss->c.bucket, &ss->c.prefix, &ss->c.url,
		&ss->c.origin, &ss->c.host, &ss->c.base_path, &ss->c.region,
		&ss->c.ca_bundle };

	if (!ss)
		return;
	arca_s3__pool_free(&ss->c);
	arca_s3__creds_dispose(&ss->c.creds);
	for (size_t i = 0; i < sizeof(strs) / sizeof(strs[0]); i++)
		free(*strs[i]);
	pthread_mutex_destroy(&ss->c.pool_lock);
	pthread_mutex_destroy(&ss->excl_lock);
	free(ss);
	curl_global_cleanup();
}

/* A positive integer from the environment, or def. */
static unsigned long env_num(const char *name, unsigned long def)
{
	const char *v = getenv(name);
	char *end;
	unsigned long n;

	if (!v || !*v)
		return def;
	n = strtoul(v, &end, 10);
	return *end ? def : n;
}

/* The bucket must exist and answer: one ListObjectsV2 of one key. */
static int check_bucket(s3_store *ss, arca_error *err)
{
	arca_buf q = ARCA_BUF_INIT;
	arca_s3_req r = { .method = "GET" };
	int rc;

	if (arca_buf_puts(&q, "list-type=2&max-keys=1&prefix=") < 0 ||
	    arca_sigv4_encode(&q, ss->c.prefix, strlen(ss->c.prefix), 0) < 0)
		return oom(err);
	r.query = arca_buf_cstr(&q);
	if ((rc = arca_s3__perform(&ss->c, &r, err)) == 0 && r.status != 200) {
		if (r.status == 404 && (!strcmp(r.code, "NoSuchBucket") ||
				!*r.code))
			/* the place is wrong, not the repository: a remote
			 * error (exit 5), as NoSuchBucket on any request */
			rc = arca_error_set(err, ARCA_EREMOTE,
				"s3 bucket '%s' does not exist at %s (arca does "
				"not create buckets: make it first, e.g. 'aws s3 "
				"mb s3://%s')", ss->c.bucket, ss->c.origin,
				ss->c.bucket);
		else
			rc = arca_s3__fail(&ss->c, &r, NULL, err);
	}
	arca_buf_dispose(&q);
	return rc;
}

int arca_store_s3_open(arca_store **out, const char *location, int create,
	const arca_store_s3_opts *opts, arca_error *err)
{
	arca_store_s3_opts def = ARCA_STORE_S3_OPTS_INIT;
	s3_store *ss;
	unsigned long mb;
	int rc;

	(void)create; /* the bucket must exist either way */
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
		return arca_error_set(err, ARCA_ERROR, "cannot start libcurl");
	if (!(ss = calloc(1, sizeof(*ss)))) {
		curl_global_cleanup();
		return oom(err);
	}
	pthread_mutex_init(&ss->c.pool_lock, NULL);
	pthread_mutex_init(&ss->excl_lock, NULL);
	if ((rc = arca_s3__config(&ss->c, location, opts ? opts : &def,
			err)) < 0)
		goto fail;
	mb = env_num("ARCA_S3_MULTIPART_MB", 64);
	if (mb < 5)
		mb = 5; /* S3's smallest part */
	if (mb > 4096)
		mb = 4096;
	ss->multipart_min = (size_t)mb * MIB;
	ss->part_size = ss->multipart_min;
	ss->parallel = (unsigned)env_num("ARCA_S3_PARALLEL", 4);
	if (!ss->parallel || ss->parallel > 64)
		ss->parallel = 4;
	ss->max_keys = (unsigned)env_num("ARCA_S3_MAX_KEYS", 0);
	if (ss->max_keys > 1000)
		ss->max_keys = 1000; /* S3's page limit */
	ss->parent.version = ARCA_STORE_VERSION;
	ss->parent.url = ss->c.url;
	/* S3 is strongly consistent, but exclusive creation is not atomic
	 * on every S3-compatible server: let the lock protocol re-check. */
	ss->parent.lock_settle_ms = 200;
	ss->parent.put = s3_put;
	ss->parent.get = s3_get;
	ss->parent.stat = s3_stat;
	ss->parent.list = s3_list;
	ss->parent.del = s3_del;
	ss->parent.flush = NULL; /* puts are durable at once, see above */
	ss->parent.local_path = s3_local_path;
	ss->parent.free = s3_free;
	if ((rc = check_bucket(ss, err)) < 0)
		goto fail;
	*out = &ss->parent;
	return 0;
fail:
	s3_free(&ss->parent);
	return rc;
}

int arca_store_s3_new(arca_store **out, const char *location, int create,
	arca_error *err)
{
	return arca_store_s3_open(out, location, create, NULL, err);
}
