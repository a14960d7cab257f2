/* State of one snapshot being made, shared by its sources. Internal. */
#ifndef ARCA_SNAPSHOT_SNAP_H
#define ARCA_SNAPSHOT_SNAP_H

#include <sys/types.h>
#include "snapshot/tree.h"
#include "snapshot/pipeline.h"
#include "snapshot/statcache.h"

typedef struct arca_snap {
	arca_repo *r;
	const arca_snapshot_opts *o;
	arca_pipeline *pipe;
	arca_statcache *cache;     /* NULL: no cache */
	arca_snapshot_stats st;
	unsigned char *stage;      /* walker's read buffer, 2 * max chunk */
	size_t stage_cap;
	uint64_t unflushed;        /* stored bytes since the last flush */
	uint64_t progress_at;      /* bytes at the last progress call */
	int64_t start_ns;          /* when the walk began (racy files) */
	arca_error *err;
} arca_snap;

/* Reads up to len bytes; returns the count, 0 at the end, <0 on error
 * (with errno set). */
typedef ssize_t (*arca_snap_read_fn)(void *src, void *buf, size_t len);

/*
 * Reads a file's content through rd, cuts it into chunks, hashes them,
 * and queues the new ones for writing; fills node->chunks/nchunks/size.
 * size_hint is the expected size (small files skip the chunker). what
 * names the file in errors.
 */
int arca_snap__ingest(arca_snap *s, arca_node *node, arca_snap_read_fn rd,
	void *src, uint64_t size_hint, const char *what);

/* Stores a tree of nodes (sorted in place) as an object; *id is set. */
int arca_snap__put_tree(arca_snap *s, arca_id *id, arca_node *nodes,
	size_t n);

/* Reports a warning through the caller's callback. */
void arca_snap__warn(arca_snap *s, const char *path, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Progress, lock refresh and periodic flushes; call between files. */
int arca_snap__tick(arca_snap *s);

/* Sources: each builds the root tree. */
int arca_snap__dir(arca_snap *s, arca_id *root, const char *path);
int arca_snap__file(arca_snap *s, arca_id *root, const char *path);
int arca_snap__archive(arca_snap *s, arca_id *root, const char *path,
	char format[64]);
/* 1 if the file name looks like an archive arca reads in place. */

#endif
