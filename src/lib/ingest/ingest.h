/*
 * Internals of dataset ingestion (arca/ingest.h), shared by
 * ingest_config.c (the YAML configuration), ingest_util.c (durations,
 * substitutions, staging dirs, locks, tree copy),
 * ingest_hook.c (running one hook), ingest_folder.c (drop-folder items,
 * completeness, fingerprints), ingest_item.c (one item: stage, hooks,
 * provenance, add) and ingest_run.c (the pass), and with the unit tests.
 */
#ifndef ARCA_INGEST_INGEST_H
#define ARCA_INGEST_INGEST_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <jansson.h>
#include "arca/catalog.h"
#include "arca/error.h"
#include "arca/ingest.h"
#include "util/buf.h"

typedef enum arca_ingest_kind {
	ARCA_INGEST_FOLDER,
	ARCA_INGEST_ARCHIVE,
	ARCA_INGEST_URL
} arca_ingest_kind;

#define ARCA_INGEST_SETTLE_DEFAULT_MS 30000
#define ARCA_INGEST_HOOK_TIMEOUT_DEFAULT_MS (10 * 60 * 1000)
#define ARCA_INGEST_HOOK_KILL_GRACE_MS 5000
#define ARCA_INGEST_OUTPUT_CAP (64 * 1024)
#define ARCA_INGEST_NAME_MAX 64

typedef struct arca_ingest_hook {
	char **argv;          /* templates (${...} not yet substituted),
				 NULL-terminated */
	size_t argc;
	int64_t timeout_ms;
	int line, col;        /* of the hook's mapping */
} arca_ingest_hook;

typedef struct arca_ingest_source {
	char *name;
	char *dataset;
	arca_ingest_kind kind;
	char *location;       /* folder or archive (absolute), or the URL
				 as written (may hold credentials) */
	char *url_safe;       /* kind URL: without userinfo, query and
				 fragment: the item name and for messages */
	char *marker;         /* folder: optional marker suffix */
	int64_t settle_ms;    /* folder, archive */
	char **include;       /* folder: fnmatch patterns; NULL: all */
	size_t ninclude;
	char *sha256;         /* url: optional expected digest */
	char *message;        /* template; NULL: the default */
	arca_ingest_hook *hooks;
	size_t nhooks;
	int line, col;        /* of the source's mapping */
	int dataset_line, dataset_col;
} arca_ingest_source;

struct arca_ingest_config {
	char *path;           /* as given, for messages */
	arca_ingest_source *sources;
	size_t n;
};

const char *arca_ingest__kind_name(arca_ingest_kind k);

/* ---- ingest_util.c ---------------------------------------------------- */

/* ms as "5m", "30s", "1h", "250ms" (the largest whole unit). */
const char *arca_ingest__duration_str(char out[32], int64_t ms);

/* The values of ${source}, ${dataset}, ${item}, ${staged} (any may be
 * NULL: then it expands to ""). */
typedef struct arca_ingest_vars {
	const char *source, *dataset, *item, *staged;
} arca_ingest_vars;

/*
 * Checks a template: ${source}, ${dataset}, ${item} and ${staged} (the
 * last only when allow_staged) are variables, "$$" is one '$', any other
 * '$' is literal. 0, or ARCA_EINVALID with a message naming the bad
 * variable (no position: the caller adds it).
 */
int arca_ingest__subst_check(const char *tmpl, int allow_staged,
	arca_error *err);
/* Expands a checked template into a new malloc'd string (NULL when out
 * of memory). */
char *arca_ingest__subst(const char *tmpl, const arca_ingest_vars *v);

/* Copies a regular file or a directory tree from src to dst (which must
 * not exist): files, directories and symlinks, with modes and mtimes;
 * other file types are left out. */
int arca_ingest__copy(const char *src, const char *dst, arca_error *err);

/*
 * A private staging dir under <cache>/ingest-staging: named
 * "<pid>-<process start>-<random>", mode 0700. *out gets its path
 * (only on success).
 */
int arca_ingest__staging_new(arca_buf *out, const char *cache_dir,
	arca_error *err);
/* Removes the staging dirs whose process is gone (crashed runs).
 * Returns how many were removed, or a negative code. */
int arca_ingest__staging_sweep(const char *cache_dir, arca_error *err);

/* A lock on source name, held through an open fd: flock(LOCK_EX |
 * LOCK_NB) on <cache>/ingest-locks/<name>.lock. 1 and *fd when taken,
 * 0 when another process holds it (then *holder gets its pid, or 0), or
 * a negative code. Release with arca_ingest__unlock (closing the fd
 * also releases it, as does the process's death). */
int arca_ingest__lock(int *fd, pid_t *holder, const char *cache_dir,
	const char *name, arca_error *err);
void arca_ingest__unlock(int fd);

/* A name for a file downloaded from url_safe: the last path component,
 * with characters outside [A-Za-z0-9._-] replaced by '_'; "download"
 * when empty or all dots. malloc'd. */
char *arca_ingest__url_basename(const char *url_safe);

/* ---- ingest_hook.c ---------------------------------------------------- */

/* What one output stream of a hook produced. */
typedef struct arca_ingest_output {
	arca_buf data;        /* the first cap bytes */
	uint64_t total;       /* everything it wrote */
	int truncated;
} arca_ingest_output;

typedef struct arca_ingest_hook_result {
	int exit_code;        /* when it exited; else -1 */
	int signal;           /* when a signal ended it; else 0 */
	int timed_out;        /* it was killed for running too long */
	int64_t duration_ms;
	arca_ingest_output out, err;
} arca_ingest_hook_result;

#define ARCA_INGEST_HOOK_RESULT_INIT \
	{ -1, 0, 0, 0, { ARCA_BUF_INIT, 0, 0 }, { ARCA_BUF_INIT, 0, 0 } }

void arca_ingest__hook_result_dispose(arca_ingest_hook_result *r);

typedef struct arca_ingest_hook_run {
	char *const *argv;    /* argv[0] is looked up in PATH unless it
				 has a '/' */
	const char *cwd;      /* NULL: the current directory */
	char *const *env;     /* extra NAME=VALUE entries added to the
				 caller's environment (NULL-terminated;
				 may be NULL) */
	int64_t timeout_ms;   /* then SIGTERM to the process group, and
				 SIGKILL kill_grace_ms later; <= 0: none */
	int64_t kill_grace_ms;
	size_t cap;           /* bytes of each stream kept */
	void (*tick)(void *payload); /* about every second while waiting */
	void *payload;
} arca_ingest_hook_run;

/*
 * Runs one hook to its end: no shell, its own process group, stdin
 * /dev/null, stdout and stderr read through pipes (all of it drained,
 * the first cap bytes kept), no other descriptor inherited. When it
 * exits, what is left of its process group is killed. Returns 0 when
 * the program ran, whatever its exit status (see *res: the caller frees
 * it with arca_ingest__hook_result_dispose); ARCA_EINVALID when it
 * could not be started (not found, not executable: "cannot run 'x':
 * ..."); ARCA_ERROR when a pipe or fork failed.
 */
int arca_ingest__hook_exec(arca_ingest_hook_result *res,
	const arca_ingest_hook_run *run, arca_error *err);

/* The result as provenance JSON: {"argv":[...],"exit":N (or "signal":
 * N),"timed_out":true?,"duration_ms":N,"stdout":...,"stderr":...}, with
 * "stdout_b64" for output that is not UTF-8, "stdout_bytes" and
 * "stdout_truncated":true when truncated. NULL when out of memory. */
json_t *arca_ingest__hook_json(const arca_ingest_hook_result *r,
	char *const *argv);

/* A one-line description of a failed hook for messages: "exited with
 * status 3", "killed by signal 9", "timed out after 5s", followed by
 * ": <last line of stderr>" (control bytes replaced) when there is
 * one. */
void arca_ingest__hook_describe(char *out, size_t size,
	const arca_ingest_hook_result *r, int64_t timeout_ms);

/* ---- ingest_folder.c -------------------------------------------------- */

typedef enum arca_ingest_ready {
	ARCA_INGEST_READY,    /* complete: ingest if new */
	ARCA_INGEST_PENDING,  /* still changing, or no marker yet */
	ARCA_INGEST_IGNORED   /* never an item (not UTF-8, a special
				 file) */
} arca_ingest_ready;

typedef struct arca_ingest_item {
	char *name;           /* under the folder */
	char *path;           /* folder/name */
	int is_dir;
	arca_ingest_ready ready;
	char why[160];        /* PENDING / IGNORED: why */
	json_t *fingerprint;  /* READY: see arca_ingest__fingerprint */
} arca_ingest_item;

/*
 * Lists the items of a folder source, in name order: its top-level
 * regular files and directories, leaving out dotfiles, names ending in
 * ".tmp" or ".part", marker files, and names that match none of the
 * include patterns. Each is READY when complete at now_ns (0: the
 * clock): with a marker, when ITEM<marker> exists beside it (or, for a
 * directory, ITEM/<marker> inside it); and (settle) when nothing in it
 * has changed for settle_ms: the largest ctime of the item and of
 * everything below it is at least that old. READY items get their
 * fingerprint.
 */
int arca_ingest__folder_scan(arca_ingest_item **items, size_t *n,
	const arca_ingest_source *s, int64_t now_ns, arca_error *err);
void arca_ingest__items_free(arca_ingest_item *items, size_t n);

/*
 * Fingerprint of a file or directory, without reading content: a file
 * {"type":"file","size":N,"mtime_ns":N}; a directory {"type":"dir",
 * "files":N,"bytes":N,"tree":"<hex>"}, tree hashing the sorted
 * (relative path, type, size, mtime_ns) of everything below it, minus
 * skip_name at its top (the marker). *newest gets the largest ctime
 * seen (ns), the item's own included.
 */
int arca_ingest__fingerprint(json_t **out, int64_t *newest,
	const char *path, const char *skip_name, arca_error *err);

/* SHA-256 of a file's bytes as lower-case hex. */
int arca_ingest__file_sha256(char hex[65], const char *path,
	arca_error *err);

/* ---- ingest_item.c, ingest_run.c ------------------------------------- */

/* One pass. */
typedef struct arca_ingest__ctx {
	arca_catalog *c;
	const arca_ingest_config *cfg;
	const arca_ingest_opts *o;
	arca_ingest_summary sum;
	int busy;                /* the next report is about a busy lock */
} arca_ingest__ctx;

/* One item to register. */
typedef struct arca_ingest__job {
	const arca_ingest_source *s;
	const char *item;        /* the state key: name, path or URL */
	const char *data;        /* the path to add */
	const char *staging;     /* the staging dir data is in, or NULL
				    (then hooks get a copy in a new one) */
	json_t *fingerprint;     /* borrowed */
	json_t *fetched;         /* borrowed; NULL unless a URL */
} arca_ingest__job;

/* Reports an outcome through ctx->o->report and counts it. */
void arca_ingest__report(arca_ingest__ctx *x, const arca_ingest_source *s,
	const char *item, arca_ingest_status st, int code,
	const arca_dataset_version *v, const char *msg);

/*
 * Runs j's hooks on a staged copy (if any), then adds the data as the
 * next version of the source's dataset with the provenance. Any
 * staging dir made here is removed before returning.
 */
int arca_ingest__register(arca_ingest__ctx *x, const arca_ingest__job *j,
	arca_dataset_version *out, arca_error *err);

/* The fingerprint recorded with the newest version from (source, item):
 * 1 and *fp (a new reference), 0 when there is none. */
int arca_ingest__last(arca_ingest__ctx *x, const arca_ingest_source *s,
	const char *item, json_t **fp, arca_error *err);

#endif
