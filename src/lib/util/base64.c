#include <string.h>
#include "util/base64.h"
#include "arca/error.h"

static const char tbl[] =
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

int arca_base64_encode(arca_buf *out, const void *data, size_t len)
{
	const unsigned char *p = data;
	char q[4];

	for (size_t i = 0; i < len; i += 3) {
		unsigned v = (unsigned)p[i] << 16;
		if (i + 1 < len)
			v |= (unsigned)p[i + 1] << 8;
		if (i + 2 < len)
			v |= p[i + 2];
		q[0] = tbl[v >> 18 & 63];
		q[1] = tbl[v >> 12 & 63];
		q[2] = i + 1 < len ? tbl[v >> 6 & 63] : '=';
		q[3] = i + 2 < len ? tbl[v & 63] : '=';
		if (arca_buf_put(out, q, 4) < 0)
			return ARCA_ERROR;
	}
	return arca_buf_grow(out, 0);
}

int arca_base64_decode(arca_buf *out, const char *s)
{
	size_t n = strlen(s);

	if (n % 4)
		return ARCA_EINVALID;
	for (size_t i = 0; i < n; i += 4) {
		unsigned v = 0;
		int pad = 0;
		for (int j = 0; j < 4; j++) {
			const char *c = strchr(tbl, s[i + j]);
			if (s[i + j] == '=' && i + 4 == n && j >= 2) {
				pad++;
				v <<= 6;
				continue;
			}
			if (!c || !s[i + j] || pad)
				return ARCA_EINVALID;
			v = v << 6 | (unsigned)(c - tbl);
		}
		unsigned char b[3] = { v >> 16 & 255, v >> 8 & 255, v & 255 };
		if (arca_buf_put(out, b, 3 - (size_t)pad) < 0)
			return ARCA_ERROR;
	}
	return 0;
}
