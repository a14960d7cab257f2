/* arca adapter resolve: a channel's current version (plumbing). */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include "arca/channel.h"
#include "sign_out.h"

struct adapter_resolve_opts {
	const char *channel, *trust;
};

static const arca_cli_opt opts[] = {
	{ "channel", 0, OPT_STRING, offsetof(struct adapter_resolve_opts,
	  channel), "CHANNEL", "the channel (required)" },
	{ "trust", 0, OPT_STRING, offsetof(struct adapter_resolve_opts, trust),
	  "FILE", "trust policy: also check the history's signatures "
	  "(default: $ARCA_TRUST_POLICY, then config trust.policy, then "
	  "~/.config/arca/trust.yaml, if any)" },
	{ NULL, 0, 0, 0, NULL, NULL }
};

const arca_cli_spec cmd_adapter_resolve_spec = {
	"--channel CHANNEL [--trust FILE] NAME",
	"Prints the current version of CHANNEL and its package's object id,\n"
	"\"VERSION sha256:<hex>\", for deployment scripts (arca adapter get -o\n"
	"FILE NAME@VERSION, or arca cat ID, fetch the package). The channel's\n"
	"history is checked first (exit 3 when broken), and its signatures\n"
	"too when a trust policy is in force.",
	opts, sizeof(struct adapter_resolve_opts), 1, 1
};

int cmd_adapter_resolve(arca_cli *cli, void *optsp, int argc, char **argv)
{
	struct adapter_resolve_opts *o = optsp;
	arca_error err = ARCA_ERROR_INIT;
	arca_trust_policy *p = NULL;
	char *out = NULL;
	json_t *j;
	int rc, code;

	(void)argc;
	if (!o->channel)
		return cli_usage_error(cli, "adapter resolve needs --channel "
			"CHANNEL");
	if ((code = cli_trust_policy(cli, o->trust, 0, &p)) >= 0)
		return code;
	rc = arca_adapter_resolve(&out, cli->repo, argv[0], o->channel, p,
		&err);
	arca_trust_policy_free(p);
	if (rc < 0)
		return cli_fail(cli, rc, &err);
	if (cli->json)
		cli_json_print(out);
	else if ((j = json_loads(out, 0, NULL))) {
		printf("%s %s\n", json_string_value(json_object_get(j,
			"version")), json_string_value(json_object_get(j,
			"package")) ? json_string_value(json_object_get(j,
			"package")) : "-");
		json_decref(j);
	}
	free(out);
	return EXIT_OK;
}
