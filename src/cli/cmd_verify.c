/* arca verify: check every object and reference, report like git fsck. */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <jansson.h>
#include "cli.h"
#include "remote_out.h"

struct verify_opts {
	int read_data, no_read_data, threads;
	const char *remote;
};

static const arca_cli_opt opts[] = {
	{ "read-data", 0, OPT_FLAG, offsetof(struct verify_opts, read_data),
	  NULL, "read and re-hash every object (the default)" },
	{ "no-read-data", 0, OPT_FLAG,
	  offsetof(struct verify_opts, no_read_data), NULL,
	  "only check that every named object exists" },
	{ "threads", 0, OPT_INT, offsetof(struct verify_opts, threads), "N",
	  "hashing threads (default: one per CPU; remote: "
	  "$ARCA_S3_PARALLEL, else 8)" },
	{ "remote", 0, OPT_STRING, offsetof(struct verify_opts, remote),
	  "REMOTE", "verify this remote's copy, and that it has all of ours" },
	{ NULL, 0, 0, 0, NULL, NULL }
};

const arca_cli_spec cmd_verify_spec = {
	"[--read-data|--no-read-data] [--threads N] [--remote REMOTE]",
	"Checks the repository the way git fsck does: every object is read,\n"
	"decompressed and hashed against its id (--no-read-data: only\n"
	"listed), every snapshot record is walked down to each file's chunks,\n"
	"and every ref must name a record. Findings go to stdout, one a line:\n"
	"SEVERITY FINDING OBJECT [snapshot ID] [path 'PATH']: MESSAGE\n"
	"(with --json one object per finding, then a summary object). INFO\n"
	"findings are shown with -v. With --remote REMOTE (a remote's name or\n"
	"URL) the remote's copy is checked instead, its objects fetched by\n"
	"several threads, then its completeness: every record and ref of this\n"
	"repository must be there (else 'NOT-PUSHED' lines). Exit status 3\n"
	"when there is any ERROR or anything is not pushed.",
	opts, sizeof(struct verify_opts), 0, 0
};

static void print_json_finding(const arca_finding *f)
{
	json_t *j = json_object();
	char *text;

	json_object_set_new(j, "type", json_string("finding"));
	json_object_set_new(j, "severity", json_string(f->severity ==
		ARCA_SEV_ERROR ? "ERROR" : f->severity == ARCA_SEV_WARNING ?
		"WARNING" : "INFO"));
	json_object_set_new(j, "finding", json_string(f->name));
	json_object_set_new(j, "object", cli_json_text(f->object));
	json_object_set_new(j, "snapshot", cli_json_text(f->snapshot));
	json_object_set_new(j, "path", cli_json_text(f->path));
	json_object_set_new(j, "message", cli_json_text(f->message));
	text = json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS);
	if (text)
		cli_json_print(text);
	free(text);
	json_decref(j);
}

static const char *sev_name(arca_severity s)
{
	return s == ARCA_SEV_ERROR ? "ERROR" : s == ARCA_SEV_WARNING ?
		"WARNING" : "INFO";
}

static int finding_cb(const arca_finding *f, void *payload)
{
	arca_cli *cli = payload;

	if (f->severity == ARCA_SEV_INFO && !cli->verbose)
		return 0;
	cli_progress_done(cli);
	if (cli->json) {
		print_json_finding(f);
		return 0;
	}
	printf("%s %s ", sev_name(f->severity), f->name);
	cli_quote(stdout, f->object ? f->object : "-", 0);
	if (f->snapshot)
		printf(" snapshot %s", f->snapshot);
	if (f->path) {
		fputs(" path '", stdout);
		cli_quote(stdout, f->path, Q_QUOTES);
		fputc('\'', stdout);
	}
	fputs(": ", stdout);
	cli_quote(stdout, f->message, 0);
	fputc('\n', stdout);
	return 0;
}

static void progress_cb(uint64_t objects, uint64_t bytes, void *payload)
{
	cli_progress(payload, "objects", objects, bytes);
}

static void print_json_summary(const arca_verify_stats *st, int read_data,
	const char *remote, int64_t not_pushed)
{
	json_t *j;
	char *text;

	j = json_pack("{s:s, s:b, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, "
		"s:I, s:b}", "type", "summary", "read_data", read_data,
		"objects", (json_int_t)st->objects,
		"stored_bytes", (json_int_t)st->stored_bytes,
		"content_bytes", (json_int_t)st->content_bytes,
		"snapshots", (json_int_t)st->snapshots,
		"trees", (json_int_t)st->trees,
		"files", (json_int_t)st->files,
		"errors", (json_int_t)st->findings[ARCA_SEV_ERROR],
		"warnings", (json_int_t)st->findings[ARCA_SEV_WARNING],
		"info", (json_int_t)st->findings[ARCA_SEV_INFO],
		"ok", st->findings[ARCA_SEV_ERROR] == 0 && not_pushed <= 0);
	if (remote) {
		json_object_set_new(j, "remote", cli_json_text(remote));
		json_object_set_new(j, "not_pushed", not_pushed < 0 ?
			json_null() : json_integer(not_pushed));
	}
	text = json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS);
	if (text)
		cli_json_print(text);
	free(text);
	json_decref(j);
}

static const char *plural(uint64_t n, const char *one, const char *many)
{
	return n == 1 ? one : many;
}

static void print_summary(const arca_verify_stats *st, int read_data)
{
	uint64_t e = st->findings[ARCA_SEV_ERROR];
	uint64_t w = st->findings[ARCA_SEV_WARNING];
	uint64_t i = st->findings[ARCA_SEV_INFO];
	double mib = 1024.0 * 1024.0;

	printf("verified %llu %s (%.1f MiB stored, ",
		(unsigned long long)st->objects,
		plural(st->objects, "object", "objects"),
		(double)st->stored_bytes / mib);
	if (read_data)
		printf("%.1f MiB content), ", (double)st->content_bytes / mib);
	else
		printf("content not read), ");
	printf("%llu %s: ", (unsigned long long)st->snapshots,
		plural(st->snapshots, "snapshot", "snapshots"));
	if (e || w)
		printf("%llu %s, %llu %s", (unsigned long long)e,
			plural(e, "error", "errors"), (unsigned long long)w,
			plural(w, "warning", "warnings"));
	else
		printf("no problems found");
	if (i)
		printf(" (%llu info)", (unsigned long long)i);
	putchar('\n');
}

static int unpushed_cb(const arca_unpushed *u, void *payload)
{
	arca_cli *cli = payload;
	json_t *j;
	char *text;

	cli_progress_done(cli);
	if (cli->json) {
		j = json_pack("{s:s, s:s, s:o, s:o}", "type", "not-pushed",
			"kind", u->kind, "name", cli_json_text(u->name),
			"message", cli_json_text(u->message));
		if ((text = json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS)))
			cli_json_print(text);
		free(text);
		json_decref(j);
		return 0;
	}
	printf("NOT-PUSHED %s ", u->kind);
	cli_quote(stdout, u->name, 0);
	fputs(": ", stdout);
	cli_quote(stdout, u->message, 0);
	fputc('\n', stdout);
	return 0;
}

/* verify --remote: the remote's copy, then what it lacks of ours. */
static int verify_remote(arca_cli *cli, arca_verify_opts *vo,
	const char *spec)
{
	arca_error err = ARCA_ERROR_INIT, err2 = ARCA_ERROR_INIT;
	arca_remote rm;
	arca_repo *remote = NULL;
	arca_verify_stats st;
	uint64_t missing = 0;
	const char *label;
	int rc, rc2 = 0;

	if ((rc = cli_remote_open(cli, cli->repo, spec, &rm, &remote,
		&err)) < 0)
		return cli_fail(cli, rc, &err);
	label = rm.name ? rm.name : rm.url;
	memset(&st, 0, sizeof(st));
	if (strcmp(arca_repo_id(remote), arca_repo_id(cli->repo))) {
		rc = arca_error_set(&err, ARCA_EINVALID, "remote '%s' holds "
			"repository %s, this is %s", label, arca_repo_id(remote),
			arca_repo_id(cli->repo));
		goto done;
	}
	if ((rc = arca_repo_lock(remote, 0, &err)) < 0)
		goto done;
	rc = arca_verify(&st, remote, vo, &err);
	cli_progress_done(cli);
	if (rc < 0 && rc != ARCA_EVERIFY)
		goto done;
	/* A separate section: completeness against this repository. */
	if (!cli->json && !cli->quiet)
		printf("remote '%s': ", label);
	if (!cli->json && (!cli->quiet || rc < 0))
		print_summary(&st, vo->read_data);
	rc2 = arca_verify_pushed(&missing, remote, cli->repo, unpushed_cb, cli,
		&err2);
	if (rc2 < 0 && rc2 != ARCA_EVERIFY) {
		rc = rc2;
		err = err2;
		goto done;
	}
	if (cli->json)
		print_json_summary(&st, vo->read_data, label, (int64_t)missing);
	else if (missing)
		printf("not pushed: %llu record(s) or ref(s) of this repository "
			"are not on remote '%s' ('arca push %s' copies them)\n",
			(unsigned long long)missing, label, label);
	else if (!cli->quiet)
		printf("remote '%s' has every record and ref of this "
			"repository\n", label);
	if (rc == 0)
		rc = rc2;
done:
	arca_repo_free(remote);
	arca_remote_dispose(&rm);
	if (rc < 0 && rc != ARCA_EVERIFY)
		return cli_fail(cli, rc, &err);
	return cli_exit_code(rc);
}

int cmd_verify(arca_cli *cli, void *optsp, int argc, char **argv)
{
	struct verify_opts *o = optsp;
	arca_verify_opts vo = ARCA_VERIFY_OPTS_INIT;
	arca_error err = ARCA_ERROR_INIT;
	arca_verify_stats st;
	int rc;

	(void)argc;
	(void)argv;
	if (o->read_data && o->no_read_data)
		return cli_usage_error(cli, "--read-data and --no-read-data "
			"exclude each other");
	if (o->threads < 0 || o->threads > 1024)
		return cli_usage_error(cli, "--threads needs a number from 0 "
			"to 1024, not %d", o->threads);
	vo.read_data = !o->no_read_data;
	vo.threads = o->threads;
	vo.finding = finding_cb;
	vo.progress = progress_cb;
	vo.payload = cli;
	if (o->remote)
		return verify_remote(cli, &vo, o->remote);
	memset(&st, 0, sizeof(st));
	rc = arca_verify(&st, cli->repo, &vo, &err);
	cli_progress_done(cli);
	if (rc < 0 && rc != ARCA_EVERIFY)
		return cli_fail(cli, rc, &err);
	if (cli->json)
		print_json_summary(&st, vo.read_data, NULL, 0);
	else if (!cli->quiet || rc < 0)
		print_summary(&st, vo.read_data);
	return cli_exit_code(rc);
}
