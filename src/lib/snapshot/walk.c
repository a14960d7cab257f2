/* Walking a snapshot's trees, and comparing two snapshots. */
#include <stdlib.h>
#include <string.h>
#include "snapshot/tree.h"

struct walk {
	arca_repo *r;
	int recursive;
	arca_entry_cb cb;
	void *payload;
	arca_buf path;
	arca_error *err;
};

static int walk_tree(struct walk *w, const arca_id *tree_id)
{
	arca_tree t = ARCA_TREE_INIT;
	size_t base = w->path.len;
	arca_entry e;
	int rc;

	if ((rc = arca_tree_load(&t, w->r, tree_id, w->err)) < 0)
		return rc;
	for (size_t i = 0; i < t.n && rc == 0; i++) {
		arca_node *n = &t.nodes[i];
		w->path.len = base;
		if ((base && arca_buf_put(&w->path, "/", 1) < 0) ||
			arca_buf_put(&w->path, n->name, n->name_len) < 0) {
			rc = arca_error_set(w->err, ARCA_ERROR, "out of memory");
			break;
		}
		arca_node_entry(&e, n, arca_buf_cstr(&w->path));
		if ((rc = w->cb(&e, w->payload)) != 0)
			break;
		if (w->recursive && n->type == ARCA_ENTRY_DIR)
			rc = walk_tree(w, &n->tree);
	}
	w->path.len = base;
	if (w->path.data)
		w->path.data[base] = '\0';
	arca_tree_dispose(&t);
	return rc;
}

/* Finds the node for subpath; *tree_id is set for a directory (and for
 * the root), *node for anything else. */
static int find_path(arca_repo *r, const arca_id *root, const char *subpath,
	arca_id *tree_id, arca_node *node, arca_error *err)
{
	arca_tree t = ARCA_TREE_INIT;
	char *copy = strdup(subpath), *save = NULL, *comp;
	arca_id cur = *root;
	int rc = 0, found_file = 0;

	if (!copy)
		return arca_error_set(err, ARCA_ERROR, "out of memory");
	for (comp = strtok_r(copy, "/", &save); comp;
		comp = strtok_r(NULL, "/", &save)) {
		size_t i;
		if (found_file) {
			rc = arca_error_set(err, ARCA_ENOTFOUND,
				"'%s' is not in the snapshot", subpath);
			break;
		}
		if ((rc = arca_tree_load(&t, r, &cur, err)) < 0)
			break;
		for (i = 0; i < t.n; i++)
			if (!strcmp(t.nodes[i].name, comp))
				break;
		if (i == t.n) {
			rc = arca_error_set(err, ARCA_ENOTFOUND,
				"'%s' is not in the snapshot", subpath);
			arca_tree_dispose(&t);
			break;
		}
		if (t.nodes[i].type == ARCA_ENTRY_DIR) {
			cur = t.nodes[i].tree;
		} else {
			*node = t.nodes[i];
			memset(&t.nodes[i], 0, sizeof(t.nodes[i]));
			found_file = 1;
		}
		arca_tree_dispose(&t);
	}
	free(copy);
	if (rc == 0 && !found_file)
		*tree_id = cur;
	return rc < 0 ? rc : found_file;
}

int arca_snapshot_walk(arca_repo *r, const arca_id *snapshot,
	const char *subpath, int recursive, arca_entry_cb cb, void *payload,
	arca_error *err)
{
	struct walk w = { r, recursive, cb, payload, ARCA_BUF_INIT, err };
	arca_snapshot_info info;
	arca_node node;
	arca_entry e;
	arca_id tree;
	int rc;

	memset(&node, 0, sizeof(node));
	if ((rc = arca_snapshot_get(&info, r, snapshot, err)) < 0)
		return rc;
	rc = find_path(r, &info.tree, subpath ? subpath : "", &tree, &node,
		err);
	arca_snapshot_info_dispose(&info);
	if (rc == 1) {
		arca_node_entry(&e, &node, subpath);
		rc = cb(&e, payload);
		arca_node_dispose(&node);
		return rc;
	}
	if (rc < 0) {
		arca_node_dispose(&node);
		return rc;
	}
	if (subpath && *subpath && arca_buf_puts(&w.path, subpath) < 0)
		return arca_error_set(err, ARCA_ERROR, "out of memory");
	while (w.path.len && w.path.data[w.path.len - 1] == '/')
		w.path.data[--w.path.len] = '\0';
	rc = walk_tree(&w, &tree);
	arca_buf_dispose(&w.path);
	return rc;
}

/* --- diff --- */

struct diff {
	arca_repo *r;
	arca_diff_cb cb;
	void *payload;
	arca_buf path;
	arca_error *err;
};

static int diff_trees(struct diff *d, const arca_id *a, const arca_id *b);

struct shim {
	struct diff *d;
	arca_change ch;
};

static int emit(struct diff *d, arca_change ch, const arca_entry *e)
{
	return d->cb(ch, ch == ARCA_CHANGE_REMOVED ? e : NULL,
		ch == ARCA_CHANGE_ADDED ? e : NULL, d->payload);
}

static int shim_cb(const arca_entry *e, void *payload)
{
	struct shim *s = payload;

	return emit(s->d, s->ch, e);
}

/* Reports n, and for a directory everything below it, as one change. */
static int report_all(struct diff *d, arca_change ch, const arca_node *n)
{
	struct shim s = { d, ch };
	struct walk w = { d->r, 1, shim_cb, &s, ARCA_BUF_INIT, d->err };
	arca_entry e;
	int rc;

	arca_node_entry(&e, n, arca_buf_cstr(&d->path));
	if ((rc = emit(d, ch, &e)) != 0 || n->type != ARCA_ENTRY_DIR)
		return rc;
	if (arca_buf_put(&w.path, d->path.data, d->path.len) < 0)
		return arca_error_set(d->err, ARCA_ERROR, "out of memory");
	rc = walk_tree(&w, &n->tree);
	arca_buf_dispose(&w.path);
	return rc;
}

static int same_content(const arca_node *a, const arca_node *b)
{
	switch (a->type) {
	case ARCA_ENTRY_FILE:
		return a->size == b->size && a->nchunks == b->nchunks &&
			(!a->nchunks || !memcmp(a->chunks, b->chunks,
				a->nchunks * sizeof(arca_id)));
	case ARCA_ENTRY_SYMLINK:
		return a->target_len == b->target_len &&
			!memcmp(a->target, b->target, a->target_len);
	case ARCA_ENTRY_DIR:
		return 1;
	}
	return 0;
}

/* Both sides have n (same name and type). */
static int diff_pair(struct diff *d, const arca_node *a, const arca_node *b)
{
	arca_entry ea, eb;
	int rc = 0;

	arca_node_entry(&ea, a, arca_buf_cstr(&d->path));
	arca_node_entry(&eb, b, arca_buf_cstr(&d->path));
	if (!same_content(a, b))
		rc = d->cb(ARCA_CHANGE_MODIFIED, &ea, &eb, d->payload);
	else if (a->mode != b->mode)
		rc = d->cb(ARCA_CHANGE_MODE, &ea, &eb, d->payload);
	if (rc == 0 && a->type == ARCA_ENTRY_DIR &&
		arca_id_cmp(&a->tree, &b->tree))
		rc = diff_trees(d, &a->tree, &b->tree);
	return rc;
}

/* The same name with another type: one "modified", then whatever a
 * directory on either side held as removed or added. */
static int type_change(struct diff *d, const arca_node *a,
	const arca_node *b)
{
	struct shim s = { d, ARCA_CHANGE_REMOVED };
	struct walk w = { d->r, 1, shim_cb, &s, ARCA_BUF_INIT, d->err };
	arca_entry ea, eb;
	int rc;

	arca_node_entry(&ea, a, arca_buf_cstr(&d->path));
	arca_node_entry(&eb, b, arca_buf_cstr(&d->path));
	if ((rc = d->cb(ARCA_CHANGE_MODIFIED, &ea, &eb, d->payload)) != 0)
		return rc;
	if (arca_buf_put(&w.path, d->path.data, d->path.len) < 0)
		return arca_error_set(d->err, ARCA_ERROR, "out of memory");
	if (a->type == ARCA_ENTRY_DIR)
		rc = walk_tree(&w, &a->tree);
	s.ch = ARCA_CHANGE_ADDED;
	if (rc == 0 && b->type == ARCA_ENTRY_DIR)
		rc = walk_tree(&w, &b->tree);
	arca_buf_dispose(&w.path);
	return rc;
}

static int set_path(struct diff *d, size_t base, const arca_node *n)
{
	d->path.len = base;
	if ((base && arca_buf_put(&d->path, "/", 1) < 0) ||
		arca_buf_put(&d->path, n->name, n->name_len) < 0)
		return arca_error_set(d->err, ARCA_ERROR, "out of memory");
	return 0;
}

static int diff_trees(struct diff *d, const arca_id *a, const arca_id *b)
{
	arca_tree ta = ARCA_TREE_INIT, tb = ARCA_TREE_INIT;
	size_t i = 0, j = 0, base = d->path.len;
	int rc;

	if ((rc = arca_tree_load(&ta, d->r, a, d->err)) < 0 ||
		(rc = arca_tree_load(&tb, d->r, b, d->err)) < 0)
		goto done;
	/* Both are sorted by (name, type): merge them. */
	while (rc == 0 && (i < ta.n || j < tb.n)) {
		int c = i == ta.n ? 1 : j == tb.n ? -1 :
			arca_node_cmp(&ta.nodes[i], &tb.nodes[j]);
		const arca_node *n = c <= 0 ? &ta.nodes[i] : &tb.nodes[j];
		if ((rc = set_path(d, base, n)) < 0)
			break;
		if (c && i < ta.n && j < tb.n &&
			ta.nodes[i].name_len == tb.nodes[j].name_len &&
			!memcmp(ta.nodes[i].name, tb.nodes[j].name,
				ta.nodes[i].name_len))
			rc = type_change(d, &ta.nodes[i++], &tb.nodes[j++]);
		else if (c < 0)
			rc = report_all(d, ARCA_CHANGE_REMOVED, &ta.nodes[i++]);
		else if (c > 0)
			rc = report_all(d, ARCA_CHANGE_ADDED, &tb.nodes[j++]);
		else
			rc = diff_pair(d, &ta.nodes[i++], &tb.nodes[j++]);
	}
done:
	d->path.len = base;
	arca_tree_dispose(&ta);
	arca_tree_dispose(&tb);
	return rc;
}

int arca_snapshot_diff(arca_repo *r, const arca_id *a, const arca_id *b,
	arca_diff_cb cb, void *payload, arca_error *err)
{
	struct diff d = { r, cb, payload, ARCA_BUF_INIT, err };
	arca_snapshot_info ia, ib;
	int rc;

	memset(&ib, 0, sizeof(ib));
	if ((rc = arca_snapshot_get(&ia, r, a, err)) < 0)
		return rc;
	if ((rc = arca_snapshot_get(&ib, r, b, err)) == 0 &&
		arca_id_cmp(&ia.tree, &ib.tree))
		rc = diff_trees(&d, &ia.tree, &ib.tree);
	arca_snapshot_info_dispose(&ia);
	arca_snapshot_info_dispose(&ib);
	arca_buf_dispose(&d.path);
	return rc;
}
