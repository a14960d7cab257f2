/*
 * arca_fetch_url: argument checks, then one libcurl easy handle per call,
 * reused across the attempts (fetch_xfer.c) of the retry loop here.
 * Messages name the URL only through arca_fetch__safe_url.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include "arca/arca.h"
#include "ingest/fetch_int.h"

#define RETRIES_MAX 100           /* a sanity bound on opts->retries */

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static CURLcode curl_init_rc;

/* curl_global_init is not thread-safe and must run once per process. */
static void curl_init(void)
{
	curl_init_rc = curl_global_init(CURL_GLOBAL_DEFAULT);
}

void arca_fetch_opts_init(arca_fetch_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->connect_timeout_s = 15;
	o->low_speed_timeout_s = 60;
	o->max_redirects = 5;
	o->retries = 4;
	o->retry_base_ms = 500;
}

void arca_fetch_result_free(arca_fetch_result *r)
{
	if (!r)
		return;
	free(r->etag);
	free(r->last_modified);
	free(r->effective_url);
	*r = (arca_fetch_result)ARCA_FETCH_RESULT_INIT;
}

/* Adds "name: value" to *list. 0 or ARCA_ERROR. */
static int add_header(struct curl_slist **list, const char *name,
	const char *value)
{
	struct curl_slist *l;
	char *line;

	if (asprintf(&line, "%s: %s", name, value) < 0)
		return ARCA_ERROR;
	l = curl_slist_append(*list, line);
	free(line);
	if (!l)
		return ARCA_ERROR;
	*list = l;
	return 0;
}

static int check_args(arca_fetch__job *j, int fd, const char *etag,
	const char *lm, arca_error *err)
{
	const arca_fetch_opts *o = j->o;
	struct stat st;
	int r;

	if ((r = arca_fetch__check_url(j->url, j->safe, err)) < 0)
		return r;
	if (o->connect_timeout_s < 0 || o->low_speed_timeout_s < 0 ||
	    o->max_redirects < 0 || o->retries < 0 ||
	    o->retries > RETRIES_MAX || o->retry_base_ms < 0)
		return arca_error_set(err, ARCA_EINVALID, "fetch %s: negative "
			"timeout, redirect or retry option (or more than %d "
			"retries)", j->safe, RETRIES_MAX);
	if (fstat(fd, &st) < 0)
		return arca_error_set_errno(err, ARCA_EINVALID, errno,
			"fetch %s: output file", j->safe);
	if (!S_ISREG(st.st_mode))
		return arca_error_set(err, ARCA_EINVALID, "fetch %s: output "
			"must be a regular file (it is rewritten on retry)",
			j->safe);
	if (!arca_fetch__header_safe(etag) || !arca_fetch__header_safe(lm) ||
	    !arca_fetch__header_safe(o->user_agent))
		return arca_error_set(err, ARCA_EINVALID, "fetch %s: ETag, "
			"Last-Modified or User-Agent contains control "
			"characters", j->safe);
	if (o->expected_sha256) {
		if (arca_id_parse(&j->expected, o->expected_sha256) < 0)
			return arca_error_set(err, ARCA_EINVALID, "fetch %s: "
				"expected SHA-256 '%.80s' is not sha256:<64 "
				"hex> or <64 hex>", j->safe,
				o->expected_sha256);
		j->have_expected = 1;
	}
	return 0;
}

static int fill_result(arca_fetch__job *j, const char *prev_etag,
	const char *prev_lm, arca_fetch_result *res, arca_error *err)
{
	arca_fetch_result r = ARCA_FETCH_RESULT_INIT;
	char *eff = NULL;

	r.http_status = j->x.status;
	r.not_modified = j->x.status == 304;
	/* A 304 need not repeat the validators: keep the ones we sent. */
	r.etag = j->x.etag ? j->x.etag :
		(r.not_modified && prev_etag ? strdup(prev_etag) : NULL);
	r.last_modified = j->x.last_modified ? j->x.last_modified :
		(r.not_modified && prev_lm ? strdup(prev_lm) : NULL);
	j->x.etag = j->x.last_modified = NULL;
	if (!r.not_modified) {
		r.bytes = j->x.bytes;
		arca_id_hex(r.sha256, &j->x.got);
	}
	if (curl_easy_getinfo(j->curl, CURLINFO_EFFECTIVE_URL, &eff) !=
		CURLE_OK || !eff)
		eff = (char *)j->url;
	r.effective_url = arca_fetch__safe_url(eff);
	if ((r.not_modified && ((prev_etag && !r.etag) ||
		(prev_lm && !r.last_modified))) || !r.effective_url) {
		arca_fetch_result_free(&r);
		return arca_error_set(err, ARCA_ERROR, "fetch %s: out of "
			"memory", j->safe);
	}
	*res = r;
	return 0;
}

int arca_fetch_url(const char *url, int fd, const char *prev_etag,
	const char *prev_last_modified, const arca_fetch_opts *opts,
	arca_fetch_result *res, arca_error *err)
{
	arca_error last = ARCA_ERROR_INIT;
	arca_fetch_opts defaults;
	struct curl_slist *hdrs = NULL;
	char ua[64];
	arca_fetch__job j;
	int r, n;

	if (!opts) {
		arca_fetch_opts_init(&defaults);
		opts = &defaults;
	}
	if (!url || !res)
		return arca_error_set(err, ARCA_EINVALID,
			"fetch: no URL or no result given");
	if (prev_etag && !*prev_etag)
		prev_etag = NULL;
	if (prev_last_modified && !*prev_last_modified)
		prev_last_modified = NULL;
	memset(&j, 0, sizeof(j));
	j.url = url;
	j.o = opts;
	j.x.fd = fd;
	j.conditional = prev_etag || prev_last_modified;
	j.https = !strncasecmp(url, "https:", 6);
	if (!(j.safe = arca_fetch__safe_url(url)))
		return arca_error_set(err, ARCA_ERROR, "fetch: out of memory");
	pthread_once(&curl_once, curl_init);
	if (curl_init_rc != CURLE_OK) {
		r = arca_error_set(err, ARCA_ERROR, "fetch %s: curl_global_init"
			": %s", j.safe, curl_easy_strerror(curl_init_rc));
		goto out;
	}
	if ((r = check_args(&j, fd, prev_etag, prev_last_modified, err)) < 0)
		goto out;
	if ((prev_etag && add_header(&hdrs, "If-None-Match", prev_etag)) ||
	    (prev_last_modified && add_header(&hdrs, "If-Modified-Since",
		prev_last_modified)) || !(j.curl = curl_easy_init())) {
		r = arca_error_set(err, ARCA_ERROR, "fetch %s: out of memory",
			j.safe);
		goto out;
	}
	snprintf(ua, sizeof(ua), "arca/%s", arca_version());
	if ((r = arca_fetch__setup(&j, hdrs,
		opts->user_agent ? opts->user_agent : ua, err)) < 0)
		goto out;
	for (n = 0;; n++) {
		/* A failed attempt's message reaches err only if it is the
		 * last: success leaves err alone. */
		int a = arca_fetch__attempt(&j, &last);
		if (a == ARCA_FETCH__DONE)
			break;
		if (a == ARCA_FETCH__FINAL || n >= opts->retries) {
			if (n > 0)
				arca_fetch__append(&last, " (gave up after %d "
					"attempts)", n + 1);
			if (err)
				*err = last;
			r = last.code;
			goto out;
		}
		arca_fetch__sleep_ms(arca_fetch__backoff_ms(n,
			opts->retry_base_ms, j.x.retry_after));
	}
	r = fill_result(&j, prev_etag, prev_last_modified, res, err);
out:
	curl_slist_free_all(hdrs);
	if (j.curl)
		curl_easy_cleanup(j.curl);
	arca_sha256_free(j.x.sha);
	free(j.x.etag);
	free(j.x.last_modified);
	free(j.safe);
	return r;
}
