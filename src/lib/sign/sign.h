/*
 * Detached OpenPGP signatures (gpgme) over the exact bytes of a canonical
 * document. Keys come from the user's GnuPG keyring: GNUPGHOME, gpg-agent,
 * passphrase caching, pinentry and smartcards work as they do for gpg.
 * A signature is ASCII-armoured, so `gpg --verify doc.sig doc` checks it.
 */
#ifndef ARCA_SIGN_SIGN_H
#define ARCA_SIGN_SIGN_H

#include <stddef.h>
#include <stdint.h>
#include "arca/error.h"

/* A full OpenPGP v4 fingerprint: 40 upper-case hex digits and a NUL. */
#define ARCA_FPR_SIZE 41

typedef enum arca_sig_status {
	ARCA_SIG_GOOD = 0,     /* valid signature, key valid now */
	ARCA_SIG_BAD,          /* the bytes or the signature were changed */
	ARCA_SIG_NO_KEY,       /* the public key is not in the keyring */
	ARCA_SIG_EXPIRED_KEY,  /* valid signature; the key has expired */
	ARCA_SIG_REVOKED_KEY,  /* valid signature; the key is revoked */
	ARCA_SIG_EXPIRED_SIG,  /* valid signature that has expired */
	ARCA_SIG_ERROR         /* anything else gpg reported */
} arca_sig_status;

typedef struct arca_sig {
	/* The (sub)key that made the signature; when the key is not in the
	 * keyring and the signature names only a key id, its 16 hex digits. */
	char fpr[ARCA_FPR_SIZE];
	/* Its primary key's fingerprint; "" when the key is not known. */
	char primary_fpr[ARCA_FPR_SIZE];
	arca_sig_status status;
	int64_t created;      /* signature creation, seconds since the epoch */
	int64_t key_expires;  /* signing key's expiry; 0: never or unknown */
	int key_revoked;      /* the signing key or its primary is revoked */
} arca_sig;

typedef struct arca_sig_result {
	size_t count;
	arca_sig *sigs;
} arca_sig_result;

/* A short name for a status ("good", "bad", "no key", ...). */
const char *arca_sig_status_name(arca_sig_status s);

/*
 * Signs len bytes of data with the secret key named by fingerprint (40
 * hex digits, spaces allowed; the primary key's or a subkey's: gpg picks
 * the key's signing subkey as usual) and sets *armored_sig to a malloc'd, NUL-terminated, ASCII-armoured
 * detached signature. ARCA_ENOTFOUND when the key is not in the keyring
 * or has no secret part, ARCA_EINVALID for a malformed fingerprint or a
 * key that cannot sign (expired, revoked, disabled).
 */
int arca_sign_bytes(const char *fingerprint, const void *data, size_t len,
	char **armored_sig, arca_error *err);

/*
 * Verifies the detached armoured signature (one or more signatures) over
 * len bytes of data. Every signature found is reported in *out (free
 * with arca_sig_result_free); a bad signature is a result, not an error.
 * ARCA_EINVALID when armored_sig holds no OpenPGP signature.
 */
int arca_sign_verify(const void *data, size_t len, const char *armored_sig,
	arca_sig_result **out, arca_error *err);

void arca_sig_result_free(arca_sig_result *r);

/*
 * A signer: one secret key looked up once, for many signatures (a run
 * signs a record per output; looking the key up each time would double
 * the cost). Thread-safe: signatures are made one at a time.
 * arca_signer_new: ARCA_EINVALID for a malformed fingerprint or a key
 * that cannot sign, ARCA_ENOTFOUND when the secret key is not in the
 * keyring; the message names the key, never any key material.
 */
typedef struct arca_signer arca_signer;

int arca_signer_new(arca_signer **out, const char *fingerprint,
	arca_error *err);
void arca_signer_free(arca_signer *s);
/* The fingerprint as configured (normalized), and its primary key's. */
const char *arca_signer_fpr(const arca_signer *s);
const char *arca_signer_primary_fpr(const arca_signer *s);
/*
 * Signs len bytes as arca_sign_bytes does; used_fpr (may be NULL) gets
 * the fingerprint of the (sub)key gpg signed with.
 */
int arca_signer_sign(arca_signer *s, const void *data, size_t len,
	char **armored_sig, char used_fpr[ARCA_FPR_SIZE], arca_error *err);

/*
 * Normalizes a fingerprint: spaces dropped, upper case. 0, or -1 unless
 * it is exactly 40 hex digits (then out is set).
 */
int arca_sign__fpr_normalize(char out[ARCA_FPR_SIZE], const char *in);

#endif
