/* Detached OpenPGP signatures through gpgme (see sign.h). */
#include <ctype.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <gpgme.h>
#include "sign/sign_int.h"

static pthread_once_t init_once = PTHREAD_ONCE_INIT;
static gpgme_error_t init_status;

static void init(void)
{
	/* gpgme_check_version initializes the library; once per process */
	if (!gpgme_check_version(NULL))
		init_status = gpg_error(GPG_ERR_NOT_INITIALIZED);
	else
		init_status = gpgme_engine_check_version(GPGME_PROTOCOL_OpenPGP);
}

/* A context for OpenPGP with armour, or an error set. */
int arca_sign__open_ctx(gpgme_ctx_t *ctx, arca_error *err)
{
	gpgme_error_t e;

	pthread_once(&init_once, init);
	if (init_status)
		return arca_error_set(err, ARCA_ERROR, "gpgme: no usable "
			"OpenPGP engine (is gpg installed?): %s",
			gpgme_strerror(init_status));
	if ((e = gpgme_new(ctx)))
		return arca_error_set(err, ARCA_ERROR, "gpgme: %s",
			gpgme_strerror(e));
	if ((e = gpgme_set_protocol(*ctx, GPGME_PROTOCOL_OpenPGP))) {
		gpgme_release(*ctx);
		*ctx = NULL;
		return arca_error_set(err, ARCA_ERROR, "gpgme: %s",
			gpgme_strerror(e));
	}
	gpgme_set_armor(*ctx, 1);
	gpgme_set_textmode(*ctx, 0);
	return 0;
}

static const char *const status_names[] = { "good", "bad", "no key",
	"expired key", "revoked key", "expired signature", "error" };

const char *arca_sig_status_name(arca_sig_status s)
{
	return (unsigned)s <= ARCA_SIG_ERROR ? status_names[s] : "?";
}

int arca_sign__fpr_normalize(char out[ARCA_FPR_SIZE], const char *in)
{
	char tmp[ARCA_FPR_SIZE];
	size_t n = 0;

	if (!in)
		return -1;
	for (; *in; in++) {
		if (*in == ' ')
			continue;
		if (!isxdigit((unsigned char)*in) || n == 40)
			return -1;
		tmp[n++] = (char)toupper((unsigned char)*in);
	}
	if (n != 40)
		return -1;
	tmp[n] = '\0';
	memcpy(out, tmp, sizeof(tmp));
	return 0;
}

/* Why key cannot sign, or NULL. */
static const char *unusable(gpgme_key_t key)
{
	if (key->revoked)
		return "is revoked";
	if (key->expired)
		return "has expired";
	if (key->disabled)
		return "is disabled";
	if (key->invalid)
		return "is invalid";
	if (!key->can_sign)
		return "has no usable signing (sub)key";
	return NULL;
}

/* Looks up the secret key for fpr; clear errors when it is missing. */
int arca_sign__find_secret(gpgme_ctx_t ctx, const char *fpr,
	gpgme_key_t *key, arca_error *err)
{
	gpgme_key_t pub = NULL;
	gpgme_error_t e;
	const char *why;

	e = gpgme_get_key(ctx, fpr, key, 1);
	if (!e) {
		if ((why = unusable(*key))) {
			gpgme_key_unref(*key);
			*key = NULL;
			return arca_error_set(err, ARCA_EINVALID,
				"key %s %s", fpr, why);
		}
		return 0;
	}
	*key = NULL;
	if (gpg_err_code(e) != GPG_ERR_EOF)
		return arca_error_set(err, ARCA_ERROR, "looking up key %s: %s",
			fpr, gpgme_strerror(e));
	if (!gpgme_get_key(ctx, fpr, &pub, 0)) {
		gpgme_key_unref(pub);
		return arca_error_set(err, ARCA_ENOTFOUND, "key %s has no "
			"secret part in this keyring (public key only)", fpr);
	}
	return arca_error_set(err, ARCA_ENOTFOUND,
		"no key %s in the keyring", fpr);
}

/* The memory of d as a malloc'd NUL-terminated string; releases d. */
char *arca_sign__data_string(gpgme_data_t d)
{
	size_t n = 0;
	char *mem = gpgme_data_release_and_get_mem(d, &n), *s;

	if (!mem)
		return NULL;
	if ((s = malloc(n + 1))) {
		memcpy(s, mem, n);
		s[n] = '\0';
	}
	gpgme_free(mem);
	return s;
}

void arca_sign__copy_fpr(char out[ARCA_FPR_SIZE], const char *s)
{
	size_t n = 0;

	for (; s && *s && n < 40; s++)
		if (isxdigit((unsigned char)*s))
			out[n++] = (char)toupper((unsigned char)*s);
	out[n] = '\0';
}

int arca_sign__gpgme_sign(gpgme_ctx_t ctx, const char *fpr,
	const void *data, size_t len, char **armored_sig,
	char used_fpr[ARCA_FPR_SIZE], arca_error *err)
{
	gpgme_data_t in = NULL, out = NULL;
	gpgme_sign_result_t res;
	gpgme_error_t e;
	char *sig;
	int rc = 0;

	if ((e = gpgme_data_new_from_mem(&in, len ? data : "", len, 0)) ||
		(e = gpgme_data_new(&out))) {
		rc = arca_error_set(err, ARCA_ERROR, "gpgme: %s",
			gpgme_strerror(e));
		goto done;
	}
	e = gpgme_op_sign(ctx, in, out, GPGME_SIG_MODE_DETACH);
	res = gpgme_op_sign_result(ctx);
	if (!e && res && res->invalid_signers)
		e = res->invalid_signers->reason ?
			res->invalid_signers->reason :
			gpg_error(GPG_ERR_UNUSABLE_SECKEY);
	if (!e && (!res || !res->signatures))
		e = gpg_error(GPG_ERR_GENERAL);
	if (e) {
		/* gpg's reason only: never the data or the key */
		rc = arca_error_set(err, ARCA_ERROR, "signing with key %s: %s",
			fpr, gpgme_strerror(e));
		goto done;
	}
	if (used_fpr) {
		arca_sign__copy_fpr(used_fpr, res->signatures->fpr);
		if (!used_fpr[0])
			memcpy(used_fpr, fpr, ARCA_FPR_SIZE);
	}
	sig = arca_sign__data_string(out);
	out = NULL;
	if (!sig) {
		rc = arca_error_set(err, ARCA_ERROR, "out of memory");
		goto done;
	}
	*armored_sig = sig;
done:
	gpgme_data_release(in);
	gpgme_data_release(out);
	return rc;
}

int arca_sign_bytes(const char *fingerprint, const void *data, size_t len,
	char **armored_sig, arca_error *err)
{
	char fpr[ARCA_FPR_SIZE];
	gpgme_ctx_t ctx = NULL;
	gpgme_key_t key = NULL;
	gpgme_error_t e;
	int rc;

	if (arca_sign__fpr_normalize(fpr, fingerprint) < 0)
		return arca_error_set(err, ARCA_EINVALID, "'%s' is not a key "
			"fingerprint (40 hex digits)", fingerprint ?
			fingerprint : "");
	if ((rc = arca_sign__open_ctx(&ctx, err)) < 0)
		return rc;
	if ((rc = arca_sign__find_secret(ctx, fpr, &key, err)) < 0)
		goto done;
	if ((e = gpgme_signers_add(ctx, key))) {
		rc = arca_error_set(err, ARCA_ERROR, "gpgme: %s",
			gpgme_strerror(e));
		goto done;
	}
	rc = arca_sign__gpgme_sign(ctx, fpr, data, len, armored_sig, NULL,
		err);
done:
	gpgme_key_unref(key);
	gpgme_release(ctx);
	return rc;
}

static arca_sig_status status_of(gpgme_signature_t s)
{
	switch (gpg_err_code(s->status)) {
	case GPG_ERR_NO_ERROR:
		if (s->summary & GPGME_SIGSUM_KEY_REVOKED)
			return ARCA_SIG_REVOKED_KEY;
		if (s->summary & GPGME_SIGSUM_KEY_EXPIRED)
			return ARCA_SIG_EXPIRED_KEY;
		return ARCA_SIG_GOOD;
	case GPG_ERR_BAD_SIGNATURE: return ARCA_SIG_BAD;
	case GPG_ERR_NO_PUBKEY: return ARCA_SIG_NO_KEY;
	case GPG_ERR_KEY_EXPIRED: return ARCA_SIG_EXPIRED_KEY;
	case GPG_ERR_CERT_REVOKED: return ARCA_SIG_REVOKED_KEY;
	case GPG_ERR_SIG_EXPIRED: return ARCA_SIG_EXPIRED_SIG;
	default: return ARCA_SIG_ERROR;
	}
}


/* Fills the primary fingerprint, expiry and revocation from the keyring. */
static void describe_key(gpgme_ctx_t ctx, arca_sig *sig)
{
	gpgme_key_t key = NULL;
	gpgme_subkey_t sk;
	size_t n = strlen(sig->fpr);

	if (!n || gpgme_get_key(ctx, sig->fpr, &key, 0) || !key)
		return;
	if (key->subkeys && key->subkeys->fpr)
		arca_sign__copy_fpr(sig->primary_fpr, key->subkeys->fpr);
	for (sk = key->subkeys; sk; sk = sk->next) {
		size_t m = sk->fpr ? strlen(sk->fpr) : 0;
		/* a full fingerprint, or a key id (its last 16 digits) */
		if (m < n || strcasecmp(sk->fpr + m - n, sig->fpr))
			continue;
		if (n < 40)
			arca_sign__copy_fpr(sig->fpr, sk->fpr);
		sig->key_expires = (int64_t)sk->expires;
		sig->key_revoked = sk->revoked || key->revoked;
		break;
	}
	gpgme_key_unref(key);
}

int arca_sign_verify(const void *data, size_t len, const char *armored_sig,
	arca_sig_result **out, arca_error *err)
{
	gpgme_ctx_t ctx = NULL;
	gpgme_data_t sigd = NULL, text = NULL;
	gpgme_verify_result_t vr;
	gpgme_signature_t s;
	gpgme_error_t e;
	arca_sig_result *r = NULL;
	size_t n = 0, i = 0;
	int rc;

	if (!armored_sig || !*armored_sig)
		return arca_error_set(err, ARCA_EINVALID,
			"empty signature: no OpenPGP signature to verify");
	if ((rc = arca_sign__open_ctx(&ctx, err)) < 0)
		return rc;
	if ((e = gpgme_data_new_from_mem(&sigd, armored_sig,
		strlen(armored_sig), 0)) ||
		(e = gpgme_data_new_from_mem(&text, len ? data : "", len, 0))) {
		rc = arca_error_set(err, ARCA_ERROR, "gpgme: %s",
			gpgme_strerror(e));
		goto done;
	}
	e = gpgme_op_verify(ctx, sigd, text, NULL);
	vr = gpgme_op_verify_result(ctx);
	if (vr)
		for (s = vr->signatures; s; s = s->next)
			n++;
	if (gpg_err_code(e) == GPG_ERR_NO_DATA || (!e && !n)) {
		rc = arca_error_set(err, ARCA_EINVALID,
			"not an OpenPGP signature");
		goto done;
	}
	if (e) {
		rc = arca_error_set(err, ARCA_ERROR, "verifying: %s",
			gpgme_strerror(e));
		goto done;
	}
	if (!(r = calloc(1, sizeof(*r))) ||
		!(r->sigs = calloc(n, sizeof(*r->sigs)))) {
		rc = arca_error_set(err, ARCA_ERROR, "out of memory");
		goto done;
	}
	r->count = n;
	/* copy first: the result is only valid until the next operation */
	for (s = vr->signatures; s; s = s->next, i++) {
		arca_sign__copy_fpr(r->sigs[i].fpr, s->fpr);
		r->sigs[i].status = status_of(s);
		r->sigs[i].created = (int64_t)s->timestamp;
	}
	for (i = 0; i < n; i++)
		if (r->sigs[i].status != ARCA_SIG_NO_KEY)
			describe_key(ctx, &r->sigs[i]);
	*out = r;
	r = NULL;
done:
	arca_sig_result_free(r);
	gpgme_data_release(sigd);
	gpgme_data_release(text);
	gpgme_release(ctx);
	return rc;
}

void arca_sig_result_free(arca_sig_result *r)
{
	if (!r)
		return;
	free(r->sigs);
	free(r);
}
