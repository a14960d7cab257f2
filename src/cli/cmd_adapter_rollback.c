/* arca adapter rollback: put a channel back on an earlier version. */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include "arca/channel.h"
#include "sign_out.h"

struct adapter_rollback_opts {
	const char *channel, *to, *reason, *trust;
};

static const arca_cli_opt opts[] = {
	{ "channel", 0, OPT_STRING, offsetof(struct adapter_rollback_opts,
	  channel), "CHANNEL", "the channel (required)" },
	{ "to", 0, OPT_STRING, offsetof(struct adapter_rollback_opts, to),
	  "VERSION", "an earlier version (default: the one promoted before "
	  "the current one)" },
	{ "reason", 0, OPT_STRING, offsetof(struct adapter_rollback_opts,
	  reason), "TEXT", "why, kept in the channel's history" },
	{ "trust", 0, OPT_STRING, offsetof(struct adapter_rollback_opts,
	  trust), "FILE", "trust policy (default: $ARCA_TRUST_POLICY, then "
	  "config trust.policy, then ~/.config/arca/trust.yaml)" },
	{ NULL, 0, 0, 0, NULL, NULL }
};

const arca_cli_spec cmd_adapter_rollback_spec = {
	"--channel CHANNEL [--to VERSION] [--reason TEXT] [--trust FILE] NAME",
	"Makes the version promoted to CHANNEL before the current one current\n"
	"again (--to: an earlier one still below it), as a new signed entry\n"
	"of the channel's history; nothing is deleted. The version rolled\n"
	"back to passes the same checks as a promotion (exit 6 if not).",
	opts, sizeof(struct adapter_rollback_opts), 1, 1
};

int cmd_adapter_rollback(arca_cli *cli, void *optsp, int argc, char **argv)
{
	struct adapter_rollback_opts *o = optsp;
	arca_channel_opts co = ARCA_CHANNEL_OPTS_INIT;

	(void)argc;
	if (!o->channel)
		return cli_usage_error(cli, "adapter rollback needs --channel "
			"CHANNEL");
	co.reason = o->reason;
	co.to = o->to;
	return cli_channel_change(cli, arca_adapter_rollback, argv[0],
		o->channel, o->trust, &co);
}
