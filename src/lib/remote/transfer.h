/*
 * Internal state of one arca_transfer, shared by transfer.c (the driver),
 * transfer_list.c (what each side holds, what the arguments select),
 * transfer_graph.c (the objects met and what they name),
 * transfer_pool.c (the workers that copy) and transfer_write.c (records
 * and refs, once the objects are there).
 */
#ifndef ARCA_REMOTE_TRANSFER_H
#define ARCA_REMOTE_TRANSFER_H

#include <pthread.h>
#include <stdatomic.h>
#include "arca/remote.h"
#include "repo/repo.h"
#include "util/buf.h"
#include "util/idset.h"

/* What a node's content must be read as, to find what it names. */
enum {
	XW_TREE = 1 << 0,     /* a tree: directories' trees, files' chunks */
	XW_SNAPSHOT = 1 << 1, /* a snapshot document: its root tree */
	XW_JSON = 1 << 2      /* another record: every id it holds */
};

/* Outcome of a node. */
enum {
	XR_NONE = 0, /* not processed yet */
	XR_OK = 1,   /* on the destination (copied now, or there before) */
	XR_BAD = 2   /* corrupt or missing at the source, or unparsable */
};

/* One object met by the transfer. */
typedef struct xnode {
	arca_id id;
	unsigned char wants;      /* XW_*: how it must be read */
	unsigned char done_wants; /* how it was read */
	unsigned char queued;     /* on the queue or being processed */
	unsigned char result;     /* XR_* */
	unsigned char on_dst;     /* the destination listed it */
	unsigned char copied;     /* this run wrote it */
	unsigned char mark;       /* closure: 0 unknown, 1 ok, 2 bad, 3 on
				   * the path */
	unsigned char counted;    /* counted as copied or skipped */
	uint32_t nkids;
	struct xnode **kids;      /* what it names (when read) */
	char *why;                /* XR_BAD: why, one line */
} xnode;

/* A record key: records/<kind>/<hex>. */
typedef struct xrecord {
	arca_id id;
	char *kind;
} xrecord;

typedef struct xrecords {
	xrecord *v;   /* sorted by id, then kind */
	size_t n, cap;
} xrecords;

typedef struct xref {
	char *name;   /* without "refs/" */
	arca_id id;
	int valid;    /* holds an id */
	int selected;
} xref;

typedef struct xrefs {
	xref *v;      /* sorted by name */
	size_t n, cap;
} xrefs;

/* The destination's objects with their stored sizes (open addressing).
 * A size the source's listing contradicts marks a copy left truncated
 * by a server without atomic writes: it is copied again. */
typedef struct xsize {
	arca_id id;
	uint64_t size;
	unsigned char used, stale;
} xsize;

typedef struct xsizes {
	xsize *slots;
	size_t cap, count;
} xsizes;

/* The entry of id, or NULL. */
xsize *xfer__size(const xsizes *m, const arca_id *id);

typedef struct xfer {
	arca_repo *src, *dst;
	const arca_transfer_opts *o;
	arca_transfer_stats *st;
	arca_error *err;
	char src_name[300], dst_name[300]; /* for messages */
	int everything;         /* no refs given */
	int threads;

	/* What each side holds (listed before copying). */
	xsizes dst_objects;
	xrecords src_recs, dst_recs;
	arca_idset dst_rec_ids;  /* record ids of any kind on dst */
	xrefs src_refs, dst_refs;
	arca_id *missing;        /* everything: src objects dst lacks */
	size_t nmissing;

	/* The graph (transfer_graph.c), guarded by lock. */
	pthread_mutex_t lock;
	pthread_cond_t cond;     /* work for the workers, or the end */
	pthread_cond_t idle;     /* a worker ended: for the caller */
	xnode **slots;           /* open addressing by id */
	size_t cap, count;
	xnode **slabs;           /* nodes are allocated in slabs */
	size_t nslabs, slab_used;

	/* The work queue (transfer_pool.c), also under lock. */
	xnode **queue;
	size_t qn, qcap;
	int busy, stop, running;
	int fatal;               /* first error that stops the run */
	arca_error fatal_err;

	atomic_uint_fast64_t done, total, bytes;
} xfer;

#define XFER_SLAB 4096

/* transfer_graph.c. With x->lock held: the node of id, made (with the
 * destination's knowledge of it) when new; NULL when out of memory. */
xnode *xfer__node(xfer *x, const arca_id *id);
xnode *xfer__find(xfer *x, const arca_id *id);
/* With x->lock held: adds wants to n and queues it when it has not been
 * read that way (or at all). ARCA_ERROR when out of memory. */
int xfer__want(xfer *x, xnode *n, unsigned wants);
/* After the workers: 1 when n and all it names reached the destination;
 * 0 and *bad the first node that did not. */
int xfer__closure_ok(xfer *x, xnode *n, xnode **bad);
/* The XW_ want of a record of kind. */
unsigned xfer__kind_want(const char *kind);
void xfer__graph_dispose(xfer *x);

/* transfer_pool.c: runs the workers until the queue is empty. 0, or the
 * fatal error (x->err set). */
int xfer__run_pool(xfer *x);

/* transfer_list.c */
int xfer__list(xfer *x, arca_error *err);
/* Selects the refs and root records the arguments name. */
int xfer__select(xfer *x, const char *const *args, size_t n,
	arca_error *err);
/* The records of list with this id: [*first, *first + count). */
size_t xfer__records_of(const xrecords *l, const arca_id *id,
	size_t *first);
int xfer__has_record(const xrecords *l, const char *kind,
	const arca_id *id);
const xref *xfer__ref(const xrefs *l, const char *name);
void xfer__lists_dispose(xfer *x);

/* transfer_write.c: reports bad objects, writes records, then refs. */
int xfer__write(xfer *x, arca_error *err);

/* Reports one problem through o->problem (from the calling thread). */
void xfer__problem(xfer *x, int code, const char *kind, const char *name,
	const char *fmt, ...) __attribute__((format(printf, 5, 6)));

#endif
