/* Unit-test fixtures: repositories with hand-built trees and snapshots
 * (including hostile ones no real snapshot would produce). */
#ifndef ARCA_REPO_FIXTURE_H
#define ARCA_REPO_FIXTURE_H

#include "testutil.h"
#include "repo/repo.h"
#include "snapshot/tree.h"

/* A fresh repository in a new temp dir; *dir gets the dir (tu_rmtree). */
arca_repo *tu_repo_new(char **dir);
/* Stores data as one object; returns its id. */
arca_id tu_put_blob(arca_repo *r, const void *data, size_t len);
/* Serializes and stores a tree of nodes (borrowed, sorted in place). */
arca_id tu_put_tree(arca_repo *r, arca_node *nodes, size_t n);
/* Writes a snapshot record whose root is tree; returns the snapshot id. */
arca_id tu_put_snapshot(arca_repo *r, const arca_id *tree);
/* Node constructors (names and targets are borrowed string literals). */
arca_node tu_file(const char *name, const arca_id *chunks, size_t n,
	uint64_t size);
arca_node tu_dir(const char *name, const arca_id *tree);
arca_node tu_link(const char *name, const char *target);

#endif
