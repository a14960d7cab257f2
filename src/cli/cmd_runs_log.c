/* arca runs log: the captured output of a run's stages */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cli.h"

struct runs_log_opts {
	const char *stage;
	int stderr_only;
	int stdout_only;
};

static const arca_cli_opt opts[] = {
	{ "stage", 0, OPT_STRING, offsetof(struct runs_log_opts, stage),
	  "NAME", "only this stage" },
	{ "stderr", 0, OPT_FLAG, offsetof(struct runs_log_opts, stderr_only),
	  NULL, "only standard error" },
	{ "stdout", 0, OPT_FLAG, offsetof(struct runs_log_opts, stdout_only),
	  NULL, "only standard output" },
	{ NULL, 0, 0, 0, NULL, NULL }
};

const arca_cli_spec cmd_runs_log_spec = {
	"[--stage NAME] [--stdout|--stderr] RUN",
	"Prints what the stages of a run wrote to standard output and error,\n"
	"as archived after each stage (checked against its id). With --json:\n"
	"one object per stage and stream with the object id and the text.",
	opts, sizeof(struct runs_log_opts), 1, 1
};

static int print_log(arca_cli *cli, json_t *st, const char *stream,
	json_t *out)
{
	json_t *lg = json_object_get(st, stream);
	const char *obj = json_string_value(json_object_get(lg, "object"));
	arca_error err = ARCA_ERROR_INIT;
	unsigned char *data = NULL;
	size_t len;
	arca_id id;
	int rc;

	if (!obj)
		return -1;
	if (arca_id_parse(&id, obj) < 0 || (rc = arca_repo_object_read(
		cli->repo, &data, &len, &id, &err)) < 0) {
		if (!err.code)
			arca_error_set(&err, ARCA_ECORRUPT, "bad log object");
		return cli_fail(cli, err.code, &err);
	}
	if (out) {
		json_t *e = json_pack("{s:O, s:s, s:s}", "stage",
			json_object_get(st, "name"), "stream", stream, "object",
			obj);
		cli_json_set_name(e, "text", (const char *)data);
		json_array_append_new(out, e);
	} else {
		printf("== %s (%s)\n", json_string_value(json_object_get(st,
			"name")), stream);
		fwrite(data, 1, len, stdout);
		if (len && data[len - 1] != '\n')
			printf("\n");
	}
	free(data);
	return -1;
}

int cmd_runs_log(arca_cli *cli, void *optsp, int argc, char **argv)
{
	struct runs_log_opts *o = optsp;
	json_t *doc, *st, *out;
	arca_id run;
	size_t i;
	int rc, found = 0;

	(void)argc;
	if (o->stderr_only && o->stdout_only)
		return cli_usage_error(cli, "--stdout and --stderr exclude each "
			"other (give neither for both)");
	if ((rc = cli_run_state(cli, argv[0], &doc, &run)) >= 0)
		return rc;
	out = cli->json ? json_array() : NULL;
	rc = -1;
	json_array_foreach(json_object_get(doc, "stages"), i, st) {
		const char *name = json_string_value(json_object_get(st, "name"));
		if (o->stage && (!name || strcmp(name, o->stage)))
			continue;
		found = 1;
		if (rc < 0 && !o->stderr_only)
			rc = print_log(cli, st, "stdout", out);
		if (rc < 0 && !o->stdout_only)
			rc = print_log(cli, st, "stderr", out);
	}
	if (rc < 0 && o->stage && !found) {
		arca_error err = ARCA_ERROR_INIT;
		arca_error_set(&err, ARCA_ENOTFOUND, "run %s has no stage '%s'",
			argv[0], o->stage);
		rc = cli_fail(cli, err.code, &err);
	}
	if (rc < 0 && out) {
		char *t = json_dumps(out, JSON_COMPACT | JSON_SORT_KEYS);
		cli_json_print(t);
		free(t);
	}
	json_decref(out);
	json_decref(doc);
	return rc < 0 ? EXIT_OK : rc;
}
