/* arca dataset resolve: resolve a dataset reference for use */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <jansson.h>
#include "cli.h"

struct dataset_resolve_opts {
	int unused;
};

static const arca_cli_opt opts[] = {
	{ NULL, 0, 0, 0, NULL, NULL }
};

const arca_cli_spec cmd_dataset_resolve_spec = {
	"NAME[@latest|@N|@TAG|@sha256:ID]",
	"Resolves a dataset reference to its exact version and snapshot, the\n"
	"way a run does: a version whose drift needs an acknowledgement it does\n"
	"not have is refused (exit 6) with the drift summary.",
	opts, sizeof(struct dataset_resolve_opts), 1, 1
};

int cmd_dataset_resolve(arca_cli *cli, void *optsp, int argc, char **argv)
{
	struct dataset_resolve_opts *o = optsp;
	arca_error err = ARCA_ERROR_INIT;
	arca_dataset_version v;
	int rc;

	(void)o;
	(void)argc;
	if ((rc = arca_dataset_resolve(cli->catalog, &v, argv[0], 1,
		&err)) < 0)
		return cli_fail(cli, rc, &err);
	if (cli->json) {
		cli_version_json(&v, 0);
		return EXIT_OK;
	}
	cli_version_line(&v);
	return EXIT_OK;
}
