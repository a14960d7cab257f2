/*
 * The write half of the snapshot pipeline: a fixed pool of chunk buffers
 * and worker threads that compress and store new objects. The producer
 * (the walker) blocks for a free buffer, which bounds memory to
 * nbuf * bufsize however large the dataset.
 */
#ifndef ARCA_SNAPSHOT_PIPELINE_H
#define ARCA_SNAPSHOT_PIPELINE_H

#include <stddef.h>
#include <stdint.h>
#include "repo/repo.h"

typedef struct arca_pipeline arca_pipeline;

typedef struct arca_pipeline_stats {
	uint64_t objects, bytes, stored;
} arca_pipeline_stats;

int arca_pipeline_new(arca_pipeline **out, arca_repo *r, int threads,
	size_t bufsize, arca_error *err);
/* A free buffer of bufsize bytes; blocks while all are in use. */
unsigned char *arca_pipeline_buffer(arca_pipeline *p);
/* Returns an unused buffer to the pool. */
void arca_pipeline_release(arca_pipeline *p, unsigned char *buf);
/* Queues buf (from arca_pipeline_buffer; the pool takes it back) to be
 * stored as object id (already claimed by the caller). Fails with the
 * first worker error once a worker has failed. */
int arca_pipeline_submit(arca_pipeline *p, const arca_id *id,
	unsigned char *buf, size_t len, arca_error *err);
/* Waits until every queued object is stored; the first worker error. */
int arca_pipeline_wait(arca_pipeline *p, arca_error *err);
void arca_pipeline_stats_get(arca_pipeline *p, arca_pipeline_stats *st);
/* Stops the workers (after the queue drains) and frees p. */
void arca_pipeline_free(arca_pipeline *p);

#endif
