/* arca catalog rebuild: recreate the catalog from the repository */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <jansson.h>
#include "cli.h"

struct catalog_rebuild_opts {
	int unused;
};

static const arca_cli_opt opts[] = {
	{ NULL, 0, 0, 0, NULL, NULL }
};

const arca_cli_spec cmd_catalog_rebuild_spec = {
	"",
	"Drops every table of the catalog database and imports the\n"
	"repository's records again. The catalog is an index: this is always\n"
	"safe, and needed only if the database file was lost or damaged.",
	opts, sizeof(struct catalog_rebuild_opts), 0, 0
};

int cmd_catalog_rebuild(arca_cli *cli, void *optsp, int argc, char **argv)
{
	struct catalog_rebuild_opts *o = optsp;
	arca_error err = ARCA_ERROR_INIT;
	int rc;

	(void)o;
	(void)argc;
	(void)argv;
	if ((rc = arca_catalog_rebuild(cli->catalog, &err)) < 0)
		return cli_fail(cli, rc, &err);
	if (!cli->quiet && !cli->json)
		printf("catalog rebuilt from the repository\n");
	return EXIT_OK;
}
