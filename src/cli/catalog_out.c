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

void cli_version_json(const arca_dataset_version *v, int full)
{
	char rec[ARCA_ID_STRSZ], snap[ARCA_ID_STRSZ], *text;
	json_t *j;

	arca_id_str(rec, &v->record);
	arca_id_str(snap, &v->snapshot);
	j = json_pack("{s:s, s:I, s:s, s:s}", "dataset", v->name, "version",
		(json_int_t)v->version, "record", rec, "snapshot", snap);
	if (j && full) {
		json_object_set_new(j, "schema_version",
			json_integer(v->schema_version));
		json_object_set_new(j, "rows", json_integer(v->rows));
		json_object_set_new(j, "invalid_rows",
			json_integer(v->invalid_rows));
		json_object_set_new(j, "severity", json_string(v->severity));
		json_object_set_new(j, "needs_ack", json_boolean(v->needs_ack));
	}
	text = j ? json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
	if (text)
		cli_json_print(text);
	free(text);
	json_decref(j);
}
