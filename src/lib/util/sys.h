/* Small system helpers: time, randomness, host and process identity. */
#ifndef ARCA_UTIL_SYS_H
#define ARCA_UTIL_SYS_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* Wall-clock time in ns since the epoch. */
int64_t arca_time_now_ns(void);
/* RFC 3339 UTC with nanoseconds: "2026-11-23T10:00:00.123456789Z"
 * (31 bytes incl. NUL); fixed width, so strings sort by time. */
#define ARCA_TIME_STRSZ 32
void arca_time_format(char out[ARCA_TIME_STRSZ], int64_t ns);
/* Parses what arca_time_format writes (fraction optional). 0 or -1. */
int arca_time_parse(int64_t *ns, const char *s);
/* Fills buf with random bytes from the kernel. 0 or ARCA_ERROR. */
int arca_random(void *buf, size_t len);
/* Lower-case hex of len random bytes into out (2*len+1). */
int arca_random_hex(char *out, size_t len);
/* The host name ("unknown" if it cannot be read); out has size n. */
void arca_hostname(char *out, size_t n);
/* The user name ("unknown" if it cannot be read); out has size n. */
void arca_username(char *out, size_t n);
/* Start time of process pid in clock ticks since boot (from /proc), or
 * 0 if it cannot be read (the process is gone). */
uint64_t arca_process_start(pid_t pid);
/* Number of online CPUs (at least 1). */
int arca_ncpu(void);

#endif
