/*
 * The catalog's internals: the SQLite index (db.c), importing records
 * into it (import.c), the record writers (dataset.c, add.c) and readers
 * (resolve.c, query.c). formats/catalog.md describes the tables and the
 * records.
 */
#ifndef ARCA_CATALOG_CAT_H
#define ARCA_CATALOG_CAT_H

#include <sqlite3.h>
#include <jansson.h>
#include "arca/catalog.h"
#include "repo/repo.h"
#include "catalog/drift.h"
#include "catalog/schema.h"

#define ARCA_CATALOG_SCHEMA_VERSION 2

/* Record kinds of the catalog (records/<kind>/<id>). */
#define ARCA_REC_DATASET "dataset"
#define ARCA_REC_SCHEMA "dataset-schema"
#define ARCA_REC_VERSION "dataset-version"
#define ARCA_REC_TAG "dataset-tag"
#define ARCA_REC_ACK "dataset-ack"
/* The runner's (formats/run-manifest.md). */
#define ARCA_REC_RUN "run"
#define ARCA_REC_ADAPTER "adapter"
#define ARCA_REC_APPROVAL "run-approval"

struct arca_catalog {
	arca_repo *r;
	sqlite3 *db;
	char *path;
	arca_drift_policy *policy; /* NULL: see arca_cat__policy */
	int skipped;               /* records the last sync could not read */
};

/* db.c: opens and migrates; *_exec and statement helpers. */
int arca_cat__db_open(arca_catalog *c, const char *path, arca_error *err);
/* Sets c->path: path, or the default place. */
int arca_cat__db_path(arca_catalog *c, const char *path, arca_error *err);
int arca_cat__db_reset(arca_catalog *c, arca_error *err);
int arca_cat__db_fail(arca_catalog *c, arca_error *err, const char *what);
int arca_cat__exec(arca_catalog *c, const char *sql, arca_error *err);
/* Prepares sql (a literal); ARCA_ERROR with the SQLite message. */
int arca_cat__prepare(arca_catalog *c, sqlite3_stmt **st, const char *sql,
	arca_error *err);
/* Binds text or NULL when s is NULL. */
void arca_cat__bind_text(sqlite3_stmt *st, int i, const char *s);
void arca_cat__bind_id(sqlite3_stmt *st, int i, const arca_id *id);

/* import.c: imports every record the index lacks, in dependency order. */
int arca_cat__sync(arca_catalog *c, arca_error *err);
/* Imports one record already read (doc) of kind; used right after a
 * writer stored it. */
int arca_cat__import(arca_catalog *c, const char *kind, const arca_id *id,
	json_t *doc, arca_error *err);

/* import.c helpers: a member or NULL / 0; 1 if refs/<ref> names id (0
 * if not or missing); steps st to SQLITE_DONE and finalizes it. */
const char *arca_cat__opt_str(json_t *o, const char *key);
int64_t arca_cat__opt_int(json_t *o, const char *key);
int arca_cat__claimed(arca_catalog *c, const char *ref, const arca_id *id,
	arca_error *err);
int arca_cat__step_done(arca_catalog *c, sqlite3_stmt *st,
	const char *what, arca_error *err);
/* import_run.c: the runner's records. 1 imported, 0 skipped, <0. */
int arca_cat__import_run(arca_catalog *c, const arca_id *id, json_t *d,
	arca_error *err);
int arca_cat__import_adapter(arca_catalog *c, const arca_id *id, json_t *d,
	arca_error *err);

/* Ref names (refs/<name>) that claim a catalog entry. */
void arca_cat__ref_dataset(char out[ARCA_KEY_MAX], const char *name);
void arca_cat__ref_schema(char out[ARCA_KEY_MAX], const char *name,
	int64_t n);
void arca_cat__ref_version(char out[ARCA_KEY_MAX], const char *name,
	int64_t n);
void arca_cat__ref_tag(char out[ARCA_KEY_MAX], const char *name,
	const char *tag);

/* Common members of every catalog record: time, username, hostname,
 * arca_version. A new object; NULL when out of memory. */
json_t *arca_cat__record_base(const char *type);
/* Stores doc as an object, lists it under kind: *id. */
int arca_cat__record_put(arca_catalog *c, arca_id *id, const char *kind,
	json_t *doc, arca_error *err);

/* The dataset row: database id, and the latest schema. */
typedef struct arca_cat_dataset {
	int64_t rowid;
	arca_id record;
	int64_t schema_version;
	arca_id schema_object;
} arca_cat_dataset;
int arca_cat__dataset_get(arca_catalog *c, arca_cat_dataset *out,
	const char *name, arca_error *err);
/* Loads schema object id. */
int arca_cat__schema_load(arca_catalog *c, arca_schema **out,
	const arca_id *id, arca_error *err);

/* resolve.c: the versions row for ref; *rowid too when not NULL. */
int arca_cat__resolve(arca_catalog *c, arca_dataset_version *out,
	int64_t *rowid, const char *ref, arca_error *err);

/* The drift policy in force: set_policy's, else $ARCA_DRIFT_POLICY's
 * (loaded when first needed, so a bad file only stops what uses it),
 * else the built-in one. */
int arca_cat__policy(arca_catalog *c, const arca_drift_policy **out,
	arca_error *err);

#endif
