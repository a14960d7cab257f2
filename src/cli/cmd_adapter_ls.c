/* arca adapter ls: list adapter versions */
#include <stddef.h>
#include <stdio.h>
#include "cli.h"

struct adapter_ls_opts {
	int unused;
};

static const arca_cli_opt opts[] = {
	{ NULL, 0, 0, 0, NULL, NULL }
};

const arca_cli_spec cmd_adapter_ls_spec = {
	"[NAME]",
	"Lists published adapter versions (of NAME, or all), newest first,\n"
	"with the run and template that made each.",
	opts, sizeof(struct adapter_ls_opts), 0, 1
};

static const char *str(json_t *o, const char *k)
{
	const char *s = json_string_value(json_object_get(o, k));

	return s ? s : "";
}

static void show(json_t *j, void *payload)
{
	json_t *a;
	size_t i;

	(void)payload;
	if (!json_array_size(j))
		printf("no adapters\n");
	json_array_foreach(j, i, a)
		printf("%s@%-10s %.19s  run %.12s (%s)  package %.19s\n",
			str(a, "name"), str(a, "version"), str(a, "created"),
			*str(a, "run") ? str(a, "run") + 7 : "?",
			str(a, "template"), str(a, "package"));
}

int cmd_adapter_ls(arca_cli *cli, void *optsp, int argc, char **argv)
{
	arca_error err = ARCA_ERROR_INIT;
	char *text = NULL;
	int rc = arca_adapters_json(&text, cli->catalog, argc ? argv[0] : NULL,
		&err);

	(void)optsp;
	return cli_catalog_print(cli, rc, text, &err, show, NULL);
}
