/* The inside of arca_stats, shared by stats.c and stats_json.c. */
#ifndef ARCA_CATALOG_STATS_INT_H
#define ARCA_CATALOG_STATS_INT_H

#include <string.h>
#include "catalog/stats.h"

#define CAT_SLOTS (2 * ARCA_STATS_MAX_CATEGORIES)

typedef struct stats_cat {
	char *value;           /* NUL-terminated copy */
	uint32_t len;
	uint64_t hash;
	uint64_t count;
} stats_cat;

typedef struct stats_field {
	char *name;
	arca_field_type type;
	bool pii;              /* category values are never written out */
	uint64_t count;        /* valid non-null values */
	uint64_t nulls;        /* null or absent */
	uint64_t invalid;      /* values that broke the field's rules */
	int64_t imin, imax;    /* integers; timestamps in microseconds */
	double dmin, dmax;     /* decimals */
	double mean, m2;       /* Welford, integers and decimals */
	uint64_t min_len, max_len; /* strings, in code points */
	uint64_t ntrue, nfalse;
	/*
	 * Distinct values are counted exactly while there are at most
	 * ARCA_STATS_MAX_CATEGORIES of them (strings: the categories;
	 * others: their hashes in few), then by HyperLogLog, allocated on
	 * that first overflow and seeded with the values seen so far.
	 * Exact counting is cheaper too: no random writes into 16 KiB.
	 */
	uint8_t *hll;
	stats_cat *cats;       /* strings, until high_card */
	uint64_t *few;         /* other types, until hll */
	uint32_t ncats;        /* entries in cats or few */
	bool high_card;        /* strings: categories dropped */
	uint8_t slots[CAT_SLOTS]; /* open addressing: index + 1 */
} stats_field;

struct arca_stats {
	arca_schema_format format;
	json_t *summary;       /* from_json: the document, read-only */
	uint64_t rows, invalid_rows, files, bytes;
	size_t nfields;
	stats_field *f;
};

/* memcmp(a, b, n) == 0, without a call for the usual short values. */
static inline bool arca_stats__same(const char *a, const char *b, size_t n)
{
	uint64_t x, y, u, v;

	if (n < 8 || n > 16)
		return !memcmp(a, b, n);
	memcpy(&x, a, 8);
	memcpy(&y, b, 8);
	memcpy(&u, a + n - 8, 8);
	memcpy(&v, b + n - 8, 8);
	return x == y && u == v;
}

/* Distinct values of f: exact while categories are kept, else the
 * HyperLogLog estimate. */
uint64_t arca_stats__distinct(const stats_field *f);
/* Sample standard deviation (0 below two values). */
double arca_stats__sd(const stats_field *f);

#endif
