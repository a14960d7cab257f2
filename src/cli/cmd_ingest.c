/* arca ingest: new data from drop folders, archives and URLs. */
#include <signal.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <jansson.h>
#include "cli.h"
#include "arca/catalog.h"
#include "arca/ingest.h"

struct ingest_opts {
	int once, watch;
	const char *interval, *source;
	int threads;
};

static const arca_cli_opt opts[] = {
	{ "once", 0, OPT_FLAG, offsetof(struct ingest_opts, once), NULL,
	  "one pass over the sources, then exit (the default)" },
	{ "watch", 0, OPT_FLAG, offsetof(struct ingest_opts, watch), NULL,
	  "a pass every --interval until SIGINT or SIGTERM" },
	{ "interval", 0, OPT_STRING, offsetof(struct ingest_opts, interval),
	  "DURATION", "time between passes with --watch (default 60s)" },
	{ "source", 's', OPT_STRING, offsetof(struct ingest_opts, source),
	  "NAME[,NAME...]", "run only these sources" },
	{ "threads", 0, OPT_INT, offsetof(struct ingest_opts, threads), "N",
	  "compression threads (default: one per CPU)" },
	{ NULL, 0, 0, 0, NULL, NULL }
};

const arca_cli_spec cmd_ingest_spec = {
	"[options] CONFIG.yaml",
	"Registers new data from the sources of CONFIG.yaml (see\n"
	"formats/ingest-config.md) as new versions of their catalog datasets:\n"
	"complete new items of drop folders, changed archive files, changed\n"
	"http(s) URLs (fetched with conditional requests). Each source's\n"
	"hooks run on a staged copy first; a failing hook registers nothing.\n"
	"What was ingested is recorded with each version, so a second pass\n"
	"registers nothing new. Exit status: 0 ok, 1 a source failed, 4 a\n"
	"source was busy (another ingest holds its lock).",
	opts, sizeof(struct ingest_opts), 1, 1
};

/* Set by SIGINT / SIGTERM during --watch. */
static volatile sig_atomic_t stop_requested;

static void on_signal(int sig)
{
	(void)sig;
	stop_requested = 1;
}

static void warn_cb(const char *path, const char *msg, void *payload)
{
	cli_warn(payload, "%s: %s", path, msg);
}

static void progress_cb(uint64_t files, uint64_t bytes, void *payload)
{
	cli_progress(payload, "files", files, bytes);
}

static void tick_cb(void *payload)
{
	arca_cli *cli = payload;

	/* keep the shared repository lock fresh during long runs */
	(void)arca_repo_lock_refresh(cli->repo, NULL);
}

static void print_json(const arca_ingest_event *ev)
{
	json_t *j = json_pack("{s:s, s:s, s:s, s:s}", "source", ev->source,
		"kind", ev->kind, "dataset", ev->dataset, "status",
		arca_ingest_status_name(ev->status));
	char *text;

	if (!j)
		return;
	json_object_set_new(j, "item", ev->item ? cli_json_text(ev->item) :
		json_null());
	json_object_set_new(j, "message", ev->message ?
		cli_json_text(ev->message) : json_null());
	json_object_set_new(j, "version", ev->version ?
		json_integer(ev->version->version) : json_null());
	if (ev->version) {
		char id[ARCA_ID_STRSZ];
		arca_id_str(id, &ev->version->snapshot);
		json_object_set_new(j, "snapshot", json_string(id));
		json_object_set_new(j, "rows",
			json_integer(ev->version->rows));
	}
	if (ev->status == ARCA_INGEST_SKIPPED)
		json_object_set_new(j, "busy", json_boolean(ev->busy));
	text = json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS);
	if (text)
		cli_json_print(text);
	free(text);
	json_decref(j);
}

/* "SOURCE: ITEM: " (ITEM quoted when needed, left out when with_item is
 * 0 or there is none). */
static void prefix(FILE *f, const arca_ingest_event *ev, int with_item)
{
	fprintf(f, "%s: ", ev->source);
	if (with_item && ev->item) {
		cli_quote(f, ev->item, 0);
		fputs(": ", f);
	}
}

static void report_cb(const arca_ingest_event *ev, void *payload)
{
	arca_cli *cli = payload;
	const char *msg = ev->message ? ev->message : "";

	cli_progress_done(cli);
	if (ev->status == ARCA_INGEST_FAILED) {
		fflush(stdout);
		/* the errors of url and archive sources name them already */
		fputs("arca: error: source ", stderr);
		prefix(stderr, ev, !strcmp(ev->kind, "folder"));
		fprintf(stderr, "%s\n", msg[0] ? msg : "failed");
	}
	if (cli->json) {
		print_json(ev);
		return;
	}
	if (ev->status == ARCA_INGEST_SKIPPED && ev->busy) {
		cli_warn(cli, "source %s: %s", ev->source, msg);
		return;
	}
	if (cli->quiet || ev->status == ARCA_INGEST_FAILED ||
		(ev->status == ARCA_INGEST_UNCHANGED && !cli->verbose))
		return;
	prefix(stdout, ev, 1);
	if (ev->status == ARCA_INGEST_ADDED)
		printf("added %s@%lld (%lld rows)\n", ev->dataset,
			(long long)ev->version->version,
			(long long)ev->version->rows);
	else
		printf("%s: %s\n", ev->status == ARCA_INGEST_SKIPPED ?
			"skipped" : "unchanged", msg);
}

/* "a,b,c" into a NULL-terminated array of pointers into buf. */
static const char **split_sources(char *buf)
{
	size_t n = 1;
	const char **v;

	for (char *p = buf; *p; p++)
		n += *p == ',';
	if (!(v = calloc(n + 1, sizeof(*v))))
		return NULL;
	n = 0;
	for (char *tok = strtok(buf, ","); tok; tok = strtok(NULL, ","))
		v[n++] = tok;
	return v;
}

/* -1 when every name is a source of cfg, else the usage error's code. */
static int check_sources(arca_cli *cli, const arca_ingest_config *cfg,
	const char **names)
{
	for (size_t i = 0; names && names[i]; i++) {
		size_t k = 0, n = arca_ingest_config_count(cfg);
		while (k < n && strcmp(arca_ingest_config_name(cfg, k),
			names[i]))
			k++;
		if (k == n)
			return cli_usage_error(cli, "--source: no source named "
				"'%s' in the configuration", names[i]);
	}
	if (names && !names[0])
		return cli_usage_error(cli, "--source needs a source name");
	return -1;
}

/* Sleeps up to ms in short steps, refreshing the lock; stops early on a
 * signal. */
static void nap(arca_cli *cli, int64_t ms)
{
	struct timespec step = { 0, 100 * 1000000 };

	for (int64_t slept = 0; slept < ms && !stop_requested; slept += 100) {
		nanosleep(&step, NULL);
		if (slept % 10000 == 0)
			tick_cb(cli);
	}
}

static int exit_code(const arca_ingest_summary *sum)
{
	if (sum->failed)
		return EXIT_FAILURE_;
	return sum->busy ? EXIT_LOCKED : EXIT_OK;
}

static void print_summary(arca_cli *cli, const arca_ingest_summary *s)
{
	if (cli->json || cli->quiet)
		return;
	printf("ingest: %u added, %u unchanged, %u skipped, %u failed\n",
		s->added, s->unchanged, s->skipped, s->failed);
	fflush(stdout);
}

static int run_passes(arca_cli *cli, arca_catalog *cat,
	const arca_ingest_config *cfg, const arca_ingest_opts *io,
	int watch, int64_t interval_ms)
{
	arca_error err = ARCA_ERROR_INIT;
	arca_ingest_summary sum;
	int rc;

	for (;;) {
		memset(&sum, 0, sizeof(sum));
		rc = arca_ingest_run_once(cat, cfg, io, &sum, &err);
		cli_progress_done(cli);
		if (rc < 0)
			return cli_fail(cli, rc, &err);
		if (!watch || sum.added || sum.failed)
			print_summary(cli, &sum);
		if (!watch)
			return exit_code(&sum);
		fflush(stdout);
		nap(cli, interval_ms);
		if (stop_requested)
			return EXIT_OK;
	}
}

int cmd_ingest(arca_cli *cli, void *optsp, int argc, char **argv)
{
	struct ingest_opts *o = optsp;
	arca_ingest_opts io = ARCA_INGEST_OPTS_INIT;
	arca_error err = ARCA_ERROR_INIT;
	arca_ingest_config *cfg = NULL;
	arca_catalog *cat = NULL;
	struct sigaction sa;
	int64_t interval_ms = 60000;
	char *names_buf = NULL;
	const char **names = NULL;
	int rc;

	(void)argc;
	if (o->once && o->watch)
		return cli_usage_error(cli, "--once and --watch exclude each "
			"other");
	if (o->interval && !o->watch)
		return cli_usage_error(cli, "--interval needs --watch");
	if (o->interval && (arca_ingest_duration_parse(&interval_ms,
		o->interval, &err) < 0 || interval_ms <= 0))
		return cli_usage_error(cli, "--interval: %s", err.msg[0] ?
			err.msg : "must be longer than 0");
	if (o->source) {
		if (!(names_buf = strdup(o->source)) ||
			!(names = split_sources(names_buf))) {
			free(names_buf);
			return cli_usage_error(cli, "out of memory");
		}
		io.sources = names;
	}
	if ((rc = arca_ingest_config_load(&cfg, argv[0], &err)) < 0) {
		rc = cli_fail(cli, rc, &err);
		goto done;
	}
	if ((rc = check_sources(cli, cfg, names)) >= 0)
		goto done;
	if ((rc = arca_catalog_open(&cat, cli->repo, NULL, &err)) < 0) {
		rc = cli_fail(cli, rc, &err);
		goto done;
	}
	io.threads = o->threads;
	io.stop = &stop_requested;
	io.report = report_cb;
	io.warn = warn_cb;
	io.progress = progress_cb;
	io.tick = tick_cb;
	io.payload = cli;
	if (o->watch) {
		memset(&sa, 0, sizeof(sa));
		sa.sa_handler = on_signal;
		sa.sa_flags = SA_RESTART; /* the current item goes on */
		sigemptyset(&sa.sa_mask);
		sigaction(SIGINT, &sa, NULL);
		sigaction(SIGTERM, &sa, NULL);
	}
	rc = run_passes(cli, cat, cfg, &io, o->watch, interval_ms);
done:
	arca_catalog_free(cat);
	arca_ingest_config_free(cfg);
	free(names);
	free(names_buf);
	return rc;
}
