/* Unit tests for the FastCDC chunker (src/lib/chunk/fastcdc.c). */
#include <stdlib.h>
#include <string.h>
#include "testutil.h"
#include "chunk/fastcdc.h"
#include "hash/sha256.h"

#define KiB ((size_t)1024)
#define MiB (1024 * KiB)

static const arca_cdc_params defaults = {
	ARCA_CDC_DEFAULT_MIN, ARCA_CDC_DEFAULT_AVG, ARCA_CDC_DEFAULT_MAX
};
static const arca_cdc_params small = { 2048, 8192, 65536 };

typedef struct {
	size_t off, len;
	arca_id id;
} chunk;

/* Chunks all of buf; returns a malloc'd array of *n chunks (ids unset). */
static chunk *chunk_all(const arca_cdc_params *p, const unsigned char *buf,
	size_t len, size_t *n)
{
	size_t cap = 16, off = 0;
	chunk *v = malloc(cap * sizeof(*v));

	assert_non_null(v);
	*n = 0;
	while (off < len) {
		size_t c = arca_cdc_cut(p, buf + off, len - off);

		assert_true(c > 0 && c <= len - off);
		if (*n == cap) {
			cap *= 2;
			v = realloc(v, cap * sizeof(*v));
			assert_non_null(v);
		}
		v[*n].off = off;
		v[*n].len = c;
		(*n)++;
		off += c;
	}
	return v;
}

static void check_pinned(const arca_cdc_params *p, size_t len,
	const size_t *want, size_t nwant)
{
	unsigned char *buf = malloc(len);
	size_t n;
	chunk *v;

	assert_non_null(buf);
	tu_fill_random(buf, len, 42);
	v = chunk_all(p, buf, len, &n);
	for (size_t i = 0; i < n && i < nwant; i++)
		if (v[i].len != want[i])
			fail_msg("chunk %zu: length %zu, pinned %zu", i,
				v[i].len, want[i]);
	assert_int_equal(n, nwant);
	free(v);
	free(buf);
}

/* Pinned by formats/chunking.md: changing these is a format change. */
static void test_chunk__pinned_default(void **state)
{
	static const size_t want[] = {
		1805588, 1804926, 1220650, 1696856, 1488058, 820486,
		590361, 1182950, 1127026, 1256844, 555740, 1738972,
		1259354, 1055033, 1221610, 1148349, 721064, 1229267,
		1079172, 1011137, 1152381
	};

	(void)state;
	check_pinned(&defaults, 24 * MiB, want, sizeof(want) / sizeof(*want));
}

static void test_chunk__pinned_small(void **state)
{
	static const size_t want[] = {
		12048, 8227, 12377, 12676, 8476, 8443, 8574, 14161,
		10897, 11552, 8283, 9834, 3607, 10138, 8523, 9614,
		4772, 8509, 5916, 8845, 8595, 9881, 8767, 3365,
		13454, 11487, 15640, 6223, 9717, 8858, 14610, 2483,
		7390, 2502, 10628, 8250, 16426, 9726, 12531, 8626,
		8909, 7776, 9480, 9761, 9229, 9599, 4077, 9277,
		2108, 12911, 8543, 9000, 9907, 8431, 11769, 9488,
		10639, 8234, 9181, 8818, 9578, 9827, 7098, 14808,
		8891, 13417, 13268, 9387, 8066, 10550, 5832, 9175,
		8326, 3719, 5035, 9275, 8176, 14864, 12270, 10687,
		8290, 8493, 10940, 8756, 3887, 8976, 8647, 7148,
		10391, 10872, 6976, 10326, 11124, 4698, 8366, 2780,
		10111, 9167, 9382, 11142, 10501, 11971, 8924, 15536,
		12339, 14587, 8980, 7025, 8201, 8580, 6563, 11079,
		8659, 1142
	};

	(void)state;
	check_pinned(&small, 1 * MiB, want, sizeof(want) / sizeof(*want));
}

static void check_bounds(const arca_cdc_params *p, size_t len,
	uint64_t seed)
{
	unsigned char *buf = malloc(len);
	size_t n, sum = 0;
	chunk *v;

	assert_non_null(buf);
	tu_fill_random(buf, len, seed);
	v = chunk_all(p, buf, len, &n);
	for (size_t i = 0; i < n; i++) {
		/* Every cut but the last lies in (min, max]. */
		if (i + 1 < n) {
			assert_true(v[i].len > p->min_size);
			assert_true(v[i].len <= p->max_size);
		} else {
			assert_true(v[i].len > 0);
			assert_true(v[i].len <= p->max_size);
		}
		sum += v[i].len;
	}
	assert_int_equal(sum, len);
	free(v);
	free(buf);
}

static void test_chunk__bounds(void **state)
{
	static const arca_cdc_params tiny = { 64, 128, 256 };
	static const arca_cdc_params odd = { 100, 1024, 1500 };

	(void)state;
	check_bounds(&defaults, 24 * MiB + 12345, 1);
	check_bounds(&small, 4 * MiB + 1, 2);
	check_bounds(&tiny, 1 * MiB + 7, 3);
	check_bounds(&odd, 1 * MiB, 4);
}

/*
 * A cut depends only on the bytes up to it: handing the chunker exactly
 * the chunk, or max_size bytes, or everything that is left, gives the
 * same length. This is what lets a caller stream with a max_size buffer.
 */
static void test_chunk__prefix_independent(void **state)
{
	size_t len = 2 * MiB, n;
	unsigned char *buf = malloc(len);
	chunk *v;

	(void)state;
	assert_non_null(buf);
	tu_fill_random(buf, len, 5);
	v = chunk_all(&small, buf, len, &n);
	for (size_t i = 0; i + 1 < n; i++) {
		size_t rest = len - v[i].off;
		size_t m = rest < small.max_size ? rest : small.max_size;

		assert_int_equal(arca_cdc_cut(&small, buf + v[i].off,
			v[i].len), v[i].len);
		assert_int_equal(arca_cdc_cut(&small, buf + v[i].off, m),
			v[i].len);
	}
	free(v);
	free(buf);
}

static void hash_chunks(const unsigned char *buf, chunk *v, size_t n)
{
	arca_error err = ARCA_ERROR_INIT;

	for (size_t i = 0; i < n; i++)
		assert_int_equal(arca_sha256(&v[i].id, buf + v[i].off,
			v[i].len, &err), 0);
}

static int has_id(const chunk *v, size_t n, const arca_id *id)
{
	for (size_t i = 0; i < n; i++)
		if (!arca_id_cmp(&v[i].id, id))
			return 1;
	return 0;
}

/*
 * Chunks a and b (an edited copy of a) and checks that the edit only
 * disturbed the chunks around it.
 */
static void check_locality(const unsigned char *a, size_t alen,
	const unsigned char *b, size_t blen)
{
	size_t na, nb, missing = 0, shared = 0;
	chunk *va = chunk_all(&defaults, a, alen, &na);
	chunk *vb = chunk_all(&defaults, b, blen, &nb);

	hash_chunks(a, va, na);
	hash_chunks(b, vb, nb);
	assert_true(na > 30);
	for (size_t i = 0; i < na; i++)
		if (!has_id(vb, nb, &va[i].id))
			missing++;
	for (size_t i = 0; i < nb; i++)
		if (has_id(va, na, &vb[i].id))
			shared += vb[i].len;
	if (missing > 2)
		fail_msg("%zu of %zu original chunks lost", missing, na);
	if (shared * 10 < blen * 9)
		fail_msg("only %zu of %zu bytes in shared chunks", shared,
			blen);
	free(va);
	free(vb);
}

static void test_chunk__locality(void **state)
{
	size_t len = 64 * MiB, del = 5 * MiB;
	unsigned char *a = malloc(len), *b = malloc(len + 100);

	(void)state;
	assert_non_null(a);
	assert_non_null(b);
	tu_fill_random(a, len, 9);

	/* Insert 100 bytes at offset 1000. */
	memcpy(b, a, 1000);
	tu_fill_random(b + 1000, 100, 10);
	memcpy(b + 1100, a + 1000, len - 1000);
	check_locality(a, len, b, len + 100);

	/* Delete 10 bytes at offset 5 MiB. */
	memcpy(b, a, del);
	memcpy(b + del, a + del + 10, len - del - 10);
	check_locality(a, len, b, len - 10);

	free(a);
	free(b);
}

static void test_chunk__small_inputs(void **state)
{
	unsigned char buf[2048];

	(void)state;
	tu_fill_random(buf, sizeof(buf), 3);
	assert_int_equal(arca_cdc_cut(&small, buf, 0), 0);
	assert_int_equal(arca_cdc_cut(&small, buf, 1), 1);
	assert_int_equal(arca_cdc_cut(&small, buf, 2047), 2047);
	assert_int_equal(arca_cdc_cut(&small, buf, 2048), 2048);
}

/* Zeros never satisfy a mask: max_size + 1 zeros cut as max_size, 1. */
static void check_zeros(const arca_cdc_params *p)
{
	size_t len = (size_t)p->max_size + 1;
	unsigned char *z = calloc(1, len);

	assert_non_null(z);
	assert_int_equal(arca_cdc_cut(p, z, len), p->max_size);
	assert_int_equal(arca_cdc_cut(p, z + p->max_size, 1), 1);
	free(z);
}

static void test_chunk__zeros(void **state)
{
	(void)state;
	check_zeros(&defaults);
	check_zeros(&small);
}

static void check_rejects(uint32_t min, uint32_t avg, uint32_t max,
	const char *field)
{
	arca_cdc_params p = { min, avg, max };
	arca_error err = ARCA_ERROR_INIT;

	assert_int_equal(arca_cdc_params_check(&p, &err), ARCA_EINVALID);
	assert_int_equal(err.code, ARCA_EINVALID);
	if (!strstr(err.msg, field))
		fail_msg("message '%s' does not name %s", err.msg, field);
	assert_int_equal(arca_cdc_params_check(&p, NULL), ARCA_EINVALID);
}

static void test_chunk__params_check(void **state)
{
	arca_cdc_params top = { 1 * MiB, 32 * MiB, 64 * MiB };
	arca_error err = ARCA_ERROR_INIT;

	(void)state;
	assert_int_equal(arca_cdc_params_check(&defaults, &err), 0);
	assert_int_equal(arca_cdc_params_check(&small, &err), 0);
	assert_int_equal(arca_cdc_params_check(&top, &err), 0);

	check_rejects(2048, 10000, 65536, "avg_size");
	check_rejects(2048, 0, 65536, "avg_size");
	check_rejects(8192, 8192, 65536, "min_size");
	check_rejects(16384, 8192, 65536, "min_size");
	check_rejects(2048, 65536, 65536, "max_size");
	check_rejects(2048, 8192, 4096, "max_size");
	check_rejects(63, 8192, 65536, "min_size");
	check_rejects(0, 8192, 65536, "min_size");
	check_rejects(1 * MiB, 32 * MiB, 64 * MiB + 1, "max_size");
	assert_int_equal(arca_cdc_params_check(NULL, &err), ARCA_EINVALID);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_chunk__pinned_default),
		cmocka_unit_test(test_chunk__pinned_small),
		cmocka_unit_test(test_chunk__bounds),
		cmocka_unit_test(test_chunk__prefix_independent),
		cmocka_unit_test(test_chunk__locality),
		cmocka_unit_test(test_chunk__small_inputs),
		cmocka_unit_test(test_chunk__zeros),
		cmocka_unit_test(test_chunk__params_check),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
