/* arca run: run a retraining template, or resume a killed run */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cli.h"

struct run_opts {
	cli_list params;
	const char *code;
	const char *resume;
	const char *work;
	int keep_work;
};

static const arca_cli_opt opts[] = {
	{ "param", 'p', OPT_LIST, offsetof(struct run_opts, params),
	  "NS.KEY=VALUE", "set a parameter (repeatable)" },
	{ "code", 0, OPT_STRING, offsetof(struct run_opts, code), "DIR",
	  "the code the stages run (${code}), archived with the run" },
	{ "resume", 0, OPT_STRING, offsetof(struct run_opts, resume), "RUN",
	  "continue a killed run from its first unfinished stage" },
	{ "work", 0, OPT_STRING, offsetof(struct run_opts, work), "DIR",
	  "where work dirs go (default $ARCA_WORK_DIR, else the cache)" },
	{ "keep-work", 0, OPT_FLAG, offsetof(struct run_opts, keep_work),
	  NULL, "keep the work dir after a successful run" },
	{ NULL, 0, 0, 0, NULL, NULL }
};

const arca_cli_spec cmd_run_spec = {
	"[-p NS.KEY=VALUE]... [--code DIR] TEMPLATE | --resume RUN",
	"Runs a retraining template (formats/template.md). Parameters are\n"
	"checked first: an unknown key, a wrong type or a value out of range\n"
	"stops the run before anything happens. Dataset parameters resolve\n"
	"to exact catalog versions (a version with unacknowledged drift is\n"
	"refused, exit 6). The template and the --code directory are\n"
	"archived, the inputs restored into a private work dir, and each\n"
	"stage runs as a process within its budgets. After every stage its\n"
	"logs, metrics and outputs are archived and the run's record is\n"
	"updated, so 'arca runs show RUN' follows it and a killed run can be\n"
	"resumed with --resume. Gates decide whether the adapter is\n"
	"published (a run that fails them ends 'gated', exit 1); governance\n"
	"may require 'arca approve' first.",
	opts, sizeof(struct run_opts), 0, 1
};

int cmd_run(arca_cli *cli, void *optsp, int argc, char **argv)
{
	struct run_opts *o = optsp;
	arca_run_opts ro = ARCA_RUN_OPTS_INIT;
	arca_run_result res;
	arca_error err = ARCA_ERROR_INIT;
	int rc;

	if (!!o->resume == (argc == 1))
		return cli_usage_error(cli, "usage: arca run %s",
			cmd_run_spec.usage);
	if (o->resume && (o->params.n || o->code))
		return cli_usage_error(cli, "--resume takes the run's recorded "
			"parameters and code; -p and --code do not apply");
	for (size_t i = 0; i < o->params.n; i++)
		if (!strchr(o->params.v[i], '='))
			return cli_usage_error(cli, "-p needs NS.KEY=VALUE, not "
				"'%s'", o->params.v[i]);
	ro.params = o->params.v;
	ro.nparams = o->params.n;
	ro.code_dir = o->code;
	ro.work_root = o->work;
	ro.keep_work = o->keep_work;
	ro.event = cli_run_event;
	ro.payload = cli;
	if (o->resume)
		rc = arca_run_resume(&res, cli->catalog, o->resume, &ro, &err);
	else
		rc = arca_run_start(&res, cli->catalog, argv[0], &ro, &err);
	if (rc < 0) {
		if (*res.work)
			cli_warn(cli, "work dir kept: %s", res.work);
		return cli_fail(cli, rc, &err);
	}
	return cli_run_report(cli, &res);
}
