/*
 * Trees: one directory level as a canonical JSON object (formats/
 * repository.md "Tree"). Names are raw bytes (any byte but NUL); they are
 * recorded as found, and restore decides what is safe to write.
 */
#ifndef ARCA_SNAPSHOT_TREE_H
#define ARCA_SNAPSHOT_TREE_H

#include "arca/snapshot.h"
#include "repo/repo.h"

typedef struct arca_node {
	char *name;          /* NUL-terminated; name_len bytes */
	size_t name_len;
	arca_entry_type type;
	uint32_t mode;
	int64_t mtime_ns;
	uint64_t size;
	arca_id *chunks;     /* files */
	size_t nchunks;
	arca_id tree;        /* directories */
	char *target;        /* symlinks, NUL-terminated */
	size_t target_len;
} arca_node;

typedef struct arca_tree {
	arca_node *nodes;
	size_t n;
} arca_tree;

#define ARCA_TREE_INIT { NULL, 0 }

/* Parses a tree document; what names it in errors. */
int arca_tree_parse(arca_tree *out, const void *data, size_t len,
	const char *what, arca_error *err);
/* Reads (verified) and parses tree id from the repository. */
int arca_tree_load(arca_tree *out, arca_repo *r, const arca_id *id,
	arca_error *err);
/* Sorts nodes into canonical order and serializes them. */
int arca_tree_serialize(arca_buf *out, arca_node *nodes, size_t n,
	arca_error *err);
/* Frees what a node owns (name, chunks, target). */
void arca_node_dispose(arca_node *n);
void arca_tree_dispose(arca_tree *t);
/* Canonical order: raw name bytes, then type. */
int arca_node_cmp(const void *a, const void *b);
/* Fills an arca_entry view of n at path. */
void arca_node_entry(arca_entry *e, const arca_node *n, const char *path);

#endif
