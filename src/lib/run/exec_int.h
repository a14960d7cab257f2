/* Internals of run/exec.c: the process-group scan and message formats. */
#ifndef ARCA_RUN_EXEC_INT_H
#define ARCA_RUN_EXEC_INT_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/*
 * Scans /proc for the processes of group pgid that are not zombies:
 * *rss is the sum of their resident sets in bytes (shared pages count
 * once per process), *alive their number. 0, or -1 when /proc cannot be
 * read. Processes that left the group (setsid, setpgid) are not seen.
 */
int arca_exec__group_scan(pid_t pgid, uint64_t *rss, int *alive);

/* "300ms", "2s", "1m30s", "1.5s" */
void arca_exec__fmt_duration(char *out, size_t n, int64_t ms);
/* "64 MiB", "70.3 MiB", "512 KiB", "100 B" */
void arca_exec__fmt_size(char *out, size_t n, uint64_t bytes);

#endif
