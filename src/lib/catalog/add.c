/*
 * arca dataset add: validate, snapshot, measure, compare, record.
 *
 * Tabular data is validated and measured first, so invalid data is
 * refused before anything is written. Then the snapshot (its own
 * objects -> record), the statistics and drift report objects, the
 * version record, and last the ref that claims the version number,
 * created only if absent: two concurrent adds cannot both be NAME@4;
 * the loser measures drift against the winner and claims the next.
 */
#include <archive.h>
#include <archive_entry.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "arca/sign.h"
#include "catalog/cat.h"
#include "catalog/stats.h"
#include "catalog/tabular.h"
#include "hash/sha256.h"
#include "util/buf.h"
#include "util/json.h"
#include "util/utf8.h"

#define READ_SIZE (1 << 20)
#define CLAIM_TRIES 16

typedef struct add_ctx {
	arca_catalog *c;
	const arca_schema *schema;
	arca_stats *stats;
	arca_tab *tab;  /* NULL for format files */
	char *buf;
	uint64_t files, bytes;
	arca_error *err;
} add_ctx;

static int feed_begin(add_ctx *a, const char *name)
{
	a->files++;
	if (a->tab && arca_tab_begin_file(a->tab, name) < 0)
		return arca_error_set(a->err, ARCA_ERROR, "out of memory");
	return 0;
}

static int feed_end(add_ctx *a, uint64_t bytes)
{
	a->bytes += bytes;
	if (!a->tab) {
		arca_stats_add_file(a->stats, bytes);
		return 0;
	}
	return arca_tab_end_file(a->tab, a->err);
}

/* Validates one file read from fd; name is how issues name it. */
static int feed_fd(add_ctx *a, int fd, const char *name)
{
	uint64_t total = 0;
	ssize_t n;
	int rc;

	if ((rc = feed_begin(a, name)) < 0)
		return rc;
	posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
	while ((n = read(fd, a->buf, READ_SIZE)) != 0) {
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return arca_error_set_errno(a->err, ARCA_ERROR, errno,
				"cannot read '%s'", name);
		}
		total += (uint64_t)n;
		if (a->tab && (rc = arca_tab_feed(a->tab, a->buf, (size_t)n,
			a->err)) < 0)
			return rc;
	}
	return feed_end(a, total);
}

/* Every regular file entry of an archive, in archive order. */
static int feed_archive(add_ctx *a, const char *path)
{
	struct archive *ar = archive_read_new();
	struct archive_entry *e;
	int rc = 0, r;

	if (!ar)
		return arca_error_set(a->err, ARCA_ERROR, "out of memory");
	archive_read_support_filter_all(ar);
	archive_read_support_format_all(ar);
	if (archive_read_open_filename(ar, path, READ_SIZE) != ARCHIVE_OK) {
		rc = arca_error_set(a->err, ARCA_EINVALID, "cannot read archive "
			"'%s': %s", path, archive_error_string(ar));
		goto done;
	}
	while ((r = archive_read_next_header(ar, &e)) == ARCHIVE_OK ||
		r == ARCHIVE_WARN) {
		const char *name = archive_entry_pathname(e);
		uint64_t total = 0;
		la_ssize_t n;
		if (archive_entry_filetype(e) != AE_IFREG || !name)
			continue;
		if ((rc = feed_begin(a, name)) < 0)
			goto done;
		while ((n = archive_read_data(ar, a->buf, READ_SIZE)) > 0) {
			total += (uint64_t)n;
			if (a->tab && (rc = arca_tab_feed(a->tab, a->buf,
				(size_t)n, a->err)) < 0)
				goto done;
		}
		if (n < 0) {
			rc = arca_error_set(a->err, ARCA_EINVALID, "archive '%s': "
				"entry '%s': %s", path, name,
				archive_error_string(ar));
			goto done;
		}
		if ((rc = feed_end(a, total)) < 0)
			goto done;
	}
	if (r != ARCHIVE_EOF)
		rc = arca_error_set(a->err, ARCA_EINVALID, "archive '%s' is "
			"damaged or truncated: %s", path, archive_error_string(ar));
done:
	archive_read_free(ar);
	return rc;
}

static int by_name(const struct dirent **x, const struct dirent **y)
{
	return strcmp((*x)->d_name, (*y)->d_name);
}

/* Every entry but . and ..: what the snapshot stores is what is
 * validated, hidden files included. */
static int not_dots(const struct dirent *d)
{
	return strcmp(d->d_name, ".") && strcmp(d->d_name, "..");
}

/* Every regular file under dir, in name order; rel names them. */
static int feed_dir(add_ctx *a, const char *dir, const char *rel)
{
	struct dirent **names = NULL;
	int n = scandir(dir, &names, not_dots, by_name), rc = 0;

	if (n < 0)
		return arca_error_set_errno(a->err, ARCA_ERROR, errno,
			"cannot read directory '%s'", dir);
	for (int i = 0; i < n && rc >= 0; i++) {
		arca_buf p = ARCA_BUF_INIT, r = ARCA_BUF_INIT;
		struct stat st;
		if (arca_buf_printf(&p, "%s/%s", dir, names[i]->d_name) < 0 ||
			arca_buf_printf(&r, "%s%s%s", rel, *rel ? "/" : "",
			names[i]->d_name) < 0) {
			rc = arca_error_set(a->err, ARCA_ERROR, "out of memory");
		} else if (lstat(arca_buf_cstr(&p), &st) < 0) {
			rc = arca_error_set_errno(a->err, ARCA_ERROR, errno,
				"cannot read '%s'", arca_buf_cstr(&p));
		} else if (S_ISDIR(st.st_mode)) {
			rc = feed_dir(a, arca_buf_cstr(&p), arca_buf_cstr(&r));
		} else if (S_ISREG(st.st_mode)) {
			int fd = open(arca_buf_cstr(&p), O_RDONLY | O_CLOEXEC |
				O_NOFOLLOW);
			if (fd < 0)
				rc = arca_error_set_errno(a->err, ARCA_ERROR,
					errno, "cannot read '%s'",
					arca_buf_cstr(&p));
			else {
				rc = feed_fd(a, fd, arca_buf_cstr(&r));
				close(fd);
			}
		}
		arca_buf_dispose(&p);
		arca_buf_dispose(&r);
	}
	for (int i = 0; i < n; i++)
		free(names[i]);
	free(names);
	return rc;
}

static int measure(add_ctx *a, const char *path)
{
	struct stat st;
	const char *base = strrchr(path, '/');
	int fd, rc;

	if (stat(path, &st) < 0)
		return arca_error_set_errno(a->err, ARCA_ERROR, errno,
			"cannot read '%s'", path);
	if (S_ISDIR(st.st_mode))
		return feed_dir(a, path, "");
	if (!S_ISREG(st.st_mode))
		return arca_error_set(a->err, ARCA_EINVALID, "'%s' is not a "
			"directory, a regular file or an archive", path);
	if (arca_snapshot_is_archive_name(path))
		return feed_archive(a, path);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return arca_error_set_errno(a->err, ARCA_ERROR, errno,
			"cannot read '%s'", path);
	rc = feed_fd(a, fd, base ? base + 1 : path);
	close(fd);
	return rc;
}

/*
 * The state of path's entries (names, types, sizes, mtimes, ctimes,
 * inodes), hashed: taken before validation and again after the
 * snapshot, so data changed in between (validated bytes not being the
 * stored ones) is refused instead of recorded.
 */
static int fp_walk(arca_sha256_ctx *h, const char *path, const char *rel,
	arca_error *err)
{
	struct dirent **names = NULL;
	struct stat st;
	struct { int64_t size, mtime, ctime, ino, mode; } f;
	int n, rc = 0;

	if (lstat(path, &st) < 0)
		return arca_error_set_errno(err, ARCA_ERROR, errno,
			"cannot read '%s'", path);
	memset(&f, 0, sizeof(f));
	f.size = st.st_size;
	f.mtime = st.st_mtim.tv_sec * 1000000000LL + st.st_mtim.tv_nsec;
	f.ctime = st.st_ctim.tv_sec * 1000000000LL + st.st_ctim.tv_nsec;
	f.ino = (int64_t)st.st_ino;
	f.mode = st.st_mode;
	if ((rc = arca_sha256_update(h, rel, strlen(rel) + 1, err)) < 0 ||
		(rc = arca_sha256_update(h, &f, sizeof(f), err)) < 0)
		return rc;
	if (!S_ISDIR(st.st_mode))
		return 0;
	if ((n = scandir(path, &names, not_dots, by_name)) < 0)
		return arca_error_set_errno(err, ARCA_ERROR, errno,
			"cannot read directory '%s'", path);
	for (int i = 0; i < n && rc >= 0; i++) {
		arca_buf p = ARCA_BUF_INIT, r = ARCA_BUF_INIT;
		if (arca_buf_printf(&p, "%s/%s", path, names[i]->d_name) < 0 ||
			arca_buf_printf(&r, "%s/%s", rel, names[i]->d_name) < 0)
			rc = arca_error_set(err, ARCA_ERROR, "out of memory");
		else
			rc = fp_walk(h, arca_buf_cstr(&p), arca_buf_cstr(&r), err);
		arca_buf_dispose(&p);
		arca_buf_dispose(&r);
	}
	for (int i = 0; i < n; i++)
		free(names[i]);
	free(names);
	return rc;
}

static int fingerprint(arca_id *out, const char *path, arca_error *err)
{
	arca_sha256_ctx *h;
	int rc;

	if ((rc = arca_sha256_new(&h, err)) < 0)
		return rc;
	if ((rc = fp_walk(h, path, ".", err)) == 0)
		rc = arca_sha256_final(h, out, err);
	arca_sha256_free(h);
	return rc;
}

/* The refusal: how many rows are invalid and the first issues. */
static int refuse(add_ctx *a, const char *name, int64_t allowed)
{
	arca_buf m = ARCA_BUF_INIT;
	size_t n = arca_tab_issue_count(a->tab), i;

	arca_buf_printf(&m, "%llu of %llu rows of '%s' violate its schema "
		"(%llu error%s%s); nothing was recorded",
		(unsigned long long)arca_tab_invalid_rows(a->tab),
		(unsigned long long)arca_tab_rows(a->tab), name,
		(unsigned long long)arca_tab_error_count(a->tab),
		arca_tab_error_count(a->tab) == 1 ? "" : "s", allowed ? ", more than --allow-invalid permits" : "");
	/* As many whole lines as the error message holds. */
	for (i = 0; i < n; i++) {
		const char *t = arca_tab_issue_at(a->tab, i)->text;
		if (m.len + strlen(t) + 40 >= ARCA_ERROR_MSG_SIZE)
			break;
		arca_buf_printf(&m, "\n  %s", t);
	}
	if (arca_tab_error_count(a->tab) > i)
		arca_buf_printf(&m, "\n  ... and %llu more",
			(unsigned long long)(arca_tab_error_count(a->tab) - i));
	arca_error_set(a->err, ARCA_EINVALID, "%s", arca_buf_cstr(&m));
	arca_buf_dispose(&m);
	return ARCA_EINVALID;
}

static json_t *validation_json(add_ctx *a, int64_t allowed)
{
	json_t *v = json_pack("{s:I, s:I, s:I, s:I}", "rows",
		(json_int_t)(a->tab ? arca_tab_rows(a->tab) :
		arca_stats_rows(a->stats)), "invalid_rows",
		(json_int_t)(a->tab ? arca_tab_invalid_rows(a->tab) : 0),
		"errors", (json_int_t)(a->tab ? arca_tab_error_count(a->tab) : 0),
		"allowed", (json_int_t)allowed);
	json_t *sample = json_array();

	for (size_t i = 0; a->tab && i < arca_tab_issue_count(a->tab) &&
		i < 20; i++) {
		const char *t = arca_tab_issue_at(a->tab, i)->text;
		json_array_append_new(sample, json_string(t));
	}
	json_object_set_new(v, "sample", sample);
	return v;
}

/* The previous version's schema and statistics, for drift. */
static int previous(arca_catalog *c, const arca_dataset_version *prev,
	arca_schema **schema, json_t **stats, arca_error *err)
{
	json_t *doc = NULL;
	const char *sid, *st;
	arca_id id;
	int rc;

	if ((rc = arca_repo__json_get(c->r, &doc, &prev->record,
		"previous version", err)) < 0)
		return rc;
	sid = json_string_value(json_object_get(doc, "schema"));
	st = json_string_value(json_object_get(doc, "stats"));
	if (!sid || arca_id_parse(&id, sid) < 0) {
		rc = arca_error_set(err, ARCA_ECORRUPT, "%s@%lld: no schema",
			prev->name, (long long)prev->version);
		goto done;
	}
	if ((rc = arca_cat__schema_load(c, schema, &id, err)) < 0)
		goto done;
	if (st && arca_id_parse(&id, st) == 0)
		rc = arca_repo__json_get(c->r, stats, &id, "statistics", err);
done:
	json_decref(doc);
	return rc;
}

/* Builds, stores and claims the version record; 1 when the number was
 * taken meanwhile (sync and retry). */
static int record_version(add_ctx *a, arca_dataset_version *out,
	const char *name, const arca_cat_dataset *ds, const arca_id *snap,
	const arca_id *stats_id, json_t *stats_json, json_t *provenance,
	const arca_dataset_add_opts *o, arca_error *err)
{
	arca_catalog *c = a->c;
	const arca_drift_policy *pol;
	arca_dataset_version prev;
	arca_schema *pschema = NULL;
	json_t *pstats = NULL, *doc = NULL, *drift = NULL, *report = NULL;
	char ref[ARCA_KEY_MAX], spec[160];
	int64_t number = 1;
	arca_id id, report_id;
	int rc, has_prev;

	snprintf(spec, sizeof(spec), "%s@latest", name);
	rc = arca_cat__resolve(c, &prev, NULL, spec, err);
	if (rc < 0 && rc != ARCA_ENOTFOUND)
		return rc;
	arca_error_clear(err);
	has_prev = rc == 0;
	drift = json_pack("{s:s, s:b}", "severity", "none", "needs_ack", 0);
	if (has_prev) {
		number = prev.version + 1;
		if ((rc = previous(c, &prev, &pschema, &pstats, err)) < 0 ||
			(rc = arca_cat__policy(c, &pol, err)) < 0)
			goto done;
		if (!(report = arca_drift_compare(pschema, pstats, a->schema,
			stats_json, pol))) {
			rc = arca_error_set(err, ARCA_ERROR, "out of memory");
			goto done;
		}
		if ((rc = arca_repo__json_put(c->r, &report_id, report, 0,
			err)) < 0)
			goto done;
		json_object_set(drift, "severity",
			json_object_get(report, "severity"));
		json_object_set(drift, "needs_ack",
			json_object_get(report, "needs_ack"));
		json_object_set_new(drift, "against", arca_json_id(&prev.record));
		json_object_set_new(drift, "report", arca_json_id(&report_id));
	}
	if (!(doc = arca_cat__record_base("dataset-version"))) {
		rc = arca_error_set(err, ARCA_ERROR, "out of memory");
		goto done;
	}
	json_object_set_new(doc, "dataset", json_string(name));
	json_object_set_new(doc, "dataset_record", arca_json_id(&ds->record));
	json_object_set_new(doc, "number", json_integer(number));
	json_object_set_new(doc, "snapshot", arca_json_id(snap));
	json_object_set_new(doc, "schema", arca_json_id(&ds->schema_object));
	json_object_set_new(doc, "schema_version",
		json_integer(ds->schema_version));
	json_object_set_new(doc, "stats", arca_json_id(stats_id));
	json_object_set_new(doc, "files", json_integer((json_int_t)a->files));
	json_object_set_new(doc, "bytes", json_integer((json_int_t)a->bytes));
	json_object_set_new(doc, "validation", validation_json(a,
		o->allow_invalid));
	json_object_set(doc, "drift", drift);
	if (has_prev)
		json_object_set_new(doc, "parent", arca_json_id(&prev.record));
	if (o->message)
		json_object_set_new(doc, "message", json_string(o->message));
	if (provenance)
		json_object_set(doc, "ingest", provenance);
	arca_cat__ref_version(ref, name, number);
	if ((rc = arca_cat__record_put(c, &id, ARCA_REC_VERSION, doc,
		err)) < 0)
		goto done;
	rc = arca_repo__ref_create(c->r, ref, &id, err);
	if (rc == ARCA_EEXISTS) { /* lost the race for this number */
		arca_error_clear(err);
		rc = arca_cat__sync(c, err) < 0 ? err->code : 1;
		goto done;
	}
	if (rc < 0 || (rc = arca_cat__import(c, ARCA_REC_VERSION, &id, doc,
		err)) < 0)
		goto done;
	snprintf(spec, sizeof(spec), "%s@%lld", name, (long long)number);
	rc = arca_cat__resolve(c, out, NULL, spec, err);
done:
	arca_schema_free(pschema);
	json_decref(pstats);
	json_decref(report);
	json_decref(drift);
	json_decref(doc);
	return rc;
}

int arca_dataset_add(arca_catalog *c, arca_dataset_version *out,
	const char *name, const char *path, const arca_dataset_add_opts *opts,
	arca_error *err)
{
	arca_dataset_add_opts o = { 0 };
	arca_error local = ARCA_ERROR_INIT;
	arca_dataset_version v;
	add_ctx a = { 0 };
	arca_cat_dataset ds;
	arca_schema *schema = NULL;
	json_t *stats_json = NULL, *prov = NULL;
	arca_id snap, stats_id, fp0, fp1;
	int rc;

	if (opts)
		o = *opts;
	if (!err)
		err = &local;
	if (!out)
		out = &v;
	if ((rc = arca_repo_signing_check(c->r, err)) < 0)
		return rc;
	if (o.message && !arca_utf8_valid(o.message, strlen(o.message)))
		return arca_error_set(err, ARCA_EINVALID, "the message is not "
			"valid UTF-8");
	if (o.allow_invalid < 0)
		return arca_error_set(err, ARCA_EINVALID, "--allow-invalid "
			"must not be negative");
	if (o.provenance) {
		json_error_t je;
		if (!(prov = json_loads(o.provenance, 0, &je)) ||
			!json_is_object(prov)) {
			json_decref(prov);
			return arca_error_set(err, ARCA_EINVALID, "provenance is "
				"not a JSON object: %s", je.text);
		}
	}
	if ((rc = arca_cat__dataset_get(c, &ds, name, err)) < 0 ||
		(rc = arca_cat__schema_load(c, &schema, &ds.schema_object,
			err)) < 0)
		goto done;
	a.c = c;
	a.schema = schema;
	a.err = err;
	if (!(a.buf = malloc(READ_SIZE)) ||
		!(a.stats = arca_stats_new(schema)) ||
		(schema->format != ARCA_SCHEMA_FILES &&
		!(a.tab = arca_tab_new(schema, a.stats, o.max_errors > 0 ?
			(size_t)o.max_errors : 20)))) {
		rc = arca_error_set(err, ARCA_ERROR, "out of memory");
		goto done;
	}
	if ((rc = fingerprint(&fp0, path, err)) < 0 ||
		(rc = measure(&a, path)) < 0)
		goto done;
	if (a.tab && arca_tab_invalid_rows(a.tab) >
		(uint64_t)o.allow_invalid) {
		rc = refuse(&a, path, o.allow_invalid);
		goto done;
	}
	{
		arca_snapshot_opts so = ARCA_SNAPSHOT_OPTS_INIT;
		so.dataset = name;
		so.message = o.message;
		so.threads = o.threads;
		so.cache_dir = o.cache_dir;
		so.warn = o.warn;
		so.progress = o.progress;
		so.payload = o.payload;
		if ((rc = arca_snapshot_create(&snap, NULL, c->r, path, &so,
			err)) < 0 || (rc = fingerprint(&fp1, path, err)) < 0)
			goto done;
		if (arca_id_cmp(&fp0, &fp1)) {
			rc = arca_error_set(err, ARCA_EINVALID, "'%s' changed "
				"while it was being added (validated and stored "
				"data could differ); no version was recorded: "
				"add it again when it is complete", path);
			goto done;
		}
	}
	if (!(stats_json = arca_stats_to_json(a.stats))) {
		rc = arca_error_set(err, ARCA_ERROR, "out of memory");
		goto done;
	}
	if ((rc = arca_repo__json_put(c->r, &stats_id, stats_json, 0,
		err)) < 0)
		goto done;
	for (int i = 0; i < CLAIM_TRIES; i++)
		if ((rc = record_version(&a, out, name, &ds, &snap, &stats_id,
			stats_json, prov, &o, err)) != 1)
			break;
	if (rc == 1)
		rc = arca_error_set(err, ARCA_ELOCKED, "could not claim a "
			"version number of '%s': too many concurrent adds", name);
done:
	json_decref(stats_json);
	json_decref(prov);
	arca_tab_free(a.tab);
	arca_stats_free(a.stats);
	arca_schema_free(schema);
	free(a.buf);
	return rc;
}
