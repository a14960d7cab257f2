/* arca — snapshots: record a directory, file or archive; list; walk; diff. */
#ifndef ARCA_SNAPSHOT_H
#define ARCA_SNAPSHOT_H

#include <stddef.h>
#include <stdint.h>
#include "arca/error.h"
#include "arca/id.h"
#include "arca/repo.h"

typedef enum arca_entry_type {
	ARCA_ENTRY_FILE = 1,
	ARCA_ENTRY_DIR = 2,
	ARCA_ENTRY_SYMLINK = 3
} arca_entry_type;

/* One entry of a snapshot's tree, as callbacks see it. Borrowed: valid
 * during the callback only. */
typedef struct arca_entry {
	const char *path;     /* '/'-joined from the snapshot root */
	arca_entry_type type;
	uint32_t mode;        /* permission bits (07777) */
	int64_t mtime_ns;
	uint64_t size;        /* files: content bytes */
	size_t nchunks;       /* files: number of content objects */
	const arca_id *chunks;
	const arca_id *tree;  /* directories: the tree object */
	const char *target;   /* symlinks: the link target */
} arca_entry;

/* Warnings (a skipped special file, an unsafe archive name). */
typedef void (*arca_warn_cb)(const char *path, const char *msg,
	void *payload);
/* Progress: bytes and files done so far. Called from the calling thread. */
typedef void (*arca_progress_cb)(uint64_t files, uint64_t bytes,
	void *payload);

typedef enum arca_source_kind {
	ARCA_SOURCE_AUTO = 0,  /* directory, file, or archive by its name */
	ARCA_SOURCE_PLAIN = 1  /* never read a file as an archive */
} arca_source_kind;

/* 1 if path names an archive that snapshots read in place (by its
 * suffix: .tar, .tar.gz, .zip, .7z, ...; see docs/cli/snapshot.md). */
int arca_snapshot_is_archive_name(const char *path);

typedef struct arca_snapshot_opts {
	const char *dataset;     /* optional: names the dataset */
	const char *message;     /* optional */
	int skip_unreadable;     /* skip (warn) instead of failing */
	arca_source_kind source; /* ARCA_SOURCE_AUTO */
	int threads;             /* 0: one per CPU */
	const char *cache_dir;   /* stat cache dir; NULL: default */
	arca_warn_cb warn;
	arca_progress_cb progress;
	void *payload;
} arca_snapshot_opts;

#define ARCA_SNAPSHOT_OPTS_INIT { NULL, NULL, 0, ARCA_SOURCE_AUTO, 0, NULL, \
	NULL, NULL, NULL }

typedef struct arca_snapshot_stats {
	uint64_t files, dirs, symlinks, skipped;
	uint64_t bytes;          /* content bytes of all files */
	uint64_t bytes_read;     /* content bytes read (not from the cache) */
	uint64_t files_cached;   /* files unchanged per the stat cache */
	uint64_t objects_new;    /* objects written by this snapshot */
	uint64_t bytes_new;      /* their uncompressed bytes */
	uint64_t stored_new;     /* their stored (compressed) bytes */
} arca_snapshot_stats;

/*
 * Records path (a directory, a file, or an archive read in place) as a new
 * snapshot; the caller holds a shared lock. Writes objects, then the
 * snapshot record, then the dataset ref. On failure nothing is recorded.
 * *id and *stats are set on success.
 */
int arca_snapshot_create(arca_id *id, arca_snapshot_stats *stats,
	arca_repo *r, const char *path, const arca_snapshot_opts *opts,
	arca_error *err);

/* A snapshot record, parsed. */
typedef struct arca_snapshot_info {
	arca_id id;
	arca_id tree;
	arca_id parent;        /* zero when there is none */
	int64_t time_ns;
	char *time;            /* RFC 3339 */
	char *hostname, *username;
	char *dataset;         /* NULL when none */
	char *message;         /* NULL when none */
	char *source_path, *source_kind;
	arca_snapshot_stats stats;
	char *json;            /* the canonical document */
} arca_snapshot_info;

/* All snapshots, oldest first. Free with arca_snapshot_info_free. */
int arca_snapshot_list(arca_snapshot_info **out, size_t *n, arca_repo *r,
	arca_error *err);
int arca_snapshot_get(arca_snapshot_info *out, arca_repo *r,
	const arca_id *id, arca_error *err);
void arca_snapshot_info_dispose(arca_snapshot_info *info);
void arca_snapshot_info_free(arca_snapshot_info *infos, size_t n);

/*
 * Resolves "latest", "latest@DATASET", a full snapshot id or a unique
 * prefix (at least 4 hex digits) to a snapshot id.
 */
int arca_snapshot_resolve(arca_id *out, arca_repo *r, const char *spec,
	arca_error *err);

typedef int (*arca_entry_cb)(const arca_entry *e, void *payload);

/*
 * Calls cb for the entries under subpath ("" for the root) of a snapshot,
 * depth first in name order; recursive: all levels, else one. A nonzero
 * callback return stops the walk and is returned. ARCA_ENOTFOUND if
 * subpath is not in the snapshot.
 */
int arca_snapshot_walk(arca_repo *r, const arca_id *snapshot,
	const char *subpath, int recursive, arca_entry_cb cb, void *payload,
	arca_error *err);

typedef enum arca_change {
	ARCA_CHANGE_ADDED = 1,
	ARCA_CHANGE_REMOVED = 2,
	ARCA_CHANGE_MODIFIED = 3,   /* content or type changed */
	ARCA_CHANGE_MODE = 4        /* permission bits only */
} arca_change;

typedef int (*arca_diff_cb)(arca_change change, const arca_entry *old_e,
	const arca_entry *new_e, void *payload);

/* Reports the differences between two snapshots, in path order. */
int arca_snapshot_diff(arca_repo *r, const arca_id *a, const arca_id *b,
	arca_diff_cb cb, void *payload, arca_error *err);

#endif
