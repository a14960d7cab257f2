/* Errors, warnings, progress and small formatting helpers for commands. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include "cli.h"

int cli_exit_code(int rc)
{
	switch (rc) {
	case ARCA_OK: return EXIT_OK;
	case ARCA_EVERIFY:
	case ARCA_ECORRUPT: return EXIT_VERIFY;
	case ARCA_ELOCKED: return EXIT_LOCKED;
	case ARCA_EREMOTE: return EXIT_REMOTE;
	case ARCA_EPOLICY: return EXIT_POLICY;
	default: return EXIT_FAILURE_;
	}
}

int cli_fail(arca_cli *cli, int rc, const arca_error *err)
{
	cli_progress_done(cli);
	fflush(stdout);
	fprintf(stderr, "arca: error: %s\n",
		err && err->msg[0] ? err->msg : arca_error_name(rc));
	return cli_exit_code(rc);
}

int cli_usage_error(arca_cli *cli, const char *fmt, ...)
{
	va_list ap;

	(void)cli;
	fprintf(stderr, "arca: error: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return EXIT_USAGE;
}

void cli_warn(arca_cli *cli, const char *fmt, ...)
{
	va_list ap;

	if (cli->quiet)
		return;
	cli_progress_done(cli);
	fprintf(stderr, "arca: warning: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

void cli_progress(arca_cli *cli, const char *what, uint64_t n,
	uint64_t bytes)
{
	char sz[32];

	if (!cli->progress)
		return;
	fprintf(stderr, "\r%s: %llu, %s   ", what, (unsigned long long)n,
		cli_size(sz, bytes));
	cli->meter_shown = 1;
}

void cli_progress_done(arca_cli *cli)
{
	if (cli->progress && cli->meter_shown) {
		fputs("\r\033[K", stderr);
		cli->meter_shown = 0;
	}
}

const char *cli_size(char buf[32], uint64_t bytes)
{
	static const char *units[] = { "B", "KiB", "MiB", "GiB", "TiB", "PiB" };
	double v = (double)bytes;
	int u = 0;

	while (v >= 1024 && u < 5) {
		v /= 1024;
		u++;
	}
	if (u == 0)
		snprintf(buf, 32, "%llu B", (unsigned long long)bytes);
	else
		snprintf(buf, 32, "%.1f %s", v, units[u]);
	return buf;
}

const char *cli_short_id(char buf[16], const arca_id *id)
{
	char hex[ARCA_ID_HEXSZ + 1];

	arca_id_hex(hex, id);
	snprintf(buf, 16, "%.12s", hex);
	return buf;
}

void cli_json_print(const char *text)
{
	fputs(text, stdout);
	fputc('\n', stdout);
}

int cli_snapshot_arg(arca_cli *cli, const char *arg, arca_id *id,
	const char **subpath)
{
	arca_error err = ARCA_ERROR_INIT;
	const char *colon = strchr(arg, ':');
	char snap[128];
	int rc;

	/* "sha256:<hex>" has a colon of its own. */
	if (colon && !strncmp(arg, ARCA_ID_PREFIX, 7))
		colon = strchr(arg + 7, ':');
	if ((colon ? (size_t)(colon - arg) : strlen(arg)) >= sizeof(snap))
		return cli_usage_error(cli, "'%s' is not a snapshot", arg);
	snprintf(snap, sizeof(snap), "%.*s",
		(int)(colon ? colon - arg : (long)strlen(arg)), arg);
	*subpath = colon ? colon + 1 : "";
	while (**subpath == '/')
		(*subpath)++;
	if ((rc = arca_snapshot_resolve(id, cli->repo, snap, &err)) < 0)
		return cli_fail(cli, rc, &err);
	return -1;
}

void cli_warn_cb(const char *path, const char *msg, void *payload)
{
	cli_warn(payload, "%s: %s", path, msg);
}

void cli_progress_cb(uint64_t files, uint64_t bytes, void *payload)
{
	cli_progress(payload, "files", files, bytes);
}
