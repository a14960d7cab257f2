/* arca rerun: re-execute a recorded run and compare its outputs */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cli.h"

struct rerun_opts {
	cli_list with;
	const char *work;
	const char *into;
	int publish;
	int keep_work;
};

static const arca_cli_opt opts[] = {
	{ "with", 0, OPT_LIST, offsetof(struct rerun_opts, with),
	  "NS.KEY=VALUE", "change a parameter, e.g. a newer dataset version "
	  "(repeatable)" },
	{ "publish", 0, OPT_FLAG, offsetof(struct rerun_opts, publish), NULL,
	  "publish the re-run's adapter too" },
	{ "into", 0, OPT_STRING, offsetof(struct rerun_opts, into), "DIR",
	  "re-run in a work dir under DIR, and keep it" },
	{ "work", 0, OPT_STRING, offsetof(struct rerun_opts, work), "DIR",
	  "where the work dir goes" },
	{ "keep-work", 0, OPT_FLAG, offsetof(struct rerun_opts, keep_work),
	  NULL, "keep the work dir" },
	{ NULL, 0, 0, 0, NULL, NULL }
};

const arca_cli_spec cmd_rerun_spec = {
	"[--with NS.KEY=VALUE]... [--into DIR] [--publish] RUN",
	"Re-executes a finished run exactly as recorded: its template, code,\n"
	"input dataset versions, parameters and allowlisted environment\n"
	"variables come from the repository, not from this machine. The\n"
	"re-run is recorded as a new run whose parent is RUN, then every\n"
	"output digest and metric is compared with the original's: it\n"
	"prints 'identical' (exit 0) or what differs (exit 3). --with\n"
	"changes parameters (a dataset parameter is resolved again).",
	opts, sizeof(struct rerun_opts), 1, 1
};

int cmd_rerun(arca_cli *cli, void *optsp, int argc, char **argv)
{
	struct rerun_opts *o = optsp;
	arca_run_opts ro = ARCA_RUN_OPTS_INIT;
	arca_run_result res;
	arca_rerun_report rep;
	arca_error err = ARCA_ERROR_INIT;
	char hex[ARCA_ID_HEXSZ + 1], orig[ARCA_ID_STRSZ];
	int rc, code;

	(void)argc;
	for (size_t i = 0; i < o->with.n; i++)
		if (!strchr(o->with.v[i], '='))
			return cli_usage_error(cli, "--with needs NS.KEY=VALUE, not "
				"'%s'", o->with.v[i]);
	ro.params = o->with.v;
	ro.nparams = o->with.n;
	if (o->into && o->work)
		return cli_usage_error(cli, "--into and --work exclude each "
			"other");
	ro.work_root = o->into ? o->into : o->work;
	ro.keep_work = o->keep_work || o->into;
	ro.publish = o->publish;
	ro.event = cli_run_event;
	ro.payload = cli;
	if ((rc = arca_run_rerun(&res, &rep, cli->catalog, argv[0], &ro,
		&err)) < 0)
		return cli_fail(cli, rc, &err);
	code = rep.identical ? EXIT_OK : EXIT_VERIFY;
	if (cli->json) {
		json_t *j = cli_run_result_json(&res), *d = json_array();
		char *t;
		arca_id_str(orig, &rep.original);
		json_object_set_new(j, "original", json_string(orig));
		json_object_set_new(j, "identical", json_boolean(rep.identical));
		for (size_t i = 0; i < rep.ndiffs; i++)
			json_array_append_new(d, json_pack("{s:s, s:s, s:s}",
				"name", rep.diffs[i].name, "original",
				rep.diffs[i].was, "rerun", rep.diffs[i].now));
		json_object_set_new(j, "differences", d);
		t = json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS);
		cli_json_print(t);
		free(t);
		json_decref(j);
	} else {
		arca_id_hex(hex, &res.run);
		printf("run %.12s (re-run of %s) %s\n", hex, argv[0], res.status);
		if (*res.message)
			printf("  %s\n", res.message);
		if (*res.work)
			printf("  work dir: %s\n", res.work);
		if (rep.identical)
			printf("identical: every output and metric matches the "
				"original\n");
		else if (!rep.ndiffs)
			printf("different: the re-run ended '%s'\n", res.status);
		for (size_t i = 0; i < rep.ndiffs; i++)
			printf("differs: %s\n  original %s\n  re-run   %s\n",
				rep.diffs[i].name, rep.diffs[i].was,
				rep.diffs[i].now);
	}
	free(rep.diffs);
	return code;
}
