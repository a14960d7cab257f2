/* Internal state of one arca_verify run, shared by verify.c (objects,
 * reporting) and verify_walk.c (records, trees, refs). */
#ifndef ARCA_VERIFY_VERIFY_H
#define ARCA_VERIFY_VERIFY_H

#include <stdint.h>
#include "arca/verify.h"
#include "repo/repo.h"
#include "util/buf.h"
#include "util/idset.h"

/* What phase 1 learnt about an object key. */
enum {
	VOBJ_EMPTY = 0,   /* free slot */
	VOBJ_LISTED = 1,  /* present; content not read (no read_data) */
	VOBJ_GOOD = 2,    /* decoded and hashes to its id; size known */
	VOBJ_CORRUPT = 3, /* does not decode to its id, or unreadable */
	VOBJ_GONE = 4     /* listed, then missing when read */
};

typedef struct arca_vobj {
	arca_id id;
	uint64_t size;      /* content bytes, when state is VOBJ_GOOD */
	unsigned char state;
	unsigned char ref;  /* named by a record, a snapshot or a tree */
	/* The content of a tree or record phase 1 read (within a budget),
	 * so that phase 2 does not fetch it again: on a remote store each
	 * fetch is a round trip. Owned by the map. */
	unsigned char *cached;
} arca_vobj;

/* Every object key of the store, by id (open addressing). */
typedef struct arca_vobj_map {
	arca_vobj *slots;
	size_t cap, count;
} arca_vobj_map;

typedef struct arca_verify_run {
	arca_repo *r;
	const arca_verify_opts *opts;
	arca_verify_stats *stats;
	arca_vobj_map objs;
	arca_vobj **sorted;     /* the objects in id order */
	arca_idset clean;       /* trees found clean, with all they name */
	arca_idset records;     /* ids of all records of any kind */
	arca_idset record_ids;  /* the same, listed before phase 1 */
	void *dctx;             /* ZSTD_DCtx of the calling thread */
	arca_buf raw, data;     /* the object at hand: stored, content */
	arca_buf path;          /* path of the entry at hand */
	arca_buf msg;           /* message being built */
	arca_error *err;
} arca_verify_run;

/* The object with this id, or NULL when the store has no such key. */
arca_vobj *arca_verify__obj(arca_verify_run *v, const arca_id *id);

/*
 * Reports one finding through opts->finding and counts it. object,
 * snapshot and path may be NULL. Returns 0, or a negative code that
 * stops the run: the callback's nonzero return (ARCA_ERROR if positive).
 */
int arca_verify__report(arca_verify_run *v, arca_finding_id fid,
	const char *object, const char *snapshot, const char *path,
	const char *fmt, ...) __attribute__((format(printf, 6, 7)));

/* Appends path to b, escaping quotes, backslashes and control bytes so
 * that a message stays on one line. */
int arca_verify__quote(arca_buf *b, const char *path);

/*
 * Decodes the stored frame raw into out and checks it against id:
 * ARCA_ECORRUPT naming the object, also for a frame whose header claims
 * more content than its blocks can hold (no huge allocation for a few
 * damaged bytes). dctx: the calling thread's ZSTD_DCtx. Also used by
 * transfers (remote/), which check every object they copy.
 */
int arca_verify__decode(arca_buf *out, const arca_buf *raw,
	const arca_id *id, void *dctx, arca_error *e);

/*
 * Reads object id into v->data and checks it against its id:
 * ARCA_ENOTFOUND, ARCA_ECORRUPT (also for a key that cannot be read),
 * or another code when verification cannot go on. Sets e.
 */
int arca_verify__read(arca_verify_run *v, const arca_id *id, arca_error *e);

/* Phase 2 (verify_walk.c): records and what they name, then refs. */
int arca_verify__records(arca_verify_run *v);
int arca_verify__refs(arca_verify_run *v);

#endif
