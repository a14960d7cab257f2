/* arca dataset ls: list datasets */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <jansson.h>
#include "cli.h"

struct dataset_ls_opts {
	int unused;
};

static const arca_cli_opt opts[] = {
	{ NULL, 0, 0, 0, NULL, NULL }
};

const arca_cli_spec cmd_dataset_ls_spec = {
	"",
	"Lists the datasets of the catalog: name, format, number of versions,\n"
	"latest version, owner and description.",
	opts, sizeof(struct dataset_ls_opts), 0, 0
};

static void show(json_t *j, void *payload)
{
	size_t i;
	json_t *d;

	(void)payload;
	if (json_array_size(j))
		printf("%-24s %-6s %8s %7s  %-12s %s\n", "NAME", "FORMAT",
			"VERSIONS", "LATEST", "OWNER", "DESCRIPTION");
	json_array_foreach(j, i, d) {
		json_t *l = json_object_get(d, "latest");
		char latest[32] = "-";
		if (json_is_integer(l))
			snprintf(latest, sizeof(latest), "%lld",
				(long long)json_integer_value(l));
		printf("%-24s %-6s %8lld %7s  %-12s %s\n",
			json_string_value(json_object_get(d, "name")),
			json_string_value(json_object_get(d, "format")),
			(long long)json_integer_value(json_object_get(d,
				"versions")), latest,
			json_string_value(json_object_get(d, "owner")) ?
			json_string_value(json_object_get(d, "owner")) : "",
			json_string_value(json_object_get(d, "description")) ?
			json_string_value(json_object_get(d, "description")) :
			"");
	}
}

int cmd_dataset_ls(arca_cli *cli, void *optsp, int argc, char **argv)
{
	struct dataset_ls_opts *o = optsp;
	arca_error err = ARCA_ERROR_INIT;
	char *text = NULL;
	int rc = arca_catalog_datasets_json(cli->catalog, &text, &err);

	(void)o;
	(void)argc;
	(void)argv;
	return cli_catalog_print(cli, rc, text, &err, show, NULL);
}
