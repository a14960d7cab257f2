/* gpgme helpers shared by sign.c and signer.c (not part of sign.h, so
 * that only the files that talk to gpgme see its types). */
#ifndef ARCA_SIGN_SIGN_INT_H
#define ARCA_SIGN_SIGN_INT_H

#include <gpgme.h>
#include "sign/sign.h"
#include "util/buf.h"

/* A context for OpenPGP with armour (gpgme initialized once). */
int arca_sign__open_ctx(gpgme_ctx_t *ctx, arca_error *err);
/* The secret key for fpr (normalized): ARCA_ENOTFOUND when it is not in
 * the keyring or only its public part is, ARCA_EINVALID when it cannot
 * sign (expired, revoked, disabled). */
int arca_sign__find_secret(gpgme_ctx_t ctx, const char *fpr,
	gpgme_key_t *key, arca_error *err);
/* Copies up to 40 hex digits of s (NULL: none), upper case. */
void arca_sign__copy_fpr(char out[ARCA_FPR_SIZE], const char *s);
/* A detached armoured signature of data by ctx's signer (fpr, for
 * messages); used_fpr (may be NULL): the (sub)key gpg signed with. */
int arca_sign__gpgme_sign(gpgme_ctx_t ctx, const char *fpr,
	const void *data, size_t len, char **armored_sig,
	char used_fpr[ARCA_FPR_SIZE], arca_error *err);
/* The memory of d as a malloc'd NUL-terminated string; releases d. */
char *arca_sign__data_string(gpgme_data_t d);

/* A secret key as one gpg listing shows it (keylist.c): the primary
 * key's fingerprint, and the subkey that signs: its fingerprint,
 * keygrip, OpenPGP algorithm id and curve; when the first of the two
 * expires (seconds since the epoch, 0: never). */
typedef struct arca_keyinfo {
	char primary[ARCA_FPR_SIZE], fpr[ARCA_FPR_SIZE], grip[ARCA_FPR_SIZE];
	int algo;
	char curve[32];
	long long expires;
} arca_keyinfo;

/* Runs argv (no shell; stdin and stderr on /dev/null), appending up to
 * max bytes of its stdout to out: its exit status, -1 when it could not
 * run. */
int arca_sign__run(char *const argv[], arca_buf *out, size_t max);

/* Looks the secret key fpr (normalized) up with one gpg process: 0 and
 * *ki; <0 with the error for the user (ARCA_ENOTFOUND: not in the
 * keyring, public part only; ARCA_EINVALID: revoked, expired, disabled,
 * cannot sign); 1 when this way cannot tell (no gpg to run, not a v4
 * key, output it does not understand): ask gpgme. */
int arca_sign__key_lookup(arca_keyinfo *ki, const char *fpr,
	arca_error *err);

/* The same through a per-user cache (keycache.c): a lookup repeats gpg's
 * answer while the keyring's files are unchanged and the key has not
 * expired, which saves a gpg process (25-55 ms) per command. */
int arca_sign__key_lookup_cached(arca_keyinfo *ki, const char *fpr,
	arca_error *err);

/*
 * The fast path (agent.c): signatures made by gpg-agent directly, for
 * an RSA, ECDSA or Ed25519 signing subkey. agent_new: -1 when the key is
 * none of those. agent_sign: -1 when it could not (no agent, refused):
 * the caller signs with gpg instead.
 */
typedef struct arca_sign_agent arca_sign_agent;
int arca_sign__agent_new(arca_sign_agent **out, const arca_keyinfo *ki);
int arca_sign__agent_sign(arca_sign_agent *a, const void *data, size_t len,
	char **armored, char used_fpr[ARCA_FPR_SIZE]);
void arca_sign__agent_free(arca_sign_agent *a);

#endif
