/* Shared unit-test helpers: temp dirs, deterministic data. */
#ifndef ARCA_TESTUTIL_H
#define ARCA_TESTUTIL_H

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

/* Creates a fresh temp directory (under $TMPDIR or /tmp); returns a
 * malloc'd path. Fails the test on error. */
char *tu_mkdtemp(void);
/* rm -rf of a temp directory made by tu_mkdtemp; frees path. */
void tu_rmtree(char *path);
/* Fills buf with deterministic pseudo-random bytes from seed (splitmix64). */
void tu_fill_random(void *buf, size_t len, uint64_t seed);

#endif
