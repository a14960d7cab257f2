/*
 * File-system helpers (internal side). arca_fs_mkdirs, arca_fs_rmtree and
 * arca_fs_write_atomic are declared in arca/fs.h, since the command uses
 * them too; this adds the per-user cache directory.
 */
#ifndef ARCA_UTIL_FS_H
#define ARCA_UTIL_FS_H

#include "arca/error.h"
#include "arca/fs.h"
#include "util/buf.h"

/* The per-user cache directory, created if missing, into out (cleared
 * first): dir if non-NULL and non-empty, else $ARCA_CACHE_DIR, else
 * $XDG_CACHE_HOME/arca, else $HOME/.cache/arca; with sub (may be NULL)
 * appended as "/sub" and created too. 0 or ARCA_ERROR with a message.
 * Directories it makes are private (mode 0700). */
int arca_fs_cache_path(arca_buf *out, const char *dir, const char *sub,
	arca_error *err);

#endif
