/*
 * Per-version dataset statistics (formats/dataset-stats.md): row counts
 * and, per schema field, counts, nulls, ranges, mean and standard
 * deviation, distinct values (exact up to ARCA_STATS_MAX_CATEGORIES, then
 * a HyperLogLog estimate) and the categories of low-cardinality strings. One arca_stats accumulates every file of a
 * version; the validator (tabular.h) feeds it.
 */
#ifndef ARCA_CATALOG_STATS_H
#define ARCA_CATALOG_STATS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <jansson.h>
#include "arca/error.h"
#include "catalog/schema.h"

#define ARCA_STATS_VERSION 1
/* Strings with more distinct values than this are high-cardinality:
 * their category list is dropped. */
#define ARCA_STATS_MAX_CATEGORIES 64
/* HyperLogLog precision: 2^14 one-byte registers per field, about
 * 0.8 % standard error. */
#define ARCA_STATS_HLL_P 14

typedef struct arca_stats arca_stats;

/* Empty statistics for schema s (copied: s may be freed afterwards).
 * NULL when out of memory. */
arca_stats *arca_stats_new(const arca_schema *s);
void arca_stats_free(arca_stats *st);

/*
 * Canonical, deterministic JSON (same data in the same order gives the
 * same bytes): integers, and strings for fractional values (12
 * significant digits for computed ones). A new reference; NULL only when
 * out of memory.
 */
json_t *arca_stats_to_json(const arca_stats *st);
/*
 * Reads what arca_stats_to_json wrote into a read-only summary: it
 * serializes back to the same JSON, but must not be fed more data.
 * ARCA_EINVALID names the bad member.
 */
int arca_stats_from_json(arca_stats **out, json_t *doc, arca_error *err);

/* One more file of bytes bytes (for format files, the only input). */
void arca_stats_add_file(arca_stats *st, uint64_t bytes);
uint64_t arca_stats_rows(const arca_stats *st);
bool arca_stats_is_summary(const arca_stats *st);

/*
 * Updates, used by the validator. field is the schema field index; only
 * valid values are counted, a value that breaks its field's rules goes
 * to "invalid" instead. A row is invalid when any of its values (or its
 * shape) is.
 */
void arca_stats__row(arca_stats *st, bool valid);
void arca_stats__null(arca_stats *st, size_t field);
void arca_stats__invalid(arca_stats *st, size_t field);
/* These return 0, or ARCA_ERROR when out of memory. */
int arca_stats__int(arca_stats *st, size_t field, int64_t v);
int arca_stats__dec(arca_stats *st, size_t field, double v);
void arca_stats__bool(arca_stats *st, size_t field, bool v);
int arca_stats__time(arca_stats *st, size_t field, int64_t us);
/* A string of len bytes, ncp code points, hash arca_stats__hash(p, len). */
int arca_stats__str(arca_stats *st, size_t field, const char *p,
	size_t len, uint64_t ncp, uint64_t hash);

/* The 64-bit hash used for distinct counts (and by the validator). */
uint64_t arca_stats__hash(const void *p, size_t len);
uint64_t arca_stats__hash_u64(uint64_t v);

/* HyperLogLog over 2^ARCA_STATS_HLL_P registers (stats_hll.c). */
void arca_stats__hll_add(uint8_t *regs, uint64_t hash);
double arca_stats__hll_estimate(const uint8_t *regs);

/* RFC 3339 UTC text of us microseconds since the epoch ("2024-01-31T
 * 12:00:00Z", fraction only when not zero). */
void arca_stats__time_format(char out[40], int64_t us);

#endif
