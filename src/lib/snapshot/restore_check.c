/*
 * Restore: finding the subpath, checking every name before anything is
 * written, and fetching verified chunks.
 *
 * Trees record names as found (an archive may hold "../x" or "/etc/x"),
 * so restore is where safety is decided: every entry under the restored
 * path must be one plain name that cannot leave its directory, and no
 * name may appear twice in one directory (a symlink "a" and a directory
 * "a" would let a later entry be written through the link). A restore
 * that fails these checks writes nothing at all.
 */
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "snapshot/restore.h"
#include "util/sys.h"

const char *arca_restore__disp(char out[ARCA_RESTORE_DISP], const char *s,
	size_t len)
{
	static const char hex[] = "0123456789abcdef";
	size_t o = 0;

	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];
		if (o + 8 >= ARCA_RESTORE_DISP) {
			memcpy(out + o, "...", 3);
			o += 3;
			break;
		}
		if (c < 0x20 || c == 0x7f || c == '\\') {
			out[o++] = '\\';
			out[o++] = 'x';
			out[o++] = hex[c >> 4];
			out[o++] = hex[c & 15];
		} else {
			out[o++] = (char)c;
		}
	}
	out[o] = '\0';
	return out;
}

int arca_restore__threads(const arca_restore_opts *opts)
{
	int n = opts && opts->threads > 0 ? opts->threads : arca_ncpu();

	return n < 1 ? 1 : n > 64 ? 64 : n;
}

int arca_restore__tick(int64_t *last)
{
	struct timespec ts;
	int64_t now;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	now = (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
	if (*last && now - *last < 100000000)
		return 0;
	*last = now;
	return 1;
}

/* --- finding the subpath --- */

void arca_restore__root_dispose(arca_restore_root *root)
{
	free(root->path);
	arca_node_dispose(&root->node);
	memset(root, 0, sizeof(*root));
}

/* Index of the one node named comp in t; -1 if none, -2 if several. */
static long lookup(const arca_tree *t, const char *comp)
{
	size_t len = strlen(comp);
	long found = -1;

	for (size_t i = 0; i < t->n; i++) {
		if (t->nodes[i].name_len != len ||
			memcmp(t->nodes[i].name, comp, len))
			continue;
		if (found >= 0)
			return -2;
		found = (long)i;
	}
	return found;
}

/* Copies subpath without empty and "." components into *out. */
static int normalize(char **out, const char *subpath)
{
	arca_buf b = ARCA_BUF_INIT;
	const char *p = subpath ? subpath : "";

	while (*p) {
		size_t n = strcspn(p, "/");
		if (n && !(n == 1 && p[0] == '.')) {
			if ((b.len && arca_buf_put(&b, "/", 1) < 0) ||
				arca_buf_put(&b, p, n) < 0) {
				arca_buf_dispose(&b);
				return ARCA_ERROR;
			}
		}
		p += n;
		if (*p)
			p++;
	}
	if (!b.data && arca_buf_grow(&b, 1) < 0)
		return ARCA_ERROR;
	b.data[b.len] = '\0';
	*out = (char *)arca_buf_detach(&b, NULL);
	return 0;
}

/* Walks root->path from the snapshot's root tree. */
static int descend(arca_restore_root *root, arca_repo *r, arca_error *err)
{
	arca_tree t = ARCA_TREE_INIT;
	char *copy = strdup(root->path), *save = NULL, *comp, *next;
	char d[ARCA_RESTORE_DISP];
	int rc = 0;

	if (!copy)
		return arca_error_set(err, ARCA_ERROR, "out of memory");
	for (comp = strtok_r(copy, "/", &save); comp; comp = next) {
		long i;
		next = strtok_r(NULL, "/", &save);
		if ((rc = arca_tree_load(&t, r, &root->tree, err)) < 0)
			break;
		if ((i = lookup(&t, comp)) == -2) {
			rc = arca_error_set(err, ARCA_EINVALID, "refusing to "
				"restore '%s': the name '%s' appears twice in "
				"one directory", arca_restore__disp(d,
				root->path, strlen(root->path)), comp);
		} else if (i < 0 || (next &&
			t.nodes[i].type != ARCA_ENTRY_DIR)) {
			rc = arca_error_set(err, ARCA_ENOTFOUND,
				"'%s' is not in the snapshot",
				arca_restore__disp(d, root->path,
				strlen(root->path)));
		} else if (t.nodes[i].type == ARCA_ENTRY_DIR) {
			root->tree = t.nodes[i].tree;
		} else {
			root->node = t.nodes[i];
			memset(&t.nodes[i], 0, sizeof(t.nodes[i]));
			root->single = 1;
		}
		arca_tree_dispose(&t);
		if (rc < 0)
			break;
	}
	free(copy);
	return rc;
}

int arca_restore__find(arca_restore_root *out, arca_repo *r,
	const arca_id *snapshot, const char *subpath, arca_error *err)
{
	arca_restore_root root;
	arca_snapshot_info info;
	int rc;

	memset(&root, 0, sizeof(root));
	if ((rc = arca_snapshot_get(&info, r, snapshot, err)) < 0)
		return rc;
	root.tree = info.tree;
	arca_snapshot_info_dispose(&info);
	if (normalize(&root.path, subpath) < 0)
		return arca_error_set(err, ARCA_ERROR, "out of memory");
	if ((rc = descend(&root, r, err)) < 0) {
		arca_restore__root_dispose(&root);
		return rc;
	}
	*out = root;
	return 0;
}

/* --- checking names --- */

struct check {
	arca_repo *r;
	arca_buf path;
	arca_error *err;
};

/* Why n cannot be restored (NULL: it can); why is filled for messages
 * that quote the name. */
static const char *bad_node(const arca_node *n, char *why, size_t whysz)
{
	char d[ARCA_RESTORE_DISP];

	if (!n->name_len)
		return "entry has an empty name";
	if (memchr(n->name, '\0', n->name_len))
		return "entry name contains a NUL byte";
	if ((n->name_len == 1 && n->name[0] == '.') ||
		(n->name_len == 2 && !memcmp(n->name, "..", 2))) {
		snprintf(why, whysz, "entry name '%s' would escape the target",
			n->name);
		return why;
	}
	if (memchr(n->name, '/', n->name_len)) {
		snprintf(why, whysz, "entry name '%s' contains '/' and could "
			"escape the target", arca_restore__disp(d, n->name,
			n->name_len));
		return why;
	}
	if (n->name_len > NAME_MAX)
		return "entry name is longer than NAME_MAX (255) bytes";
	if (n->type == ARCA_ENTRY_SYMLINK && !n->target_len)
		return "symlink has an empty target";
	if (n->type == ARCA_ENTRY_SYMLINK &&
		memchr(n->target, '\0', n->target_len))
		return "symlink target contains a NUL byte";
	return NULL;
}

static int set_path(struct check *c, size_t base, const arca_node *n)
{
	c->path.len = base;
	if ((base && arca_buf_put(&c->path, "/", 1) < 0) ||
		arca_buf_put(&c->path, n->name, n->name_len) < 0)
		return arca_error_set(c->err, ARCA_ERROR, "out of memory");
	return 0;
}

/*
 * Extends c->path below the directory n down to its first leaf, so the
 * message names a whole archive entry ("a/../../x", not "a/..").
 * Best effort: stops quietly at any error.
 */
static void first_leaf(struct check *c, const arca_node *n)
{
	arca_id id = n->tree;
	int more = n->type == ARCA_ENTRY_DIR;

	for (int depth = 0; more && depth < 64; depth++) {
		arca_tree t = ARCA_TREE_INIT;
		more = 0;
		if (arca_tree_load(&t, c->r, &id, NULL) == 0 && t.n &&
			arca_buf_put(&c->path, "/", 1) == 0 &&
			arca_buf_put(&c->path, t.nodes[0].name,
				t.nodes[0].name_len) == 0) {
			more = t.nodes[0].type == ARCA_ENTRY_DIR;
			id = t.nodes[0].tree;
		}
		arca_tree_dispose(&t);
	}
}

static int refuse(struct check *c, const char *why)
{
	char d[ARCA_RESTORE_DISP];

	return arca_error_set(c->err, ARCA_EINVALID,
		"refusing to restore '%s': %s",
		arca_restore__disp(d, (const char *)c->path.data, c->path.len),
		why);
}

static int by_name(const void *a, const void *b)
{
	const arca_node *x = *(const arca_node *const *)a;
	const arca_node *y = *(const arca_node *const *)b;
	size_t n = x->name_len < y->name_len ? x->name_len : y->name_len;
	int cmp = memcmp(x->name, y->name, n);

	if (cmp)
		return cmp;
	return x->name_len < y->name_len ? -1 : x->name_len > y->name_len;
}

static const char *type_word(arca_entry_type t)
{
	return t == ARCA_ENTRY_DIR ? "a directory" :
		t == ARCA_ENTRY_SYMLINK ? "a symlink" : "a file";
}

/* Refuses a name that appears twice in t (sorted or not). */
static int check_unique(struct check *c, size_t base, const arca_tree *t)
{
	const arca_node **v;
	char why[160];
	int rc = 0;

	if (t->n < 2)
		return 0;
	if (!(v = malloc(t->n * sizeof(*v))))
		return arca_error_set(c->err, ARCA_ERROR, "out of memory");
	for (size_t i = 0; i < t->n; i++)
		v[i] = &t->nodes[i];
	qsort(v, t->n, sizeof(*v), by_name);
	for (size_t i = 1; i < t->n && rc == 0; i++) {
		if (by_name(&v[i - 1], &v[i]))
			continue;
		snprintf(why, sizeof(why), "the name appears twice in one "
			"directory (%s and %s), so one could be written "
			"through the other", type_word(v[i - 1]->type),
			type_word(v[i]->type));
		if ((rc = set_path(c, base, v[i])) == 0)
			rc = refuse(c, why);
	}
	free(v);
	return rc;
}

static int check_tree(struct check *c, const arca_id *id, int depth)
{
	arca_tree t = ARCA_TREE_INIT;
	size_t base = c->path.len;
	char why[ARCA_RESTORE_DISP + 64];
	const char *bad;
	int rc;

	if (depth > ARCA_RESTORE_MAX_DEPTH)
		return refuse(c, "directories are nested deeper than "
			"512 levels");
	if ((rc = arca_tree_load(&t, c->r, id, c->err)) < 0)
		return rc;
	for (size_t i = 0; i < t.n && rc == 0; i++) {
		const arca_node *n = &t.nodes[i];
		if ((rc = set_path(c, base, n)) < 0)
			break;
		if ((bad = bad_node(n, why, sizeof(why)))) {
			first_leaf(c, n);
			rc = refuse(c, bad);
		}
	}
	if (rc == 0)
		rc = check_unique(c, base, &t);
	for (size_t i = 0; i < t.n && rc == 0; i++) {
		if (t.nodes[i].type != ARCA_ENTRY_DIR)
			continue;
		if ((rc = set_path(c, base, &t.nodes[i])) == 0)
			rc = check_tree(c, &t.nodes[i].tree, depth + 1);
	}
	c->path.len = base;
	arca_tree_dispose(&t);
	return rc;
}

int arca_restore__check(arca_repo *r, const arca_restore_root *root,
	arca_error *err)
{
	struct check c = { r, ARCA_BUF_INIT, err };
	char why[ARCA_RESTORE_DISP + 64];
	const char *bad;
	int rc = 0;

	if (arca_buf_puts(&c.path, root->path) < 0)
		return arca_error_set(err, ARCA_ERROR, "out of memory");
	if (!root->single) {
		rc = check_tree(&c, &root->tree, 1);
	} else if ((bad = bad_node(&root->node, why, sizeof(why)))) {
		rc = refuse(&c, bad);
	}
	arca_buf_dispose(&c.path);
	return rc;
}

/* --- chunks --- */

int arca_restore__get(arca_buf *frame, arca_repo *r, const arca_id *id,
	const char *path, arca_error *err)
{
	char s[ARCA_ID_STRSZ];
	int rc;

	if ((rc = arca_repo__frame_get(r, frame, id, err)) == 0)
		return 0;
	arca_id_str(s, id);
	if (rc == ARCA_ENOTFOUND)
		return arca_error_set(err, rc, "restoring '%s': object %s is "
			"missing", path, s);
	return arca_error_prefix(err, "restoring '%s': reading object %s",
		path, s);
}

int arca_restore__decode(arca_buf *out, const arca_buf *frame,
	const arca_id *id, const char *path, void *dctx, arca_error *err)
{
	int rc = arca_repo__object_decode(out, frame->data, frame->len, id,
		dctx, err);

	if (rc < 0)
		arca_error_prefix(err, "restoring '%s'", path);
	return rc;
}
