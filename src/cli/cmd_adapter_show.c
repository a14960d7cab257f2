/* arca adapter show: one adapter version and where it came from */
#include <stddef.h>
#include <stdio.h>
#include "cli.h"

struct adapter_show_opts {
	int unused;
};

static const arca_cli_opt opts[] = {
	{ NULL, 0, 0, 0, NULL, NULL }
};

const arca_cli_spec cmd_adapter_show_spec = {
	"NAME@VERSION",
	"Shows an adapter version: its package, the run that made it, the\n"
	"dataset versions and parameters it was trained with, its metrics,\n"
	"gates and files (the adapter manifest, also inside the package as\n"
	"ADAPTER.json).",
	opts, sizeof(struct adapter_show_opts), 1, 1
};

static const char *str(json_t *o, const char *k)
{
	const char *s = json_string_value(json_object_get(o, k));

	return s ? s : "";
}

static void show(json_t *j, void *payload)
{
	json_t *m = json_object_get(j, "adapter_manifest"), *v, *st;
	const char *k, *kk;
	size_t i;

	(void)payload;
	printf("adapter      %s@%s\n", str(j, "name"), str(j,
		"adapter_version"));
	printf("created      %s by %s@%s\n", str(j, "time"), str(j, "username"),
		str(j, "hostname"));
	printf("run          %s\n", str(j, "run"));
	printf("package      %s (%lld bytes)\n", str(j, "package"),
		(long long)json_integer_value(json_object_get(j,
			"package_bytes")));
	printf("record       %s\n", str(j, "record"));
	json_array_foreach(json_object_get(m, "inputs"), i, v)
		printf("input        %s %s (snapshot %.19s)\n", str(v, "name"),
			str(v, "version"), str(v, "snapshot"));
	json_object_foreach(json_object_get(m, "metrics"), k, st)
		json_object_foreach(st, kk, v) {
			printf("metric       %s.%s = ", k, kk);
			cli_value_print(stdout, v);
			printf("\n");
		}
	json_array_foreach(json_object_get(m, "gates"), i, v)
		printf("gate         %s: %s\n", str(v, "gate"),
			json_is_true(json_object_get(v, "pass")) ? "pass" : "FAIL");
	json_array_foreach(json_object_get(m, "files"), i, v)
		printf("file         %s %lld sha256:%s\n", str(v, "path"),
			(long long)json_integer_value(json_object_get(v, "size")),
			str(v, "sha256"));
}

int cmd_adapter_show(arca_cli *cli, void *optsp, int argc, char **argv)
{
	arca_error err = ARCA_ERROR_INIT;
	char *text = NULL;
	int rc = arca_adapter_json(&text, cli->catalog, argv[0], &err);

	(void)optsp;
	(void)argc;
	return cli_catalog_print(cli, rc, text, &err, show, NULL);
}
