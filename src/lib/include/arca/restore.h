/* arca — restore a snapshot (or part of it) to a directory or a tar stream. */
#ifndef ARCA_RESTORE_H
#define ARCA_RESTORE_H

#include <stdint.h>
#include "arca/snapshot.h"

typedef struct arca_restore_opts {
	int threads;               /* 0: one per CPU */
	arca_warn_cb warn;
	arca_progress_cb progress;
	void *payload;
} arca_restore_opts;

#define ARCA_RESTORE_OPTS_INIT { 0, NULL, NULL, NULL }

typedef struct arca_restore_stats {
	uint64_t files, dirs, symlinks;
	uint64_t bytes;            /* file content bytes written */
} arca_restore_stats;

/*
 * Restores subpath ("" or NULL: everything) of a snapshot into target
 * (created if missing). A directory's contents go into target; a single
 * file or symlink goes to target/NAME. Content is verified against its
 * ids; modes, mtimes and symlinks are restored.
 *
 * Before writing anything, every name is checked: an entry that could
 * escape target ("..", "/", empty names, names with '/', the same name
 * twice as in a symlink then a path through it) refuses the whole
 * restore with ARCA_EINVALID naming the entry. Existing files at the
 * same names are replaced (never written through a symlink).
 */
int arca_restore_dir(arca_restore_stats *stats, arca_repo *r,
	const arca_id *snapshot, const char *subpath, const char *target,
	const arca_restore_opts *opts, arca_error *err);

/* Writes subpath of a snapshot as a POSIX (pax) tar stream to fd, with the
 * same name checks. */
int arca_restore_tar(arca_restore_stats *stats, arca_repo *r,
	const arca_id *snapshot, const char *subpath, int fd,
	const arca_restore_opts *opts, arca_error *err);

#endif
