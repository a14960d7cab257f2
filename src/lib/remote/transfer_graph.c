/*
 * The objects a transfer meets, by id, and what each names once read:
 * enough to tell, after the copy, whether everything a record needs
 * reached the destination. Nodes live in slabs so pointers stay valid
 * while the table grows; every change happens under x->lock.
 */
#include <stdlib.h>
#include <string.h>
#include "remote/transfer.h"

/* Deeper chains of trees and records are not followed (verify reports
 * trees nested more than 4096 deep). */
#define MAX_DEPTH 10000

static size_t slot_of(const arca_id *id, size_t cap)
{
	size_t h;

	memcpy(&h, id->raw, sizeof(h));
	return h & (cap - 1);
}

xnode *xfer__find(xfer *x, const arca_id *id)
{
	if (!x->cap)
		return NULL;
	for (size_t i = slot_of(id, x->cap); x->slots[i];
		i = (i + 1) & (x->cap - 1))
		if (!memcmp(&x->slots[i]->id, id, sizeof(*id)))
			return x->slots[i];
	return NULL;
}

static int grow(xfer *x)
{
	size_t cap = x->cap ? x->cap * 2 : 4096;
	xnode **slots = calloc(cap, sizeof(*slots));

	if (!slots)
		return ARCA_ERROR;
	for (size_t i = 0; i < x->cap; i++) {
		size_t j;
		if (!x->slots[i])
			continue;
		for (j = slot_of(&x->slots[i]->id, cap); slots[j];
			j = (j + 1) & (cap - 1))
			;
		slots[j] = x->slots[i];
	}
	free(x->slots);
	x->slots = slots;
	x->cap = cap;
	return 0;
}

static xnode *alloc_node(xfer *x)
{
	if (!x->nslabs || x->slab_used == XFER_SLAB) {
		xnode **slabs = realloc(x->slabs,
			(x->nslabs + 1) * sizeof(*slabs));
		if (!slabs)
			return NULL;
		x->slabs = slabs;
		if (!(slabs[x->nslabs] = calloc(XFER_SLAB, sizeof(xnode))))
			return NULL;
		x->nslabs++;
		x->slab_used = 0;
	}
	return &x->slabs[x->nslabs - 1][x->slab_used++];
}

xnode *xfer__node(xfer *x, const arca_id *id)
{
	xnode *n = xfer__find(x, id);
	xsize *sz;
	size_t i;

	if (n)
		return n;
	if ((x->count + 1) * 4 > x->cap * 3 && grow(x) < 0)
		return NULL;
	if (!(n = alloc_node(x)))
		return NULL;
	n->id = *id;
	sz = xfer__size(&x->dst_objects, id);
	n->on_dst = sz && !sz->stale;
	for (i = slot_of(id, x->cap); x->slots[i]; i = (i + 1) & (x->cap - 1))
		;
	x->slots[i] = n;
	x->count++;
	if (!n->on_dst && !x->everything)
		atomic_fetch_add(&x->total, 1);
	return n;
}

int xfer__want(xfer *x, xnode *n, unsigned wants)
{
	n->wants |= (unsigned char)wants;
	/* Processed already as needed, or about to be. */
	if (n->queued || (n->result != XR_NONE &&
		!(n->wants & ~n->done_wants)))
		return 0;
	if (x->qn == x->qcap) {
		size_t cap = x->qcap ? x->qcap * 2 : 1024;
		xnode **q = realloc(x->queue, cap * sizeof(*q));
		if (!q)
			return ARCA_ERROR;
		x->queue = q;
		x->qcap = cap;
	}
	x->queue[x->qn++] = n;
	n->queued = 1;
	pthread_cond_signal(&x->cond);
	return 0;
}

unsigned xfer__kind_want(const char *kind)
{
	return strcmp(kind, "snapshot") ? XW_JSON : XW_SNAPSHOT;
}

static int closure(xnode *n, xnode **bad, int depth)
{
	if (n->mark == 1 || n->mark == 3) /* ok, or a cycle (never in
					   * content-addressed data) */
		return 1;
	if (n->mark == 2 || n->result != XR_OK || depth > MAX_DEPTH) {
		n->mark = 2;
		*bad = n;
		return 0;
	}
	n->mark = 3;
	for (uint32_t i = 0; i < n->nkids; i++)
		if (!closure(n->kids[i], bad, depth + 1)) {
			n->mark = 2;
			return 0;
		}
	n->mark = 1;
	return 1;
}

int xfer__closure_ok(xfer *x, xnode *n, xnode **bad)
{
	(void)x;
	*bad = NULL;
	if (closure(n, bad, 0))
		return 1;
	/* A node found bad through an earlier record: find the cause. */
	while (*bad && (*bad)->result == XR_OK) {
		xnode *b = *bad, *next = NULL;
		for (uint32_t i = 0; i < b->nkids && !next; i++)
			if (b->kids[i]->mark == 2)
				next = b->kids[i];
		*bad = next;
	}
	if (!*bad)
		*bad = n;
	return 0;
}

void xfer__graph_dispose(xfer *x)
{
	for (size_t s = 0; s < x->nslabs; s++) {
		size_t used = s + 1 == x->nslabs ? x->slab_used : XFER_SLAB;
		for (size_t i = 0; i < used; i++) {
			free(x->slabs[s][i].kids);
			free(x->slabs[s][i].why);
		}
		free(x->slabs[s]);
	}
	free(x->slabs);
	free(x->slots);
	free(x->queue);
	x->slabs = NULL;
	x->slots = NULL;
	x->queue = NULL;
	x->nslabs = x->cap = x->count = x->qn = x->qcap = 0;
}
