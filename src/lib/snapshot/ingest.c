/* Reading, chunking, hashing and dedup of file content (walker side). */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "snapshot/snap.h"
#include "hash/sha256.h"

/* Flush deferred objects after this many stored bytes, so a killed run
 * leaves most of its work usable by the next one. */
#define FLUSH_EVERY (256ull << 20)
#define PROGRESS_EVERY (32ull << 20)

void arca_snap__warn(arca_snap *s, const char *path, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	if (!s->o->warn)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	s->o->warn(path, msg, s->o->payload);
}

static int add_chunk(arca_node *node, size_t *cap, const arca_id *id)
{
	if (node->nchunks == *cap) {
		size_t ncap = *cap ? *cap * 2 : 4;
		arca_id *v = realloc(node->chunks, ncap * sizeof(*v));
		if (!v)
			return ARCA_ERROR;
		node->chunks = v;
		*cap = ncap;
	}
	node->chunks[node->nchunks++] = *id;
	return 0;
}

/* Hashes one chunk and queues it when new. buf is either a pool buffer
 * (owned: submitted or released) or NULL, meaning copy data into one. */
static int chunk(arca_snap *s, arca_node *node, size_t *cap,
	const unsigned char *data, size_t len, unsigned char *buf)
{
	arca_id id;
	int rc;

	if ((rc = arca_sha256(&id, data, len, s->err)) < 0 ||
		(rc = add_chunk(node, cap, &id)) < 0 ||
		(rc = arca_repo__object_claim(s->r, &id, s->err)) <= 0) {
		if (buf)
			arca_pipeline_release(s->pipe, buf);
		return rc < 0 ? rc : 0;
	}
	if (!buf) {
		buf = arca_pipeline_buffer(s->pipe);
		memcpy(buf, data, len);
	}
	s->unflushed += len;
	return arca_pipeline_submit(s->pipe, &id, buf, len, s->err);
}

static ssize_t read_full(arca_snap_read_fn rd, void *src, unsigned char *buf,
	size_t len)
{
	size_t got = 0;

	while (got < len) {
		ssize_t n = rd(src, buf + got, len - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		if (n == 0)
			break;
		got += (size_t)n;
	}
	return (ssize_t)got;
}

/* A file that fits the minimum chunk size is one chunk: read it straight
 * into a pool buffer. Returns 1 when the file turned out larger. */
static int small_file(arca_snap *s, arca_node *node, size_t *cap,
	arca_snap_read_fn rd, void *src, const char *what)
{
	size_t max = s->r->cdc.min_size;
	unsigned char *buf = arca_pipeline_buffer(s->pipe);
	ssize_t n = read_full(rd, src, buf, max + 1);

	if (n < 0) {
		arca_pipeline_release(s->pipe, buf);
		return arca_error_set_errno(s->err, ARCA_ERROR, errno,
			"cannot read '%s'", what);
	}
	s->st.bytes_read += (uint64_t)n;
	node->size = (uint64_t)n;
	if ((size_t)n > max) {
		/* Grew since stat: hand what we read to the chunker. */
		memcpy(s->stage, buf, (size_t)n);
		arca_pipeline_release(s->pipe, buf);
		return 1;
	}
	if (n == 0) { /* an empty file has no chunks */
		arca_pipeline_release(s->pipe, buf);
		return 0;
	}
	return chunk(s, node, cap, buf, (size_t)n, buf);
}

int arca_snap__ingest(arca_snap *s, arca_node *node, arca_snap_read_fn rd,
	void *src, uint64_t size_hint, const char *what)
{
	const arca_cdc_params *p = &s->r->cdc;
	size_t cap = 0, fill = 0, pos = 0;
	int eof = 0, rc;

	node->nchunks = 0;
	node->size = 0;
	if (size_hint <= p->min_size) {
		if ((rc = small_file(s, node, &cap, rd, src, what)) <= 0)
			return rc;
		fill = (size_t)node->size;
		node->size = 0;
	}
	for (;;) {
		size_t avail = fill - pos, cut;
		if (!eof && avail < p->max_size) {
			ssize_t n;
			memmove(s->stage, s->stage + pos, avail);
			fill = avail;
			pos = 0;
			n = read_full(rd, src, s->stage + fill,
				s->stage_cap - fill);
			if (n < 0)
				return arca_error_set_errno(s->err, ARCA_ERROR,
					errno, "cannot read '%s'", what);
			eof = (size_t)n < s->stage_cap - fill;
			fill += (size_t)n;
			s->st.bytes_read += (uint64_t)n;
			avail = fill;
		}
		if (!avail)
			break;
		cut = arca_cdc_cut(p, s->stage + pos, avail);
		if ((rc = chunk(s, node, &cap, s->stage + pos, cut, NULL)) < 0)
			return rc;
		node->size += cut;
		pos += cut;
		if ((rc = arca_snap__tick(s)) < 0)
			return rc;
	}
	return 0;
}

int arca_snap__put_tree(arca_snap *s, arca_id *id, arca_node *nodes,
	size_t n)
{
	arca_buf b = ARCA_BUF_INIT;
	arca_put_result res;
	int rc;

	if ((rc = arca_tree_serialize(&b, nodes, n, s->err)) == 0 &&
		(rc = arca_repo__object_put(s->r, &res, b.data, b.len,
			ARCA_REPO_PUT_DEFER, NULL, s->err)) == 0) {
		*id = res.id;
		if (res.stored) {
			s->st.objects_new++;
			s->st.bytes_new += b.len;
			s->st.stored_new += res.stored_size;
		}
	}
	arca_buf_dispose(&b);
	return rc;
}

int arca_snap__tick(arca_snap *s)
{
	uint64_t done = s->st.bytes_read;
	int rc;

	if (s->o->progress && done - s->progress_at >= PROGRESS_EVERY) {
		s->progress_at = done;
		s->o->progress(s->st.files, done, s->o->payload);
	}
	if ((rc = arca_repo_lock_refresh(s->r, s->err)) < 0)
		return rc;
	if (s->unflushed >= FLUSH_EVERY) {
		s->unflushed = 0;
		return arca_repo__flush(s->r, s->err);
	}
	return 0;
}
