/*
 * A signer looks its key up once and then signs many times (see
 * sign.h): through gpg-agent directly when it can (agent.c, about 1 ms a
 * signature), else with one gpgme context whose key stays selected (a
 * gpg process a signature).
 */
#include <ctype.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include "sign/sign_int.h"

struct arca_signer {
	pthread_mutex_t lock;
	arca_sign_agent *agent; /* the fast path; NULL: gpg signs */
	gpgme_ctx_t ctx;        /* gpg's path, set up when first needed */
	gpgme_key_t key;
	char fpr[ARCA_FPR_SIZE];
	char primary[ARCA_FPR_SIZE];
};

static void copy_hex(char out[ARCA_FPR_SIZE], const char *s)
{
	size_t n = 0;

	for (; s && *s && n < 40; s++)
		if (isxdigit((unsigned char)*s))
			out[n++] = (char)toupper((unsigned char)*s);
	out[n] = '\0';
}

/* gpg's path: a gpgme context with the key selected. */
static int gpg_setup(arca_signer *s, arca_error *err)
{
	gpgme_error_t e;
	int rc;

	if (s->ctx)
		return 0;
	if ((rc = arca_sign__open_ctx(&s->ctx, err)) < 0 ||
		(rc = arca_sign__find_secret(s->ctx, s->fpr, &s->key,
		err)) < 0)
		goto fail;
	if ((e = gpgme_signers_add(s->ctx, s->key))) {
		rc = arca_error_set(err, ARCA_ERROR, "gpgme: %s",
			gpgme_strerror(e));
		goto fail;
	}
	if (!s->primary[0])
		copy_hex(s->primary, s->key->subkeys ? s->key->subkeys->fpr :
			NULL);
	return 0;
fail:
	gpgme_key_unref(s->key);
	gpgme_release(s->ctx);
	s->key = NULL;
	s->ctx = NULL;
	return rc;
}

int arca_signer_new(arca_signer **out, const char *fingerprint,
	arca_error *err)
{
	arca_keyinfo ki;
	arca_signer *s;
	int rc;

	if (!(s = calloc(1, sizeof(*s))))
		return arca_error_set(err, ARCA_ERROR, "out of memory");
	pthread_mutex_init(&s->lock, NULL);
	if (arca_sign__fpr_normalize(s->fpr, fingerprint) < 0) {
		rc = arca_error_set(err, ARCA_EINVALID, "'%.80s' is not a key "
			"fingerprint (40 hex digits)", fingerprint ?
			fingerprint : "");
		goto fail;
	}
	/* one gpg listing checks the key and finds its signing subkey;
	 * gpgme (which probes every engine first) only when that cannot */
	if ((rc = arca_sign__key_lookup_cached(&ki, s->fpr, err)) < 0)
		goto fail;
	if (rc == 0) {
		memcpy(s->primary, ki.primary, sizeof(s->primary));
		if (!getenv("ARCA_SIGN_NO_AGENT")) /* to compare the paths */
			arca_sign__agent_new(&s->agent, &ki);
	}
	if ((rc == 1 || !s->agent) && (rc = gpg_setup(s, err)) < 0)
		goto fail;
	if (!s->primary[0])
		memcpy(s->primary, s->fpr, sizeof(s->primary));
	*out = s;
	return 0;
fail:
	arca_signer_free(s);
	return rc;
}

void arca_signer_free(arca_signer *s)
{
	if (!s)
		return;
	arca_sign__agent_free(s->agent);
	gpgme_key_unref(s->key);
	gpgme_release(s->ctx);
	pthread_mutex_destroy(&s->lock);
	free(s);
}

const char *arca_signer_fpr(const arca_signer *s)
{
	return s->fpr;
}

const char *arca_signer_primary_fpr(const arca_signer *s)
{
	return s->primary;
}

int arca_signer_sign(arca_signer *s, const void *data, size_t len,
	char **armored_sig, char used_fpr[ARCA_FPR_SIZE], arca_error *err)
{
	gpgme_data_t in = NULL, out = NULL;
	gpgme_sign_result_t res;
	gpgme_error_t e;
	char *sig;
	int rc = 0;

	pthread_mutex_lock(&s->lock);
	if (s->agent && arca_sign__agent_sign(s->agent, data, len, armored_sig,
		used_fpr) == 0)
		goto done;
	if ((rc = gpg_setup(s, err)) < 0)
		goto done;
	if ((e = gpgme_data_new_from_mem(&in, len ? data : "", len, 0)) ||
		(e = gpgme_data_new(&out))) {
		rc = arca_error_set(err, ARCA_ERROR, "gpgme: %s",
			gpgme_strerror(e));
		goto done;
	}
	e = gpgme_op_sign(s->ctx, in, out, GPGME_SIG_MODE_DETACH);
	res = gpgme_op_sign_result(s->ctx);
	if (!e && res && res->invalid_signers)
		e = res->invalid_signers->reason ?
			res->invalid_signers->reason :
			gpg_error(GPG_ERR_UNUSABLE_SECKEY);
	if (!e && (!res || !res->signatures))
		e = gpg_error(GPG_ERR_GENERAL);
	if (e) {
		/* gpg's reason only: never the data or the key */
		rc = arca_error_set(err, ARCA_ERROR, "signing with key %s: %s",
			s->fpr, gpgme_strerror(e));
		goto done;
	}
	if (used_fpr) {
		copy_hex(used_fpr, res->signatures->fpr);
		if (!used_fpr[0])
			memcpy(used_fpr, s->fpr, ARCA_FPR_SIZE);
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
	pthread_mutex_unlock(&s->lock);
	return rc;
}
