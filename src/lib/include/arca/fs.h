/*
 * arca — file-system helpers the library and the command share: mkdir -p,
 * rm -rf and atomic, durable file replacement. The cache directory, which
 * needs libarca's internal buffer, is in src/lib/util/fs.h.
 */
#ifndef ARCA_FS_H
#define ARCA_FS_H

#include <stddef.h>
#include <sys/types.h>
#include "arca/error.h"

/* mkdir -p with mode 0777 (umask applies): 0, or -1 with errno. */
int arca_fs_mkdirs(const char *path);
/* mkdir -p with mode for every directory it makes (umask applies; 0700
 * for private ones such as ~/.config/arca). 0, or -1 with errno
 * (ENOTDIR when a component exists and is no directory). */
int arca_fs_mkdirs_mode(const char *path, mode_t mode);
/* rm -rf path (directories made writable first); a missing path is 0.
 * Symlinks are removed, never followed; at most 256 levels deep. */
int arca_fs_rmtree(const char *path, arca_error *err);
/* Replaces path atomically and durably: temp file in the same directory
 * (mode, less the umask), write, fsync, rename, fsync of the directory.
 * On failure path is unchanged and no temp file is left (but for a
 * failed fsync of the directory after the rename, which is reported). */
int arca_fs_write_atomic(const char *path, const void *data, size_t len,
	mode_t mode, arca_error *err);

#endif
