/* Shared by push, pull, verify --remote and the remote commands
 * (remote_out.c). */
#ifndef ARCA_CLI_REMOTE_OUT_H
#define ARCA_CLI_REMOTE_OUT_H

#include "cli.h"
#include "arca/remote.h"

/*
 * Opens the repository REMOTE names (a remote of local, which may be
 * NULL, or a URL; --endpoint, --region and the style flags fill what the
 * remote does not set). On success *rm is filled (arca_remote_dispose)
 * and *out opened; ARCA_ENOTFOUND when no repository is there.
 */
int cli_remote_open(arca_cli *cli, arca_repo *local, const char *spec,
	arca_remote *rm, arca_repo **out, arca_error *err);

/* arca push / arca pull: REMOTE [REF...] with --parallel N. */
int cli_transfer(arca_cli *cli, int pull, int parallel, int argc,
	char **argv);

/* Decimal sizes ("1.9 GB") as the push and pull summaries use. */
const char *cli_size_dec(char buf[32], double bytes);

#endif
