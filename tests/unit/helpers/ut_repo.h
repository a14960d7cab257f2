/* Repository helpers for unit tests; each fails the test on error. */
#ifndef ARCA_UT_REPO_H
#define ARCA_UT_REPO_H

#include <sys/types.h>
#include "repo/repo.h"

/* arca_repo_open that must succeed. */
arca_repo *ut_repo_open(const char *path);
/* Fails unless err's message contains what. */
void ut_assert_msg(const arca_error *err, const char *what);
/* Reads object id and checks it holds exactly want[0..len). */
void ut_read_back(arca_repo *r, const arca_id *id, const void *want,
	size_t len);
/* A zstd frame of data with or without checksum and content size. */
void ut_zstd_frame(arca_buf *out, const void *data, size_t len,
	int checksum, int content_size);
/* Writes a lock file by hand as repo_path/locks/name. */
void ut_hand_lock(const char *repo_path, const char *name, int exclusive,
	const char *host, long long pid, long long pid_start,
	long long expires);
/* The pid of a child that has exited and been reaped. */
pid_t ut_dead_pid(void);

/* Stores two blobs whose ids share their first 4 hex digits. */
void ut_colliding_pair(arca_repo *r, arca_id *x, arca_id *y);

/* Ids collected by a record listing; the callback stops the listing
 * with 7 after stop_at ids (0: never). */
typedef struct ut_idlist {
	arca_id v[16];
	size_t n;
	size_t stop_at;
} ut_idlist;
int ut_idlist_cb(const arca_id *id, void *payload);
int ut_idlist_has(const ut_idlist *l, const arca_id *id);

/* Lock files in repo_path/locks. */
size_t ut_nlocks(const char *repo_path);
/* arca_repo_lock that must succeed. */
void ut_lock_ok(arca_repo *r, int exclusive);

#endif
