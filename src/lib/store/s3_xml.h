/*
 * Just enough XML for S3's responses: find an element's text by name and
 * unescape it. S3's documents are flat, attribute-free below the root and
 * never use CDATA, so a search for "<Name>" … "</Name>" is exact; nothing
 * here allocates except the unescaped copy, and bad input is refused.
 */
#ifndef ARCA_STORE_S3_XML_H
#define ARCA_STORE_S3_XML_H

#include <stddef.h>
#include "util/buf.h"

/* A span of the document. */
typedef struct arca_s3_xml_span {
	const char *p;
	size_t len;
} arca_s3_xml_span;

/*
 * Finds the next element <tag>…</tag> in doc at or after *pos; sets
 * *inner to its content and moves *pos past it. 1 when found, 0 when
 * not. A self-closing <tag/> counts, with empty content.
 */
int arca_s3__xml_next(const arca_s3_xml_span *doc, const char *tag,
	size_t *pos, arca_s3_xml_span *inner);

/* The first element tag in doc, as unescaped text appended to out (which
 * is then NUL-terminated). 1 found, 0 not found, ARCA_EINVALID for a bad
 * entity, ARCA_ERROR when out of memory. */
int arca_s3__xml_text(arca_buf *out, const arca_s3_xml_span *doc,
	const char *tag);

/* Unescapes XML text (the five entities and &#N; / &#xN;) into out. */
int arca_s3__xml_unescape(arca_buf *out, const char *s, size_t len);

/* Appends s with & < > " ' escaped. */
int arca_s3__xml_escape(arca_buf *out, const char *s);

#endif
