/* arca cat: write an object's content to stdout (plumbing). */
#include <stdio.h>
#include <stdlib.h>
#include "cli.h"

const arca_cli_spec cmd_cat_spec = {
	"OBJECT",
	"Writes the content of OBJECT (an id \"sha256:<hex>\" or a unique\n"
	"prefix of at least 4 hex digits) to stdout, after checking it against\n"
	"its id. Snapshot records and trees are canonical JSON objects too.",
	NULL, 0, 1, 1
};

int cmd_cat(arca_cli *cli, void *optsp, int argc, char **argv)
{
	arca_error err = ARCA_ERROR_INIT;
	unsigned char *data = NULL;
	size_t len = 0;
	arca_id id;
	int rc;

	(void)optsp;
	(void)argc;
	if ((rc = arca_repo_object_resolve(&id, cli->repo, argv[0], &err)) < 0 ||
		(rc = arca_repo_object_read(cli->repo, &data, &len, &id,
			&err)) < 0)
		return cli_fail(cli, rc, &err);
	if (fwrite(data, 1, len, stdout) != len || fflush(stdout) != 0) {
		free(data);
		arca_error_set(&err, ARCA_ERROR, "cannot write to stdout");
		return cli_fail(cli, ARCA_ERROR, &err);
	}
	free(data);
	return EXIT_OK;
}
