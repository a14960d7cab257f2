/* arca runs ls: list runs */
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include "cli.h"

struct runs_ls_opts {
	int unused;
};

static const arca_cli_opt opts[] = {
	{ NULL, 0, 0, 0, NULL, NULL }
};

const arca_cli_spec cmd_runs_ls_spec = {
	"",
	"Lists the runs of the repository, newest first: id, status,\n"
	"template, when, the dataset versions used and the adapter published.",
	opts, sizeof(struct runs_ls_opts), 0, 0
};

static const char *str(json_t *o, const char *k)
{
	const char *s = json_string_value(json_object_get(o, k));

	return s ? s : "";
}

static void show(json_t *j, void *payload)
{
	json_t *r, *in;
	size_t i, k;

	(void)payload;
	if (!json_array_size(j))
		printf("no runs\n");
	json_array_foreach(j, i, r) {
		printf("%.12s  %-17s %s %s  %.19s", str(r, "run") + 7,
			str(r, "status"), str(r, "template"),
			str(r, "template_version"), str(r, "created"));
		json_array_foreach(json_object_get(r, "inputs"), k, in)
			printf("  %s", str(in, "version"));
		if (*str(r, "adapter"))
			printf("  -> %s", str(r, "adapter"));
		if (*str(r, "parent"))
			printf("  (re-run of %.12s)", str(r, "parent") + 7);
		printf("\n");
	}
}

int cmd_runs_ls(arca_cli *cli, void *optsp, int argc, char **argv)
{
	arca_error err = ARCA_ERROR_INIT;
	char *text = NULL;
	int rc = arca_runs_json(&text, cli->catalog, &err);

	(void)optsp;
	(void)argc;
	(void)argv;
	return cli_catalog_print(cli, rc, text, &err, show, NULL);
}
