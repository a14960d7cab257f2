/* UTF-8 validation (RFC 3629: no overlongs, surrogates or > U+10FFFF). */
#ifndef ARCA_UTIL_UTF8_H
#define ARCA_UTIL_UTF8_H

#include <stddef.h>

/* 1 if s[0..len) is valid UTF-8 without NUL bytes, else 0. */
int arca_utf8_valid(const char *s, size_t len);

#endif
