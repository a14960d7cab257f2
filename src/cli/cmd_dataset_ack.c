/* arca dataset ack: acknowledge the drift of a version */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <jansson.h>
#include "cli.h"

struct dataset_ack_opts {
	const char *reason;
};

static const arca_cli_opt opts[] = {
	{ "reason", 0, OPT_STRING, offsetof(struct dataset_ack_opts, reason),
	  "TEXT", "why the drift is acceptable (required)" },
	{ NULL, 0, 0, 0, NULL, NULL }
};

const arca_cli_spec cmd_dataset_ack_spec = {
	"--reason TEXT NAME@VERSION",
	"Records that you reviewed the drift of a version that needs an\n"
	"acknowledgement, and why it is acceptable: who, when and the reason\n"
	"become part of the lineage of every run that uses the version. Until\n"
	"then, resolving the version for use fails (exit 6).",
	opts, sizeof(struct dataset_ack_opts), 1, 1
};

int cmd_dataset_ack(arca_cli *cli, void *optsp, int argc, char **argv)
{
	struct dataset_ack_opts *o = optsp;
	arca_error err = ARCA_ERROR_INIT;
	int rc;

	(void)argc;
	if (!o->reason)
		return cli_usage_error(cli, "dataset ack needs --reason TEXT");
	if ((rc = arca_dataset_ack(cli->catalog, argv[0], o->reason,
		&err)) < 0)
		return cli_fail(cli, rc, &err);
	if (cli->json) {
		arca_dataset_version v;
		if ((rc = arca_dataset_resolve(cli->catalog, &v, argv[0], 0,
			&err)) < 0)
			return cli_fail(cli, rc, &err);
		cli_version_json(&v, 1);
		return EXIT_OK;
	}
	if (!cli->quiet)
		printf("acknowledged %s\n", argv[0]);
	return EXIT_OK;
}
