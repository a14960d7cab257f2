/* Tree documents: parse, serialize, load. */
#include <stdlib.h>
#include <string.h>
#include "snapshot/tree.h"
#include "util/json.h"

static const char *type_name(arca_entry_type t)
{
	switch (t) {
	case ARCA_ENTRY_FILE: return "file";
	case ARCA_ENTRY_DIR: return "dir";
	case ARCA_ENTRY_SYMLINK: return "symlink";
	}
	return "?";
}

int arca_node_cmp(const void *a, const void *b)
{
	const arca_node *x = a, *y = b;
	size_t n = x->name_len < y->name_len ? x->name_len : y->name_len;
	int c = memcmp(x->name, y->name, n);

	if (c)
		return c;
	if (x->name_len != y->name_len)
		return x->name_len < y->name_len ? -1 : 1;
	return (int)x->type - (int)y->type;
}

static json_t *node_json(const arca_node *n)
{
	json_t *o = json_object(), *a;

	if (!o || arca_json_set_bytes(o, "name", n->name, n->name_len) < 0)
		goto fail;
	json_object_set_new(o, "type", json_string(type_name(n->type)));
	json_object_set_new(o, "mode", json_integer(n->mode));
	json_object_set_new(o, "mtime_ns", json_integer(n->mtime_ns));
	switch (n->type) {
	case ARCA_ENTRY_FILE:
		json_object_set_new(o, "size", json_integer((json_int_t)n->size));
		if (!(a = json_array()))
			goto fail;
		for (size_t i = 0; i < n->nchunks; i++)
			json_array_append_new(a, arca_json_id(&n->chunks[i]));
		json_object_set_new(o, "chunks", a);
		break;
	case ARCA_ENTRY_DIR:
		json_object_set_new(o, "tree", arca_json_id(&n->tree));
		break;
	case ARCA_ENTRY_SYMLINK:
		if (arca_json_set_bytes(o, "target", n->target,
			n->target_len) < 0)
			goto fail;
		break;
	}
	return o;
fail:
	json_decref(o);
	return NULL;
}

int arca_tree_serialize(arca_buf *out, arca_node *nodes, size_t n,
	arca_error *err)
{
	json_t *doc = json_object(), *arr = json_array(), *e;
	int rc = 0;

	if (!doc || !arr)
		goto oom;
	if (n)
		qsort(nodes, n, sizeof(*nodes), arca_node_cmp);
	for (size_t i = 0; i < n; i++) {
		if (!(e = node_json(&nodes[i])) ||
			json_array_append_new(arr, e) < 0)
			goto oom;
	}
	json_object_set_new(doc, "type", json_string("tree"));
	json_object_set_new(doc, "version", json_integer(1));
	json_object_set(doc, "entries", arr);
	rc = arca_json_canonical(out, doc, err);
	goto done;
oom:
	rc = arca_error_set(err, ARCA_ERROR, "out of memory");
done:
	json_decref(arr);
	json_decref(doc);
	return rc;
}

static int parse_type(arca_entry_type *t, const char *s)
{
	if (!strcmp(s, "file"))
		*t = ARCA_ENTRY_FILE;
	else if (!strcmp(s, "dir"))
		*t = ARCA_ENTRY_DIR;
	else if (!strcmp(s, "symlink"))
		*t = ARCA_ENTRY_SYMLINK;
	else
		return -1;
	return 0;
}

static int dup_bytes(char **out, size_t *len, const arca_buf *b)
{
	if (!(*out = malloc(b->len + 1)))
		return ARCA_ERROR;
	if (b->len)
		memcpy(*out, b->data, b->len);
	(*out)[b->len] = '\0';
	*len = b->len;
	return 0;
}

static int parse_chunks(arca_node *n, json_t *o, const char *what,
	arca_error *err)
{
	json_t *a = json_object_get(o, "chunks"), *v;
	size_t i;

	if (!json_is_array(a))
		return arca_error_set(err, ARCA_ECORRUPT,
			"%s: file '%s' has no chunk list", what, n->name);
	n->nchunks = json_array_size(a);
	if (n->nchunks && !(n->chunks = calloc(n->nchunks, sizeof(arca_id))))
		return arca_error_set(err, ARCA_ERROR, "out of memory");
	json_array_foreach(a, i, v) {
		if (!json_is_string(v) ||
			arca_id_parse(&n->chunks[i], json_string_value(v)) < 0)
			return arca_error_set(err, ARCA_ECORRUPT,
				"%s: file '%s' has a bad chunk id", what,
				n->name);
	}
	return 0;
}

static int parse_node(arca_node *n, json_t *o, const char *what,
	arca_buf *tmp, arca_error *err)
{
	const char *type;
	int64_t mode, mtime, size;
	int rc;

	if ((rc = arca_json_get_bytes(tmp, o, "name", what, err)) < 0 ||
		(rc = dup_bytes(&n->name, &n->name_len, tmp)) < 0)
		return rc;
	if ((rc = arca_json_get_str(&type, o, "type", what, err)) < 0 ||
		(rc = arca_json_get_int(&mode, o, "mode", what, err)) < 0 ||
		(rc = arca_json_get_int(&mtime, o, "mtime_ns", what, err)) < 0)
		return rc;
	if (parse_type(&n->type, type) < 0)
		return arca_error_set(err, ARCA_ECORRUPT,
			"%s: entry '%s' has unknown type '%s'", what, n->name,
			type);
	n->mode = (uint32_t)mode & 07777;
	n->mtime_ns = mtime;
	switch (n->type) {
	case ARCA_ENTRY_FILE:
		if ((rc = arca_json_get_int(&size, o, "size", what, err)) < 0)
			return rc;
		if (size < 0)
			return arca_error_set(err, ARCA_ECORRUPT,
				"%s: negative size", what);
		n->size = (uint64_t)size;
		return parse_chunks(n, o, what, err);
	case ARCA_ENTRY_DIR:
		return arca_json_get_id(&n->tree, o, "tree", what, err);
	case ARCA_ENTRY_SYMLINK:
		if ((rc = arca_json_get_bytes(tmp, o, "target", what,
			err)) < 0)
			return rc;
		return dup_bytes(&n->target, &n->target_len, tmp);
	}
	return 0;
}

int arca_tree_parse(arca_tree *out, const void *data, size_t len,
	const char *what, arca_error *err)
{
	arca_tree t = ARCA_TREE_INIT;
	arca_buf tmp = ARCA_BUF_INIT;
	json_t *doc = NULL, *arr, *o;
	const char *type;
	size_t i;
	int rc;

	if ((rc = arca_json_parse(&doc, data, len, what, err)) < 0)
		return rc;
	if ((rc = arca_json_get_str(&type, doc, "type", what, err)) < 0)
		goto done;
	arr = json_object_get(doc, "entries");
	if (strcmp(type, "tree") || !json_is_array(arr)) {
		rc = arca_error_set(err, ARCA_ECORRUPT, "%s: not a tree", what);
		goto done;
	}
	t.n = json_array_size(arr);
	if (t.n && !(t.nodes = calloc(t.n, sizeof(*t.nodes)))) {
		rc = arca_error_set(err, ARCA_ERROR, "out of memory");
		goto done;
	}
	json_array_foreach(arr, i, o)
		if ((rc = parse_node(&t.nodes[i], o, what, &tmp, err)) < 0)
			goto done;
	*out = t;
	t.nodes = NULL;
	t.n = 0;
done:
	arca_tree_dispose(&t);
	arca_buf_dispose(&tmp);
	json_decref(doc);
	return rc;
}

int arca_tree_load(arca_tree *out, arca_repo *r, const arca_id *id,
	arca_error *err)
{
	unsigned char *data = NULL;
	char what[96], s[ARCA_ID_STRSZ];
	size_t len;
	int rc;

	if ((rc = arca_repo_object_read(r, &data, &len, id, err)) < 0)
		return rc;
	arca_id_str(s, id);
	snprintf(what, sizeof(what), "tree %s", s);
	rc = arca_tree_parse(out, data, len, what, err);
	free(data);
	return rc;
}

void arca_node_dispose(arca_node *n)
{
	free(n->name);
	free(n->chunks);
	free(n->target);
	memset(n, 0, sizeof(*n));
}

void arca_tree_dispose(arca_tree *t)
{
	for (size_t i = 0; i < t->n; i++)
		arca_node_dispose(&t->nodes[i]);
	free(t->nodes);
	t->nodes = NULL;
	t->n = 0;
}

void arca_node_entry(arca_entry *e, const arca_node *n, const char *path)
{
	memset(e, 0, sizeof(*e));
	e->path = path;
	e->type = n->type;
	e->mode = n->mode;
	e->mtime_ns = n->mtime_ns;
	e->size = n->size;
	e->nchunks = n->nchunks;
	e->chunks = n->chunks;
	e->tree = n->type == ARCA_ENTRY_DIR ? &n->tree : NULL;
	e->target = n->target;
}
