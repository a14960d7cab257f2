/*
 * The catalog's listings as JSON, built by SQLite's JSON functions and
 * re-serialized with sorted keys. Every ORDER BY ends on values that come
 * from the records (numbers, times, record ids), never on row ids, so a
 * rebuilt catalog lists exactly the same bytes.
 */
#include <stdlib.h>
#include <string.h>
#include "catalog/cat.h"
#include "util/json.h"

#define JBOOL(x) "json(CASE WHEN " x " THEN 'true' ELSE 'false' END)"

/* Runs sql (binding name as ?1 when not NULL), whose one row and column
 * is JSON text, into *out. */
static int query_json(arca_catalog *c, json_t **out, const char *sql,
	const char *name, arca_error *err)
{
	sqlite3_stmt *st;
	json_error_t je;
	int rc;

	if ((rc = arca_cat__prepare(c, &st, sql, err)) < 0)
		return rc;
	if (name)
		arca_cat__bind_text(st, 1, name);
	if (sqlite3_step(st) != SQLITE_ROW) {
		rc = arca_cat__db_fail(c, err, "listing");
	} else {
		const char *t = (const char *)sqlite3_column_text(st, 0);
		if (!(*out = json_loads(t ? t : "null", JSON_DECODE_ANY, &je)))
			rc = arca_error_set(err, ARCA_ERROR, "catalog '%s': "
				"bad listing: %s", c->path, je.text);
	}
	sqlite3_finalize(st);
	return rc;
}

static int dump(char **out, json_t *j, arca_error *err)
{
	*out = json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENCODE_ANY);
	json_decref(j);
	return *out ? 0 : arca_error_set(err, ARCA_ERROR, "out of memory");
}

#define DATASET_FIELDS \
	"'name', d.name, 'record', d.record, 'description', d.description, " \
	"'owner', d.owner, 'created', d.created, 'created_by', " \
	"d.created_by, 'format', (SELECT s.format FROM schemas s WHERE " \
	"s.dataset_id = d.id ORDER BY s.version DESC LIMIT 1), " \
	"'schema_version', (SELECT MAX(s.version) FROM schemas s WHERE " \
	"s.dataset_id = d.id), 'versions', (SELECT COUNT(*) FROM versions v " \
	"WHERE v.dataset_id = d.id), 'latest', (SELECT MAX(v.version) FROM " \
	"versions v WHERE v.dataset_id = d.id)"

int arca_catalog_datasets_json(arca_catalog *c, char **out, arca_error *err)
{
	json_t *j;
	int rc = query_json(c, &j, "SELECT json_group_array(json(o)) FROM "
		"(SELECT json_object(" DATASET_FIELDS ") AS o FROM datasets d "
		"ORDER BY d.name)", NULL, err);

	return rc < 0 ? rc : dump(out, j, err);
}

int arca_catalog_dataset_json(arca_catalog *c, const char *name,
	char **out, arca_error *err)
{
	arca_cat_dataset ds;
	arca_schema *s = NULL;
	json_t *j;
	int rc;

	if ((rc = arca_cat__dataset_get(c, &ds, name, err)) < 0 ||
		(rc = query_json(c, &j, "SELECT json_object(" DATASET_FIELDS ", "
		"'schemas', (SELECT json_group_array(json(o)) FROM (SELECT "
		"json_object('version', s.version, 'object', s.object, 'record', "
		"s.record, 'format', s.format, 'message', s.message, 'created', "
		"s.created, 'created_by', s.created_by) AS o FROM schemas s WHERE "
		"s.dataset_id = d.id ORDER BY s.version)), "
		"'tags', (SELECT json_group_array(json(o)) FROM (SELECT "
		"json_object('tag', t.tag, 'version', v.version, 'record', "
		"t.record, 'message', t.message, 'created', t.created, "
		"'created_by', t.created_by) AS o FROM tags t JOIN versions v ON "
		"v.id = t.version_id WHERE t.dataset_id = d.id AND t.current = 1 "
		"ORDER BY t.tag))) FROM datasets d WHERE d.name = ?", name,
		err)) < 0)
		return rc;
	/* The schema in force, as its fields say it. */
	if ((rc = arca_cat__schema_load(c, &s, &ds.schema_object, err)) < 0) {
		json_decref(j);
		return rc;
	}
	json_object_set_new(j, "schema", arca_schema_to_json(s));
	arca_schema_free(s);
	return dump(out, j, err);
}

int arca_catalog_versions_json(arca_catalog *c, const char *name,
	char **out, arca_error *err)
{
	arca_cat_dataset ds;
	json_t *j;
	int rc;

	if ((rc = arca_cat__dataset_get(c, &ds, name, err)) < 0 ||
		(rc = query_json(c, &j, "SELECT json_group_array(json(o)) FROM "
		"(SELECT json_object('dataset', d.name, 'version', v.version, "
		"'record', v.record, 'snapshot', v.snapshot, 'schema_version', "
		"s.version, 'rows', v.rows, 'invalid_rows', v.invalid_rows, "
		"'files', v.files, 'bytes', v.bytes, 'severity', v.severity, "
		"'needs_ack', " JBOOL("v.needs_ack") ", 'acked', "
		JBOOL("EXISTS (SELECT 1 FROM acks a WHERE a.version_id = v.id)")
		", 'message', v.message, 'created', v.created, 'created_by', "
		"v.created_by, 'tags', (SELECT json_group_array(t.tag) FROM "
		"(SELECT t.tag FROM tags t WHERE t.version_id = v.id AND "
		"t.current = 1 ORDER BY t.tag) t), 'ingest', (SELECT json_object("
		"'source', i.source, 'item', i.item) FROM ingest_items i WHERE "
		"i.version_id = v.id)) AS o FROM versions v JOIN datasets d ON "
		"d.id = v.dataset_id JOIN schemas s ON s.id = v.schema_id WHERE "
		"d.name = ? ORDER BY v.version)", name, err)) < 0)
		return rc;
	return dump(out, j, err);
}

int arca_catalog_log_json(arca_catalog *c, const char *name, char **out,
	arca_error *err)
{
	arca_cat_dataset ds;
	json_t *j;
	int rc;

	if ((rc = arca_cat__dataset_get(c, &ds, name, err)) < 0 ||
		(rc = query_json(c, &j, "SELECT json_group_array(json(o)) FROM ("
		"SELECT s.created, s.record, json_object('event', CASE WHEN s.version "
		"= 1 THEN 'created' ELSE 'schema' END, 'schema_version', "
		"s.version, 'message', s.message, 'time', s.created, 'user', "
		"s.created_by, 'record', s.record) AS o FROM schemas s JOIN "
		"datasets d ON d.id = s.dataset_id WHERE d.name = ?1 "
		"UNION ALL SELECT v.created, v.record, json_object('event', "
		"'version', 'version', v.version, 'snapshot', v.snapshot, "
		"'rows', v.rows, 'severity', v.severity, 'needs_ack', "
		JBOOL("v.needs_ack") ", 'message', v.message, 'time', "
		"v.created, 'user', v.created_by, 'record', v.record) FROM "
		"versions v JOIN datasets d ON d.id = v.dataset_id WHERE d.name "
		"= ?1 "
		"UNION ALL SELECT t.created, t.record, json_object('event', 'tag',"
		" 'tag', t.tag, 'version', v.version, 'message', t.message, "
		"'time', t.created, 'user', t.created_by, 'record', t.record) "
		"FROM tags t JOIN versions v ON v.id = t.version_id JOIN datasets "
		"d ON d.id = t.dataset_id WHERE d.name = ?1 "
		"UNION ALL SELECT a.created, a.record, json_object('event', 'ack',"
		" 'version', v.version, 'reason', a.reason, 'time', a.created, "
		"'user', a.created_by, 'record', a.record) FROM acks a JOIN "
		"versions v ON v.id = a.version_id JOIN datasets d ON d.id = "
		"v.dataset_id WHERE d.name = ?1 "
		"ORDER BY 1, 2)", name, err)) < 0)
		return rc;
	return dump(out, j, err);
}

/* The schema and statistics a version record names. */
static int load_version(arca_catalog *c, const arca_dataset_version *v,
	arca_schema **schema, json_t **stats, arca_error *err)
{
	json_t *doc;
	const char *sid, *st;
	arca_id id;
	int rc;

	if ((rc = arca_repo__json_get(c->r, &doc, &v->record,
		"dataset version", err)) < 0)
		return rc;
	sid = json_string_value(json_object_get(doc, "schema"));
	st = json_string_value(json_object_get(doc, "stats"));
	if (!sid || arca_id_parse(&id, sid) < 0)
		rc = arca_error_set(err, ARCA_ECORRUPT, "%s@%lld names no "
			"schema", v->name, (long long)v->version);
	else if ((rc = arca_cat__schema_load(c, schema, &id, err)) == 0 &&
		st && arca_id_parse(&id, st) == 0)
		rc = arca_repo__json_get(c->r, stats, &id, "statistics", err);
	json_decref(doc);
	return rc;
}

int arca_catalog_diff_json(arca_catalog *c, const char *ref_a,
	const char *ref_b, const char *policy_path, char **out,
	arca_error *err)
{
	arca_dataset_version a, b;
	arca_schema *sa = NULL, *sb = NULL;
	json_t *ta = NULL, *tb = NULL, *report = NULL;
	arca_drift_policy *pol = NULL;
	const arca_drift_policy *in_force = NULL;
	char name[160];
	int rc;

	if ((rc = arca_cat__resolve(c, &a, NULL, ref_a, err)) < 0 ||
		(rc = arca_cat__resolve(c, &b, NULL, ref_b, err)) < 0 ||
		(policy_path && (rc = arca_drift_policy_load_file(&pol,
			policy_path, err)) < 0) ||
		(rc = load_version(c, &a, &sa, &ta, err)) < 0 ||
		(rc = load_version(c, &b, &sb, &tb, err)) < 0)
		goto done;
	if (!pol && (rc = arca_cat__policy(c, &in_force, err)) < 0)
		goto done;
	if (!(report = arca_drift_compare(sa, ta, sb, tb, pol ? pol :
		in_force))) {
		rc = arca_error_set(err, ARCA_ERROR, "out of memory");
		goto done;
	}
	snprintf(name, sizeof(name), "%s@%lld", a.name, (long long)a.version);
	json_object_set_new(report, "from", json_string(name));
	snprintf(name, sizeof(name), "%s@%lld", b.name, (long long)b.version);
	json_object_set_new(report, "to", json_string(name));
	rc = dump(out, report, err);
	report = NULL;
done:
	json_decref(report);
	json_decref(ta);
	json_decref(tb);
	arca_schema_free(sa);
	arca_schema_free(sb);
	arca_drift_policy_free(pol);
	return rc;
}

int arca_catalog_ingest_last(arca_catalog *c, const char *source,
	const char *item, char **provenance, arca_error *err)
{
	sqlite3_stmt *st;
	int rc;

	if ((rc = arca_cat__prepare(c, &st, "SELECT i.provenance FROM "
		"ingest_items i JOIN versions v ON v.id = i.version_id WHERE "
		"i.source = ? AND i.item = ? ORDER BY v.created DESC, "
		"v.record DESC LIMIT 1", err)) < 0)
		return rc;
	arca_cat__bind_text(st, 1, source);
	arca_cat__bind_text(st, 2, item);
	if (sqlite3_step(st) == SQLITE_ROW) {
		const char *t = (const char *)sqlite3_column_text(st, 0);
		if (!(*provenance = strdup(t ? t : "{}")))
			rc = arca_error_set(err, ARCA_ERROR, "out of memory");
	} else {
		rc = arca_error_set(err, ARCA_ENOTFOUND, "source '%s' has not "
			"ingested '%s'", source, item);
	}
	sqlite3_finalize(st);
	return rc;
}
