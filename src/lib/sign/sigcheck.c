/*
 * Checking what is stored: every signature of an object (the records
 * under refs/signatures/<id hex>/), each verified with gpg over the
 * object's exact bytes, judged together against a trust policy
 * (arca/sign.h). The signature records' own fingerprint members are
 * hints for people; only what gpg reports from the signature counts.
 */
#include <stdlib.h>
#include <string.h>
#include "arca/sign.h"
#include "repo/repo.h"
#include "sign/sign.h"
#include "sign/trust.h"
#include "util/json.h"

typedef struct ids {
	arca_id *v;
	size_t n;
} ids;

static int ids_cb(const char *name, const arca_id *id, void *payload)
{
	ids *x = payload;
	arca_id *nv;

	(void)name;
	if (!id)
		return 0; /* a ref holding no id is verify's to report */
	if (!(nv = realloc(x->v, (x->n + 1) * sizeof(*nv))))
		return ARCA_ERROR;
	x->v = nv;
	x->v[x->n++] = *id;
	return 0;
}

static int by_id(const void *a, const void *b)
{
	return arca_id_cmp(a, b);
}

/* The signature records of id, sorted. */
static int list_sigs(arca_repo *r, const arca_id *id, ids *out,
	arca_error *err)
{
	char prefix[ARCA_KEY_MAX], hex[ARCA_ID_HEXSZ + 1];
	int rc;

	arca_id_hex(hex, id);
	snprintf(prefix, sizeof(prefix), "signatures/%s/", hex);
	if ((rc = arca_repo__ref_list(r, prefix, ids_cb, out, err)) < 0) {
		if (!err || !err->msg[0])
			arca_error_set(err, rc, "out of memory");
		return rc;
	}
	if (out->n > 1)
		qsort(out->v, out->n, sizeof(*out->v), by_id);
	return 0;
}

/* Collects verified signatures with the record each came from. */
typedef struct acc {
	arca_sig_result all;
	arca_id *recs;   /* per signature: its record */
	arca_id *objs;   /* and its signature object */
	char (*why)[400]; /* a structural failure, "" when gpg judged */
	arca_error *err;
} acc;

static int acc_add(acc *a, const arca_id *rec, const arca_id *obj,
	const arca_sig *s, const char *why)
{
	size_t n = a->all.count + 1;
	arca_sig *sv = realloc(a->all.sigs, n * sizeof(*sv));
	arca_id *rv, *ov = NULL;
	char (*wv)[400];

	if (sv)
		a->all.sigs = sv;
	rv = sv ? realloc(a->recs, n * sizeof(*rv)) : NULL;
	if (rv)
		a->recs = rv;
	if (rv && (ov = realloc(a->objs, n * sizeof(*ov))))
		a->objs = ov;
	wv = ov ? realloc(a->why, n * sizeof(*wv)) : NULL;
	if (!wv)
		return arca_error_set(a->err, ARCA_ERROR, "out of memory");
	a->why = wv;
	a->all.sigs[n - 1] = *s;
	a->recs[n - 1] = *rec;
	if (obj)
		a->objs[n - 1] = *obj;
	else
		memset(&a->objs[n - 1], 0, sizeof(*obj));
	snprintf(a->why[n - 1], sizeof(a->why[0]), "%s", why ? why : "");
	a->all.count = n;
	return 0;
}

/* A signature record that cannot be checked: a bad signature. */
static int add_broken(acc *a, const arca_id *rec, json_t *doc,
	const char *fmt, const char *detail)
{
	arca_sig s;
	char why[400], rs[ARCA_ID_STRSZ];
	const char *claimed = doc ? json_string_value(json_object_get(doc,
		"fingerprint")) : NULL;

	memset(&s, 0, sizeof(s));
	s.status = ARCA_SIG_BAD;
	if (claimed)
		snprintf(s.fpr, sizeof(s.fpr), "%.40s", claimed);
	arca_id_str(rs, rec);
	snprintf(why, sizeof(why), fmt, rs, detail);
	return acc_add(a, rec, NULL, &s, why);
}

/* Verifies the signature record rec over data into a. */
static int check_one(acc *a, arca_repo *r, const arca_id *target,
	const arca_id *rec, const unsigned char *data, size_t len)
{
	arca_error e = ARCA_ERROR_INIT;
	arca_sig_result *res = NULL;
	unsigned char *text = NULL;
	json_t *doc = NULL;
	const char *type, *signs, *sobj;
	arca_id sid, sig_of;
	size_t tlen;
	int rc;

	rc = arca_repo__json_get(r, &doc, rec, "signature record", &e);
	if (rc == ARCA_ERROR)
		return arca_error_set(a->err, rc, "%s", e.msg);
	if (rc < 0)
		return add_broken(a, rec, NULL, "signature record %s cannot be "
			"read: %s", e.msg);
	type = json_string_value(json_object_get(doc, "type"));
	signs = json_string_value(json_object_get(doc, "signs"));
	sobj = json_string_value(json_object_get(doc, "signature"));
	if (!type || strcmp(type, "signature") || !signs ||
		arca_id_parse(&sig_of, signs) < 0 || !sobj ||
		arca_id_parse(&sid, sobj) < 0)
		rc = add_broken(a, rec, doc, "%s is not a signature record%s",
			"");
	else if (arca_id_cmp(&sig_of, target))
		rc = add_broken(a, rec, doc, "signature record %s signs "
			"another object (%s)", signs);
	else if ((rc = arca_repo_object_read(r, &text, &tlen, &sid,
		&e)) < 0)
		rc = rc == ARCA_ERROR ? arca_error_set(a->err, rc, "%s",
			e.msg) : add_broken(a, rec, doc, "the signature of "
			"record %s cannot be read: %s", e.msg);
	else if (strlen((const char *)text) != tlen ||
		(rc = arca_sign_verify(data, len, (const char *)text, &res,
		&e)) < 0)
		rc = rc == ARCA_ERROR ? arca_error_set(a->err, rc, "%s",
			e.msg) : add_broken(a, rec, doc, "the signature of "
			"record %s is not an OpenPGP signature%s", "");
	else
		for (size_t i = 0; rc == 0 && i < res->count; i++)
			rc = acc_add(a, rec, &sid, &res->sigs[i], NULL);
	arca_sig_result_free(res);
	free(text);
	json_decref(doc);
	return rc;
}

/* The kind a target is judged as: a channel record's is qualified by
 * its channel. */
static void judged_kind(char out[80], const arca_sign_target *t,
	const unsigned char *data, size_t len)
{
	snprintf(out, 80, "%s", t->kind);
	if (!strcmp(t->kind, "channel")) {
		json_t *doc = json_loadb((const char *)data, len, 0, NULL);
		const char *c = json_string_value(json_object_get(doc,
			"channel"));
		if (c)
			snprintf(out, 80, "channel:%.60s", c);
		json_decref(doc);
	}
}

static int judge(const arca_trust_policy *p, const char *kind,
	char *const *roles, size_t nroles, int min, const arca_sig_result *s,
	arca_trust_report **out)
{
	return nroles || min > 0 ? arca_trust_check_roles(p, kind, roles,
		nroles, min, s, out) : arca_trust_check(p, kind, s, out);
}

/* Fills e from signature i of a. */
static int entry(arca_sig_entry *e, const acc *a, size_t i,
	const arca_trust_policy *p, const char *kind, char *const *roles,
	size_t nroles)
{
	const arca_sig *s = &a->all.sigs[i];
	arca_sig_result one = { 1, (arca_sig *)s };
	arca_trust_report *rep = NULL;

	e->record = a->recs[i];
	e->object = a->objs[i];
	snprintf(e->fpr, sizeof(e->fpr), "%s", s->fpr);
	snprintf(e->primary_fpr, sizeof(e->primary_fpr), "%s",
		s->primary_fpr);
	snprintf(e->status, sizeof(e->status), "%s",
		arca_sig_status_name(s->status));
	e->created = s->created;
	arca_trust_key_roles(p, s, e->roles, sizeof(e->roles));
	if (judge(p, kind, roles, nroles, 1, &one, &rep) < 0)
		return ARCA_ERROR;
	for (size_t k = 0; k < rep->failure_count; k++) {
		arca_trust_reason why = rep->failures[k].reason;
		if (why == ARCA_TRUST_SIGNATURE_MISSING ||
			why == ARCA_TRUST_TOO_FEW)
			continue;
		snprintf(e->reason, sizeof(e->reason), "%s",
			arca_trust_reason_name(why));
		snprintf(e->message, sizeof(e->message), "%s", a->why[i][0] ?
			a->why[i] : rep->failures[k].message);
		break;
	}
	arca_trust_report_free(rep);
	return 0;
}

int arca_sig_check_roles(arca_sig_report **out, arca_repo *r,
	const arca_sign_target *t, const arca_trust_policy *p,
	char *const *roles, size_t nroles, int min, arca_error *err)
{
	acc a = { { 0, NULL }, NULL, NULL, NULL, err };
	arca_sig_report *rep = NULL;
	arca_trust_report *tr = NULL;
	unsigned char *data = NULL;
	ids found = { NULL, 0 };
	size_t len;
	int rc;

	if ((rc = arca_repo_object_read(r, &data, &len, &t->id, err)) < 0 ||
		(rc = list_sigs(r, &t->id, &found, err)) < 0)
		goto done;
	for (size_t i = 0; i < found.n; i++)
		if ((rc = check_one(&a, r, &t->id, &found.v[i], data,
			len)) < 0)
			goto done;
	if (!(rep = calloc(1, sizeof(*rep))) || (a.all.count &&
		!(rep->sigs = calloc(a.all.count, sizeof(*rep->sigs))))) {
		rc = arca_error_set(err, ARCA_ERROR, "out of memory");
		goto done;
	}
	judged_kind(rep->kind, t, data, len);
	rep->nsigs = a.all.count;
	for (size_t i = 0; i < a.all.count; i++)
		if (entry(&rep->sigs[i], &a, i, p, rep->kind, roles,
			nroles) < 0) {
			rc = arca_error_set(err, ARCA_ERROR, "out of memory");
			goto done;
		}
	if (judge(p, rep->kind, roles, nroles, min, &a.all, &tr) < 0) {
		rc = arca_error_set(err, ARCA_ERROR, "out of memory");
		goto done;
	}
	rep->ok = tr->ok;
	rep->required = tr->required;
	rep->counted = tr->counted;
	for (size_t k = 0; k < tr->failure_count; k++) {
		arca_trust_reason why = tr->failures[k].reason;
		if (why == ARCA_TRUST_SIGNATURE_MISSING ||
			why == ARCA_TRUST_TOO_FEW)
			snprintf(rep->reason, sizeof(rep->reason), "%s",
				arca_trust_reason_name(why));
	}
	/* the first failure for people: a signature's, else the count */
	for (size_t i = 0; i < rep->nsigs && !rep->message[0]; i++)
		if (rep->sigs[i].reason[0])
			snprintf(rep->message, sizeof(rep->message), "%s",
				rep->sigs[i].message);
	if (!rep->message[0] && tr->failure_count)
		snprintf(rep->message, sizeof(rep->message), "%s",
			tr->failures[0].message);
	*out = rep;
	rep = NULL;
done:
	arca_trust_report_free(tr);
	arca_sig_report_free(rep);
	free(a.all.sigs);
	free(a.recs);
	free(a.objs);
	free(a.why);
	free(found.v);
	free(data);
	return rc;
}

int arca_sig_check(arca_sig_report **out, arca_repo *r,
	const arca_sign_target *t, const arca_trust_policy *p,
	arca_error *err)
{
	return arca_sig_check_roles(out, r, t, p, NULL, 0, 0, err);
}

void arca_sig_report_free(arca_sig_report *rep)
{
	if (!rep)
		return;
	free(rep->sigs);
	free(rep);
}
