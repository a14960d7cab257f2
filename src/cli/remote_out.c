/* Shared by push, pull and verify --remote: finding and opening the
 * remote, running a transfer, and its progress, problems and summary. */
#include <stdlib.h>
#include <string.h>
#include <jansson.h>
#include "remote_out.h"

const char *cli_size_dec(char buf[32], double bytes)
{
	static const char *units[] = { "B", "kB", "MB", "GB", "TB", "PB" };
	int u = 0;

	while (bytes >= 1000 && u < 5) {
		bytes /= 1000;
		u++;
	}
	if (u == 0)
		snprintf(buf, 32, "%.0f B", bytes);
	else
		snprintf(buf, 32, "%.1f %s", bytes, units[u]);
	return buf;
}

int cli_remote_open(arca_cli *cli, arca_repo *local, const char *spec,
	arca_remote *rm, arca_repo **out, arca_error *err)
{
	arca_store_opts so;
	int rc;

	if ((rc = arca_remote_resolve(rm, local, spec, &cli->store, err)) < 0)
		return rc;
	so = arca_remote_store_opts(rm);
	if ((rc = arca_repo_open_with(out, rm->url, &so, err)) < 0) {
		if (rc == ARCA_ENOTFOUND)
			arca_error_set(err, rc, "no repository at remote '%s'%s%s"
				"%s", rm->name ? rm->name : rm->url,
				rm->name ? " (" : "", rm->name ? rm->url : "",
				rm->name ? ")" : "");
		arca_remote_dispose(rm);
	}
	return rc;
}

/* ------------------------------------------------------------ callbacks */

typedef struct run {
	arca_cli *cli;
	const char *verb; /* "push", "pull" */
} run;

static void progress(uint64_t done, uint64_t total, uint64_t bytes,
	void *payload)
{
	run *r = payload;
	char sz[32];

	if (!r->cli->progress)
		return;
	fprintf(stderr, "\r%s: %llu/%llu objects, %s   ", r->verb,
		(unsigned long long)done, (unsigned long long)total,
		cli_size(sz, bytes));
	r->cli->meter_shown = 1;
}

static void problem(const arca_transfer_problem *p, void *payload)
{
	run *r = payload;
	const char *what = p->code == ARCA_EEXISTS ? "conflict" : "corrupt";
	json_t *j;
	char *text;

	cli_progress_done(r->cli);
	if (!r->cli->json) {
		fprintf(stderr, "arca: error: ");
		cli_quote(stderr, p->message, 0);
		fputc('\n', stderr);
		return;
	}
	j = json_pack("{s:s, s:s, s:s, s:o, s:o}", "type", "problem",
		"problem", what, "kind", p->kind, "name", cli_json_text(p->name),
		"message", cli_json_text(p->message));
	if ((text = json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS)))
		cli_json_print(text);
	free(text);
	json_decref(j);
}

/* -------------------------------------------------------------- summary */

static void summary(arca_cli *cli, int pull, const arca_remote *rm,
	const arca_transfer_stats *st, int rc)
{
	double secs = st->seconds > 0.001 ? st->seconds : 0.001;
	char sz[32], rate[32];
	json_t *j;
	char *text;

	if (cli->json) {
		j = json_pack("{s:s, s:s, s:o, s:o, s:I, s:I, s:I, s:I, s:I, "
			"s:I, s:I, s:I, s:I, s:f, s:b}", "type", "summary",
			"direction", pull ? "pull" : "push",
			"remote", cli_json_text(rm->name ? rm->name : rm->url),
			"url", cli_json_text(rm->url),
			"objects", (json_int_t)st->objects,
			"objects_skipped", (json_int_t)st->objects_skipped,
			"bytes", (json_int_t)st->bytes,
			"records", (json_int_t)st->records,
			"records_skipped", (json_int_t)st->records_skipped,
			"refs", (json_int_t)st->refs,
			"refs_skipped", (json_int_t)st->refs_skipped,
			"not_copied", (json_int_t)st->not_copied,
			"conflicts", (json_int_t)st->conflicts,
			"seconds", st->seconds, "ok", rc == 0);
		if ((text = json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS |
			JSON_REAL_PRECISION(6))))
			cli_json_print(text);
		free(text);
		json_decref(j);
		return;
	}
	if (cli->quiet && rc == 0)
		return;
	printf("%s %llu %s (%llu skipped), %llu %s, %llu %s: %s in %.1f s, "
		"%s/s\n", pull ? "pulled" : "pushed",
		(unsigned long long)st->objects,
		st->objects == 1 ? "object" : "objects",
		(unsigned long long)st->objects_skipped,
		(unsigned long long)st->records,
		st->records == 1 ? "record" : "records",
		(unsigned long long)st->refs, st->refs == 1 ? "ref" : "refs",
		cli_size_dec(sz, (double)st->bytes), st->seconds,
		cli_size_dec(rate, (double)st->bytes / secs));
}

/* ------------------------------------------------------------ transfer */

static int usage_parallel(arca_cli *cli, int parallel)
{
	return cli_usage_error(cli, "--parallel needs a number from 1 to 256, "
		"not %d", parallel);
}

int cli_transfer(arca_cli *cli, int pull, int parallel, int argc,
	char **argv)
{
	arca_transfer_opts o = ARCA_TRANSFER_OPTS_INIT;
	arca_transfer_stats st;
	arca_error err = ARCA_ERROR_INIT;
	arca_remote rm = { NULL, NULL, NULL, NULL, -1 };
	arca_repo *local = pull ? NULL : cli->repo, *remote = NULL;
	arca_store_opts so;
	run r = { cli, pull ? "pull" : "push" };
	int rc;

	if (parallel < 0 || parallel > 256)
		return usage_parallel(cli, parallel);
	memset(&st, 0, sizeof(st));
	o.parallel = parallel;
	o.pull = pull;
	o.progress = progress;
	o.problem = problem;
	o.payload = &r;
	if (pull) {
		/* The local repository may not exist yet: it becomes a copy. */
		rc = arca_repo_open_with(&local, cli->repo_url, &cli->store,
			&err);
		if (rc == ARCA_ENOTFOUND)
			arca_error_clear(&err);
		else if (rc < 0)
			return cli_fail(cli, rc, &err);
		if ((rc = cli_remote_open(cli, local, argv[0], &rm, &remote,
			&err)) < 0)
			goto fail;
		o.remote = rm.name ? rm.name : rm.url;
		if (!local && (rc = arca_transfer_open(&local, cli->repo_url,
			&cli->store, remote, &o, &err)) < 0)
			goto fail;
		rc = arca_transfer(local, remote, (const char *const *)argv + 1,
			(size_t)argc - 1, &o, &st, &err);
	} else {
		if ((rc = arca_remote_resolve(&rm, local, argv[0], &cli->store,
			&err)) < 0)
			goto fail;
		o.remote = rm.name ? rm.name : rm.url;
		so = arca_remote_store_opts(&rm);
		if ((rc = arca_transfer_open(&remote, rm.url, &so, local, &o,
			&err)) < 0)
			goto fail;
		rc = arca_transfer(remote, local, (const char *const *)argv + 1,
			(size_t)argc - 1, &o, &st, &err);
	}
	cli_progress_done(cli);
	summary(cli, pull, &rm, &st, rc);
	if (rc < 0 && rc != ARCA_ECORRUPT && rc != ARCA_EEXISTS &&
		(st.objects || st.records || st.refs))
		arca_error_prefix(&err, "%s stopped (run it again to finish it; "
			"nothing names what is not there yet)", r.verb);
fail:
	rc = rc < 0 ? cli_fail(cli, rc, &err) : EXIT_OK;
	arca_repo_free(remote);
	if (pull)
		arca_repo_free(local);
	arca_remote_dispose(&rm);
	return rc;
}
