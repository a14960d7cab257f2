/* arca dataset show: show a dataset */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <jansson.h>
#include "cli.h"

struct dataset_show_opts {
	int unused;
};

static const arca_cli_opt opts[] = {
	{ NULL, 0, 0, 0, NULL, NULL }
};

const arca_cli_spec cmd_dataset_show_spec = {
	"NAME",
	"Shows dataset NAME: description, owner, the schema in force with its\n"
	"fields, the schema versions, the tags and the latest version.",
	opts, sizeof(struct dataset_show_opts), 1, 1
};

static const char *str(json_t *o, const char *k)
{
	const char *s = json_string_value(json_object_get(o, k));

	return s ? s : "";
}

static void show(json_t *j, void *payload)
{
	json_t *schema = json_object_get(j, "schema"), *f, *l;
	size_t i;

	(void)payload;
	printf("dataset      %s\n", str(j, "name"));
	printf("description  %s\n", str(j, "description"));
	printf("owner        %s\n", str(j, "owner"));
	printf("created      %s by %s\n", str(j, "created"),
		str(j, "created_by"));
	printf("format       %s (schema version %lld)\n", str(j, "format"),
		(long long)json_integer_value(json_object_get(j,
			"schema_version")));
	l = json_object_get(j, "latest");
	if (json_is_integer(l))
		printf("versions     %lld (latest %s@%lld)\n",
			(long long)json_integer_value(json_object_get(j,
				"versions")), str(j, "name"),
			(long long)json_integer_value(l));
	else
		printf("versions     none yet\n");
	json_array_foreach(json_object_get(j, "schemas"), i, f)
		printf("schema %-5lld %s by %s%s%s\n", (long long)json_integer_value(
			json_object_get(f, "version")), str(f, "created"),
			str(f, "created_by"), *str(f, "message") ? ": " : "",
			str(f, "message"));
	json_array_foreach(json_object_get(j, "tags"), i, f)
		printf("tag          %s -> %s@%lld\n", str(f, "tag"),
			str(j, "name"), (long long)json_integer_value(
				json_object_get(f, "version")));
	if (json_array_size(json_object_get(schema, "fields")))
		printf("fields\n");
	json_array_foreach(json_object_get(schema, "fields"), i, f) {
		printf("  %-24s %-9s%s%s%s\n", str(f, "name"), str(f, "type"),
			json_is_true(json_object_get(f, "required")) ?
			" required" : "",
			json_is_true(json_object_get(f, "nullable")) ?
			" nullable" : "",
			json_is_true(json_object_get(f, "pii")) ? " pii" : "");
	}
}

int cmd_dataset_show(arca_cli *cli, void *optsp, int argc, char **argv)
{
	struct dataset_show_opts *o = optsp;
	arca_error err = ARCA_ERROR_INIT;
	char *text = NULL;
	int rc = arca_catalog_dataset_json(cli->catalog, argv[0], &text, &err);

	(void)o;
	(void)argc;
	return cli_catalog_print(cli, rc, text, &err, show, NULL);
}
