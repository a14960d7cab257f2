/*
 * Restore internals shared by restore.c (directories), restore_tar.c (tar
 * streams) and restore_check.c (finding the subpath, the name checks that
 * run before anything is written, and fetching verified chunks).
 */
#ifndef ARCA_SNAPSHOT_RESTORE_H
#define ARCA_SNAPSHOT_RESTORE_H

#include <stdint.h>
#include <time.h>
#include "arca/restore.h"
#include "snapshot/tree.h"

/* Deepest directory nesting a restore accepts (each level holds an open
 * directory while its contents are written). */
#define ARCA_RESTORE_MAX_DEPTH 512
/* Room for a path quoted for a message. */
#define ARCA_RESTORE_DISP 512

/* What a restore starts from. */
typedef struct arca_restore_root {
	char *path;      /* the normalized subpath, "" for the root */
	int single;      /* 1: node is a file or symlink, restored as NAME */
	arca_node node;  /* single: the node (owned) */
	arca_id tree;    /* !single: the directory whose contents we restore */
} arca_restore_root;

/*
 * Finds subpath ("" or NULL: the root) in a snapshot. ARCA_ENOTFOUND if it
 * is not there, ARCA_EINVALID if a component names two entries. *out is
 * set only on success; release it with arca_restore__root_dispose.
 */
int arca_restore__find(arca_restore_root *out, arca_repo *r,
	const arca_id *snapshot, const char *subpath, arca_error *err);
void arca_restore__root_dispose(arca_restore_root *root);

/*
 * Checks every name and symlink under root before anything is written:
 * ARCA_EINVALID "refusing to restore 'PATH': ..." for an empty name, ".",
 * "..", a name with '/' or NUL, a name longer than NAME_MAX, the same name
 * twice in one directory, a symlink with an empty or NUL-holding target,
 * or nesting deeper than ARCA_RESTORE_MAX_DEPTH.
 */
int arca_restore__check(arca_repo *r, const arca_restore_root *root,
	arca_error *err);

/*
 * Reads chunk id's stored frame into frame (replacing its contents);
 * path names the file in messages. ARCA_ENOTFOUND "object ... is missing".
 */
int arca_restore__get(arca_buf *frame, arca_repo *r, const arca_id *id,
	const char *path, arca_error *err);
/*
 * Decodes frame into out and checks it against id: ARCA_ECORRUPT naming
 * the object and path. dctx: the caller's per-thread ZSTD_DCtx.
 */
int arca_restore__decode(arca_buf *out, const arca_buf *frame,
	const arca_id *id, const char *path, void *dctx, arca_error *err);

/*
 * Writes s (len bytes) into out (ARCA_RESTORE_DISP bytes) for a message:
 * control bytes and backslashes escaped as \xNN, truncated with "...".
 * Returns out.
 */
const char *arca_restore__disp(char out[ARCA_RESTORE_DISP], const char *s,
	size_t len);

/* Threads to use for opts (0: one per CPU), at least 1, at most 64. */
int arca_restore__threads(const arca_restore_opts *opts);

/* Rate limits progress calls: 1 when at least 100 ms passed since the
 * last call that returned 1 (*last is in ns, monotonic). */
int arca_restore__tick(int64_t *last);

#endif
