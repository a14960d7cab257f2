/*
 * The end of a run whose stages all succeeded: gates on the metrics,
 * then the approval governance may demand, then the adapter. Every
 * outcome is a recorded status: gated (nothing published),
 * awaiting-approval (until 'arca approve'), succeeded.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "arca/sign.h"
#include "run/runner.h"
#include "util/fs.h"
#include "util/json.h"
#include "util/sys.h"
#include "util/utf8.h"

static int gates(run_ctx *x, int *all, arca_error *err)
{
	json_t *metrics = json_object(), *results = json_array(), *st;
	json_t *stages = json_object_get(x->doc, "stages");
	char first[400] = "";
	size_t i;
	int rc = 0;

	*all = 1;
	json_array_foreach(stages, i, st)
		if (json_object_get(st, "metrics"))
			json_object_set(metrics, run__str(st, "name"),
				json_object_get(st, "metrics"));
	for (i = 0; i < x->t->ngates; i++) {
		const arca_template_gate *g = &x->t->gates[i];
		const char *why = NULL;
		int pass = 0;
		if ((rc = arca_template_gate_eval(&pass, &why, g, metrics,
			err)) < 0)
			break;
		json_array_append_new(results, json_pack("{s:s, s:b}", "gate",
			g->text, "pass", pass));
		if (!pass && why)
			json_object_set_new(json_array_get(results,
				json_array_size(results) - 1), "why",
				json_string(why));
		if (!pass && *all) {
			*all = 0;
			snprintf(first, sizeof(first), "gate '%s' failed%s%s",
				g->text, why ? ": " : "", why ? why : "");
		}
	}
	json_object_set_new(x->doc, "gates", results);
	if (!*all)
		json_object_set_new(x->doc, "message", json_string(first));
	json_decref(metrics);
	return rc;
}

int run__finish(run_ctx *x, arca_error *err)
{
	const char *approval = json_string_value(json_object_get(
		json_object_get(x->doc, "governance"), "approval"));
	int pass, rc;

	if ((rc = gates(x, &pass, err)) < 0)
		return rc;
	if (!pass) {
		json_object_set_new(x->doc, "status", json_string(RUN_GATED));
		run__event(x, "%s; no adapter published",
			run__str(x->doc, "message"));
		return run__journal(x, err);
	}
	if (approval && !strcmp(approval, "required") &&
		!json_array_size(json_object_get(x->doc, "approvals"))) {
		json_object_set_new(x->doc, "status", json_string(RUN_AWAITING));
		json_object_set_new(x->doc, "message", json_string("governance "
			"requires an approval before the adapter is published"));
		return run__journal(x, err);
	}
	json_object_del(x->doc, "message");
	if (x->t->adapter.name && (!json_object_get(x->doc, "parent") ||
		json_is_true(json_object_get(x->doc, "publish"))) &&
		(rc = run__adapter_publish(x, err)) < 0)
		return rc;
	json_object_set_new(x->doc, "status", json_string(RUN_SUCCEEDED));
	return run__journal(x, err);
}

int arca_run_approve(arca_run_result *res, arca_catalog *c, const char *run,
	const char *reason, const arca_run_opts *o, arca_error *err)
{
	run_ctx x;
	json_t *doc = NULL;
	arca_id id;
	const char *status;
	char user[128];
	int rc;

	memset(res, 0, sizeof(*res));
	if ((rc = arca_repo_signing_check(c->r, err)) < 0)
		return rc;
	if (!reason || !*reason || !arca_utf8_valid(reason, strlen(reason)))
		return arca_error_set(err, ARCA_EINVALID, "an approval needs a "
			"reason (--reason TEXT, UTF-8)");
	if ((rc = run__load(&x, c, run, o, err)) < 0)
		goto done;
	status = run__str(x.doc, "status");
	if (!status || strcmp(status, RUN_AWAITING)) {
		rc = arca_error_set(err, ARCA_EINVALID, "run %s is %s, not "
			"awaiting approval", run, status ? status : "unknown");
		goto done;
	}
	if ((rc = run__load_template(&x, err)) < 0)
		goto done;
	if (!(doc = arca_cat__record_base(ARCA_REC_APPROVAL))) {
		rc = arca_error_set(err, ARCA_ERROR, "out of memory");
		goto done;
	}
	json_object_set_new(doc, "run", arca_json_id(&x.run));
	json_object_set_new(doc, "state", arca_json_id(&x.last));
	json_object_set_new(doc, "reason", json_string(reason));
	if ((rc = arca_cat__record_put(c, &id, ARCA_REC_APPROVAL, doc,
		err)) < 0)
		goto done;
	arca_username(user, sizeof(user));
	arca_utf8_sanitize(user);
	json_array_append_new(json_object_get(x.doc, "approvals"), json_pack(
		"{s:o, s:s, s:O, s:s}", "record", arca_json_id(&id), "by", user,
		"time", json_object_get(doc, "time"), "reason", reason));
	json_object_set_new(x.doc, "status", json_string(RUN_RUNNING));
	if ((rc = run__finish(&x, err)) < 0)
		goto done;
	run__result(res, &x);
done:
	if (x.work) {
		arca_error e = ARCA_ERROR_INIT;
		arca_fs_rmtree(x.work, &e);
		res->work[0] = '\0';
	}
	json_decref(doc);
	run__ctx_dispose(&x);
	return rc;
}
