/* Internal repository API shared by libarca's modules. */
#ifndef ARCA_REPO_REPO_H
#define ARCA_REPO_REPO_H

#include <pthread.h>
#include <jansson.h>
#include "arca/repo.h"
/* Only repo/ sees the store (store/store.h): the rest goes through here. */
typedef struct arca_store arca_store;
#include "chunk/fastcdc.h"
#include "util/buf.h"
#include "util/idset.h"

struct arca_repo {
	arca_store *store;
	char *url;
	char repo_id[33];
	unsigned format_major, format_minor;
	arca_cdc_params cdc;
	int zstd_level;

	/* Ids known to exist or being written by this handle: spares a
	 * store round trip per chunk and dedups within one run. */
	pthread_mutex_t known_lock;
	arca_idset known;

	/* Our lock object, when held. */
	char *lock_key;
	int lock_exclusive;
	int64_t lock_refreshed; /* seconds since the epoch */
	int64_t lock_since;     /* when it was taken: "time" in the lock */

	/* Signing (sign_hook.c): the key that signs new records, and the
	 * config's require_signatures (format 1.2). */
	struct arca_signer *signer;
	int require_signatures;
};

/* Layout: where each thing lives in a store. See formats/repository.md. */
#define ARCA_KEY_CONFIG "config"
#define ARCA_KEY_OBJECTS "objects/"
#define ARCA_KEY_RECORDS "records/"
#define ARCA_KEY_REFS "refs/"
#define ARCA_KEY_LOCKS "locks/"
#define ARCA_KEY_MAX 256

/* "objects/ab/abcdef..." for id. */
void arca_repo__object_key(char out[ARCA_KEY_MAX], const arca_id *id);

/* Flags of object puts: DEFER for bulk writes, which become durable and
 * visible at arca_repo__flush (the store's own DEFER flag). IF_ABSENT,
 * for arca_repo__object_write of a claimed id: on a remote store, where
 * claim leaves the existence check to the writer, ask the store first
 * and write nothing when the object is there (a no-op on a local store,
 * where claim has asked already). */
#define ARCA_REPO_PUT_DEFER (1u << 1)
#define ARCA_REPO_PUT_IF_ABSENT (1u << 8)

/* Outcome of writing one object. */
typedef struct arca_put_result {
	arca_id id;
	int stored;           /* 1 if this call wrote it, 0 if deduplicated */
	uint64_t stored_size; /* compressed bytes written when stored */
} arca_put_result;

/*
 * Writes content as an object (hash, dedup, zstd with checksum) unless it
 * exists. flags: ARCA_REPO_PUT_DEFER. Thread-safe. cctx is an
 * optional per-thread ZSTD_CCtx (NULL: one is made for the call).
 */
int arca_repo__object_put(arca_repo *r, arca_put_result *res,
	const void *data, size_t len, unsigned flags, void *cctx,
	arca_error *err);

/* Same, with the id already computed by the caller. */
int arca_repo__object_put_id(arca_repo *r, arca_put_result *res,
	const arca_id *id, const void *data, size_t len, unsigned flags,
	void *cctx, arca_error *err);

/*
 * The two halves of a put, for pipelines that hash in one thread and
 * compress in others. claim: 1 if the caller must write id (it is now
 * marked as being written by this handle), 0 if it exists or is being
 * written already. On a remote store (no local directory) claim does not
 * ask the store, a network round trip, but returns 1 for any id new to
 * this handle: the writer threads check, in parallel, with IF_ABSENT.
 * write: encodes into frame (a reusable buffer) and stores it;
 * *stored_size gets the stored bytes. Returns 0 when written, 1 when
 * IF_ABSENT found the object stored already (*stored_size 0).
 */
int arca_repo__object_claim(arca_repo *r, const arca_id *id,
	arca_error *err);
int arca_repo__object_write(arca_repo *r, uint64_t *stored_size,
	const arca_id *id, const void *data, size_t len, unsigned flags,
	void *cctx, arca_buf *frame, arca_error *err);

/* 1 if the object exists (or is being written by this handle), 0 if
 * not, <0 on error. */
int arca_repo__object_exists(arca_repo *r, const arca_id *id,
	arca_error *err);

/*
 * Raw access for checkers (verify, restore) that must see the stored
 * bytes and keys as they are, without going below the repository.
 * frame_get: object id's stored frame (ARCA_ENOTFOUND when missing).
 * key_get: up to max bytes of any key. keys_list: every key under a
 * layout prefix with its stored size, in no particular order.
 */
int arca_repo__frame_get(arca_repo *r, arca_buf *frame, const arca_id *id,
	arca_error *err);
int arca_repo__key_get(arca_repo *r, arca_buf *out, const char *key,
	uint64_t max, arca_error *err);
typedef int (*arca_repo_key_cb)(const char *key, uint64_t size,
	void *payload);
int arca_repo__keys_list(arca_repo *r, const char *prefix,
	arca_repo_key_cb cb, void *payload, arca_error *err);

/* Forgets which ids this handle claimed or saw: after a failed bulk
 * write, claimed objects may never have been written (or flushed), and a
 * retry on the same handle must write them again. */
void arca_repo__forget(arca_repo *r);

/* Makes deferred object writes durable and visible. */
int arca_repo__flush(arca_repo *r, arca_error *err);

/* Encodes content as a zstd frame with content size and checksum. */
int arca_repo__object_encode(arca_buf *out, const void *data, size_t len,
	int level, void *cctx, arca_error *err);
/* Decodes a stored frame into out and checks it against id (NULL: no
 * id check). ARCA_ECORRUPT with a message naming the object. dctx is an
 * optional per-thread ZSTD_DCtx. */
int arca_repo__object_decode(arca_buf *out, const void *frame, size_t len,
	const arca_id *id, void *dctx, arca_error *err);

/* Canonical JSON documents stored as objects. */
int arca_repo__json_put(arca_repo *r, arca_id *out, json_t *doc,
	unsigned flags, arca_error *err);
/* Reads and parses an object; what names it in messages. */
int arca_repo__json_get(arca_repo *r, json_t **out, const arca_id *id,
	const char *what, arca_error *err);

/*
 * Records: an immutable document (already an object) listed under a kind
 * ("snapshot", later "dataset-version", "run", ...). Written after the
 * objects it names and before any ref that points at it.
 */
int arca_repo__record_add(arca_repo *r, const char *kind, const arca_id *id,
	arca_error *err);
/* The same without signing: for copies of records that exist elsewhere
 * already (push, pull), whose signatures are copied with them. */
int arca_repo__record_copy(arca_repo *r, const char *kind,
	const arca_id *id, arca_error *err);
/* flags: ARCA_REPO_PUT_DEFER (visible and durable at arca_repo__flush;
 * only for keys whose content their name decides). */
int arca_repo__record_copy_ex(arca_repo *r, const char *kind,
	const arca_id *id, unsigned flags, arca_error *err);

/*
 * Signing (sign_hook.c, formats/signature.md). sign_hook: called by
 * record_add before the record is written; signs the object when kind
 * is one that is signed and a signer is set (a run record only when its
 * status is terminal), refuses (ARCA_EPOLICY) when the repository
 * requires signatures and there is no signer, else does nothing.
 * sign_object: signs object id as a "kind" (a record kind, or
 * "adapter-package", "adapter-manifest"): the signature object, its
 * signature record, then refs/signatures/<id hex>/<record hex>. Nothing
 * without a signer (ARCA_EPOLICY when signatures are required). *added
 * (may be NULL): 1 when a signature was written, 0 when the signer's
 * key had signed it already.
 */
int arca_repo__sign_hook(arca_repo *r, const char *kind, const arca_id *id,
	arca_error *err);

/*
 * Signatures in a batch: sign_add signs data (the content of object id,
 * as a "kind") and stages the signature object and its record as
 * deferred puts; nothing without a signer (ARCA_EPOLICY when signatures
 * are required), nor when the signer's key has signed id already.
 * sign_commit stages the batch's signature listings and refs and makes
 * everything staged durable and visible with one flush (which renames
 * objects/ before records/ before refs/). Zero
 * a batch before use; after an error the staged puts may become visible
 * with a later flush, unreferenced, or are dropped.
 */
#define ARCA_REPO_SIGS_MAX 8
typedef struct arca_repo_sigs {
	size_t n;
	struct {
		arca_id signed_id, rec;
	} v[ARCA_REPO_SIGS_MAX];
} arca_repo_sigs;
int arca_repo__sign_add(arca_repo *r, arca_repo_sigs *sigs,
	const arca_id *id, const char *kind, const void *data, size_t len,
	arca_error *err);
int arca_repo__sign_commit(arca_repo *r, arca_repo_sigs *sigs,
	arca_error *err);
/*
 * json_put and record_add in one, with fewer durable writes: doc as an
 * object, signed when record_add would sign it, together with the
 * signatures already staged in sigs (may be NULL), then its listing.
 * Refused before anything is written when signatures are required and
 * there is no signer.
 */
int arca_repo__record_put(arca_repo *r, const char *kind, json_t *doc,
	arca_id *out, arca_repo_sigs *sigs, arca_error *err);
int arca_repo__sign_object(arca_repo *r, const arca_id *id,
	const char *kind, arca_error *err);
int arca_repo__sign_object_ex(arca_repo *r, const arca_id *id,
	const char *kind, int *added, arca_error *err);
/* 1 when records of kind are signed (for a run, only terminal ones). */
int arca_repo__signed_kind(const char *kind);
typedef int (*arca_repo_record_cb)(const arca_id *id, void *payload);
int arca_repo__record_list(arca_repo *r, const char *kind,
	arca_repo_record_cb cb, void *payload, arca_error *err);

/* Dataset names: what may follow "datasets/" in a ref (and '@' may not,
 * as it separates a version: NAME@3). */
#define ARCA_DATASET_NAME_RULE "1 to 100 letters, digits, '.', '_' or " \
	"'-', starting with a letter or digit, with no '..' and no '.' at " \
	"the end"
int arca_repo__dataset_name_valid(const char *name);

/* Refs: mutable names ("datasets/churn") pointing at a record. */
int arca_repo__ref_set(arca_repo *r, const char *name, const arca_id *id,
	arca_error *err);
/* flags: as record_copy_ex. */
int arca_repo__ref_set_ex(arca_repo *r, const char *name,
	const arca_id *id, unsigned flags, arca_error *err);
int arca_repo__ref_get(arca_repo *r, arca_id *out, const char *name,
	arca_error *err);
/* Creates ref name only if it does not exist (ARCA_EEXISTS): an atomic
 * claim, e.g. of a dataset version number, among concurrent writers. */
int arca_repo__ref_create(arca_repo *r, const char *name, const arca_id *id,
	arca_error *err);
/* Lists the refs under prefix ("catalog/"): name (without "refs/") and
 * the id it holds; a ref that holds no id is reported with id NULL. */
typedef int (*arca_repo_ref_cb)(const char *name, const arca_id *id,
	void *payload);
int arca_repo__ref_list(arca_repo *r, const char *prefix,
	arca_repo_ref_cb cb, void *payload, arca_error *err);

/* The repository's local directory, or NULL when it is not local. */
const char *arca_repo__local_dir(arca_repo *r);

/*
 * Copies between repositories (remote/ push and pull), in raw.c.
 * frame_put: stores frame as object id's value as it is; the caller has
 * decoded it and checked it against id. flags: ARCA_REPO_PUT_DEFER.
 * config_create: makes url (a local directory is created) hold config,
 * the config document of another repository, unless it holds a config
 * already (ARCA_EEXISTS, nothing written); then open it as usual.
 */
int arca_repo__frame_put(arca_repo *r, const arca_id *id, const void *frame,
	size_t len, unsigned flags, arca_error *err);
int arca_repo__config_create(const char *url, const arca_store_opts *so,
	const void *config, size_t len, arca_error *err);

#endif
