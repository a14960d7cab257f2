/* arca template validate: check a retraining template, every problem. */
#include <stdio.h>
#include <stdlib.h>
#include <jansson.h>
#include "cli.h"
#include "arca/template.h"

const arca_cli_spec cmd_template_validate_spec = {
	"FILE",
	"Checks the retraining template FILE (formats/template.md) without\n"
	"running it: the YAML, every member and its type, parameter defaults\n"
	"against their own rules, stage dependencies, outputs, placeholders\n"
	"in run, gates and the adapter. Every problem is reported as\n"
	"FILE:LINE:COLUMN: message, not only the first. Needs no repository.",
	NULL, 0, 1, 1
};

/* Problems go to stderr as they come, or into a JSON list. */
static void diag(const char *file, int line, int col, const char *msg,
	void *payload)
{
	json_t *list = payload;

	if (list)
		json_array_append_new(list, json_pack("{s:s, s:i, s:i, s:s}",
			"file", file, "line", line, "column", col, "message",
			msg));
	else
		fprintf(stderr, "%s:%d:%d: %s\n", file, line, col, msg);
}

int cmd_template_validate(arca_cli *cli, void *opts, int argc, char **argv)
{
	arca_error err = ARCA_ERROR_INIT;
	arca_template *t = NULL;
	json_t *list = cli->json ? json_array() : NULL, *j;
	char *text;
	int rc;

	(void)opts;
	(void)argc;
	rc = arca_template_load(&t, argv[0], diag, list, &err);
	if (rc < 0 && (!list || !json_array_size(list))) {
		json_decref(list);
		return cli_fail(cli, rc, &err); /* unreadable, not invalid */
	}
	if (cli->json) {
		j = json_pack("{s:s, s:b, s:o}", "file", argv[0], "valid",
			rc == 0, "diagnostics", list);
		if (t) {
			json_object_set_new(j, "name", json_string(t->name));
			json_object_set_new(j, "version",
				json_string(t->version));
			json_object_set_new(j, "parameters",
				json_integer((json_int_t)t->nparams));
			json_object_set_new(j, "stages",
				json_integer((json_int_t)t->nstages));
		}
		text = json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS);
		cli_json_print(text);
		free(text);
		json_decref(j);
	} else if (rc < 0) {
		fprintf(stderr, "arca: error: %s\n", err.msg);
	} else if (!cli->quiet) {
		printf("%s: valid template %s %s (%zu parameter%s, %zu "
			"stage%s)\n", argv[0], t->name, t->version, t->nparams,
			t->nparams == 1 ? "" : "s", t->nstages,
			t->nstages == 1 ? "" : "s");
	}
	arca_template_free(t);
	return rc < 0 ? EXIT_FAILURE_ : EXIT_OK;
}
