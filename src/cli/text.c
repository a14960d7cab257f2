/*
 * Names from snapshots (file names, link targets) are bytes, not text:
 * they may hold control characters that would drive a terminal, or not
 * be UTF-8 at all. These helpers print and serialise them safely.
 */
#include <stdlib.h>
#include <string.h>
#include <jansson.h>
#include "cli.h"

static int is_utf8(const char *s)
{
	json_t *j = json_string(s);

	json_decref(j);
	return j != NULL;
}

void cli_quote(FILE *f, const char *s, int flags)
{
	const unsigned char *p = (const unsigned char *)s;
	int high = (flags & Q_HIGH) || !is_utf8(s);

	for (; *p; p++) {
		if ((flags & Q_QUOTES) && (*p == '\\' || *p == '\''))
			fprintf(f, "\\%c", *p);
		else if (*p < 0x20 || *p == 0x7f || (high && *p >= 0x80))
			fprintf(f, "\\x%02x", *p);
		else
			fputc(*p, f);
	}
}

json_t *cli_json_text(const char *s)
{
	json_t *j;
	char *buf = NULL;
	size_t len = 0;
	FILE *f;

	if (!s)
		return json_null();
	if ((j = json_string(s)))
		return j;
	if (!(f = open_memstream(&buf, &len)))
		return json_null();
	cli_quote(f, s, Q_QUOTES | Q_HIGH);
	fclose(f);
	j = json_string(buf);
	free(buf);
	return j ? j : json_null();
}

static const char b64[] =
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

void cli_json_set_name(json_t *obj, const char *key, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t n = strlen(s), i, o = 0;
	char k[64], *out;

	json_object_set_new(obj, key, cli_json_text(s));
	if (is_utf8(s) || !(out = malloc(4 * (n / 3 + 1) + 1)))
		return;
	for (i = 0; i < n; i += 3) {
		unsigned v = p[i] << 16 | (i + 1 < n ? p[i + 1] << 8 : 0) |
			(i + 2 < n ? p[i + 2] : 0);
		out[o++] = b64[v >> 18 & 63];
		out[o++] = b64[v >> 12 & 63];
		out[o++] = i + 1 < n ? b64[v >> 6 & 63] : '=';
		out[o++] = i + 2 < n ? b64[v & 63] : '=';
	}
	out[o] = '\0';
	snprintf(k, sizeof(k), "%s_b64", key);
	json_object_set_new(obj, k, json_string(out));
	free(out);
}
