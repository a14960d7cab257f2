/* arca dataset tag: tag a version */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <jansson.h>
#include "cli.h"

struct dataset_tag_opts {
	const char *message;
};

static const arca_cli_opt opts[] = {
	{ "message", 'm', OPT_STRING, offsetof(struct dataset_tag_opts, message),
	  "TEXT", "why the tag moves" },
	{ NULL, 0, 0, 0, NULL, NULL }
};

const arca_cli_spec cmd_dataset_tag_spec = {
	"[-m TEXT] NAME@VERSION TAG",
	"Points TAG (e.g. gold) at a version, moving it if it exists; NAME@TAG\n"
	"then resolves to that version. Every move is recorded with time and\n"
	"user (dataset log); versions themselves never change.",
	opts, sizeof(struct dataset_tag_opts), 2, 2
};

int cmd_dataset_tag(arca_cli *cli, void *optsp, int argc, char **argv)
{
	struct dataset_tag_opts *o = optsp;
	arca_error err = ARCA_ERROR_INIT;
	int rc;

	(void)argc;
	if ((rc = arca_dataset_tag(cli->catalog, argv[0], argv[1], o->message,
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
		printf("tagged %s as %s\n", argv[0], argv[1]);
	return EXIT_OK;
}
