/* arca — object ids: the SHA-256 of an object's uncompressed content. */
#ifndef ARCA_ID_H
#define ARCA_ID_H

#include <stddef.h>
#include <stdint.h>

#define ARCA_ID_RAWSZ 32
#define ARCA_ID_HEXSZ 64
/* "sha256:" + 64 hex + NUL */
#define ARCA_ID_STRSZ 72
#define ARCA_ID_PREFIX "sha256:"

typedef struct arca_id {
	unsigned char raw[ARCA_ID_RAWSZ];
} arca_id;

/* Lower-case hex of the id into out (65 bytes, NUL-terminated). */
void arca_id_hex(char out[ARCA_ID_HEXSZ + 1], const arca_id *id);
/* "sha256:<hex>" into out (ARCA_ID_STRSZ bytes). */
void arca_id_str(char out[ARCA_ID_STRSZ], const arca_id *id);
/* Parses "sha256:<64 hex>" or "<64 hex>" (any case). 0 or ARCA_EINVALID. */
int arca_id_parse(arca_id *out, const char *s);
int arca_id_cmp(const arca_id *a, const arca_id *b);
int arca_id_is_zero(const arca_id *id);

#endif
