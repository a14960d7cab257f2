/* arca remote rm: forget a remote (nothing on it is touched). */
#include "remote_out.h"

const arca_cli_spec cmd_remote_rm_spec = {
	"NAME",
	"Removes remote NAME from this repository's remotes. Only the name\n"
	"is forgotten: nothing at the remote's URL is touched. Exit 1 when\n"
	"there is no remote NAME.",
	NULL, 0, 1, 1
};

int cmd_remote_rm(arca_cli *cli, void *optsp, int argc, char **argv)
{
	arca_error err = ARCA_ERROR_INIT;
	int rc;

	(void)optsp;
	(void)argc;
	if ((rc = arca_remote_remove(cli->repo, argv[0], &err)) < 0)
		return cli_fail(cli, rc, &err);
	if (cli->json)
		printf("{\"removed\":true}\n");
	else if (!cli->quiet)
		printf("removed remote '%s'\n", argv[0]);
	return EXIT_OK;
}
