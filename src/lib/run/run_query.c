/*
 * Listings of runs and adapters from the catalog's index (SQLite JSON
 * functions), newest first, ordered by values from the records.
 */
#include <stdlib.h>
#include <string.h>
#include "run/runner.h"

static int query_text(char **out, arca_catalog *c, const char *sql,
	const char *bind, arca_error *err)
{
	sqlite3_stmt *st;
	int rc;

	if ((rc = arca_cat__prepare(c, &st, sql, err)) < 0)
		return rc;
	if (bind)
		arca_cat__bind_text(st, 1, bind);
	if (sqlite3_step(st) != SQLITE_ROW) {
		rc = arca_cat__db_fail(c, err, "listing");
	} else {
		const char *t = (const char *)sqlite3_column_text(st, 0);
		if (!(*out = strdup(t ? t : "[]")))
			rc = arca_error_set(err, ARCA_ERROR, "out of memory");
	}
	sqlite3_finalize(st);
	return rc;
}

int arca_runs_json(char **out, arca_catalog *c, arca_error *err)
{
	return query_text(out, c, "SELECT json_group_array(json(o)) FROM ("
		"SELECT json_object('run', r.record, 'template', r.template, "
		"'template_version', r.template_version, 'status', r.status, "
		"'message', r.message, 'created', r.created, 'created_by', "
		"r.created_by, 'updated', r.updated, 'seq', r.seq, 'state', "
		"r.state, 'parent', r.parent, 'adapter', r.adapter, 'inputs', "
		"(SELECT json_group_array(json_object('name', i.name, "
		"'version', (SELECT d.name || '@' || v.version FROM versions v "
		"JOIN datasets d ON d.id = v.dataset_id WHERE v.id = "
		"i.version_id), 'snapshot', i.snapshot)) FROM run_inputs i "
		"WHERE i.run_id = r.id)) AS o FROM runs r ORDER BY r.created "
		"DESC, r.record DESC)", NULL, err);
}

int arca_adapters_json(char **out, arca_catalog *c, const char *name,
	arca_error *err)
{
	return query_text(out, c, "SELECT json_group_array(json(o)) FROM ("
		"SELECT json_object('name', a.name, 'version', a.version, "
		"'record', a.record, 'package', a.package, 'created', "
		"a.created, 'created_by', a.created_by, 'run', (SELECT "
		"r.record FROM runs r WHERE r.id = a.run_id), 'template', "
		"(SELECT r.template FROM runs r WHERE r.id = a.run_id)) AS o "
		"FROM adapters a WHERE ?1 IS NULL OR a.name = ?1 ORDER BY "
		"a.created DESC, a.record DESC)", name, err);
}
