/* Standard base64 (RFC 4648, with padding). */
#ifndef ARCA_UTIL_BASE64_H
#define ARCA_UTIL_BASE64_H
#include "util/buf.h"

int arca_base64_encode(arca_buf *out, const void *data, size_t len);
/* Appends the decoded bytes; ARCA_EINVALID on bad input. */
int arca_base64_decode(arca_buf *out, const char *s);
#endif
