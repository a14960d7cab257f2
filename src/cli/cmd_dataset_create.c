/* arca dataset create: create a schema-first dataset */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <jansson.h>
#include "cli.h"

struct dataset_create_opts {
	const char *schema, *description, *owner;
};

static const arca_cli_opt opts[] = {
	{ "schema", 's', OPT_STRING, offsetof(struct dataset_create_opts, schema),
	  "FILE", "the dataset schema (YAML, formats/dataset-schema.md)" },
	{ "description", 0, OPT_STRING, offsetof(struct dataset_create_opts, description),
	  "TEXT", "what the dataset holds" },
	{ "owner", 0, OPT_STRING, offsetof(struct dataset_create_opts, owner),
	  "NAME", "who answers for it (default: your user name)" },
	{ NULL, 0, 0, 0, NULL, NULL }
};

const arca_cli_spec cmd_dataset_create_spec = {
	"--schema FILE [--description TEXT] [--owner NAME] NAME",
	"Creates the dataset NAME with the schema in FILE. A dataset has a schema\n"
	"before it has data: every version added later is validated against it.\n"
	"The schema is checked first (errors name file:line:column); nothing is\n"
	"recorded when it is invalid or when NAME exists.",
	opts, sizeof(struct dataset_create_opts), 1, 1
};

int cmd_dataset_create(arca_cli *cli, void *optsp, int argc, char **argv)
{
	struct dataset_create_opts *o = optsp;
	arca_error err = ARCA_ERROR_INIT;
	arca_dataset_create_opts co = { o->description, o->owner };
	char *text = NULL;
	int rc;

	(void)argc;
	if (!o->schema)
		return cli_usage_error(cli, "dataset create needs --schema FILE");
	if ((rc = arca_dataset_create(cli->catalog, argv[0], o->schema, &co,
		&err)) < 0)
		return cli_fail(cli, rc, &err);
	if (cli->json) {
		rc = arca_catalog_dataset_json(cli->catalog, argv[0], &text, &err);
		return cli_catalog_print(cli, rc, text, &err, NULL, NULL);
	}
	if (!cli->quiet)
		printf("created dataset '%s'\n", argv[0]);
	return EXIT_OK;
}
