/* Repository init and open: the config document and format version. */
#include <stdlib.h>
#include <string.h>
#include "repo/repo.h"
#include "sign/sign.h"
#include "store/store.h"
#include "util/json.h"
#include "util/sys.h"

static int config_doc(arca_buf *out, const char *repo_id,
	const arca_cdc_params *cdc, int level, int require_signatures,
	arca_error *err)
{
	char now[ARCA_TIME_STRSZ];
	json_t *doc;
	int rc;

	arca_time_format(now, arca_time_now_ns());
	doc = json_pack("{s:s, s:{s:I, s:I}, s:s, s:s, s:s, s:s,"
		" s:{s:s, s:I, s:I, s:I}, s:{s:s, s:I}}",
		"format", "arca-repository",
		"version", "major", (json_int_t)ARCA_FORMAT_MAJOR,
		"minor", (json_int_t)ARCA_FORMAT_MINOR,
		"id", repo_id, "created", now, "hash", "sha256",
		"object_encoding", "zstd-frame-checksum",
		"chunker", "algorithm", "fastcdc-v1",
		"min_size", (json_int_t)cdc->min_size,
		"avg_size", (json_int_t)cdc->avg_size,
		"max_size", (json_int_t)cdc->max_size,
		"compression", "algorithm", "zstd", "level", (json_int_t)level);
	if (!doc)
		return arca_error_set(err, ARCA_ERROR, "out of memory");
	/* format 1.2; written only when set, so the default config is
	 * what 1.1 readers know */
	if (require_signatures)
		json_object_set_new(doc, "require_signatures", json_true());
	rc = arca_json_canonical(out, doc, err);
	json_decref(doc);
	return rc;
}

static int repo_new(arca_repo **out, arca_store *store, const char *url)
{
	arca_repo *r = calloc(1, sizeof(*r));

	if (!r || !(r->url = strdup(url))) {
		free(r);
		return ARCA_ERROR;
	}
	r->store = store;
	pthread_mutex_init(&r->known_lock, NULL);
	*out = r;
	return 0;
}

int arca_repo_init(arca_repo **out, const char *url,
	const arca_repo_init_opts *opts, arca_error *err)
{
	arca_repo_init_opts o = ARCA_REPO_INIT_OPTS_INIT;
	arca_cdc_params cdc = { ARCA_CDC_DEFAULT_MIN, ARCA_CDC_DEFAULT_AVG,
		ARCA_CDC_DEFAULT_MAX };
	arca_store *store = NULL;
	arca_buf cfg = ARCA_BUF_INIT;
	char id[33];
	int rc;

	if (opts)
		o = *opts;
	if (o.chunk_min)
		cdc.min_size = o.chunk_min;
	if (o.chunk_avg)
		cdc.avg_size = o.chunk_avg;
	if (o.chunk_max)
		cdc.max_size = o.chunk_max;
	if (!o.zstd_level)
		o.zstd_level = 3;
	if (o.zstd_level < 1 || o.zstd_level > 19)
		return arca_error_set(err, ARCA_EINVALID,
			"zstd level %d is out of range (1-19)", o.zstd_level);
	if ((rc = arca_cdc_params_check(&cdc, err)) < 0)
		return rc;
	if ((rc = arca_random_hex(id, 16)) < 0)
		return arca_error_set(err, rc, "cannot read random bytes");
	if ((rc = arca_store_open_with(&store, url, 1, o.store, err)) < 0)
		return rc;
	if ((rc = config_doc(&cfg, id, &cdc, o.zstd_level,
		o.require_signatures, err)) < 0)
		goto fail;
	rc = arca_store_put(store, ARCA_KEY_CONFIG, cfg.data, cfg.len,
		ARCA_STORE_PUT_EXCLUSIVE, err);
	if (rc == ARCA_EEXISTS)
		arca_error_set(err, rc, "a repository already exists at '%s'",
			url);
	if (rc < 0)
		goto fail;
	arca_buf_dispose(&cfg);
	arca_store_free(store);
	return arca_repo_open_with(out, url, o.store, err);
fail:
	arca_buf_dispose(&cfg);
	arca_store_free(store);
	return rc;
}

static int expect_str(json_t *obj, const char *key, const char *want,
	const char *what, arca_error *err)
{
	const char *s;
	int rc;

	if ((rc = arca_json_get_str(&s, obj, key, what, err)) < 0)
		return rc;
	if (strcmp(s, want))
		return arca_error_set(err, ARCA_EVERSION, "%s: %s '%.40s' is not "
			"known to this arca (it knows '%s'): upgrade arca", what,
			key, s, want);
	return 0;
}

static int parse_config(arca_repo *r, const arca_buf *cfg, arca_error *err)
{
	const char *what = "repository config", *s;
	json_t *doc = NULL, *v;
	int64_t major, minor, n[4];
	int rc;

	if ((rc = arca_json_parse(&doc, cfg->data, cfg->len, what, err)) < 0)
		return rc;
	if ((rc = arca_json_get_str(&s, doc, "format", what, err)) < 0)
		goto done;
	if (strcmp(s, "arca-repository")) {
		rc = arca_error_set(err, ARCA_ECORRUPT,
			"'%s' is not an arca repository (format '%s')",
			r->url, s);
		goto done;
	}
	v = json_object_get(doc, "version");
	if ((rc = arca_json_get_int(&major, v, "major", what, err)) < 0 ||
		(rc = arca_json_get_int(&minor, v, "minor", what, err)) < 0)
		goto done;
	if (major > ARCA_FORMAT_MAJOR || major < 1) {
		rc = arca_error_set(err, ARCA_EVERSION,
			"repository '%s' has format version %lld.%lld; this "
			"arca reads format %d.x only: upgrade arca", r->url,
			(long long)major, (long long)minor, ARCA_FORMAT_MAJOR);
		goto done;
	}
	r->format_major = (unsigned)major;
	r->format_minor = (unsigned)minor;
	if ((rc = arca_json_get_str(&s, doc, "id", what, err)) < 0)
		goto done;
	if (strlen(s) != 32 || strspn(s, "0123456789abcdef") != 32) {
		rc = arca_error_set(err, ARCA_ECORRUPT, "%s: id '%.40s' is not "
			"32 lowercase hex digits", what, s);
		goto done;
	}
	snprintf(r->repo_id, sizeof(r->repo_id), "%s", s);
	/* A reader that does not know an algorithm must not guess. */
	if ((rc = expect_str(doc, "hash", "sha256", what, err)) < 0 ||
		(rc = expect_str(doc, "object_encoding", "zstd-frame-checksum",
			what, err)) < 0 ||
		(rc = expect_str(json_object_get(doc, "chunker"), "algorithm",
			"fastcdc-v1", what, err)) < 0 ||
		(rc = expect_str(json_object_get(doc, "compression"),
			"algorithm", "zstd", what, err)) < 0)
		goto done;
	v = json_object_get(doc, "chunker");
	if ((rc = arca_json_get_int(&n[0], v, "min_size", what, err)) < 0 ||
		(rc = arca_json_get_int(&n[1], v, "avg_size", what, err)) < 0 ||
		(rc = arca_json_get_int(&n[2], v, "max_size", what, err)) < 0)
		goto done;
	v = json_object_get(doc, "compression");
	if ((rc = arca_json_get_int(&n[3], v, "level", what, err)) < 0)
		goto done;
	r->cdc.min_size = (uint32_t)n[0];
	r->cdc.avg_size = (uint32_t)n[1];
	r->cdc.max_size = (uint32_t)n[2];
	r->zstd_level = (int)n[3];
	if (n[3] < 1 || n[3] > 19) {
		rc = arca_error_set(err, ARCA_ECORRUPT, "%s: zstd level %lld "
			"is out of range (1-19)", what, (long long)n[3]);
		goto done;
	}
	for (int i = 0; i < 3; i++)
		if (n[i] < 1 || n[i] > UINT32_MAX) {
			rc = arca_error_set(err, ARCA_ECORRUPT, "%s: chunk size "
				"%lld is out of range", what, (long long)n[i]);
			goto done;
		}
	if ((rc = arca_cdc_params_check(&r->cdc, err)) < 0) {
		arca_error_prefix(err, "%s", what);
		goto done;
	}
	v = json_object_get(doc, "require_signatures");
	if (v && !json_is_boolean(v)) {
		rc = arca_error_set(err, ARCA_ECORRUPT, "%s: require_signatures "
			"is not true or false", what);
		goto done;
	}
	r->require_signatures = json_is_true(v);
done:
	json_decref(doc);
	return rc;
}

int arca_repo_open(arca_repo **out, const char *url, arca_error *err)
{
	return arca_repo_open_with(out, url, NULL, err);
}

int arca_repo_open_with(arca_repo **out, const char *url,
	const arca_store_opts *so, arca_error *err)
{
	arca_store *store = NULL;
	arca_buf cfg = ARCA_BUF_INIT;
	arca_repo *r = NULL;
	int rc;

	if ((rc = arca_store_open_with(&store, url, 0, so, err)) < 0) {
		if (rc == ARCA_ENOTFOUND)
			arca_error_set(err, rc, "no repository at '%s' (create "
				"one with 'arca init')", url);
		return rc;
	}
	rc = arca_store_get(store, &cfg, ARCA_KEY_CONFIG, 0, UINT64_MAX, err);
	if (rc == ARCA_ENOTFOUND)
		arca_error_set(err, rc, "no repository at '%s' (create one "
			"with 'arca init')", url);
	if (rc < 0)
		goto fail;
	if ((rc = repo_new(&r, store, url)) < 0) {
		arca_error_set(err, rc, "out of memory");
		goto fail;
	}
	store = NULL;
	if ((rc = parse_config(r, &cfg, err)) < 0)
		goto fail;
	arca_buf_dispose(&cfg);
	*out = r;
	return 0;
fail:
	arca_buf_dispose(&cfg);
	arca_store_free(store);
	arca_repo_free(r);
	return rc;
}

void arca_repo_free(arca_repo *r)
{
	if (!r)
		return;
	if (r->lock_key)
		arca_repo_unlock(r, NULL);
	arca_store_free(r->store);
	arca_signer_free(r->signer);
	arca_idset_dispose(&r->known);
	pthread_mutex_destroy(&r->known_lock);
	free(r->url);
	free(r);
}

const char *arca_repo_url(const arca_repo *r)
{
	return r->url;
}

const char *arca_repo_id(const arca_repo *r)
{
	return r->repo_id;
}

int arca_repo_zstd_level(const arca_repo *r)
{
	return r->zstd_level;
}
