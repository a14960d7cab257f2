/* The arca command: shared pieces of the command files. */
#ifndef ARCA_CLI_H
#define ARCA_CLI_H

#include <stdio.h>
#include <jansson.h>
#include "arca/arca.h"

enum {
	CMD_REPO = 1 << 0,          /* open the repository first */
	CMD_LOCK_SHARED = 1 << 1,   /* and take a shared lock */
	CMD_LOCK_EXCLUSIVE = 1 << 2, /* or an exclusive one */
	CMD_CATALOG = 1 << 3        /* then open (and sync) the catalog */
};

/* Exit codes (docs/exit-codes.md). */
enum {
	EXIT_OK = 0,
	EXIT_FAILURE_ = 1,
	EXIT_USAGE = 2,
	EXIT_VERIFY = 3,
	EXIT_LOCKED = 4,
	EXIT_REMOTE = 5,
	EXIT_POLICY = 6
};

typedef struct arca_cli {
	const char *repo_url;  /* --repo, $ARCA_REPO, else ./.arca */
	/* --endpoint, --region, --path-style / --virtual-hosted: how to reach
	 * a remote store; unset members fall back to the environment. */
	arca_store_opts store;
	int style_flags;       /* 1 --path-style, 2 --virtual-hosted given */
	int json;              /* --json */
	int quiet;             /* --quiet */
	int verbose;           /* -v, stacks */
	int progress;          /* stderr is a terminal, not json/quiet */
	arca_repo *repo;       /* opened by the dispatcher for CMD_REPO */
	arca_catalog *catalog; /* and for CMD_CATALOG */
	const char *cmd_name;
	int meter_shown;        /* a progress line is on stderr */
} arca_cli;

enum { OPT_FLAG, OPT_STRING, OPT_INT, OPT_LIST };

/* An OPT_LIST option's values, in order (repeatable: -p a=1 -p b=2). */
typedef struct cli_list {
	const char **v;
	size_t n;
} cli_list;

/*
 * One option of a command, stored at offset in the command's options
 * struct: OPT_FLAG an int (counts repeats), OPT_STRING a const char *,
 * OPT_INT an int, OPT_LIST a cli_list (each use appends). A table ends with a row whose name is NULL.
 */
typedef struct arca_cli_opt {
	const char *name;      /* long name, without "--" */
	char short_name;       /* 0: none */
	int kind;
	size_t offset;
	const char *arg;       /* placeholder in usage, e.g. "DIR" */
	const char *help;
} arca_cli_opt;

/*
 * A command's spec. The dispatcher parses argv against it into a zeroed
 * struct of opts_size bytes, handles --help and usage errors, opens and
 * locks the repository as the command's flags say, then calls
 * cmd_<name>(cli, opts, nargs, args) with the positional arguments.
 */
typedef struct arca_cli_spec {
	const char *usage;       /* after "arca NAME " */
	const char *description; /* a paragraph for --help */
	const arca_cli_opt *opts;
	size_t opts_size;
	int min_args, max_args;  /* max -1: any number */
} arca_cli_spec;

/* Prints "arca: error: MSG" (err's message) to stderr and returns the
 * exit code for rc. */
int cli_fail(arca_cli *cli, int rc, const arca_error *err);
/* Prints "arca: error: ..." and returns EXIT_USAGE. */
int cli_usage_error(arca_cli *cli, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* Prints "arca: warning: ..." to stderr unless --quiet. */
void cli_warn(arca_cli *cli, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* The exit code for a libarca return code. */
int cli_exit_code(int rc);

/* Progress on stderr (only when cli->progress): a one-line meter. */
void cli_progress(arca_cli *cli, const char *what, uint64_t n, uint64_t bytes);
void cli_progress_done(arca_cli *cli);

/* Human-readable sizes: "1.5 MiB". */
const char *cli_size(char buf[32], uint64_t bytes);
/* Short id: first 12 hex digits of id. */
const char *cli_short_id(char buf[16], const arca_id *id);

/*
 * Resolves a "SNAPSHOT[:PATH]" argument: SNAPSHOT is an id, a unique
 * prefix, "latest" or "latest@DATASET"; *subpath points into arg after
 * the ':' ("" when none). Returns -1 on success, else prints the error
 * and returns the exit code.
 */
int cli_snapshot_arg(arca_cli *cli, const char *arg, arca_id *id,
	const char **subpath);

enum {
	Q_QUOTES = 1, /* also \\ and \' (text inside '...') */
	Q_HIGH = 2    /* also bytes >= 0x80, even in valid UTF-8 */
};
/* Writes a name on one line: control bytes as \xNN, bytes >= 0x80 too
 * when s is not valid UTF-8 (or Q_HIGH), more as flags say. */
void cli_quote(FILE *f, const char *s, int flags);
/* s as a JSON string, escaped as cli_quote does when not UTF-8. */
json_t *cli_json_text(const char *s);
/* obj[key] = cli_json_text(s), plus obj[key_b64] = the raw bytes in
 * base64 when s is not UTF-8, so nothing is lost. */
void cli_json_set_name(json_t *obj, const char *key, const char *s);

/* Prints a catalog listing (JSON text, freed here): as is with --json,
 * else through show(json, payload). Returns the exit code. */
int cli_catalog_print(arca_cli *cli, int rc, char *text, arca_error *err,
	void (*show)(json_t *j, void *payload), void *payload);
/* Callbacks for libarca's warn and progress hooks (payload: the cli). */
void cli_warn_cb(const char *path, const char *msg, void *payload);
void cli_progress_cb(uint64_t files, uint64_t bytes, void *payload);
/* A dataset version as one JSON line: dataset, version, record,
 * snapshot, and with full also rows, schema version and drift. */
void cli_version_json(const arca_dataset_version *v, int full);
/* One dataset version, for people: "churn@3  sha256:abcd... 1200 rows". */
void cli_version_line(const arca_dataset_version *v);

/* run_out.c: runner events on stderr (payload: the cli); a run's result
 * as JSON; printed for people or as JSON, returning the exit code (1
 * for failed and gated runs). */
void cli_run_event(const char *line, void *payload);
json_t *cli_run_result_json(const arca_run_result *res);
int cli_run_report(arca_cli *cli, const arca_run_result *res);

/* run_state.c: resolves RUN and loads its latest record (*doc, a new
 * reference); -1 on success, else prints the error and returns the exit
 * code. cli_value_print: a JSON value for people (strings unquoted). */
int cli_run_state(arca_cli *cli, const char *spec, json_t **doc,
	arca_id *run);
void cli_value_print(FILE *f, json_t *v);

/* Writes a JSON text followed by a newline to stdout. */
void cli_json_print(const char *text);

#define ARCA_CMD(name, summary, flags, kind) \
	int cmd_##name(arca_cli *cli, void *opts, int argc, char **argv); \
	extern const arca_cli_spec cmd_##name##_spec;
#define ARCA_SUBCMD(group, name, summary, flags, kind) \
	ARCA_CMD(group##_##name, summary, flags, kind)
#define ARCA_CMD_AS(str, name, summary, flags, kind) \
	ARCA_CMD(name, summary, flags, kind)
#include "commands.h"
#undef ARCA_CMD_AS
#undef ARCA_SUBCMD
#undef ARCA_CMD

#endif
