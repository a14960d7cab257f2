/*
 * What a REF on the command line names, for arca sign and verify-sig
 * (arca/sign.h): an adapter version (its record, package and manifest),
 * a dataset version, a run (its latest record), or any object, with the
 * kind it is signed and judged as.
 */
#include <stdlib.h>
#include <string.h>
#include "arca/run.h"
#include "arca/sign.h"
#include "catalog/cat.h"
#include "util/json.h"

/* Kinds a record may be listed under, to find an object's. */
static const char *const kinds[] = { "snapshot", "dataset",
	"dataset-schema", "dataset-version", "dataset-tag", "dataset-ack",
	"run", "run-approval", "adapter", "channel", "signature", NULL };

typedef struct tlist {
	arca_sign_target *v;
	size_t n;
} tlist;

static int push(tlist *l, const arca_id *id, const char *kind,
	const char *label, arca_error *err)
{
	arca_sign_target *nv = realloc(l->v, (l->n + 1) * sizeof(*nv));

	if (!nv)
		return arca_error_set(err, ARCA_ERROR, "out of memory");
	l->v = nv;
	memset(&nv[l->n], 0, sizeof(nv[0]));
	nv[l->n].id = *id;
	snprintf(nv[l->n].kind, sizeof(nv[0].kind), "%s", kind);
	snprintf(nv[l->n].label, sizeof(nv[0].label), "%s", label);
	l->n++;
	return 0;
}

/* ------------------------------------------------------------ adapters */

static int adapter(tlist *l, arca_repo *r, const char *spec, arca_error *err)
{
	const char *at = strchr(spec, '@'), *sp;
	char name[128], ref[ARCA_KEY_MAX], label[240];
	json_t *doc = NULL;
	arca_id rid, id;
	int rc;

	if (!at || at == spec || !at[1] || (size_t)(at - spec) >= sizeof(name))
		return arca_error_set(err, ARCA_EINVALID, "'%s' is not "
			"NAME@VERSION", spec);
	snprintf(name, sizeof(name), "%.*s", (int)(at - spec), spec);
	if (!arca_repo__dataset_name_valid(name) || strchr(at + 1, '/') ||
		strlen(at + 1) > 64)
		return arca_error_set(err, ARCA_ENOTFOUND, "no adapter %s",
			spec);
	snprintf(ref, sizeof(ref), "adapters/%s/%s", name, at + 1);
	if ((rc = arca_repo__ref_get(r, &rid, ref, err)) == ARCA_ENOTFOUND ||
		rc == ARCA_EINVALID)
		return arca_error_set(err, ARCA_ENOTFOUND, "no adapter %s",
			spec);
	if (rc < 0 || (rc = arca_repo__json_get(r, &doc, &rid,
		"adapter record", err)) < 0)
		return rc;
	snprintf(label, sizeof(label), "adapter %.200s record", spec);
	if ((rc = push(l, &rid, "adapter", label, err)) < 0)
		goto done;
	sp = json_string_value(json_object_get(doc, "package"));
	if (!sp || arca_id_parse(&id, sp) < 0) {
		rc = arca_error_set(err, ARCA_ECORRUPT, "adapter %s names no "
			"package", spec);
		goto done;
	}
	snprintf(label, sizeof(label), "adapter %.200s package", spec);
	if ((rc = push(l, &id, "adapter-package", label, err)) < 0)
		goto done;
	sp = json_string_value(json_object_get(doc, "manifest"));
	if (!sp || arca_id_parse(&id, sp) < 0) {
		rc = arca_error_set(err, ARCA_ECORRUPT, "adapter %s names no "
			"manifest", spec);
		goto done;
	}
	snprintf(label, sizeof(label), "adapter %.200s manifest", spec);
	rc = push(l, &id, "adapter-manifest", label, err);
done:
	json_decref(doc);
	return rc;
}

/* ------------------------------------------------------------ datasets */

static int dataset(tlist *l, arca_catalog *c, const char *spec,
	arca_error *err)
{
	arca_dataset_version v;
	char label[240];
	int rc;

	if ((rc = arca_dataset_resolve(c, &v, spec, 0, err)) < 0)
		return rc;
	snprintf(label, sizeof(label), "dataset %s@%lld version record",
		v.name, (long long)v.version);
	return push(l, &v.record, "dataset-version", label, err);
}

/* ---------------------------------------------------- runs and objects */

/* The kind object id is listed under, else "object". */
static int kind_of(char out[48], arca_repo *r, const arca_id *id,
	arca_error *err)
{
	char key[ARCA_KEY_MAX], hex[ARCA_ID_HEXSZ + 1];
	arca_buf b = ARCA_BUF_INIT;
	int rc = 0;

	arca_id_hex(hex, id);
	snprintf(out, 48, "object");
	for (size_t i = 0; kinds[i]; i++) {
		snprintf(key, sizeof(key), ARCA_KEY_RECORDS "%s/%s", kinds[i],
			hex);
		rc = arca_repo__key_get(r, &b, key, 200, err);
		if (rc == 0) {
			snprintf(out, 48, "%s", kinds[i]);
			break;
		}
		if (rc != ARCA_ENOTFOUND)
			goto done;
		arca_error_clear(err);
		rc = 0;
	}
done:
	arca_buf_dispose(&b);
	return rc;
}

typedef struct hint_ctx {
	arca_repo *r;
	char *kind;
} hint_ctx;

static int hint_cb(const char *name, const arca_id *rec, void *payload)
{
	hint_ctx *h = payload;
	const char *k;
	json_t *doc = NULL;

	(void)name;
	if (!rec || strcmp(h->kind, "object") || arca_repo__json_get(h->r,
		&doc, rec, "signature record", NULL) < 0)
		return 0;
	k = json_string_value(json_object_get(doc, "kind"));
	if (k && (!strcmp(k, "adapter-package") ||
		!strcmp(k, "adapter-manifest")))
		snprintf(h->kind, 48, "%s", k);
	json_decref(doc);
	return 0;
}

static int object(tlist *l, arca_repo *r, const arca_id *id, arca_error *err)
{
	char kind[48], label[240], s[ARCA_ID_STRSZ];
	int rc;

	if ((rc = kind_of(kind, r, id, err)) < 0)
		return rc;
	if (!strcmp(kind, "object")) {
		/* no record lists it: what its signers called it (an
		 * adapter's package or manifest) */
		char prefix[ARCA_KEY_MAX], hex[ARCA_ID_HEXSZ + 1];
		hint_ctx h = { r, kind };
		arca_id_hex(hex, id);
		snprintf(prefix, sizeof(prefix), "signatures/%s/", hex);
		if ((rc = arca_repo__ref_list(r, prefix, hint_cb, &h,
			err)) < 0)
			return rc;
	}
	arca_id_str(s, id);
	snprintf(label, sizeof(label), "%s %s", kind, s);
	return push(l, id, kind, label, err);
}

static int run(tlist *l, arca_repo *r, const arca_id *run_id,
	arca_error *err)
{
	char *text = NULL, label[240], hex[ARCA_ID_HEXSZ + 1];
	const char *status;
	json_t *doc;
	arca_id state;
	int rc;

	if ((rc = arca_run_state_json(&text, &state, r, run_id, err)) < 0)
		return rc;
	doc = json_loads(text, 0, NULL);
	status = json_string_value(json_object_get(doc, "status"));
	arca_id_hex(hex, run_id);
	snprintf(label, sizeof(label), "run %.12s record %lld (%s)", hex,
		(long long)json_integer_value(json_object_get(doc, "seq")),
		status ? status : "?");
	rc = push(l, &state, "run", label, err);
	json_decref(doc);
	free(text);
	return rc;
}

/* A bare id or prefix: a run's (its latest record) or any object. */
static int by_id(tlist *l, arca_repo *r, const char *spec, int want_run,
	int want_object, arca_error *err)
{
	arca_error e1 = ARCA_ERROR_INIT, e2 = ARCA_ERROR_INIT;
	arca_id rid, oid;
	int rr = ARCA_ENOTFOUND, ro = ARCA_ENOTFOUND;

	if (want_run)
		rr = arca_run_resolve(&rid, r, spec, &e1);
	if (want_object)
		ro = arca_repo_object_resolve(&oid, r, spec, &e2);
	if (rr < 0 && rr != ARCA_ENOTFOUND && rr != ARCA_EINVALID) {
		if (err)
			*err = e1;
		return rr;
	}
	if (rr == 0 && (ro == 0 || ro == ARCA_ENOTFOUND) && (ro ||
		!arca_id_cmp(&rid, &oid)))
		return run(l, r, &rid, err);
	if (rr == 0 && want_object)
		return arca_error_set(err, ARCA_EAMBIGUOUS, "'%s' matches a run "
			"and another object: give more digits, or write run:%s "
			"or object:%s", spec, spec, spec);
	if (ro < 0) {
		if (err)
			*err = want_object ? e2 : e1;
		return want_object ? ro : rr;
	}
	return object(l, r, &oid, err);
}

/* 1 when spec looks like an id or a prefix of one. */
static int hexish(const char *spec)
{
	size_t n;

	if (!strncmp(spec, ARCA_ID_PREFIX, 7))
		spec += 7;
	n = strlen(spec);
	return n >= 4 && n <= ARCA_ID_HEXSZ &&
		strspn(spec, "0123456789abcdefABCDEF") == n;
}

int arca_sign_resolve(arca_sign_target **out, size_t *n, arca_catalog *c,
	const char *ref, arca_error *err)
{
	arca_repo *r = c->r;
	tlist l = { NULL, 0 };
	int rc;

	*out = NULL;
	*n = 0;
	if (!strncmp(ref, "adapter:", 8))
		rc = adapter(&l, r, ref + 8, err);
	else if (!strncmp(ref, "dataset:", 8))
		rc = dataset(&l, c, ref + 8, err);
	else if (!strncmp(ref, "run:", 4))
		rc = by_id(&l, r, ref + 4, 1, 0, err);
	else if (!strncmp(ref, "object:", 7))
		rc = by_id(&l, r, ref + 7, 0, 1, err);
	else if (strchr(ref, '@')) {
		arca_error ea = ARCA_ERROR_INIT, ed = ARCA_ERROR_INIT;
		tlist d = { NULL, 0 };
		int ra = adapter(&l, r, ref, &ea);
		int rd = dataset(&d, c, ref, &ed);
		if (ra == 0 && rd == 0)
			rc = arca_error_set(err, ARCA_EAMBIGUOUS, "'%s' is an "
				"adapter and a dataset version: write adapter:%s "
				"or dataset:%s", ref, ref, ref);
		else if (ra == 0)
			rc = 0;
		else if (rd == 0) {
			free(l.v);
			l = d;
			d.v = NULL;
			rc = 0;
		} else if (ra != ARCA_ENOTFOUND) {
			rc = ra;
			if (err)
				*err = ea;
		} else {
			rc = rd;
			if (err)
				*err = ed;
			if (rd == ARCA_ENOTFOUND)
				rc = arca_error_set(err, rd, "'%s' is neither an "
					"adapter version nor a dataset version "
					"(%s)", ref, ed.msg);
		}
		free(d.v);
	} else if (hexish(ref))
		rc = by_id(&l, r, ref, 1, 1, err);
	else
		rc = dataset(&l, c, ref, err);
	if (rc < 0) {
		free(l.v);
		return rc;
	}
	*out = l.v;
	*n = l.n;
	return 0;
}

int arca_sign_target_sign(arca_repo *r, const arca_sign_target *t,
	int *added, arca_error *err)
{
	if (!arca_repo_signing_key(r))
		return arca_error_set(err, ARCA_EINVALID, "no signing key: set "
			"one with 'arca config set signing.key FINGERPRINT' or "
			"ARCA_SIGNING_KEY");
	return arca_repo__sign_object_ex(r, &t->id, t->kind, added, err);
}
