/*
 * Verification, phase 2: references. Every record must hold its own id
 * and name a good object; a snapshot's trees are walked down to every
 * file's chunks, checked against what phase 1 found. A tree found clean
 * (with everything under it) is not walked again; a tree with problems is
 * walked again wherever it appears, so every affected (snapshot, path) is
 * reported. Last, refs must name records.
 */
#include <stdlib.h>
#include <string.h>
#include <jansson.h>
#include "verify/verify.h"
#include "snapshot/tree.h"

/* Deeper trees are reported as BAD_TREE rather than walked. */
#define MAX_DEPTH 4096

/* Context of a finding about the entry at v->path, into v->msg:
 * "snapshot sha256:.. file 'a/b'", "... dir 'a'", "... root dir". */
static int context(arca_verify_run *v, const char *snap, const char *kind)
{
	arca_buf_clear(&v->msg);
	if (!v->path.len)
		return arca_buf_printf(&v->msg, "snapshot %s root %s", snap,
			kind);
	if (arca_buf_printf(&v->msg, "snapshot %s %s '", snap, kind) < 0 ||
		arca_verify__quote(&v->msg, arca_buf_cstr(&v->path)) < 0 ||
		arca_buf_put(&v->msg, "'", 1) < 0)
		return ARCA_ERROR;
	return 0;
}

static const char *path_or_null(arca_verify_run *v)
{
	return v->path.len ? arca_buf_cstr(&v->path) : NULL;
}

static int oom(arca_verify_run *v)
{
	return arca_error_set(v->err, ARCA_ERROR, "out of memory");
}

/* Marks o referenced; 1 the first time. */
static int mark(arca_vobj *o)
{
	if (!o || o->ref)
		return 0;
	o->ref = 1;
	return 1;
}

/*
 * Reads the tree (or snapshot) object id into v->data. 1 when it is
 * there, 0 when a finding was reported (what: "tree", ctx in v->msg),
 * <0 to stop.
 */
static int load(arca_verify_run *v, const arca_id *id, const char *snap,
	const char *what)
{
	arca_error e = ARCA_ERROR_INIT;
	arca_vobj *o = arca_verify__obj(v, id);
	char s[ARCA_ID_STRSZ];
	const char *ctx = arca_buf_cstr(&v->msg);
	int rc;

	arca_id_str(s, id);
	if (!o || o->state == VOBJ_GONE)
		return arca_verify__report(v, ARCA_FINDING_MISSING_OBJECT, s,
			snap, path_or_null(v), "%s: %s %s is missing", ctx,
			what, s);
	if (o->state == VOBJ_CORRUPT)
		return arca_verify__report(v, ARCA_FINDING_CORRUPT_OBJECT, s,
			snap, path_or_null(v), "%s: %s %s is corrupt", ctx,
			what, s);
	rc = arca_verify__read(v, id, &e);
	if (rc == ARCA_ENOTFOUND) {
		o->state = VOBJ_GONE;
		return arca_verify__report(v, ARCA_FINDING_MISSING_OBJECT, s,
			snap, path_or_null(v), "%s: %s %s is missing", ctx,
			what, s);
	}
	if (rc == ARCA_ECORRUPT) {
		o->state = VOBJ_CORRUPT;
		return arca_verify__report(v, ARCA_FINDING_CORRUPT_OBJECT, s,
			snap, path_or_null(v), "%s: %s", ctx, e.msg);
	}
	if (rc < 0) {
		if (v->err)
			*v->err = e;
		return rc;
	}
	return 1;
}

/* Reports a missing or corrupt chunk of the file at v->path, once per
 * file however often the file repeats it: 0, or <0 to stop. */
static int bad_chunk(arca_verify_run *v, const arca_vobj *o,
	const arca_id *c, const char *snap, arca_idset *seen)
{
	int corrupt = o && o->state == VOBJ_CORRUPT;
	char s[ARCA_ID_STRSZ];
	int rc;

	if ((rc = arca_idset_add(seen, c)) <= 0)
		return rc < 0 ? oom(v) : 0;
	arca_id_str(s, c);
	return arca_verify__report(v, corrupt ? ARCA_FINDING_CORRUPT_OBJECT :
		ARCA_FINDING_MISSING_OBJECT, s, snap, arca_buf_cstr(&v->path),
		"%s: object %s is %s", arca_buf_cstr(&v->msg), s,
		corrupt ? "corrupt" : "missing");
}

/* Checks a file's chunks and size: 1 clean, 0 not, <0 stop. Sizes are
 * known only for objects phase 1 read. */
static int check_file(arca_verify_run *v, const arca_node *n,
	const char *snap, const char *tree_str)
{
	arca_idset seen = ARCA_IDSET_INIT;
	uint64_t sum = 0;
	int known = 1, clean = 1, rc = 0;

	v->stats->files++;
	if (context(v, snap, "file") < 0)
		return oom(v);
	for (size_t i = 0; i < n->nchunks && rc >= 0; i++) {
		arca_vobj *o = arca_verify__obj(v, &n->chunks[i]);
		mark(o);
		if (o && o->state == VOBJ_GOOD) {
			sum += o->size;
			continue;
		}
		known = 0;
		if (o && o->state == VOBJ_LISTED)
			continue;
		clean = 0;
		rc = bad_chunk(v, o, &n->chunks[i], snap, &seen);
	}
	arca_idset_dispose(&seen);
	if (rc < 0)
		return rc;
	if (clean && known && sum != n->size) {
		rc = arca_verify__report(v, ARCA_FINDING_SIZE_MISMATCH,
			tree_str, snap, arca_buf_cstr(&v->path),
			"%s: its chunks hold %llu bytes, its entry says %llu",
			arca_buf_cstr(&v->msg), (unsigned long long)sum,
			(unsigned long long)n->size);
		return rc < 0 ? rc : 0;
	}
	return clean;
}

static int bad_name(const arca_node *n)
{
	return !n->name_len || memchr(n->name, '/', n->name_len) ||
		!strcmp(n->name, ".") || !strcmp(n->name, "..");
}

static int walk_tree(arca_verify_run *v, const arca_id *tree,
	const char *snap, int depth);

/* Reports an entry of the tree at v->path whose name no file can have
 * ("", ".", "..", or with a '/'): 0, or <0 to stop. */
static int bad_entry(arca_verify_run *v, const arca_node *n,
	const char *snap, const char *tree_str)
{
	if (context(v, snap, "dir") < 0 ||
		arca_buf_printf(&v->msg, ": tree %s has an entry named '",
			tree_str) < 0 ||
		arca_verify__quote(&v->msg, n->name) < 0 ||
		arca_buf_puts(&v->msg, "', which is not a file name") < 0)
		return oom(v);
	return arca_verify__report(v, ARCA_FINDING_BAD_TREE, tree_str, snap,
		path_or_null(v), "%s", arca_buf_cstr(&v->msg));
}

/* Checks the nodes of a parsed tree: 1 all clean, 0 not, <0 stop. */
static int walk_nodes(arca_verify_run *v, const arca_tree *t,
	const char *snap, const char *tree_str, int depth)
{
	size_t base = v->path.len;
	int clean = 1, rc = 0;

	for (size_t i = 0; i < t->n && rc >= 0; i++) {
		const arca_node *n = &t->nodes[i];
		v->path.len = base;
		if ((base && arca_buf_put(&v->path, "/", 1) < 0) ||
			arca_buf_put(&v->path, n->name, n->name_len) < 0) {
			rc = oom(v);
			break;
		}
		if (bad_name(n)) {
			v->path.len = base;
			v->path.data[base] = '\0';
			if ((rc = bad_entry(v, n, snap, tree_str)) < 0)
				break;
			clean = 0;
			continue;
		}
		if (n->type == ARCA_ENTRY_FILE)
			rc = check_file(v, n, snap, tree_str);
		else if (n->type == ARCA_ENTRY_DIR)
			rc = walk_tree(v, &n->tree, snap, depth + 1);
		if (rc == 0)
			clean = 0;
	}
	v->path.len = base;
	if (v->path.data)
		v->path.data[base] = '\0';
	return rc < 0 ? rc : clean;
}

/* Walks the tree whose path is v->path: 1 clean, 0 not, <0 stop. */
static int walk_tree(arca_verify_run *v, const arca_id *tree,
	const char *snap, int depth)
{
	arca_tree t = ARCA_TREE_INIT;
	arca_error e = ARCA_ERROR_INIT;
	char s[ARCA_ID_STRSZ], what[96];
	int rc;

	if (arca_idset_has(&v->clean, tree))
		return 1;
	arca_repo_lock_refresh(v->r, NULL);
	if (mark(arca_verify__obj(v, tree)))
		v->stats->trees++;
	arca_id_str(s, tree);
	if (context(v, snap, "dir") < 0)
		return oom(v);
	if (depth > MAX_DEPTH) {
		rc = arca_verify__report(v, ARCA_FINDING_BAD_TREE, s, snap,
			path_or_null(v), "%s: trees nested more than %d deep",
			arca_buf_cstr(&v->msg), MAX_DEPTH);
		return rc < 0 ? rc : 0;
	}
	if ((rc = load(v, tree, snap, "tree")) <= 0)
		return rc;
	snprintf(what, sizeof(what), "tree %s", s);
	rc = arca_tree_parse(&t, v->data.data, v->data.len, what, &e);
	if (rc == ARCA_ERROR)
		return oom(v);
	if (rc < 0) {
		rc = arca_verify__report(v, ARCA_FINDING_BAD_TREE, s, snap,
			path_or_null(v), "%s: %s", arca_buf_cstr(&v->msg),
			e.msg);
		return rc < 0 ? rc : 0;
	}
	rc = walk_nodes(v, &t, snap, s, depth);
	arca_tree_dispose(&t);
	if (rc == 1 && arca_idset_add(&v->clean, tree) < 0)
		return oom(v);
	return rc;
}

/* Checks a snapshot record's object, then walks its trees. */
static int check_snapshot(arca_verify_run *v, const char *key,
	const arca_id *id)
{
	arca_snapshot_info info;
	arca_error e = ARCA_ERROR_INIT;
	char s[ARCA_ID_STRSZ];
	int rc;

	v->stats->snapshots++;
	arca_id_str(s, id);
	arca_buf_clear(&v->path);
	arca_buf_clear(&v->msg);
	if (arca_buf_printf(&v->msg, "record '%s'", key) < 0)
		return oom(v);
	if ((rc = load(v, id, s, "snapshot")) <= 0)
		return rc;
	rc = arca_snapshot_get(&info, v->r, id, &e);
	if (rc == ARCA_ERROR || rc == ARCA_EREMOTE) {
		if (v->err)
			*v->err = e;
		return rc;
	}
	if (rc < 0)
		return arca_verify__report(v, ARCA_FINDING_BAD_RECORD, s, s,
			NULL, "%s", e.msg);
	rc = walk_tree(v, &info.tree, s, 0);
	arca_snapshot_info_dispose(&info);
	return rc < 0 ? rc : 0;
}

/* Checks every "sha256:<hex>" string in j (but its "ingest" provenance):
 * each names an object
 * that must be there and good (a catalog record's snapshot, schema,
 * statistics, parent, ...). Snapshots named here are walked where they
 * are listed themselves. */
static int check_ids(arca_verify_run *v, json_t *j, int depth)
{
	const char *k;
	json_t *x;
	size_t i;
	int rc;

	if (depth > 32)
		return 0;
	if (json_is_string(j)) {
		const char *str = json_string_value(j);
		arca_id id;
		arca_vobj *o;
		if (strncmp(str, "sha256:", 7) || strlen(str) != 7 +
			ARCA_ID_HEXSZ || arca_id_parse(&id, str) < 0)
			return 0;
		o = arca_verify__obj(v, &id);
		mark(o);
		if (o && o->state != VOBJ_GONE && o->state != VOBJ_CORRUPT)
			return 0;
		return arca_verify__report(v, o ? ARCA_FINDING_CORRUPT_OBJECT :
			ARCA_FINDING_MISSING_OBJECT, str, NULL, NULL, "%s: "
			"object %s it names is %s", arca_buf_cstr(&v->msg), str,
			o ? "corrupt" : "missing");
	}
	if (json_is_array(j))
		json_array_foreach(j, i, x)
			if ((rc = check_ids(v, x, depth + 1)) < 0)
				return rc;
	if (json_is_object(j))
		json_object_foreach(j, k, x) {
			/* Provenance quotes what it saw (hook output, argv):
			 * text, not references. */
			if (depth == 0 && !strcmp(k, "ingest"))
				continue;
			if ((rc = check_ids(v, x, depth + 1)) < 0)
				return rc;
		}
	return 0;
}

/* A record of another kind: its object must be there and good, and so
 * must every object it names. */
static int check_other(arca_verify_run *v, const char *key,
	const arca_id *id)
{
	char s[ARCA_ID_STRSZ];
	json_t *doc;
	int rc;

	arca_id_str(s, id);
	arca_buf_clear(&v->path);
	arca_buf_clear(&v->msg);
	if (arca_buf_printf(&v->msg, "record '%s'", key) < 0)
		return oom(v);
	if ((rc = load(v, id, NULL, "object")) <= 0)
		return rc < 0 ? rc : 0;
	if (!(doc = json_loadb((const char *)v->data.data, v->data.len, 0,
		NULL)))
		return arca_verify__report(v, ARCA_FINDING_BAD_RECORD, key, NULL,
			NULL, "record '%s': object %s is not JSON", key, s);
	rc = check_ids(v, doc, 0);
	json_decref(doc);
	return rc < 0 ? rc : 0;
}

/* ---------------------------------------------------------------- records */

typedef struct keys {
	char **v;
	size_t n, cap;
} keys;

static int keys_add(keys *k, const char *key)
{
	if (k->n == k->cap) {
		size_t cap = k->cap ? k->cap * 2 : 64;
		char **nv = realloc(k->v, cap * sizeof(*nv));
		if (!nv)
			return ARCA_ERROR;
		k->v = nv;
		k->cap = cap;
	}
	if (!(k->v[k->n] = strdup(key)))
		return ARCA_ERROR;
	k->n++;
	return 0;
}

static void keys_dispose(keys *k)
{
	for (size_t i = 0; i < k->n; i++)
		free(k->v[i]);
	free(k->v);
}

static int collect(const char *key, uint64_t size, void *payload)
{
	(void)size;
	return keys_add(payload, key) < 0 ? ARCA_ERROR : 0;
}

static int by_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Lists the keys under prefix, sorted. */
static int list_keys(arca_verify_run *v, keys *k, const char *prefix)
{
	arca_error e = ARCA_ERROR_INIT;
	int rc;

	if ((rc = arca_repo__keys_list(v->r, prefix, collect, k, &e)) < 0) {
		if (!e.msg[0])
			arca_error_set(&e, rc, "out of memory");
		if (v->err)
			*v->err = e;
		return rc;
	}
	if (k->n)
		qsort(k->v, k->n, sizeof(*k->v), by_str);
	return 0;
}

/* "records/<kind>/<64 hex>": the id and where the kind starts. */
static int record_key_id(arca_id *id, const char *key)
{
	const char *kind = key + strlen(ARCA_KEY_RECORDS);
	const char *slash = strchr(kind, '/');

	if (!slash || slash == kind || strlen(slash + 1) != ARCA_ID_HEXSZ ||
		strspn(slash + 1, "0123456789abcdef") != ARCA_ID_HEXSZ)
		return -1;
	return arca_id_parse(id, slash + 1);
}

/* Reads a small id-holding value ("sha256:<hex>\n"): 0 and *id, 1 when it
 * holds no id (why in e), ARCA_ENOTFOUND, or <0 to stop. */
static int read_id_value(arca_verify_run *v, arca_id *id, const char *key,
	arca_error *e)
{
	int rc;

	rc = arca_repo__key_get(v->r, &v->raw, key, 256, e);
	if (rc == ARCA_ENOTFOUND || rc == ARCA_EREMOTE)
		return rc;
	if (rc < 0) {
		arca_error_prefix(e, "cannot be read");
		return 1;
	}
	while (v->raw.len && (v->raw.data[v->raw.len - 1] == '\n' ||
		v->raw.data[v->raw.len - 1] == ' '))
		v->raw.data[--v->raw.len] = '\0';
	if (v->raw.len > 200 || memchr(v->raw.data, '\0', v->raw.len) ||
		arca_id_parse(id, arca_buf_cstr(&v->raw)) < 0) {
		arca_error_set(e, ARCA_EINVALID, "does not hold an object id");
		return 1;
	}
	return 0;
}

static int check_record(arca_verify_run *v, const char *key)
{
	arca_error e = ARCA_ERROR_INIT;
	char s[ARCA_ID_STRSZ], held[ARCA_ID_STRSZ];
	arca_id id, in;
	int rc;

	if (record_key_id(&id, key) < 0)
		return arca_verify__report(v, ARCA_FINDING_STRAY_KEY, key,
			NULL, NULL, "key '%s' is not the key of a record", key);
	arca_id_str(s, &id);
	if (arca_idset_add(&v->records, &id) < 0)
		return oom(v);
	mark(arca_verify__obj(v, &id));
	rc = read_id_value(v, &in, key, &e);
	if (rc == ARCA_ENOTFOUND)
		return 0; /* removed meanwhile */
	if (rc < 0) {
		if (v->err)
			*v->err = e;
		return rc;
	}
	if (rc == 1)
		rc = arca_verify__report(v, ARCA_FINDING_BAD_RECORD, key, NULL,
			NULL, "record '%s' %s", key, e.msg);
	else if (arca_id_cmp(&in, &id)) {
		arca_id_str(held, &in);
		rc = arca_verify__report(v, ARCA_FINDING_BAD_RECORD, key, NULL,
			NULL, "record '%s' holds %s, not its own id %s", key,
			held, s);
	}
	if (rc < 0)
		return rc;
	if (!strncmp(key, ARCA_KEY_RECORDS "snapshot/", 17))
		return check_snapshot(v, key, &id);
	return check_other(v, key, &id);
}

int arca_verify__records(arca_verify_run *v)
{
	keys k = { 0 };
	int rc;

	if ((rc = list_keys(v, &k, ARCA_KEY_RECORDS)) < 0)
		goto done;
	for (size_t i = 0; i < k.n && rc >= 0; i++) {
		rc = check_record(v, k.v[i]);
		arca_repo_lock_refresh(v->r, NULL);
	}
done:
	keys_dispose(&k);
	return rc < 0 ? rc : 0;
}

/* ------------------------------------------------------------------- refs */

static int check_ref(arca_verify_run *v, const char *key)
{
	arca_error e = ARCA_ERROR_INIT;
	char s[ARCA_ID_STRSZ];
	arca_id id;
	int rc;

	rc = read_id_value(v, &id, key, &e);
	if (rc == ARCA_ENOTFOUND)
		return 0;
	if (rc < 0) {
		if (v->err)
			*v->err = e;
		return rc;
	}
	arca_buf_clear(&v->msg);
	if (arca_verify__quote(&v->msg, key + strlen(ARCA_KEY_REFS)) < 0)
		return oom(v);
	if (rc == 1)
		return arca_verify__report(v, ARCA_FINDING_BAD_REF, key, NULL,
			NULL, "ref '%s' %s", arca_buf_cstr(&v->msg), e.msg);
	if (arca_idset_has(&v->records, &id))
		return 0;
	arca_id_str(s, &id);
	return arca_verify__report(v, ARCA_FINDING_BAD_REF, key, NULL, NULL,
		"ref '%s' points at %s, which is not a record",
		arca_buf_cstr(&v->msg), s);
}

int arca_verify__refs(arca_verify_run *v)
{
	keys k = { 0 };
	int rc;

	if ((rc = list_keys(v, &k, ARCA_KEY_REFS)) < 0)
		goto done;
	for (size_t i = 0; i < k.n && rc >= 0; i++)
		rc = check_ref(v, k.v[i]);
done:
	keys_dispose(&k);
	return rc < 0 ? rc : 0;
}
