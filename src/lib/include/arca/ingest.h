/*
 * arca — dataset ingestion: drop folders, archive files and http(s) URLs
 * feeding catalog datasets, each new item becoming a new version.
 *
 * The configuration format is formats/ingest-config.md; the command is
 * docs/cli/ingest.md. What was already ingested is read back from the
 * catalog (arca_catalog_ingest_last): every version added here carries
 * its provenance (source, item, fingerprint, hooks, fetch), so running a
 * pass twice registers nothing the second time.
 */
#ifndef ARCA_INGEST_H
#define ARCA_INGEST_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include "arca/catalog.h"
#include "arca/error.h"
#include "arca/snapshot.h"

typedef struct arca_ingest_config arca_ingest_config;

/*
 * Reads and checks an ingest configuration (YAML). Every problem is
 * ARCA_EINVALID with a message "FILE:LINE:COL: what was expected";
 * ARCA_ENOTFOUND when the file does not exist. Relative paths in the file
 * (folder, archive, a hook program containing '/') are relative to the
 * directory of path. *out is set only on success; free it with
 * arca_ingest_config_free.
 */
int arca_ingest_config_load(arca_ingest_config **out, const char *path,
	arca_error *err);

/* The same from text; name is used in messages, base_dir resolves
 * relative paths (NULL: the current directory). */
int arca_ingest_config_parse(arca_ingest_config **out, const char *text,
	size_t len, const char *name, const char *base_dir, arca_error *err);

void arca_ingest_config_free(arca_ingest_config *cfg);

/* The number of sources, and the name of source i (borrowed, lives as
 * long as cfg). */
size_t arca_ingest_config_count(const arca_ingest_config *cfg);
const char *arca_ingest_config_name(const arca_ingest_config *cfg,
	size_t i);

/*
 * Parses a duration: one or more <integer><unit> with units ms, s, m, h,
 * d ("30s", "1h30m", "500ms"), or "0". Into *ms; ARCA_EINVALID (message
 * saying what is expected) otherwise, or beyond 365 days.
 */
int arca_ingest_duration_parse(int64_t *ms, const char *text,
	arca_error *err);

/* What became of an item (or of a whole source when item is NULL). */
typedef enum arca_ingest_status {
	ARCA_INGEST_ADDED,     /* registered as a new version */
	ARCA_INGEST_UNCHANGED, /* already ingested, or not modified */
	ARCA_INGEST_SKIPPED,   /* not complete yet, or the source is busy */
	ARCA_INGEST_FAILED     /* nothing registered; code and message */
} arca_ingest_status;

/* "added", "unchanged", "skipped", "failed". */
const char *arca_ingest_status_name(arca_ingest_status s);

/* One outcome, reported through arca_ingest_opts.report. Everything is
 * borrowed for the duration of the callback. */
typedef struct arca_ingest_event {
	const char *source;
	const char *kind;      /* "folder", "archive" or "url" */
	const char *dataset;
	const char *item;      /* NULL: about the whole source (busy, an
				  empty folder, a folder that cannot be
				  listed) */
	arca_ingest_status status;
	int busy;              /* SKIPPED because another process holds
				  the source's lock */
	int code;              /* FAILED: the ARCA_E... code */
	const arca_dataset_version *version; /* ADDED: the new version */
	const char *message;   /* FAILED: the error; SKIPPED and UNCHANGED:
				  why; may be NULL */
} arca_ingest_event;

typedef void (*arca_ingest_cb)(const arca_ingest_event *ev, void *payload);

typedef struct arca_ingest_opts {
	const char *const *sources; /* run only these (NULL-terminated);
				       NULL: every source, in file order */
	const char *cache_dir;  /* source locks and staging dirs;
				   NULL: $ARCA_CACHE_DIR, else
				   $XDG_CACHE_HOME/arca, else ~/.cache/arca */
	int threads;            /* for arca_dataset_add; 0: one per CPU */
	const volatile sig_atomic_t *stop; /* optional: when it becomes
				   non-zero, the pass ends after the current
				   item */
	arca_ingest_cb report;  /* every outcome */
	arca_warn_cb warn;      /* warnings of arca_dataset_add */
	arca_progress_cb progress;
	void (*tick)(void *payload); /* called every few seconds during
				   long waits (hooks) and between items, e.g.
				   to refresh the repository lock */
	void *payload;
} arca_ingest_opts;

#define ARCA_INGEST_OPTS_INIT \
	{ NULL, NULL, 0, NULL, NULL, NULL, NULL, NULL, NULL }

/* Counts of one pass, by status; busy counts sources. */
typedef struct arca_ingest_summary {
	unsigned added, unchanged, skipped, failed, busy;
} arca_ingest_summary;

/*
 * One pass over the sources of cfg (or opts->sources): for each, takes
 * the source's lock (a busy source is reported SKIPPED with busy set),
 * lists its items, and registers each new or changed complete item as a
 * version of the source's dataset, after running the source's hooks on
 * a staged copy. Items are independent: a failure is reported (FAILED)
 * and the pass goes on. Nothing half-done is ever registered; staging
 * dirs of crashed runs are removed first.
 *
 * Returns 0 when the pass ran, whatever the items' outcomes (see *sum,
 * which may be NULL). Before anything starts: ARCA_EINVALID for a name in
 * opts->sources that cfg lacks, or for a dataset that does not exist in
 * the catalog ("FILE:LINE:COL: dataset ..."); ARCA_ERROR when the cache
 * directory is unusable.
 */
int arca_ingest_run_once(arca_catalog *c, const arca_ingest_config *cfg,
	const arca_ingest_opts *opts, arca_ingest_summary *sum,
	arca_error *err);

#endif
