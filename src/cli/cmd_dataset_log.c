/* arca dataset log: show the history of a dataset */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <jansson.h>
#include "cli.h"

struct dataset_log_opts {
	int unused;
};

static const arca_cli_opt opts[] = {
	{ NULL, 0, 0, 0, NULL, NULL }
};

const arca_cli_spec cmd_dataset_log_spec = {
	"NAME",
	"Shows every event of dataset NAME, oldest first: its creation, schema\n"
	"versions, versions, tag moves and drift acknowledgements, with time,\n"
	"user and reason.",
	opts, sizeof(struct dataset_log_opts), 1, 1
};

static const char *str(json_t *o, const char *k)
{
	const char *s = json_string_value(json_object_get(o, k));

	return s ? s : "";
}

static long long num(json_t *o, const char *k)
{
	return (long long)json_integer_value(json_object_get(o, k));
}

static void show(json_t *j, void *payload)
{
	const char *name = payload;
	json_t *e;
	size_t i;

	json_array_foreach(j, i, e) {
		const char *ev = str(e, "event");
		printf("%s  %-10s ", str(e, "time"), str(e, "user"));
		if (!strcmp(ev, "created"))
			printf("created %s", name);
		else if (!strcmp(ev, "schema"))
			printf("schema version %lld", num(e, "schema_version"));
		else if (!strcmp(ev, "version"))
			printf("added %s@%lld (%lld rows, drift %s%s)", name,
				num(e, "version"), num(e, "rows"),
				str(e, "severity"),
				json_is_true(json_object_get(e, "needs_ack")) ?
				", needs acknowledgement" : "");
		else if (!strcmp(ev, "tag"))
			printf("tagged %s@%lld as %s", name, num(e, "version"),
				str(e, "tag"));
		else
			printf("acknowledged %s@%lld: %s", name,
				num(e, "version"), str(e, "reason"));
		if (*str(e, "message"))
			printf(": %s", str(e, "message"));
		fputc('\n', stdout);
	}
}

int cmd_dataset_log(arca_cli *cli, void *optsp, int argc, char **argv)
{
	struct dataset_log_opts *o = optsp;
	arca_error err = ARCA_ERROR_INIT;
	char *text = NULL;
	int rc = arca_catalog_log_json(cli->catalog, argv[0], &text, &err);

	(void)o;
	(void)argc;
	return cli_catalog_print(cli, rc, text, &err, show, (void *)argv[0]);
}
