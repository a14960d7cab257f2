/* SHA-256 through OpenSSL 3's EVP interface (SHA-NI where the CPU has it). */
#include <stdlib.h>
#include <string.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include "hash/sha256.h"

struct arca_sha256_ctx {
	EVP_MD_CTX *md;
};

/* Sets err from OpenSSL's error queue for the failed call `what`. */
static int ossl_fail(arca_error *err, const char *what)
{
	unsigned long e = ERR_get_error();
	char buf[256];

	ERR_clear_error();
	if (!e)
		return arca_error_set(err, ARCA_ERROR, "sha256: %s failed",
			what);
	ERR_error_string_n(e, buf, sizeof(buf));
	return arca_error_set(err, ARCA_ERROR, "sha256: %s failed: %s", what,
		buf);
}

int arca_sha256(arca_id *out, const void *data, size_t len, arca_error *err)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;

	if (!EVP_Digest(data, len, md, &mdlen, EVP_sha256(), NULL))
		return ossl_fail(err, "EVP_Digest");
	if (mdlen != ARCA_ID_RAWSZ)
		return arca_error_set(err, ARCA_ERROR,
			"sha256: digest is %u bytes, expected %d", mdlen,
			ARCA_ID_RAWSZ);
	memcpy(out->raw, md, ARCA_ID_RAWSZ);
	return 0;
}

int arca_sha256_new(arca_sha256_ctx **out, arca_error *err)
{
	arca_sha256_ctx *c = calloc(1, sizeof(*c));

	if (!c)
		return arca_error_set(err, ARCA_ERROR, "sha256: out of memory");
	if (!(c->md = EVP_MD_CTX_new())) {
		free(c);
		return ossl_fail(err, "EVP_MD_CTX_new");
	}
	if (!EVP_DigestInit_ex(c->md, EVP_sha256(), NULL)) {
		arca_sha256_free(c);
		return ossl_fail(err, "EVP_DigestInit_ex");
	}
	*out = c;
	return 0;
}

int arca_sha256_update(arca_sha256_ctx *c, const void *data, size_t len,
	arca_error *err)
{
	if (!EVP_DigestUpdate(c->md, data, len))
		return ossl_fail(err, "EVP_DigestUpdate");
	return 0;
}

/* On failure c is unusable; the caller can only arca_sha256_free() it. */
int arca_sha256_final(arca_sha256_ctx *c, arca_id *out, arca_error *err)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;

	if (!EVP_DigestFinal_ex(c->md, md, &mdlen))
		return ossl_fail(err, "EVP_DigestFinal_ex");
	/* Reset first so that out is written only when c is reusable. */
	if (!EVP_DigestInit_ex(c->md, EVP_sha256(), NULL))
		return ossl_fail(err, "EVP_DigestInit_ex");
	if (mdlen != ARCA_ID_RAWSZ)
		return arca_error_set(err, ARCA_ERROR,
			"sha256: digest is %u bytes, expected %d", mdlen,
			ARCA_ID_RAWSZ);
	memcpy(out->raw, md, ARCA_ID_RAWSZ);
	return 0;
}

void arca_sha256_free(arca_sha256_ctx *c)
{
	if (!c)
		return;
	EVP_MD_CTX_free(c->md);
	free(c);
}
