/*
 * The snapshot write pipeline (src/lib/snapshot/pipeline.c): a bounded
 * pool of chunk buffers and worker threads that compress and store
 * objects. Checks what it stores, that memory stays bounded (the producer
 * blocks instead), and that a worker's store error reaches the caller.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "testutil.h"
#include "repo_fixture.h"
#include "ut_failstore.h"
#include "ut_repo.h"
#include "hash/sha256.h"
#include "snapshot/pipeline.h"

#define BUFSIZE (64u << 10)

typedef struct fx {
	char *dir;
	arca_repo *r;
	arca_pipeline *p;
} fx;

static int setup(void **state)
{
	fx *f = calloc(1, sizeof(*f));

	if (!f)
		return -1;
	f->r = tu_repo_new(&f->dir);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	fx *f = *state;

	arca_pipeline_free(f->p);
	arca_repo_free(f->r);
	tu_rmtree(f->dir);
	free(f);
	return 0;
}

static void start(fx *f, int threads)
{
	arca_error err = ARCA_ERROR_INIT;

	if (arca_pipeline_new(&f->p, f->r, threads, BUFSIZE, &err) < 0)
		fail_msg("pipeline: %s", err.msg);
}

/* Object i: deterministic content of 0..BUFSIZE bytes (object 0 is
 * empty, object 1 fills a whole buffer). */
static size_t object(unsigned char *buf, unsigned i)
{
	size_t len = i == 0 ? 0 : i == 1 ? BUFSIZE :
		1 + (size_t)(i * 7919u) % BUFSIZE;

	tu_fill_random(buf, len, 1000 + i);
	return len;
}

/* Claims, fills and submits object i; returns submit's result. */
static int submit(fx *f, unsigned i, arca_id *id, arca_error *err)
{
	unsigned char *buf = arca_pipeline_buffer(f->p);
	size_t len;

	assert_non_null(buf);
	len = object(buf, i);
	assert_int_equal(arca_sha256(id, buf, len, NULL), 0);
	assert_int_equal(arca_repo__object_claim(f->r, id, err), 1);
	return arca_pipeline_submit(f->p, id, buf, len, err);
}

static void check_stored(fx *f, const arca_id *ids, unsigned n)
{
	arca_error err = ARCA_ERROR_INIT;
	unsigned char *want = malloc(BUFSIZE);

	assert_non_null(want);
	assert_int_equal(arca_repo__flush(f->r, &err), 0);
	for (unsigned i = 0; i < n; i++) {
		size_t len = object(want, i);
		ut_read_back(f->r, &ids[i], want, len);
	}
	free(want);
}

static void stores_objects(fx *f, int threads)
{
	enum { N = 150 };
	arca_error err = ARCA_ERROR_INIT;
	arca_pipeline_stats st;
	unsigned char *tmp = malloc(BUFSIZE);
	uint64_t bytes = 0;
	arca_id ids[N];

	assert_non_null(tmp);
	start(f, threads);
	for (unsigned i = 0; i < N; i++) {
		if (submit(f, i, &ids[i], &err) < 0)
			fail_msg("submit %u: %s", i, err.msg);
		bytes += object(tmp, i);
	}
	assert_int_equal(arca_pipeline_wait(f->p, &err), 0);
	arca_pipeline_stats_get(f->p, &st);
	assert_int_equal(st.objects, N);
	assert_int_equal(st.bytes, bytes);
	assert_true(st.stored > 0);
	/* claimed already: a second claim says so */
	assert_int_equal(arca_repo__object_claim(f->r, &ids[5], &err), 0);
	/* waiting again with nothing queued returns at once */
	assert_int_equal(arca_pipeline_wait(f->p, &err), 0);
	check_stored(f, ids, N);
	free(tmp);
}

static void test_pipeline__one_thread(void **state)
{
	stores_objects(*state, 1);
}

static void test_pipeline__four_threads(void **state)
{
	stores_objects(*state, 4);
}

/* Free without wait: the workers drain the queue first. */
static void test_pipeline__free_drains(void **state)
{
	enum { N = 40 };
	fx *f = *state;
	arca_error err = ARCA_ERROR_INIT;
	arca_id ids[N];

	start(f, 3);
	for (unsigned i = 0; i < N; i++)
		assert_int_equal(submit(f, i, &ids[i], &err), 0);
	arca_pipeline_free(f->p);
	f->p = NULL;
	check_stored(f, ids, N);
}

/*
 * The pool's ceiling. pipeline.c sizes it at 4 * threads + 2 since
 * b0c13a6 (it was 2 * threads + 1): a tuning change moves this line, an
 * unbounded pool fails the tests.
 */
#define POOL_MAX(threads) (4 * (threads) + 2)

/* Many submissions never make more than POOL_MAX buffers. */
static void buffers_bounded(fx *f, int threads)
{
	enum { N = 200 };
	arca_error err = ARCA_ERROR_INIT;
	arca_pipeline_stats st;
	unsigned char *seen[N];
	size_t nseen = 0;

	start(f, threads);
	for (unsigned i = 0; i < N; i++) {
		unsigned char *buf = arca_pipeline_buffer(f->p);
		arca_id id;
		size_t j;
		for (j = 0; j < nseen && seen[j] != buf; j++)
			;
		if (j == nseen)
			seen[nseen++] = buf;
		memset(buf, (int)i, BUFSIZE);
		memcpy(buf, &i, sizeof(i)); /* distinct content */
		assert_int_equal(arca_sha256(&id, buf, BUFSIZE, NULL), 0);
		assert_int_equal(arca_repo__object_claim(f->r, &id, &err), 1);
		assert_int_equal(arca_pipeline_submit(f->p, &id, buf, BUFSIZE,
			&err), 0);
	}
	assert_int_equal(arca_pipeline_wait(f->p, &err), 0);
	arca_pipeline_stats_get(f->p, &st);
	assert_int_equal(st.objects, N);
	if (nseen > (size_t)POOL_MAX(threads))
		fail_msg("%zu distinct buffers for %d threads", nseen, threads);
}

static void test_pipeline__buffers_bounded_one_thread(void **state)
{
	buffers_bounded(*state, 1);
}

static void test_pipeline__buffers_bounded_four_threads(void **state)
{
	buffers_bounded(*state, 4);
}

/* Takes buffers (never giving any back) until it has limit of them. */
typedef struct taker {
	arca_pipeline *p;
	pthread_mutex_t mu;
	unsigned char *held[64];
	size_t n, limit;
} taker;

static void *take_buffers(void *arg)
{
	taker *t = arg;

	for (;;) {
		unsigned char *b;
		pthread_mutex_lock(&t->mu);
		if (t->n >= t->limit) {
			pthread_mutex_unlock(&t->mu);
			return NULL;
		}
		pthread_mutex_unlock(&t->mu);
		b = arca_pipeline_buffer(t->p);
		pthread_mutex_lock(&t->mu);
		t->held[t->n++] = b;
		pthread_mutex_unlock(&t->mu);
	}
}

static size_t taken(taker *t)
{
	size_t n;

	pthread_mutex_lock(&t->mu);
	n = t->n;
	pthread_mutex_unlock(&t->mu);
	return n;
}

/* How many buffers the taker holds once it has been stuck for 300 ms. */
static size_t wait_stuck(taker *t)
{
	struct timespec tick = { 0, 50 * 1000000 };
	size_t last = (size_t)-1, n;
	int still = 0;

	for (int i = 0; i < 400 && still < 6; i++) {
		nanosleep(&tick, NULL);
		n = taken(t);
		still = n == last ? still + 1 : 0;
		last = n;
	}
	if (still < 6)
		fail_msg("the taker never blocked (%zu buffers)", last);
	return last;
}

/* With every buffer taken, arca_pipeline_buffer blocks (it does not
 * allocate more) until one is given back, and hands out that one. */
static void buffer_blocks(fx *f, int threads)
{
	taker t = { .mu = PTHREAD_MUTEX_INITIALIZER, .limit = 64 };
	pthread_t tid;
	size_t k;

	start(f, threads);
	t.p = f->p;
	assert_int_equal(pthread_create(&tid, NULL, take_buffers, &t), 0);
	k = wait_stuck(&t);
	if (k < (size_t)threads + 1 || k > (size_t)POOL_MAX(threads))
		fail_msg("blocked after %zu buffers with %d threads", k,
			threads);
	pthread_mutex_lock(&t.mu);
	t.limit = k + 1; /* the taker stops after one more */
	pthread_mutex_unlock(&t.mu);
	arca_pipeline_release(f->p, t.held[0]);
	pthread_join(tid, NULL);
	assert_int_equal(t.n, k + 1);
	assert_ptr_equal(t.held[k], t.held[0]);
	for (size_t i = 1; i <= k; i++)
		arca_pipeline_release(f->p, t.held[i]);
	pthread_mutex_destroy(&t.mu);
}

static void test_pipeline__buffer_blocks_one_thread(void **state)
{
	buffer_blocks(*state, 1);
}

static void test_pipeline__buffer_blocks_three_threads(void **state)
{
	buffer_blocks(*state, 3);
}

/* A store write fails in a worker: wait and later submits report it. */
static void worker_error(fx *f, int threads)
{
	enum { N = 30, OK = 5 };
	arca_error err = ARCA_ERROR_INIT;
	arca_pipeline_stats st;
	unsigned char *buf;
	unsigned i;
	arca_id id;
	int rc = 0;

	ut_failstore_wrap(f->r, "objects/", ARCA_EREMOTE, OK);
	start(f, threads);
	for (i = 0; i < N && rc == 0; i++)
		rc = submit(f, i, &id, &err);
	if (rc) { /* a worker failed already: submit said so */
		assert_int_equal(rc, ARCA_EREMOTE);
		assert_non_null(strstr(err.msg, "injected"));
	}
	arca_error_clear(&err);
	assert_int_equal(arca_pipeline_wait(f->p, &err), ARCA_EREMOTE);
	assert_int_equal(err.code, ARCA_EREMOTE);
	assert_non_null(strstr(err.msg, "injected failure writing "
		"'objects/"));
	arca_pipeline_stats_get(f->p, &st);
	assert_int_equal(st.objects, OK);
	assert_true(ut_failstore_failed(f->r) >= 1);
	/* later submits fail at once and give the buffer back */
	for (unsigned k = 0; k < 10; k++) {
		buf = arca_pipeline_buffer(f->p);
		tu_fill_random(buf, 100, 5000 + k);
		assert_int_equal(arca_sha256(&id, buf, 100, NULL), 0);
		assert_int_equal(arca_pipeline_submit(f->p, &id, buf, 100,
			&err), ARCA_EREMOTE);
	}
	assert_int_equal(arca_pipeline_wait(f->p, &err), ARCA_EREMOTE);
	arca_pipeline_free(f->p);
	f->p = NULL;
	ut_failstore_unwrap(f->r);
}

static void test_pipeline__worker_error_one_thread(void **state)
{
	worker_error(*state, 1);
}

static void test_pipeline__worker_error_four_threads(void **state)
{
	worker_error(*state, 4);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_pipeline__one_thread),
		T(test_pipeline__four_threads),
		T(test_pipeline__free_drains),
		T(test_pipeline__buffers_bounded_one_thread),
		T(test_pipeline__buffers_bounded_four_threads),
		T(test_pipeline__buffer_blocks_one_thread),
		T(test_pipeline__buffer_blocks_three_threads),
		T(test_pipeline__worker_error_one_thread),
		T(test_pipeline__worker_error_four_threads),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
