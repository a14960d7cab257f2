/* arca dataset versions: list the versions of a dataset */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <jansson.h>
#include "cli.h"

struct dataset_versions_opts {
	int unused;
};

static const arca_cli_opt opts[] = {
	{ NULL, 0, 0, 0, NULL, NULL }
};

const arca_cli_spec cmd_dataset_versions_spec = {
	"NAME",
	"Lists the versions of dataset NAME, oldest first: number, time, rows,\n"
	"drift severity against the version before, whether it needs or has an\n"
	"acknowledgement, tags and message.",
	opts, sizeof(struct dataset_versions_opts), 1, 1
};

static void show(json_t *j, void *payload)
{
	json_t *v, *t;
	size_t i, k;

	(void)payload;
	if (json_array_size(j))
		printf("%-7s %-20s %10s %-8s %-8s %s\n", "VERSION", "CREATED",
			"ROWS", "DRIFT", "ACK", "TAGS / MESSAGE");
	json_array_foreach(j, i, v) {
		const char *msg = json_string_value(json_object_get(v,
			"message"));
		char when[20];
		snprintf(when, sizeof(when), "%s", json_string_value(
			json_object_get(v, "created")));
		printf("%-7lld %-20s %10lld %-8s %s",
			(long long)json_integer_value(json_object_get(v,
				"version")), when,
			(long long)json_integer_value(json_object_get(v, "rows")),
			json_string_value(json_object_get(v, "severity")),
			!json_is_true(json_object_get(v, "needs_ack")) ? "-" :
			json_is_true(json_object_get(v, "acked")) ? "acked" :
			"NEEDED");
		if (json_array_size(json_object_get(v, "tags")) || msg)
			printf("%*s", 8 - (int)strlen(!json_is_true(json_object_get(v,
				"needs_ack")) ? "-" : json_is_true(json_object_get(v,
				"acked")) ? "acked" : "NEEDED"), "");
		json_array_foreach(json_object_get(v, "tags"), k, t)
			printf(" [%s]", json_string_value(t));
		if (msg) {
			fputc(' ', stdout);
			cli_quote(stdout, msg, 0);
		}
		fputc('\n', stdout);
	}
}

int cmd_dataset_versions(arca_cli *cli, void *optsp, int argc, char **argv)
{
	struct dataset_versions_opts *o = optsp;
	arca_error err = ARCA_ERROR_INIT;
	char *text = NULL;
	int rc = arca_catalog_versions_json(cli->catalog, argv[0], &text,
		&err);

	(void)o;
	(void)argc;
	return cli_catalog_print(cli, rc, text, &err, show, NULL);
}
