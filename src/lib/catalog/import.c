/*
 * Importing catalog records into the index. A record counts only when
 * the ref that claims it names it (refs/catalog/<dataset>/...): a writer
 * that lost a race for a version number leaves a record nobody claims,
 * which is skipped (and re-examined at the next sync, since its claim may
 * simply not be written yet).
 */
#include <stdlib.h>
#include <string.h>
#include "catalog/cat.h"
#include "util/json.h"

void arca_cat__ref_dataset(char out[ARCA_KEY_MAX], const char *name)
{
	snprintf(out, ARCA_KEY_MAX, "catalog/%s/dataset", name);
}

void arca_cat__ref_schema(char out[ARCA_KEY_MAX], const char *name,
	int64_t n)
{
	snprintf(out, ARCA_KEY_MAX, "catalog/%s/schemas/%lld", name,
		(long long)n);
}

void arca_cat__ref_version(char out[ARCA_KEY_MAX], const char *name,
	int64_t n)
{
	snprintf(out, ARCA_KEY_MAX, "catalog/%s/versions/%lld", name,
		(long long)n);
}

void arca_cat__ref_tag(char out[ARCA_KEY_MAX], const char *name,
	const char *tag)
{
	snprintf(out, ARCA_KEY_MAX, "catalog/%s/tags/%s", name, tag);
}

/* ------------------------------------------------------------ helpers */

const char *arca_cat__opt_str(json_t *o, const char *key)
{
	return json_string_value(json_object_get(o, key));
}

int64_t arca_cat__opt_int(json_t *o, const char *key)
{
	json_t *v = json_object_get(o, key);

	return json_is_integer(v) ? (int64_t)json_integer_value(v) : 0;
}

/* 1 if refs/<ref> names id, 0 if not (or missing), <0 on error. */
int arca_cat__claimed(arca_catalog *c, const char *ref, const arca_id *id,
	arca_error *err)
{
	arca_id cur;
	int rc = arca_repo__ref_get(c->r, &cur, ref, err);

	if (rc == ARCA_ENOTFOUND || rc == ARCA_ECORRUPT ||
		rc == ARCA_EINVALID) {
		arca_error_clear(err);
		return 0;
	}
	if (rc < 0)
		return rc;
	return !arca_id_cmp(&cur, id);
}

/* The single integer a query returns, or 0 if no row; <0 on error. */
static int query_int(arca_catalog *c, int64_t *out, const char *sql,
	const char *a, int64_t b, arca_error *err)
{
	sqlite3_stmt *st;
	int rc;

	if ((rc = arca_cat__prepare(c, &st, sql, err)) < 0)
		return rc;
	arca_cat__bind_text(st, 1, a);
	if (sqlite3_bind_parameter_count(st) > 1)
		sqlite3_bind_int64(st, 2, b);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		*out = sqlite3_column_int64(st, 0);
		rc = 1;
	} else if (rc == SQLITE_DONE) {
		rc = 0;
	} else {
		rc = arca_cat__db_fail(c, err, "query");
	}
	sqlite3_finalize(st);
	return rc;
}

int arca_cat__step_done(arca_catalog *c, sqlite3_stmt *st, const char *what,
	arca_error *err)
{
	int rc = sqlite3_step(st) == SQLITE_DONE ? 0 :
		arca_cat__db_fail(c, err, what);

	sqlite3_finalize(st);
	return rc;
}

/* ------------------------------------------------------- record kinds */

static int import_dataset(arca_catalog *c, const arca_id *id, json_t *d,
	arca_error *err)
{
	const char *name = arca_cat__opt_str(d, "name"), *schema = arca_cat__opt_str(d, "schema");
	char ref[ARCA_KEY_MAX];
	sqlite3_stmt *st;
	int64_t rowid;
	arca_schema *s = NULL;
	arca_id sid;
	int rc;

	if (!name || !schema || arca_id_parse(&sid, schema) < 0)
		return arca_error_set(err, ARCA_ECORRUPT, "dataset record "
			"lacks a name or schema");
	arca_cat__ref_dataset(ref, name);
	if ((rc = arca_cat__claimed(c, ref, id, err)) <= 0)
		return rc;
	if ((rc = arca_cat__schema_load(c, &s, &sid, err)) < 0)
		return rc;
	if ((rc = arca_cat__prepare(c, &st, "INSERT INTO datasets(name, "
		"record, description, owner, created, created_by) VALUES "
		"(?,?,?,?,?,?)", err)) < 0)
		goto done;
	arca_cat__bind_text(st, 1, name);
	arca_cat__bind_id(st, 2, id);
	arca_cat__bind_text(st, 3, arca_cat__opt_str(d, "description"));
	arca_cat__bind_text(st, 4, arca_cat__opt_str(d, "owner"));
	arca_cat__bind_text(st, 5, arca_cat__opt_str(d, "time"));
	arca_cat__bind_text(st, 6, arca_cat__opt_str(d, "username"));
	if ((rc = arca_cat__step_done(c, st, "adding a dataset", err)) < 0)
		goto done;
	rowid = sqlite3_last_insert_rowid(c->db);
	if ((rc = arca_cat__prepare(c, &st, "INSERT INTO schemas(dataset_id, "
		"version, object, record, format, message, created, "
		"created_by) VALUES (?,1,?,?,?,NULL,?,?)", err)) < 0)
		goto done;
	sqlite3_bind_int64(st, 1, rowid);
	arca_cat__bind_text(st, 2, schema);
	arca_cat__bind_id(st, 3, id);
	arca_cat__bind_text(st, 4, arca_schema_format_name(s->format));
	arca_cat__bind_text(st, 5, arca_cat__opt_str(d, "time"));
	arca_cat__bind_text(st, 6, arca_cat__opt_str(d, "username"));
	rc = arca_cat__step_done(c, st, "adding a schema", err);
	if (rc == 0)
		rc = 1;
done:
	arca_schema_free(s);
	return rc;
}

static int import_schema(arca_catalog *c, const arca_id *id, json_t *d,
	arca_error *err)
{
	const char *name = arca_cat__opt_str(d, "dataset"), *schema = arca_cat__opt_str(d, "schema");
	int64_t n = arca_cat__opt_int(d, "schema_version"), ds;
	char ref[ARCA_KEY_MAX];
	arca_schema *s = NULL;
	sqlite3_stmt *st;
	arca_id sid;
	int rc;

	if (!name || !schema || n < 2 || arca_id_parse(&sid, schema) < 0)
		return arca_error_set(err, ARCA_ECORRUPT, "dataset-schema "
			"record lacks a dataset, schema or schema_version");
	arca_cat__ref_schema(ref, name, n);
	if ((rc = arca_cat__claimed(c, ref, id, err)) <= 0)
		return rc;
	if ((rc = query_int(c, &ds, "SELECT id FROM datasets WHERE name = ?",
		name, 0, err)) <= 0)
		return rc;
	if ((rc = arca_cat__schema_load(c, &s, &sid, err)) < 0)
		return rc;
	if ((rc = arca_cat__prepare(c, &st, "INSERT INTO schemas(dataset_id, "
		"version, object, record, format, message, created, "
		"created_by) VALUES (?,?,?,?,?,?,?,?)", err)) == 0) {
		sqlite3_bind_int64(st, 1, ds);
		sqlite3_bind_int64(st, 2, n);
		arca_cat__bind_text(st, 3, schema);
		arca_cat__bind_id(st, 4, id);
		arca_cat__bind_text(st, 5, arca_schema_format_name(s->format));
		arca_cat__bind_text(st, 6, arca_cat__opt_str(d, "message"));
		arca_cat__bind_text(st, 7, arca_cat__opt_str(d, "time"));
		arca_cat__bind_text(st, 8, arca_cat__opt_str(d, "username"));
		rc = arca_cat__step_done(c, st, "adding a schema", err);
	}
	arca_schema_free(s);
	return rc < 0 ? rc : 1;
}

static int import_version(arca_catalog *c, const arca_id *id, json_t *d,
	arca_error *err)
{
	const char *name = arca_cat__opt_str(d, "dataset");
	int64_t n = arca_cat__opt_int(d, "number"), ds, schema_id;
	json_t *val = json_object_get(d, "validation");
	json_t *drift = json_object_get(d, "drift");
	json_t *ingest = json_object_get(d, "ingest");
	char ref[ARCA_KEY_MAX];
	sqlite3_stmt *st;
	int rc;

	if (!name || n < 1 || !arca_cat__opt_str(d, "snapshot"))
		return arca_error_set(err, ARCA_ECORRUPT, "dataset-version "
			"record lacks a dataset, number or snapshot");
	arca_cat__ref_version(ref, name, n);
	if ((rc = arca_cat__claimed(c, ref, id, err)) <= 0)
		return rc;
	if ((rc = query_int(c, &ds, "SELECT id FROM datasets WHERE name = ?",
		name, 0, err)) <= 0)
		return rc;
	if ((rc = query_int(c, &schema_id, "SELECT s.id FROM schemas s JOIN "
		"datasets d ON d.id = s.dataset_id WHERE d.name = ? AND "
		"s.version = ?", name, arca_cat__opt_int(d, "schema_version"), err)) <= 0)
		return rc ? rc : arca_error_set(err, ARCA_ECORRUPT,
			"dataset-version %s@%lld names schema version %lld, "
			"which is not recorded", name, (long long)n,
			(long long)arca_cat__opt_int(d, "schema_version"));
	if ((rc = arca_cat__prepare(c, &st, "INSERT INTO versions(dataset_id,"
		" version, record, snapshot, schema_id, stats, rows, "
		"invalid_rows, files, bytes, drift, severity, needs_ack, "
		"message, created, created_by, host) VALUES "
		"(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)", err)) < 0)
		return rc;
	sqlite3_bind_int64(st, 1, ds);
	sqlite3_bind_int64(st, 2, n);
	arca_cat__bind_id(st, 3, id);
	arca_cat__bind_text(st, 4, arca_cat__opt_str(d, "snapshot"));
	sqlite3_bind_int64(st, 5, schema_id);
	arca_cat__bind_text(st, 6, arca_cat__opt_str(d, "stats"));
	sqlite3_bind_int64(st, 7, arca_cat__opt_int(val, "rows"));
	sqlite3_bind_int64(st, 8, arca_cat__opt_int(val, "invalid_rows"));
	sqlite3_bind_int64(st, 9, arca_cat__opt_int(d, "files"));
	sqlite3_bind_int64(st, 10, arca_cat__opt_int(d, "bytes"));
	arca_cat__bind_text(st, 11, arca_cat__opt_str(drift, "report"));
	arca_cat__bind_text(st, 12, arca_cat__opt_str(drift, "severity") ?
		arca_cat__opt_str(drift, "severity") : "none");
	sqlite3_bind_int(st, 13, json_is_true(json_object_get(drift,
		"needs_ack")));
	arca_cat__bind_text(st, 14, arca_cat__opt_str(d, "message"));
	arca_cat__bind_text(st, 15, arca_cat__opt_str(d, "time"));
	arca_cat__bind_text(st, 16, arca_cat__opt_str(d, "username"));
	arca_cat__bind_text(st, 17, arca_cat__opt_str(d, "hostname"));
	if ((rc = arca_cat__step_done(c, st, "adding a version", err)) < 0)
		return rc;
	if (json_is_object(ingest)) {
		int64_t vid = sqlite3_last_insert_rowid(c->db);
		char *text = json_dumps(ingest, JSON_COMPACT | JSON_SORT_KEYS);
		if (!text)
			return arca_error_set(err, ARCA_ERROR, "out of memory");
		if ((rc = arca_cat__prepare(c, &st, "INSERT INTO ingest_items("
			"version_id, source, item, kind, provenance) VALUES "
			"(?,?,?,?,?)", err)) == 0) {
			sqlite3_bind_int64(st, 1, vid);
			arca_cat__bind_text(st, 2, arca_cat__opt_str(ingest, "source") ?
				arca_cat__opt_str(ingest, "source") : "");
			arca_cat__bind_text(st, 3, arca_cat__opt_str(ingest, "item") ?
				arca_cat__opt_str(ingest, "item") : "");
			arca_cat__bind_text(st, 4, arca_cat__opt_str(ingest, "kind"));
			arca_cat__bind_text(st, 5, text);
			rc = arca_cat__step_done(c, st, "adding ingest state", err);
		}
		free(text);
		if (rc < 0)
			return rc;
	}
	return 1;
}

static int version_rowid(arca_catalog *c, int64_t *out, const char *rec,
	arca_error *err)
{
	return query_int(c, out, "SELECT id FROM versions WHERE record = ?",
		rec, 0, err);
}

static int import_tag(arca_catalog *c, const arca_id *id, json_t *d,
	arca_error *err)
{
	const char *name = arca_cat__opt_str(d, "dataset"), *tag = arca_cat__opt_str(d, "tag");
	const char *target = arca_cat__opt_str(d, "target");
	char ref[ARCA_KEY_MAX];
	int64_t vid, ds;
	sqlite3_stmt *st;
	int rc, current;

	if (!name || !tag || !target)
		return arca_error_set(err, ARCA_ECORRUPT, "dataset-tag record "
			"lacks a dataset, tag or target");
	if ((rc = version_rowid(c, &vid, target, err)) <= 0 ||
		(rc = query_int(c, &ds, "SELECT id FROM datasets WHERE "
		"name = ?", name, 0, err)) <= 0)
		return rc;
	arca_cat__ref_tag(ref, name, tag);
	if ((current = arca_cat__claimed(c, ref, id, err)) < 0)
		return current;
	if (current) {
		if ((rc = arca_cat__prepare(c, &st, "UPDATE tags SET current "
			"= 0 WHERE dataset_id = ? AND tag = ?", err)) < 0)
			return rc;
		sqlite3_bind_int64(st, 1, ds);
		arca_cat__bind_text(st, 2, tag);
		if ((rc = arca_cat__step_done(c, st, "moving a tag", err)) < 0)
			return rc;
	}
	if ((rc = arca_cat__prepare(c, &st, "INSERT INTO tags(dataset_id, tag,"
		" version_id, record, previous, current, message, created, "
		"created_by) VALUES (?,?,?,?,?,?,?,?,?)", err)) < 0)
		return rc;
	sqlite3_bind_int64(st, 1, ds);
	arca_cat__bind_text(st, 2, tag);
	sqlite3_bind_int64(st, 3, vid);
	arca_cat__bind_id(st, 4, id);
	arca_cat__bind_text(st, 5, arca_cat__opt_str(d, "previous"));
	sqlite3_bind_int(st, 6, current);
	arca_cat__bind_text(st, 7, arca_cat__opt_str(d, "message"));
	arca_cat__bind_text(st, 8, arca_cat__opt_str(d, "time"));
	arca_cat__bind_text(st, 9, arca_cat__opt_str(d, "username"));
	rc = arca_cat__step_done(c, st, "adding a tag", err);
	return rc < 0 ? rc : 1;
}

static int import_ack(arca_catalog *c, const arca_id *id, json_t *d,
	arca_error *err)
{
	const char *target = arca_cat__opt_str(d, "target"), *reason = arca_cat__opt_str(d,
		"reason");
	sqlite3_stmt *st;
	int64_t vid;
	int rc;

	if (!target || !reason)
		return arca_error_set(err, ARCA_ECORRUPT, "dataset-ack record "
			"lacks a target or reason");
	if ((rc = version_rowid(c, &vid, target, err)) <= 0)
		return rc;
	if ((rc = arca_cat__prepare(c, &st, "INSERT INTO acks(version_id, "
		"record, reason, created, created_by) VALUES (?,?,?,?,?)",
		err)) < 0)
		return rc;
	sqlite3_bind_int64(st, 1, vid);
	arca_cat__bind_id(st, 2, id);
	arca_cat__bind_text(st, 3, reason);
	arca_cat__bind_text(st, 4, arca_cat__opt_str(d, "time"));
	arca_cat__bind_text(st, 5, arca_cat__opt_str(d, "username"));
	rc = arca_cat__step_done(c, st, "adding an acknowledgement", err);
	return rc < 0 ? rc : 1;
}

static int mark_imported(arca_catalog *c, const char *kind,
	const arca_id *id, arca_error *err)
{
	sqlite3_stmt *st;
	int rc;

	if ((rc = arca_cat__prepare(c, &st, "INSERT OR IGNORE INTO records("
		"id, kind, status) VALUES (?,?,'imported')", err)) < 0)
		return rc;
	arca_cat__bind_id(st, 1, id);
	arca_cat__bind_text(st, 2, kind);
	return arca_cat__step_done(c, st, "noting a record", err);
}

/* Imports one record: 1 imported, 0 skipped (not claimed, or what it
 * names is not imported yet), <0 on error. Run inside a transaction. */
static int import_one(arca_catalog *c, const char *kind, const arca_id *id,
	json_t *doc, arca_error *err)
{
	int rc;

	if (!strcmp(kind, ARCA_REC_DATASET))
		rc = import_dataset(c, id, doc, err);
	else if (!strcmp(kind, ARCA_REC_SCHEMA))
		rc = import_schema(c, id, doc, err);
	else if (!strcmp(kind, ARCA_REC_VERSION))
		rc = import_version(c, id, doc, err);
	else if (!strcmp(kind, ARCA_REC_TAG))
		rc = import_tag(c, id, doc, err);
	else if (!strcmp(kind, ARCA_REC_ACK))
		rc = import_ack(c, id, doc, err);
	else if (!strcmp(kind, ARCA_REC_RUN))
		rc = arca_cat__import_run(c, id, doc, err);
	else
		rc = arca_cat__import_adapter(c, id, doc, err);
	if (rc < 0) {
		char s[ARCA_ID_STRSZ];
		arca_id_str(s, id);
		return arca_error_prefix(err, "%s record %s", kind, s);
	}
	if (rc == 1 && (rc = mark_imported(c, kind, id, err)) == 0)
		rc = 1;
	return rc;
}

int arca_cat__import(arca_catalog *c, const char *kind, const arca_id *id,
	json_t *doc, arca_error *err)
{
	sqlite3_stmt *st;
	int rc, known;

	if ((rc = arca_cat__exec(c, "BEGIN IMMEDIATE", err)) < 0)
		return rc;
	/* Another process's sync may have imported it already. */
	if ((rc = arca_cat__prepare(c, &st, "SELECT 1 FROM records WHERE "
		"id = ?", err)) < 0) {
		sqlite3_exec(c->db, "ROLLBACK", NULL, NULL, NULL);
		return rc;
	}
	arca_cat__bind_id(st, 1, id);
	known = sqlite3_step(st) == SQLITE_ROW;
	sqlite3_finalize(st);
	if (!known && (rc = import_one(c, kind, id, doc, err)) < 0) {
		sqlite3_exec(c->db, "ROLLBACK", NULL, NULL, NULL);
		return rc;
	}
	return arca_cat__exec(c, "COMMIT", err);
}

/* ---------------------------------------------------------------- sync */

typedef struct pending {
	arca_id id;
	json_t *doc;
	const char *key1; /* sort: dataset name */
	int64_t key2;     /* then number, or 0 */
	const char *key3; /* then time */
} pending;

typedef struct sync_ctx {
	arca_catalog *c;
	sqlite3_stmt *known;
	pending *v;
	size_t n, cap;
	int failed;
} sync_ctx;

static int collect(const arca_id *id, void *payload)
{
	sync_ctx *x = payload;

	sqlite3_reset(x->known);
	arca_cat__bind_id(x->known, 1, id);
	if (sqlite3_step(x->known) == SQLITE_ROW)
		return 0;
	if (x->n == x->cap) {
		size_t cap = x->cap ? 2 * x->cap : 64;
		pending *nv = realloc(x->v, cap * sizeof(*nv));
		if (!nv) {
			x->failed = 1;
			return ARCA_ERROR;
		}
		x->v = nv;
		x->cap = cap;
	}
	memset(&x->v[x->n], 0, sizeof(x->v[0]));
	x->v[x->n++].id = *id;
	return 0;
}

static int by_keys(const void *a, const void *b)
{
	const pending *x = a, *y = b;
	int d = strcmp(x->key1 ? x->key1 : "", y->key1 ? y->key1 : "");

	if (d)
		return d;
	if (x->key2 != y->key2)
		return x->key2 < y->key2 ? -1 : 1;
	d = strcmp(x->key3 ? x->key3 : "", y->key3 ? y->key3 : "");
	return d ? d : arca_id_cmp(&x->id, &y->id);
}

static int sync_kind(arca_catalog *c, const char *kind, arca_error *err)
{
	sync_ctx x = { c, NULL, NULL, 0, 0, 0 };
	int rc;

	if ((rc = arca_cat__prepare(c, &x.known, "SELECT 1 FROM records "
		"WHERE id = ?", err)) < 0)
		return rc;
	rc = arca_repo__record_list(c->r, kind, collect, &x, err);
	sqlite3_finalize(x.known);
	if (x.failed)
		rc = arca_error_set(err, ARCA_ERROR, "out of memory");
	for (size_t i = 0; rc >= 0 && i < x.n; i++) {
		char what[128], s[ARCA_ID_STRSZ];
		pending *p = &x.v[i];
		arca_id_str(s, &p->id);
		snprintf(what, sizeof(what), "%s record %s", kind, s);
		if ((rc = arca_repo__json_get(c->r, &p->doc, &p->id, what,
			err)) < 0) {
			/* A damaged record is verify's finding; the catalog
			 * indexes what it can read. */
			if (rc != ARCA_ECORRUPT && rc != ARCA_ENOTFOUND &&
				rc != ARCA_EINVALID)
				break;
			arca_error_clear(err);
			c->skipped++;
			p->doc = NULL;
			rc = 0;
			continue;
		}
		p->key1 = arca_cat__opt_str(p->doc, "dataset") ? arca_cat__opt_str(p->doc,
			"dataset") : arca_cat__opt_str(p->doc, "name");
		/* Runs: every run's first record before any second one. */
		p->key2 = arca_cat__opt_int(p->doc, !strcmp(kind, ARCA_REC_SCHEMA) ?
			"schema_version" : !strcmp(kind, ARCA_REC_RUN) ? "seq" :
			"number");
		if (!strcmp(kind, ARCA_REC_RUN))
			p->key1 = NULL;
		p->key3 = arca_cat__opt_str(p->doc, "time");
	}
	if (rc >= 0 && x.n)
		qsort(x.v, x.n, sizeof(*x.v), by_keys);
	for (size_t i = 0; rc >= 0 && i < x.n; i++) {
		if (!x.v[i].doc)
			continue;
		/* A savepoint per record: one that cannot be imported leaves
		 * no half of itself behind. */
		if ((rc = arca_cat__exec(c, "SAVEPOINT rec", err)) < 0)
			break;
		rc = import_one(c, kind, &x.v[i].id, x.v[i].doc, err);
		if (rc == ARCA_ECORRUPT || rc == ARCA_EINVALID ||
			rc == ARCA_ENOTFOUND) {
			sqlite3_exec(c->db, "ROLLBACK TO rec", NULL, NULL, NULL);
			arca_error_clear(err);
			c->skipped++;
			rc = 0;
		}
		if (rc >= 0)
			rc = arca_cat__exec(c, "RELEASE rec", err);
	}
	for (size_t i = 0; i < x.n; i++)
		json_decref(x.v[i].doc);
	free(x.v);
	return rc < 0 ? rc : 0;
}

int arca_cat__sync(arca_catalog *c, arca_error *err)
{
	static const char *const kinds[] = { ARCA_REC_DATASET,
		ARCA_REC_SCHEMA, ARCA_REC_VERSION, ARCA_REC_TAG, ARCA_REC_ACK,
		ARCA_REC_RUN, ARCA_REC_ADAPTER };
	int rc;

	if ((rc = arca_cat__exec(c, "BEGIN IMMEDIATE", err)) < 0)
		return rc;
	c->skipped = 0;
	for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
		if ((rc = sync_kind(c, kinds[i], err)) < 0) {
			sqlite3_exec(c->db, "ROLLBACK", NULL, NULL, NULL);
			return rc;
		}
	return arca_cat__exec(c, "COMMIT", err);
}
