/* arca ls: list the entries of a snapshot. */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <jansson.h>
#include "cli.h"

struct ls_opts {
	int recursive, long_format;
};

static const arca_cli_opt opts[] = {
	{ "recursive", 'R', OPT_FLAG, offsetof(struct ls_opts, recursive), NULL,
	  "list subdirectories too" },
	{ "long", 'l', OPT_FLAG, offsetof(struct ls_opts, long_format), NULL,
	  "show type, mode, size and time" },
	{ NULL, 0, 0, 0, NULL, NULL }
};

const arca_cli_spec cmd_ls_spec = {
	"[-R] [-l] SNAPSHOT[:PATH]",
	"Lists the entries of a snapshot, or of the directory PATH in it, in\n"
	"name order. SNAPSHOT is an id, a unique prefix, 'latest' or\n"
	"'latest@DATASET'. --json prints one JSON object per entry and line.",
	opts, sizeof(struct ls_opts), 1, 1
};

static const char *type_str(arca_entry_type t)
{
	return t == ARCA_ENTRY_DIR ? "dir" : t == ARCA_ENTRY_SYMLINK ?
		"symlink" : "file";
}

static int print_entry(const arca_entry *e, void *payload)
{
	arca_cli *cli = ((void **)payload)[0];
	struct ls_opts *o = ((void **)payload)[1];

	if (cli->json) {
		json_t *j = json_pack("{s:s, s:i, s:I, s:I}",
			"type", type_str(e->type),
			"mode", (int)e->mode, "size", (json_int_t)e->size,
			"mtime_ns", (json_int_t)e->mtime_ns);
		char *s;
		cli_json_set_name(j, "path", e->path);
		if (e->target)
			cli_json_set_name(j, "target", e->target);
		if (e->tree) {
			char id[ARCA_ID_STRSZ];
			arca_id_str(id, e->tree);
			json_object_set_new(j, "tree", json_string(id));
		}
		s = json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS);
		if (s)
			cli_json_print(s);
		free(s);
		json_decref(j);
		return 0;
	}
	if (o->long_format) {
		char when[32];
		time_t t = (time_t)(e->mtime_ns / 1000000000);
		struct tm tm;
		gmtime_r(&t, &tm);
		strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S", &tm);
		printf("%c%04o %12llu %s  ", e->type == ARCA_ENTRY_DIR ? 'd' :
			e->type == ARCA_ENTRY_SYMLINK ? 'l' : '-', e->mode,
			(unsigned long long)e->size, when);
	}
	cli_quote(stdout, e->path, 0);
	if (e->type == ARCA_ENTRY_DIR)
		fputc('/', stdout);
	if (o->long_format && e->target) {
		fputs(" -> ", stdout);
		cli_quote(stdout, e->target, 0);
	}
	fputc('\n', stdout);
	return 0;
}

int cmd_ls(arca_cli *cli, void *optsp, int argc, char **argv)
{
	struct ls_opts *o = optsp;
	arca_error err = ARCA_ERROR_INIT;
	void *payload[2] = { cli, o };
	const char *sub;
	arca_id id;
	int rc;

	(void)argc;
	if ((rc = cli_snapshot_arg(cli, argv[0], &id, &sub)) >= 0)
		return rc;
	rc = arca_snapshot_walk(cli->repo, &id, sub, o->recursive,
		print_entry, payload, &err);
	if (rc < 0)
		return cli_fail(cli, rc, &err);
	return EXIT_OK;
}
