/*
 * Registering one item: stage a private copy when the source has hooks,
 * run them in order (the first failure registers nothing), build the
 * provenance and add the data as the dataset's next version.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "ingest/ingest.h"
#include "util/fs.h"

void arca_ingest__report(arca_ingest__ctx *x, const arca_ingest_source *s,
	const char *item, arca_ingest_status st, int code,
	const arca_dataset_version *v, const char *msg)
{
	arca_ingest_event ev;

	switch (st) {
	case ARCA_INGEST_ADDED: x->sum.added++; break;
	case ARCA_INGEST_UNCHANGED: x->sum.unchanged++; break;
	case ARCA_INGEST_SKIPPED: x->sum.skipped++; break;
	default: x->sum.failed++; break;
	}
	if (!x->o->report)
		return;
	memset(&ev, 0, sizeof(ev));
	ev.source = s->name;
	ev.kind = arca_ingest__kind_name(s->kind);
	ev.dataset = s->dataset;
	ev.item = item;
	ev.status = st;
	ev.code = code;
	ev.version = v;
	ev.message = msg;
	ev.busy = x->busy;
	x->o->report(&ev, x->o->payload);
}

int arca_ingest__last(arca_ingest__ctx *x, const arca_ingest_source *s,
	const char *item, json_t **fp, arca_error *err)
{
	json_error_t je;
	char *text = NULL;
	json_t *prov, *f;
	int rc;

	rc = arca_catalog_ingest_last(x->c, s->name, item, &text, err);
	if (rc == ARCA_ENOTFOUND) {
		arca_error_clear(err);
		return 0;
	}
	if (rc < 0)
		return rc;
	prov = json_loads(text, 0, &je);
	free(text);
	/* a record without a usable fingerprint: treat the item as new
	 * rather than never ingesting it again */
	if (!prov || !(f = json_object_get(prov, "fingerprint"))) {
		json_decref(prov);
		return 0;
	}
	*fp = json_incref(f);
	json_decref(prov);
	return 1;
}

/* The basename of path (borrowed). */
static const char *base_name(const char *path)
{
	const char *slash = strrchr(path, '/');

	return slash ? slash + 1 : path;
}

/* "NAME=VALUE" into a new string; NULL when out of memory. */
static char *env_entry(const char *name, const char *value)
{
	size_t len = strlen(name) + strlen(value ? value : "") + 2;
	char *e = malloc(len);

	if (e)
		snprintf(e, len, "%s=%s", name, value ? value : "");
	return e;
}

static void free_strv(char **v)
{
	for (size_t i = 0; v && v[i]; i++)
		free(v[i]);
	free(v);
}

/* Runs hook h on staged; appends its record to hooks. A hook that does
 * not succeed is ARCA_EINVALID "hook N (PROG) exited with ...". */
static int run_hook(arca_ingest__ctx *x, const arca_ingest__job *j,
	size_t n, const char *dir, const char *staged, json_t *hooks,
	arca_error *err)
{
	const arca_ingest_hook *h = &j->s->hooks[n];
	arca_ingest_vars vars = { j->s->name, j->s->dataset, j->item, staged };
	arca_ingest_hook_result res = ARCA_INGEST_HOOK_RESULT_INIT;
	arca_ingest_hook_run run;
	char **argv = calloc(h->argc + 1, sizeof(*argv)), *env[5] = { NULL };
	char why[400];
	int rc = 0;

	env[0] = env_entry("ARCA_INGEST_SOURCE", j->s->name);
	env[1] = env_entry("ARCA_INGEST_DATASET", j->s->dataset);
	env[2] = env_entry("ARCA_INGEST_ITEM", j->item);
	env[3] = env_entry("ARCA_INGEST_STAGED", staged);
	for (size_t i = 0; argv && i < h->argc; i++)
		if (!(argv[i] = arca_ingest__subst(h->argv[i], &vars)))
			rc = -1;
	if (!argv || rc < 0 || !env[0] || !env[1] || !env[2] || !env[3]) {
		rc = arca_error_set(err, ARCA_ERROR, "out of memory");
		goto done;
	}
	memset(&run, 0, sizeof(run));
	run.argv = argv;
	run.cwd = dir;
	run.env = env;
	run.timeout_ms = h->timeout_ms;
	run.kill_grace_ms = ARCA_INGEST_HOOK_KILL_GRACE_MS;
	run.cap = ARCA_INGEST_OUTPUT_CAP;
	run.tick = x->o->tick;
	run.payload = x->o->payload;
	if ((rc = arca_ingest__hook_exec(&res, &run, err)) < 0) {
		arca_error_prefix(err, "hook %zu", n + 1);
		goto done;
	}
	if (json_array_append_new(hooks, arca_ingest__hook_json(&res, argv))
		< 0) {
		rc = arca_error_set(err, ARCA_ERROR, "out of memory");
		goto done;
	}
	if (res.exit_code != 0 || res.signal || res.timed_out) {
		arca_ingest__hook_describe(why, sizeof(why), &res,
			h->timeout_ms);
		rc = arca_error_set(err, ARCA_EINVALID, "hook %zu (%s) %s; "
			"nothing registered", n + 1, base_name(argv[0]), why);
	}
done:
	arca_ingest__hook_result_dispose(&res);
	free_strv(argv);
	for (int i = 0; i < 4; i++)
		free(env[i]);
	return rc;
}

static char *provenance(const arca_ingest__job *j, json_t *hooks)
{
	json_t *p = json_pack("{s:s, s:s, s:s, s:O}", "source", j->s->name,
		"kind", arca_ingest__kind_name(j->s->kind), "item", j->item,
		"fingerprint", j->fingerprint);
	char *text = NULL;

	if (p && hooks && json_array_size(hooks) &&
		json_object_set(p, "hooks", hooks) < 0)
		goto done;
	if (p && j->fetched && json_object_set(p, "fetched", j->fetched) < 0)
		goto done;
	if (p)
		text = json_dumps(p, JSON_COMPACT | JSON_SORT_KEYS);
done:
	json_decref(p);
	return text;
}

/* Stages a copy of j->data (unless it is staged already) and runs the
 * hooks on it; *path gets what to add. */
static int stage_and_hook(arca_ingest__ctx *x, const arca_ingest__job *j,
	arca_buf *dir, arca_buf *path, json_t *hooks, arca_error *err)
{
	int rc;

	if (j->staging) {
		if (arca_buf_puts(dir, j->staging) < 0 ||
			arca_buf_puts(path, j->data) < 0)
			return arca_error_set(err, ARCA_ERROR, "out of memory");
	} else {
		if ((rc = arca_ingest__staging_new(dir, x->o->cache_dir,
			err)) < 0)
			return rc;
		if (arca_buf_printf(path, "%s/%s", arca_buf_cstr(dir),
			base_name(j->data)) < 0)
			return arca_error_set(err, ARCA_ERROR, "out of memory");
		if ((rc = arca_ingest__copy(j->data, arca_buf_cstr(path),
			err)) < 0)
			return arca_error_prefix(err, "staging");
	}
	for (size_t i = 0; i < j->s->nhooks; i++)
		if ((rc = run_hook(x, j, i, arca_buf_cstr(dir),
			arca_buf_cstr(path), hooks, err)) < 0)
			return rc;
	return 0;
}

int arca_ingest__register(arca_ingest__ctx *x, const arca_ingest__job *j,
	arca_dataset_version *out, arca_error *err)
{
	arca_dataset_add_opts ao;
	arca_ingest_vars vars = { j->s->name, j->s->dataset, j->item, NULL };
	arca_buf dir = ARCA_BUF_INIT, path = ARCA_BUF_INIT;
	json_t *hooks = json_array();
	char *prov = NULL, *msg = NULL;
	const char *data = j->data;
	int rc = 0;

	if (!hooks) {
		rc = arca_error_set(err, ARCA_ERROR, "out of memory");
		goto done;
	}
	if (j->s->nhooks) {
		if ((rc = stage_and_hook(x, j, &dir, &path, hooks, err)) < 0)
			goto done;
		data = arca_buf_cstr(&path);
	}
	msg = arca_ingest__subst(j->s->message ? j->s->message :
		"ingest ${source}: ${item}", &vars);
	if (!msg || !(prov = provenance(j, hooks))) {
		rc = arca_error_set(err, ARCA_ERROR, "out of memory");
		goto done;
	}
	memset(&ao, 0, sizeof(ao));
	ao.message = msg;
	ao.provenance = prov;
	ao.threads = x->o->threads;
	ao.warn = x->o->warn;
	ao.progress = x->o->progress;
	ao.payload = x->o->payload;
	rc = arca_dataset_add(x->c, out, j->s->dataset, data, &ao, err);
done:
	/* a staging dir made here goes; the caller's goes with the caller */
	if (dir.len && !j->staging)
		arca_fs_rmtree(arca_buf_cstr(&dir), NULL);
	arca_buf_dispose(&dir);
	arca_buf_dispose(&path);
	json_decref(hooks);
	free(prov);
	free(msg);
	return rc;
}
