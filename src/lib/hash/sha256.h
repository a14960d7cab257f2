/* SHA-256 through OpenSSL's EVP interface (uses SHA-NI where present). */
#ifndef ARCA_HASH_SHA256_H
#define ARCA_HASH_SHA256_H

#include <stddef.h>
#include "arca/id.h"
#include "arca/error.h"

/* One-shot digest of data into out. 0 or ARCA_ERROR. */
int arca_sha256(arca_id *out, const void *data, size_t len, arca_error *err);

/* Streaming digest, for data that never sits in memory whole. */
typedef struct arca_sha256_ctx arca_sha256_ctx;

int arca_sha256_new(arca_sha256_ctx **out, arca_error *err);
int arca_sha256_update(arca_sha256_ctx *c, const void *data, size_t len,
	arca_error *err);
/* Writes the digest and resets c for reuse. */
int arca_sha256_final(arca_sha256_ctx *c, arca_id *out, arca_error *err);
void arca_sha256_free(arca_sha256_ctx *c);

#endif
