/* arca snapshot: record a directory, file or archive. */
#include <stddef.h>
#include <stdlib.h>
#include <jansson.h>
#include "cli.h"

struct snapshot_opts {
	const char *dataset, *message;
	int skip_unreadable, no_archive, threads;
};

static const arca_cli_opt opts[] = {
	{ "dataset", 'd', OPT_STRING, offsetof(struct snapshot_opts, dataset),
	  "NAME", "the dataset this snapshot is a version of" },
	{ "message", 'm', OPT_STRING, offsetof(struct snapshot_opts, message),
	  "TEXT", "a note stored with the snapshot" },
	{ "skip-unreadable", 0, OPT_FLAG,
	  offsetof(struct snapshot_opts, skip_unreadable), NULL,
	  "skip unreadable files with a warning instead of failing" },
	{ "no-archive", 0, OPT_FLAG, offsetof(struct snapshot_opts, no_archive),
	  NULL, "store an archive file as a file, not its contents" },
	{ "threads", 0, OPT_INT, offsetof(struct snapshot_opts, threads), "N",
	  "compression threads (default: one per CPU)" },
	{ NULL, 0, 0, 0, NULL, NULL }
};

const arca_cli_spec cmd_snapshot_spec = {
	"[options] PATH",
	"Records PATH as a new snapshot: a directory tree, a single file, or an\n"
	"archive (tar, tar.gz, tar.zst, zip, 7z, ...) read in place without\n"
	"unpacking. Content is split into chunks, deduplicated and stored\n"
	"compressed; unchanged files are recognised by the stat cache and not\n"
	"read again. Special files are skipped with a warning; an unreadable\n"
	"file fails the snapshot (nothing is recorded) unless --skip-unreadable.",
	opts, sizeof(struct snapshot_opts), 1, 1
};

static void print_json(const arca_id *id, const arca_snapshot_stats *st)
{
	char s[ARCA_ID_STRSZ];
	json_t *j;
	char *text;

	arca_id_str(s, id);
	j = json_pack("{s:s, s:{s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, "
		"s:I}}", "id", s, "summary",
		"files", (json_int_t)st->files, "dirs", (json_int_t)st->dirs,
		"symlinks", (json_int_t)st->symlinks,
		"skipped", (json_int_t)st->skipped,
		"bytes", (json_int_t)st->bytes,
		"bytes_read", (json_int_t)st->bytes_read,
		"files_cached", (json_int_t)st->files_cached,
		"objects_new", (json_int_t)st->objects_new,
		"bytes_new", (json_int_t)st->bytes_new,
		"stored_new", (json_int_t)st->stored_new);
	text = json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS);
	cli_json_print(text);
	free(text);
	json_decref(j);
}

int cmd_snapshot(arca_cli *cli, void *optsp, int argc, char **argv)
{
	struct snapshot_opts *o = optsp;
	arca_snapshot_opts so = ARCA_SNAPSHOT_OPTS_INIT;
	arca_error err = ARCA_ERROR_INIT;
	arca_snapshot_stats st;
	char sid[ARCA_ID_STRSZ], a[32], b[32], c[32];
	arca_id id;
	int rc;

	(void)argc;
	so.dataset = o->dataset;
	so.message = o->message;
	so.skip_unreadable = o->skip_unreadable;
	so.source = o->no_archive ? ARCA_SOURCE_PLAIN : ARCA_SOURCE_AUTO;
	so.threads = o->threads;
	so.warn = cli_warn_cb;
	so.progress = cli_progress_cb;
	so.payload = cli;
	rc = arca_snapshot_create(&id, &st, cli->repo, argv[0], &so, &err);
	cli_progress_done(cli);
	if (rc < 0)
		return cli_fail(cli, rc, &err);
	if (cli->json) {
		print_json(&id, &st);
		return EXIT_OK;
	}
	arca_id_str(sid, &id);
	if (!cli->quiet)
		printf("snapshot %s\n  %llu files (%llu unchanged), %llu dirs, "
			"%llu symlinks, %s; %llu skipped\n  new: %llu objects, "
			"%s, stored as %s\n", sid,
			(unsigned long long)st.files,
			(unsigned long long)st.files_cached,
			(unsigned long long)st.dirs,
			(unsigned long long)st.symlinks, cli_size(a, st.bytes),
			(unsigned long long)st.skipped,
			(unsigned long long)st.objects_new,
			cli_size(b, st.bytes_new), cli_size(c, st.stored_new));
	else
		printf("%s\n", sid);
	return EXIT_OK;
}
