/* arca config set: set a key of the user's arca config. */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include "sign_out.h"

const arca_cli_spec cmd_config_set_spec = {
	"KEY VALUE",
	"Sets KEY to VALUE in the user's config,\n"
	"${XDG_CONFIG_HOME:-~/.config}/arca/config.json (written whole: temp\n"
	"file, fsync, rename). Keys:\n"
	"  signing.key   fingerprint of a secret key in your GnuPG keyring that\n"
	"                signs what arca records (checked now; ARCA_SIGNING_KEY\n"
	"                wins over it)\n"
	"  trust.policy  a trust policy file for verify-sig and promotions\n"
	"                (checked now, stored as an absolute path)\n"
	"Other keys are refused.",
	NULL, 0, 2, 2
};

int cmd_config_set(arca_cli *cli, void *optsp, int argc, char **argv)
{
	arca_error err = ARCA_ERROR_INIT;
	const char *key = argv[0];
	char value[PATH_MAX];
	json_t *cfg = NULL;
	int rc;

	(void)optsp;
	(void)argc;
	if (!cli_config_find(key))
		return cli_usage_error(cli, "unknown config key '%s' (known: "
			"signing.key, trust.policy)", key);
	if (!strcmp(key, "signing.key")) {
		size_t n = 0;
		if ((rc = arca_signing_key_check(argv[1], &err)) < 0)
			return cli_fail(cli, rc, &err);
		for (const char *s = argv[1]; *s && n < sizeof(value) - 1; s++)
			if (*s != ' ')
				value[n++] = (char)toupper((unsigned char)*s);
		value[n] = '\0';
	} else {
		arca_trust_policy *p = NULL;
		if ((rc = arca_trust_policy_load_file(&p, argv[1], &err)) < 0)
			return cli_fail(cli, rc, &err);
		arca_trust_policy_free(p);
		if (!realpath(argv[1], value)) {
			arca_error_set_errno(&err, ARCA_ERROR, errno,
				"cannot resolve '%s'", argv[1]);
			return cli_fail(cli, ARCA_ERROR, &err);
		}
	}
	if ((rc = cli_config_load(&cfg, &err)) < 0)
		return cli_fail(cli, rc, &err);
	json_object_set_new(cfg, key, json_string(value));
	rc = cli_config_save(cfg, &err);
	json_decref(cfg);
	if (rc < 0)
		return cli_fail(cli, rc, &err);
	if (cli->json) {
		json_t *j = json_pack("{s:s, s:s}", "key", key, "value", value);
		char *t = json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS);
		cli_json_print(t);
		free(t);
		json_decref(j);
	} else if (!cli->quiet)
		printf("%s = %s\n", key, value);
	return EXIT_OK;
}
