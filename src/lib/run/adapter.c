/*
 * Adapters: the adapter output of a run becomes NAME@VERSION, a tar.zst
 * package (ADAPTER.json, then the files under files/) stored as one
 * object, described by an "adapter" record and claimed by the
 * create-only ref refs/adapters/NAME/VERSION. The package is made from
 * the archived output, never from the work dir, and is byte-for-byte
 * reproducible from it (sorted entries, fixed owners and times).
 */
#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "arca/snapshot.h"
#include "hash/sha256.h"
#include "run/runner.h"
#include "util/buf.h"
#include "util/json.h"

/* ------------------------------------------------------------ versions */

typedef struct semver {
	long long major, minor, patch;
	int pre; /* has a prerelease part */
} semver;

static int semver_parse(semver *v, const char *s)
{
	char *end;

	memset(v, 0, sizeof(*v));
	v->major = strtoll(s, &end, 10);
	if (end == s || *end != '.')
		return -1;
	s = end + 1;
	v->minor = strtoll(s, &end, 10);
	if (end == s || *end != '.')
		return -1;
	s = end + 1;
	v->patch = strtoll(s, &end, 10);
	if (end == s || (*end && *end != '-' && *end != '+'))
		return -1;
	v->pre = *end == '-';
	return v->major < 0 || v->minor < 0 || v->patch < 0 ? -1 : 0;
}

static int semver_cmp(const semver *a, const semver *b)
{
	if (a->major != b->major)
		return a->major < b->major ? -1 : 1;
	if (a->minor != b->minor)
		return a->minor < b->minor ? -1 : 1;
	if (a->patch != b->patch)
		return a->patch < b->patch ? -1 : 1;
	return b->pre - a->pre; /* 1.0.0-rc < 1.0.0 */
}

typedef struct latest_ver {
	semver v;
	int found;
} latest_ver;

static int latest_cb(const char *name, const arca_id *id, void *payload)
{
	latest_ver *l = payload;
	const char *slash = strrchr(name, '/');
	semver v;

	if (!id || !slash || semver_parse(&v, slash + 1) < 0)
		return 0;
	if (!l->found || semver_cmp(&v, &l->v) > 0)
		l->v = v;
	l->found = 1;
	return 0;
}

/* The next version by rule (patch, minor, major) after the latest
 * published one; 1.0.0 for the first. */
static int next_version(arca_repo *r, const char *name, const char *rule,
	char out[64], arca_error *err)
{
	latest_ver l;
	char prefix[ARCA_KEY_MAX];
	int rc;

	memset(&l, 0, sizeof(l));
	snprintf(prefix, sizeof(prefix), "adapters/%s/", name);
	if ((rc = arca_repo__ref_list(r, prefix, latest_cb, &l, err)) < 0)
		return rc;
	if (!l.found)
		snprintf(out, 64, "1.0.0");
	else if (!strcmp(rule, "major"))
		snprintf(out, 64, "%lld.0.0", l.v.major + 1);
	else if (!strcmp(rule, "minor"))
		snprintf(out, 64, "%lld.%lld.0", l.v.major, l.v.minor + 1);
	else
		snprintf(out, 64, "%lld.%lld.%lld", l.v.major, l.v.minor,
			l.v.patch + (l.v.pre ? 0 : 1));
	return 0;
}

/* ------------------------------------------------------------- package */

typedef struct pkg_file {
	char *path;
	arca_entry_type type;
	uint32_t mode;
	uint64_t size;
	arca_id *chunks;
	size_t nchunks;
	char *target;
	char sha256[72];
} pkg_file;

typedef struct pkg {
	arca_repo *r;
	pkg_file *v;
	size_t n;
	arca_error *err;
} pkg;

static int collect(const arca_entry *e, void *payload)
{
	pkg *p = payload;
	pkg_file *f, *nv = realloc(p->v, (p->n + 1) * sizeof(*nv));

	if (!nv)
		return arca_error_set(p->err, ARCA_ERROR, "out of memory");
	p->v = nv;
	f = &nv[p->n++];
	memset(f, 0, sizeof(*f));
	f->path = strdup(e->path);
	f->type = e->type;
	f->mode = e->mode;
	f->size = e->size;
	if (e->type == ARCA_ENTRY_FILE && e->nchunks) {
		f->chunks = malloc(e->nchunks * sizeof(arca_id));
		if (f->chunks)
			memcpy(f->chunks, e->chunks, e->nchunks * sizeof(arca_id));
		f->nchunks = e->nchunks;
	}
	if (e->target)
		f->target = strdup(e->target);
	if (!f->path || (e->nchunks && !f->chunks) || (e->target &&
		!f->target))
		return arca_error_set(p->err, ARCA_ERROR, "out of memory");
	return 0;
}

static void pkg_dispose(pkg *p)
{
	for (size_t i = 0; i < p->n; i++) {
		free(p->v[i].path);
		free(p->v[i].chunks);
		free(p->v[i].target);
	}
	free(p->v);
}

/* Streams a file's chunks to fn (NULL: only hashes them). */
static int file_content(pkg *p, pkg_file *f, struct archive *a)
{
	arca_sha256_ctx *h = NULL;
	arca_id id;
	int rc;

	if ((rc = arca_sha256_new(&h, p->err)) < 0)
		return rc;
	for (size_t i = 0; rc == 0 && i < f->nchunks; i++) {
		unsigned char *data = NULL;
		size_t len;
		if ((rc = arca_repo_object_read(p->r, &data, &len,
			&f->chunks[i], p->err)) < 0)
			break;
		rc = arca_sha256_update(h, data, len, p->err);
		if (rc == 0 && a && archive_write_data(a, data, len) !=
			(la_ssize_t)len)
			rc = arca_error_set(p->err, ARCA_ERROR, "packaging '%s': "
				"%s", f->path, archive_error_string(a));
		free(data);
	}
	if (rc == 0 && (rc = arca_sha256_final(h, &id, p->err)) == 0)
		arca_id_str(f->sha256, &id);
	arca_sha256_free(h);
	return rc;
}

static la_ssize_t buf_write(struct archive *a, void *cd, const void *data,
	size_t len)
{
	(void)a;
	return arca_buf_put(cd, data, len) < 0 ? -1 : (la_ssize_t)len;
}

static void entry_set(struct archive_entry *e, const char *path,
	mode_t type, unsigned perm, int64_t size)
{
	archive_entry_clear(e);
	archive_entry_set_pathname(e, path);
	archive_entry_set_filetype(e, type);
	archive_entry_set_perm(e, perm);
	archive_entry_set_size(e, size);
	archive_entry_set_mtime(e, 0, 0);
	archive_entry_set_uid(e, 0);
	archive_entry_set_gid(e, 0);
}

static int package(pkg *p, arca_buf *out, const char *manifest,
	arca_error *err)
{
	struct archive *a = archive_write_new();
	struct archive_entry *e = archive_entry_new();
	char path[4200];
	int rc = 0;

	if (!a || !e) {
		rc = arca_error_set(err, ARCA_ERROR, "out of memory");
		goto done;
	}
	if (archive_write_set_format_pax_restricted(a) != ARCHIVE_OK ||
		archive_write_add_filter_zstd(a) != ARCHIVE_OK ||
		/* No zero padding after the compressed stream. */
		archive_write_set_bytes_in_last_block(a, 1) != ARCHIVE_OK ||
		archive_write_open2(a, out, NULL, buf_write, NULL, NULL) !=
		ARCHIVE_OK) {
		rc = arca_error_set(err, ARCA_ERROR, "cannot start the adapter "
			"package: %s", archive_error_string(a));
		goto done;
	}
	entry_set(e, "ADAPTER.json", AE_IFREG, 0644, (int64_t)strlen(manifest));
	if (archive_write_header(a, e) != ARCHIVE_OK ||
		archive_write_data(a, manifest, strlen(manifest)) !=
		(la_ssize_t)strlen(manifest)) {
		rc = arca_error_set(err, ARCA_ERROR, "packaging ADAPTER.json: "
			"%s", archive_error_string(a));
		goto done;
	}
	for (size_t i = 0; rc == 0 && i < p->n; i++) {
		pkg_file *f = &p->v[i];
		snprintf(path, sizeof(path), "files/%s", f->path);
		entry_set(e, path, f->type == ARCA_ENTRY_DIR ? AE_IFDIR :
			f->type == ARCA_ENTRY_SYMLINK ? AE_IFLNK : AE_IFREG,
			f->mode & 07777, f->type == ARCA_ENTRY_FILE ?
			(int64_t)f->size : 0);
		if (f->type == ARCA_ENTRY_SYMLINK)
			archive_entry_set_symlink(e, f->target);
		if (archive_write_header(a, e) != ARCHIVE_OK) {
			rc = arca_error_set(err, ARCA_ERROR, "packaging '%s': %s",
				f->path, archive_error_string(a));
			break;
		}
		if (f->type == ARCA_ENTRY_FILE)
			rc = file_content(p, f, a);
	}
	if (rc == 0 && archive_write_close(a) != ARCHIVE_OK)
		rc = arca_error_set(err, ARCA_ERROR, "finishing the adapter "
			"package: %s", archive_error_string(a));
done:
	archive_entry_free(e);
	if (a)
		archive_write_free(a);
	return rc;
}

/* ------------------------------------------------------------- publish */

/* The adapter manifest: what the package holds and where it came from;
 * also inside the package as ADAPTER.json. */
static json_t *adapter_manifest(run_ctx *x, pkg *p, const char *version)
{
	json_t *m = json_object(), *files = json_array(), *metrics =
		json_object(), *inputs = json_array(), *in, *st;
	size_t i;

	json_array_foreach(json_object_get(x->doc, "inputs"), i, in)
		json_array_append_new(inputs, json_pack("{s:O, s:O, s:O}",
			"name", json_object_get(in, "name"), "version",
			json_object_get(in, "version_ref"), "snapshot",
			json_object_get(in, "snapshot")));
	json_array_foreach(json_object_get(x->doc, "stages"), i, st)
		if (json_object_get(st, "metrics"))
			json_object_set(metrics, run__str(st, "name"),
				json_object_get(st, "metrics"));
	for (i = 0; i < p->n; i++) {
		pkg_file *f = &p->v[i];
		if (f->type == ARCA_ENTRY_FILE)
			json_array_append_new(files, json_pack("{s:s, s:I, s:s}",
				"path", f->path, "size", (json_int_t)f->size,
				"sha256", f->sha256 + 7));
	}
	json_object_set_new(m, "type", json_string("adapter-manifest"));
	json_object_set_new(m, "version", json_integer(1));
	json_object_set_new(m, "name", json_string(x->t->adapter.name));
	json_object_set_new(m, "adapter_version", json_string(version));
	json_object_set_new(m, "run", arca_json_id(&x->run));
	json_object_set(m, "template", json_object_get(x->doc, "template"));
	json_object_set(m, "params", json_object_get(x->doc, "params"));
	json_object_set_new(m, "inputs", inputs);
	json_object_set_new(m, "metrics", metrics);
	if (json_object_get(x->doc, "gates"))
		json_object_set(m, "gates", json_object_get(x->doc, "gates"));
	json_object_set_new(m, "files", files);
	return m;
}

static json_t *adapter_output(run_ctx *x)
{
	json_t *st;
	size_t i;

	json_array_foreach(json_object_get(x->doc, "stages"), i, st) {
		json_t *o = json_object_get(json_object_get(st, "outputs"),
			x->t->adapter.output);
		if (o)
			return o;
	}
	return NULL;
}

typedef struct mine_ctx {
	arca_repo *r;
	const arca_id *run;
	arca_id record;
	char version[64];
	int found;
} mine_ctx;

static int mine_cb(const char *name, const arca_id *id, void *payload)
{
	mine_ctx *m = payload;
	const char *slash = strrchr(name, '/');
	arca_error e = ARCA_ERROR_INIT;
	json_t *doc = NULL;
	arca_id run;

	if (!id || !slash || m->found || arca_repo__json_get(m->r, &doc, id,
		"adapter record", &e) < 0)
		return 0;
	if (arca_id_parse(&run, run__str(doc, "run") ? run__str(doc, "run") :
		"") == 0 && !arca_id_cmp(&run, m->run)) {
		m->found = 1;
		m->record = *id;
		snprintf(m->version, sizeof(m->version), "%s", slash + 1);
	}
	json_decref(doc);
	return 0;
}

/* An adapter this run published already (a runner killed between the
 * adapter's claim and the run's last record): reused, not numbered
 * again. 1 found (x->doc updated), 0 not, <0 error. */
static int already_published(run_ctx *x, arca_error *err)
{
	mine_ctx m;
	char prefix[ARCA_KEY_MAX];
	json_t *doc = NULL;
	int rc;

	memset(&m, 0, sizeof(m));
	m.r = x->r;
	m.run = &x->run;
	snprintf(prefix, sizeof(prefix), "adapters/%s/", x->t->adapter.name);
	if ((rc = arca_repo__ref_list(x->r, prefix, mine_cb, &m, err)) < 0)
		return rc;
	if (!m.found)
		return 0;
	if ((rc = arca_repo__json_get(x->r, &doc, &m.record, "adapter record",
		err)) < 0)
		return rc;
	json_object_set_new(x->doc, "adapter", json_pack("{s:s, s:s, s:o, "
		"s:O, s:O}", "name", x->t->adapter.name, "version", m.version,
		"record", arca_json_id(&m.record), "package",
		json_object_get(doc, "package"), "manifest",
		json_object_get(doc, "manifest")));
	json_decref(doc);
	return 1;
}

int run__adapter_publish(run_ctx *x, arca_error *err)
{
	const arca_template_adapter *ad = &x->t->adapter;
	int bump = !strcmp(ad->version, "patch") || !strcmp(ad->version,
		"minor") || !strcmp(ad->version, "major");
	json_t *out = adapter_output(x), *man = NULL, *doc = NULL;
	pkg p = { x->r, NULL, 0, err };
	arca_buf mtext = ARCA_BUF_INIT, tarz = ARCA_BUF_INIT;
	arca_put_result pres, mres;
	arca_repo_sigs sigs;
	arca_id snap, mid, rid;
	char version[64], ref[ARCA_KEY_MAX];
	int rc;

	if ((rc = already_published(x, err)) != 0)
		return rc < 0 ? rc : 0;
	if (!out || arca_id_parse(&snap, run__str(out, "snapshot") ?
		run__str(out, "snapshot") : "") < 0)
		return arca_error_set(err, ARCA_ECORRUPT, "the run has no "
			"archived output '%s' to publish", ad->output);
	if ((rc = arca_snapshot_walk(x->r, &snap, "", 1, collect, &p,
		err)) < 0)
		goto done;
	for (size_t i = 0; i < p.n; i++)
		if (p.v[i].type == ARCA_ENTRY_FILE &&
			(rc = file_content(&p, &p.v[i], NULL)) < 0)
			goto done;
	for (int attempt = 0; attempt < 100; attempt++) {
		if (bump) {
			if ((rc = next_version(x->r, ad->name, ad->version,
				version, err)) < 0)
				goto done;
		} else {
			snprintf(version, sizeof(version), "%s", ad->version);
		}
		json_decref(man);
		json_decref(doc);
		doc = NULL;
		man = adapter_manifest(x, &p, version);
		arca_buf_clear(&tarz);
		/* manifest and package staged and signed, made durable with
		 * the record that names them, before its listing */
		memset(&sigs, 0, sizeof(sigs));
		if ((rc = arca_json_canonical(&mtext, man, err)) < 0 ||
			(rc = package(&p, &tarz, arca_buf_cstr(&mtext), err)) < 0 ||
			(rc = arca_repo__object_put(x->r, &mres, mtext.data,
				mtext.len, ARCA_REPO_PUT_DEFER, NULL, err)) < 0 ||
			(rc = arca_repo__object_put(x->r, &pres, tarz.data,
				tarz.len, ARCA_REPO_PUT_DEFER, NULL, err)) < 0 ||
			(rc = arca_repo__sign_add(x->r, &sigs, &mres.id,
				"adapter-manifest", mtext.data, mtext.len,
				err)) < 0 ||
			(rc = arca_repo__sign_add(x->r, &sigs, &pres.id,
				"adapter-package", tarz.data, tarz.len, err)) < 0)
			goto done;
		mid = mres.id;
		if (!(doc = arca_cat__record_base(ARCA_REC_ADAPTER))) {
			rc = arca_error_set(err, ARCA_ERROR, "out of memory");
			goto done;
		}
		json_object_set_new(doc, "name", json_string(ad->name));
		json_object_set_new(doc, "adapter_version", json_string(version));
		json_object_set_new(doc, "run", arca_json_id(&x->run));
		json_object_set_new(doc, "run_state", arca_json_id(&x->last));
		json_object_set_new(doc, "output", json_string(ad->output));
		json_object_set_new(doc, "snapshot", arca_json_id(&snap));
		json_object_set_new(doc, "manifest", arca_json_id(&mid));
		json_object_set_new(doc, "package", arca_json_id(&pres.id));
		json_object_set_new(doc, "package_bytes",
			json_integer((json_int_t)tarz.len));
		if ((rc = arca_repo__record_put(x->r, ARCA_REC_ADAPTER, doc,
			&rid, &sigs, err)) < 0)
			goto done;
		snprintf(ref, sizeof(ref), "adapters/%s/%s", ad->name, version);
		rc = arca_repo__ref_create(x->r, ref, &rid, err);
		if (rc == ARCA_EEXISTS && bump) {
			/* Another run published that number first: next one. */
			arca_error_clear(err);
			continue;
		}
		if (rc == ARCA_EEXISTS)
			rc = arca_error_set(err, ARCA_EEXISTS, "adapter %s@%s is "
				"already published (the template sets version %s; "
				"use patch, minor or major to number it)", ad->name,
				version, version);
		break;
	}
	if (rc < 0)
		goto done;
	if ((rc = arca_cat__import(x->c, ARCA_REC_ADAPTER, &rid, doc, err)) < 0)
		arca_error_clear(err);
	rc = 0;
	json_object_set_new(x->doc, "adapter", json_pack("{s:s, s:s, s:o, "
		"s:o, s:o}", "name", ad->name, "version", version, "record",
		arca_json_id(&rid), "package", arca_json_id(&pres.id),
		"manifest", arca_json_id(&mid)));
	run__event(x, "published adapter %s@%s", ad->name, version);
done:
	json_decref(man);
	json_decref(doc);
	arca_buf_dispose(&mtext);
	arca_buf_dispose(&tarz);
	pkg_dispose(&p);
	return rc;
}

/* -------------------------------------------------------------- reading */

/* NAME@VERSION's record: refs/adapters/NAME/VERSION. */
static int adapter_record(json_t **doc, arca_id *rid, arca_repo *r,
	const char *spec, arca_error *err)
{
	const char *at = strchr(spec, '@');
	char ref[ARCA_KEY_MAX], name[128];
	int rc;

	if (!at || at == spec || !at[1] || (size_t)(at - spec) >= sizeof(name))
		return arca_error_set(err, ARCA_EINVALID, "invalid adapter '%s': "
			"expected NAME@VERSION", spec);
	snprintf(name, sizeof(name), "%.*s", (int)(at - spec), spec);
	if (!arca_repo__dataset_name_valid(name) || strchr(at + 1, '/'))
		return arca_error_set(err, ARCA_EINVALID, "invalid adapter '%s'",
			spec);
	snprintf(ref, sizeof(ref), "adapters/%s/%s", name, at + 1);
	if ((rc = arca_repo__ref_get(r, rid, ref, err)) == ARCA_ENOTFOUND)
		return arca_error_set(err, rc, "no adapter %s", spec);
	if (rc < 0)
		return rc;
	return arca_repo__json_get(r, doc, rid, "adapter record", err);
}

int arca_adapter_json(char **out, arca_catalog *c, const char *spec,
	arca_error *err)
{
	arca_buf b = ARCA_BUF_INIT;
	json_t *doc = NULL, *man = NULL;
	arca_id rid, mid;
	int rc;

	if ((rc = adapter_record(&doc, &rid, c->r, spec, err)) < 0)
		return rc;
	json_object_set_new(doc, "record", arca_json_id(&rid));
	if (arca_id_parse(&mid, run__str(doc, "manifest") ?
		run__str(doc, "manifest") : "") == 0 &&
		(rc = arca_repo__json_get(c->r, &man, &mid, "adapter manifest",
		err)) == 0)
		json_object_set_new(doc, "adapter_manifest", man);
	if (rc == 0)
		rc = arca_json_canonical(&b, doc, err);
	json_decref(doc);
	if (rc == 0 && !(*out = strndup((const char *)b.data, b.len)))
		rc = arca_error_set(err, ARCA_ERROR, "out of memory");
	arca_buf_dispose(&b);
	return rc;
}

int arca_adapter_get(arca_catalog *c, const char *spec, const char *path,
	arca_error *err)
{
	unsigned char *data = NULL;
	json_t *doc = NULL;
	arca_id rid, pid;
	char tmp[4200];
	size_t len;
	FILE *f;
	int rc;

	if ((rc = adapter_record(&doc, &rid, c->r, spec, err)) < 0)
		return rc;
	if (arca_id_parse(&pid, run__str(doc, "package") ?
		run__str(doc, "package") : "") < 0) {
		json_decref(doc);
		return arca_error_set(err, ARCA_ECORRUPT, "adapter %s names no "
			"package", spec);
	}
	json_decref(doc);
	/* Read back and checked against its id by object_read. */
	if ((rc = arca_repo_object_read(c->r, &data, &len, &pid, err)) < 0)
		return rc;
	snprintf(tmp, sizeof(tmp), "%s.tmp-arca", path);
	if (!(f = fopen(tmp, "wxe"))) {
		free(data);
		return arca_error_set_errno(err, ARCA_ERROR, errno, "cannot "
			"create '%s'", tmp);
	}
	rc = fwrite(data, 1, len, f) == len && fflush(f) == 0 &&
		fsync(fileno(f)) == 0 ? 0 : -1;
	if (fclose(f) != 0)
		rc = -1;
	free(data);
	if (rc < 0 || rename(tmp, path) < 0) {
		rc = arca_error_set_errno(err, ARCA_ERROR, errno, "cannot write "
			"'%s'", path);
		unlink(tmp);
	}
	return rc;
}
