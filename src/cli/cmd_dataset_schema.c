/* arca dataset schema: record a new schema version */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <jansson.h>
#include "cli.h"

struct dataset_schema_opts {
	const char *schema, *message;
};

static const arca_cli_opt opts[] = {
	{ "schema", 's', OPT_STRING, offsetof(struct dataset_schema_opts, schema),
	  "FILE", "the new schema (YAML)" },
	{ "message", 'm', OPT_STRING, offsetof(struct dataset_schema_opts, message),
	  "TEXT", "why the schema changed" },
	{ NULL, 0, 0, 0, NULL, NULL }
};

const arca_cli_spec cmd_dataset_schema_spec = {
	"--schema FILE [-m TEXT] NAME",
	"Records FILE as the next schema version of dataset NAME. Versions added\n"
	"from now on are validated against it; earlier versions keep the schema\n"
	"they were recorded with. dataset diff reports the schema changes.",
	opts, sizeof(struct dataset_schema_opts), 1, 1
};

int cmd_dataset_schema(arca_cli *cli, void *optsp, int argc, char **argv)
{
	struct dataset_schema_opts *o = optsp;
	arca_error err = ARCA_ERROR_INIT;
	int rc;

	(void)argc;
	if (!o->schema)
		return cli_usage_error(cli, "dataset schema needs --schema FILE");
	if ((rc = arca_dataset_set_schema(cli->catalog, argv[0], o->schema,
		o->message, &err)) < 0)
		return cli_fail(cli, rc, &err);
	if (cli->json) {
		char *text = NULL;
		rc = arca_catalog_dataset_json(cli->catalog, argv[0], &text, &err);
		return cli_catalog_print(cli, rc, text, &err, NULL, NULL);
	}
	if (!cli->quiet)
		printf("recorded a new schema for '%s'\n", argv[0]);
	return EXIT_OK;
}
