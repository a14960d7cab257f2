/* Small file-system helpers for unit tests; each fails the test on error. */
#ifndef ARCA_UT_FILES_H
#define ARCA_UT_FILES_H

#include <stddef.h>
#include <stdint.h>

/* printf into a new malloc'd string. */
char *ut_fmt(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Creates or replaces path with len bytes of data. */
void ut_write_file(const char *path, const void *data, size_t len);
void ut_write_str(const char *path, const char *s);
/* Reads a whole file (NUL-terminated, malloc'd); *len may be NULL. */
char *ut_read_file(const char *path, size_t *len);
/* mkdir -p, the last component with mode. */
void ut_mkdir(const char *path, unsigned mode);
/* 1 if path exists (lstat), else 0. */
int ut_exists(const char *path);
/* Entries of a directory, not counting "." and ".." (0 if missing). */
size_t ut_count_dir(const char *path);

/* Last modification time of path (lstat) in ns. */
int64_t ut_mtime_ns(const char *path);
/*
 * Runs fn(arg, res) in a forked child that first drops to uid/gid 65534
 * when running as root (root ignores file modes), and copies the size
 * bytes fn left in res back. Returns 0, or 1 when privileges cannot be
 * dropped here (res is then untouched). fn must not use cmocka asserts.
 */
int ut_run_as_nobody(void (*fn)(void *arg, void *res), void *arg,
	void *res, size_t size);

#endif
