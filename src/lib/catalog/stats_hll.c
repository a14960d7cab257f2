/*
 * The hash and the HyperLogLog sketch behind distinct counts. The
 * estimator is Ertl's "improved raw estimator" (arXiv:1702.01284), which
 * needs neither bias tables nor a switch to linear counting.
 */
#include <math.h>
#include <string.h>
#include "catalog/stats.h"

#define M1 0x9E3779B97F4A7C15ull
#define M2 0xD6E8FEB86659FD93ull
#define M3 0xA0761D6478BD642Full

/* Final avalanche: every input bit reaches every output bit, which the
 * sketch needs (it uses the top bits as index, the rest as rank). */
static inline uint64_t finish(uint64_t h)
{
	h ^= h >> 32;
	h *= M2;
	h ^= h >> 29;
	h *= M3;
	h ^= h >> 32;
	return h;
}

__extension__ typedef unsigned __int128 u128;

/* 64x64 -> 128-bit multiply, folded: the mixing step. */
static inline uint64_t fold(uint64_t a, uint64_t b)
{
	u128 r = (u128)a * b;

	return (uint64_t)r ^ (uint64_t)(r >> 64);
}

static inline uint64_t load64(const unsigned char *p)
{
	uint64_t v;

	memcpy(&v, p, 8);
	return v;
}

static inline uint64_t load32(const unsigned char *p)
{
	uint32_t v;

	memcpy(&v, p, 4);
	return v;
}

/*
 * Most values are short, so up to 16 bytes take two (overlapping) loads
 * and one fold; longer ones fold 16 bytes per step, then the last 16.
 */
uint64_t arca_stats__hash(const void *data, size_t len)
{
	const unsigned char *p = data;
	uint64_t h = M3 ^ fold((uint64_t)len ^ M1, M2), a, b;

	if (len <= 16) {
		if (len >= 8) {
			a = load64(p);
			b = load64(p + len - 8);
		} else if (len >= 4) {
			a = load32(p);
			b = load32(p + len - 4);
		} else if (len) {
			a = (uint64_t)p[0] << 16 | (uint64_t)p[len >> 1] << 8 |
				p[len - 1];
			b = 0;
		} else {
			a = b = 0;
		}
	} else {
		size_t n = len;
		for (; n > 16; p += 16, n -= 16)
			h = fold(load64(p) ^ M1, load64(p + 8) ^ h);
		a = load64(p + n - 16);
		b = load64(p + n - 8);
	}
	return finish(fold(a ^ M2, b ^ h));
}

uint64_t arca_stats__hash_u64(uint64_t v)
{
	return finish(fold(v ^ M1, M2) ^ M3);
}

void arca_stats__hll_add(uint8_t *regs, uint64_t hash)
{
	const int p = ARCA_STATS_HLL_P;
	uint32_t idx = (uint32_t)(hash >> (64 - p));
	/* the guard bit caps the rank at 64 - p + 1 */
	uint64_t w = (hash << p) | (1ull << (p - 1));
	uint8_t rank = (uint8_t)(__builtin_clzll(w) + 1);

	if (rank > regs[idx])
		regs[idx] = rank;
}

static double sigma(double x)
{
	double y = 1, z = x, prev;

	if (x == 1)
		return INFINITY;
	do {
		x *= x;
		prev = z;
		z += x * y;
		y += y;
	} while (z != prev);
	return z;
}

static double tau(double x)
{
	double y = 1, z, prev;

	if (x == 0 || x == 1)
		return 0;
	z = 1 - x;
	do {
		x = sqrt(x);
		prev = z;
		y *= 0.5;
		z -= (1 - x) * (1 - x) * y;
	} while (z != prev);
	return z / 3;
}

double arca_stats__hll_estimate(const uint8_t *regs)
{
	enum { P = ARCA_STATS_HLL_P, Q = 64 - P };
	const double m = (double)(1u << P);
	uint32_t c[Q + 2] = { 0 };
	double z;

	for (uint32_t i = 0; i < (1u << P); i++)
		c[regs[i]]++;
	z = m * tau(1 - c[Q + 1] / m);
	for (int k = Q; k >= 1; k--)
		z = 0.5 * (z + c[k]);
	z += m * sigma(c[0] / m);
	return m / (2 * log(2)) * m / z;
}
