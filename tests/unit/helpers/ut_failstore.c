/* See ut_failstore.h. */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include "store/store.h"
#include "testutil.h"
#include "ut_failstore.h"

typedef struct failstore {
	arca_store parent;
	arca_store *inner;
	char *prefix;
	int code;
	unsigned after;
	pthread_mutex_t mu;
	unsigned seen, failed;
} failstore;

static failstore *fs_of(arca_store *s)
{
	return (failstore *)s;
}

static int fs_put(arca_store *s, const char *key, const void *data,
	size_t len, unsigned flags, arca_error *err)
{
	failstore *f = fs_of(s);
	int fail = 0;

	if (!strncmp(key, f->prefix, strlen(f->prefix))) {
		pthread_mutex_lock(&f->mu);
		if (f->seen++ >= f->after) {
			f->failed++;
			fail = 1;
		}
		pthread_mutex_unlock(&f->mu);
	}
	if (fail)
		return arca_error_set(err, f->code,
			"injected failure writing '%s'", key);
	return arca_store_put(f->inner, key, data, len, flags, err);
}

static int fs_get(arca_store *s, arca_buf *out, const char *key,
	uint64_t off, uint64_t len, arca_error *err)
{
	return arca_store_get(fs_of(s)->inner, out, key, off, len, err);
}

static int fs_stat(arca_store *s, const char *key, arca_store_info *st,
	arca_error *err)
{
	return arca_store_stat(fs_of(s)->inner, key, st, err);
}

static int fs_list(arca_store *s, const char *prefix, arca_store_list_cb cb,
	void *payload, arca_error *err)
{
	return arca_store_list(fs_of(s)->inner, prefix, cb, payload, err);
}

static int fs_del(arca_store *s, const char *key, arca_error *err)
{
	return arca_store_del(fs_of(s)->inner, key, err);
}

static int fs_flush(arca_store *s, arca_error *err)
{
	return arca_store_flush(fs_of(s)->inner, err);
}

static const char *fs_local_path(arca_store *s)
{
	arca_store *in = fs_of(s)->inner;

	return in->local_path ? in->local_path(in) : NULL;
}

static void fs_release(failstore *f)
{
	pthread_mutex_destroy(&f->mu);
	free(f->prefix);
	free(f);
}

static void fs_free(arca_store *s)
{
	failstore *f = fs_of(s);

	arca_store_free(f->inner);
	fs_release(f);
}

void ut_failstore_wrap(arca_repo *r, const char *prefix, int code,
	unsigned after)
{
	failstore *f = calloc(1, sizeof(*f));

	if (!f || !(f->prefix = strdup(prefix)))
		fail_msg("out of memory");
	f->inner = r->store;
	f->code = code;
	f->after = after;
	pthread_mutex_init(&f->mu, NULL);
	f->parent = *r->store;
	f->parent.put = fs_put;
	f->parent.get = fs_get;
	f->parent.stat = fs_stat;
	f->parent.list = fs_list;
	f->parent.del = fs_del;
	f->parent.flush = fs_flush;
	f->parent.local_path = fs_local_path;
	f->parent.free = fs_free;
	r->store = &f->parent;
}

void ut_failstore_unwrap(arca_repo *r)
{
	failstore *f = fs_of(r->store);

	if (r->store->free != fs_free)
		fail_msg("store is not wrapped");
	r->store = f->inner;
	fs_release(f);
}

unsigned ut_failstore_seen(arca_repo *r)
{
	failstore *f = fs_of(r->store);
	unsigned n;

	pthread_mutex_lock(&f->mu);
	n = f->seen;
	pthread_mutex_unlock(&f->mu);
	return n;
}

unsigned ut_failstore_failed(arca_repo *r)
{
	failstore *f = fs_of(r->store);
	unsigned n;

	pthread_mutex_lock(&f->mu);
	n = f->failed;
	pthread_mutex_unlock(&f->mu);
	return n;
}
