/*
 * arca — retraining templates (formats/template.md): a versioned, parameterized
 * YAML file, parsed and checked in one pass (every error reported with
 * file:line:column), then resolved against -p overrides into a typed
 * parameter set, and substituted into stage argv element by element.
 * The runner (run/) consumes the parsed structure below.
 */
#ifndef ARCA_TEMPLATE_H
#define ARCA_TEMPLATE_H

#include <stddef.h>
#include <stdint.h>
#include <jansson.h>
#include "arca/error.h"

#define ARCA_TEMPLATE_FORMAT 1 /* the "arca_template" member */

/* The four parameter namespaces, in this order. */
#define ARCA_TEMPLATE_NAMESPACES { "data", "model", "training", "governance" }

typedef enum arca_param_type {
	ARCA_PARAM_STRING = 1,
	ARCA_PARAM_INTEGER,
	ARCA_PARAM_DECIMAL,  /* kept as its canonical decimal string: no floats */
	ARCA_PARAM_BOOLEAN,
	ARCA_PARAM_ENUM,
	ARCA_PARAM_DURATION, /* "90s", "15m", "2h", "1h30m": whole seconds */
	ARCA_PARAM_SIZE,     /* "512MiB", "2GiB", "100MB", "4096": bytes */
	ARCA_PARAM_DATASET   /* a catalog reference: NAME, NAME@latest, @N, @TAG */
} arca_param_type;

typedef struct arca_template_param {
	char *ns;            /* "training" */
	char *key;           /* "epochs" */
	arca_param_type type;
	int required;        /* no default: must be given with -p */
	json_t *def;         /* the default, already typed (see resolve); NULL when required */
	char **values;       /* enum: allowed values; NULL-terminated */
	int has_min, has_max;
	char *min, *max;     /* integer/decimal/duration/size bounds as given (canonical text) */
	char *pattern;       /* string: optional POSIX extended regex */
	char *description;
	int line;            /* where it is declared */
} arca_template_param;

/* A budget; 0 means "not limited here". */
typedef struct arca_budget {
	int64_t wall_s;
	int64_t cpu_s;
	uint64_t memory;     /* bytes (peak resident set of the stage) */
} arca_budget;

typedef enum arca_output_kind {
	ARCA_OUTPUT_ADAPTER = 1,
	ARCA_OUTPUT_REPORT,
	ARCA_OUTPUT_MODEL,
	ARCA_OUTPUT_DATA
} arca_output_kind;

typedef struct arca_template_output {
	char *name;          /* unique across all stages */
	arca_output_kind kind;
	char *path;          /* relative to the work dir; no "..", not absolute */
	int dir;             /* path ends with '/': a directory */
} arca_template_output;

typedef struct arca_template_stage {
	char *name;
	char **run;          /* argv templates, NULL-terminated, >= 1 element */
	size_t nrun;
	char **env;          /* allowlisted variable names, NULL-terminated */
	char **depends_on;   /* stage names, NULL-terminated */
	arca_template_output *outputs;
	size_t noutputs;
	char *metrics;       /* optional JSON metrics file, relative to work */
	arca_budget budget;
	int line;
} arca_template_stage;

/* A dataset input: restored into <work>/inputs/<name> before stage 1. */
typedef struct arca_template_input {
	char *name;
	char *param;         /* "data.dataset": a parameter of type dataset */
} arca_template_input;

typedef enum arca_gate_op { ARCA_GATE_GE = 1, ARCA_GATE_GT, ARCA_GATE_LE,
	ARCA_GATE_LT, ARCA_GATE_EQ, ARCA_GATE_NE } arca_gate_op;

typedef struct arca_template_gate {
	char *text;          /* "evaluate.accuracy >= 0.80", as written */
	char *metric;        /* "evaluate.accuracy": stage name '.' metric key path */
	arca_gate_op op;
	char *value;         /* decimal text "0.80" */
	char *stage;         /* "evaluate": the stage whose metrics it reads */
	char *key;           /* "accuracy": the key path in them ("a.b" nests) */
} arca_template_gate;

typedef struct arca_template_adapter {
	char *name;          /* adapter name (dataset-name rule) */
	char *output;        /* the output of kind adapter that is packaged */
	char *version;       /* "patch", "minor", "major" or an explicit semver */
} arca_template_adapter;

typedef struct arca_template {
	char *path;          /* as loaded */
	char *name;          /* template name (dataset-name rule) */
	char *version;       /* semantic version "1.2.0" */
	char *description;
	arca_template_param *params;
	size_t nparams;
	arca_budget budget;  /* whole run */
	arca_template_input *inputs;
	size_t ninputs;
	arca_template_stage *stages; /* in execution order (topologically
	                              * sorted by depends_on, ties in file order) */
	size_t nstages;
	arca_template_gate *gates;
	size_t ngates;
	arca_template_adapter adapter; /* name NULL when the template publishes none */
	char **tools;        /* declared tools whose versions the run records */
} arca_template;

/* One problem found in a template. */
typedef void (*arca_template_diag_cb)(const char *file, int line, int col,
	const char *msg, void *payload);

/*
 * Parses and checks the template at path. Every problem goes to diag
 * (may be NULL) as "file:line:col: message (expected ...)"; if there
 * was any, returns ARCA_EINVALID with err naming the file and the count.
 * *out is set only on success; free with arca_template_free.
 */
int arca_template_load(arca_template **out, const char *path,
	arca_template_diag_cb diag, void *payload, arca_error *err);
void arca_template_free(arca_template *t);

/*
 * Resolves the parameter set: defaults, then overrides ("ns.key=value",
 * n of them, later ones win). An unknown key, a wrong type, a value out
 * of range or not allowed, a missing required parameter: ARCA_EINVALID
 * naming the parameter and what was expected; nothing else happens.
 * *out: {"data": {...}, "model": {...}, "training": {...},
 * "governance": {...}} with every namespace present; integers, durations
 * and sizes as JSON integers, booleans as JSON booleans, decimals,
 * strings, enums and dataset references as strings.
 */
int arca_template_resolve(json_t **out, const arca_template *t,
	const char *const *overrides, size_t n, arca_error *err);

/* What substitutions expand to. */
typedef struct arca_subst_ctx {
	json_t *params;      /* from arca_template_resolve */
	const char *work;    /* absolute work dir */
	const char *code;    /* absolute restored code dir; NULL: none */
	const char *const *input_names;  /* and their absolute paths */
	const char *const *input_paths;
	size_t ninputs;
} arca_subst_ctx;

/*
 * Expands one stage's run into a NULL-terminated argv (caller frees each
 * element and the array). ${params.NS.KEY}, ${inputs.NAME},
 * ${outputs.NAME} (absolute path under work), ${work}, ${code}; "$$" is a
 * literal '$'. Each element stays one element whatever the values hold.
 * An unknown name: ARCA_EINVALID naming the stage and the element.
 */
int arca_template_argv(char ***argv, const arca_template *t,
	const arca_template_stage *s, const arca_subst_ctx *ctx,
	arca_error *err);

/* Looks up a stage or an output by name; NULL if none. */
const arca_template_stage *arca_template_stage_find(const arca_template *t,
	const char *name);
const arca_template_output *arca_template_output_find(const arca_template *t,
	const char *name, const arca_template_stage **stage);

/*
 * Evaluates gate g against metrics ({"evaluate": {"accuracy": ...}},
 * stage name -> that stage's metrics JSON). *pass 1/0. A metric that is
 * missing or not a number: *pass 0 and *why says so (static text).
 * Numbers compare exactly as decimals (no float rounding surprises).
 */
int arca_template_gate_eval(int *pass, const char **why,
	const arca_template_gate *g, json_t *metrics, arca_error *err);

/*
 * Canonical JSON has no reals: replaces every real in metrics (in place)
 * by its shortest decimal text that reads back to the same double
 * ("0.91"), so a stage's metrics can go into a record. Integers stay.
 * Gates accept integers, reals and such decimal strings alike.
 */
int arca_template_metrics_normalize(json_t *metrics, arca_error *err);

#endif
