/*
 * Snapshot source: an archive (tar, tar.gz, tar.zst, zip, 7z, ...) read in
 * place through libarchive, never unpacked to disk. Entries come in any
 * order, so directories are kept (metadata only) until the end. Names are
 * recorded as the archive has them: a name that could escape a restore
 * target ("..", absolute) is kept and warned about, and restore refuses it.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <archive.h>
#include <archive_entry.h>
#include "snapshot/snap.h"

typedef struct anode {
	arca_node node;
	struct anode **kids;
	size_t nkids, cap;
} anode;

static const char *const suffixes[] = {
	".tar", ".tar.gz", ".tgz", ".tar.bz2", ".tbz2", ".tar.xz", ".txz",
	".tar.zst", ".tzst", ".tar.lz4", ".zip", ".7z", ".cpio", ".iso",
	".ar", ".xar", ".cab", ".rar", NULL
};

int arca_snapshot_is_archive_name(const char *path)
{
	size_t n = strlen(path);

	for (int i = 0; suffixes[i]; i++) {
		size_t k = strlen(suffixes[i]);
		if (n > k && !strcasecmp(path + n - k, suffixes[i]))
			return 1;
	}
	return 0;
}

static void anode_free(anode *a)
{
	if (!a)
		return;
	for (size_t i = 0; i < a->nkids; i++)
		anode_free(a->kids[i]);
	free(a->kids);
	arca_node_dispose(&a->node);
	free(a);
}

static anode *anode_new(const char *name, size_t len, arca_entry_type t)
{
	anode *a = calloc(1, sizeof(*a));

	if (!a || !(a->node.name = strndup(name, len))) {
		free(a);
		return NULL;
	}
	a->node.name_len = len;
	a->node.type = t;
	a->node.mode = t == ARCA_ENTRY_DIR ? 0755 : 0644;
	return a;
}

/* The child of dir called name with type t; created when missing (an
 * entry of another type with the same name stays: restore refuses the
 * pair). */
static anode *child(anode *dir, const char *name, size_t len,
	arca_entry_type t, int *created)
{
	anode *a;

	*created = 0;
	for (size_t i = 0; i < dir->nkids; i++) {
		a = dir->kids[i];
		if (a->node.type == t && a->node.name_len == len &&
			!memcmp(a->node.name, name, len))
			return a;
	}
	if (dir->nkids == dir->cap) {
		size_t cap = dir->cap ? dir->cap * 2 : 8;
		anode **v = realloc(dir->kids, cap * sizeof(*v));
		if (!v) {
			*created = -1;
			return NULL;
		}
		dir->kids = v;
		dir->cap = cap;
	}
	if (!(a = anode_new(name, len, t))) {
		*created = -1;
		return NULL;
	}
	dir->kids[dir->nkids++] = a;
	*created = 1;
	return a;
}

/* Splits an archive path into components: empty and "." components are
 * dropped, ".." is kept, a leading '/' becomes a component "/". Returns
 * the node for the entry, creating parents as directories. */
static anode *place(arca_snap *s, anode *root, const char *path,
	arca_entry_type t, int *created, int *unsafe)
{
	anode *dir = root;
	const char *p = path;

	*created = 0;
	*unsafe = 0;
	if (*p == '/') {
		*unsafe = 1;
		if (!(dir = child(dir, "/", 1, ARCA_ENTRY_DIR, created)))
			return NULL;
		if (*created)
			s->st.dirs++;
	}
	for (;;) {
		while (*p == '/')
			p++;
		const char *end = strchr(p, '/');
		size_t len = end ? (size_t)(end - p) : strlen(p);
		int last = !end || !end[strspn(end, "/")];
		if (len == 1 && *p == '.') {
			if (last)
				return dir == root ? NULL : dir;
			p = end;
			continue;
		}
		if (len == 2 && p[0] == '.' && p[1] == '.')
			*unsafe = 1;
		if (last)
			return len ? child(dir, p, len, t, created) : dir;
		if (!(dir = child(dir, p, len, ARCA_ENTRY_DIR, created)))
			return NULL;
		if (*created)
			s->st.dirs++;
		p = end;
	}
}

static ssize_t ar_read(void *src, void *buf, size_t len)
{
	la_ssize_t n = archive_read_data(src, buf, len);

	if (n < 0) {
		errno = EIO;
		return -1;
	}
	return (ssize_t)n;
}

static arca_entry_type entry_type(struct archive_entry *e)
{
	switch (archive_entry_filetype(e)) {
	case AE_IFREG: return ARCA_ENTRY_FILE;
	case AE_IFDIR: return ARCA_ENTRY_DIR;
	case AE_IFLNK: return ARCA_ENTRY_SYMLINK;
	default: return 0;
	}
}

static int set_link(arca_node *n, const char *target)
{
	free(n->target);
	if (!(n->target = strdup(target ? target : "")))
		return ARCA_ERROR;
	n->target_len = strlen(n->target);
	return 0;
}

/* A hard link entry has no data: it shares the content of its target. */
static int hardlink(arca_snap *s, anode *root, arca_node *n,
	const char *target, const char *path)
{
	int created, unsafe;
	anode *t = place(s, root, target, ARCA_ENTRY_FILE, &created, &unsafe);

	if (!t || created || !t->node.nchunks) {
		if (t && !t->node.nchunks && !created)
			return 0; /* target is empty: so is the link */
		return arca_error_set(s->err, ARCA_EINVALID,
			"archive entry '%s' is a hard link to '%s', which the "
			"archive does not hold before it", path, target);
	}
	free(n->chunks);
	if (!(n->chunks = malloc(t->node.nchunks * sizeof(arca_id))))
		return ARCA_ERROR;
	memcpy(n->chunks, t->node.chunks, t->node.nchunks * sizeof(arca_id));
	n->nchunks = t->node.nchunks;
	n->size = t->node.size;
	return 0;
}

static int add_entry(arca_snap *s, anode *root, struct archive *a,
	struct archive_entry *e)
{
	const char *path = archive_entry_pathname(e);
	arca_entry_type t = entry_type(e);
	int created, unsafe, rc = 0;
	anode *an;

	if (!path)
		path = archive_entry_pathname_utf8(e);
	if (!path || !*path) {
		arca_snap__warn(s, "?", "skipped: archive entry without a name");
		s->st.skipped++;
		return 0;
	}
	/* A hard link's own file type may be unset: it has its target's. */
	if (archive_entry_hardlink(e))
		t = ARCA_ENTRY_FILE;
	if (!t) {
		arca_snap__warn(s, path, "skipped: not a regular file, "
			"directory or symlink");
		s->st.skipped++;
		return 0;
	}
	if (!(an = place(s, root, path, t, &created, &unsafe)))
		return created < 0 ? arca_error_set(s->err, ARCA_ERROR,
			"out of memory") : 0;
	if (unsafe)
		arca_snap__warn(s, path, "unsafe name recorded as-is; restore "
			"will refuse it");
	an->node.mode = archive_entry_perm(e) & 07777;
	an->node.mtime_ns = (int64_t)archive_entry_mtime(e) * 1000000000 +
		archive_entry_mtime_nsec(e);
	if (t == ARCA_ENTRY_DIR) {
		if (created)
			s->st.dirs++;
		return 0;
	}
	if (t == ARCA_ENTRY_SYMLINK) {
		s->st.symlinks += created;
		return set_link(&an->node, archive_entry_symlink(e)) < 0 ?
			arca_error_set(s->err, ARCA_ERROR, "out of memory") : 0;
	}
	if (created)
		s->st.files++;
	else
		s->st.bytes -= an->node.size; /* replaced by a later entry */
	if (archive_entry_hardlink(e))
		rc = hardlink(s, root, &an->node, archive_entry_hardlink(e),
			path);
	else
		rc = arca_snap__ingest(s, &an->node, ar_read, a,
			archive_entry_size_is_set(e) ?
			(uint64_t)archive_entry_size(e) : UINT64_MAX, path);
	s->st.bytes += an->node.size;
	return rc < 0 ? rc : arca_snap__tick(s);
}

/* Stores the trees bottom-up; dir->node.tree gets each id. */
static int finish(arca_snap *s, anode *dir, arca_id *id)
{
	arca_node *v = NULL;
	int rc = 0;

	if (dir->nkids && !(v = calloc(dir->nkids, sizeof(*v))))
		return arca_error_set(s->err, ARCA_ERROR, "out of memory");
	for (size_t i = 0; i < dir->nkids && rc == 0; i++) {
		anode *k = dir->kids[i];
		if (k->node.type == ARCA_ENTRY_DIR)
			rc = finish(s, k, &k->node.tree);
		v[i] = k->node; /* shallow: the anodes keep ownership */
	}
	if (rc == 0)
		rc = arca_snap__put_tree(s, id, v, dir->nkids);
	free(v);
	return rc;
}

int arca_snap__archive(arca_snap *s, arca_id *root_id, const char *path,
	char format[64])
{
	struct archive *a = archive_read_new();
	struct archive_entry *e;
	anode *root = anode_new("", 0, ARCA_ENTRY_DIR);
	int rc = 0, r;

	if (!a || !root) {
		rc = arca_error_set(s->err, ARCA_ERROR, "out of memory");
		goto done;
	}
	archive_read_support_filter_all(a);
	archive_read_support_format_all(a);
	if (archive_read_open_filename(a, path, 1 << 16) != ARCHIVE_OK) {
		rc = arca_error_set(s->err, ARCA_EINVALID,
			"cannot read archive '%s': %s", path,
			archive_error_string(a));
		goto done;
	}
	s->st.dirs++;
	while ((r = archive_read_next_header(a, &e)) == ARCHIVE_OK ||
		r == ARCHIVE_WARN) {
		if ((rc = add_entry(s, root, a, e)) < 0)
			goto done;
	}
	if (r != ARCHIVE_EOF) {
		rc = arca_error_set(s->err, ARCA_EINVALID,
			"archive '%s' is damaged: %s", path,
			archive_error_string(a));
		goto done;
	}
	snprintf(format, 64, "%s", archive_format_name(a) ?
		archive_format_name(a) : "archive");
	rc = finish(s, root, root_id);
done:
	if (rc < 0 && a && archive_error_string(a) && s->err &&
		strstr(s->err->msg, "cannot read '"))
		arca_error_prefix(s->err, "archive '%s'", path);
	anode_free(root);
	if (a)
		archive_read_free(a);
	return rc;
}
