/* arca_buf: a growable byte buffer, always NUL-terminated when non-empty. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "util/buf.h"
#include "arca/error.h"

int arca_buf_grow(arca_buf *b, size_t extra)
{
	size_t need = b->len + extra + 1, cap;
	unsigned char *p;

	if (need < b->len)
		return ARCA_ERROR;
	if (need <= b->cap)
		return 0;
	cap = b->cap ? b->cap : 64;
	while (cap < need)
		cap = cap + cap / 2 + 64;
	p = realloc(b->data, cap);
	if (!p)
		return ARCA_ERROR;
	b->data = p;
	b->cap = cap;
	b->data[b->len] = '\0';
	return 0;
}

int arca_buf_put(arca_buf *b, const void *data, size_t len)
{
	if (arca_buf_grow(b, len) < 0)
		return ARCA_ERROR;
	if (len)
		memcpy(b->data + b->len, data, len);
	b->len += len;
	b->data[b->len] = '\0';
	return 0;
}

int arca_buf_puts(arca_buf *b, const char *s)
{
	return arca_buf_put(b, s, strlen(s));
}

int arca_buf_printf(arca_buf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0 || arca_buf_grow(b, (size_t)n) < 0)
		return ARCA_ERROR;
	va_start(ap, fmt);
	vsnprintf((char *)b->data + b->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
	return 0;
}

void arca_buf_clear(arca_buf *b)
{
	b->len = 0;
	if (b->data)
		b->data[0] = '\0';
}

void arca_buf_dispose(arca_buf *b)
{
	free(b->data);
	b->data = NULL;
	b->len = b->cap = 0;
}

unsigned char *arca_buf_detach(arca_buf *b, size_t *len)
{
	unsigned char *p;

	if (!b->data && arca_buf_grow(b, 0) < 0)
		return NULL;
	p = b->data;
	if (len)
		*len = b->len;
	b->data = NULL;
	b->len = b->cap = 0;
	return p;
}

const char *arca_buf_cstr(arca_buf *b)
{
	return b->data ? (const char *)b->data : "";
}
