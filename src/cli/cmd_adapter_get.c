/* arca adapter get: write an adapter version's package to a file */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include "cli.h"

struct adapter_get_opts {
	const char *output;
};

static const arca_cli_opt opts[] = {
	{ "output", 'o', OPT_STRING, offsetof(struct adapter_get_opts,
	  output), "FILE", "where to write the package (required)" },
	{ NULL, 0, 0, 0, NULL, NULL }
};

const arca_cli_spec cmd_adapter_get_spec = {
	"-o FILE NAME@VERSION",
	"Writes the package of an adapter version (a tar.zst holding\n"
	"ADAPTER.json and files/...) to FILE, checked against its id. An\n"
	"existing FILE is replaced atomically.",
	opts, sizeof(struct adapter_get_opts), 1, 1
};

int cmd_adapter_get(arca_cli *cli, void *optsp, int argc, char **argv)
{
	struct adapter_get_opts *o = optsp;
	arca_error err = ARCA_ERROR_INIT;
	int rc;

	(void)argc;
	if (!o->output)
		return cli_usage_error(cli, "adapter get needs -o FILE");
	if ((rc = arca_adapter_get(cli->catalog, argv[0], o->output, &err)) < 0)
		return cli_fail(cli, rc, &err);
	if (cli->json) {
		json_t *j = json_object();
		char *t;
		cli_json_set_name(j, "adapter", argv[0]);
		cli_json_set_name(j, "file", o->output);
		t = json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS);
		cli_json_print(t);
		free(t);
		json_decref(j);
	} else if (!cli->quiet)
		printf("wrote %s to %s\n", argv[0], o->output);
	return EXIT_OK;
}
