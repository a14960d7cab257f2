/*
 * Drop folders: which top-level entries are items, whether each is
 * complete (marker file, settle time), and fingerprints that tell a
 * changed item from one already ingested without reading its content.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include "hash/sha256.h"
#include "ingest/ingest.h"
#include "util/json.h"
#include "util/utf8.h"

static int64_t ts_ns(const struct timespec *t)
{
	return (int64_t)t->tv_sec * 1000000000 + t->tv_nsec;
}

/* When an entry last changed: its ctime, which moves on every change,
 * even one that sets an old mtime back (cp -p, rsync -t, touch -d), and
 * which, unlike the mtime, cannot be set to the future. */
static int64_t changed_ns(const struct stat *st)
{
	return ts_ns(&st->st_ctim);
}

/* ---- fingerprints ------------------------------------------------------ */

typedef struct entry {
	char *rel;
	char type;            /* 'f', 'd', 'l', 'o' */
	int64_t size, mtime_ns;
} entry;

typedef struct walk {
	entry *v;
	size_t n, cap;
	int64_t newest, files, bytes;
} walk;

static int walk_add(walk *w, const char *rel, const struct stat *st)
{
	entry *e;

	if (w->n == w->cap) {
		size_t cap = w->cap ? w->cap * 2 : 64;
		entry *v = realloc(w->v, cap * sizeof(*v));
		if (!v)
			return -1;
		w->v = v;
		w->cap = cap;
	}
	e = &w->v[w->n];
	if (!(e->rel = strdup(rel)))
		return -1;
	e->type = S_ISREG(st->st_mode) ? 'f' : S_ISDIR(st->st_mode) ? 'd' :
		S_ISLNK(st->st_mode) ? 'l' : 'o';
	e->size = S_ISDIR(st->st_mode) ? 0 : (int64_t)st->st_size;
	e->mtime_ns = ts_ns(&st->st_mtim);
	w->n++;
	if (changed_ns(st) > w->newest)
		w->newest = changed_ns(st);
	if (S_ISREG(st->st_mode)) {
		w->files++;
		w->bytes += (int64_t)st->st_size;
	}
	return 0;
}

/* Everything below the directory dirfd (relative names under prefix). */
static int walk_dir(walk *w, int dirfd_, const char *prefix,
	const char *skip, const char *top, int depth, arca_error *err)
{
	DIR *d;
	struct dirent *de;
	int rc = 0;

	if (depth > 256)
		return arca_error_set(err, ARCA_EINVALID, "'%s': directories "
			"nested too deep", top);
	if (!(d = fdopendir(dirfd_))) {
		close(dirfd_);
		return arca_error_set_errno(err, ARCA_ERROR, errno,
			"cannot list '%s/%s'", top, prefix);
	}
	while (rc == 0 && (errno = 0, de = readdir(d))) {
		char rel[PATH_MAX];
		struct stat st;
		int sub;

		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, "..") ||
			(skip && !*prefix && !strcmp(de->d_name, skip)))
			continue;
		snprintf(rel, sizeof(rel), "%s%s%s", prefix, *prefix ? "/" : "",
			de->d_name);
		if (fstatat(dirfd(d), de->d_name, &st,
			AT_SYMLINK_NOFOLLOW) < 0) {
			rc = arca_error_set_errno(err, ARCA_ERROR, errno,
				"cannot stat '%s/%s'", top, rel);
			break;
		}
		if (walk_add(w, rel, &st) < 0) {
			rc = arca_error_set(err, ARCA_ERROR, "out of memory");
			break;
		}
		if (!S_ISDIR(st.st_mode))
			continue;
		if ((sub = openat(dirfd(d), de->d_name, O_RDONLY | O_DIRECTORY |
			O_NOFOLLOW | O_CLOEXEC)) < 0) {
			rc = arca_error_set_errno(err, ARCA_ERROR, errno,
				"cannot open '%s/%s'", top, rel);
			break;
		}
		rc = walk_dir(w, sub, rel, skip, top, depth + 1, err);
	}
	if (rc == 0 && errno)
		rc = arca_error_set_errno(err, ARCA_ERROR, errno,
			"cannot list '%s'", top);
	closedir(d);
	return rc;
}

static int cmp_entry(const void *a, const void *b)
{
	return strcmp(((const entry *)a)->rel, ((const entry *)b)->rel);
}

/* The tree digest of the sorted entries: one "type size mtime_ns path\0"
 * line each. */
static int tree_digest(arca_id *out, walk *w, arca_error *err)
{
	arca_sha256_ctx *c = NULL;
	char line[96];
	int rc;

	if (w->n)
		qsort(w->v, w->n, sizeof(*w->v), cmp_entry);
	if ((rc = arca_sha256_new(&c, err)) < 0)
		return rc;
	for (size_t i = 0; rc == 0 && i < w->n; i++) {
		int n = snprintf(line, sizeof(line), "%c %lld %lld ",
			w->v[i].type, (long long)w->v[i].size,
			(long long)w->v[i].mtime_ns);
		if ((rc = arca_sha256_update(c, line, (size_t)n, err)) == 0)
			rc = arca_sha256_update(c, w->v[i].rel,
				strlen(w->v[i].rel) + 1, err);
	}
	if (rc == 0)
		rc = arca_sha256_final(c, out, err);
	arca_sha256_free(c);
	return rc;
}

/* The digest is bare hex: a "sha256:<hex>" string in a record would be
 * taken for the id of an object (by verify, among others). */
static json_t *dir_json(walk *w, const arca_id *tree)
{
	char hex[ARCA_ID_HEXSZ + 1];

	arca_id_hex(hex, tree);
	return json_pack("{s:s, s:I, s:I, s:s}", "type", "dir",
		"files", (json_int_t)w->files, "bytes", (json_int_t)w->bytes,
		"tree", hex);
}

int arca_ingest__fingerprint(json_t **out, int64_t *newest,
	const char *path, const char *skip_name, arca_error *err)
{
	walk w;
	struct stat st;
	arca_id tree;
	json_t *j = NULL;
	int fd, rc = 0;

	memset(&w, 0, sizeof(w));
	if (lstat(path, &st) < 0)
		return arca_error_set_errno(err, errno == ENOENT ?
			ARCA_ENOTFOUND : ARCA_ERROR, errno, "cannot stat '%s'",
			path);
	w.newest = changed_ns(&st);
	if (!S_ISDIR(st.st_mode)) {
		j = json_pack("{s:s, s:I, s:I}", "type", "file", "size",
			(json_int_t)st.st_size, "mtime_ns",
			(json_int_t)ts_ns(&st.st_mtim));
		goto done;
	}
	if ((fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
		O_CLOEXEC)) < 0)
		return arca_error_set_errno(err, ARCA_ERROR, errno,
			"cannot open '%s'", path);
	if ((rc = walk_dir(&w, fd, "", skip_name, path, 0, err)) == 0 &&
		(rc = tree_digest(&tree, &w, err)) == 0)
		j = dir_json(&w, &tree);
done:
	for (size_t i = 0; i < w.n; i++)
		free(w.v[i].rel);
	free(w.v);
	if (rc < 0)
		return rc;
	if (!j)
		return arca_error_set(err, ARCA_ERROR, "out of memory");
	*out = j;
	*newest = w.newest;
	return 0;
}

int arca_ingest__file_sha256(char hex[65], const char *path,
	arca_error *err)
{
	arca_sha256_ctx *c = NULL;
	char buf[1 << 16];
	arca_id id;
	ssize_t r;
	int fd, rc;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return arca_error_set_errno(err, errno == ENOENT ?
			ARCA_ENOTFOUND : ARCA_ERROR, errno, "cannot open '%s'",
			path);
	if ((rc = arca_sha256_new(&c, err)) < 0)
		goto done;
	while ((r = read(fd, buf, sizeof(buf))) != 0) {
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			rc = arca_error_set_errno(err, ARCA_ERROR, errno,
				"cannot read '%s'", path);
			goto done;
		}
		if ((rc = arca_sha256_update(c, buf, (size_t)r, err)) < 0)
			goto done;
	}
	if ((rc = arca_sha256_final(c, &id, err)) == 0)
		arca_id_hex(hex, &id);
done:
	arca_sha256_free(c);
	close(fd);
	return rc;
}

/* ---- items ------------------------------------------------------------- */

static int ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), k = strlen(suffix);

	return n >= k && !strcmp(s + n - k, suffix);
}

/* 0 for a name that is never an item: dotfiles, temporary names, marker
 * files, names no include pattern matches. */
static int is_candidate(const arca_ingest_source *s, const char *name)
{
	size_t i;

	if (name[0] == '.' || ends_with(name, ".tmp") ||
		ends_with(name, ".part") ||
		(s->marker && ends_with(name, s->marker)))
		return 0;
	for (i = 0; i < s->ninclude; i++)
		if (fnmatch(s->include[i], name, FNM_PERIOD) == 0)
			break;
	return !s->ninclude || i < s->ninclude;
}

static int has_marker(int dir, const arca_ingest_item *it, const char *marker)
{
	char name[NAME_MAX + 1];
	struct stat st;

	if (snprintf(name, sizeof(name), "%s%s", it->name, marker) <
		(int)sizeof(name) && fstatat(dir, name, &st, 0) == 0)
		return 1;
	if (!it->is_dir)
		return 0;
	if (snprintf(name, sizeof(name), "%s/%s", it->name, marker) >=
		(int)sizeof(name))
		return 0;
	return fstatat(dir, name, &st, AT_SYMLINK_NOFOLLOW) == 0;
}

/* Decides whether it is READY and, if so, fingerprints it. */
static int classify(arca_ingest_item *it, int dir, const struct stat *st,
	const arca_ingest_source *s, int64_t now_ns, arca_error *err)
{
	int64_t newest, age_ms;
	json_t *fp = NULL;
	char a[32], b[32];
	int rc;

	if (!arca_utf8_valid(it->name, strlen(it->name))) {
		it->ready = ARCA_INGEST_IGNORED;
		snprintf(it->why, sizeof(it->why), "name is not valid UTF-8");
		return 0;
	}
	if (!S_ISREG(st->st_mode) && !S_ISDIR(st->st_mode)) {
		it->ready = ARCA_INGEST_IGNORED;
		snprintf(it->why, sizeof(it->why), "not a regular file or "
			"directory%s", S_ISLNK(st->st_mode) ?
			" (symbolic links are not followed)" : "");
		return 0;
	}
	if (s->marker && !has_marker(dir, it, s->marker)) {
		it->ready = ARCA_INGEST_PENDING;
		snprintf(it->why, sizeof(it->why), "waiting for its marker "
			"%s%s", it->is_dir ? "file inside it, " : "",
			s->marker);
		return 0;
	}
	if ((rc = arca_ingest__fingerprint(&fp, &newest, it->path,
		it->is_dir ? s->marker : NULL, err)) == ARCA_ENOTFOUND) {
		it->ready = ARCA_INGEST_IGNORED;
		snprintf(it->why, sizeof(it->why), "disappeared while being "
			"looked at");
		return 0;
	}
	if (rc < 0)
		return rc;
	age_ms = (now_ns - newest) / 1000000;
	if (s->settle_ms > 0 && age_ms < s->settle_ms) {
		json_decref(fp);
		it->ready = ARCA_INGEST_PENDING;
		snprintf(it->why, sizeof(it->why), "still changing (changed "
			"%s ago, settle %s)", arca_ingest__duration_str(a,
			age_ms < 0 ? 0 : age_ms / 1000 * 1000),
			arca_ingest__duration_str(b, s->settle_ms));
		return 0;
	}
	it->ready = ARCA_INGEST_READY;
	it->fingerprint = fp;
	return 0;
}

void arca_ingest__items_free(arca_ingest_item *items, size_t n)
{
	for (size_t i = 0; items && i < n; i++) {
		free(items[i].name);
		free(items[i].path);
		json_decref(items[i].fingerprint);
	}
	free(items);
}

static int cmp_item(const void *a, const void *b)
{
	return strcmp(((const arca_ingest_item *)a)->name,
		((const arca_ingest_item *)b)->name);
}

/* Appends the candidate entries of d to *items (unclassified). */
static int list_items(arca_ingest_item **items, size_t *n, DIR *d,
	const arca_ingest_source *s, arca_error *err)
{
	struct dirent *de;
	size_t cap = 0, len;

	while ((errno = 0, de = readdir(d))) {
		arca_ingest_item *it;
		if (!is_candidate(s, de->d_name))
			continue;
		if (*n == cap) {
			size_t c = cap ? cap * 2 : 16;
			arca_ingest_item *v = realloc(*items, c * sizeof(*v));
			if (!v)
				return arca_error_set(err, ARCA_ERROR,
					"out of memory");
			*items = v;
			cap = c;
		}
		it = &(*items)[(*n)++];
		memset(it, 0, sizeof(*it));
		len = strlen(s->location) + strlen(de->d_name) + 2;
		if (!(it->name = strdup(de->d_name)) ||
			!(it->path = malloc(len)))
			return arca_error_set(err, ARCA_ERROR, "out of memory");
		snprintf(it->path, len, "%s/%s", s->location, de->d_name);
	}
	if (errno)
		return arca_error_set_errno(err, ARCA_ERROR, errno,
			"cannot list '%s'", s->location);
	return 0;
}

int arca_ingest__folder_scan(arca_ingest_item **out, size_t *nout,
	const arca_ingest_source *s, int64_t now_ns, arca_error *err)
{
	arca_ingest_item *items = NULL;
	size_t n = 0;
	DIR *d;
	int rc;

	if (!now_ns) {
		struct timespec t;
		clock_gettime(CLOCK_REALTIME, &t);
		now_ns = ts_ns(&t);
	}
	if (!(d = opendir(s->location)))
		return arca_error_set_errno(err, errno == ENOENT ?
			ARCA_ENOTFOUND : ARCA_ERROR, errno,
			"cannot list folder '%s'", s->location);
	if ((rc = list_items(&items, &n, d, s, err)) < 0)
		goto done;
	if (n)
		qsort(items, n, sizeof(*items), cmp_item);
	for (size_t i = 0; i < n && rc == 0; i++) {
		struct stat st;
		if (fstatat(dirfd(d), items[i].name, &st,
			AT_SYMLINK_NOFOLLOW) < 0) {
			/* gone since it was listed: not an item any more */
			items[i].ready = ARCA_INGEST_IGNORED;
			snprintf(items[i].why, sizeof(items[i].why),
				"disappeared while being looked at");
			continue;
		}
		items[i].is_dir = S_ISDIR(st.st_mode);
		rc = classify(&items[i], dirfd(d), &st, s, now_ns, err);
	}
done:
	closedir(d);
	if (rc < 0) {
		arca_ingest__items_free(items, n);
		return rc;
	}
	*out = items;
	*nout = n;
	return 0;
}
