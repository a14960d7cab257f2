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
	arca_error err = ARCA_ERROR_INIT;
	int rc, skipped;

	(void)optsp;
	(void)argc;
	(void)argv;
	/* Not opened by the dispatcher: the database may be damaged. */
	if ((rc = arca_catalog_recreate(&cli->catalog, cli->repo, NULL,
		&err)) < 0)
		return cli_fail(cli, rc, &err);
	skipped = arca_catalog_skipped(cli->catalog);
	if (skipped)
		cli_warn(cli, "%d records could not be read and are left out: "
			"run 'arca verify'", skipped);
	if (cli->json)
		printf("{\"rebuilt\":true,\"skipped\":%d}\n", skipped);
	else if (!cli->quiet)
		printf("catalog rebuilt from the repository\n");
	return EXIT_OK;
}
