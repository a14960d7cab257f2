/* UTF-8 validation (RFC 3629: no overlongs, surrogates or > U+10FFFF). */
#ifndef ARCA_UTIL_UTF8_H
#define ARCA_UTIL_UTF8_H

#include <stddef.h>

/* 1 if s[0..len) is valid UTF-8 without NUL bytes, else 0. */
int arca_utf8_valid(const char *s, size_t len);

/* Makes s (NUL-terminated) valid UTF-8 in place: when it is not, every
 * byte >= 0x80 becomes '?'. For names (host, user) kept as text. */
void arca_utf8_sanitize(char *s);

#endif
