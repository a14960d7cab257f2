/* arca snapshots: list the snapshots of the repository. */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include "cli.h"

struct snapshots_opts {
	const char *dataset;
};

static const arca_cli_opt opts[] = {
	{ "dataset", 'd', OPT_STRING, offsetof(struct snapshots_opts, dataset),
	  "NAME", "only snapshots of this dataset" },
	{ NULL, 0, 0, 0, NULL, NULL }
};

const arca_cli_spec cmd_snapshots_spec = {
	"[--dataset NAME]",
	"Lists snapshots, oldest first: id, time, host, dataset, size and\n"
	"source. --json prints a JSON array of the snapshot records, each with\n"
	"its \"id\".",
	opts, sizeof(struct snapshots_opts), 0, 0
};

int cmd_snapshots(arca_cli *cli, void *optsp, int argc, char **argv)
{
	struct snapshots_opts *o = optsp;
	arca_error err = ARCA_ERROR_INIT;
	arca_snapshot_info *v = NULL;
	size_t n = 0, shown = 0;
	int rc;

	(void)argc;
	(void)argv;
	if ((rc = arca_snapshot_list(&v, &n, cli->repo, &err)) < 0)
		return cli_fail(cli, rc, &err);
	if (cli->json)
		fputs("[", stdout);
	else if (!cli->quiet)
		printf("%-12s  %-19s  %-12s  %-12s  %10s  %s\n", "ID", "TIME",
			"HOST", "DATASET", "SIZE", "SOURCE");
	for (size_t i = 0; i < n; i++) {
		char sid[ARCA_ID_STRSZ], sz[32], sh[16];
		if (o->dataset && (!v[i].dataset ||
			strcmp(v[i].dataset, o->dataset)))
			continue;
		arca_id_str(sid, &v[i].id);
		if (cli->json) {
			/* The record is canonical JSON: splice in the id. */
			printf("%s{\"id\":\"%s\",%s", shown ? "," : "", sid,
				v[i].json + 1);
		} else {
			printf("%-12s  %.10s %.8s  %-12s  %-12s  %10s  %s\n",
				cli_short_id(sh, &v[i].id), v[i].time,
				v[i].time + 11, v[i].hostname ? v[i].hostname : "",
				v[i].dataset ? v[i].dataset : "-",
				cli_size(sz, v[i].stats.bytes),
				v[i].source_path ? v[i].source_path : "");
		}
		shown++;
	}
	if (cli->json)
		fputs("]\n", stdout);
	else if (!cli->quiet)
		printf("%zu snapshot%s\n", shown, shown == 1 ? "" : "s");
	arca_snapshot_info_free(v, n);
	return EXIT_OK;
}
