/*
 * Starting a run: template and parameters checked before anything
 * happens, dataset inputs resolved to exact versions (the catalog's
 * drift refusal applies), template and code archived, the first run
 * record written; then the stages (run_stage.c) and the end of the run
 * (run_finish.c). Resume and approval continue a recorded run.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "arca/restore.h"
#include "arca/sign.h"
#include "arca/snapshot.h"
#include "run/runner.h"
#include "util/buf.h"
#include "util/fs.h"
#include "util/json.h"
#include "util/sys.h"
#include "util/utf8.h"

const char *run__str(json_t *o, const char *key)
{
	return json_string_value(json_object_get(o, key));
}

void run__event(run_ctx *x, const char *fmt, ...)
{
	char line[512];
	va_list ap;

	if (!x->o || !x->o->event)
		return;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	x->o->event(line, x->o->payload);
}

void run__ctx_dispose(run_ctx *x)
{
	arca_template_free(x->t);
	json_decref(x->doc);
	json_decref(x->replay_env);
	free(x->work);
	free(x->code);
	for (size_t i = 0; i < x->ninputs; i++) {
		free(x->input_names ? x->input_names[i] : NULL);
		free(x->input_paths ? x->input_paths[i] : NULL);
	}
	free(x->input_names);
	free(x->input_paths);
	memset(x, 0, sizeof(*x));
}

void run__result(arca_run_result *res, run_ctx *x)
{
	json_t *ad = json_object_get(x->doc, "adapter");

	memset(res, 0, sizeof(*res));
	res->run = x->run;
	res->state = x->last;
	snprintf(res->status, sizeof(res->status), "%s",
		run__str(x->doc, "status") ? run__str(x->doc, "status") : "");
	snprintf(res->message, sizeof(res->message), "%s",
		run__str(x->doc, "message") ? run__str(x->doc, "message") : "");
	if (ad)
		snprintf(res->adapter, sizeof(res->adapter), "%s@%s",
			run__str(ad, "name"), run__str(ad, "version"));
	snprintf(res->work, sizeof(res->work), "%s", x->work ? x->work : "");
}

/* ----------------------------------------------------------- template */

typedef struct diag_buf {
	arca_buf b;
	int n;
} diag_buf;

static void diag_collect(const char *file, int line, int col,
	const char *msg, void *payload)
{
	diag_buf *d = payload;

	if (d->n++ < 5)
		arca_buf_printf(&d->b, "\n  %s:%d:%d: %s", file, line, col, msg);
}

static int template_load(arca_template **t, const char *path,
	arca_error *err)
{
	diag_buf d = { ARCA_BUF_INIT, 0 };
	int rc = arca_template_load(t, path, diag_collect, &d, err);

	if (rc < 0 && d.n) {
		arca_error_set(err, rc, "%s: %d problem%s (see 'arca template "
			"validate'):%s%s", path, d.n, d.n == 1 ? "" : "s",
			arca_buf_cstr(&d.b), d.n > 5 ? "\n  ..." : "");
	}
	arca_buf_dispose(&d.b);
	return rc;
}

/* ------------------------------------------------------------- inputs */

/* The acknowledgements of the version's drift, from the index. */
static json_t *version_acks(arca_catalog *c, const arca_id *record)
{
	json_t *a = json_array();
	sqlite3_stmt *st;
	arca_error e = ARCA_ERROR_INIT;

	if (arca_cat__prepare(c, &st, "SELECT a.record FROM acks a JOIN "
		"versions v ON v.id = a.version_id WHERE v.record = ? ORDER BY "
		"a.created, a.record", &e) < 0)
		return a;
	arca_cat__bind_id(st, 1, record);
	while (sqlite3_step(st) == SQLITE_ROW)
		json_array_append_new(a, json_string((const char *)
			sqlite3_column_text(st, 0)));
	sqlite3_finalize(st);
	return a;
}

/* governance.require_hook: the version was ingested through a hook of
 * that name (its program's base name). */
static int hook_passed(arca_catalog *c, const arca_id *record,
	const char *hook, arca_error *err)
{
	json_t *doc = NULL, *hooks, *h;
	size_t i;
	int ok = 0, rc;

	if ((rc = arca_repo__json_get(c->r, &doc, record, "dataset-version "
		"record", err)) < 0)
		return rc;
	hooks = json_object_get(json_object_get(doc, "ingest"), "hooks");
	json_array_foreach(hooks, i, h) {
		const char *prog = json_string_value(json_array_get(
			json_object_get(h, "argv"), 0));
		const char *base = prog ? strrchr(prog, '/') : NULL;
		base = base ? base + 1 : prog;
		if (base && !strcmp(base, hook) && json_integer_value(
			json_object_get(h, "exit")) == 0 && !json_object_get(h,
			"signal") && !json_object_get(h, "timed_out"))
			ok = 1;
	}
	json_decref(doc);
	return ok;
}

int run__resolve_inputs(run_ctx *x, json_t *params, json_t *keep,
	json_t **out, arca_error *err)
{
	json_t *inputs = json_array();
	const char *hook = json_string_value(json_object_get(
		json_object_get(params, "governance"), "require_hook"));
	int rc = 0;

	for (size_t i = 0; i < x->t->ninputs; i++) {
		const arca_template_input *in = &x->t->inputs[i];
		char ns[64], vref[160], rec[ARCA_ID_STRSZ], snap[ARCA_ID_STRSZ];
		const char *dot = strchr(in->param, '.'), *ref;
		arca_dataset_version v;
		json_t *k = keep ? json_object_get(keep, in->name) : NULL;
		if (k) {
			/* A re-run uses exactly the versions recorded. */
			json_array_append(inputs, k);
			continue;
		}
		snprintf(ns, sizeof(ns), "%.*s", dot ? (int)(dot - in->param) :
			0, in->param);
		ref = json_string_value(json_object_get(json_object_get(params,
			ns), dot ? dot + 1 : ""));
		if (!ref) {
			rc = arca_error_set(err, ARCA_EINVALID, "input '%s': "
				"parameter '%s' has no value", in->name,
				in->param);
			break;
		}
		if ((rc = arca_dataset_resolve(x->c, &v, ref, 1, err)) < 0) {
			arca_error_prefix(err, "input '%s' (%s)", in->name, ref);
			break;
		}
		if (hook && *hook && (rc = hook_passed(x->c, &v.record, hook,
			err)) <= 0) {
			if (rc == 0)
				rc = arca_error_set(err, ARCA_EPOLICY, "input '%s': "
					"%s@%lld did not pass the ingest hook '%s' "
					"that governance.require_hook demands",
					in->name, v.name, (long long)v.version,
					hook);
			break;
		}
		snprintf(vref, sizeof(vref), "%s@%lld", v.name,
			(long long)v.version);
		arca_id_str(rec, &v.record);
		arca_id_str(snap, &v.snapshot);
		json_array_append_new(inputs, json_pack("{s:s, s:s, s:s, s:s, "
			"s:I, s:s, s:s, s:s, s:o}", "name", in->name, "param",
			in->param, "ref", ref, "dataset", v.name, "version",
			(json_int_t)v.version, "version_ref", vref, "record", rec,
			"snapshot", snap, "acks", version_acks(x->c, &v.record)));
	}
	if (rc < 0) {
		json_decref(inputs);
		return rc;
	}
	*out = inputs;
	return 0;
}

/* -------------------------------------------------------------- start */

static int file_object(arca_repo *r, arca_id *out, const char *path,
	arca_error *err)
{
	arca_buf b = ARCA_BUF_INIT;
	arca_put_result res;
	char chunk[65536];
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC), rc = 0;

	if (fd < 0)
		return arca_error_set_errno(err, ARCA_EINVALID, errno, "cannot "
			"read '%s'", path);
	while ((n = read(fd, chunk, sizeof(chunk))) > 0)
		if (arca_buf_put(&b, chunk, (size_t)n) < 0) {
			rc = arca_error_set(err, ARCA_ERROR, "out of memory");
			break;
		}
	if (n < 0)
		rc = arca_error_set_errno(err, ARCA_ERROR, errno, "cannot "
			"read '%s'", path);
	close(fd);
	if (rc == 0 && (rc = arca_repo__object_put(r, &res, b.data, b.len, 0,
		NULL, err)) == 0)
		*out = res.id;
	arca_buf_dispose(&b);
	return rc;
}

/* The first record's body: everything needed to run it again. */
int run__doc_new(run_ctx *x, const char *template_path, json_t *params,
	json_t *inputs, const arca_id *template_obj, const arca_id *code,
	const arca_id *parent, arca_error *err)
{
	const char *base = strrchr(template_path, '/');
	char host[256];
	json_t *stages = json_array(), *tpl, *gov;

	base = base ? base + 1 : template_path;
	if (!(x->doc = arca_cat__record_base(ARCA_REC_RUN)))
		return arca_error_set(err, ARCA_ERROR, "out of memory");
	tpl = json_pack("{s:s, s:s, s:o, s:s}", "name", x->t->name,
		"version", x->t->version, "object", arca_json_id(template_obj),
		"file", base);
	json_object_set_new(x->doc, "template", tpl);
	json_object_set(x->doc, "params", params);
	json_object_set(x->doc, "inputs", inputs);
	if (code)
		json_object_set_new(x->doc, "code", arca_json_id(code));
	if (parent)
		json_object_set_new(x->doc, "parent", arca_json_id(parent));
	if (parent && x->o && x->o->publish)
		json_object_set_new(x->doc, "publish", json_true());
	json_object_set_new(x->doc, "environment", run__environment(x->t));
	json_object_set_new(x->doc, "budget", json_pack("{s:I, s:I, s:I}",
		"wall_s", (json_int_t)x->t->budget.wall_s, "cpu_s",
		(json_int_t)x->t->budget.cpu_s, "memory",
		(json_int_t)x->t->budget.memory));
	gov = json_object_get(params, "governance");
	json_object_set(x->doc, "governance", gov ? gov : json_object());
	for (size_t i = 0; i < x->t->nstages; i++)
		json_array_append_new(stages, json_pack("{s:s, s:s}", "name",
			x->t->stages[i].name, "status", "pending"));
	json_object_set_new(x->doc, "stages", stages);
	json_object_set_new(x->doc, "status", json_string(RUN_RUNNING));
	json_object_set_new(x->doc, "approvals", json_array());
	json_object_set_new(x->doc, "interruptions", json_array());
	arca_hostname(host, sizeof(host));
	arca_utf8_sanitize(host);
	json_object_set_new(x->doc, "runner", json_pack("{s:s, s:I, s:I}",
		"hostname", host, "pid", (json_int_t)getpid(), "start",
		(json_int_t)arca_process_start(getpid())));
	return 0;
}

/* Runs the stages and the end of the run, then tidies the work dir. */
int run__go(run_ctx *x, arca_run_result *res, arca_error *err)
{
	const char *status;
	int rc;

	if ((rc = run__materialize(x, err)) < 0) {
		/* Recorded, so the run does not stay "running" forever. */
		char msg[1100];
		snprintf(msg, sizeof(msg), "preparing the run failed: %s",
			err->msg);
		json_object_set_new(x->doc, "status", json_string(RUN_FAILED));
		json_object_set_new(x->doc, "message", json_string(msg));
		run__journal(x, NULL);
		run__result(res, x);
		return rc;
	}
	if ((rc = run__stages(x, err)) < 0)
		return rc;
	status = run__str(x->doc, "status");
	if (!strcmp(status, RUN_RUNNING) && (rc = run__finish(x, err)) < 0)
		return rc;
	status = run__str(x->doc, "status");
	run__result(res, x);
	if (!x->o || !x->o->keep_work) {
		/* Kept when something failed: what the stage left is evidence
		 * for whoever debugs it. */
		if (strcmp(status, RUN_FAILED)) {
			arca_error e = ARCA_ERROR_INIT;
			arca_fs_rmtree(x->work, &e);
			res->work[0] = '\0';
		}
	}
	return 0;
}

/* What would only fail later, refused before anything is recorded:
 * overriding governance, ${code} without code, an explicit adapter
 * version that is already published. */
int run__precheck(run_ctx *x, const char *const *params, size_t n,
	int has_code, int publishing, arca_error *err)
{
	const arca_template_adapter *ad = &x->t->adapter;
	char ref[ARCA_KEY_MAX];
	arca_id id;
	int rc;

	for (size_t i = 0; i < n; i++)
		if (!strncmp(params[i], "governance.", 11))
			return arca_error_set(err, ARCA_EPOLICY, "'%.*s': governance "
				"parameters are set by the template, not on the "
				"command line", (int)strcspn(params[i], "="),
				params[i]);
	for (size_t i = 0; !has_code && i < x->t->nstages; i++)
		for (size_t j = 0; j < x->t->stages[i].nrun; j++)
			if (strstr(x->t->stages[i].run[j], "${code}"))
				return arca_error_set(err, ARCA_EINVALID, "stage '%s' "
					"runs ${code}, and no code was given (--code "
					"DIR)", x->t->stages[i].name);
	if (publishing && ad->name && ad->version &&
		strcmp(ad->version, "patch") &&
		strcmp(ad->version, "minor") && strcmp(ad->version, "major")) {
		snprintf(ref, sizeof(ref), "adapters/%s/%s", ad->name,
			ad->version);
		rc = arca_repo__ref_get(x->r, &id, ref, err);
		if (rc == 0)
			return arca_error_set(err, ARCA_EEXISTS, "adapter %s@%s is "
				"already published: the template's explicit version "
				"cannot be published again (use patch, minor or "
				"major)", ad->name, ad->version);
		if (rc != ARCA_ENOTFOUND)
			return rc;
		arca_error_clear(err);
	}
	return 0;
}

int arca_run_start(arca_run_result *res, arca_catalog *c,
	const char *template_path, const arca_run_opts *o, arca_error *err)
{
	run_ctx x;
	json_t *params = NULL, *inputs = NULL;
	arca_id tobj, code;
	int rc;

	memset(&x, 0, sizeof(x));
	memset(res, 0, sizeof(*res));
	x.c = c;
	x.r = c->r;
	x.o = o;
	if ((rc = arca_repo_signing_check(c->r, err)) < 0 ||
		(rc = template_load(&x.t, template_path, err)) < 0)
		return rc;
	if ((rc = run__precheck(&x, o ? o->params : NULL, o ? o->nparams : 0,
		o && o->code_dir, 1, err)) < 0)
		goto done;
	if ((rc = arca_template_resolve(&params, x.t, o ? o->params : NULL,
		o ? o->nparams : 0, err)) < 0)
		goto done;
	if ((rc = run__resolve_inputs(&x, params, NULL, &inputs, err)) < 0)
		goto done;
	if ((rc = file_object(x.r, &tobj, template_path, err)) < 0)
		goto done;
	if (o && o->code_dir) {
		arca_snapshot_opts so = ARCA_SNAPSHOT_OPTS_INIT;
		arca_snapshot_stats st;
		char msg[300];
		snprintf(msg, sizeof(msg), "code of template %s %s",
			x.t->name, x.t->version);
		so.message = msg;
		so.source = ARCA_SOURCE_PLAIN;
		struct stat sb;
		if (stat(o->code_dir, &sb) < 0 || !S_ISDIR(sb.st_mode)) {
			rc = arca_error_set(err, ARCA_EINVALID, "--code '%s' is "
				"not a directory", o->code_dir);
			goto done;
		}
		if ((rc = arca_snapshot_create(&code, &st, x.r, o->code_dir,
			&so, err)) < 0) {
			arca_error_prefix(err, "archiving the code");
			goto done;
		}
	}
	if ((rc = run__doc_new(&x, template_path, params, inputs, &tobj,
		o && o->code_dir ? &code : NULL, NULL, err)) < 0)
		goto done;
	if ((rc = run__work_create(&x, err)) < 0 ||
		(rc = run__journal(&x, err)) < 0)
		goto done;
	{
		char hex[ARCA_ID_HEXSZ + 1];
		arca_id_hex(hex, &x.run);
		run__event(&x, "run %.12s: template %s %s, work %s", hex,
			x.t->name, x.t->version, x.work);
	}
	rc = run__go(&x, res, err);
done:
	json_decref(params);
	json_decref(inputs);
	run__ctx_dispose(&x);
	return rc;
}

/* ------------------------------------------------------------- resume */

/* Loads a recorded run to continue it: its latest record becomes the
 * state, its template is restored from the repository. */
int run__load(run_ctx *x, arca_catalog *c, const char *spec,
	const arca_run_opts *o, arca_error *err)
{
	json_t *tpl;
	arca_id tobj;
	int rc;

	memset(x, 0, sizeof(*x));
	x->c = c;
	x->r = c->r;
	x->o = o;
	if ((rc = arca_run_resolve(&x->run, x->r, spec, err)) < 0 ||
		(rc = run__latest(&x->doc, &x->last, &x->seq, x->r, &x->run,
			err)) < 0)
		return rc;
	tpl = json_object_get(x->doc, "template");
	if (arca_id_parse(&tobj, run__str(tpl, "object") ?
		run__str(tpl, "object") : "") < 0 || !run__str(tpl, "file"))
		return arca_error_set(err, ARCA_ECORRUPT, "run %s: its record "
			"names no template object", spec);
	x->template_obj = tobj;
	return 0;
}

int run__load_template(run_ctx *x, arca_error *err)
{
	json_t *tpl = json_object_get(x->doc, "template");
	int rc;

	if ((rc = run__work_create(x, err)) < 0)
		return rc;
	return run__template_restore(x, &x->template_obj, run__str(tpl,
		"file"), err);
}

/* 1 if the runner that wrote the record still runs on this host. */
static int runner_alive(json_t *doc)
{
	json_t *rn = json_object_get(doc, "runner");
	char host[256];
	pid_t pid = (pid_t)json_integer_value(json_object_get(rn, "pid"));
	uint64_t start = (uint64_t)json_integer_value(json_object_get(rn,
		"start"));

	arca_hostname(host, sizeof(host));
	arca_utf8_sanitize(host);
	if (!run__str(rn, "hostname") || strcmp(run__str(rn, "hostname"),
		host) || pid <= 0 || pid == getpid())
		return 0;
	return arca_process_start(pid) == start && start != 0;
}

/* Restores the archived outputs of the stages that completed, checking
 * each against its recorded digest, so later stages find them. */
static int restore_outputs(run_ctx *x, arca_error *err)
{
	json_t *stages = json_object_get(x->doc, "stages"), *st, *outs, *e;
	const char *name;
	size_t i;
	int rc;

	json_array_foreach(stages, i, st) {
		if (!run__str(st, "status") || strcmp(run__str(st, "status"),
			RUN_SUCCEEDED))
			continue;
		outs = json_object_get(st, "outputs");
		json_object_foreach(outs, name, e) {
			const arca_template_output *o = arca_template_output_find(
				x->t, name, NULL);
			char dir[4200], digest[80], *slash;
			arca_restore_opts ro = ARCA_RESTORE_OPTS_INIT;
			arca_restore_stats rs;
			arca_id snap;
			if (!o || arca_id_parse(&snap, run__str(e, "snapshot") ?
				run__str(e, "snapshot") : "") < 0)
				return arca_error_set(err, ARCA_ECORRUPT, "run: "
					"output '%s' has no archived snapshot",
					name);
			if ((rc = run__digest(digest, x->r, &snap, err)) < 0)
				return rc;
			if (!run__str(e, "digest") || strcmp(digest,
				run__str(e, "digest")))
				return arca_error_set(err, ARCA_ECORRUPT, "output "
					"'%s' of stage '%s' does not match its "
					"recorded digest", name,
					run__str(st, "name"));
			snprintf(dir, sizeof(dir), "%s/%s", x->work, o->path);
			if (o->dir) {
				size_t l = strlen(dir);
				if (l && dir[l - 1] == '/')
					dir[l - 1] = '\0';
			} else if ((slash = strrchr(dir, '/'))) {
				*slash = '\0';
			}
			if ((rc = arca_restore_dir(&rs, x->r, &snap, "", dir,
				&ro, err)) < 0)
				return arca_error_prefix(err, "restoring output "
					"'%s'", name);
		}
	}
	return 0;
}

int arca_run_resume(arca_run_result *res, arca_catalog *c, const char *run,
	const arca_run_opts *o, arca_error *err)
{
	run_ctx x;
	const char *status, *stage;
	char host[256], ts[64], stage_name[128];
	json_t *intr;
	int rc;

	memset(res, 0, sizeof(*res));
	if ((rc = arca_repo_signing_check(c->r, err)) < 0)
		return rc;
	if ((rc = run__load(&x, c, run, o, err)) < 0)
		goto done;
	status = run__str(x.doc, "status");
	if (!status || strcmp(status, RUN_RUNNING)) {
		rc = arca_error_set(err, ARCA_EINVALID, "run %s is %s, not "
			"interrupted: there is nothing to resume", run,
			status ? status : "of unknown status");
		goto done;
	}
	if (runner_alive(x.doc)) {
		rc = arca_error_set(err, ARCA_ELOCKED, "run %s is still running "
			"(pid %lld on this host)", run, (long long)
			json_integer_value(json_object_get(json_object_get(x.doc,
			"runner"), "pid")));
		goto done;
	}
	snprintf(stage_name, sizeof(stage_name), "%s", run__str(x.doc,
		"stage") ? run__str(x.doc, "stage") : "");
	stage = *stage_name ? stage_name : NULL;
	arca_time_format(ts, arca_time_now_ns());
	intr = json_pack("{s:s, s:o, s:O}", "resumed", ts, "record",
		arca_json_id(&x.last), "runner", json_object_get(x.doc,
		"runner"));
	if (stage)
		json_object_set_new(intr, "stage", json_string(stage));
	json_array_append_new(json_object_get(x.doc, "interruptions"), intr);
	/* The stage in flight starts over. */
	if (stage && run__stage_state(&x, stage))
		json_object_set_new(run__stage_state(&x, stage), "status",
			json_string("interrupted"));
	json_object_del(x.doc, "stage");
	if ((rc = run__load_template(&x, err)) < 0)
		goto done;
	arca_hostname(host, sizeof(host));
	arca_utf8_sanitize(host);
	json_object_set_new(x.doc, "runner", json_pack("{s:s, s:I, s:I}",
		"hostname", host, "pid", (json_int_t)getpid(), "start",
		(json_int_t)arca_process_start(getpid())));
	if ((rc = run__journal(&x, err)) < 0)
		goto done;
	run__event(&x, "run %s: resumed%s%s", run, stage ? " at stage " : "",
		stage ? stage : "");
	if ((rc = restore_outputs(&x, err)) < 0)
		goto done;
	run__spent(&x);
	rc = run__go(&x, res, err);
done:
	run__ctx_dispose(&x);
	return rc;
}
