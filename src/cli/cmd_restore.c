/* arca restore: write a snapshot, or part of it, to a directory or a tar
 * stream. */
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <jansson.h>
#include "cli.h"

struct restore_opts {
	const char *format;
	const char *output;
	int threads;
};

static const arca_cli_opt opts[] = {
	{ "format", 0, OPT_STRING, offsetof(struct restore_opts, format),
	  "dir|tar", "write a directory (default) or a tar stream" },
	{ "output", 'o', OPT_STRING, offsetof(struct restore_opts, output),
	  "FILE", "with --format tar: the tar file ('-': stdout)" },
	{ "threads", 0, OPT_INT, offsetof(struct restore_opts, threads), "N",
	  "worker threads (default: one per CPU)" },
	{ NULL, 0, 0, 0, NULL, NULL }
};

const arca_cli_spec cmd_restore_spec = {
	"SNAPSHOT[:PATH] DIR | SNAPSHOT[:PATH] --format tar -o FILE|-",
	"Restores a snapshot, or the file or directory PATH in it, into DIR\n"
	"(created if missing) or as a tar stream. SNAPSHOT is an id, a unique\n"
	"prefix of at least 4 hex digits, 'latest' or 'latest@DATASET'.\n"
	"A directory's contents go into DIR; a file or symlink goes to\n"
	"DIR/NAME. Content is verified against its ids; modes, mtimes and\n"
	"symlinks are restored. Every name is checked before anything is\n"
	"written: an entry that could escape DIR ('..', absolute or empty\n"
	"names, a name twice in one directory) refuses the whole restore.\n"
	"Existing files at the same names are replaced, never written\n"
	"through a symlink.",
	opts, sizeof(struct restore_opts), 1, 2
};

/* What the command was asked to do. */
struct job {
	char *snap;           /* SNAPSHOT (malloc'd copy) */
	const char *path;     /* PATH in it, "" for all */
	const char *dir;      /* --format dir */
	const char *output;   /* --format tar */
	int tar, to_stdout;
};

/* Splits SNAPSHOT[:PATH] at the first ':' after an optional "sha256:". */
static int split_spec(struct job *j, const char *spec)
{
	size_t skip = strncmp(spec, "sha256:", 7) ? 0 : 7;
	char *colon;

	if (!(j->snap = strdup(spec)))
		return -1;
	j->path = "";
	if ((colon = strchr(j->snap + skip, ':'))) {
		*colon = '\0';
		j->path = colon + 1;
	}
	return 0;
}

static int check_usage(arca_cli *cli, struct job *j,
	const struct restore_opts *o, int argc, char **argv)
{
	const char *fmt = o->format ? o->format : "dir";

	if (strcmp(fmt, "dir") && strcmp(fmt, "tar"))
		return cli_usage_error(cli, "--format is 'dir' or 'tar', not "
			"'%s'", fmt);
	if (o->threads < 0)
		return cli_usage_error(cli, "--threads needs a number >= 0");
	j->tar = !strcmp(fmt, "tar");
	if (!j->tar && o->output)
		return cli_usage_error(cli, "--output is for --format tar; "
			"give a directory instead");
	if (!j->tar && argc != 2)
		return cli_usage_error(cli, "give the directory to restore "
			"into: arca restore SNAPSHOT[:PATH] DIR");
	if (j->tar && argc != 1)
		return cli_usage_error(cli, "with --format tar, give -o FILE "
			"(or -o - for stdout) instead of a directory");
	if (j->tar && (!o->output || !*o->output))
		return cli_usage_error(cli, "--format tar needs -o FILE "
			"(or -o - for stdout)");
	j->to_stdout = j->tar && !strcmp(o->output, "-");
	if (j->to_stdout && isatty(1))
		return cli_usage_error(cli, "refusing to write a tar stream "
			"to a terminal; redirect stdout or use -o FILE");
	if (!*argv[0] || argv[0][0] == ':')
		return cli_usage_error(cli, "no snapshot given");
	j->dir = j->tar ? NULL : argv[1];
	j->output = j->tar ? o->output : NULL;
	if (!j->tar && !*j->dir)
		return cli_usage_error(cli, "the directory name is empty");
	return -1;
}

static void on_warn(const char *path, const char *msg, void *payload)
{
	if (path && *path)
		cli_warn(payload, "%s: %s", path, msg);
	else
		cli_warn(payload, "%s", msg);
}

static void on_progress(uint64_t files, uint64_t bytes, void *payload)
{
	cli_progress(payload, "files", files, bytes);
}

/* Writes the tar stream to FILE.tmp, renamed to FILE when complete. */
static int restore_tar_file(arca_restore_stats *st, arca_cli *cli,
	const arca_id *id, const struct job *j, const arca_restore_opts *ro,
	arca_error *err)
{
	char *tmp = NULL;
	int fd, rc;

	if (asprintf(&tmp, "%s.tmp", j->output) < 0)
		return arca_error_set(err, ARCA_ERROR, "out of memory");
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC,
		0666);
	if (fd < 0) {
		rc = arca_error_set_errno(err, ARCA_ERROR, errno,
			"cannot create '%s'", tmp);
		free(tmp);
		return rc;
	}
	rc = arca_restore_tar(st, cli->repo, id, j->path, fd, ro, err);
	if (rc == 0 && fsync(fd) < 0)
		rc = arca_error_set_errno(err, ARCA_ERROR, errno,
			"cannot write '%s'", tmp);
	if (close(fd) < 0 && rc == 0)
		rc = arca_error_set_errno(err, ARCA_ERROR, errno,
			"cannot write '%s'", tmp);
	if (rc == 0 && rename(tmp, j->output) < 0)
		rc = arca_error_set_errno(err, ARCA_ERROR, errno,
			"cannot rename '%s' to '%s'", tmp, j->output);
	if (rc < 0)
		unlink(tmp);
	free(tmp);
	return rc;
}

static void report(arca_cli *cli, const struct job *j, const arca_id *id,
	const arca_restore_stats *st)
{
	FILE *f = j->to_stdout ? stderr : stdout;
	const char *where = j->tar ? (j->to_stdout ? "stdout" : j->output) :
		j->dir;
	char ids[ARCA_ID_STRSZ], sz[32];

	if (cli->json) {
		json_t *o;
		char *s;
		arca_id_str(ids, id);
		o = json_pack("{s:s, s:s, s:s, s:s, s:{s:I, s:I, s:I, s:I}}",
			"snapshot", ids, "path", j->path, "format",
			j->tar ? "tar" : "dir", "target", where, "summary",
			"files", (json_int_t)st->files,
			"dirs", (json_int_t)st->dirs,
			"symlinks", (json_int_t)st->symlinks,
			"bytes", (json_int_t)st->bytes);
		s = o ? json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
		if (s) {
			fputs(s, f);
			fputc('\n', f);
		}
		free(s);
		json_decref(o);
	} else if (!cli->quiet) {
		fprintf(f, "restored %llu files, %llu dirs, %llu symlinks, %s "
			"to %s\n", (unsigned long long)st->files,
			(unsigned long long)st->dirs,
			(unsigned long long)st->symlinks,
			cli_size(sz, st->bytes), where);
	}
}

int cmd_restore(arca_cli *cli, void *optsp, int argc, char **argv)
{
	struct restore_opts *o = optsp;
	arca_restore_opts ro = ARCA_RESTORE_OPTS_INIT;
	arca_error err = ARCA_ERROR_INIT;
	arca_restore_stats st;
	struct job j;
	arca_id id;
	int rc;

	memset(&j, 0, sizeof(j));
	if ((rc = check_usage(cli, &j, o, argc, argv)) >= 0)
		return rc;
	if (split_spec(&j, argv[0]) < 0)
		return cli_usage_error(cli, "out of memory");
	ro.threads = o->threads;
	ro.warn = on_warn;
	ro.progress = on_progress;
	ro.payload = cli;
	if ((rc = arca_snapshot_resolve(&id, cli->repo, j.snap, &err)) == 0) {
		if (!j.tar)
			rc = arca_restore_dir(&st, cli->repo, &id, j.path,
				j.dir, &ro, &err);
		else if (j.to_stdout)
			rc = arca_restore_tar(&st, cli->repo, &id, j.path, 1,
				&ro, &err);
		else
			rc = restore_tar_file(&st, cli, &id, &j, &ro, &err);
	}
	cli_progress_done(cli);
	if (rc < 0) {
		free(j.snap);
		return cli_fail(cli, rc, &err);
	}
	report(cli, &j, &id, &st);
	free(j.snap);
	return EXIT_OK;
}
