/*
 * Making a snapshot. Order is what keeps a crash harmless: content and
 * tree objects (deferred, flushed together), then the snapshot record,
 * then the dataset ref, then the stat cache. A run killed at any instant
 * leaves no record naming a missing object.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include "arca/sign.h"
#include "snapshot/snap.h"
#include "util/json.h"
#include "util/sys.h"
#include "util/utf8.h"

#define REMOTE_THREADS 8

/* The newest earlier snapshot of the same dataset, or else of the same
 * source path on this host: the lineage parent. */
static int find_parent(arca_repo *r, arca_id *out, const char *dataset,
	const char *host, const char *src, arca_error *err)
{
	arca_snapshot_info *v = NULL;
	size_t n = 0;
	int rc, found = 0;

	if (dataset) {
		char ref[160];
		snprintf(ref, sizeof(ref), "datasets/%s", dataset);
		rc = arca_repo__ref_get(r, out, ref, err);
		if (rc == ARCA_ENOTFOUND) {
			arca_error_clear(err);
			return 0;
		}
		return rc < 0 ? rc : 1;
	}
	if ((rc = arca_snapshot_list(&v, &n, r, err)) < 0)
		return rc;
	for (size_t i = n; i-- > 0 && !found;)
		if (!v[i].dataset && v[i].hostname && v[i].source_path &&
			!strcmp(v[i].hostname, host) &&
			!strcmp(v[i].source_path, src)) {
			*out = v[i].id;
			found = 1;
		}
	arca_snapshot_info_free(v, n);
	return found;
}

/* Writer threads: one per CPU compresses as fast as the walker reads;
 * a remote store's writers mostly wait on the network (an existence
 * check and a PUT per new chunk), so more of them keep it busy. */
static int default_threads(arca_repo *r)
{
	int n = arca_ncpu();

	return !arca_repo__local_dir(r) && n < REMOTE_THREADS ?
		REMOTE_THREADS : n;
}

static json_t *summary_json(const arca_snapshot_stats *st)
{
	return json_pack("{s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I}",
		"files", (json_int_t)st->files, "dirs", (json_int_t)st->dirs,
		"symlinks", (json_int_t)st->symlinks,
		"skipped", (json_int_t)st->skipped,
		"bytes", (json_int_t)st->bytes,
		"bytes_read", (json_int_t)st->bytes_read,
		"files_cached", (json_int_t)st->files_cached,
		"objects_new", (json_int_t)st->objects_new,
		"bytes_new", (json_int_t)st->bytes_new,
		"stored_new", (json_int_t)st->stored_new);
}

static int write_record(arca_snap *s, arca_id *id, const arca_id *tree,
	const char *src, const char *kind, const char *format)
{
	const arca_snapshot_opts *o = s->o;
	char host[256], user[128], now[ARCA_TIME_STRSZ], ref[160];
	arca_id parent;
	json_t *doc;
	int rc;

	arca_hostname(host, sizeof(host));
	arca_username(user, sizeof(user));
	arca_utf8_sanitize(host); /* records hold text */
	arca_utf8_sanitize(user);
	arca_time_format(now, arca_time_now_ns());
	doc = json_pack("{s:s, s:i, s:o, s:s, s:s, s:s, s:s, s:{s:s}, "
		"s:o}", "type", "snapshot", "version", 1, "tree",
		arca_json_id(tree), "time", now, "hostname", host, "username",
		user, "arca_version", ARCA_VERSION, "source", "kind", kind,
		"summary", summary_json(&s->st));
	if (!doc)
		return arca_error_set(s->err, ARCA_ERROR, "out of memory");
	/* A source path that is not UTF-8 is kept as path_b64. */
	if (arca_json_set_bytes(json_object_get(doc, "source"), "path", src,
		strlen(src)) < 0) {
		rc = arca_error_set(s->err, ARCA_ERROR, "out of memory");
		goto done;
	}
	if (format)
		json_object_set_new(json_object_get(doc, "source"), "format",
			json_string(format));
	if (o->dataset)
		json_object_set_new(doc, "dataset", json_string(o->dataset));
	if (o->message)
		json_object_set_new(doc, "message", json_string(o->message));
	if ((rc = find_parent(s->r, &parent, o->dataset, host, src,
		s->err)) < 0)
		goto done;
	if (rc == 1)
		json_object_set_new(doc, "parent", arca_json_id(&parent));
	/* objects → record → ref */
	if ((rc = arca_repo__record_put(s->r, "snapshot", doc, id, NULL,
		s->err)) < 0)
		goto done;
	if (o->dataset) {
		snprintf(ref, sizeof(ref), "datasets/%s", o->dataset);
		rc = arca_repo__ref_set(s->r, ref, id, s->err);
	}
done:
	json_decref(doc);
	return rc;
}

static int build(arca_snap *s, arca_id *tree, const char *src,
	const char **kind, char format[64])
{
	struct stat st;

	if (stat(src, &st) < 0)
		return arca_error_set_errno(s->err, ARCA_ERROR, errno,
			"cannot snapshot '%s'", src);
	if (S_ISDIR(st.st_mode)) {
		*kind = "directory";
		return arca_snap__dir(s, tree, src);
	}
	if (!S_ISREG(st.st_mode))
		return arca_error_set(s->err, ARCA_EINVALID,
			"cannot snapshot '%s': not a directory or regular file",
			src);
	if (s->o->source != ARCA_SOURCE_PLAIN &&
		arca_snapshot_is_archive_name(src)) {
		*kind = "archive";
		return arca_snap__archive(s, tree, src, format);
	}
	*kind = "file";
	return arca_snap__file(s, tree, src);
}

static void collect_stats(arca_snap *s)
{
	arca_pipeline_stats ps;

	arca_pipeline_stats_get(s->pipe, &ps);
	s->st.objects_new += ps.objects;
	s->st.bytes_new += ps.bytes;
	s->st.stored_new += ps.stored;
}

int arca_snapshot_create(arca_id *id, arca_snapshot_stats *stats,
	arca_repo *r, const char *path, const arca_snapshot_opts *opts,
	arca_error *err)
{
	arca_snapshot_opts o = ARCA_SNAPSHOT_OPTS_INIT;
	arca_error local = ARCA_ERROR_INIT;
	arca_snap s;
	arca_id tree;
	const char *kind = NULL;
	char format[64] = "", *src = NULL;
	int rc;

	if (opts)
		o = *opts;
	if (!err)
		err = &local;
	memset(&s, 0, sizeof(s));
	s.r = r;
	s.o = &o;
	s.err = err;
	s.start_ns = arca_time_now_ns();
	if ((rc = arca_repo_signing_check(r, err)) < 0)
		return rc;
	if (o.dataset && !arca_repo__dataset_name_valid(o.dataset))
		return arca_error_set(err, ARCA_EINVALID, "invalid dataset name "
			"'%s': " ARCA_DATASET_NAME_RULE, o.dataset);
	if (o.message && !arca_utf8_valid(o.message, strlen(o.message)))
		return arca_error_set(err, ARCA_EINVALID,
			"the message is not valid UTF-8");
	if (!(src = realpath(path, NULL)))
		return arca_error_set_errno(err, ARCA_ERROR, errno,
			"cannot snapshot '%s'", path);
	s.stage_cap = 2 * (size_t)r->cdc.max_size;
	if (!(s.stage = malloc(s.stage_cap))) {
		rc = arca_error_set(err, ARCA_ERROR, "out of memory");
		goto done;
	}
	if ((rc = arca_pipeline_new(&s.pipe, r, o.threads ? o.threads :
		default_threads(r), r->cdc.max_size, err)) < 0)
		goto done;
	if (arca_statcache_open(&s.cache, o.cache_dir, r->repo_id, err) < 0) {
		arca_snap__warn(&s, src, "working without the stat cache: %s",
			err->msg);
		arca_error_clear(err);
		s.cache = NULL;
	}
	rc = build(&s, &tree, src, &kind, format);
	/* Even after an error, wait: the workers still use our buffers. */
	if (arca_pipeline_wait(s.pipe, rc < 0 ? NULL : err) < 0 && rc == 0)
		rc = err->code ? err->code : ARCA_ERROR;
	if (rc < 0)
		goto done;
	collect_stats(&s);
	if ((rc = arca_repo__flush(r, err)) < 0 ||
		(rc = write_record(&s, id, &tree, src, kind,
			*format ? format : NULL)) < 0)
		goto done;
	if (s.cache && arca_statcache_commit(s.cache, err) < 0) {
		arca_snap__warn(&s, src, "stat cache not updated: %s", err->msg);
		arca_error_clear(err);
	}
	if (stats)
		*stats = s.st;
done:
	/* Ids claimed after a failure (the walker runs on while workers
	 * stop) or written but never flushed are not in the store: a retry
	 * on this handle must not take them as written. */
	if (rc < 0)
		arca_repo__forget(r);
	arca_pipeline_free(s.pipe);
	arca_statcache_free(s.cache);
	free(s.stage);
	free(src);
	return rc;
}
