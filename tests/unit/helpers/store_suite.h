/*
 * The store conformance suite: what every arca_store implementation must
 * do, whatever it translates to. Each case gets a fresh, empty store from
 * the factory and hands it to cleanup afterwards.
 */
#ifndef ARCA_STORE_SUITE_H
#define ARCA_STORE_SUITE_H

#include "store/store.h"

/* Returns a new, empty store; fails the test (fail_msg) on error. */
typedef arca_store *(*store_suite_factory)(void *ctx);
/* Frees the store and whatever the factory made for it. */
typedef void (*store_suite_cleanup)(arca_store *s, void *ctx);

/*
 * Runs every case as one cmocka group; case names are
 * "<group_name>__<case>". Returns the number of failed cases.
 */
int store_suite_run(const char *group_name, store_suite_factory make,
	store_suite_cleanup cleanup, void *ctx);

#endif
