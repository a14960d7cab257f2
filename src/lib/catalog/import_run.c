/*
 * Indexing the runner's records: a run's first record makes its row and
 * its inputs (lineage: which dataset versions it used); each later one
 * moves its state forward; a finished run's outputs are listed; an
 * adapter record makes an adapters row linked to its run. A record that
 * does not hold its claim ref lost a race and is not indexed.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include "catalog/cat.h"

static int run_rowid(arca_catalog *c, int64_t *out, const char *record,
	arca_error *err)
{
	sqlite3_stmt *st;
	int rc;

	if ((rc = arca_cat__prepare(c, &st, "SELECT id FROM runs WHERE "
		"record = ?", err)) < 0)
		return rc;
	arca_cat__bind_text(st, 1, record);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		*out = sqlite3_column_int64(st, 0);
		rc = 1;
	} else {
		rc = rc == SQLITE_DONE ? 0 : arca_cat__db_fail(c, err,
			"finding a run");
	}
	sqlite3_finalize(st);
	return rc;
}

static int run_first(arca_catalog *c, const char *record, json_t *d,
	arca_error *err)
{
	json_t *tpl = json_object_get(d, "template"), *in;
	sqlite3_stmt *st;
	int64_t rid = 0;
	size_t i;
	int rc;

	if ((rc = arca_cat__prepare(c, &st, "INSERT INTO runs(record, "
		"template, template_version, status, created, created_by, seq, "
		"state, parent, updated) VALUES (?,?,?,?,?,?,1,?,?,?)", err)) < 0)
		return rc;
	arca_cat__bind_text(st, 1, record);
	arca_cat__bind_text(st, 2, arca_cat__opt_str(tpl, "name"));
	arca_cat__bind_text(st, 3, arca_cat__opt_str(tpl, "version"));
	arca_cat__bind_text(st, 4, arca_cat__opt_str(d, "status"));
	arca_cat__bind_text(st, 5, arca_cat__opt_str(d, "time"));
	arca_cat__bind_text(st, 6, arca_cat__opt_str(d, "username"));
	arca_cat__bind_text(st, 7, record);
	arca_cat__bind_text(st, 8, arca_cat__opt_str(d, "parent"));
	arca_cat__bind_text(st, 9, arca_cat__opt_str(d, "time"));
	if ((rc = arca_cat__step_done(c, st, "adding a run", err)) < 0)
		return rc;
	rid = sqlite3_last_insert_rowid(c->db);
	json_array_foreach(json_object_get(d, "inputs"), i, in) {
		if ((rc = arca_cat__prepare(c, &st, "INSERT OR IGNORE INTO "
			"run_inputs(run_id, name, version_id, snapshot) VALUES "
			"(?, ?, (SELECT id FROM versions WHERE record = ?), ?)",
			err)) < 0)
			return rc;
		sqlite3_bind_int64(st, 1, rid);
		arca_cat__bind_text(st, 2, arca_cat__opt_str(in, "name"));
		arca_cat__bind_text(st, 3, arca_cat__opt_str(in, "record"));
		arca_cat__bind_text(st, 4, arca_cat__opt_str(in, "snapshot") ?
			arca_cat__opt_str(in, "snapshot") : "");
		if ((rc = arca_cat__step_done(c, st, "adding a run input",
			err)) < 0)
			return rc;
	}
	return 1;
}

static int run_outputs(arca_catalog *c, int64_t rid, json_t *d,
	arca_error *err)
{
	json_t *stage, *o;
	const char *name;
	sqlite3_stmt *st;
	size_t i;
	int rc;

	json_array_foreach(json_object_get(d, "stages"), i, stage) {
		json_object_foreach(json_object_get(stage, "outputs"), name, o) {
			if ((rc = arca_cat__prepare(c, &st, "INSERT OR REPLACE "
				"INTO run_outputs(run_id, name, kind, object) "
				"VALUES (?,?,?,?)", err)) < 0)
				return rc;
			sqlite3_bind_int64(st, 1, rid);
			arca_cat__bind_text(st, 2, name);
			arca_cat__bind_text(st, 3, arca_cat__opt_str(o, "kind") ?
				arca_cat__opt_str(o, "kind") : "data");
			arca_cat__bind_text(st, 4, arca_cat__opt_str(o,
				"snapshot") ? arca_cat__opt_str(o, "snapshot") : "");
			if ((rc = arca_cat__step_done(c, st, "adding a run "
				"output", err)) < 0)
				return rc;
		}
	}
	return 0;
}

int arca_cat__import_run(arca_catalog *c, const arca_id *id, json_t *d,
	arca_error *err)
{
	int64_t seq = arca_cat__opt_int(d, "seq"), rid = 0;
	const char *run = arca_cat__opt_str(d, "run");
	char self[ARCA_ID_STRSZ], hex[ARCA_ID_HEXSZ + 1], ref[ARCA_KEY_MAX];
	json_t *ad = json_object_get(d, "adapter");
	sqlite3_stmt *st;
	arca_id run_id;
	int rc;

	arca_id_str(self, id);
	if (seq < 1 || (seq > 1 && (!run || arca_id_parse(&run_id, run) < 0)))
		return arca_error_set(err, ARCA_ECORRUPT, "run record lacks its "
			"sequence number or run");
	if (seq == 1)
		run_id = *id;
	arca_id_hex(hex, &run_id);
	snprintf(ref, sizeof(ref), "runs/%s/%06" PRId64, hex, seq);
	if ((rc = arca_cat__claimed(c, ref, id, err)) <= 0)
		return rc;
	if (seq == 1)
		rc = run_first(c, self, d, err);
	if (rc < 0)
		return rc;
	arca_id_str(self, &run_id);
	if ((rc = run_rowid(c, &rid, self, err)) <= 0)
		return rc;
	arca_id_str(self, id);
	if ((rc = arca_cat__prepare(c, &st, "UPDATE runs SET seq = ?, "
		"state = ?, status = ?, message = ?, updated = ?, adapter = ? "
		"WHERE id = ? AND seq <= ?", err)) < 0)
		return rc;
	sqlite3_bind_int64(st, 1, seq);
	arca_cat__bind_text(st, 2, self);
	arca_cat__bind_text(st, 3, arca_cat__opt_str(d, "status"));
	arca_cat__bind_text(st, 4, arca_cat__opt_str(d, "message"));
	arca_cat__bind_text(st, 5, arca_cat__opt_str(d, "time"));
	if (ad && arca_cat__opt_str(ad, "name") && arca_cat__opt_str(ad,
		"version")) {
		char av[300];
		snprintf(av, sizeof(av), "%s@%s", arca_cat__opt_str(ad, "name"),
			arca_cat__opt_str(ad, "version"));
		arca_cat__bind_text(st, 6, av);
	} else {
		sqlite3_bind_null(st, 6);
	}
	sqlite3_bind_int64(st, 7, rid);
	sqlite3_bind_int64(st, 8, seq);
	if ((rc = arca_cat__step_done(c, st, "updating a run", err)) < 0)
		return rc;
	if ((rc = run_outputs(c, rid, d, err)) < 0)
		return rc;
	return 1;
}

int arca_cat__import_adapter(arca_catalog *c, const arca_id *id, json_t *d,
	arca_error *err)
{
	const char *name = arca_cat__opt_str(d, "name");
	const char *ver = arca_cat__opt_str(d, "adapter_version");
	char ref[ARCA_KEY_MAX], self[ARCA_ID_STRSZ];
	sqlite3_stmt *st;
	int rc;

	if (!name || !ver || !arca_cat__opt_str(d, "package"))
		return arca_error_set(err, ARCA_ECORRUPT, "adapter record lacks "
			"its name, version or package");
	snprintf(ref, sizeof(ref), "adapters/%s/%s", name, ver);
	if ((rc = arca_cat__claimed(c, ref, id, err)) <= 0)
		return rc;
	arca_id_str(self, id);
	if ((rc = arca_cat__prepare(c, &st, "INSERT OR IGNORE INTO adapters("
		"name, version, record, run_id, package, created, created_by) "
		"VALUES (?, ?, ?, (SELECT id FROM runs WHERE record = ?), ?, ?, "
		"?)", err)) < 0)
		return rc;
	arca_cat__bind_text(st, 1, name);
	arca_cat__bind_text(st, 2, ver);
	arca_cat__bind_text(st, 3, self);
	arca_cat__bind_text(st, 4, arca_cat__opt_str(d, "run"));
	arca_cat__bind_text(st, 5, arca_cat__opt_str(d, "package"));
	arca_cat__bind_text(st, 6, arca_cat__opt_str(d, "time"));
	arca_cat__bind_text(st, 7, arca_cat__opt_str(d, "username"));
	if ((rc = arca_cat__step_done(c, st, "adding an adapter", err)) < 0)
		return rc;
	return 1;
}
