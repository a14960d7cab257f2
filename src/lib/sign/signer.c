/*
 * A signer looks its key up once and then signs many times (see
 * sign.h): through gpg-agent directly when it can (agent.c, about 1 ms a
 * signature), else with one gpgme context whose key stays selected (a
 * gpg process a signature).
 */
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
		arca_sign__copy_fpr(s->primary, s->key->subkeys ? s->key->subkeys->fpr :
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
	int rc = 0;

	pthread_mutex_lock(&s->lock);
	if (s->agent && arca_sign__agent_sign(s->agent, data, len, armored_sig,
		used_fpr) == 0)
		goto done;
	if ((rc = gpg_setup(s, err)) == 0)
		rc = arca_sign__gpgme_sign(s->ctx, s->fpr, data, len,
			armored_sig, used_fpr, err);
done:
	pthread_mutex_unlock(&s->lock);
	return rc;
}
