/* Statistics accumulators: one stats_field per schema field. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "catalog/stats_int.h"

arca_stats *arca_stats_new(const arca_schema *s)
{
	arca_stats *st = calloc(1, sizeof(*st));

	if (!st)
		return NULL;
	st->format = s->format;
	if (s->field_count &&
		!(st->f = calloc(s->field_count, sizeof(*st->f))))
		goto oom;
	for (size_t i = 0; i < s->field_count; i++) {
		stats_field *f = &st->f[i];
		st->nfields++;
		f->type = s->fields[i].type;
		f->pii = s->fields[i].pii;
		if (!(f->name = strdup(s->fields[i].name)))
			goto oom;
	}
	return st;
oom:
	arca_stats_free(st);
	return NULL;
}

static void drop_cats(stats_field *f)
{
	for (uint32_t i = 0; f->cats && i < f->ncats; i++)
		free(f->cats[i].value);
	free(f->cats);
	free(f->few);
	f->cats = NULL;
	f->few = NULL;
	f->ncats = 0;
	memset(f->slots, 0, sizeof(f->slots));
}

void arca_stats_free(arca_stats *st)
{
	if (!st)
		return;
	for (size_t i = 0; i < st->nfields; i++) {
		drop_cats(&st->f[i]);
		free(st->f[i].hll);
		free(st->f[i].name);
	}
	free(st->f);
	json_decref(st->summary);
	free(st);
}

void arca_stats_add_file(arca_stats *st, uint64_t bytes)
{
	st->files++;
	st->bytes += bytes;
}

uint64_t arca_stats_rows(const arca_stats *st)
{
	return st->rows;
}

bool arca_stats_is_summary(const arca_stats *st)
{
	return st->summary != NULL;
}

void arca_stats__row(arca_stats *st, bool valid)
{
	st->rows++;
	st->invalid_rows += !valid;
}

void arca_stats__null(arca_stats *st, size_t field)
{
	st->f[field].nulls++;
}

void arca_stats__invalid(arca_stats *st, size_t field)
{
	st->f[field].invalid++;
}

/* Welford's update: stable mean and sum of squared deviations. */
static inline void welford(stats_field *f, double x)
{
	double d = x - f->mean;

	f->mean += d / (double)f->count;
	f->m2 += d * (x - f->mean);
}

/* Switches f to HyperLogLog, seeded with the exact set so far. */
static int to_hll(stats_field *f, uint64_t hash)
{
	if (!(f->hll = calloc(1, 1u << ARCA_STATS_HLL_P)))
		return ARCA_ERROR;
	for (uint32_t i = 0; i < f->ncats; i++)
		arca_stats__hll_add(f->hll, f->cats ? f->cats[i].hash :
			f->few[i]);
	arca_stats__hll_add(f->hll, hash);
	drop_cats(f);
	return 0;
}

/* Counts a distinct-value hash of a non-string field. */
static int distinct_add(stats_field *f, uint64_t hash)
{
	uint32_t i = (uint32_t)hash & (CAT_SLOTS - 1);

	if (f->hll) {
		arca_stats__hll_add(f->hll, hash);
		return 0;
	}
	for (; f->slots[i]; i = (i + 1) & (CAT_SLOTS - 1))
		if (f->few[f->slots[i] - 1] == hash)
			return 0;
	if (f->ncats == ARCA_STATS_MAX_CATEGORIES)
		return to_hll(f, hash);
	if (!f->few && !(f->few = malloc(ARCA_STATS_MAX_CATEGORIES *
		sizeof(uint64_t))))
		return ARCA_ERROR;
	f->few[f->ncats] = hash;
	f->slots[i] = (uint8_t)++f->ncats;
	return 0;
}

int arca_stats__int(arca_stats *st, size_t field, int64_t v)
{
	stats_field *f = &st->f[field];

	if (!f->count++ || v < f->imin)
		f->imin = v;
	if (f->count == 1 || v > f->imax)
		f->imax = v;
	welford(f, (double)v);
	return distinct_add(f, arca_stats__hash_u64((uint64_t)v));
}

int arca_stats__dec(arca_stats *st, size_t field, double v)
{
	stats_field *f = &st->f[field];
	uint64_t bits;

	if (v == 0)
		v = 0; /* -0 and 0 are one value */
	if (!f->count++ || v < f->dmin)
		f->dmin = v;
	if (f->count == 1 || v > f->dmax)
		f->dmax = v;
	welford(f, v);
	memcpy(&bits, &v, sizeof(bits));
	return distinct_add(f, arca_stats__hash_u64(bits));
}

void arca_stats__bool(arca_stats *st, size_t field, bool v)
{
	stats_field *f = &st->f[field];

	f->count++;
	if (v)
		f->ntrue++;
	else
		f->nfalse++;
}

int arca_stats__time(arca_stats *st, size_t field, int64_t us)
{
	stats_field *f = &st->f[field];

	if (!f->count++ || us < f->imin)
		f->imin = us;
	if (f->count == 1 || us > f->imax)
		f->imax = us;
	return distinct_add(f, arca_stats__hash_u64((uint64_t)us));
}

/* Inserts a new category at slot; 0 or ARCA_ERROR. */
static int cat_insert(stats_field *f, uint32_t slot, const char *p,
	size_t len, uint64_t hash, uint64_t count)
{
	stats_cat *c;

	if (!f->cats && !(f->cats = calloc(ARCA_STATS_MAX_CATEGORIES,
		sizeof(*f->cats))))
		return ARCA_ERROR;
	c = &f->cats[f->ncats];
	if (!(c->value = malloc(len + 1)))
		return ARCA_ERROR;
	memcpy(c->value, p, len);
	c->value[len] = '\0';
	c->len = (uint32_t)len;
	c->hash = hash;
	c->count = count;
	f->slots[slot] = (uint8_t)++f->ncats;
	return 0;
}

/* Counts one occurrence of a string value (exactly, while the field
 * has few distinct values). */
static int cat_count(stats_field *f, const char *p, size_t len,
	uint64_t hash)
{
	uint32_t i = (uint32_t)hash & (CAT_SLOTS - 1);

	if (f->hll) {
		arca_stats__hll_add(f->hll, hash);
		return 0;
	}
	for (; f->slots[i]; i = (i + 1) & (CAT_SLOTS - 1)) {
		stats_cat *c = &f->cats[f->slots[i] - 1];
		if (c->hash == hash && c->len == len &&
			arca_stats__same(c->value, p, len)) {
			c->count++;
			return 0;
		}
	}
	if (f->ncats == ARCA_STATS_MAX_CATEGORIES || len > UINT32_MAX) {
		f->high_card = true;
		return to_hll(f, hash);
	}
	return cat_insert(f, i, p, len, hash, 1);
}

int arca_stats__str(arca_stats *st, size_t field, const char *p,
	size_t len, uint64_t ncp, uint64_t hash)
{
	stats_field *f = &st->f[field];

	if (!f->count++ || ncp < f->min_len)
		f->min_len = ncp;
	if (f->count == 1 || ncp > f->max_len)
		f->max_len = ncp;
	return cat_count(f, p, len, hash);
}

uint64_t arca_stats__distinct(const stats_field *f)
{
	if (f->type == ARCA_FIELD_BOOLEAN)
		return (f->ntrue > 0) + (f->nfalse > 0);
	if (!f->hll)
		return f->ncats; /* still exact */
	return (uint64_t)llround(arca_stats__hll_estimate(f->hll));
}

double arca_stats__sd(const stats_field *f)
{
	return f->count > 1 ? sqrt(f->m2 / (double)(f->count - 1)) : 0;
}
