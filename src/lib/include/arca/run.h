/* arca — the pipeline runner: runs, their journal, resume, re-run, approval. */
#ifndef ARCA_RUN_H
#define ARCA_RUN_H

#include <stddef.h>
#include <stdint.h>
#include "arca/catalog.h"
#include "arca/error.h"
#include "arca/id.h"
#include "arca/repo.h"

/* What the runner reports while it works: one line for people
 * ("stage train: started"). */
typedef void (*arca_run_event_cb)(const char *line, void *payload);

typedef struct arca_run_opts {
	const char *const *params; /* "ns.key=value" overrides */
	size_t nparams;
	const char *code_dir;      /* snapshotted as the run's code; NULL: none */
	const char *work_root;     /* NULL: $ARCA_WORK_DIR, else the cache dir */
	int keep_work;             /* keep the work dir after the run */
	int publish;               /* rerun: publish the adapter too */
	arca_run_event_cb event;
	void *payload;
} arca_run_opts;

#define ARCA_RUN_OPTS_INIT { NULL, 0, NULL, NULL, 0, 0, NULL, NULL }

/* Where a run ended up. */
typedef struct arca_run_result {
	arca_id run;               /* the run's id: its first record */
	arca_id state;             /* its latest record */
	char status[24];           /* succeeded, failed, gated,
	                            * awaiting-approval */
	char adapter[160];         /* "NAME@VERSION" when one was published */
	char message[512];         /* why it failed or stopped, else "" */
	char work[4096];           /* the work dir (kept or removed) */
} arca_run_result;

/*
 * Runs template_path: validates the parameters (nothing starts on an
 * error), resolves dataset inputs through the catalog for use (drift
 * refusal applies), snapshots the template and code, records the run,
 * restores the inputs into a private work dir and runs the stages,
 * archiving each stage's outputs and a new journal record after it.
 * The caller holds a shared lock. Returns 0 when the run was recorded,
 * whatever its status (res->status); <0 when it could not start or the
 * repository failed.
 */
int arca_run_start(arca_run_result *res, arca_catalog *c,
	const char *template_path, const arca_run_opts *o, arca_error *err);

/* Continues a run that was killed from the first stage that did not
 * complete, reusing (and verifying) the outputs already archived. */
int arca_run_resume(arca_run_result *res, arca_catalog *c, const char *run,
	const arca_run_opts *o, arca_error *err);

/* How a re-run's outputs compare with the original's. */
typedef struct arca_rerun_diff {
	char name[128];            /* output name, or "metric:STAGE.KEY" */
	char was[160], now[160];   /* digests or metric values */
} arca_rerun_diff;

typedef struct arca_rerun_report {
	arca_id original;
	int identical;             /* every output digest equal */
	size_t ndiffs;
	arca_rerun_diff *diffs;    /* free() */
} arca_rerun_report;

/*
 * Re-executes run exactly as recorded (template, code, inputs and
 * parameters restored from the repository) as a new run whose parent is
 * the original; o->params may override parameters (a dataset parameter
 * is resolved again). Compares every output digest and metric with the
 * original's into *rep.
 */
int arca_run_rerun(arca_run_result *res, arca_rerun_report *rep,
	arca_catalog *c, const char *run, const arca_run_opts *o,
	arca_error *err);

/* Records an approval of a run awaiting one and finishes it
 * (publishing its adapter). reason is required. */
int arca_run_approve(arca_run_result *res, arca_catalog *c, const char *run,
	const char *reason, const arca_run_opts *o, arca_error *err);

/* Resolves a run id or unique prefix (at least 4 hex digits). */
int arca_run_resolve(arca_id *out, arca_repo *r, const char *spec,
	arca_error *err);

/* The run's latest record (its journal) as canonical JSON text; also
 * its id in *state when not NULL. */
int arca_run_state_json(char **out, arca_id *state, arca_repo *r,
	const arca_id *run, arca_error *err);

/* All runs, newest first, as a JSON array of summaries. */
int arca_runs_json(char **out, arca_catalog *c, arca_error *err);

/* Adapters: all versions of name (NULL: every adapter), newest first,
 * or one "NAME@VERSION" record as JSON. */
int arca_adapters_json(char **out, arca_catalog *c, const char *name,
	arca_error *err);
int arca_adapter_json(char **out, arca_catalog *c, const char *spec,
	arca_error *err);
/* Writes the package (tar.zst) of NAME@VERSION to path (temp + rename),
 * checked against its id. */
int arca_adapter_get(arca_catalog *c, const char *spec, const char *path,
	arca_error *err);

#endif
