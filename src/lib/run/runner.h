/*
 * The runner's internals (formats/run-manifest.md). A run is a chain of
 * "run" records, each a complete state of the run (so the latest one is
 * its manifest): the first one's id is the run's id; each later one
 * names the run and its previous record, and claims the next sequence
 * number with a create-only ref refs/runs/<hex>/<seq>, so two runners
 * cannot both continue one run.
 */
#ifndef ARCA_RUN_RUNNER_H
#define ARCA_RUN_RUNNER_H

#include <jansson.h>
#include "arca/run.h"
#include "catalog/cat.h"
#include "run/exec.h"
#include "arca/template.h"

/* Run and stage states. */
#define RUN_RUNNING "running"
#define RUN_SUCCEEDED "succeeded"
#define RUN_FAILED "failed"
#define RUN_GATED "gated"
#define RUN_AWAITING "awaiting-approval"

typedef struct run_ctx {
	arca_catalog *c;
	arca_repo *r;
	const arca_run_opts *o;
	arca_template *t;
	json_t *doc;          /* the current state: the next record's body */
	arca_id run;          /* zero until the first record is written */
	arca_id last;         /* the latest record */
	int64_t seq;          /* its sequence number */
	char *work;           /* absolute work dir */
	char *code;           /* <work>/code when there is code */
	char **input_names, **input_paths;
	size_t ninputs;
	int64_t started_ns;   /* monotonic, for the run's wall budget */
	int64_t cpu_used_us;  /* stages' CPU so far */
	json_t *replay_env;   /* a re-run: the original's variables */
	arca_id template_obj; /* the archived template (run__load) */
} run_ctx;

void run__event(run_ctx *x, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void run__ctx_dispose(run_ctx *x);

/* run_journal.c: writes x->doc as the next record of the run (objects
 * are already stored), claims its sequence number, indexes it. */
int run__journal(run_ctx *x, arca_error *err);
/* Loads the latest record of run into *doc (new reference). */
int run__latest(json_t **doc, arca_id *state, int64_t *seq, arca_repo *r,
	const arca_id *run, arca_error *err);

/* run_env.c: the environment a run records (arca, OS, kernel, CPU,
 * allowlisted variables, declared tools' versions). */
json_t *run__environment(const arca_template *t);
/* Budgets a resumed run already spent: the recorded stages' wall and
 * CPU time. */
void run__spent(run_ctx *x);
/* The child's environment: a fixed base plus the stage's allowlist. */
char **run__child_env(const arca_template_stage *s, const char *work,
	json_t *recorded, json_t *replay);
void run__strv_free(char **v);

/* run_prepare.c: work dir, code and inputs. */
int run__work_create(run_ctx *x, arca_error *err);
int run__materialize(run_ctx *x, arca_error *err);
/* Loads the template from its stored object into the work dir. */
int run__template_restore(run_ctx *x, const arca_id *object,
	const char *file, arca_error *err);

/* run_stage.c: runs the stages from the first one not succeeded. */
int run__stages(run_ctx *x, arca_error *err);
/* Archives a file or directory: its snapshot and content digest. */
int run__archive(run_ctx *x, json_t **entry, const char *path, int dir,
	const char *what, arca_error *err);
/* The content digest of an archived output (paths, types, modes of
 * executables, content ids; not times). */
int run__digest(char out[80], arca_repo *r, const arca_id *snapshot,
	arca_error *err);

/* run_finish.c: gates, approval and publishing; sets the final status. */
int run__finish(run_ctx *x, arca_error *err);
/* adapter.c: packages and publishes the adapter output. */
int run__adapter_publish(run_ctx *x, arca_error *err);

/* run.c: the first record's body; running a loaded or new run to its
 * end; loading a recorded run (its template restored) to continue it. */
int run__doc_new(run_ctx *x, const char *template_path, json_t *params,
	json_t *inputs, const arca_id *template_obj, const arca_id *code,
	const arca_id *parent, arca_error *err);
/* Resolves the template's dataset inputs for use, except those in keep
 * (name -> recorded input), which are reused as they are. */
int run__resolve_inputs(run_ctx *x, json_t *params, json_t *keep,
	json_t **out, arca_error *err);
int run__go(run_ctx *x, arca_run_result *res, arca_error *err);
int run__load(run_ctx *x, arca_catalog *c, const char *spec,
	const arca_run_opts *o, arca_error *err);
/* Then, once the caller decided to go on: a work dir and the template
 * restored into it. */
int run__load_template(run_ctx *x, arca_error *err);

int run__precheck(run_ctx *x, const char *const *params, size_t n,
	int has_code, int publishing, arca_error *err);

/* Fills res from x. */
void run__result(arca_run_result *res, run_ctx *x);

/* Small JSON helpers. */
const char *run__str(json_t *o, const char *key);
json_t *run__stage_state(run_ctx *x, const char *name);

#endif
