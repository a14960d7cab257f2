/* arca approve: approve a run that governance holds before publishing */
#include <stddef.h>
#include <stdio.h>
#include "cli.h"

struct approve_opts {
	const char *reason;
};

static const arca_cli_opt opts[] = {
	{ "reason", 0, OPT_STRING, offsetof(struct approve_opts, reason),
	  "TEXT", "why the run may publish its adapter (required)" },
	{ NULL, 0, 0, 0, NULL, NULL }
};

const arca_cli_spec cmd_approve_spec = {
	"--reason TEXT RUN",
	"Approves a run whose template requires an approval\n"
	"(governance.approval: required) and which passed its gates: the\n"
	"approval (who, when, why) is recorded and the run publishes its\n"
	"adapter and finishes.",
	opts, sizeof(struct approve_opts), 1, 1
};

int cmd_approve(arca_cli *cli, void *optsp, int argc, char **argv)
{
	struct approve_opts *o = optsp;
	arca_run_opts ro = ARCA_RUN_OPTS_INIT;
	arca_run_result res;
	arca_error err = ARCA_ERROR_INIT;
	int rc;

	(void)argc;
	if (!o->reason)
		return cli_usage_error(cli, "approve needs --reason TEXT");
	ro.event = cli_run_event;
	ro.payload = cli;
	if ((rc = arca_run_approve(&res, cli->catalog, argv[0], o->reason, &ro,
		&err)) < 0)
		return cli_fail(cli, rc, &err);
	return cli_run_report(cli, &res);
}
