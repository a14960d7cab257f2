/*
 * The store conformance suite (see store_suite.h). Cases use only the
 * dispatch helpers of store.h, never an implementation's internals.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "store/store.h"
#include "testutil.h"
#include "store_suite.h"

typedef struct suite {
	store_suite_factory make;
	store_suite_cleanup cleanup;
	void *ctx;
	arca_store *s;
} suite;

static int suite_setup(void **state)
{
	suite *su = *state;

	su->s = su->make(su->ctx);
	return su->s ? 0 : -1;
}

static int suite_teardown(void **state)
{
	suite *su = *state;

	if (su->s)
		su->cleanup(su->s, su->ctx);
	su->s = NULL;
	return 0;
}

static arca_store *store_of(void **state)
{
	return ((suite *)*state)->s;
}

static void put_ok(arca_store *s, const char *key, const void *data,
	size_t len, unsigned flags)
{
	arca_error err = ARCA_ERROR_INIT;
	int rc = arca_store_put(s, key, data, len, flags, &err);

	if (rc)
		fail_msg("put '%s': %d: %s", key, rc, err.msg);
}

static void put_str(arca_store *s, const char *key, const char *value)
{
	put_ok(s, key, value, strlen(value), 0);
}

/* Gets [off, off+len) of key into b (appending); fails on error. */
static void get_ok(arca_store *s, arca_buf *b, const char *key, uint64_t off,
	uint64_t len)
{
	arca_error err = ARCA_ERROR_INIT;
	int rc = arca_store_get(s, b, key, off, len, &err);

	if (rc)
		fail_msg("get '%s': %d: %s", key, rc, err.msg);
}

static void check_value(arca_store *s, const char *key, const void *data,
	size_t len)
{
	arca_buf b = ARCA_BUF_INIT;
	arca_store_info st = { 0, 0 };
	arca_error err = ARCA_ERROR_INIT;

	get_ok(s, &b, key, 0, UINT64_MAX);
	assert_int_equal(b.len, len);
	if (len)
		assert_memory_equal(b.data, data, len);
	arca_buf_dispose(&b);
	assert_int_equal(arca_store_stat(s, key, &st, &err), 0);
	assert_int_equal(st.size, len);
}

static void check_str(arca_store *s, const char *key, const char *value)
{
	check_value(s, key, value, strlen(value));
}

static void check_missing(arca_store *s, const char *key)
{
	arca_buf b = ARCA_BUF_INIT;
	arca_error err = ARCA_ERROR_INIT;

	assert_int_equal(arca_store_get(s, &b, key, 0, UINT64_MAX, &err),
		ARCA_ENOTFOUND);
	assert_int_equal(err.code, ARCA_ENOTFOUND);
	assert_non_null(strstr(err.msg, key));
	assert_int_equal(b.len, 0);
	arca_error_clear(&err);
	assert_int_equal(arca_store_stat(s, key, NULL, &err), ARCA_ENOTFOUND);
	assert_non_null(strstr(err.msg, key));
	arca_buf_dispose(&b);
}

static void *xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);

	if (!p)
		fail_msg("out of memory");
	return p;
}

static void test_roundtrip(void **state)
{
	static const unsigned char bin[] = { 0, 'a', 0, 0xff, '\n', 0, 0x80 };
	arca_store *s = store_of(state);
	size_t big_len = 5u << 20;
	unsigned char *big = xmalloc(big_len);

	tu_fill_random(big, big_len, 1);
	put_ok(s, "bin", bin, sizeof(bin), 0);
	put_ok(s, "objects/ab/abcdef", big, big_len, 0);
	put_str(s, "d1/d2/d3/d4/leaf", "leaf");
	check_value(s, "bin", bin, sizeof(bin));
	check_value(s, "objects/ab/abcdef", big, big_len);
	check_str(s, "d1/d2/d3/d4/leaf", "leaf");
	free(big);
}

static void test_empty_value(void **state)
{
	arca_store *s = store_of(state);
	arca_buf b = ARCA_BUF_INIT;

	put_ok(s, "empty", "", 0, 0);
	check_value(s, "empty", "", 0);
	arca_buf_puts(&b, "x");
	get_ok(s, &b, "empty", 0, UINT64_MAX);
	assert_int_equal(b.len, 1);
	assert_string_equal(arca_buf_cstr(&b), "x");
	arca_buf_dispose(&b);
}

static void test_overwrite(void **state)
{
	arca_store *s = store_of(state);

	put_str(s, "refs/head", "a rather long first value");
	put_str(s, "refs/head", "second");
	check_str(s, "refs/head", "second");
}

static void test_exclusive_existing(void **state)
{
	arca_store *s = store_of(state);
	arca_error err = ARCA_ERROR_INIT;

	put_ok(s, "locks/a", "old", 3, ARCA_STORE_PUT_EXCLUSIVE);
	assert_int_equal(arca_store_put(s, "locks/a", "new!", 4,
		ARCA_STORE_PUT_EXCLUSIVE, &err), ARCA_EEXISTS);
	assert_int_equal(err.code, ARCA_EEXISTS);
	assert_non_null(strstr(err.msg, "locks/a"));
	check_str(s, "locks/a", "old");
}

/* get(off, len) appends exactly data[off, min(off+len, size)). */
static void check_range(arca_store *s, const unsigned char *data,
	uint64_t off, uint64_t len, size_t want)
{
	arca_buf b = ARCA_BUF_INIT;

	arca_buf_puts(&b, "pre");
	get_ok(s, &b, "r", off, len);
	assert_int_equal(b.len, 3 + want);
	assert_memory_equal(b.data, "pre", 3);
	if (want)
		assert_memory_equal(b.data + 3, data + off, want);
	arca_buf_dispose(&b);
}

static void test_get_range(void **state)
{
	arca_store *s = store_of(state);
	unsigned char data[1000];

	tu_fill_random(data, sizeof(data), 2);
	put_ok(s, "r", data, sizeof(data), 0);
	check_range(s, data, 100, 200, 200);
	check_range(s, data, 0, 1, 1);
	check_range(s, data, 900, UINT64_MAX, 100);
	check_range(s, data, 990, 100, 10);
	check_range(s, data, 999, UINT64_MAX, 1);
	check_range(s, data, 0, 0, 0);
	check_range(s, data, 1000, 10, 0);
	check_range(s, data, 5000, UINT64_MAX, 0);
}

static void test_stat_size(void **state)
{
	static const size_t sizes[] = { 0, 1, 4095, 4097, 100000 };
	arca_store *s = store_of(state);
	arca_error err = ARCA_ERROR_INIT;
	unsigned char *data = xmalloc(100000);
	arca_store_info st;
	char key[32];

	tu_fill_random(data, 100000, 3);
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		snprintf(key, sizeof(key), "sizes/%zu", sizes[i]);
		put_ok(s, key, data, sizes[i], 0);
		memset(&st, 0, sizeof(st));
		assert_int_equal(arca_store_stat(s, key, &st, &err), 0);
		assert_int_equal(st.size, sizes[i]);
		/* after 2017-07-14, as any write made by this test is */
		assert_true(st.mtime_ns > 1500000000LL * 1000000000LL);
		assert_int_equal(arca_store_stat(s, key, NULL, &err), 0);
	}
	free(data);
}

static void test_missing(void **state)
{
	arca_store *s = store_of(state);
	arca_error err = ARCA_ERROR_INIT;

	check_missing(s, "nope");
	check_missing(s, "no/such/key");
	assert_int_equal(arca_store_del(s, "no/such/key", &err),
		ARCA_ENOTFOUND);
	assert_non_null(strstr(err.msg, "no/such/key"));
	/* A "directory" is not a key. */
	put_str(s, "dir/k", "v");
	check_missing(s, "dir");
	assert_int_equal(arca_store_del(s, "dir", &err), ARCA_ENOTFOUND);
	/* Nor is a key a directory. */
	check_missing(s, "dir/k/x");
	check_str(s, "dir/k", "v");
}

static void test_del(void **state)
{
	arca_store *s = store_of(state);
	arca_error err = ARCA_ERROR_INIT;

	put_str(s, "snap/a", "a");
	put_str(s, "snap/b", "b");
	assert_int_equal(arca_store_del(s, "snap/a", &err), 0);
	check_missing(s, "snap/a");
	assert_int_equal(arca_store_del(s, "snap/a", &err), ARCA_ENOTFOUND);
	check_str(s, "snap/b", "b");
	put_str(s, "snap/a", "again");
	check_str(s, "snap/a", "again");
}

/* Collects listed keys; checks each reported size against the key's
 * length (the value of every listed key is the key itself). */
typedef struct keyset {
	char **keys;
	size_t n, cap;
	size_t bad_sizes;
	size_t stop_after; /* 0: never stop */
	int stop_with;
} keyset;

static int collect(const char *key, const arca_store_info *st, void *payload)
{
	keyset *ks = payload;

	if (ks->n == ks->cap) {
		ks->cap = ks->cap * 2 + 64;
		ks->keys = realloc(ks->keys, ks->cap * sizeof(char *));
		if (!ks->keys)
			return -100;
	}
	ks->keys[ks->n++] = strdup(key);
	if (!st || st->size != strlen(key))
		ks->bad_sizes++;
	if (ks->stop_after && ks->n == ks->stop_after)
		return ks->stop_with;
	return 0;
}

static void keyset_free(keyset *ks)
{
	for (size_t i = 0; i < ks->n; i++)
		free(ks->keys[i]);
	free(ks->keys);
	memset(ks, 0, sizeof(*ks));
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Lists prefix and checks the result is exactly the keys of all (sorted)
 * that start with prefix. */
static void check_listing(arca_store *s, const char *prefix, char **all,
	size_t nall)
{
	arca_error err = ARCA_ERROR_INIT;
	keyset ks = { 0 };
	size_t i, j = 0, plen = strlen(prefix);
	int rc;

	rc = arca_store_list(s, prefix, collect, &ks, &err);
	if (rc)
		fail_msg("list '%s': %d: %s", prefix, rc, err.msg);
	assert_int_equal(ks.bad_sizes, 0);
	if (ks.n)
		qsort(ks.keys, ks.n, sizeof(char *), cmp_str);
	for (i = 0; i < nall; i++) {
		if (strncmp(all[i], prefix, plen))
			continue;
		if (j >= ks.n)
			fail_msg("list '%s': '%s' missing", prefix, all[i]);
		assert_string_equal(ks.keys[j], all[i]);
		j++;
	}
	if (j != ks.n)
		fail_msg("list '%s': unexpected key '%s'", prefix, ks.keys[j]);
	keyset_free(&ks);
}

#define LIST_KEYS 1500

static void test_list_prefix(void **state)
{
	static const char *siblings[] = { "objectsX/aa/k", "objects-sibling",
		"objects.d/x", "other/objects/y", "config" };
	size_t nsib = sizeof(siblings) / sizeof(siblings[0]);
	arca_store *s = store_of(state);
	char **all = xmalloc((LIST_KEYS + nsib) * sizeof(char *));
	size_t i, n = 0;
	char key[64];

	for (i = 0; i < LIST_KEYS; i++) {
		snprintf(key, sizeof(key), i % 7 ? "objects/%02zx/%08zx" :
			"objects/%02zx/sub/%08zx", i % 256, i * 2654435761u);
		all[n++] = strdup(key);
	}
	for (i = 0; i < nsib; i++)
		all[n++] = strdup(siblings[i]);
	for (i = 0; i < n; i++)
		put_str(s, all[i], all[i]);
	qsort(all, n, sizeof(char *), cmp_str);
	check_listing(s, "objects/", all, n);
	check_listing(s, "objects/a", all, n);
	check_listing(s, "objects/1f/", all, n);
	check_listing(s, "objects/1f/sub/", all, n);
	check_listing(s, "objects", all, n);
	check_listing(s, "", all, n);
	check_listing(s, "conf", all, n);
	check_listing(s, "nothing/here/", all, n);
	check_listing(s, "nothing", all, n);
	for (i = 0; i < n; i++)
		free(all[i]);
	free(all);
}

static void test_list_stop(void **state)
{
	arca_store *s = store_of(state);
	arca_error err = ARCA_ERROR_INIT;
	keyset ks = { 0 };
	char key[32];

	for (int i = 0; i < 10; i++) {
		snprintf(key, sizeof(key), "stop/%d/k", i);
		put_str(s, key, key);
	}
	ks.stop_after = 3;
	ks.stop_with = 42;
	assert_int_equal(arca_store_list(s, "stop/", collect, &ks, &err), 42);
	assert_int_equal(ks.n, 3);
	keyset_free(&ks);
	ks.stop_after = 1;
	ks.stop_with = -2;
	assert_int_equal(arca_store_list(s, "", collect, &ks, &err), -2);
	assert_int_equal(ks.n, 1);
	keyset_free(&ks);
}

static void defer_key(char *key, size_t size, int i)
{
	snprintf(key, size, "objects/%02x/%064x", (unsigned)(i * 7) % 256,
		(unsigned)i);
}

static void test_defer_flush(void **state)
{
	arca_store *s = store_of(state);
	arca_error err = ARCA_ERROR_INIT;
	unsigned char data[600];
	char key[128];
	int i;

	assert_int_equal(arca_store_flush(s, &err), 0);
	for (i = 0; i < 300; i++) {
		defer_key(key, sizeof(key), i);
		tu_fill_random(data, sizeof(data), (uint64_t)i);
		put_ok(s, key, data, (size_t)(i * 2), ARCA_STORE_PUT_DEFER);
	}
	if (arca_store_flush(s, &err))
		fail_msg("flush: %s", err.msg);
	for (i = 0; i < 300; i++) {
		defer_key(key, sizeof(key), i);
		tu_fill_random(data, sizeof(data), (uint64_t)i);
		check_value(s, key, data, (size_t)(i * 2));
	}
	assert_int_equal(arca_store_flush(s, &err), 0);
}

static void test_invalid_keys(void **state)
{
	static const char *bad[] = { "", "/abs", "/", "a//b", "a/", "./a",
		"a/./b", "../a", "a/..", "..", ".", ".tmp-x", "a/.tmp-x/b",
		"a/.tmp-" };
	arca_store *s = store_of(state);
	arca_error err = ARCA_ERROR_INIT;
	arca_buf b = ARCA_BUF_INIT;
	keyset ks = { 0 };

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		const char *k = bad[i];

		assert_int_equal(arca_store_put(s, k, "x", 1, 0, &err),
			ARCA_EINVALID);
		assert_int_equal(err.code, ARCA_EINVALID);
		assert_int_equal(arca_store_put(s, k, "x", 1,
			ARCA_STORE_PUT_DEFER, &err), ARCA_EINVALID);
		assert_int_equal(arca_store_get(s, &b, k, 0, UINT64_MAX, &err),
			ARCA_EINVALID);
		assert_int_equal(arca_store_stat(s, k, NULL, &err),
			ARCA_EINVALID);
		assert_int_equal(arca_store_del(s, k, &err), ARCA_EINVALID);
	}
	assert_int_equal(arca_store_list(s, "../", collect, &ks, &err),
		ARCA_EINVALID);
	assert_int_equal(arca_store_list(s, "/x", collect, &ks, &err),
		ARCA_EINVALID);
	assert_int_equal(arca_store_list(s, "a//b", collect, &ks, &err),
		ARCA_EINVALID);
	assert_int_equal(arca_store_flush(s, &err), 0);
	assert_int_equal(arca_store_list(s, "", collect, &ks, &err), 0);
	assert_int_equal(ks.n, 0);
	assert_int_equal(b.len, 0);
	keyset_free(&ks);
	arca_buf_dispose(&b);
}

#define THREADS 8
#define PER_THREAD 200

typedef struct worker {
	arca_store *s;
	pthread_barrier_t *start;
	int id;
	int failures;
	int rc; /* exclusive race: this thread's put result */
	/* the first failure */
	const char *what;
	char key[64];
	char msg[ARCA_ERROR_MSG_SIZE];
} worker;

static void worker_fail(worker *w, const char *what, const char *key,
	const arca_error *err)
{
	if (w->failures++)
		return;
	w->what = what;
	snprintf(w->key, sizeof(w->key), "%s", key);
	snprintf(w->msg, sizeof(w->msg), "%s",
		err ? err->msg : "wrong content");
}

static size_t worker_value(unsigned char *buf, int id, int j)
{
	size_t len = 100 + (size_t)(j * 37 % 3000);

	tu_fill_random(buf, len, (uint64_t)(id * 1000 + j));
	return len;
}

static void shared_value(unsigned char *buf)
{
	tu_fill_random(buf, 4096, 777);
}

static void *put_worker(void *arg)
{
	worker *w = arg;
	unsigned char data[4096], shared[4096];
	arca_buf b = ARCA_BUF_INIT;
	arca_error err;
	char key[64];
	size_t len;

	shared_value(shared);
	pthread_barrier_wait(w->start);
	for (int j = 0; j < PER_THREAD; j++) {
		snprintf(key, sizeof(key), "c/t%d/%02x/k%03d", w->id, j % 16,
			j);
		len = worker_value(data, w->id, j);
		if (arca_store_put(w->s, key, data, len, 0, &err))
			worker_fail(w, "put", key, &err);
		arca_buf_clear(&b);
		if (arca_store_get(w->s, &b, key, 0, UINT64_MAX, &err))
			worker_fail(w, "get", key, &err);
		else if (b.len != len || memcmp(b.data, data, len))
			worker_fail(w, "get", key, NULL);
		if (j % 10 == 0 && arca_store_put(w->s, "c/shared", shared,
				sizeof(shared), 0, &err))
			worker_fail(w, "put", "c/shared", &err);
		if (j % 10 == 5 && arca_store_stat(w->s, "c/shared", NULL,
				&err))
			worker_fail(w, "stat", "c/shared", &err);
	}
	arca_buf_dispose(&b);
	return NULL;
}

/* Runs fn on THREADS workers started together; fails on any failure. */
static void run_workers(arca_store *s, void *(*fn)(void *), worker *w)
{
	pthread_barrier_t start;
	pthread_t tid[THREADS];
	int i;

	pthread_barrier_init(&start, NULL, THREADS);
	for (i = 0; i < THREADS; i++) {
		memset(&w[i], 0, sizeof(w[i]));
		w[i].s = s;
		w[i].start = &start;
		w[i].id = i;
		if (pthread_create(&tid[i], NULL, fn, &w[i]))
			fail_msg("pthread_create");
	}
	for (i = 0; i < THREADS; i++)
		pthread_join(tid[i], NULL);
	pthread_barrier_destroy(&start);
	for (i = 0; i < THREADS; i++)
		if (w[i].failures)
			fail_msg("thread %d: %d failures, first: %s '%s': %s",
				i, w[i].failures, w[i].what, w[i].key,
				w[i].msg);
}

static void test_concurrent_put(void **state)
{
	arca_store *s = store_of(state);
	unsigned char data[4096];
	worker w[THREADS];
	char key[64];
	size_t len;

	run_workers(s, put_worker, w);
	for (int i = 0; i < THREADS; i++) {
		for (int j = 0; j < PER_THREAD; j++) {
			snprintf(key, sizeof(key), "c/t%d/%02x/k%03d", i,
				j % 16, j);
			len = worker_value(data, i, j);
			check_value(s, key, data, len);
		}
	}
	shared_value(data);
	check_value(s, "c/shared", data, sizeof(data));
}

static void *defer_worker(void *arg)
{
	worker *w = arg;
	unsigned char data[4096];
	arca_error err;
	char key[64];
	size_t len;

	pthread_barrier_wait(w->start);
	for (int j = 0; j < PER_THREAD; j++) {
		snprintf(key, sizeof(key), "d/%02x/t%dk%03d", j % 16, w->id, j);
		len = worker_value(data, w->id, j);
		if (arca_store_put(w->s, key, data, len, ARCA_STORE_PUT_DEFER,
				&err))
			worker_fail(w, "put", key, &err);
	}
	return NULL;
}

/* Deferred puts from several threads, one flush for all of them. */
static void test_concurrent_defer(void **state)
{
	arca_store *s = store_of(state);
	arca_error err = ARCA_ERROR_INIT;
	unsigned char data[4096];
	worker w[THREADS];
	char key[64];
	size_t len;

	run_workers(s, defer_worker, w);
	if (arca_store_flush(s, &err))
		fail_msg("flush: %s", err.msg);
	for (int i = 0; i < THREADS; i++) {
		for (int j = 0; j < PER_THREAD; j++) {
			snprintf(key, sizeof(key), "d/%02x/t%dk%03d", j % 16, i,
				j);
			len = worker_value(data, i, j);
			check_value(s, key, data, len);
		}
	}
}

static void *exclusive_worker(void *arg)
{
	worker *w = arg;
	arca_error err = ARCA_ERROR_INIT;
	char value[32];

	snprintf(value, sizeof(value), "owner %d", w->id);
	pthread_barrier_wait(w->start);
	w->rc = arca_store_put(w->s, "locks/exclusive", value, strlen(value),
		ARCA_STORE_PUT_EXCLUSIVE, &err);
	if (w->rc && w->rc != ARCA_EEXISTS)
		worker_fail(w, "put", "locks/exclusive", &err);
	return NULL;
}

static void test_concurrent_exclusive(void **state)
{
	arca_store *s = store_of(state);
	arca_error err = ARCA_ERROR_INIT;
	worker w[THREADS];
	char value[32];
	int round, i, winner;

	for (round = 0; round < 10; round++) {
		run_workers(s, exclusive_worker, w);
		winner = -1;
		for (i = 0; i < THREADS; i++) {
			if (w[i].rc)
				continue;
			assert_int_equal(winner, -1);
			winner = i;
		}
		assert_int_not_equal(winner, -1);
		snprintf(value, sizeof(value), "owner %d", winner);
		check_str(s, "locks/exclusive", value);
		assert_int_equal(arca_store_del(s, "locks/exclusive", &err), 0);
	}
}

int store_suite_run(const char *group_name, store_suite_factory make,
	store_suite_cleanup cleanup, void *ctx)
{
	static const struct {
		const char *name;
		CMUnitTestFunction fn;
	} cases[] = {
		{ "roundtrip", test_roundtrip },
		{ "empty_value", test_empty_value },
		{ "overwrite", test_overwrite },
		{ "exclusive_existing", test_exclusive_existing },
		{ "get_range", test_get_range },
		{ "stat_size", test_stat_size },
		{ "missing", test_missing },
		{ "del", test_del },
		{ "list_prefix", test_list_prefix },
		{ "list_stop", test_list_stop },
		{ "defer_flush", test_defer_flush },
		{ "invalid_keys", test_invalid_keys },
		{ "concurrent_put", test_concurrent_put },
		{ "concurrent_defer", test_concurrent_defer },
		{ "concurrent_exclusive", test_concurrent_exclusive },
	};
	enum { N = sizeof(cases) / sizeof(cases[0]) };
	suite su = { make, cleanup, ctx, NULL };
	struct CMUnitTest tests[N];
	char names[N][128];

	for (size_t i = 0; i < N; i++) {
		snprintf(names[i], sizeof(names[i]), "%s__%s", group_name,
			cases[i].name);
		tests[i] = (struct CMUnitTest){ names[i], cases[i].fn,
			suite_setup, suite_teardown, &su };
	}
	return cmocka_run_group_tests_name(group_name, tests, NULL, NULL);
}
