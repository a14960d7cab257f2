/* arca adapter channel: an adapter's channels and their histories. */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include "arca/channel.h"
#include "sign_out.h"

struct adapter_channel_opts {
	const char *channel, *trust;
	int verify;
};

static const arca_cli_opt opts[] = {
	{ "channel", 0, OPT_STRING, offsetof(struct adapter_channel_opts,
	  channel), "CHANNEL", "only this channel" },
	{ "verify", 0, OPT_FLAG, offsetof(struct adapter_channel_opts, verify),
	  NULL, "also check every entry's signatures with the trust policy" },
	{ "trust", 0, OPT_STRING, offsetof(struct adapter_channel_opts, trust),
	  "FILE", "trust policy for --verify (default: $ARCA_TRUST_POLICY, "
	  "then config trust.policy, then ~/.config/arca/trust.yaml)" },
	{ NULL, 0, 0, 0, NULL, NULL }
};

const arca_cli_spec cmd_adapter_channel_spec = {
	"[--channel CHANNEL] [--verify [--trust FILE]] NAME",
	"Shows each channel of adapter NAME: its current version and its full\n"
	"history (promotions and rollbacks, who, when, why). The history is\n"
	"checked first: an entry removed, reordered, replaced or cut off the\n"
	"end fails with exit 3 naming it. --verify also checks every entry's\n"
	"signatures against the trust policy (kind channel:CHANNEL).",
	opts, sizeof(struct adapter_channel_opts), 1, 1
};

static const char *str(json_t *o, const char *k)
{
	const char *s = json_string_value(json_object_get(o, k));

	return s ? s : "";
}

static void show(json_t *top, int verified)
{
	json_t *c, *e;
	size_t i, k;

	json_array_foreach(json_object_get(top, "channels"), i, c) {
		printf("%schannel %s: %s", i ? "\n" : "", str(c, "channel"),
			str(c, "version"));
		if (json_object_get(c, "seq"))
			printf(" (entry %lld)", (long long)json_integer_value(
				json_object_get(c, "seq")));
		printf("\n");
		json_array_foreach(json_object_get(c, "history"), k, e) {
			printf("  %3lld  %.19s  %-8s  %s", (long long)
				json_integer_value(json_object_get(e, "seq")),
				str(e, "time"), str(e, "action"),
				str(e, "version"));
			if (json_object_get(e, "from"))
				printf(" (from %s)", str(e, "from"));
			printf("  by %s@%s, %lld signature%s", str(e, "username"),
				str(e, "hostname"), (long long)
				json_integer_value(json_object_get(e,
				"signatures")), json_integer_value(
				json_object_get(e, "signatures")) == 1 ? "" : "s");
			if (json_object_get(e, "reason"))
				printf(": %s", str(e, "reason"));
			printf("\n");
		}
	}
	if (verified)
		printf("history and signatures verified\n");
}

int cmd_adapter_channel(arca_cli *cli, void *optsp, int argc, char **argv)
{
	struct adapter_channel_opts *o = optsp;
	arca_error err = ARCA_ERROR_INIT;
	arca_trust_policy *p = NULL;
	char *out = NULL;
	json_t *j;
	int rc, code;

	(void)argc;
	if (o->trust && !o->verify)
		return cli_usage_error(cli, "--trust goes with --verify");
	if (o->verify && (code = cli_trust_policy(cli, o->trust, 1, &p)) >= 0)
		return code;
	rc = arca_adapter_channels(&out, cli->repo, argv[0], o->channel, p,
		&err);
	arca_trust_policy_free(p);
	if (rc < 0)
		return cli_fail(cli, rc, &err);
	if (cli->json) {
		cli_json_print(out);
	} else if ((j = json_loads(out, 0, NULL))) {
		if (!json_array_size(json_object_get(j, "channels")))
			printf("adapter %s is on no channel\n", argv[0]);
		else if (!cli->quiet)
			show(j, o->verify);
		json_decref(j);
	}
	free(out);
	return EXIT_OK;
}
