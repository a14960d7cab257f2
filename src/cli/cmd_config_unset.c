/* arca config unset: remove a key from the user's arca config. */
#include <stdlib.h>
#include <string.h>
#include "sign_out.h"

const arca_cli_spec cmd_config_unset_spec = {
	"KEY",
	"Removes KEY from the user's config\n"
	"(${XDG_CONFIG_HOME:-~/.config}/arca/config.json). Removing a key that\n"
	"is not set changes nothing and succeeds.",
	NULL, 0, 1, 1
};

int cmd_config_unset(arca_cli *cli, void *optsp, int argc, char **argv)
{
	arca_error err = ARCA_ERROR_INIT;
	json_t *cfg = NULL;
	int rc = 0, had;

	(void)optsp;
	(void)argc;
	if (!cli_config_find(argv[0]))
		return cli_usage_error(cli, "unknown config key '%s' (known: "
			"signing.key, trust.policy)", argv[0]);
	if ((rc = cli_config_load(&cfg, &err)) < 0)
		return cli_fail(cli, rc, &err);
	had = json_object_get(cfg, argv[0]) != NULL;
	if (had && (json_object_del(cfg, argv[0]),
		(rc = cli_config_save(cfg, &err)) < 0)) {
		json_decref(cfg);
		return cli_fail(cli, rc, &err);
	}
	json_decref(cfg);
	if (cli->json) {
		json_t *j = json_pack("{s:s, s:b}", "key", argv[0], "removed",
			had);
		char *t = json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS);
		cli_json_print(t);
		free(t);
		json_decref(j);
	} else if (!cli->quiet)
		printf(had ? "removed %s\n" : "%s was not set\n", argv[0]);
	return EXIT_OK;
}
