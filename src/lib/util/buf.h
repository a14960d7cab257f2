/* A growable byte buffer (internal). */
#ifndef ARCA_UTIL_BUF_H
#define ARCA_UTIL_BUF_H

#include <stddef.h>
#include <stdint.h>

typedef struct arca_buf {
	unsigned char *data;
	size_t len;
	size_t cap;
} arca_buf;

#define ARCA_BUF_INIT { NULL, 0, 0 }

/* Ensures room for len+extra bytes (plus a NUL). 0 or ARCA_ERROR (ENOMEM). */
int arca_buf_grow(arca_buf *b, size_t extra);
int arca_buf_put(arca_buf *b, const void *data, size_t len);
int arca_buf_puts(arca_buf *b, const char *s);
int arca_buf_printf(arca_buf *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void arca_buf_clear(arca_buf *b);
/* Frees the memory; b is ARCA_BUF_INIT afterwards. */
void arca_buf_dispose(arca_buf *b);
/* Hands the memory to the caller (NUL-terminated); b is emptied. */
unsigned char *arca_buf_detach(arca_buf *b, size_t *len);
/* The buffer as a NUL-terminated string ("" when empty). Borrowed. */
const char *arca_buf_cstr(arca_buf *b);

#endif
