/* arca — the repository: open, init, lock, objects, records and refs. */
#ifndef ARCA_REPO_H
#define ARCA_REPO_H

#include <stddef.h>
#include <stdint.h>
#include "arca/error.h"
#include "arca/id.h"

/* Repository format this arca writes, and the newest major it reads. */
#define ARCA_FORMAT_MAJOR 1
#define ARCA_FORMAT_MINOR 2

typedef struct arca_repo arca_repo;

/* How to reach a remote store, beyond its URL (s3://BUCKET/PREFIX).
 * NULL members and -1 fall back to the environment (AWS_ENDPOINT_URL,
 * AWS_REGION, ARCA_S3_PATH_STYLE, ...). Credentials are never here: they
 * come from the AWS variables and files only. Local stores ignore it. */
typedef struct arca_store_opts {
	const char *endpoint;   /* "https://host[:port]" */
	const char *region;
	int path_style;         /* 1 path-style, 0 virtual-hosted, -1 default */
} arca_store_opts;

#define ARCA_STORE_OPTS_INIT { NULL, NULL, -1 }

typedef struct arca_repo_init_opts {
	int zstd_level;         /* 1..19; 0 = default (3) */
	uint32_t chunk_min;     /* 0 = default (256 KiB) */
	uint32_t chunk_avg;     /* 0 = default (1 MiB) */
	uint32_t chunk_max;     /* 0 = default (4 MiB) */
	const arca_store_opts *store; /* NULL: from the environment */
	int require_signatures; /* refuse unsigned records (arca/sign.h) */
} arca_repo_init_opts;

#define ARCA_REPO_INIT_OPTS_INIT { 0, 0, 0, 0, NULL, 0 }

/*
 * Creates a repository at url (a directory path or file://PATH) and
 * opens it. ARCA_EEXISTS if one is already there. *out is set only on
 * success; free it with arca_repo_free.
 */
int arca_repo_init(arca_repo **out, const char *url,
	const arca_repo_init_opts *opts, arca_error *err);

/*
 * Opens an existing repository. ARCA_ENOTFOUND if there is none at url,
 * ARCA_EVERSION if its format major version is newer than this arca's.
 */
int arca_repo_open(arca_repo **out, const char *url, arca_error *err);
/* Same, reaching a remote store with so (NULL: the environment). */
int arca_repo_open_with(arca_repo **out, const char *url,
	const arca_store_opts *so, arca_error *err);

/* Releases the lock (if held) and frees r. NULL is a no-op. */
void arca_repo_free(arca_repo *r);

const char *arca_repo_url(const arca_repo *r);
/* The repository's random id (32 hex digits). Borrowed. */
const char *arca_repo_id(const arca_repo *r);
int arca_repo_zstd_level(const arca_repo *r);

/*
 * Locks the repository for this handle: shared (writers and readers) or
 * exclusive (garbage collection). Stale locks (expired, or whose process
 * is gone on this host) are removed. ARCA_ELOCKED names the holder of a
 * conflicting lock. The lock is released by arca_repo_unlock or free.
 */
int arca_repo_lock(arca_repo *r, int exclusive, arca_error *err);
/* Renews the lock's expiry; long operations call it now and then
 * (cheap when called often: it writes at most once a minute). */
int arca_repo_lock_refresh(arca_repo *r, arca_error *err);
int arca_repo_unlock(arca_repo *r, arca_error *err);

/* Reads an object, decompresses it and checks it against its id:
 * ARCA_ENOTFOUND, or ARCA_ECORRUPT naming the object. On success *data
 * (NUL-terminated, *len bytes) belongs to the caller, who free()s it. */
int arca_repo_object_read(arca_repo *r, unsigned char **data, size_t *len,
	const arca_id *id, arca_error *err);

/*
 * Resolves an object id given in full ("sha256:<hex>" or bare hex) or as
 * a unique prefix of at least 4 hex digits. ARCA_ENOTFOUND or
 * ARCA_EAMBIGUOUS.
 */
int arca_repo_object_resolve(arca_id *out, arca_repo *r, const char *spec,
	arca_error *err);

#endif
