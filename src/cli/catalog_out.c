/* Output shared by the catalog commands. */
#include <stdlib.h>
#include <jansson.h>
#include "cli.h"

int cli_catalog_print(arca_cli *cli, int rc, char *text, arca_error *err,
	void (*show)(json_t *j, void *payload), void *payload)
{
	json_t *j;

	if (rc < 0) {
		free(text);
		return cli_fail(cli, rc, err);
	}
	if (cli->json || !show) {
		cli_json_print(text);
		free(text);
		return EXIT_OK;
	}
	j = json_loads(text, JSON_DECODE_ANY, NULL);
	free(text);
	if (j)
		show(j, payload);
	json_decref(j);
	return EXIT_OK;
}

void cli_version_line(const arca_dataset_version *v)
{
	char rec[16], snap[16];

	printf("%s@%lld  version %s  snapshot %s  %lld rows", v->name,
		(long long)v->version, cli_short_id(rec, &v->record),
		cli_short_id(snap, &v->snapshot), (long long)v->rows);
	if (v->invalid_rows)
		printf(" (%lld invalid)", (long long)v->invalid_rows);
	printf("  drift %s%s\n", v->severity, !v->needs_ack ? "" :
		v->acked ? " (acknowledged)" : " (needs acknowledgement)");
}
