/*
 * Helpers for snapshot tests: collecting walk entries and warnings,
 * reading a file's content back from its chunks, and writing archives
 * (tar.gz, zip) with libarchive, including entries no real tool makes.
 */
#ifndef ARCA_UT_SNAP_H
#define ARCA_UT_SNAP_H

#include <stddef.h>
#include <stdint.h>
#include "arca/arca.h"

/* One walked entry, copied out of the callback. */
typedef struct ut_ent {
	char *path;
	arca_entry_type type;
	uint32_t mode;
	int64_t mtime_ns;
	uint64_t size;
	size_t nchunks;
	arca_id *chunks;
	arca_id tree;
	char *target;
} ut_ent;

#define UT_ENTS_MAX 128
typedef struct ut_ents {
	ut_ent v[UT_ENTS_MAX];
	size_t n;
	size_t stop_after; /* callback returns 99 after this many; 0: never */
} ut_ents;

/* arca_entry_cb collecting into a ut_ents (payload). */
int ut_ents_cb(const arca_entry *e, void *payload);
/* Walks subpath of snapshot into es (cleared first); fails on error. */
void ut_walk(ut_ents *es, arca_repo *r, const arca_id *snapshot,
	const char *subpath, int recursive);
const ut_ent *ut_ents_find(const ut_ents *es, const char *path);
void ut_ents_clear(ut_ents *es);

/* Reads every chunk of a file entry and checks the result has the
 * entry's size; returns the content (malloc'd, caller frees). */
unsigned char *ut_content(arca_repo *r, const ut_ent *e);
/* Like ut_content, but returns the first error code instead of failing. */
int ut_content_check(arca_repo *r, const ut_ent *e, char *msg, size_t n);

/* Warnings, as "PATH: MESSAGE" lines. */
#define UT_WARNS_MAX 32
typedef struct ut_warns {
	char v[UT_WARNS_MAX][600];
	size_t n;
} ut_warns;
void ut_warn_cb(const char *path, const char *msg, void *payload);
/* Number of warnings containing both a and b (b may be NULL). */
size_t ut_warns_count(const ut_warns *w, const char *a, const char *b);

/* Number of snapshots in r. */
size_t ut_nsnapshots(arca_repo *r);

/* Changes reported by arca_snapshot_diff. */
typedef struct ut_change {
	arca_change ch;
	char path[256];
	int has_old, has_new;
} ut_change;
#define UT_CHANGES_MAX 32
typedef struct ut_changes {
	ut_change v[UT_CHANGES_MAX];
	size_t n;
} ut_changes;
int ut_diff_cb(arca_change ch, const arca_entry *old_e,
	const arca_entry *new_e, void *payload);
/* Fails unless change i is ch at path, with the right entries given. */
void ut_expect_change(const ut_changes *c, size_t i, arca_change ch,
	const char *path);

/* An archive entry to write. */
typedef enum ut_ae_kind { UT_AE_DIR, UT_AE_FILE, UT_AE_LINK, UT_AE_HARD }
	ut_ae_kind;
typedef struct ut_ae {
	ut_ae_kind kind;
	const char *path;
	const void *data;   /* files */
	size_t len;
	const char *target; /* symlinks and hard links */
	unsigned mode;
} ut_ae;
/* Writes entries to path: zip when zip, else gzip-compressed pax tar. */
void ut_write_archive(const char *path, int zip, const ut_ae *v, size_t n);

/*
 * A snapshot-test fixture (cmocka setup/teardown): a fresh repository at
 * dir/repo, an empty source directory dir/src, a stat cache dir/cache,
 * collected warnings and walk entries.
 */
typedef struct ut_sfx {
	char *dir, *repo, *src, *cache;
	arca_repo *r;
	ut_warns warns;
	ut_ents ents;
} ut_sfx;
int ut_sfx_setup(void **state);
int ut_sfx_teardown(void **state);
/* Options: 2 threads, the fixture's cache and warning collector. */
arca_snapshot_opts ut_sfx_opts(ut_sfx *f);
/* arca_snapshot_create that must succeed (o NULL: ut_sfx_opts). */
arca_id ut_sfx_snap(ut_sfx *f, const char *path,
	const arca_snapshot_opts *o, arca_snapshot_stats *st);
/* Files under src: write (then chmod), mkdir -p, remove, mtime. */
void ut_sfx_put(ut_sfx *f, const char *rel, const void *data, size_t len,
	unsigned mode);
void ut_sfx_mkdir(ut_sfx *f, const char *rel, unsigned mode);
void ut_sfx_rm(ut_sfx *f, const char *rel);
int64_t ut_sfx_mtime(ut_sfx *f, const char *rel);

/* A thread that opens repo, takes a shared lock and snapshots src. */
typedef struct ut_writer {
	const char *repo, *src, *cache;
	void *start;        /* pthread_barrier_t * to wait on first */
	int rc;
	char msg[ARCA_ERROR_MSG_SIZE];
	arca_id id;
} ut_writer;
void *ut_writer_main(void *arg);

#endif
