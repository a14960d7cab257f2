/* arca diff: what changed between two snapshots. */
#include <stdlib.h>
#include <string.h>
#include <jansson.h>
#include "cli.h"

const arca_cli_spec cmd_diff_spec = {
	"SNAPSHOT_A SNAPSHOT_B",
	"Shows what changed from SNAPSHOT_A to SNAPSHOT_B, one path per line:\n"
	"'+' added, '-' removed, 'M' modified (content or type), 'm' permission\n"
	"bits only. A summary line follows. --json prints one JSON object per\n"
	"change, then a summary object.",
	NULL, 0, 2, 2
};

struct counts {
	arca_cli *cli;
	uint64_t n[5];
};

static int on_change(arca_change ch, const arca_entry *a,
	const arca_entry *b, void *payload)
{
	static const char marks[] = " +-Mm";
	static const char *names[] = { "", "added", "removed", "modified",
		"mode" };
	struct counts *c = payload;
	const arca_entry *e = b ? b : a;

	c->n[ch]++;
	if (c->cli->json) {
		json_t *j = json_pack("{s:s}", "change", names[ch]);
		char *s;
		cli_json_set_name(j, "path", e->path);
		if (ch == ARCA_CHANGE_MODE) {
			json_object_set_new(j, "old_mode", json_integer(a->mode));
			json_object_set_new(j, "new_mode", json_integer(b->mode));
		}
		s = json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS);
		if (s)
			cli_json_print(s);
		free(s);
		json_decref(j);
	} else if (ch == ARCA_CHANGE_MODE) {
		fputs("m ", stdout);
		cli_quote(stdout, e->path, 0);
		printf(" (%04o -> %04o)\n", a->mode, b->mode);
	} else {
		printf("%c ", marks[ch]);
		cli_quote(stdout, e->path, 0);
		printf("%s\n", e->type == ARCA_ENTRY_DIR ? "/" : "");
	}
	return 0;
}

int cmd_diff(arca_cli *cli, void *optsp, int argc, char **argv)
{
	arca_error err = ARCA_ERROR_INIT;
	struct counts c = { cli, { 0 } };
	const char *sub_a, *sub_b;
	arca_id a, b;
	int rc;

	(void)optsp;
	(void)argc;
	if ((rc = cli_snapshot_arg(cli, argv[0], &a, &sub_a)) >= 0 ||
		(rc = cli_snapshot_arg(cli, argv[1], &b, &sub_b)) >= 0)
		return rc;
	if (*sub_a || *sub_b)
		return cli_usage_error(cli, "diff compares whole snapshots: "
			"drop the ':PATH'");
	if ((rc = arca_snapshot_diff(cli->repo, &a, &b, on_change, &c,
		&err)) < 0)
		return cli_fail(cli, rc, &err);
	if (cli->json) {
		printf("{\"summary\":{\"added\":%llu,\"mode\":%llu,"
			"\"modified\":%llu,\"removed\":%llu}}\n",
			(unsigned long long)c.n[1], (unsigned long long)c.n[4],
			(unsigned long long)c.n[3], (unsigned long long)c.n[2]);
	} else if (!cli->quiet) {
		printf("%llu added, %llu removed, %llu modified, %llu mode "
			"changed\n", (unsigned long long)c.n[1],
			(unsigned long long)c.n[2], (unsigned long long)c.n[3],
			(unsigned long long)c.n[4]);
	}
	return EXIT_OK;
}
