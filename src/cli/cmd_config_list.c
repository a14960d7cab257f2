/* arca config list: the user's arca config. */
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include "sign_out.h"

const arca_cli_spec cmd_config_list_spec = {
	"",
	"Prints every key set in the user's config\n"
	"(${XDG_CONFIG_HOME:-~/.config}/arca/config.json) as KEY = VALUE, and\n"
	"which environment variables override it now. With --json, the\n"
	"file's object, plus \"file\" and \"overridden\".",
	NULL, 0, 0, 0
};

int cmd_config_list(arca_cli *cli, void *optsp, int argc, char **argv)
{
	static const char *const env[][2] = {
		{ "signing.key", "ARCA_SIGNING_KEY" },
		{ "trust.policy", "ARCA_TRUST_POLICY" } };
	arca_error err = ARCA_ERROR_INIT;
	char path[PATH_MAX] = "";
	const char *k;
	json_t *cfg = NULL, *v, *over = json_object();
	int rc;

	(void)optsp;
	(void)argc;
	(void)argv;
	if ((rc = cli_config_load(&cfg, &err)) < 0) {
		json_decref(over);
		return cli_fail(cli, rc, &err);
	}
	cli_config_path(path, sizeof(path));
	for (size_t i = 0; i < 2; i++)
		if (getenv(env[i][1]))
			json_object_set_new(over, env[i][0],
				json_string(env[i][1]));
	if (cli->json) {
		json_t *j = json_pack("{s:s, s:O, s:O}", "file", path, "config",
			cfg, "overridden", over);
		char *t = json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS);
		cli_json_print(t);
		free(t);
		json_decref(j);
	} else {
		json_object_foreach(cfg, k, v) {
			const char *by = json_string_value(json_object_get(over,
				k));
			printf("%s = %s", k, json_string_value(v));
			if (by)
				printf("  (overridden by %s)", by);
			putchar('\n');
		}
		json_object_foreach(over, k, v)
			if (!json_object_get(cfg, k))
				printf("# %s is set by %s\n", k,
					json_string_value(v));
	}
	json_decref(cfg);
	json_decref(over);
	return EXIT_OK;
}
