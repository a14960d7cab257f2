/* arca push: copy to a remote what it lacks (remote_out.c). */
#include <stddef.h>
#include "remote_out.h"

struct push_opts {
	int parallel;
};

static const arca_cli_opt opts[] = {
	{ "parallel", 0, OPT_INT, offsetof(struct push_opts, parallel), "N",
	  "objects in flight (default: $ARCA_S3_PARALLEL, else 8)" },
	{ NULL, 0, 0, 0, NULL, NULL }
};

const arca_cli_spec cmd_push_spec = {
	"[--parallel N] REMOTE [REF...]",
	"Copies to REMOTE (a remote's name, an s3://BUCKET/PREFIX URL or a\n"
	"directory path with a '/') what it lacks of this repository: with no\n"
	"REF everything, else what each REF reaches (a ref such as\n"
	"datasets/churn, a ref prefix such as catalog/churn, or a record id\n"
	"or prefix). Objects go first, each checked against its id on the\n"
	"way, then records, then refs, so the remote is consistent at every\n"
	"instant; an interrupted push is completed by running it again. An\n"
	"empty REMOTE becomes a copy of this repository. Claim refs (catalog\n"
	"versions, schemas, datasets) are never overwritten: a different\n"
	"value there is a conflict (exit 1). Corrupt or missing data here:\n"
	"exit 3; remote unreachable or refused: exit 5.",
	opts, sizeof(struct push_opts), 1, -1
};

int cmd_push(arca_cli *cli, void *optsp, int argc, char **argv)
{
	struct push_opts *o = optsp;

	return cli_transfer(cli, 0, o->parallel, argc, argv);
}
