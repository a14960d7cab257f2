/*
 * Multipart upload for large values: initiate, the parts in parallel on
 * one curl multi handle (each retried on its own with backoff, each with
 * Content-MD5 and its SHA-256 so S3 checks every byte), complete, then a
 * HEAD to check the size. Any failure aborts the upload, so no upload is
 * left behind on a path this code controls. Integrity never rests on the
 * ETag's format: AWS's multipart ETag is not an MD5 of the object, some
 * servers' is; the per-part checks are what count.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <curl/curl.h>
#include "store/s3_xml.h"
#include "store/sigv4.h"
#include "store/store_s3.h"

typedef struct part {
	arca_s3_req r;
	arca_s3_xfer x;
	void *curl;
	char query[512];
	char md5[32];
	char sha[65];
	int64_t not_before_ms;
	int state; /* PENDING, RUNNING, DONE */
} part;

enum { PENDING, RUNNING, DONE };

typedef struct upload {
	arca_s3 *c;
	const char *full, *key;
	char *id;          /* UploadId */
	arca_buf id_enc;   /* UploadId, URI-encoded */
	part *parts;
	size_t nparts;
} upload;

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int initiate(upload *u, arca_error *err)
{
	arca_buf body = ARCA_BUF_INIT, id = ARCA_BUF_INIT;
	arca_s3_req r = { .method = "POST", .key = u->full, .query = "uploads",
		.out = &body };
	arca_s3_xml_span doc;
	int rc;

	if ((rc = arca_s3__perform(u->c, &r, err)) < 0)
		goto done;
	if (r.status != 200) {
		rc = arca_s3__fail(u->c, &r, u->key, err);
		goto done;
	}
	doc = (arca_s3_xml_span){ (const char *)body.data, body.len };
	if (arca_s3__xml_text(&id, &doc, "UploadId") <= 0 || !id.len) {
		rc = arca_error_set(err, ARCA_EREMOTE,
			"s3 multipart upload of '%s' in %s: no UploadId in the "
			"answer", u->key, u->c->url);
		goto done;
	}
	if (arca_sigv4_encode(&u->id_enc, (const char *)id.data, id.len,
			0) < 0 || arca_buf_grow(&u->id_enc, 0) < 0 ||
	    !(u->id = strdup(arca_buf_cstr(&id))))
		rc = arca_error_set(err, ARCA_ERROR, "out of memory");
done:
	arca_buf_dispose(&body);
	arca_buf_dispose(&id);
	return rc;
}

/* Best effort: S3 drops the parts; a server without abort keeps them. */
static void abort_upload(upload *u)
{
	arca_buf q = ARCA_BUF_INIT;
	arca_s3_req r = { .method = "DELETE", .key = u->full };

	if (arca_buf_printf(&q, "uploadId=%s", arca_buf_cstr(&u->id_enc)) < 0)
		return;
	r.query = arca_buf_cstr(&q);
	arca_s3__perform(u->c, &r, NULL);
	arca_buf_dispose(&q);
}

static void parts_init(upload *u, const unsigned char *data, size_t len,
	size_t part_size)
{
	for (size_t i = 0; i < u->nparts; i++) {
		part *p = &u->parts[i];
		size_t off = i * part_size;
		size_t n = len - off < part_size ? len - off : part_size;

		snprintf(p->query, sizeof(p->query),
			"partNumber=%zu&uploadId=%s", i + 1,
			arca_buf_cstr(&u->id_enc));
		arca_s3__md5_base64(p->md5, data + off, n);
		arca_sigv4_sha256_hex(p->sha, data + off, n);
		p->r = (arca_s3_req){ .method = "PUT", .key = u->full,
			.query = p->query, .body = data + off, .body_len = n,
			.payload_hash = p->sha };
		p->r.hdr_name[0] = "content-md5";
		p->r.hdr_value[0] = p->md5;
		p->r.nhdr = 1;
	}
}

static int start_part(upload *u, CURLM *m, part *p, arca_error *err)
{
	int rc;

	if (!p->curl && !(p->curl = arca_s3__handle_take(u->c)))
		return arca_error_set(err, ARCA_ERROR, "out of memory");
	if ((rc = arca_s3__xfer_setup(&p->x, u->c, p->curl, &p->r, err)) < 0)
		return rc;
	curl_easy_setopt(p->curl, CURLOPT_PRIVATE, p);
	if (curl_multi_add_handle(m, p->curl) != CURLM_OK)
		return arca_error_set(err, ARCA_ERROR,
			"cannot start an S3 part upload");
	p->state = RUNNING;
	return 0;
}

/* A part's transfer ended with rc: done, to retry, or failed (< 0). */
static int end_part(upload *u, part *p, int rc, arca_error *err)
{
	int again = arca_s3__xfer_finish(&p->x, p->curl, rc);

	if (p->r.status == 200 && p->r.etag[0]) {
		p->state = DONE;
		return 0;
	}
	if (again && (unsigned)p->r.attempts <= u->c->retries) {
		p->state = PENDING;
		p->not_before_ms = now_ms() + arca_s3__backoff_ms(u->c,
			(unsigned)p->r.attempts);
		return 0;
	}
	if (!p->r.status)
		return arca_error_set(err, ARCA_EREMOTE,
			"s3 PUT part %.20s of '%s' in %s: %s (%d attempts)",
			p->query + 11, u->key, u->c->url, p->r.message,
			p->r.attempts);
	if (p->r.status == 200)
		return arca_error_set(err, ARCA_EREMOTE,
			"s3 PUT part of '%s' in %s: no ETag in the answer",
			u->key, u->c->url);
	return arca_s3__fail(u->c, &p->r, u->key, err);
}

/* Runs every part, at most parallel at once; 0 when all are stored. */
static int run_parts(upload *u, unsigned parallel, arca_error *err)
{
	CURLM *m = curl_multi_init();
	size_t done = 0, running = 0, i;
	int rc = 0, still, left;
	CURLMsg *msg;

	if (!m)
		return arca_error_set(err, ARCA_ERROR, "out of memory");
	while (!rc && done < u->nparts) {
		int64_t now = now_ms();

		for (i = 0; !rc && i < u->nparts && running < parallel; i++)
			if (u->parts[i].state == PENDING &&
			    u->parts[i].not_before_ms <= now &&
			    (rc = start_part(u, m, &u->parts[i], err)) == 0)
				running++;
		if (rc)
			break;
		curl_multi_perform(m, &still);
		while (!rc && (msg = curl_multi_info_read(m, &left))) {
			part *p = NULL;

			if (msg->msg != CURLMSG_DONE)
				continue;
			curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE,
				(char **)&p);
			curl_multi_remove_handle(m, msg->easy_handle);
			running--;
			rc = end_part(u, p, msg->data.result, err);
			done += p->state == DONE;
		}
		if (!rc && done < u->nparts)
			curl_multi_poll(m, NULL, 0, running ? 100 : 20, NULL);
	}
	for (i = 0; i < u->nparts; i++) {
		if (u->parts[i].state == RUNNING)
			curl_multi_remove_handle(m, u->parts[i].curl);
		arca_s3__xfer_dispose(&u->parts[i].x);
		arca_s3__handle_give(u->c, u->parts[i].curl);
		u->parts[i].curl = NULL;
	}
	curl_multi_cleanup(m);
	return rc;
}

static int complete(upload *u, arca_error *err)
{
	arca_buf xml = ARCA_BUF_INIT, body = ARCA_BUF_INIT, q = ARCA_BUF_INIT;
	arca_s3_req r = { .method = "POST", .key = u->full, .out = &body };
	arca_s3_xml_span doc, e;
	size_t pos = 0;
	int rc = ARCA_ERROR;

	if (arca_buf_puts(&xml, "<CompleteMultipartUpload>") < 0)
		goto oom;
	for (size_t i = 0; i < u->nparts; i++)
		if (arca_buf_printf(&xml, "<Part><PartNumber>%zu</PartNumber>"
				"<ETag>", i + 1) < 0 ||
		    arca_s3__xml_escape(&xml, u->parts[i].r.etag) < 0 ||
		    arca_buf_puts(&xml, "</ETag></Part>") < 0)
			goto oom;
	if (arca_buf_puts(&xml, "</CompleteMultipartUpload>") < 0 ||
	    arca_buf_printf(&q, "uploadId=%s", arca_buf_cstr(&u->id_enc)) < 0)
		goto oom;
	r.query = arca_buf_cstr(&q);
	r.body = xml.data;
	r.body_len = xml.len;
	if ((rc = arca_s3__perform(u->c, &r, err)) < 0)
		goto done;
	doc = (arca_s3_xml_span){ (const char *)body.data, body.len };
	if (r.status != 200)
		rc = arca_s3__fail(u->c, &r, u->key, err);
	else if (arca_s3__xml_next(&doc, "Error", &pos, &e))
		/* S3 may fail a completion inside a 200 answer */
		rc = arca_error_set(err, ARCA_EREMOTE,
			"s3 multipart upload of '%s' in %s: completion failed",
			u->key, u->c->url);
	goto done;
oom:
	rc = arca_error_set(err, ARCA_ERROR, "out of memory");
done:
	arca_buf_dispose(&xml);
	arca_buf_dispose(&body);
	arca_buf_dispose(&q);
	return rc;
}

/* The object must now be there with the whole length. */
static int check_size(upload *u, size_t len, arca_error *err)
{
	arca_s3_req r = { .method = "HEAD", .key = u->full };
	int rc;

	if ((rc = arca_s3__perform(u->c, &r, err)) < 0)
		return rc;
	if (r.status != 200)
		return arca_s3__fail(u->c, &r, u->key, err);
	if (r.length < 0 || (uint64_t)r.length != len)
		return arca_error_set(err, ARCA_EREMOTE,
			"s3 multipart upload of '%s' in %s: stored %lld bytes, "
			"sent %zu", u->key, u->c->url, (long long)r.length, len);
	return 0;
}

int arca_s3__multipart_put(arca_s3 *c, const char *full_key,
	const char *key, const unsigned char *data, size_t len,
	size_t part_size, unsigned parallel, arca_error *err)
{
	upload u = { c, full_key, key, NULL, ARCA_BUF_INIT, NULL, 0 };
	int rc;

	if (!part_size)
		return arca_error_set(err, ARCA_EINVALID, "no part size");
	if (len / part_size >= 10000) /* S3's limit on parts */
		part_size = len / 9999 + 1;
	u.nparts = len ? (len + part_size - 1) / part_size : 1;
	if (!(u.parts = calloc(u.nparts, sizeof(*u.parts))))
		return arca_error_set(err, ARCA_ERROR, "out of memory");
	if ((rc = initiate(&u, err)) < 0)
		goto done;
	parts_init(&u, data, len, part_size);
	if ((rc = run_parts(&u, parallel, err)) < 0 ||
	    (rc = complete(&u, err)) < 0) {
		abort_upload(&u);
		goto done;
	}
	rc = check_size(&u, len, err);
done:
	free(u.parts);
	free(u.id);
	arca_buf_dispose(&u.id_enc);
	return rc;
}
