/*
 * The repository's signer and the one place records get signed
 * (formats/signature.md). record_add calls arca_repo__sign_hook before
 * it lists a record, so with a signer set no record of a signed kind is
 * ever visible unsigned; without one the hook costs a string compare.
 * A signature is three writes, in order: the armoured signature as an
 * object, a "signature" record naming it and the signed object, then
 * refs/signatures/<signed hex>/<signature record hex>, so all the
 * signatures of an object are one listing away. They are deferred puts
 * made durable by one flush for all the signatures of a batch
 * (arca_repo_sigs): a record put with record_put and the objects signed
 * with it share it, and the record is listed after it.
 */
#include <stdlib.h>
#include <string.h>
#include "arca/sign.h"
#include "repo/repo.h"
#include "sign/sign.h"
#include "util/json.h"
#include "util/sys.h"
#include "util/utf8.h"

/* Kinds signed when a signer is set. "signature" records are not: they
 * only point at a signature, which vouches for itself. */
static const char *const signed_kinds[] = { "snapshot", "dataset",
	"dataset-schema", "dataset-version", "dataset-tag", "dataset-ack",
	"run", "run-approval", "adapter", "channel", NULL };

int arca_repo__signed_kind(const char *kind)
{
	for (size_t i = 0; signed_kinds[i]; i++)
		if (!strcmp(kind, signed_kinds[i]))
			return 1;
	return 0;
}

int arca_repo_set_signing_key(arca_repo *r, const char *fingerprint,
	arca_error *err)
{
	arca_signer *s = NULL;
	int rc;

	if (fingerprint && (rc = arca_signer_new(&s, fingerprint, err)) < 0)
		return arca_error_prefix(err, "signing key");
	arca_signer_free(r->signer);
	r->signer = s;
	return 0;
}

const char *arca_repo_signing_key(const arca_repo *r)
{
	return r->signer ? arca_signer_fpr(r->signer) : NULL;
}

int arca_repo_requires_signatures(const arca_repo *r)
{
	return r->require_signatures;
}

int arca_repo_signing_check(arca_repo *r, arca_error *err)
{
	if (r->signer || !r->require_signatures)
		return 0;
	return arca_error_set(err, ARCA_EPOLICY, "repository '%s' requires "
		"signatures and no signing key is configured: set one with "
		"'arca config set signing.key FINGERPRINT' or ARCA_SIGNING_KEY "
		"(a secret key in your GnuPG keyring: gpg --list-secret-keys)",
		r->url);
}

int arca_signing_key_check(const char *fingerprint, arca_error *err)
{
	arca_signer *s = NULL;
	int rc = arca_signer_new(&s, fingerprint, err);

	arca_signer_free(s);
	return rc;
}

/* A run record is signed only when it is the run's manifest: a terminal
 * status. The journal states before it are superseded by it. */
static int terminal_run(json_t *doc)
{
	const char *st = json_string_value(json_object_get(doc, "status"));

	return st && (!strcmp(st, "succeeded") || !strcmp(st, "failed") ||
		!strcmp(st, "gated"));
}

typedef struct have_ctx {
	arca_repo *r;
	const unsigned char *data;
	size_t len;
	const char *primary;
	int found;
} have_ctx;

/* Is there a good signature by our key among the object's? A record
 * that only claims our fingerprint does not count: it is checked. */
static int have_cb(const char *name, const arca_id *rec, void *payload)
{
	have_ctx *h = payload;
	arca_error e = ARCA_ERROR_INIT;
	arca_sig_result *res = NULL;
	unsigned char *sig = NULL;
	size_t slen;
	json_t *doc = NULL;
	const char *fpr;
	arca_id sid;

	(void)name;
	if (h->found || !rec || arca_repo__json_get(h->r, &doc, rec,
		"signature record", &e) < 0)
		return 0;
	fpr = json_string_value(json_object_get(doc, "primary_fingerprint"));
	if (fpr && !strcmp(fpr, h->primary) && arca_id_parse(&sid,
		json_string_value(json_object_get(doc, "signature")) ?
		json_string_value(json_object_get(doc, "signature")) : "") ==
		0 && arca_repo_object_read(h->r, &sig, &slen, &sid, &e) == 0 &&
		arca_sign_verify(h->data, h->len, (const char *)sig, &res,
		&e) == 0) {
		for (size_t i = 0; i < res->count; i++)
			if (res->sigs[i].status == ARCA_SIG_GOOD &&
				!strcmp(res->sigs[i].primary_fpr, h->primary))
				h->found = 1;
	}
	arca_sig_result_free(res);
	free(sig);
	json_decref(doc);
	return 0;
}

static void sig_prefix(char out[ARCA_KEY_MAX], const arca_id *id)
{
	char hex[ARCA_ID_HEXSZ + 1];

	arca_id_hex(hex, id);
	snprintf(out, ARCA_KEY_MAX, "signatures/%s/", hex);
}

/* Whether the signer's key has signed data (object id) already. */
static int signed_by_us(arca_repo *r, const arca_id *id,
	const unsigned char *data, size_t len, int *found, arca_error *err)
{
	have_ctx h = { r, data, len, arca_signer_primary_fpr(r->signer), 0 };
	char prefix[ARCA_KEY_MAX];
	int rc;

	sig_prefix(prefix, id);
	rc = arca_repo__ref_list(r, prefix, have_cb, &h, err);
	*found = h.found;
	return rc;
}

int arca_repo__sign_add(arca_repo *r, arca_repo_sigs *sigs,
	const arca_id *id, const char *kind, const void *data, size_t len,
	arca_error *err)
{
	char used[ARCA_FPR_SIZE], host[256], user[128], now[ARCA_TIME_STRSZ];
	char s[ARCA_ID_STRSZ];
	arca_put_result put;
	arca_id rec;
	json_t *doc = NULL;
	char *sig = NULL;
	int rc, found;

	if (!r->signer)
		return arca_repo_signing_check(r, err);
	if (sigs->n == ARCA_REPO_SIGS_MAX)
		return arca_error_set(err, ARCA_ERROR, "too many signatures "
			"at once");
	if ((rc = signed_by_us(r, id, data, len, &found, err)) < 0 || found)
		return rc; /* signing twice with one key adds nothing */
	if ((rc = arca_signer_sign(r->signer, data, len, &sig, used,
		err)) < 0)
		goto done;
	arca_hostname(host, sizeof(host));
	arca_username(user, sizeof(user));
	arca_utf8_sanitize(host);
	arca_utf8_sanitize(user);
	arca_time_format(now, arca_time_now_ns());
	if ((rc = arca_repo__object_put(r, &put, sig, strlen(sig),
		ARCA_REPO_PUT_DEFER, NULL, err)) < 0)
		goto done;
	doc = json_pack("{s:s, s:i, s:o, s:s, s:o, s:s, s:s, s:s, s:s, s:s, "
		"s:s}", "type", "signature", "version", 1, "signs",
		arca_json_id(id), "kind", kind, "signature",
		arca_json_id(&put.id), "fingerprint", used,
		"primary_fingerprint", arca_signer_primary_fpr(r->signer),
		"time", now, "hostname", host, "username", user,
		"arca_version", ARCA_VERSION);
	if (!doc) {
		rc = arca_error_set(err, ARCA_ERROR, "out of memory");
		goto done;
	}
	if ((rc = arca_repo__json_put(r, &rec, doc, ARCA_REPO_PUT_DEFER,
		err)) < 0)
		goto done;
	sigs->v[sigs->n].signed_id = *id;
	sigs->v[sigs->n].rec = rec;
	sigs->n++;
done:
	if (rc < 0) {
		arca_id_str(s, id);
		arca_error_prefix(err, "signing %s %s", kind, s);
	}
	json_decref(doc);
	free(sig);
	return rc;
}

/*
 * One flush for the batch: the staged objects (signatures, signature
 * records, and whatever the caller staged with them) and the listings
 * and refs that name those records. A flush makes all data durable
 * before it renames anything, and renames in key order (objects/, then
 * records/, then refs/), so on a filesystem that commits metadata in
 * order (ext4, XFS, btrfs) a listing or ref is never durable without
 * its object; the signed record's own listing comes after the flush.
 */
int arca_repo__sign_commit(arca_repo *r, arca_repo_sigs *sigs,
	arca_error *err)
{
	char ref[ARCA_KEY_MAX], hex[ARCA_ID_HEXSZ + 1];
	int rc;

	for (size_t i = 0; i < sigs->n; i++) {
		sig_prefix(ref, &sigs->v[i].signed_id);
		arca_id_hex(hex, &sigs->v[i].rec);
		strncat(ref, hex, ARCA_KEY_MAX - strlen(ref) - 1);
		if ((rc = arca_repo__record_copy_ex(r, "signature",
			&sigs->v[i].rec, ARCA_REPO_PUT_DEFER, err)) < 0 ||
			(rc = arca_repo__ref_set_ex(r, ref, &sigs->v[i].rec,
			ARCA_REPO_PUT_DEFER, err)) < 0)
			return rc;
	}
	if ((rc = arca_repo__flush(r, err)) == 0)
		sigs->n = 0;
	return rc;
}

/* Signs id's content; doc_check (may be NULL) decides from the parsed
 * content whether it is signed at all. */
static int sign_id(arca_repo *r, const arca_id *id, const char *kind,
	int (*doc_check)(json_t *), int *added, arca_error *err)
{
	arca_repo_sigs sigs = { 0 };
	unsigned char *data = NULL;
	size_t len;
	int rc;

	if (added)
		*added = 0;
	/* the exact stored bytes, checked against the id */
	if ((rc = arca_repo_object_read(r, &data, &len, id, err)) < 0)
		return arca_error_prefix(err, "signing");
	if (doc_check) {
		json_t *doc = json_loadb((const char *)data, len, 0, NULL);
		int yes = doc && doc_check(doc);
		json_decref(doc);
		if (!yes)
			goto done;
	}
	if ((rc = arca_repo__sign_add(r, &sigs, id, kind, data, len,
		err)) < 0 || !sigs.n)
		goto done;
	if ((rc = arca_repo__sign_commit(r, &sigs, err)) == 0 && added)
		*added = 1;
done:
	free(data);
	return rc;
}

/* Whether a record of kind with content doc gets signed (with a
 * signer): a run record only when it is the run's manifest. */
static int wants_signature(const char *kind, json_t *doc)
{
	return arca_repo__signed_kind(kind) && (strcmp(kind, "run") ||
		terminal_run(doc));
}

int arca_repo__record_put(arca_repo *r, const char *kind, json_t *doc,
	arca_id *out, arca_repo_sigs *sigs, arca_error *err)
{
	arca_repo_sigs mine = { 0 };
	arca_buf b = ARCA_BUF_INIT;
	arca_put_result put;
	int rc, sign;

	if (!sigs)
		sigs = &mine;
	/* refused before anything is written */
	if (arca_repo__signed_kind(kind) &&
		(rc = arca_repo_signing_check(r, err)) < 0)
		return rc;
	sign = r->signer && wants_signature(kind, doc);
	if ((rc = arca_json_canonical(&b, doc, err)) < 0)
		goto done;
	/* staged with its signatures when it has any: one flush for all */
	if ((rc = arca_repo__object_put(r, &put, b.data, b.len,
		sign || sigs->n ? ARCA_REPO_PUT_DEFER : 0, NULL, err)) < 0)
		goto done;
	if ((sign && (rc = arca_repo__sign_add(r, sigs, &put.id, kind, b.data,
		b.len, err)) < 0) || (rc = arca_repo__sign_commit(r, sigs,
		err)) < 0 || (rc = arca_repo__record_copy(r, kind, &put.id,
		err)) < 0)
		goto done;
	*out = put.id;
done:
	arca_buf_dispose(&b);
	return rc;
}

int arca_repo__sign_object_ex(arca_repo *r, const arca_id *id,
	const char *kind, int *added, arca_error *err)
{
	int rc;

	if (added)
		*added = 0;
	if (!r->signer)
		return arca_repo_signing_check(r, err);
	if (!kind || !*kind || strlen(kind) > 64 || strspn(kind,
		"abcdefghijklmnopqrstuvwxyz0123456789-") != strlen(kind))
		return arca_error_set(err, ARCA_EINVALID, "cannot sign as '%s': "
			"not a kind name", kind ? kind : "");
	rc = sign_id(r, id, kind, NULL, added, err);
	return rc;
}

int arca_repo__sign_object(arca_repo *r, const arca_id *id,
	const char *kind, arca_error *err)
{
	return arca_repo__sign_object_ex(r, id, kind, NULL, err);
}

int arca_repo__sign_hook(arca_repo *r, const char *kind, const arca_id *id,
	arca_error *err)
{
	if (!arca_repo__signed_kind(kind))
		return 0;
	if (!r->signer)
		return arca_repo_signing_check(r, err);
	return sign_id(r, id, kind, strcmp(kind, "run") ? NULL :
		terminal_run, NULL, err);
}
