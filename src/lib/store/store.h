/*
 * The store vtable: a small, byte-oriented key/value interface that only
 * translates to one kind of storage. Keys are '/'-separated relative paths
 * chosen by repo/ ("objects/ab/abcd...", "records/snapshot/...",
 * "refs/...", "locks/...", "config"); stores never interpret them.
 * Hashing, compression, layout and locking live above this line, once.
 *
 * Every operation returns 0 or a negative ARCA_E code and fills err.
 * Implementations must be safe to call from several threads at once.
 * A new store is one file implementing this plus one row in store.c.
 */
#ifndef ARCA_STORE_H
#define ARCA_STORE_H

#include <stdint.h>
#include <stddef.h>
#include "arca/error.h"
#include "arca/repo.h" /* arca_store_opts */
#include "util/buf.h"

typedef struct arca_store arca_store;

typedef struct arca_store_info {
	uint64_t size;
	int64_t mtime_ns; /* last modification, ns since the epoch */
} arca_store_info;

/* put flags */
enum {
	/* Fail with ARCA_EEXISTS if the key exists (atomically where the
	 * store can; lock files use it). */
	ARCA_STORE_PUT_EXCLUSIVE = 1 << 0,
	/*
	 * Durability may be deferred until the next flush(): the key must
	 * not become visible with partial or non-durable content, so a store
	 * may stage the data and publish it only at flush(). Used for bulk
	 * object writes; a record naming such keys is written after flush().
	 * Until then get/stat/list need not see the key (repo/ tracks ids it
	 * has queued). With ARCA_STORE_PUT_EXCLUSIVE, exclusive wins: the put
	 * is atomic and durable at once.
	 */
	ARCA_STORE_PUT_DEFER = 1 << 1
};

/* Called once per key found by list; a nonzero return stops the listing
 * and becomes list's return value. */
typedef int (*arca_store_list_cb)(const char *key, const arca_store_info *st,
	void *payload);

struct arca_store {
	unsigned version; /* ARCA_STORE_VERSION */
	const char *url;  /* canonical location, no credentials */
	/* Milliseconds to wait between creating a lock and re-checking: 0
	 * for strongly consistent stores. */
	unsigned lock_settle_ms;

	/* Writes the whole value for key atomically (no reader ever sees a
	 * partial value). Overwrites unless ARCA_STORE_PUT_EXCLUSIVE. */
	int (*put)(arca_store *s, const char *key, const void *data,
		size_t len, unsigned flags, arca_error *err);
	/* Reads len bytes at off (len UINT64_MAX: to the end) into out
	 * (appended). ARCA_ENOTFOUND if the key does not exist. */
	int (*get)(arca_store *s, arca_buf *out, const char *key,
		uint64_t off, uint64_t len, arca_error *err);
	/* ARCA_ENOTFOUND if the key does not exist; st may be NULL. */
	int (*stat)(arca_store *s, const char *key, arca_store_info *st,
		arca_error *err);
	/* Calls cb for every key starting with prefix (a "dir/" prefix lists
	 * recursively), in no particular order. */
	int (*list)(arca_store *s, const char *prefix, arca_store_list_cb cb,
		void *payload, arca_error *err);
	/* Removes key; ARCA_ENOTFOUND if it did not exist. */
	int (*del)(arca_store *s, const char *key, arca_error *err);
	/* Makes every ARCA_STORE_PUT_DEFER put so far durable and visible.
	 * May be NULL when puts are always durable at once. */
	int (*flush)(arca_store *s, arca_error *err);
	/* Local path of the store's root, or NULL when it has none (used
	 * for caches and diagnostics only, never for data access). */
	const char *(*local_path)(arca_store *s);
	void (*free)(arca_store *s);
};

#define ARCA_STORE_VERSION 1

/*
 * Opens the store a URL names: a plain path or file://PATH (local
 * directory), later s3://BUCKET/PREFIX. create: make the local directory
 * if missing. *out is set only on success; the caller frees it with
 * arca_store_free.
 */
int arca_store_open(arca_store **out, const char *url, int create,
	arca_error *err);
/* Same, with how to reach a remote store (NULL: the environment). */
int arca_store_open_with(arca_store **out, const char *url, int create,
	const arca_store_opts *so, arca_error *err);
void arca_store_free(arca_store *s);

/* The local-directory store (store_local.c). */
int arca_store_local_new(arca_store **out, const char *path, int create,
	arca_error *err);
/* The S3 store (store_s3.c): location "BUCKET[/PREFIX]". */
int arca_store_s3_new(arca_store **out, const char *location, int create,
	arca_error *err);

/*
 * The key rules every store shares: why key[0, len) is not a valid key,
 * or NULL. Relative, at most max bytes, no empty, "." or ".." component,
 * none starting with ".tmp-" (reserved for temp files); with no_ctl, no
 * control characters either.
 */
const char *arca_store_bad_key(const char *key, size_t len, size_t max,
	int no_ctl);

/* Thin dispatch helpers so callers need not touch the vtable. */
int arca_store_put(arca_store *s, const char *key, const void *data,
	size_t len, unsigned flags, arca_error *err);
int arca_store_get(arca_store *s, arca_buf *out, const char *key,
	uint64_t off, uint64_t len, arca_error *err);
int arca_store_stat(arca_store *s, const char *key, arca_store_info *st,
	arca_error *err);
int arca_store_list(arca_store *s, const char *prefix, arca_store_list_cb cb,
	void *payload, arca_error *err);
int arca_store_del(arca_store *s, const char *key, arca_error *err);
int arca_store_flush(arca_store *s, arca_error *err);

#endif
