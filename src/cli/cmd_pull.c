/* arca pull: copy from a remote what this repository lacks
 * (remote_out.c). No repository needs to exist: pull makes one. */
#include <stddef.h>
#include "remote_out.h"

struct pull_opts {
	int parallel;
};

static const arca_cli_opt opts[] = {
	{ "parallel", 0, OPT_INT, offsetof(struct pull_opts, parallel), "N",
	  "objects in flight (default: $ARCA_S3_PARALLEL, else 8)" },
	{ NULL, 0, 0, 0, NULL, NULL }
};

const arca_cli_spec cmd_pull_spec = {
	"[--parallel N] REMOTE [REF...]",
	"Copies from REMOTE (a remote's name, an s3://BUCKET/PREFIX URL or a\n"
	"directory path with a '/') what this repository lacks: with no REF\n"
	"everything, else what each REF reaches (as for push). When --repo\n"
	"holds no repository yet, it becomes a copy of the remote's (same\n"
	"repository id). Objects first, each checked against its id, then\n"
	"records, then refs; an interrupted pull is completed by running it\n"
	"again. Claim refs are never overwritten (a conflict: exit 1).\n"
	"Corrupt or missing data on the remote: exit 3; remote unreachable or\n"
	"refused: exit 5.",
	opts, sizeof(struct pull_opts), 1, -1
};

int cmd_pull(arca_cli *cli, void *optsp, int argc, char **argv)
{
	struct pull_opts *o = optsp;

	return cli_transfer(cli, 1, o->parallel, argc, argv);
}
