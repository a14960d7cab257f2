/* arca init: create a repository. */
#include <stddef.h>
#include <stdlib.h>
#include <jansson.h>
#include "cli.h"

struct init_opts {
	int zstd_level;
	int require_signatures;
};

static const arca_cli_opt opts[] = {
	{ "compression-level", 0, OPT_INT,
	  offsetof(struct init_opts, zstd_level), "N",
	  "zstd level for stored objects, 1-19 (default 3)" },
	{ "require-signatures", 0, OPT_FLAG,
	  offsetof(struct init_opts, require_signatures), NULL,
	  "refuse to record anything unsigned (docs/signing.md)" },
	{ NULL, 0, 0, 0, NULL, NULL }
};

const arca_cli_spec cmd_init_spec = {
	"[--compression-level N] [--require-signatures]",
	"Creates an empty repository at --repo (default $ARCA_REPO, else "
	"./.arca):\nthe config with the format version, chunking and "
	"compression parameters.",
	opts, sizeof(struct init_opts), 0, 0
};

int cmd_init(arca_cli *cli, void *optsp, int argc, char **argv)
{
	struct init_opts *o = optsp;
	arca_repo_init_opts io = ARCA_REPO_INIT_OPTS_INIT;
	arca_error err = ARCA_ERROR_INIT;
	arca_repo *r = NULL;
	int rc;

	(void)argc;
	(void)argv;
	io.zstd_level = o->zstd_level;
	io.store = &cli->store;
	io.require_signatures = o->require_signatures;
	if ((rc = arca_repo_init(&r, cli->repo_url, &io, &err)) < 0)
		return cli_fail(cli, rc, &err);
	if (cli->json) {
		json_t *j = json_pack("{s:s, s:s, s:i}", "repository",
			arca_repo_url(r), "id", arca_repo_id(r), "format_version",
			ARCA_FORMAT_MAJOR);
		char *s = json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS);
		cli_json_print(s);
		free(s);
		json_decref(j);
	} else if (!cli->quiet) {
		printf("created repository %s at %s\n", arca_repo_id(r),
			arca_repo_url(r));
	}
	arca_repo_free(r);
	return EXIT_OK;
}
