/*
 * One ingest pass: checks, stale staging dirs, then each source under its
 * lock — a drop folder's complete items, an archive, a URL fetched
 * conditionally — registering what is new (arca_ingest__register).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include "arca/sign.h"
#include "catalog/cat.h"
#include "ingest/fetch.h"
#include "ingest/ingest.h"
#include "util/fs.h"

static int stopped(arca_ingest__ctx *x)
{
	return x->o->stop && *x->o->stop;
}

static void tick(arca_ingest__ctx *x)
{
	if (x->o->tick)
		x->o->tick(x->o->payload);
}

/* Registers j and reports the outcome. */
static void add_item(arca_ingest__ctx *x, const arca_ingest__job *j)
{
	arca_error err = ARCA_ERROR_INIT;
	arca_dataset_version v;
	int rc;

	if ((rc = arca_ingest__register(x, j, &v, &err)) < 0)
		arca_ingest__report(x, j->s, j->item, ARCA_INGEST_FAILED, rc,
			NULL, err.msg);
	else
		arca_ingest__report(x, j->s, j->item, ARCA_INGEST_ADDED, 0, &v,
			NULL);
}

static void fail(arca_ingest__ctx *x, const arca_ingest_source *s,
	const char *item, int rc, const arca_error *err)
{
	arca_ingest__report(x, s, item, ARCA_INGEST_FAILED, rc, NULL,
		err->msg[0] ? err->msg : arca_error_name(rc));
}

/* ---- folders ----------------------------------------------------------- */

static void folder_item(arca_ingest__ctx *x, const arca_ingest_source *s,
	arca_ingest_item *it)
{
	arca_error err = ARCA_ERROR_INIT;
	arca_ingest__job j;
	json_t *prev = NULL;
	int rc;

	if (it->ready != ARCA_INGEST_READY) {
		arca_ingest__report(x, s, it->name, ARCA_INGEST_SKIPPED, 0,
			NULL, it->why);
		return;
	}
	if ((rc = arca_ingest__last(x, s, it->name, &prev, &err)) < 0) {
		fail(x, s, it->name, rc, &err);
		return;
	}
	if (rc == 1 && json_equal(prev, it->fingerprint)) {
		json_decref(prev);
		arca_ingest__report(x, s, it->name, ARCA_INGEST_UNCHANGED, 0,
			NULL, "already ingested");
		return;
	}
	json_decref(prev);
	memset(&j, 0, sizeof(j));
	j.s = s;
	j.item = it->name;
	j.data = it->path;
	j.fingerprint = it->fingerprint;
	add_item(x, &j);
}

static void run_folder(arca_ingest__ctx *x, const arca_ingest_source *s)
{
	arca_error err = ARCA_ERROR_INIT;
	arca_ingest_item *items = NULL;
	size_t n = 0;
	int rc;

	if ((rc = arca_ingest__folder_scan(&items, &n, s, 0, &err)) < 0) {
		fail(x, s, NULL, rc, &err);
		return;
	}
	if (!n)
		arca_ingest__report(x, s, NULL, ARCA_INGEST_UNCHANGED, 0, NULL,
			"no items in the folder");
	for (size_t i = 0; i < n && !stopped(x); i++) {
		folder_item(x, s, &items[i]);
		tick(x);
	}
	arca_ingest__items_free(items, n);
}

/* ---- archives ---------------------------------------------------------- */

static int64_t ns_of(const struct timespec *t)
{
	return (int64_t)t->tv_sec * 1000000000 + t->tv_nsec;
}

static int64_t now_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_REALTIME, &t);
	return ns_of(&t);
}

/* 1 when prev names the same bytes as the archive now: same size and
 * mtime (not read again), else the same SHA-256 (*hex is then set). */
static int archive_same(json_t *prev, const struct stat *st,
	const char *path, char hex[65], int *hashed, arca_error *err)
{
	json_t *sz = json_object_get(prev, "size"),
		*mt = json_object_get(prev, "mtime_ns");
	const char *sha = json_string_value(json_object_get(prev, "sha256"));
	int rc;

	if (sha && json_integer_value(sz) == (json_int_t)st->st_size &&
		json_integer_value(mt) == (json_int_t)ns_of(&st->st_mtim)) {
		snprintf(hex, 65, "%s", sha);
		return 1;
	}
	if ((rc = arca_ingest__file_sha256(hex, path, err)) < 0)
		return rc;
	*hashed = 1;
	return sha && !strcmp(sha, hex);
}

static void run_archive(arca_ingest__ctx *x, const arca_ingest_source *s)
{
	arca_error err = ARCA_ERROR_INIT;
	const char *item = s->location;
	json_t *prev = NULL, *fp = NULL;
	char hex[65] = "", a[32], b[32];
	int64_t changed, age_ms;
	struct stat st;
	int rc = 0, hashed = 0;
	arca_ingest__job j;

	if (stat(item, &st) < 0)
		rc = arca_error_set_errno(&err, errno == ENOENT ?
			ARCA_ENOTFOUND : ARCA_ERROR, errno, "archive '%s'",
			item);
	else if (!S_ISREG(st.st_mode))
		rc = arca_error_set(&err, ARCA_EINVALID, "archive '%s' is not "
			"a regular file", item);
	if (rc < 0) {
		fail(x, s, item, rc, &err);
		return;
	}
	changed = ns_of(&st.st_ctim); /* see ingest_folder.c changed_ns */
	age_ms = (now_ns() - changed) / 1000000;
	if (s->settle_ms > 0 && age_ms < s->settle_ms) {
		char why[128];
		snprintf(why, sizeof(why), "still changing (changed %s ago, "
			"settle %s)", arca_ingest__duration_str(a, age_ms < 0 ?
			0 : age_ms / 1000 * 1000),
			arca_ingest__duration_str(b, s->settle_ms));
		arca_ingest__report(x, s, item, ARCA_INGEST_SKIPPED, 0, NULL,
			why);
		return;
	}
	if ((rc = arca_ingest__last(x, s, item, &prev, &err)) < 0 ||
		(rc = rc ? archive_same(prev, &st, item, hex, &hashed, &err) :
		0) < 0) {
		json_decref(prev);
		fail(x, s, item, rc, &err);
		return;
	}
	json_decref(prev);
	if (rc == 1) {
		arca_ingest__report(x, s, item, ARCA_INGEST_UNCHANGED, 0, NULL,
			hashed ? "content unchanged" : "already ingested");
		return;
	}
	if (!hashed && (rc = arca_ingest__file_sha256(hex, item, &err)) < 0) {
		fail(x, s, item, rc, &err);
		return;
	}
	if (!(fp = json_pack("{s:I, s:I, s:s}", "size", (json_int_t)st.st_size,
		"mtime_ns", (json_int_t)ns_of(&st.st_mtim), "sha256", hex))) {
		arca_error_set(&err, ARCA_ERROR, "out of memory");
		fail(x, s, item, ARCA_ERROR, &err);
		return;
	}
	memset(&j, 0, sizeof(j));
	j.s = s;
	j.item = item;
	j.data = item;
	j.fingerprint = fp;
	add_item(x, &j);
	json_decref(fp);
}

/* ---- URLs -------------------------------------------------------------- */

static json_t *str_or_null(const char *s)
{
	return s ? json_string(s) : json_null();
}

/* The download has been fetched into data: unchanged, or register it. */
static void url_fetched(arca_ingest__ctx *x, const arca_ingest_source *s,
	const char *dir, const char *data, const arca_fetch_result *res,
	json_t *prev)
{
	const char *prev_sha = json_string_value(json_object_get(prev,
		"sha256"));
	json_t *fp, *fetched;
	arca_ingest__job j;

	if (prev_sha && !strcmp(prev_sha, res->sha256)) {
		arca_ingest__report(x, s, s->url_safe, ARCA_INGEST_UNCHANGED, 0,
			NULL, "content unchanged");
		return;
	}
	fp = json_pack("{s:o, s:o, s:s}", "etag", str_or_null(res->etag),
		"last_modified", str_or_null(res->last_modified),
		"sha256", res->sha256);
	fetched = json_pack("{s:s, s:I, s:I, s:o, s:o, s:s}", "url",
		res->effective_url ? res->effective_url : s->url_safe,
		"status", (json_int_t)res->http_status,
		"bytes", (json_int_t)res->bytes,
		"etag", str_or_null(res->etag),
		"last_modified", str_or_null(res->last_modified),
		"sha256", res->sha256);
	if (!fp || !fetched) {
		arca_ingest__report(x, s, s->url_safe, ARCA_INGEST_FAILED,
			ARCA_ERROR, NULL, "out of memory");
	} else {
		memset(&j, 0, sizeof(j));
		j.s = s;
		j.item = s->url_safe;
		j.data = data;
		j.staging = dir;
		j.fingerprint = fp;
		j.fetched = fetched;
		add_item(x, &j);
	}
	json_decref(fp);
	json_decref(fetched);
}

/* Downloads into a new staging dir: *dir, *data. */
static int url_download(arca_ingest__ctx *x, const arca_ingest_source *s,
	json_t *prev, arca_buf *dir, arca_buf *data, arca_fetch_result *res,
	arca_error *err)
{
	arca_fetch_opts fo;
	char *name;
	int fd, rc;

	if ((rc = arca_ingest__staging_new(dir, x->o->cache_dir, err)) < 0)
		return rc;
	if (!(name = arca_ingest__url_basename(s->url_safe)) ||
		arca_buf_printf(data, "%s/%s", arca_buf_cstr(dir), name) < 0) {
		free(name);
		return arca_error_set(err, ARCA_ERROR, "out of memory");
	}
	free(name);
	if ((fd = open(arca_buf_cstr(data), O_RDWR | O_CREAT | O_EXCL |
		O_CLOEXEC, 0600)) < 0)
		return arca_error_set_errno(err, ARCA_ERROR, errno,
			"cannot create '%s'", arca_buf_cstr(data));
	arca_fetch_opts_init(&fo);
	fo.expected_sha256 = s->sha256;
	rc = arca_fetch_url(s->location, fd, json_string_value(
		json_object_get(prev, "etag")), json_string_value(
		json_object_get(prev, "last_modified")), &fo, res, err);
	close(fd);
	return rc;
}

static void run_url(arca_ingest__ctx *x, const arca_ingest_source *s)
{
	arca_error err = ARCA_ERROR_INIT;
	arca_fetch_result res = ARCA_FETCH_RESULT_INIT;
	arca_buf dir = ARCA_BUF_INIT, data = ARCA_BUF_INIT;
	json_t *prev = NULL;
	int rc;

	if ((rc = arca_ingest__last(x, s, s->url_safe, &prev, &err)) < 0 ||
		(rc = url_download(x, s, prev, &dir, &data, &res, &err)) < 0)
		fail(x, s, s->url_safe, rc, &err);
	else if (res.not_modified)
		arca_ingest__report(x, s, s->url_safe, ARCA_INGEST_UNCHANGED, 0,
			NULL, "not modified (HTTP 304)");
	else
		url_fetched(x, s, arca_buf_cstr(&dir), arca_buf_cstr(&data),
			&res, prev);
	if (dir.len)
		arca_fs_rmtree(arca_buf_cstr(&dir), NULL);
	arca_fetch_result_free(&res);
	arca_buf_dispose(&dir);
	arca_buf_dispose(&data);
	json_decref(prev);
}

/* ---- the pass ---------------------------------------------------------- */

static void run_source(arca_ingest__ctx *x, const arca_ingest_source *s)
{
	arca_error err = ARCA_ERROR_INIT;
	char why[160];
	pid_t holder;
	int fd = -1, rc;

	if ((rc = arca_ingest__lock(&fd, &holder, x->o->cache_dir, s->name,
		&err)) < 0) {
		fail(x, s, NULL, rc, &err);
		return;
	}
	if (rc == 0) {
		if (holder > 0)
			snprintf(why, sizeof(why), "busy: another ingest (pid "
				"%ld) is running this source", (long)holder);
		else
			snprintf(why, sizeof(why), "busy: another ingest is "
				"running this source");
		x->sum.busy++;
		x->busy = 1;
		arca_ingest__report(x, s, NULL, ARCA_INGEST_SKIPPED, 0, NULL,
			why);
		x->busy = 0;
		return;
	}
	switch (s->kind) {
	case ARCA_INGEST_FOLDER: run_folder(x, s); break;
	case ARCA_INGEST_ARCHIVE: run_archive(x, s); break;
	default: run_url(x, s); break;
	}
	arca_ingest__unlock(fd);
}

/* 1 if s is selected by names (NULL: all). */
static int selected(const char *const *names, const arca_ingest_source *s)
{
	for (size_t i = 0; names && names[i]; i++)
		if (!strcmp(names[i], s->name))
			return 1;
	return !names;
}

/* Every name exists, every selected dataset exists. */
static int check(arca_ingest__ctx *x, arca_error *err)
{
	const arca_ingest_config *cfg = x->cfg;
	const char *const *names = x->o->sources;
	char *json = NULL;
	size_t k;
	int rc;

	for (size_t i = 0; names && names[i]; i++) {
		for (k = 0; k < cfg->n && strcmp(cfg->sources[k].name,
			names[i]); k++)
			;
		if (k == cfg->n)
			return arca_error_set(err, ARCA_EINVALID, "no source "
				"named \"%.80s\" in %s", names[i], cfg->path);
	}
	for (k = 0; k < cfg->n; k++) {
		const arca_ingest_source *s = &cfg->sources[k];
		if (!selected(names, s))
			continue;
		rc = arca_catalog_dataset_json(x->c, s->dataset, &json, err);
		free(json);
		json = NULL;
		if (rc == ARCA_ENOTFOUND)
			return arca_error_set(err, ARCA_EINVALID, "%s:%d:%d: "
				"dataset \"%s\" of source \"%s\" does not "
				"exist (create it with 'arca dataset create')",
				cfg->path, s->dataset_line, s->dataset_col,
				s->dataset, s->name);
		if (rc < 0)
			return rc;
	}
	return 0;
}

int arca_ingest_run_once(arca_catalog *c, const arca_ingest_config *cfg,
	const arca_ingest_opts *opts, arca_ingest_summary *sum,
	arca_error *err)
{
	arca_ingest_opts defaults = ARCA_INGEST_OPTS_INIT;
	arca_ingest__ctx x;
	int rc;

	memset(&x, 0, sizeof(x));
	x.c = c;
	x.cfg = cfg;
	x.o = opts ? opts : &defaults;
	/* a repository that requires signatures: refuse before fetching */
	if ((rc = arca_repo_signing_check(c->r, err)) < 0 ||
		(rc = check(&x, err)) < 0)
		return rc;
	if ((rc = arca_ingest__staging_sweep(x.o->cache_dir, err)) < 0)
		return arca_error_prefix(err, "cleaning staging directories");
	for (size_t i = 0; i < cfg->n && !stopped(&x); i++) {
		if (!selected(x.o->sources, &cfg->sources[i]))
			continue;
		run_source(&x, &cfg->sources[i]);
		tick(&x);
	}
	if (sum)
		*sum = x.sum;
	return 0;
}
