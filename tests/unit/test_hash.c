/* Unit tests for SHA-256 (src/lib/hash) and object ids (src/lib/util/id.c). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "testutil.h"
#include "hash/sha256.h"
#include "arca/id.h"

/* FIPS 180-2 appendix B test vectors. */
#define EMPTY_HEX \
	"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
#define ABC_HEX \
	"ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
#define MSG448 \
	"abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"
#define MSG448_HEX \
	"248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"
#define MILLION_A_HEX \
	"cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0"

static void assert_id_hex(const arca_id *id, const char *want)
{
	char hex[ARCA_ID_HEXSZ + 1];

	arca_id_hex(hex, id);
	assert_string_equal(hex, want);
}

static void oneshot_and_stream(const char *msg, const char *want)
{
	arca_error err = ARCA_ERROR_INIT;
	arca_sha256_ctx *c = NULL;
	size_t len = strlen(msg);
	arca_id id;

	assert_int_equal(arca_sha256(&id, msg, len, &err), 0);
	assert_id_hex(&id, want);

	assert_int_equal(arca_sha256_new(&c, &err), 0);
	assert_non_null(c);
	/* Byte by byte, then all at once on the reset context. */
	for (size_t i = 0; i < len; i++)
		assert_int_equal(arca_sha256_update(c, msg + i, 1, &err), 0);
	assert_int_equal(arca_sha256_final(c, &id, &err), 0);
	assert_id_hex(&id, want);
	assert_int_equal(arca_sha256_update(c, msg, len, &err), 0);
	assert_int_equal(arca_sha256_final(c, &id, &err), 0);
	assert_id_hex(&id, want);
	arca_sha256_free(c);
}

static void test_hash__empty(void **state)
{
	arca_sha256_ctx *c = NULL;
	arca_id id;

	(void)state;
	oneshot_and_stream("", EMPTY_HEX);
	/* A NULL pointer with length 0 is an empty message. */
	assert_int_equal(arca_sha256(&id, NULL, 0, NULL), 0);
	assert_id_hex(&id, EMPTY_HEX);
	assert_int_equal(arca_sha256_new(&c, NULL), 0);
	assert_int_equal(arca_sha256_final(c, &id, NULL), 0);
	assert_id_hex(&id, EMPTY_HEX);
	arca_sha256_free(c);
}

static void test_hash__abc(void **state)
{
	(void)state;
	oneshot_and_stream("abc", ABC_HEX);
}

static void test_hash__448_bits(void **state)
{
	(void)state;
	assert_int_equal(strlen(MSG448) * 8, 448);
	oneshot_and_stream(MSG448, MSG448_HEX);
}

/* One million 'a', fed in pieces of 1, 2, ..., 997 bytes, cycling. */
static void test_hash__million_a(void **state)
{
	size_t len = 1000000, off = 0, piece = 1;
	arca_error err = ARCA_ERROR_INIT;
	char *buf = malloc(len);
	arca_sha256_ctx *c = NULL;
	arca_id id;

	(void)state;
	assert_non_null(buf);
	memset(buf, 'a', len);
	assert_int_equal(arca_sha256_new(&c, &err), 0);
	while (off < len) {
		size_t n = piece < len - off ? piece : len - off;

		assert_int_equal(arca_sha256_update(c, buf + off, n, &err), 0);
		off += n;
		piece = piece % 997 + 1;
	}
	assert_int_equal(arca_sha256_final(c, &id, &err), 0);
	assert_id_hex(&id, MILLION_A_HEX);
	assert_int_equal(arca_sha256(&id, buf, len, &err), 0);
	assert_id_hex(&id, MILLION_A_HEX);
	arca_sha256_free(c);
	free(buf);
}

/* Small deterministic PRNG for split points (xorshift64). */
static uint64_t next_rand(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

static void test_hash__stream_matches_oneshot(void **state)
{
	size_t len = 3 * 1024 * 1024 + 17;
	arca_error err = ARCA_ERROR_INIT;
	unsigned char *buf = malloc(len);
	arca_sha256_ctx *c = NULL;
	uint64_t s = 0x243f6a8885a308d3ULL;
	arca_id want, got;

	(void)state;
	assert_non_null(buf);
	tu_fill_random(buf, len, 1);
	assert_int_equal(arca_sha256_new(&c, &err), 0);
	for (int round = 0; round < 20; round++) {
		/* Vary the length too, so partial blocks get exercised. */
		size_t n = len - (size_t)(next_rand(&s) % 4096), off = 0;
		size_t maxpiece = (size_t)1 << (round % 20 + 1);

		assert_int_equal(arca_sha256(&want, buf, n, &err), 0);
		while (off < n) {
			size_t k = (size_t)(next_rand(&s) % maxpiece);

			if (k > n - off)
				k = n - off;
			assert_int_equal(arca_sha256_update(c, buf + off, k,
				&err), 0);
			off += k;
		}
		assert_int_equal(arca_sha256_final(c, &got, &err), 0);
		assert_int_equal(arca_id_cmp(&want, &got), 0);
	}
	arca_sha256_free(c);
	free(buf);
}

/* final() resets: unfinished input never leaks into the next digest. */
static void test_hash__final_resets(void **state)
{
	arca_error err = ARCA_ERROR_INIT;
	arca_sha256_ctx *c = NULL;
	arca_id id;

	(void)state;
	assert_int_equal(arca_sha256_new(&c, &err), 0);
	assert_int_equal(arca_sha256_update(c, "xyz", 3, &err), 0);
	assert_int_equal(arca_sha256_final(c, &id, &err), 0);
	assert_int_equal(arca_sha256_final(c, &id, &err), 0);
	assert_id_hex(&id, EMPTY_HEX);
	assert_int_equal(arca_sha256_update(c, "ab", 2, &err), 0);
	assert_int_equal(arca_sha256_update(c, "c", 1, &err), 0);
	assert_int_equal(arca_sha256_final(c, &id, &err), 0);
	assert_id_hex(&id, ABC_HEX);
	arca_sha256_free(c);
	arca_sha256_free(NULL);
}

static void test_hash__id_round_trip(void **state)
{
	char hex[ARCA_ID_HEXSZ + 1], str[ARCA_ID_STRSZ];
	arca_id id, back;

	(void)state;
	assert_int_equal(arca_sha256(&id, "abc", 3, NULL), 0);
	arca_id_hex(hex, &id);
	assert_string_equal(hex, ABC_HEX);
	arca_id_str(str, &id);
	assert_string_equal(str, "sha256:" ABC_HEX);
	assert_int_equal(strlen(str) + 1, ARCA_ID_STRSZ);

	memset(&back, 0, sizeof(back));
	assert_int_equal(arca_id_parse(&back, hex), 0);
	assert_int_equal(arca_id_cmp(&id, &back), 0);
	memset(&back, 0, sizeof(back));
	assert_int_equal(arca_id_parse(&back, str), 0);
	assert_int_equal(arca_id_cmp(&id, &back), 0);
	assert_false(arca_id_is_zero(&back));

	/* Every byte value survives the round trip. */
	for (int i = 0; i < ARCA_ID_RAWSZ; i++)
		id.raw[i] = (unsigned char)(i * 8 + 7);
	id.raw[0] = 0x00;
	id.raw[1] = 0xff;
	arca_id_str(str, &id);
	assert_int_equal(arca_id_parse(&back, str), 0);
	assert_memory_equal(id.raw, back.raw, ARCA_ID_RAWSZ);
}

static void test_hash__id_parse_upper(void **state)
{
	char upper[ARCA_ID_STRSZ];
	arca_id want, got;

	(void)state;
	assert_int_equal(arca_id_parse(&want, ABC_HEX), 0);
	snprintf(upper, sizeof(upper), "%s", ABC_HEX);
	for (char *p = upper; *p; p++)
		if (*p >= 'a' && *p <= 'f')
			*p = (char)(*p - 'a' + 'A');
	assert_int_equal(arca_id_parse(&got, upper), 0);
	assert_int_equal(arca_id_cmp(&want, &got), 0);
	snprintf(upper, sizeof(upper), "sha256:%s", ABC_HEX);
	for (char *p = upper + 7; *p; p++)
		if (*p >= 'a' && *p <= 'f')
			*p = (char)(*p - 'a' + 'A');
	assert_int_equal(arca_id_parse(&got, upper), 0);
	assert_int_equal(arca_id_cmp(&want, &got), 0);
}

static void assert_parse_fails(const char *s)
{
	arca_id id, before;

	memset(&id, 0x5a, sizeof(id));
	before = id;
	if (arca_id_parse(&id, s) != ARCA_EINVALID)
		fail_msg("arca_id_parse accepted '%s'", s);
	/* The output is untouched on failure. */
	assert_memory_equal(id.raw, before.raw, ARCA_ID_RAWSZ);
}

static void test_hash__id_parse_rejects(void **state)
{
	char s[ARCA_ID_STRSZ + 8];

	(void)state;
	/* Bad length. */
	assert_parse_fails("");
	assert_parse_fails("sha256:");
	assert_parse_fails(ABC_HEX "0");
	assert_parse_fails("sha256:" ABC_HEX "0");
	snprintf(s, sizeof(s), "%s", ABC_HEX);
	s[ARCA_ID_HEXSZ - 1] = '\0';
	assert_parse_fails(s);
	snprintf(s, sizeof(s), "sha256:%s", ABC_HEX);
	s[7 + ARCA_ID_HEXSZ - 1] = '\0';
	assert_parse_fails(s);
	/* Bad hex, at the start, middle and end. */
	const char *bad[] = { "g", "G", " ", ":", "-", "x" };
	const size_t pos[] = { 0, 31, 63 };
	for (size_t b = 0; b < sizeof(bad) / sizeof(*bad); b++)
		for (size_t p = 0; p < 3; p++) {
			snprintf(s, sizeof(s), "%s", ABC_HEX);
			s[pos[p]] = bad[b][0];
			assert_parse_fails(s);
		}
	/* Wrong or mangled prefix. */
	assert_parse_fails("sha512:" ABC_HEX);
	assert_parse_fails("sha256 " ABC_HEX);
	assert_parse_fails(":" ABC_HEX);
	assert_parse_fails("sha256:sha256:" ABC_HEX);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hash__empty),
		cmocka_unit_test(test_hash__abc),
		cmocka_unit_test(test_hash__448_bits),
		cmocka_unit_test(test_hash__million_a),
		cmocka_unit_test(test_hash__stream_matches_oneshot),
		cmocka_unit_test(test_hash__final_resets),
		cmocka_unit_test(test_hash__id_round_trip),
		cmocka_unit_test(test_hash__id_parse_upper),
		cmocka_unit_test(test_hash__id_parse_rejects),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
