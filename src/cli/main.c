/* arca: global options, the command table, dispatch, exit codes. */
#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "cli.h"
#include "sign_out.h"

typedef struct cmd_row {
	const char *name, *summary;
	unsigned flags;
	const char *kind;
	int (*fn)(arca_cli *, void *, int, char **);
	const arca_cli_spec *spec;
} cmd_row;

static const cmd_row commands[] = {
#define ARCA_CMD(n, s, f, k) { #n, s, f, #k, cmd_##n, &cmd_##n##_spec },
#define ARCA_SUBCMD(g, n, s, f, k) \
	{ #g " " #n, s, f, #k, cmd_##g##_##n, &cmd_##g##_##n##_spec },
#define ARCA_CMD_AS(str, n, s, f, k) \
	{ str, s, f, #k, cmd_##n, &cmd_##n##_spec },
#include "commands.h"
#undef ARCA_CMD_AS
#undef ARCA_SUBCMD
#undef ARCA_CMD
};

#define NCOMMANDS (sizeof(commands) / sizeof(commands[0]))

static const arca_cli_opt global_opts[] = {
	{ "repo", 'r', OPT_STRING, 0, "URL",
	  "repository (default: $ARCA_REPO, else ./.arca)" },
	{ "endpoint", 0, OPT_STRING, 0, "URL",
	  "S3 endpoint (default: $AWS_ENDPOINT_URL, else AWS)" },
	{ "region", 0, OPT_STRING, 0, "REGION",
	  "S3 region (default: $AWS_REGION, else us-east-1)" },
	{ "path-style", 0, OPT_FLAG, 0, NULL,
	  "S3 path-style addressing (default with an endpoint)" },
	{ "virtual-hosted", 0, OPT_FLAG, 0, NULL,
	  "S3 virtual-hosted addressing (default on AWS)" },
	{ "json", 0, OPT_FLAG, 0, NULL, "machine-readable output" },
	{ "quiet", 'q', OPT_FLAG, 0, NULL, "no progress, no warnings" },
	{ "verbose", 'v', OPT_FLAG, 0, NULL, "more detail (repeatable)" },
	{ "help", 'h', OPT_FLAG, 0, NULL, "show this help" },
	{ NULL, 0, 0, 0, NULL, NULL }
};

static void print_opts(FILE *f, const arca_cli_opt *o)
{
	for (; o && o->name; o++) {
		char left[64];
		snprintf(left, sizeof(left), "%s%c%s--%s%s%s",
			o->short_name ? "-" : "", o->short_name ? o->short_name : ' ',
			o->short_name ? ", " : "  ", o->name, o->arg ? " " : "",
			o->arg ? o->arg : "");
		fprintf(f, "  %-28s %s\n", o->short_name ? left : left + 1,
			o->help);
	}
}

static void usage_main(FILE *f)
{
	fprintf(f, "usage: arca [--repo URL] [--json] [--quiet] [-v] COMMAND "
		"[ARGS]\n\narca keeps content-addressed, verifiable archives of "
		"datasets and training runs.\n\ncommands:\n");
	for (size_t i = 0; i < NCOMMANDS; i++)
		fprintf(f, "  %-18s %s\n", commands[i].name,
			commands[i].summary);
	fprintf(f, "\nglobal options:\n");
	print_opts(f, global_opts);
	fprintf(f, "\n'arca COMMAND --help' describes a command. Exit codes: "
		"0 ok, 1 failure, 2 usage,\n3 verification failed, 4 repository "
		"busy, 5 remote unreachable, 6 refused by policy.\n");
}

static void usage_cmd(FILE *f, const cmd_row *c)
{
	fprintf(f, "usage: arca %s %s\n\n%s\n", c->name, c->spec->usage,
		c->spec->description);
	if (c->spec->opts && c->spec->opts->name) {
		fprintf(f, "\noptions:\n");
		print_opts(f, c->spec->opts);
	}
	fprintf(f, "\nglobal options:\n");
	print_opts(f, global_opts);
}

/* The global option called name (name_len bytes), or NULL. */
static const arca_cli_opt *find_global(const char *name, size_t name_len)
{
	for (const arca_cli_opt *o = global_opts; o->name; o++)
		if (strlen(o->name) == name_len &&
			!strncmp(o->name, name, name_len))
			return o;
	return NULL;
}

/* Applies a global option; returns 1 if name is one. */
static int global_opt(arca_cli *cli, const char *name, char shrt,
	const char *arg, int *help)
{
	if ((name && !strcmp(name, "repo")) || shrt == 'r')
		cli->repo_url = arg;
	else if (name && !strcmp(name, "endpoint"))
		cli->store.endpoint = arg;
	else if (name && !strcmp(name, "region"))
		cli->store.region = arg;
	else if (name && !strcmp(name, "path-style"))
		cli->store.path_style = 1, cli->style_flags |= 1;
	else if (name && !strcmp(name, "virtual-hosted"))
		cli->store.path_style = 0, cli->style_flags |= 2;
	else if (name && !strcmp(name, "json"))
		cli->json = 1;
	else if ((name && !strcmp(name, "quiet")) || shrt == 'q')
		cli->quiet = 1;
	else if ((name && !strcmp(name, "verbose")) || shrt == 'v')
		cli->verbose++;
	else if ((name && !strcmp(name, "help")) || shrt == 'h')
		*help = 1;
	else
		return 0;
	return 1;
}

/* Builds getopt_long tables from the command's and the global options. */
static int parse(arca_cli *cli, const arca_cli_opt *opts, void *values,
	int argc, char **argv, int *help)
{
	struct option lo[96];
	char so[200];
	size_t n = 0, s = 0;
	const arca_cli_opt *tables[2] = { global_opts, opts }, *o;
	int c, idx;

	so[s++] = ':'; /* report a missing value as ':' */
	for (int t = 0; t < 2; t++)
		for (o = tables[t]; o && o->name && n < 95; o++) {
			lo[n].name = o->name;
			lo[n].has_arg = o->kind == OPT_FLAG ? no_argument :
				required_argument;
			lo[n].flag = NULL;
			lo[n].val = 256 + (int)(t * 128 + (o - tables[t]));
			n++;
			if (o->short_name && s < sizeof(so) - 3) {
				so[s++] = o->short_name;
				if (o->kind != OPT_FLAG)
					so[s++] = ':';
			}
		}
	memset(&lo[n], 0, sizeof(lo[n]));
	so[s] = '\0';
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, so, lo, &idx)) != -1) {
		if (c == '?' || c == ':') {
			const char *bad = argv[optind - 1];
			return cli_usage_error(cli, c == ':' ?
				"option '%s' needs a value" :
				"unknown option '%s'", bad);
		}
		if (c < 256) { /* a short option: find its row */
			for (int t = 0; t < 2; t++)
				for (o = tables[t]; o && o->name; o++)
					if (o->short_name == c)
						c = 256 + (int)(t * 128 +
							(o - tables[t]));
		}
		int t = (c - 256) / 128;
		o = &tables[t][(c - 256) % 128];
		if (t == 0) {
			global_opt(cli, o->name, 0, optarg, help);
			continue;
		}
		char *field = (char *)values + o->offset;
		if (o->kind == OPT_FLAG) {
			(*(int *)field)++;
		} else if (o->kind == OPT_STRING) {
			*(const char **)field = optarg;
		} else if (o->kind == OPT_LIST) {
			cli_list *l = (cli_list *)field;
			const char **nv = realloc(l->v, (l->n + 1) *
				sizeof(*nv));
			if (!nv)
				return cli_usage_error(cli, "out of memory");
			l->v = nv;
			l->v[l->n++] = optarg;
		} else {
			char *end;
			long v;
			errno = 0;
			v = strtol(optarg, &end, 10);
			if (errno || *end || end == optarg || v < -1000000000 ||
				v > 1000000000)
				return cli_usage_error(cli,
					"option '--%s' needs a number, not '%s'",
					o->name, optarg);
			*(int *)field = (int)v;
		}
	}
	return -1;
}

static int open_repo(arca_cli *cli, unsigned flags)
{
	arca_error err = ARCA_ERROR_INIT;
	int rc;

	if (!(flags & CMD_REPO))
		return -1;
	if ((rc = arca_repo_open_with(&cli->repo, cli->repo_url, &cli->store,
		&err)) < 0)
		return cli_fail(cli, rc, &err);
	if ((rc = cli_signing_setup(cli)) >= 0) /* sign_out.c */
		return rc;
	if (flags & (CMD_LOCK_SHARED | CMD_LOCK_EXCLUSIVE)) {
		rc = arca_repo_lock(cli->repo, !!(flags & CMD_LOCK_EXCLUSIVE),
			&err);
		if (rc < 0)
			return cli_fail(cli, rc, &err);
	}
	if ((flags & CMD_CATALOG) && (rc = arca_catalog_open(&cli->catalog,
		cli->repo, NULL, &err)) < 0)
		return cli_fail(cli, rc, &err);
	if (cli->catalog && arca_catalog_skipped(cli->catalog))
		cli_warn(cli, "%d catalog records could not be read and are left "
			"out: run 'arca verify'",
			arca_catalog_skipped(cli->catalog));
	return -1;
}

static int run(arca_cli *cli, const cmd_row *c, int argc, char **argv,
	int help)
{
	void *values = calloc(1, c->spec->opts_size ? c->spec->opts_size : 1);
	int rc;

	if (!values)
		return cli_usage_error(cli, "out of memory");
	if ((rc = parse(cli, c->spec->opts, values, argc, argv, &help)) >= 0)
		goto done;
	if (help) {
		usage_cmd(stdout, c);
		rc = EXIT_OK;
		goto done;
	}
	argc -= optind;
	argv += optind;
	if (argc < c->spec->min_args ||
		(c->spec->max_args >= 0 && argc > c->spec->max_args)) {
		rc = cli_usage_error(cli, "usage: arca %s %s", c->name,
			c->spec->usage);
		goto done;
	}
	if (!cli->repo_url || !*cli->repo_url)
		cli->repo_url = getenv("ARCA_REPO");
	if (!cli->repo_url || !*cli->repo_url)
		cli->repo_url = ".arca";
	if (cli->style_flags == 3) {
		rc = cli_usage_error(cli, "--path-style and --virtual-hosted "
			"exclude each other");
		goto done;
	}
	cli->progress = !cli->json && !cli->quiet && isatty(2);
	if ((rc = open_repo(cli, c->flags)) >= 0)
		goto done;
	rc = c->fn(cli, values, argc, argv);
done:
	arca_catalog_free(cli->catalog);
	cli->catalog = NULL;
	arca_repo_free(cli->repo); /* releases the lock */
	cli->repo = NULL;
	for (const arca_cli_opt *o = c->spec->opts; o && o->name; o++)
		if (o->kind == OPT_LIST)
			free(((cli_list *)((char *)values + o->offset))->v);
	free(values);
	return rc;
}

/* The command argv names: "snapshot", or two words "dataset add". *used
 * gets how many words it took; NULL when none matches. */
static const cmd_row *find_cmd(int argc, char **argv, int *used)
{
	size_t n = strlen(argv[0]);

	for (size_t k = 0; k < NCOMMANDS; k++) {
		const char *name = commands[k].name;
		if (!strcmp(name, argv[0])) {
			*used = 1;
			return &commands[k];
		}
		if (argc > 1 && !strncmp(name, argv[0], n) && name[n] == ' ' &&
			!strcmp(name + n + 1, argv[1])) {
			*used = 2;
			return &commands[k];
		}
	}
	return NULL;
}

/* For "arca GROUP" alone or with an unknown subcommand: the group's
 * commands, or 0 when argv[0] is no group. */
static int group_usage(FILE *f, const char *group)
{
	size_t n = strlen(group);
	int found = 0;

	for (size_t k = 0; k < NCOMMANDS; k++)
		if (!strncmp(commands[k].name, group, n) &&
			commands[k].name[n] == ' ') {
			if (!found++)
				fprintf(f, "usage: arca %s COMMAND [ARGS]\n\n"
					"commands:\n", group);
			fprintf(f, "  %-18s %s\n", commands[k].name,
				commands[k].summary);
		}
	return found;
}

int main(int argc, char **argv)
{
	arca_cli cli;
	int i, help = 0;

	memset(&cli, 0, sizeof(cli));
	cli.store = (arca_store_opts)ARCA_STORE_OPTS_INIT;
	setvbuf(stdout, NULL, _IOFBF, 1 << 16);
	/* Global options before the command. */
	for (i = 1; i < argc && argv[i][0] == '-'; i++) {
		const char *a = argv[i];
		if (!strcmp(a, "--version")) {
			printf("arca %s\n", arca_version());
			return EXIT_OK;
		}
		if (a[1] == '-' || !strcmp(a, "-r")) {
			/* --name, --name VALUE or --name=VALUE; -r VALUE */
			const char *eq = strchr(a, '='), *name = a[1] == '-' ?
				a + 2 : "repo";
			const arca_cli_opt *o = find_global(name,
				eq ? (size_t)(eq - name) : strlen(name));

			if (!o || (eq && o->kind == OPT_FLAG))
				return cli_usage_error(&cli,
					"unknown option '%s'", a);
			if (o->kind == OPT_FLAG)
				global_opt(&cli, o->name, 0, NULL, &help);
			else if (eq)
				global_opt(&cli, o->name, 0, eq + 1, &help);
			else if (++i == argc)
				return cli_usage_error(&cli,
					"option '%s' needs a value", a);
			else
				global_opt(&cli, o->name, 0, argv[i], &help);
		} else {
			/* A cluster of short flags: -vv, -qh. */
			for (const char *p = a + 1; *p; p++)
				if (*p == 'r' || !global_opt(&cli, NULL, *p, NULL,
					&help))
					return cli_usage_error(&cli,
						"unknown option '%s'", a);
			if (!a[1])
				return cli_usage_error(&cli,
					"unknown option '%s'", a);
		}
	}
	if (i == argc || !strcmp(argv[i], "help")) {
		const char *topic = i + 1 < argc ? argv[i + 1] : NULL;
		if (topic) {
			int used;
			const cmd_row *c = find_cmd(argc - i - 1, argv + i + 1,
				&used);
			if (c) {
				usage_cmd(stdout, c);
				return EXIT_OK;
			}
			if (group_usage(stdout, topic))
				return EXIT_OK;
			return cli_usage_error(&cli, "no such command '%s'",
				topic);
		}
		usage_main(i == argc && !help ? stderr : stdout);
		return i == argc && !help ? EXIT_USAGE : EXIT_OK;
	}
	{
		int used;
		const cmd_row *c = find_cmd(argc - i, argv + i, &used);
		if (c) {
			cli.cmd_name = c->name;
			return run(&cli, c, argc - i - used + 1,
				argv + i + used - 1, help);
		}
	}
	if (group_usage(help ? stdout : stderr, argv[i]))
		return help ? EXIT_OK : EXIT_USAGE;
	return cli_usage_error(&cli, "'%s' is not an arca command; see "
		"'arca --help'", argv[i]);
}
