/*
 * The run's chain of records: each is the whole state of the run, names
 * the run and the record before it, and claims its sequence number with
 * a create-only ref (refs/runs/<run hex>/<seq>), which is what stops two
 * runners from continuing one run.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "run/runner.h"
#include "util/json.h"
#include "util/sys.h"

static void seq_ref(char out[ARCA_KEY_MAX], const arca_id *run, int64_t seq)
{
	char hex[ARCA_ID_HEXSZ + 1];

	arca_id_hex(hex, run);
	snprintf(out, ARCA_KEY_MAX, "runs/%s/%06" PRId64, hex, seq);
}

int run__journal(run_ctx *x, arca_error *err)
{
	char ref[ARCA_KEY_MAX], now[ARCA_TIME_STRSZ];
	int64_t seq = x->seq + 1;
	arca_id id;
	int rc;

	arca_time_format(now, arca_time_now_ns());
	json_object_set_new(x->doc, "time", json_string(now));
	json_object_set_new(x->doc, "seq", json_integer(seq));
	if (seq > 1) {
		json_object_set_new(x->doc, "run", arca_json_id(&x->run));
		json_object_set_new(x->doc, "previous", arca_json_id(&x->last));
	}
	if ((rc = arca_repo__record_put(x->r, ARCA_REC_RUN, x->doc, &id, NULL,
		err)) < 0)
		return arca_error_prefix(err, "recording the run");
	seq_ref(ref, seq == 1 ? &id : &x->run, seq);
	if ((rc = arca_repo__ref_create(x->r, ref, &id, err)) == ARCA_EEXISTS)
		return arca_error_set(err, ARCA_ELOCKED, "the run was continued "
			"by another runner (it already has record %" PRId64 ")",
			seq);
	if (rc < 0)
		return rc;
	if (seq == 1)
		x->run = id;
	x->last = id;
	x->seq = seq;
	/* The index catches up by itself on the next open if this fails. */
	if ((rc = arca_cat__import(x->c, ARCA_REC_RUN, &id, x->doc, err)) < 0)
		arca_error_clear(err);
	return 0;
}

typedef struct latest_ctx {
	int64_t seq;
	arca_id id;
} latest_ctx;

static int latest_cb(const char *name, const arca_id *id, void *payload)
{
	latest_ctx *l = payload;
	const char *slash = strrchr(name, '/');
	char *end;
	long long n;

	if (!id || !slash)
		return 0;
	n = strtoll(slash + 1, &end, 10);
	if (*end || n <= l->seq)
		return 0;
	l->seq = n;
	l->id = *id;
	return 0;
}

int run__latest(json_t **doc, arca_id *state, int64_t *seq, arca_repo *r,
	const arca_id *run, arca_error *err)
{
	char prefix[ARCA_KEY_MAX], hex[ARCA_ID_HEXSZ + 1];
	latest_ctx l = { 0, { { 0 } } };
	int rc;

	arca_id_hex(hex, run);
	snprintf(prefix, sizeof(prefix), "runs/%s/", hex);
	if ((rc = arca_repo__ref_list(r, prefix, latest_cb, &l, err)) < 0)
		return rc;
	if (!l.seq)
		return arca_error_set(err, ARCA_ENOTFOUND, "no run %.12s", hex);
	if ((rc = arca_repo__json_get(r, doc, &l.id, "run record", err)) < 0)
		return rc;
	if (state)
		*state = l.id;
	if (seq)
		*seq = l.seq;
	return 0;
}

typedef struct resolve_ctx {
	const char *prefix;
	size_t n;
	arca_id found;
} resolve_ctx;

static int resolve_cb(const char *name, const arca_id *id, void *payload)
{
	resolve_ctx *x = payload;
	const char *slash = strrchr(name, '/');
	char hex[ARCA_ID_HEXSZ + 1];

	/* refs/runs/<hex>/000001 names the run itself. */
	if (!id || !slash || strcmp(slash + 1, "000001"))
		return 0;
	arca_id_hex(hex, id);
	if (strncmp(hex, x->prefix, strlen(x->prefix)))
		return 0;
	if (x->n++ == 0)
		x->found = *id;
	return 0;
}

int arca_run_resolve(arca_id *out, arca_repo *r, const char *spec,
	arca_error *err)
{
	resolve_ctx x = { NULL, 0, { { 0 } } };
	char prefix[ARCA_KEY_MAX];
	size_t len;
	int rc;

	if (!strncmp(spec, "sha256:", 7))
		spec += 7;
	len = strlen(spec);
	if (len < 4 || len > ARCA_ID_HEXSZ ||
		strspn(spec, "0123456789abcdef") != len)
		return arca_error_set(err, ARCA_EINVALID, "invalid run '%s': "
			"expected a run id or a prefix of at least 4 hex digits",
			spec);
	x.prefix = spec;
	/* Narrow the listing by the first two digits of the directory. */
	snprintf(prefix, sizeof(prefix), "runs/%.2s", spec);
	if ((rc = arca_repo__ref_list(r, prefix, resolve_cb, &x, err)) < 0)
		return rc;
	if (!x.n)
		return arca_error_set(err, ARCA_ENOTFOUND, "no run '%s'", spec);
	if (x.n > 1)
		return arca_error_set(err, ARCA_EAMBIGUOUS, "run prefix '%s' "
			"matches %zu runs", spec, x.n);
	*out = x.found;
	return 0;
}

int arca_run_state_json(char **out, arca_id *state, arca_repo *r,
	const arca_id *run, arca_error *err)
{
	arca_buf b = ARCA_BUF_INIT;
	json_t *doc = NULL;
	int rc;

	if ((rc = run__latest(&doc, state, NULL, r, run, err)) < 0)
		return rc;
	rc = arca_json_canonical(&b, doc, err);
	json_decref(doc);
	if (rc < 0)
		return rc;
	if (!(*out = strndup((const char *)b.data, b.len)))
		rc = arca_error_set(err, ARCA_ERROR, "out of memory");
	arca_buf_dispose(&b);
	return rc;
}
