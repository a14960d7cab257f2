/*
 * A real S3 server for the tests: s3rver (npm), installed on demand into
 * a cache directory ($ARCA_TEST_NPM_CACHE, else ~/.cache/arca-test-npm),
 * started on a free loopback port with a fresh data directory and the
 * given buckets, stopped (its process group killed) at the end. It also
 * dies with the test process (PR_SET_PDEATHSIG). A missing node or npm
 * is a failure with a clear message, never a skip.
 */
#ifndef ARCA_TEST_S3RVER_H
#define ARCA_TEST_S3RVER_H

#include <sys/types.h>

#define UT_S3RVER_VERSION "3.7.1"

typedef struct ut_s3rver {
	pid_t pid;
	int port;
	char *dir;         /* data directory: DIR/BUCKET/... */
	char endpoint[64]; /* "http://127.0.0.1:PORT" */
	char error[1024];  /* why start failed */
} ut_s3rver;

/* Starts s3rver with buckets (NULL-terminated). 0, or -1 with s->error
 * set (and nothing left running). */
int ut_s3rver_start(ut_s3rver *s, const char *const *buckets);
/* Stops the server and removes its data directory; safe to repeat. */
void ut_s3rver_stop(ut_s3rver *s);

#endif
