/* arca adapter promote: make an adapter version a channel's current one. */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "arca/channel.h"
#include "sign_out.h"

struct adapter_promote_opts {
	const char *channel, *reason, *trust;
};

static const arca_cli_opt opts[] = {
	{ "channel", 0, OPT_STRING, offsetof(struct adapter_promote_opts,
	  channel), "CHANNEL", "the channel (required): a-z 0-9 . _ -" },
	{ "reason", 0, OPT_STRING, offsetof(struct adapter_promote_opts,
	  reason), "TEXT", "why, kept in the channel's history" },
	{ "trust", 0, OPT_STRING, offsetof(struct adapter_promote_opts, trust),
	  "FILE", "trust policy (default: $ARCA_TRUST_POLICY, then config "
	  "trust.policy, then ~/.config/arca/trust.yaml)" },
	{ NULL, 0, 0, 0, NULL, NULL }
};

const arca_cli_spec cmd_adapter_promote_spec = {
	"--channel CHANNEL [--reason TEXT] [--trust FILE] NAME@VERSION",
	"Makes NAME@VERSION the current version of CHANNEL, as a new signed\n"
	"entry of the channel's history. Refused (exit 6) unless the run that\n"
	"made the adapter succeeded with every gate passed and, with a trust\n"
	"policy in force, its record, package and manifest carry the\n"
	"signatures the policy's rule for CHANNEL asks for; with a policy the\n"
	"change itself must be signed by a key allowed to sign\n"
	"channel:CHANNEL. A broken history is refused (exit 3).",
	opts, sizeof(struct adapter_promote_opts), 1, 1
};

static int change_print(arca_cli *cli, const char *text)
{
	json_t *j;

	if (cli->json) {
		cli_json_print(text);
		return EXIT_OK;
	}
	if (cli->quiet)
		return EXIT_OK;
	j = json_loads(text, 0, NULL);
	printf("%s %s@%s to %s (entry %lld%s%s%s)\n",
		!strcmp(json_string_value(json_object_get(j, "action")),
		"promote") ? "promoted" : "rolled back",
		json_string_value(json_object_get(j, "adapter")),
		json_string_value(json_object_get(j, "version")),
		json_string_value(json_object_get(j, "channel")),
		(long long)json_integer_value(json_object_get(j, "seq")),
		json_object_get(j, "from") ? ", was " : "",
		json_object_get(j, "from") ? json_string_value(
		json_object_get(j, "from")) : "",
		"");
	json_decref(j);
	return EXIT_OK;
}

int cli_channel_change(arca_cli *cli, cli_channel_change_fn change,
	const char *spec, const char *channel, const char *trust,
	arca_channel_opts *co)
{
	arca_error err = ARCA_ERROR_INIT;
	arca_trust_policy *p = NULL;
	char *out = NULL;
	int rc, code;

	if ((code = cli_trust_policy(cli, trust, 0, &p)) >= 0)
		return code;
	co->policy = p;
	rc = change(&out, cli->repo, spec, channel, co, &err);
	co->policy = NULL;
	arca_trust_policy_free(p);
	if (rc < 0)
		return cli_fail(cli, rc, &err);
	code = change_print(cli, out);
	free(out);
	return code;
}

int cmd_adapter_promote(arca_cli *cli, void *optsp, int argc, char **argv)
{
	struct adapter_promote_opts *o = optsp;
	arca_channel_opts co = ARCA_CHANNEL_OPTS_INIT;

	(void)argc;
	if (!o->channel)
		return cli_usage_error(cli, "adapter promote needs --channel "
			"CHANNEL");
	co.reason = o->reason;
	return cli_channel_change(cli, arca_adapter_promote, argv[0],
		o->channel, o->trust, &co);
}
