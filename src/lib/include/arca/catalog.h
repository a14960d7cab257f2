/*
 * arca — the dataset catalog: schema-first datasets with immutable,
 * numbered versions, tags, drift acknowledgements and ingestion state.
 *
 * The catalog is an SQLite index (formats/catalog.md) over records kept
 * in the repository (formats/repository.md): every fact it holds is also
 * a record, and arca_catalog_rebuild recreates it from the repository
 * alone. Opening a catalog first imports any record it does not know
 * yet, so an index left behind by a crash or by another writer of the
 * same repository catches up by itself.
 */
#ifndef ARCA_CATALOG_H
#define ARCA_CATALOG_H

#include <stdint.h>
#include "arca/error.h"
#include "arca/id.h"
#include "arca/repo.h"
#include "arca/snapshot.h"

typedef struct arca_catalog arca_catalog;

/*
 * Opens the catalog of r, creating or migrating its database, and
 * imports the records it lacks. path: the database file; NULL for the
 * default ($ARCA_CATALOG, else catalog.db beside a local repository's
 * config, else <cache dir>/<repo id>-catalog.db). Records that cannot be
 * read are left out (arca verify reports them); arca_catalog_skipped
 * counts them.
 */
int arca_catalog_open(arca_catalog **out, arca_repo *r, const char *path,
	arca_error *err);
void arca_catalog_free(arca_catalog *c);
int arca_catalog_skipped(const arca_catalog *c);

/* Drops every table and imports all records again. */
int arca_catalog_rebuild(arca_catalog *c, arca_error *err);
/* Removes the database files (even a damaged database) and opens a new
 * catalog built from the records: what 'arca catalog rebuild' does. */
int arca_catalog_recreate(arca_catalog **out, arca_repo *r,
	const char *path, arca_error *err);

typedef struct arca_dataset_create_opts {
	const char *description; /* optional */
	const char *owner;       /* optional; default: the user name */
} arca_dataset_create_opts;

/* Creates dataset name with the schema in schema_path (YAML,
 * formats/dataset-schema.md). ARCA_EEXISTS if it exists. */
int arca_dataset_create(arca_catalog *c, const char *name,
	const char *schema_path, const arca_dataset_create_opts *opts,
	arca_error *err);

/* Records a new schema version for an existing dataset; later versions
 * are validated against it. */
int arca_dataset_set_schema(arca_catalog *c, const char *name,
	const char *schema_path, const char *message, arca_error *err);

typedef struct arca_dataset_add_opts {
	const char *message;       /* optional */
	int64_t allow_invalid;     /* record even with up to this many invalid
				      rows (their count is recorded); 0 */
	int max_errors;            /* errors quoted in a refusal; 0: 20 */
	const char *provenance;    /* optional JSON object text stored as the
				      version's "ingest" member (ingestion:
				      source, item, fingerprint, hooks) */
	int threads;               /* snapshot threads; 0: one per CPU */
	const char *cache_dir;     /* stat cache; NULL: default */
	arca_warn_cb warn;
	arca_progress_cb progress;
	void *payload;
} arca_dataset_add_opts;

/* One dataset version, as resolved or added. Strings point into the
 * struct's own storage. */
typedef struct arca_dataset_version {
	char name[101];
	int64_t version;
	arca_id record;        /* the dataset-version record */
	arca_id snapshot;      /* the data */
	int64_t schema_version;
	int64_t rows;          /* tabular rows; 0 for files */
	int64_t invalid_rows;  /* recorded with allow_invalid */
	char severity[8];      /* drift against the previous version:
				  "none", "info", "warn" or "fail" */
	int needs_ack;         /* drift at or above the policy's threshold */
	int acked;             /* and someone acknowledged it */
	char time[40];
} arca_dataset_version;

/*
 * Snapshots path (a directory, a file or an archive) as the next version
 * of dataset name, validating tabular data against the dataset's schema
 * and recording statistics and drift against the previous version.
 * Invalid data: ARCA_EINVALID, the message quoting the first errors
 * (file:line: field "f": why), and nothing is recorded, unless
 * allow_invalid permits the count. Concurrent adds to one dataset get
 * distinct numbers.
 */
int arca_dataset_add(arca_catalog *c, arca_dataset_version *out,
	const char *name, const char *path, const arca_dataset_add_opts *opts,
	arca_error *err);

/*
 * Resolves "NAME@latest", "NAME" (the same), "NAME@3", "NAME@TAG" or
 * "NAME@sha256:<hex or unique prefix>" (a version record or its
 * snapshot). for_use: refuse (ARCA_EPOLICY, the message summing up the
 * drift) a version that needs an acknowledgement it does not have.
 */
int arca_dataset_resolve(arca_catalog *c, arca_dataset_version *out,
	const char *ref, int for_use, arca_error *err);

/* Points tag at the version ref resolves to (moving it if it exists),
 * recording who and when. Tags are names like "gold" or "2024-q1",
 * never "latest" or a number. */
int arca_dataset_tag(arca_catalog *c, const char *ref, const char *tag,
	const char *message, arca_error *err);

/* Records an acknowledgement of the drift of the version ref names. */
int arca_dataset_ack(arca_catalog *c, const char *ref, const char *reason,
	arca_error *err);

/*
 * Listings as JSON text (the --json output of the commands; the caller
 * free()s *out). datasets: an array, one object per dataset. dataset:
 * one dataset with its schema versions and tags. versions: an array of
 * versions. log: every event of a dataset (created, schema, version,
 * tag, ack) oldest first. diff: schema changes and drift findings
 * between two versions, with severities from the drift policy.
 */
int arca_catalog_datasets_json(arca_catalog *c, char **out,
	arca_error *err);
int arca_catalog_dataset_json(arca_catalog *c, const char *name,
	char **out, arca_error *err);
int arca_catalog_versions_json(arca_catalog *c, const char *name,
	char **out, arca_error *err);
int arca_catalog_log_json(arca_catalog *c, const char *name, char **out,
	arca_error *err);
int arca_catalog_diff_json(arca_catalog *c, const char *ref_a,
	const char *ref_b, const char *policy_path, char **out,
	arca_error *err);

/* The drift policy file used by add and diff; NULL (the default) means
 * $ARCA_DRIFT_POLICY, else the built-in policy (policies/drift.yaml). */
int arca_catalog_set_policy(arca_catalog *c, const char *path,
	arca_error *err);

/*
 * Ingestion state: the "ingest" provenance (JSON text, caller free()s)
 * of the newest version added from item of source, or ARCA_ENOTFOUND.
 * An item is what a source names: a path under a drop folder, an archive
 * path, a URL.
 */
int arca_catalog_ingest_last(arca_catalog *c, const char *source,
	const char *item, char **provenance, arca_error *err);

#endif
