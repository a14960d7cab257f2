/* arca dataset diff: compare two versions: schema and drift */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <jansson.h>
#include "cli.h"

struct dataset_diff_opts {
	const char *policy;
};

static const arca_cli_opt opts[] = {
	{ "policy", 0, OPT_STRING, offsetof(struct dataset_diff_opts, policy),
	  "FILE", "the drift policy (default: $ARCA_DRIFT_POLICY, else built in)" },
	{ NULL, 0, 0, 0, NULL, NULL }
};

const arca_cli_spec cmd_dataset_diff_spec = {
	"[--policy FILE] NAME@A NAME@B",
	"Compares two versions of a dataset: schema changes (fields added,\n"
	"removed, type or constraint changed) and statistics drift (row count,\n"
	"null rates, mean shift in standard deviations of the older version,\n"
	"distinct counts, new or vanished categories), each with a severity\n"
	"from the drift policy (policies/drift.yaml).",
	opts, sizeof(struct dataset_diff_opts), 2, 2
};

static void value(json_t *v)
{
	char *s;

	if (!v)
		return;
	if (json_is_string(v)) { /* decimals are strings in the records */
		fputs(json_string_value(v), stdout);
		return;
	}
	s = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
	if (s)
		fputs(s, stdout);
	free(s);
}

static void show(json_t *j, void *payload)
{
	json_t *f;
	size_t i;

	(void)payload;
	printf("%s -> %s: drift %s%s\n", json_string_value(json_object_get(j,
		"from")), json_string_value(json_object_get(j, "to")),
		json_string_value(json_object_get(j, "severity")),
		json_is_true(json_object_get(j, "needs_ack")) ?
		" (needs acknowledgement)" : "");
	json_array_foreach(json_object_get(j, "findings"), i, f) {
		const char *field = json_string_value(json_object_get(f,
			"field"));
		printf("  %-5s %s", json_string_value(json_object_get(f,
			"severity")), json_string_value(json_object_get(f,
			"kind")));
		if (field)
			printf(" %s", field);
		if (json_object_get(f, "constraint"))
			printf(" %s", json_string_value(json_object_get(f,
				"constraint")));
		if (json_object_get(f, "values")) {
			fputs(": ", stdout);
			value(json_object_get(f, "values"));
		}
		if (json_object_get(f, "old") || json_object_get(f, "new")) {
			fputs(": ", stdout);
			if (json_object_get(f, "old"))
				value(json_object_get(f, "old"));
			else
				fputs("(none)", stdout);
			fputs(" -> ", stdout);
			if (json_object_get(f, "new"))
				value(json_object_get(f, "new"));
			else
				fputs("(none)", stdout);
		}
		if (json_object_get(f, "value")) {
			fputs(" (", stdout);
			value(json_object_get(f, "value"));
			fputs(")", stdout);
		}
		fputc('\n', stdout);
	}
}

int cmd_dataset_diff(arca_cli *cli, void *optsp, int argc, char **argv)
{
	struct dataset_diff_opts *o = optsp;
	arca_error err = ARCA_ERROR_INIT;
	char *text = NULL;
	int rc;

	(void)argc;
	rc = arca_catalog_diff_json(cli->catalog, argv[0], argv[1], o->policy,
		&text, &err);
	return cli_catalog_print(cli, rc, text, &err, show, NULL);
}
