/*
 * arca — signatures: the repository's signing key, signing stored
 * records and objects, and judging their signatures against a trust
 * policy. docs/signing.md is the guide; formats/signature.md the format;
 * formats/trust-policy.md the policy.
 */
#ifndef ARCA_SIGN_H
#define ARCA_SIGN_H

#include <stddef.h>
#include <stdint.h>
#include "arca/catalog.h"
#include "arca/error.h"
#include "arca/id.h"
#include "arca/repo.h"

/*
 * Sets the key that signs what this handle records from now on: a
 * fingerprint (40 hex digits; a primary key's or a signing subkey's) of
 * a secret key in the user's GnuPG keyring (GNUPGHOME honoured). It is
 * looked up now: ARCA_ENOTFOUND when the keyring lacks its secret part,
 * ARCA_EINVALID when it is malformed or cannot sign (expired, revoked).
 * NULL clears it. Then every snapshot, dataset, dataset-schema,
 * dataset-version, dataset-tag, dataset-ack, run-approval, adapter and
 * channel record, every run manifest (a run's record with a terminal
 * status) and every adapter's package and manifest object is signed as
 * it is written.
 */
int arca_repo_set_signing_key(arca_repo *r, const char *fingerprint,
	arca_error *err);
/* The signing key's fingerprint as set (normalized), or NULL. */
const char *arca_repo_signing_key(const arca_repo *r);
/* Checks a fingerprint as arca_repo_set_signing_key does. */
int arca_signing_key_check(const char *fingerprint, arca_error *err);

/* 1 when the repository was made with require_signatures (arca init
 * --require-signatures): records of signed kinds cannot be written
 * without a signing key. */
int arca_repo_requires_signatures(const arca_repo *r);
/* What writers call before they write anything: ARCA_EPOLICY, with a
 * message saying how to configure a key, when the repository requires
 * signatures and no key is set; else 0. */
int arca_repo_signing_check(arca_repo *r, arca_error *err);

/* A trust policy (formats/trust-policy.md). */
typedef struct arca_trust_policy arca_trust_policy;
int arca_trust_policy_load_file(arca_trust_policy **out, const char *path,
	arca_error *err);
void arca_trust_policy_free(arca_trust_policy *p);

/* Something stored that can be signed. */
typedef struct arca_sign_target {
	arca_id id;
	char kind[48];   /* its record kind, "adapter-package",
	                    "adapter-manifest", or "object" */
	char label[240]; /* for people: "adapter churn-model@1.0.0 package" */
} arca_sign_target;

/*
 * Resolves REF to what it names (*out, *n; free() *out):
 *   NAME@VERSION of an adapter: its record, package and manifest;
 *   a dataset reference (churn@3, churn@gold, churn): its version record;
 *   a run id or prefix: the run's latest record;
 *   an object id or prefix (a snapshot, any record, any object).
 * "adapter:", "dataset:", "run:" or "object:" before REF says which.
 * ARCA_EAMBIGUOUS when REF names two different things.
 */
int arca_sign_resolve(arca_sign_target **out, size_t *n, arca_catalog *c,
	const char *ref, arca_error *err);

/* Signs t with the repository's key (ARCA_EINVALID when none is set):
 * *added is 1 when a signature was written, 0 when this key had signed
 * it already. */
int arca_sign_target_sign(arca_repo *r, const arca_sign_target *t,
	int *added, arca_error *err);

/* One signature found on a target, judged. */
typedef struct arca_sig_entry {
	arca_id record;          /* the signature record */
	arca_id object;          /* the armoured signature (zero if the
	                            record names none) */
	char fpr[41];            /* the signing (sub)key, or key id */
	char primary_fpr[41];    /* "" when the key is not in the keyring */
	char status[24];         /* gpg's verdict: good, bad, no key,
	                            expired key, revoked key, ... */
	int64_t created;         /* signing time (the signer's clock) */
	char roles[160];         /* the key's roles in the policy */
	char reason[32];         /* "" when it counts, else why not:
	                            bad-signature, unknown-key, ... */
	char message[400];
} arca_sig_entry;

typedef struct arca_sig_report {
	int ok;                  /* enough signatures, none that fails */
	char kind[80];           /* the kind judged (channel:stable, ...) */
	int required, counted;
	arca_sig_entry *sigs;
	size_t nsigs;
	char reason[32];         /* signature-missing or too-few-signatures
	                            when that is the record's failure */
	char message[400];       /* the first failure, for people */
} arca_sig_report;

/*
 * Finds every signature of t (refs/signatures/<id>/), verifies each over
 * the object's exact bytes with gpg, and judges them with policy p for
 * t's kind (a channel record: channel:<its channel>). A failure is a
 * report, not an error: <0 only when the repository cannot be read.
 */
int arca_sig_check(arca_sig_report **out, arca_repo *r,
	const arca_sign_target *t, const arca_trust_policy *p,
	arca_error *err);
/*
 * The same with the allowed keys given by role names (a channel's
 * promotion rule): roles (nroles > 0) replace the kinds' roles, min > 0
 * the policy's minimum.
 */
int arca_sig_check_roles(arca_sig_report **out, arca_repo *r,
	const arca_sign_target *t, const arca_trust_policy *p,
	char *const *roles, size_t nroles, int min, arca_error *err);
void arca_sig_report_free(arca_sig_report *rep);

#endif
