/*
 * Re-running a recorded run: the template, code, inputs, parameters and
 * allowlisted variables come from the original's record, never from the
 * live machine; the new run names the original as its parent; every
 * output digest and metric is compared with the original's.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "arca/sign.h"
#include "run/runner.h"
#include "util/json.h"

/* The recorded parameters as "ns.key=value" overrides, typed back. */
static char **recorded_overrides(const arca_template *t, json_t *params,
	const arca_run_opts *o, size_t *n)
{
	size_t cap = t->nparams + (o ? o->nparams : 0) + 1, k = 0;
	char **v = calloc(cap, sizeof(*v));

	for (size_t i = 0; v && i < t->nparams; i++) {
		const arca_template_param *p = &t->params[i];
		json_t *val = json_object_get(json_object_get(params, p->ns),
			p->key);
		char text[4200];
		if (!val)
			continue;
		if (json_is_integer(val))
			snprintf(text, sizeof(text), "%s.%s=%" JSON_INTEGER_FORMAT
				"%s", p->ns, p->key, json_integer_value(val),
				p->type == ARCA_PARAM_DURATION ? "s" : "");
		else if (json_is_boolean(val))
			snprintf(text, sizeof(text), "%s.%s=%s", p->ns, p->key,
				json_is_true(val) ? "true" : "false");
		else if (json_is_string(val))
			snprintf(text, sizeof(text), "%s.%s=%s", p->ns, p->key,
				json_string_value(val));
		else
			continue;
		v[k++] = strdup(text);
	}
	for (size_t i = 0; v && o && i < o->nparams; i++)
		v[k++] = strdup(o->params[i]);
	*n = k;
	return v;
}

/* 1 if an override names param ("data.dataset=..."). */
static int overridden(const arca_run_opts *o, const char *param)
{
	size_t len = strlen(param);

	for (size_t i = 0; o && i < o->nparams; i++)
		if (!strncmp(o->params[i], param, len) &&
			o->params[i][len] == '=')
			return 1;
	return 0;
}

static int add_diff(arca_rerun_report *rep, const char *name,
	const char *was, const char *now)
{
	arca_rerun_diff *nv = realloc(rep->diffs, (rep->ndiffs + 1) *
		sizeof(*nv));

	if (!nv)
		return -1;
	rep->diffs = nv;
	snprintf(nv[rep->ndiffs].name, sizeof(nv->name), "%s", name);
	snprintf(nv[rep->ndiffs].was, sizeof(nv->was), "%s", was);
	snprintf(nv[rep->ndiffs].now, sizeof(nv->now), "%s", now);
	rep->ndiffs++;
	return 0;
}

static char *value_text(json_t *v)
{
	return v ? json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT |
		JSON_SORT_KEYS) : strdup("(none)");
}

static int compare(arca_rerun_report *rep, json_t *a, json_t *b)
{
	json_t *sa, *ob, *oa, *ma;
	const char *name, *key;
	size_t i;

	json_array_foreach(json_object_get(a, "stages"), i, sa) {
		const char *stage = run__str(sa, "name");
		json_t *sb = NULL, *st;
		size_t j;
		json_array_foreach(json_object_get(b, "stages"), j, st)
			if (stage && run__str(st, "name") &&
				!strcmp(run__str(st, "name"), stage))
				sb = st;
		ob = json_object_get(sb, "outputs");
		json_object_foreach(json_object_get(sa, "outputs"), name, oa) {
			const char *da = run__str(oa, "digest");
			const char *db = run__str(json_object_get(ob, name),
				"digest");
			if (!db || !da || strcmp(da, db))
				if (add_diff(rep, name, da ? da : "(none)",
					db ? db : "(none)") < 0)
					return -1;
		}
		ma = json_object_get(sb, "metrics");
		json_object_foreach(json_object_get(sa, "metrics"), key, oa) {
			char mname[128], *ta = value_text(oa),
				*tb = value_text(json_object_get(ma, key));
			int bad = !ta || !tb;
			snprintf(mname, sizeof(mname), "metric:%s.%s", stage, key);
			if (!bad && strcmp(ta, tb))
				bad = add_diff(rep, mname, ta, tb) < 0;
			free(ta);
			free(tb);
			if (bad)
				return -1;
		}
	}
	return 0;
}

int arca_run_rerun(arca_run_result *res, arca_rerun_report *rep,
	arca_catalog *c, const char *run, const arca_run_opts *o,
	arca_error *err)
{
	run_ctx x;
	json_t *orig = NULL, *params = NULL, *inputs = NULL, *keep = NULL;
	json_t *in, *tpl;
	arca_id orig_run, tobj, code;
	char **ov = NULL;
	size_t nov = 0, i;
	const char *status;
	int rc, has_code;

	memset(&x, 0, sizeof(x));
	memset(res, 0, sizeof(*res));
	memset(rep, 0, sizeof(*rep));
	x.c = c;
	x.r = c->r;
	x.o = o;
	if ((rc = arca_repo_signing_check(x.r, err)) < 0 ||
		(rc = arca_run_resolve(&orig_run, x.r, run, err)) < 0 ||
		(rc = run__latest(&orig, NULL, NULL, x.r, &orig_run, err)) < 0)
		goto done;
	rep->original = orig_run;
	status = run__str(orig, "status");
	if (!status || !strcmp(status, RUN_RUNNING)) {
		rc = arca_error_set(err, ARCA_EINVALID, "run %s has not finished "
			"(resume it with 'arca run --resume %s')", run, run);
		goto done;
	}
	tpl = json_object_get(orig, "template");
	if (arca_id_parse(&tobj, run__str(tpl, "object") ?
		run__str(tpl, "object") : "") < 0 || !run__str(tpl, "file")) {
		rc = arca_error_set(err, ARCA_ECORRUPT, "run %s names no "
			"template object", run);
		goto done;
	}
	has_code = run__str(orig, "code") && arca_id_parse(&code,
		run__str(orig, "code")) == 0;
	if ((rc = run__work_create(&x, err)) < 0 ||
		(rc = run__template_restore(&x, &tobj, run__str(tpl, "file"),
			err)) < 0)
		goto done;
	if ((rc = run__precheck(&x, o ? o->params : NULL, o ? o->nparams : 0,
		1, o && o->publish, err)) < 0)
		goto done;
	if (!(ov = recorded_overrides(x.t, json_object_get(orig, "params"), o,
		&nov))) {
		rc = arca_error_set(err, ARCA_ERROR, "out of memory");
		goto done;
	}
	if ((rc = arca_template_resolve(&params, x.t, (const char *const *)ov,
		nov, err)) < 0)
		goto done;
	keep = json_object();
	json_array_foreach(json_object_get(orig, "inputs"), i, in)
		if (run__str(in, "name") && !overridden(o, run__str(in, "param") ?
			run__str(in, "param") : ""))
			json_object_set(keep, run__str(in, "name"), in);
	if ((rc = run__resolve_inputs(&x, params, keep, &inputs, err)) < 0)
		goto done;
	x.replay_env = json_deep_copy(json_object_get(json_object_get(orig,
		"environment"), "variables"));
	if ((rc = run__doc_new(&x, run__str(tpl, "file"), params, inputs,
		&tobj, has_code ? &code : NULL, &orig_run, err)) < 0 ||
		(rc = run__journal(&x, err)) < 0)
		goto done;
	{
		char hex[ARCA_ID_HEXSZ + 1];
		arca_id_hex(hex, &x.run);
		run__event(&x, "run %.12s: re-run of %s", hex, run);
	}
	if ((rc = run__go(&x, res, err)) < 0)
		goto done;
	if (compare(rep, orig, x.doc) < 0) {
		rc = arca_error_set(err, ARCA_ERROR, "out of memory");
		goto done;
	}
	/* An original that was approved ended "succeeded"; its re-run
	 * waits for an approval of its own, and is still the same run. */
	rep->identical = rep->ndiffs == 0 && (!strcmp(res->status,
		run__str(orig, "status")) || (!strcmp(res->status, RUN_AWAITING)
		&& !strcmp(run__str(orig, "status"), RUN_SUCCEEDED)));
done:
	for (i = 0; ov && i < nov; i++)
		free(ov[i]);
	free(ov);
	json_decref(orig);
	json_decref(params);
	json_decref(inputs);
	json_decref(keep);
	run__ctx_dispose(&x);
	return rc;
}
