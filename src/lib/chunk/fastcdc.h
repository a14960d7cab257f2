/*
 * FastCDC content-defined chunking with normalized chunking (Xia et al.,
 * USENIX ATC 2016 and its 2020 TPDS extension). The gear table and masks
 * are fixed by the repository format (formats/chunking.md), so the same
 * bytes always cut at the same places.
 */
#ifndef ARCA_CHUNK_FASTCDC_H
#define ARCA_CHUNK_FASTCDC_H

#include <stddef.h>
#include <stdint.h>
#include "arca/error.h"

typedef struct arca_cdc_params {
	uint32_t min_size; /* no cut before this many bytes */
	uint32_t avg_size; /* power of two: the normalization point */
	uint32_t max_size; /* always cut here */
} arca_cdc_params;

#define ARCA_CDC_DEFAULT_MIN (256u * 1024u)
#define ARCA_CDC_DEFAULT_AVG (1024u * 1024u)
#define ARCA_CDC_DEFAULT_MAX (4u * 1024u * 1024u)

/* 0, or ARCA_EINVALID naming the bad parameter (avg not a power of two,
 * min < 64, not min < avg < max, max > 64 MiB). */
int arca_cdc_params_check(const arca_cdc_params *p, arca_error *err);

/*
 * Returns the length of the first chunk of data[0..len). The caller
 * passes at least max_size bytes unless the input ends within them; when
 * len <= min_size the whole of len is one chunk. Pure function.
 */
size_t arca_cdc_cut(const arca_cdc_params *p, const unsigned char *data,
	size_t len);

#endif
