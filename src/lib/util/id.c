/* Object id formatting and parsing. */
#include <string.h>
#include "arca/id.h"
#include "arca/error.h"

static const char hexdig[] = "0123456789abcdef";

void arca_id_hex(char out[ARCA_ID_HEXSZ + 1], const arca_id *id)
{
	for (int i = 0; i < ARCA_ID_RAWSZ; i++) {
		out[2 * i] = hexdig[id->raw[i] >> 4];
		out[2 * i + 1] = hexdig[id->raw[i] & 15];
	}
	out[ARCA_ID_HEXSZ] = '\0';
}

void arca_id_str(char out[ARCA_ID_STRSZ], const arca_id *id)
{
	memcpy(out, ARCA_ID_PREFIX, 7);
	arca_id_hex(out + 7, id);
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int arca_id_parse(arca_id *out, const char *s)
{
	arca_id id;

	if (!strncmp(s, ARCA_ID_PREFIX, 7))
		s += 7;
	if (strlen(s) != ARCA_ID_HEXSZ)
		return ARCA_EINVALID;
	for (int i = 0; i < ARCA_ID_RAWSZ; i++) {
		int hi = hexval(s[2 * i]), lo = hexval(s[2 * i + 1]);
		if (hi < 0 || lo < 0)
			return ARCA_EINVALID;
		id.raw[i] = (unsigned char)(hi << 4 | lo);
	}
	*out = id;
	return 0;
}

int arca_id_cmp(const arca_id *a, const arca_id *b)
{
	return memcmp(a->raw, b->raw, ARCA_ID_RAWSZ);
}

int arca_id_is_zero(const arca_id *id)
{
	for (int i = 0; i < ARCA_ID_RAWSZ; i++)
		if (id->raw[i])
			return 0;
	return 1;
}
