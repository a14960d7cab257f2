/*
 * A store wrapper that injects failures: puts whose key starts with a
 * prefix fail (after a number of successful ones) with a chosen code.
 * Everything else goes to the repository's real store. Lets tests
 * provoke write errors deep inside the library without relying on file
 * permissions (which root ignores).
 */
#ifndef ARCA_UT_FAILSTORE_H
#define ARCA_UT_FAILSTORE_H

#include "store/store.h"
#include "repo/repo.h"

/* Wraps r->store: puts of keys starting with prefix fail with code after
 * `after` matching puts succeeded. arca_repo_free frees the wrapper and
 * the real store. */
void ut_failstore_wrap(arca_repo *r, const char *prefix, int code,
	unsigned after);
/* Puts the real store back and frees the wrapper. */
void ut_failstore_unwrap(arca_repo *r);
/* Matching puts seen so far, and how many of them failed. */
unsigned ut_failstore_seen(arca_repo *r);
unsigned ut_failstore_failed(arca_repo *r);

#endif
