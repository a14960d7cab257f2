/* Output shared by run, rerun and approve: events and the run's result. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <jansson.h>
#include "cli.h"

void cli_run_event(const char *line, void *payload)
{
	arca_cli *cli = payload;

	/* Progress: off with --quiet and --json, like the meters. */
	if (!cli->quiet && !cli->json)
		fprintf(stderr, "arca: %s\n", line);
}

json_t *cli_run_result_json(const arca_run_result *res)
{
	char run[ARCA_ID_STRSZ], state[ARCA_ID_STRSZ];
	json_t *j;

	arca_id_str(run, &res->run);
	arca_id_str(state, &res->state);
	j = json_pack("{s:s, s:s, s:s}", "run", run, "record", state,
		"status", res->status);
	if (*res->adapter)
		json_object_set_new(j, "adapter", json_string(res->adapter));
	if (*res->message)
		json_object_set_new(j, "message", json_string(res->message));
	if (*res->work)
		json_object_set_new(j, "work", json_string(res->work));
	return j;
}

int cli_run_report(arca_cli *cli, const arca_run_result *res)
{
	char hex[ARCA_ID_HEXSZ + 1];
	int failed = !strcmp(res->status, "failed") ||
		!strcmp(res->status, "gated");

	if (cli->json) {
		json_t *j = cli_run_result_json(res);
		char *t = json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS);
		cli_json_print(t);
		free(t);
		json_decref(j);
	} else {
		arca_id_hex(hex, &res->run);
		printf("run %.12s %s", hex, res->status);
		if (*res->adapter)
			printf(": published adapter %s", res->adapter);
		printf("\n");
		if (*res->message)
			printf("  %s\n", res->message);
		if (!strcmp(res->status, "awaiting-approval"))
			printf("  approve it with: arca approve %.12s --reason "
				"TEXT\n", hex);
		if (*res->work && failed)
			printf("  work dir kept: %s\n", res->work);
	}
	return failed ? EXIT_FAILURE_ : EXIT_OK;
}
