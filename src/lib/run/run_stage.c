/*
 * The stages, one process each, in the template's order. After every
 * stage its logs, metrics and declared outputs are archived and a new
 * run record is written, so a killed runner loses at most the stage in
 * flight and `arca runs show` follows a run while it runs.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include "arca/snapshot.h"
#include "hash/sha256.h"
#include "run/runner.h"
#include "util/json.h"
#include "util/sys.h"

static int64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* ------------------------------------------------------------ digests */

typedef struct digest_ctx {
	arca_sha256_ctx *h;
	arca_error *err;
} digest_ctx;

static int digest_entry(const arca_entry *e, void *payload)
{
	digest_ctx *d = payload;
	char line[128], id[ARCA_ID_STRSZ];
	int rc;

	snprintf(line, sizeof(line), "%d %s %" PRIu64 "\n", (int)e->type,
		e->type == ARCA_ENTRY_FILE && (e->mode & 0111) ? "x" : "-",
		e->type == ARCA_ENTRY_FILE ? e->size : 0);
	if ((rc = arca_sha256_update(d->h, e->path, strlen(e->path) + 1,
		d->err)) < 0 ||
		(rc = arca_sha256_update(d->h, line, strlen(line), d->err)) < 0)
		return rc;
	for (size_t i = 0; e->type == ARCA_ENTRY_FILE && i < e->nchunks; i++) {
		arca_id_str(id, &e->chunks[i]);
		if ((rc = arca_sha256_update(d->h, id, strlen(id), d->err)) < 0)
			return rc;
	}
	if (e->type == ARCA_ENTRY_SYMLINK && e->target)
		rc = arca_sha256_update(d->h, e->target, strlen(e->target) + 1,
			d->err);
	return rc;
}

/* Paths, types, sizes, the executable bit and content ids: what a
 * re-run must reproduce; times and other mode bits are not part of it.
 * "content:<hex>" (formats/run-manifest.md). */
int run__digest(char out[80], arca_repo *r, const arca_id *snapshot,
	arca_error *err)
{
	digest_ctx d = { NULL, err };
	arca_id id;
	int rc;

	if ((rc = arca_sha256_new(&d.h, err)) < 0)
		return rc;
	rc = arca_snapshot_walk(r, snapshot, "", 1, digest_entry, &d, err);
	if (rc == 0)
		rc = arca_sha256_final(d.h, &id, err);
	arca_sha256_free(d.h);
	if (rc == 0) {
		/* Not "sha256:": it names no object, and verify follows those. */
		char hex[ARCA_ID_HEXSZ + 1];
		arca_id_hex(hex, &id);
		snprintf(out, 80, "content:%s", hex);
	}
	return rc;
}

int run__archive(run_ctx *x, json_t **entry, const char *path, int dir,
	const char *what, arca_error *err)
{
	arca_snapshot_opts so = ARCA_SNAPSHOT_OPTS_INIT;
	arca_snapshot_stats st;
	char msg[256], hex[ARCA_ID_HEXSZ + 1], digest[80];
	arca_id id;
	int rc;

	(void)dir;
	arca_id_hex(hex, &x->run);
	snprintf(msg, sizeof(msg), "run %.12s: %s", hex, what);
	so.message = msg;
	so.source = ARCA_SOURCE_PLAIN;
	if ((rc = arca_snapshot_create(&id, &st, x->r, path, &so, err)) < 0)
		return arca_error_prefix(err, "archiving %s", what);
	if ((rc = run__digest(digest, x->r, &id, err)) < 0)
		return rc;
	*entry = json_pack("{s:o, s:s, s:I, s:I}", "snapshot", arca_json_id(&id),
		"digest", digest, "bytes", (json_int_t)st.bytes, "files",
		(json_int_t)st.files);
	return *entry ? 0 : arca_error_set(err, ARCA_ERROR, "out of memory");
}

/* ---------------------------------------------------------- one stage */

/* Reads a whole file into an object; logs are kept whole. */
static int log_object(run_ctx *x, json_t *state, const char *key,
	const char *path, arca_error *err)
{
	arca_put_result res;
	struct stat st;
	char *data = NULL;
	ssize_t got = 0;
	int fd, rc;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0 || fstat(fd, &st) < 0) {
		rc = arca_error_set_errno(err, ARCA_ERROR, errno, "cannot read "
			"the log '%s'", path);
		goto done;
	}
	if (!(data = malloc((size_t)st.st_size + 1))) {
		rc = arca_error_set(err, ARCA_ERROR, "out of memory");
		goto done;
	}
	while (got < st.st_size) {
		ssize_t n = read(fd, data + got, (size_t)(st.st_size - got));
		if (n <= 0)
			break;
		got += n;
	}
	rc = arca_repo__object_put(x->r, &res, data, (size_t)got, 0, NULL,
		err);
	if (rc == 0)
		json_object_set_new(state, key, json_pack("{s:o, s:I}",
			"object", arca_json_id(&res.id), "bytes",
			(json_int_t)got));
done:
	if (fd >= 0)
		close(fd);
	free(data);
	return rc;
}

static void set_failed(run_ctx *x, json_t *state, const char *msg)
{
	json_object_set_new(state, "status", json_string(RUN_FAILED));
	json_object_set_new(state, "message", json_string(msg));
	json_object_set_new(x->doc, "status", json_string(RUN_FAILED));
	json_object_set_new(x->doc, "message", json_string(msg));
}

static int make_parents(const char *work, const char *rel)
{
	char p[4200];

	for (const char *s = strchr(rel, '/'); s && s[1]; s = strchr(s + 1,
		'/')) {
		snprintf(p, sizeof(p), "%s/%.*s", work, (int)(s - rel), rel);
		if (mkdir(p, 0700) < 0 && errno != EEXIST)
			return -1;
	}
	return 0;
}

/* The outputs a stage declared: each must exist with its declared type;
 * then each is archived. 1 when one is missing (state says which). */
static int stage_outputs(run_ctx *x, const arca_template_stage *s,
	json_t *state, arca_error *err)
{
	json_t *outs = json_object();
	char path[4200], msg[600], what[300];
	int rc = 0;

	json_object_set_new(state, "outputs", outs);
	for (size_t i = 0; i < s->noutputs; i++) {
		const arca_template_output *o = &s->outputs[i];
		struct stat st;
		json_t *e = NULL;
		snprintf(path, sizeof(path), "%s/%s", x->work, o->path);
		if (o->dir && path[strlen(path) - 1] == '/')
			path[strlen(path) - 1] = '\0';
		if (lstat(path, &st) < 0 || (o->dir ? !S_ISDIR(st.st_mode) :
			!S_ISREG(st.st_mode))) {
			snprintf(msg, sizeof(msg), "stage '%s' did not write its "
				"declared output '%s' (%s%s)", s->name, o->name,
				o->path, lstat(path, &st) < 0 ? "" : o->dir ?
				": not a directory" : ": not a regular file");
			set_failed(x, state, msg);
			return 1;
		}
		snprintf(what, sizeof(what), "output '%s' of stage '%s'",
			o->name, s->name);
		if ((rc = run__archive(x, &e, path, o->dir, what, err)) < 0)
			return rc;
		json_object_set_new(e, "kind", json_string(
			o->kind == ARCA_OUTPUT_ADAPTER ? "adapter" :
			o->kind == ARCA_OUTPUT_REPORT ? "report" :
			o->kind == ARCA_OUTPUT_MODEL ? "model" : "data"));
		json_object_set_new(e, "path", json_string(o->path));
		json_object_set_new(outs, o->name, e);
	}
	return 0;
}

/* The stage's metrics file: a JSON object, reals made decimal text. */
static int stage_metrics(run_ctx *x, const arca_template_stage *s,
	json_t *state, arca_error *err)
{
	char path[4200], msg[1400];
	json_error_t je;
	json_t *m;

	(void)err;
	if (!s->metrics)
		return 0;
	snprintf(path, sizeof(path), "%s/%s", x->work, s->metrics);
	m = json_load_file(path, JSON_REJECT_DUPLICATES, &je);
	if (!m || !json_is_object(m)) {
		snprintf(msg, sizeof(msg), "stage '%s' did not write a valid "
			"metrics file '%s': %s", s->name, s->metrics, m ?
			"not a JSON object" : je.text);
		json_decref(m);
		set_failed(x, state, msg);
		return 1;
	}
	if (arca_template_metrics_normalize(m, err) < 0) {
		snprintf(msg, sizeof(msg), "stage '%s': metrics file '%s': "
			"%.400s", s->name, s->metrics, err->msg);
		arca_error_clear(err);
		json_decref(m);
		set_failed(x, state, msg);
		return 1;
	}
	json_object_set_new(state, "metrics", m);
	return 0;
}

static int64_t min_limit(int64_t a, int64_t b)
{
	if (!a)
		return b;
	if (!b)
		return a;
	return a < b ? a : b;
}

static int run_stage(run_ctx *x, const arca_template_stage *s,
	json_t *state, arca_error *err)
{
	arca_subst_ctx sc;
	arca_exec_opts eo = { 0 };
	arca_exec_result res;
	char **argv = NULL, **envp = NULL, out[4200], errp[4200], ts[64];
	char msg[600];
	json_t *jargv, *vars;
	int64_t elapsed_s = (mono_ns() - x->started_ns) / 1000000000;
	int rc;

	memset(&sc, 0, sizeof(sc));
	sc.params = json_object_get(x->doc, "params");
	sc.work = x->work;
	sc.code = x->code;
	sc.input_names = (const char *const *)x->input_names;
	sc.input_paths = (const char *const *)x->input_paths;
	sc.ninputs = x->ninputs;
	if ((rc = arca_template_argv(&argv, x->t, s, &sc, err)) < 0) {
		/* Recorded: the run must not stay "running" for ever. */
		snprintf(msg, sizeof(msg), "stage '%s': %.500s", s->name,
			err->msg);
		arca_error_clear(err);
		set_failed(x, state, msg);
		return run__journal(x, err);
	}
	vars = json_object_get(json_object_get(x->doc, "environment"),
		"variables");
	if (!(envp = run__child_env(s, x->work, vars, x->replay_env))) {
		rc = arca_error_set(err, ARCA_ERROR, "out of memory");
		goto done;
	}
	jargv = json_array();
	for (size_t i = 0; argv[i]; i++)
		json_array_append_new(jargv, json_string(argv[i]));
	json_object_set_new(state, "argv", jargv);
	json_object_set_new(state, "status", json_string(RUN_RUNNING));
	arca_time_format(ts, arca_time_now_ns());
	json_object_set_new(state, "started", json_string(ts));
	json_object_set_new(state, "attempts", json_integer(
		json_integer_value(json_object_get(state, "attempts")) + 1));
	json_object_set_new(x->doc, "stage", json_string(s->name));
	if ((rc = run__journal(x, err)) < 0)
		goto done;
	for (size_t i = 0; i < s->noutputs; i++)
		if (make_parents(x->work, s->outputs[i].path) < 0) {
			rc = arca_error_set_errno(err, ARCA_ERROR, errno, "cannot "
				"create the directory of output '%s'",
				s->outputs[i].name);
			goto done;
		}
	if (s->metrics)
		make_parents(x->work, s->metrics);
	snprintf(out, sizeof(out), "%s/tmp/%s.stdout", x->work, s->name);
	snprintf(errp, sizeof(errp), "%s/tmp/%s.stderr", x->work, s->name);
	eo.argv = argv;
	eo.envp = envp;
	eo.cwd = x->work;
	eo.stdout_path = out;
	eo.stderr_path = errp;
	eo.wall_ms = min_limit(s->budget.wall_s, x->t->budget.wall_s ?
		(x->t->budget.wall_s > elapsed_s ? x->t->budget.wall_s -
		elapsed_s : 1) : 0) * 1000;
	eo.cpu_s = min_limit(s->budget.cpu_s, x->t->budget.cpu_s ?
		(x->t->budget.cpu_s * 1000000 > x->cpu_used_us ?
		(x->t->budget.cpu_s * 1000000 - x->cpu_used_us + 999999) /
		1000000 : 1) : 0);
	eo.memory = (uint64_t)min_limit((int64_t)s->budget.memory,
		(int64_t)x->t->budget.memory);
	run__event(x, "stage %s: started", s->name);
	if ((rc = arca_exec_run(&res, &eo, err)) < 0)
		goto done;
	x->cpu_used_us += res.user_us + res.sys_us;
	arca_time_format(ts, res.start_ns);
	json_object_set_new(state, "started", json_string(ts));
	arca_time_format(ts, res.end_ns);
	json_object_set_new(state, "ended", json_string(ts));
	json_object_set_new(state, "end", json_string(arca_exec_end_name(
		res.end)));
	if (res.end == ARCA_EXEC_EXITED)
		json_object_set_new(state, "exit_code", json_integer(
			res.exit_code));
	else if (res.signal)
		json_object_set_new(state, "signal", json_integer(res.signal));
	json_object_set_new(state, "resources", json_pack("{s:I, s:I, s:I, "
		"s:I}", "wall_ms", (json_int_t)(res.wall_ns / 1000000),
		"user_ms", (json_int_t)(res.user_us / 1000), "sys_ms",
		(json_int_t)(res.sys_us / 1000), "max_rss",
		(json_int_t)res.max_rss));
	json_object_set_new(state, "budget", json_pack("{s:I, s:I, s:I}",
		"wall_s", (json_int_t)(eo.wall_ms / 1000), "cpu_s",
		(json_int_t)eo.cpu_s, "memory", (json_int_t)eo.memory));
	if ((rc = log_object(x, state, "stdout", out, err)) < 0 ||
		(rc = log_object(x, state, "stderr", errp, err)) < 0)
		goto done;
	if (res.end != ARCA_EXEC_EXITED || res.exit_code != 0) {
		snprintf(msg, sizeof(msg), "stage '%s' %s", s->name,
			res.message);
		set_failed(x, state, msg);
	} else if ((rc = stage_metrics(x, s, state, err)) == 0 &&
		(rc = stage_outputs(x, s, state, err)) == 0) {
		json_object_set_new(state, "status", json_string(RUN_SUCCEEDED));
		json_object_del(state, "message");
	}
	if (rc < 0)
		goto done;
	json_object_del(x->doc, "stage");
	run__event(x, "stage %s: %s", s->name, run__str(state, "status"));
	rc = run__journal(x, err);
done:
	run__strv_free(argv);
	run__strv_free(envp);
	return rc;
}

void run__spent(run_ctx *x)
{
	json_t *st, *res;
	int64_t wall_ms = 0, cpu_ms = 0;
	size_t i;

	json_array_foreach(json_object_get(x->doc, "stages"), i, st) {
		if (!(res = json_object_get(st, "resources")))
			continue;
		wall_ms += json_integer_value(json_object_get(res, "wall_ms"));
		cpu_ms += json_integer_value(json_object_get(res, "user_ms")) +
			json_integer_value(json_object_get(res, "sys_ms"));
	}
	x->started_ns = mono_ns() - wall_ms * 1000000;
	x->cpu_used_us = cpu_ms * 1000;
}

json_t *run__stage_state(run_ctx *x, const char *name)
{
	json_t *stages = json_object_get(x->doc, "stages"), *st;
	size_t i;

	json_array_foreach(stages, i, st)
		if (run__str(st, "name") && !strcmp(run__str(st, "name"), name))
			return st;
	return NULL;
}

int run__stages(run_ctx *x, arca_error *err)
{
	int rc;

	if (!x->started_ns)
		x->started_ns = mono_ns();
	for (size_t i = 0; i < x->t->nstages; i++) {
		const arca_template_stage *s = &x->t->stages[i];
		json_t *state = run__stage_state(x, s->name);
		const char *status;
		if (!state)
			return arca_error_set(err, ARCA_ECORRUPT, "the run has no "
				"state for stage '%s'", s->name);
		status = run__str(state, "status");
		if (status && !strcmp(status, RUN_SUCCEEDED))
			continue;
		if ((rc = run_stage(x, s, state, err)) < 0)
			return rc;
		if (!strcmp(run__str(x->doc, "status"), RUN_FAILED))
			return 0;
	}
	return 0;
}
