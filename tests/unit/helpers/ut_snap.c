/* See ut_snap.h. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <archive.h>
#include <archive_entry.h>
#include "testutil.h"
#include "ut_snap.h"
#include "ut_files.h"
#include "repo_fixture.h"
#include <sys/stat.h>

static char *xstrdup(const char *s)
{
	char *p = strdup(s ? s : "");

	if (!p)
		fail_msg("out of memory");
	return p;
}

int ut_ents_cb(const arca_entry *e, void *payload)
{
	ut_ents *es = payload;
	ut_ent *x;

	if (es->n == UT_ENTS_MAX)
		fail_msg("too many entries");
	x = &es->v[es->n++];
	memset(x, 0, sizeof(*x));
	x->path = xstrdup(e->path);
	x->type = e->type;
	x->mode = e->mode;
	x->mtime_ns = e->mtime_ns;
	x->size = e->size;
	x->nchunks = e->nchunks;
	if (e->nchunks) {
		if (!(x->chunks = malloc(e->nchunks * sizeof(arca_id))))
			fail_msg("out of memory");
		memcpy(x->chunks, e->chunks, e->nchunks * sizeof(arca_id));
	}
	if (e->tree)
		x->tree = *e->tree;
	if (e->target)
		x->target = xstrdup(e->target);
	return es->stop_after && es->n == es->stop_after ? 99 : 0;
}

void ut_walk(ut_ents *es, arca_repo *r, const arca_id *snapshot,
	const char *subpath, int recursive)
{
	arca_error err = ARCA_ERROR_INIT;

	ut_ents_clear(es);
	if (arca_snapshot_walk(r, snapshot, subpath, recursive, ut_ents_cb, es,
		&err) != 0)
		fail_msg("walk '%s': %s", subpath ? subpath : "", err.msg);
}

const ut_ent *ut_ents_find(const ut_ents *es, const char *path)
{
	for (size_t i = 0; i < es->n; i++)
		if (!strcmp(es->v[i].path, path))
			return &es->v[i];
	return NULL;
}

void ut_ents_clear(ut_ents *es)
{
	for (size_t i = 0; i < es->n; i++) {
		free(es->v[i].path);
		free(es->v[i].chunks);
		free(es->v[i].target);
	}
	es->n = 0;
}

int ut_content_check(arca_repo *r, const ut_ent *e, char *msg, size_t n)
{
	arca_error err = ARCA_ERROR_INIT;

	for (size_t i = 0; i < e->nchunks; i++) {
		unsigned char *data = NULL;
		size_t len;
		int rc = arca_repo_object_read(r, &data, &len, &e->chunks[i],
			&err);
		free(data);
		if (rc < 0) {
			snprintf(msg, n, "%s: chunk %zu: %s", e->path, i,
				err.msg);
			return rc;
		}
	}
	return 0;
}

unsigned char *ut_content(arca_repo *r, const ut_ent *e)
{
	arca_error err = ARCA_ERROR_INIT;
	unsigned char *out = malloc(e->size + 1);
	size_t off = 0;

	if (!out)
		fail_msg("out of memory");
	for (size_t i = 0; i < e->nchunks; i++) {
		unsigned char *data = NULL;
		size_t len;
		if (arca_repo_object_read(r, &data, &len, &e->chunks[i],
			&err) < 0)
			fail_msg("%s: chunk %zu: %s", e->path, i, err.msg);
		if (off + len > e->size)
			fail_msg("%s: chunks exceed size %llu", e->path,
				(unsigned long long)e->size);
		memcpy(out + off, data, len);
		off += len;
		free(data);
	}
	if (off != e->size)
		fail_msg("%s: chunks hold %zu bytes, size is %llu", e->path,
			off, (unsigned long long)e->size);
	out[off] = '\0';
	return out;
}

void ut_warn_cb(const char *path, const char *msg, void *payload)
{
	ut_warns *w = payload;

	if (w->n < UT_WARNS_MAX)
		snprintf(w->v[w->n], sizeof(w->v[0]), "%s: %s", path, msg);
	w->n++;
}

size_t ut_warns_count(const ut_warns *w, const char *a, const char *b)
{
	size_t n = 0;

	for (size_t i = 0; i < w->n && i < UT_WARNS_MAX; i++)
		if (strstr(w->v[i], a) && (!b || strstr(w->v[i], b)))
			n++;
	return n;
}

void ut_write_archive(const char *path, int zip, const ut_ae *v, size_t n)
{
	struct archive *a = archive_write_new();
	struct archive_entry *e;

	if (!a)
		fail_msg("archive_write_new");
	if (zip ? archive_write_set_format_zip(a) :
		(archive_write_add_filter_gzip(a) ||
		archive_write_set_format_pax_restricted(a)))
		fail_msg("archive format: %s", archive_error_string(a));
	if (archive_write_open_filename(a, path) != ARCHIVE_OK)
		fail_msg("archive open: %s", archive_error_string(a));
	for (size_t i = 0; i < n; i++) {
		if (!(e = archive_entry_new()))
			fail_msg("archive_entry_new");
		archive_entry_set_pathname(e, v[i].path);
		archive_entry_set_mtime(e, 1700000000 + (time_t)i, 0);
		archive_entry_set_perm(e, v[i].mode);
		switch (v[i].kind) {
		case UT_AE_DIR:
			archive_entry_set_filetype(e, AE_IFDIR);
			break;
		case UT_AE_FILE:
			archive_entry_set_filetype(e, AE_IFREG);
			archive_entry_set_size(e, (la_int64_t)v[i].len);
			break;
		case UT_AE_LINK:
			archive_entry_set_filetype(e, AE_IFLNK);
			archive_entry_set_symlink(e, v[i].target);
			break;
		case UT_AE_HARD:
			archive_entry_set_filetype(e, AE_IFREG);
			archive_entry_set_hardlink(e, v[i].target);
			archive_entry_set_size(e, 0);
			break;
		}
		if (archive_write_header(a, e) < ARCHIVE_WARN)
			fail_msg("archive header '%s': %s", v[i].path,
				archive_error_string(a));
		if (v[i].kind == UT_AE_FILE && v[i].len &&
			archive_write_data(a, v[i].data, v[i].len) !=
			(la_ssize_t)v[i].len)
			fail_msg("archive data '%s': %s", v[i].path,
				archive_error_string(a));
		archive_entry_free(e);
	}
	if (archive_write_close(a) != ARCHIVE_OK)
		fail_msg("archive close: %s", archive_error_string(a));
	archive_write_free(a);
}

size_t ut_nsnapshots(arca_repo *r)
{
	arca_error err = ARCA_ERROR_INIT;
	arca_snapshot_info *v = NULL;
	size_t n = 0;

	if (arca_snapshot_list(&v, &n, r, &err) < 0)
		fail_msg("list: %s", err.msg);
	arca_snapshot_info_free(v, n);
	return n;
}

int ut_diff_cb(arca_change ch, const arca_entry *old_e,
	const arca_entry *new_e, void *payload)
{
	ut_changes *c = payload;
	ut_change *x = &c->v[c->n < UT_CHANGES_MAX ? c->n : UT_CHANGES_MAX - 1];
	const arca_entry *e = old_e ? old_e : new_e;

	c->n++;
	x->ch = ch;
	snprintf(x->path, sizeof(x->path), "%s", e ? e->path : "(none)");
	x->has_old = old_e != NULL;
	x->has_new = new_e != NULL;
	return 0;
}

void ut_expect_change(const ut_changes *c, size_t i, arca_change ch,
	const char *path)
{
	static const char *names[] = { "?", "added", "removed", "modified",
		"mode" };
	const ut_change *x = &c->v[i];

	if (i >= c->n || x->ch != ch || strcmp(x->path, path))
		fail_msg("change %zu: want %s '%s', got %s '%s'", i, names[ch],
			path, i < c->n && x->ch <= 4 ? names[x->ch] : "(none)",
			i < c->n ? x->path : "");
	if (x->has_old != (ch != ARCA_CHANGE_ADDED) ||
		x->has_new != (ch != ARCA_CHANGE_REMOVED))
		fail_msg("change %zu '%s': old/new entries %d/%d", i, path,
			x->has_old, x->has_new);
}

int ut_sfx_setup(void **state)
{
	ut_sfx *f = calloc(1, sizeof(*f));

	if (!f)
		return -1;
	f->r = tu_repo_new(&f->dir);
	f->repo = ut_fmt("%s/repo", f->dir);
	f->src = ut_fmt("%s/src", f->dir);
	f->cache = ut_fmt("%s/cache", f->dir);
	ut_mkdir(f->src, 0755);
	*state = f;
	return 0;
}

int ut_sfx_teardown(void **state)
{
	ut_sfx *f = *state;

	ut_ents_clear(&f->ents);
	arca_repo_free(f->r);
	free(f->repo);
	free(f->src);
	free(f->cache);
	tu_rmtree(f->dir);
	free(f);
	return 0;
}

arca_snapshot_opts ut_sfx_opts(ut_sfx *f)
{
	arca_snapshot_opts o = ARCA_SNAPSHOT_OPTS_INIT;

	o.threads = 2;
	o.cache_dir = f->cache;
	o.warn = ut_warn_cb;
	o.payload = &f->warns;
	return o;
}

arca_id ut_sfx_snap(ut_sfx *f, const char *path,
	const arca_snapshot_opts *o, arca_snapshot_stats *st)
{
	arca_snapshot_opts def = ut_sfx_opts(f);
	arca_error err = ARCA_ERROR_INIT;
	arca_snapshot_stats local;
	arca_id id;

	if (arca_snapshot_create(&id, st ? st : &local, f->r, path,
		o ? o : &def, &err) < 0)
		fail_msg("snapshot '%s': %s", path, err.msg);
	return id;
}

void ut_sfx_put(ut_sfx *f, const char *rel, const void *data, size_t len,
	unsigned mode)
{
	char *p = ut_fmt("%s/%s", f->src, rel);

	ut_write_file(p, data, len);
	if (chmod(p, mode) < 0)
		fail_msg("chmod '%s'", p);
	free(p);
}

void ut_sfx_mkdir(ut_sfx *f, const char *rel, unsigned mode)
{
	char *p = ut_fmt("%s/%s", f->src, rel);

	ut_mkdir(p, mode);
	free(p);
}

void ut_sfx_rm(ut_sfx *f, const char *rel)
{
	char *p = ut_fmt("%s/%s", f->src, rel);

	if (remove(p) < 0)
		fail_msg("remove '%s'", p);
	free(p);
}

int64_t ut_sfx_mtime(ut_sfx *f, const char *rel)
{
	char *p = ut_fmt("%s/%s", f->src, rel);
	int64_t t = ut_mtime_ns(p);

	free(p);
	return t;
}

void *ut_writer_main(void *arg)
{
	ut_writer *w = arg;
	arca_error err = ARCA_ERROR_INIT;
	arca_snapshot_opts o = ARCA_SNAPSHOT_OPTS_INIT;
	arca_repo *r = NULL;

	o.threads = 2;
	o.cache_dir = w->cache;
	if (w->start)
		pthread_barrier_wait(w->start);
	if ((w->rc = arca_repo_open(&r, w->repo, &err)) == 0 &&
		(w->rc = arca_repo_lock(r, 0, &err)) == 0)
		w->rc = arca_snapshot_create(&w->id, NULL, r, w->src, &o,
			&err);
	snprintf(w->msg, sizeof(w->msg), "%s", err.msg);
	arca_repo_free(r);
	return NULL;
}
