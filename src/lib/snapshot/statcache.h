/*
 * The stat cache: which chunks a file had when it last had this size,
 * mtime, ctime, inode and device. Lets an unchanged file be recorded
 * without reading it. A SQLite file in the user's cache directory, keyed
 * by repository id: never part of the repository, always safe to delete.
 */
#ifndef ARCA_SNAPSHOT_STATCACHE_H
#define ARCA_SNAPSHOT_STATCACHE_H

#include <stdint.h>
#include <sys/stat.h>
#include "arca/error.h"
#include "arca/id.h"

typedef struct arca_statcache arca_statcache;

/* Opens (creating) the cache for repo_id under dir (NULL: the default:
 * $ARCA_CACHE_DIR, else $XDG_CACHE_HOME/arca, else ~/.cache/arca). */
int arca_statcache_open(arca_statcache **out, const char *dir,
	const char *repo_id, arca_error *err);
void arca_statcache_free(arca_statcache *c);

/* 1 and *chunks (malloc'd, caller frees) / *n when path's entry matches
 * st exactly; 0 when absent or stale. */
int arca_statcache_lookup(arca_statcache *c, const char *path,
	const struct stat *st, arca_id **chunks, size_t *n);

/* Queues an entry; nothing is written before commit. */
int arca_statcache_add(arca_statcache *c, const char *path,
	const struct stat *st, const arca_id *chunks, size_t n);

/* Writes the queued entries in one transaction. Call only after the
 * snapshot naming their chunks is recorded. */
int arca_statcache_commit(arca_statcache *c, arca_error *err);

#endif
