/* arca dataset add: add a version */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <jansson.h>
#include "cli.h"

struct dataset_add_opts {
	const char *message;
	int allow_invalid, max_errors, threads;
};

static const arca_cli_opt opts[] = {
	{ "message", 'm', OPT_STRING, offsetof(struct dataset_add_opts, message),
	  "TEXT", "a note stored with the version" },
	{ "allow-invalid", 0, OPT_INT, offsetof(struct dataset_add_opts, allow_invalid),
	  "N", "record the version even with up to N invalid rows" },
	{ "max-errors", 0, OPT_INT, offsetof(struct dataset_add_opts, max_errors),
	  "N", "errors to show when refusing (default 20)" },
	{ "threads", 0, OPT_INT, offsetof(struct dataset_add_opts, threads),
	  "N", "compression threads (default: one per CPU)" },
	{ NULL, 0, 0, 0, NULL, NULL }
};

const arca_cli_spec cmd_dataset_add_spec = {
	"[-m TEXT] [--allow-invalid N] NAME PATH",
	"Adds PATH (a directory, a file, or an archive read in place) as the next\n"
	"immutable version NAME@N of the dataset. Tabular data (csv, jsonl) is\n"
	"validated against the dataset's schema while statistics are measured;\n"
	"invalid data is refused with the file, line and field of the first\n"
	"errors and nothing is recorded, unless --allow-invalid permits the\n"
	"count. The version records its snapshot, schema, statistics, and drift\n"
	"against the previous version; drift at the policy's threshold must be\n"
	"acknowledged (dataset ack) before runs may use the version.",
	opts, sizeof(struct dataset_add_opts), 2, 2
};

int cmd_dataset_add(arca_cli *cli, void *optsp, int argc, char **argv)
{
	struct dataset_add_opts *o = optsp;
	arca_error err = ARCA_ERROR_INIT;
	arca_dataset_add_opts ao = { 0 };
	arca_dataset_version v;
	int rc;

	(void)argc;
	ao.message = o->message;
	ao.allow_invalid = o->allow_invalid;
	ao.max_errors = o->max_errors;
	ao.threads = o->threads;
	ao.warn = cli_warn_cb;
	ao.progress = cli_progress_cb;
	ao.payload = cli;
	rc = arca_dataset_add(cli->catalog, &v, argv[0], argv[1], &ao, &err);
	cli_progress_done(cli);
	if (rc < 0)
		return cli_fail(cli, rc, &err);
	if (cli->json) {
		cli_version_json(&v, 1);
		return EXIT_OK;
	}
	if (cli->quiet)
		printf("%s@%lld\n", v.name, (long long)v.version);
	else
		cli_version_line(&v);
	if (v.needs_ack)
		cli_warn(cli, "%s@%lld drifted from the version before it (%s): "
			"see 'arca dataset diff %s@%lld %s@%lld'; runs may not use it "
			"until 'arca dataset ack %s@%lld --reason ...'", v.name,
			(long long)v.version, v.severity, v.name,
			(long long)v.version - 1, v.name, (long long)v.version, v.name,
			(long long)v.version);
	return EXIT_OK;
}
