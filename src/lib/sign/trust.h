/*
 * Trust policies (formats/trust-policy.md): roles with allowed keys and
 * validity windows, the record kinds each role may sign, and the minimum
 * number of signatures per kind. arca_trust_check judges verified
 * signatures (sign.h) against a policy; it is pure: no gpg, no clock.
 */
#ifndef ARCA_SIGN_TRUST_H
#define ARCA_SIGN_TRUST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "arca/error.h"
#include "sign/sign.h"

typedef struct arca_trust_key {
	char fpr[ARCA_FPR_SIZE]; /* primary or subkey, upper-case hex */
	int64_t from;            /* valid from (s since epoch), inclusive;
	                            INT64_MIN: open */
	int64_t until;           /* valid until, exclusive; INT64_MAX: open */
} arca_trust_key;

typedef struct arca_trust_role {
	char *name;
	arca_trust_key *keys;
	size_t key_count;
	char **kinds;            /* record kinds it may sign; "*": any */
	size_t kind_count;
} arca_trust_role;

typedef struct arca_trust_min {
	char *kind;
	int count;
} arca_trust_min;

/* Per-channel promotion rules (channels: in the YAML). */
typedef struct arca_trust_channel {
	char *name;
	int min_signatures;      /* distinct keys the adapter needs */
	char **roles;            /* whose signatures count; none: the roles
	                            that may sign the kind */
	size_t role_count;
} arca_trust_channel;

typedef struct arca_trust_policy {
	arca_trust_role *roles;
	size_t role_count;
	arca_trust_min *mins;    /* signatures: per kind */
	size_t min_count;
	int default_min;         /* signatures: default (1 unless given) */
	arca_trust_channel *channels;
	size_t channel_count;
} arca_trust_policy;

/* Loads a policy from YAML text; errors are "name:line:col: message". */
int arca_trust_policy_load_yaml(arca_trust_policy **out, const char *text,
	size_t len, const char *name, arca_error *err);
int arca_trust_policy_load_file(arca_trust_policy **out, const char *path,
	arca_error *err);
void arca_trust_policy_free(arca_trust_policy *p);

/* The minimum number of signatures for kind: "a:b" falls back to "a",
 * then to the default. */
int arca_trust_policy_min(const arca_trust_policy *p, const char *kind);

typedef enum arca_trust_reason {
	ARCA_TRUST_BAD_SIGNATURE = 0, /* tampered bytes or signature */
	ARCA_TRUST_UNKNOWN_KEY,       /* not in the keyring or the policy */
	ARCA_TRUST_KEY_NOT_ALLOWED,   /* no role of the key may sign kind */
	ARCA_TRUST_KEY_EXPIRED,       /* expired (or outside its window) at
	                                 signing time */
	ARCA_TRUST_KEY_REVOKED,       /* revoked */
	ARCA_TRUST_SIGNATURE_MISSING, /* no signature at all */
	ARCA_TRUST_TOO_FEW            /* fewer counted than required */
} arca_trust_reason;

/* A short stable name ("bad-signature", "unknown-key", ...). */
const char *arca_trust_reason_name(arca_trust_reason r);

typedef struct arca_trust_failure {
	arca_trust_reason reason;
	char fpr[ARCA_FPR_SIZE];   /* the signing key; "" for the last two */
	char *message;             /* a full sentence for humans */
} arca_trust_failure;

typedef struct arca_trust_report {
	bool ok;                   /* no failures */
	int required;              /* minimum signatures for the kind */
	int counted;               /* distinct keys whose signatures count */
	arca_trust_failure *failures;
	size_t failure_count;
} arca_trust_report;

/*
 * Judges sigs (may be NULL: no signature) for a record of record_kind.
 * A signature counts when it is good, its key (primary or subkey
 * fingerprint) is in a role that may sign record_kind, the key was within
 * that role entry's window and not expired at signing time, and the key
 * is not revoked; each key counts once. Every signature that does not
 * count is a failure, as is counting fewer than the kind's minimum.
 * *out is always set on 0 (free with arca_trust_report_free); ARCA_ERROR
 * only when out of memory.
 */
int arca_trust_check(const arca_trust_policy *p, const char *record_kind,
	const arca_sig_result *sigs, arca_trust_report **out);
void arca_trust_report_free(arca_trust_report *r);

/*
 * arca_trust_check with the allowed keys given by role instead of by
 * kind: with roles (nroles > 0) a signature counts when its key is in
 * one of those roles (their kinds are not consulted), within that
 * entry's window; min > 0 replaces the policy's minimum for kind. Used
 * for a channel's promotion rule.
 */
int arca_trust_check_roles(const arca_trust_policy *p, const char *kind,
	char *const *roles, size_t nroles, int min,
	const arca_sig_result *sigs, arca_trust_report **out);

/* The channel rule called name, or NULL. */
const arca_trust_channel *arca_trust_policy_channel(
	const arca_trust_policy *p, const char *name);

/* The names of the roles whose keys match s, comma-separated ("" when
 * none), into out. */
void arca_trust_key_roles(const arca_trust_policy *p, const arca_sig *s,
	char *out, size_t size);

#endif
