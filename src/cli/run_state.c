/* Loading a run's latest record for the runs commands. */
#include <stdlib.h>
#include <string.h>
#include "cli.h"

int cli_run_state(arca_cli *cli, const char *spec, json_t **doc,
	arca_id *run)
{
	arca_error err = ARCA_ERROR_INIT;
	json_error_t je;
	char *text = NULL;
	int rc;

	if ((rc = arca_run_resolve(run, cli->repo, spec, &err)) < 0 ||
		(rc = arca_run_state_json(&text, NULL, cli->repo, run,
			&err)) < 0)
		return cli_fail(cli, rc, &err);
	*doc = json_loads(text, 0, &je);
	free(text);
	if (!*doc) {
		arca_error_set(&err, ARCA_ECORRUPT, "run %s: %s", spec, je.text);
		return cli_fail(cli, ARCA_ECORRUPT, &err);
	}
	return -1;
}

/* "churn@3" etc. for a JSON value, for people. */
void cli_value_print(FILE *f, json_t *v)
{
	char *t;

	if (json_is_string(v)) {
		cli_quote(f, json_string_value(v), 0);
		return;
	}
	t = json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT | JSON_SORT_KEYS);
	fputs(t ? t : "?", f);
	free(t);
}
