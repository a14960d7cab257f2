/* arca config get: print a key of the user's arca config. */
#include <stdlib.h>
#include <string.h>
#include "sign_out.h"

const arca_cli_spec cmd_config_get_spec = {
	"KEY",
	"Prints the value of KEY in the user's config\n"
	"(${XDG_CONFIG_HOME:-~/.config}/arca/config.json); exit code 1 when it\n"
	"is not set. The file's value: ARCA_SIGNING_KEY and ARCA_TRUST_POLICY\n"
	"are not consulted.",
	NULL, 0, 1, 1
};

int cmd_config_get(arca_cli *cli, void *optsp, int argc, char **argv)
{
	arca_error err = ARCA_ERROR_INIT;
	const char *v;
	json_t *cfg = NULL;
	int rc;

	(void)optsp;
	(void)argc;
	if (!cli_config_find(argv[0]))
		return cli_usage_error(cli, "unknown config key '%s' (known: "
			"signing.key, trust.policy)", argv[0]);
	if ((rc = cli_config_load(&cfg, &err)) < 0)
		return cli_fail(cli, rc, &err);
	if (!(v = cli_config_get(cfg, argv[0]))) {
		json_decref(cfg);
		arca_error_set(&err, ARCA_ENOTFOUND, "%s is not set", argv[0]);
		return cli_fail(cli, ARCA_ENOTFOUND, &err);
	}
	if (cli->json) {
		json_t *j = json_pack("{s:s, s:s}", "key", argv[0], "value", v);
		char *t = json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS);
		cli_json_print(t);
		free(t);
		json_decref(j);
	} else
		printf("%s\n", v);
	json_decref(cfg);
	return EXIT_OK;
}
