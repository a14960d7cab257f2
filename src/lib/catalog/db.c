/*
 * The catalog database: a real SQLite file in WAL mode with foreign keys
 * and a busy timeout; the schema is versioned with PRAGMA user_version
 * and migrated step by step (formats/catalog.md). It is an index: any
 * table can be dropped and rebuilt from the repository's records.
 */
#include <stdlib.h>
#include <string.h>
#include "catalog/cat.h"
#include "util/buf.h"
#include "util/fs.h"

/* Migration n brings user_version n-1 to n. Never edit a shipped step:
 * add the next one. */
static const char *const migrations[] = {
	/* 1: datasets, schemas, versions, tags, acks, ingest state, and the
	 * lineage tables the runner fills (runs, inputs, outputs,
	 * adapters). */
	"CREATE TABLE records("
	" id TEXT PRIMARY KEY,"            /* sha256:<hex> */
	" kind TEXT NOT NULL,"
	" status TEXT NOT NULL"            /* imported | orphan */
	") WITHOUT ROWID;"
	"CREATE TABLE datasets("
	" id INTEGER PRIMARY KEY,"
	" name TEXT NOT NULL UNIQUE,"
	" record TEXT NOT NULL UNIQUE,"
	" description TEXT, owner TEXT,"
	" created TEXT NOT NULL, created_by TEXT);"
	"CREATE TABLE schemas("
	" id INTEGER PRIMARY KEY,"
	" dataset_id INTEGER NOT NULL REFERENCES datasets(id),"
	" version INTEGER NOT NULL,"
	" object TEXT NOT NULL,"           /* the schema's canonical JSON */
	" record TEXT NOT NULL,"           /* dataset or dataset-schema */
	" format TEXT NOT NULL,"
	" message TEXT, created TEXT NOT NULL, created_by TEXT,"
	" UNIQUE(dataset_id, version));"
	"CREATE TABLE versions("
	" id INTEGER PRIMARY KEY,"
	" dataset_id INTEGER NOT NULL REFERENCES datasets(id),"
	" version INTEGER NOT NULL,"
	" record TEXT NOT NULL UNIQUE,"
	" snapshot TEXT NOT NULL,"
	" schema_id INTEGER NOT NULL REFERENCES schemas(id),"
	" stats TEXT,"                     /* statistics object id */
	" rows INTEGER NOT NULL, invalid_rows INTEGER NOT NULL,"
	" files INTEGER NOT NULL, bytes INTEGER NOT NULL,"
	" drift TEXT,"                     /* report object id */
	" severity TEXT NOT NULL, needs_ack INTEGER NOT NULL,"
	" message TEXT, created TEXT NOT NULL, created_by TEXT, host TEXT,"
	" UNIQUE(dataset_id, version));"
	"CREATE INDEX versions_snapshot ON versions(snapshot);"
	"CREATE TABLE tags("
	" id INTEGER PRIMARY KEY,"
	" dataset_id INTEGER NOT NULL REFERENCES datasets(id),"
	" tag TEXT NOT NULL,"
	" version_id INTEGER NOT NULL REFERENCES versions(id),"
	" record TEXT NOT NULL UNIQUE,"
	" previous TEXT,"                  /* the tag record it moved from */
	" current INTEGER NOT NULL,"       /* 1: where the tag is now */
	" message TEXT, created TEXT NOT NULL, created_by TEXT);"
	"CREATE INDEX tags_name ON tags(dataset_id, tag, current);"
	"CREATE TABLE acks("
	" id INTEGER PRIMARY KEY,"
	" version_id INTEGER NOT NULL REFERENCES versions(id),"
	" record TEXT NOT NULL UNIQUE,"
	" reason TEXT NOT NULL, created TEXT NOT NULL, created_by TEXT);"
	"CREATE INDEX acks_version ON acks(version_id);"
	"CREATE TABLE ingest_items("
	" version_id INTEGER PRIMARY KEY REFERENCES versions(id),"
	" source TEXT NOT NULL, item TEXT NOT NULL, kind TEXT,"
	" provenance TEXT NOT NULL);"     /* the record's "ingest" JSON */
	"CREATE INDEX ingest_items_key ON ingest_items(source, item,"
	" version_id);"
	/* Lineage. "Everything an adapter was made from": adapters ->
	 * run_inputs by run_id (indexed); "everything made from a dataset
	 * version": run_inputs by version_id (indexed) -> runs. */
	"CREATE TABLE runs("
	" id INTEGER PRIMARY KEY,"
	" record TEXT NOT NULL UNIQUE,"
	" template TEXT, template_version TEXT, status TEXT,"
	" created TEXT NOT NULL, created_by TEXT);"
	"CREATE TABLE run_inputs("
	" run_id INTEGER NOT NULL REFERENCES runs(id),"
	" name TEXT NOT NULL,"
	" version_id INTEGER REFERENCES versions(id),"
	" snapshot TEXT NOT NULL,"
	" PRIMARY KEY(run_id, name));"
	"CREATE INDEX run_inputs_version ON run_inputs(version_id);"
	"CREATE INDEX run_inputs_snapshot ON run_inputs(snapshot);"
	"CREATE TABLE run_outputs("
	" run_id INTEGER NOT NULL REFERENCES runs(id),"
	" name TEXT NOT NULL, kind TEXT NOT NULL,"
	" object TEXT NOT NULL,"
	" PRIMARY KEY(run_id, name));"
	"CREATE INDEX run_outputs_object ON run_outputs(object);"
	"CREATE TABLE adapters("
	" id INTEGER PRIMARY KEY,"
	" name TEXT NOT NULL, version TEXT NOT NULL,"
	" record TEXT NOT NULL UNIQUE,"
	" run_id INTEGER REFERENCES runs(id),"
	" package TEXT NOT NULL,"
	" created TEXT NOT NULL, created_by TEXT,"
	" UNIQUE(name, version));"
	"CREATE INDEX adapters_run ON adapters(run_id);",
	/* 2: a run's progress (its latest record), its parent (re-runs)
	 * and its outcome. */
	"ALTER TABLE runs ADD COLUMN seq INTEGER NOT NULL DEFAULT 0;"
	"ALTER TABLE runs ADD COLUMN state TEXT;"
	"ALTER TABLE runs ADD COLUMN parent TEXT;"
	"ALTER TABLE runs ADD COLUMN message TEXT;"
	"ALTER TABLE runs ADD COLUMN updated TEXT;"
	"ALTER TABLE runs ADD COLUMN adapter TEXT;"
	"CREATE INDEX runs_parent ON runs(parent);",
};

#define NMIGRATIONS ((int)(sizeof(migrations) / sizeof(migrations[0])))

int arca_cat__db_fail(arca_catalog *c, arca_error *err, const char *what)
{
	return arca_error_set(err, ARCA_ERROR, "catalog '%s': %s: %s",
		c->path, what, c->db ? sqlite3_errmsg(c->db) : "not open");
}

int arca_cat__exec(arca_catalog *c, const char *sql, arca_error *err)
{
	char *msg = NULL;

	if (sqlite3_exec(c->db, sql, NULL, NULL, &msg) == SQLITE_OK)
		return 0;
	arca_error_set(err, ARCA_ERROR, "catalog '%s': %s", c->path,
		msg ? msg : sqlite3_errmsg(c->db));
	sqlite3_free(msg);
	return ARCA_ERROR;
}

int arca_cat__prepare(arca_catalog *c, sqlite3_stmt **st, const char *sql,
	arca_error *err)
{
	if (sqlite3_prepare_v2(c->db, sql, -1, st, NULL) == SQLITE_OK)
		return 0;
	*st = NULL;
	return arca_cat__db_fail(c, err, "preparing a query");
}

void arca_cat__bind_text(sqlite3_stmt *st, int i, const char *s)
{
	if (s)
		sqlite3_bind_text(st, i, s, -1, SQLITE_TRANSIENT);
	else
		sqlite3_bind_null(st, i);
}

void arca_cat__bind_id(sqlite3_stmt *st, int i, const arca_id *id)
{
	char s[ARCA_ID_STRSZ];

	arca_id_str(s, id);
	sqlite3_bind_text(st, i, s, -1, SQLITE_TRANSIENT);
}

static int user_version(arca_catalog *c, int *v, arca_error *err)
{
	sqlite3_stmt *st;
	int rc;

	if ((rc = arca_cat__prepare(c, &st, "PRAGMA user_version", err)) < 0)
		return rc;
	*v = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int(st, 0) : 0;
	sqlite3_finalize(st);
	return 0;
}

/* Applies the missing migrations in one BEGIN IMMEDIATE transaction, so
 * two processes opening a new catalog do not race. */
static int migrate(arca_catalog *c, arca_error *err)
{
	int v, rc;

	if ((rc = arca_cat__exec(c, "BEGIN IMMEDIATE", err)) < 0)
		return rc;
	if ((rc = user_version(c, &v, err)) < 0)
		goto fail;
	if (v > NMIGRATIONS) {
		rc = arca_error_set(err, ARCA_EVERSION, "catalog '%s' has "
			"schema version %d; this arca knows up to %d: upgrade "
			"arca", c->path, v, NMIGRATIONS);
		goto fail;
	}
	for (; v < NMIGRATIONS; v++) {
		char pragma[64];
		if ((rc = arca_cat__exec(c, migrations[v], err)) < 0)
			goto fail;
		snprintf(pragma, sizeof(pragma), "PRAGMA user_version = %d",
			v + 1);
		if ((rc = arca_cat__exec(c, pragma, err)) < 0)
			goto fail;
	}
	return arca_cat__exec(c, "COMMIT", err);
fail:
	sqlite3_exec(c->db, "ROLLBACK", NULL, NULL, NULL);
	return rc;
}

/* Where the catalog lives when no path is given: beside a local
 * repository's config, else (a remote repository) in the cache
 * directory, which is made on first use. */
static int default_path(arca_catalog *c, arca_buf *out, arca_error *err)
{
	const char *v = getenv("ARCA_CATALOG"), *dir;
	arca_buf d = ARCA_BUF_INIT;
	int rc = 0;

	if (v && *v)
		return arca_buf_puts(out, v) < 0 ? ARCA_ERROR : 0;
	if ((dir = arca_repo__local_dir(c->r)))
		return arca_buf_printf(out, "%s/catalog.db", dir) < 0 ?
			ARCA_ERROR : 0;
	if ((rc = arca_fs_cache_path(&d, NULL, NULL, err)) < 0)
		arca_error_prefix(err, "no place for the catalog (ARCA_CATALOG "
			"is not set)");
	else if (arca_buf_printf(out, "%s/%s-catalog.db", arca_buf_cstr(&d),
		c->r->repo_id) < 0)
		rc = ARCA_ERROR;
	arca_buf_dispose(&d);
	return rc;
}

int arca_cat__db_path(arca_catalog *c, const char *path, arca_error *err)
{
	arca_buf p = ARCA_BUF_INIT;
	int rc;

	if (path)
		rc = arca_buf_puts(&p, path) < 0 ? ARCA_ERROR : 0;
	else
		rc = default_path(c, &p, err);
	if (rc < 0) {
		arca_buf_dispose(&p);
		return err && err->msg[0] ? rc :
			arca_error_set(err, ARCA_ERROR, "out of memory");
	}
	if (!(c->path = strdup(arca_buf_cstr(&p)))) {
		arca_buf_dispose(&p);
		return arca_error_set(err, ARCA_ERROR, "out of memory");
	}
	arca_buf_dispose(&p);
	return 0;
}

int arca_cat__db_open(arca_catalog *c, const char *path, arca_error *err)
{
	int rc;

	if ((rc = arca_cat__db_path(c, path, err)) < 0)
		return rc;
	if (sqlite3_open_v2(c->path, &c->db, SQLITE_OPEN_READWRITE |
		SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK)
		return arca_cat__db_fail(c, err, "cannot open");
	sqlite3_busy_timeout(c->db, 30000);
	if ((rc = arca_cat__exec(c, "PRAGMA journal_mode=WAL;"
		"PRAGMA synchronous=FULL;PRAGMA foreign_keys=ON;", err)) < 0)
		return rc;
	return migrate(c, err);
}

/* For rebuild: every table dropped and created again. */
int arca_cat__db_reset(arca_catalog *c, arca_error *err)
{
	static const char drop[] =
		"PRAGMA foreign_keys=OFF;"
		"BEGIN IMMEDIATE;"
		"DROP TABLE IF EXISTS adapters; DROP TABLE IF EXISTS run_outputs;"
		"DROP TABLE IF EXISTS run_inputs; DROP TABLE IF EXISTS runs;"
		"DROP TABLE IF EXISTS ingest_items; DROP TABLE IF EXISTS acks;"
		"DROP TABLE IF EXISTS tags; DROP TABLE IF EXISTS versions;"
		"DROP TABLE IF EXISTS schemas; DROP TABLE IF EXISTS datasets;"
		"DROP TABLE IF EXISTS records;"
		"PRAGMA user_version = 0;"
		"COMMIT;"
		"PRAGMA foreign_keys=ON;";
	int rc;

	if ((rc = arca_cat__exec(c, drop, err)) < 0) {
		sqlite3_exec(c->db, "ROLLBACK", NULL, NULL, NULL);
		return rc;
	}
	return migrate(c, err);
}
