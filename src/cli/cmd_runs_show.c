/* arca runs show: a run's parameters, inputs, stages, metrics, outputs */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cli.h"

struct runs_show_opts {
	int unused;
};

static const arca_cli_opt opts[] = {
	{ NULL, 0, 0, 0, NULL, NULL }
};

const arca_cli_spec cmd_runs_show_spec = {
	"RUN",
	"Shows a run as its latest record says, also while it runs: template,\n"
	"status, resolved parameters, input dataset versions, code, every\n"
	"stage (status, exit, time, CPU, peak memory), metrics, outputs,\n"
	"gates, approvals, interruptions and the adapter it published.\n"
	"--json prints the record itself (formats/run-manifest.md).",
	opts, sizeof(struct runs_show_opts), 1, 1
};

static const char *str(json_t *o, const char *k)
{
	const char *s = json_string_value(json_object_get(o, k));

	return s ? s : "";
}

static long long num(json_t *o, const char *k)
{
	return (long long)json_integer_value(json_object_get(o, k));
}

static void show_stage(json_t *st)
{
	json_t *res = json_object_get(st, "resources"), *v, *o;
	const char *k;
	char sz[32];

	printf("  %-14s %-11s", str(st, "name"), str(st, "status"));
	if (json_object_get(st, "exit_code"))
		printf(" exit %lld", num(st, "exit_code"));
	else if (*str(st, "end"))
		printf(" %s", str(st, "end"));
	if (res)
		printf("  %lld.%03llds wall, %lld ms cpu, %s peak",
			num(res, "wall_ms") / 1000, num(res, "wall_ms") % 1000,
			num(res, "user_ms") + num(res, "sys_ms"),
			cli_size(sz, (uint64_t)num(res, "max_rss")));
	printf("\n");
	if (*str(st, "message"))
		printf("      %s\n", str(st, "message"));
	json_object_foreach(json_object_get(st, "metrics"), k, v) {
		printf("      metric %s = ", k);
		cli_value_print(stdout, v);
		printf("\n");
	}
	json_object_foreach(json_object_get(st, "outputs"), k, o)
		printf("      output %s (%s) %s: %.19s snapshot %.19s\n", k,
			str(o, "kind"), str(o, "path"), str(o, "digest"),
			str(o, "snapshot"));
}

int cmd_runs_show(arca_cli *cli, void *optsp, int argc, char **argv)
{
	json_t *doc, *v, *ns, *in, *g;
	const char *k, *kk;
	arca_id run;
	size_t i;
	int rc;

	(void)optsp;
	(void)argc;
	if ((rc = cli_run_state(cli, argv[0], &doc, &run)) >= 0)
		return rc;
	if (cli->json) {
		char *t = json_dumps(doc, JSON_COMPACT | JSON_SORT_KEYS);
		cli_json_print(t);
		free(t);
		json_decref(doc);
		return EXIT_OK;
	}
	{
		char hex[ARCA_ID_HEXSZ + 1];
		json_t *tpl = json_object_get(doc, "template");
		arca_id_hex(hex, &run);
		printf("run          %s\n", hex);
		printf("status       %s%s%s%s\n", str(doc, "status"),
			*str(doc, "stage") ? " (stage " : "", str(doc, "stage"),
			*str(doc, "stage") ? ")" : "");
		if (*str(doc, "message"))
			printf("message      %s\n", str(doc, "message"));
		printf("template     %s %s (%s, %.19s)\n", str(tpl, "name"),
			str(tpl, "version"), str(tpl, "file"),
			str(tpl, "object"));
		printf("updated      %s by %s@%s (record %lld)\n",
			str(doc, "time"), str(doc, "username"),
			str(doc, "hostname"), num(doc, "seq"));
		if (*str(doc, "parent"))
			printf("re-run of    %.19s\n", str(doc, "parent"));
		if (*str(doc, "code"))
			printf("code         snapshot %.19s\n", str(doc, "code"));
	}
	printf("parameters\n");
	json_object_foreach(json_object_get(doc, "params"), k, ns)
		json_object_foreach(ns, kk, v) {
			printf("  %s.%s = ", k, kk);
			cli_value_print(stdout, v);
			printf("\n");
		}
	json_array_foreach(json_object_get(doc, "inputs"), i, in) {
		if (!i)
			printf("inputs\n");
		printf("  %-14s %s (%s) snapshot %.19s", str(in, "name"),
			str(in, "version_ref"), str(in, "ref"),
			str(in, "snapshot"));
		if (json_array_size(json_object_get(in, "acks")))
			printf(", drift acknowledged");
		printf("\n");
	}
	printf("stages\n");
	json_array_foreach(json_object_get(doc, "stages"), i, v)
		show_stage(v);
	json_array_foreach(json_object_get(doc, "gates"), i, g)
		printf("gate         %s: %s%s%s\n", str(g, "gate"),
			json_is_true(json_object_get(g, "pass")) ? "pass" : "FAIL",
			*str(g, "why") ? " - " : "", str(g, "why"));
	json_array_foreach(json_object_get(doc, "approvals"), i, g)
		printf("approved     by %s at %s: %s\n", str(g, "by"),
			str(g, "time"), str(g, "reason"));
	json_array_foreach(json_object_get(doc, "interruptions"), i, g)
		printf("interrupted  %s%s, resumed %s\n",
			*str(g, "stage") ? "in stage " : "", str(g, "stage"),
			str(g, "resumed"));
	v = json_object_get(doc, "adapter");
	if (v)
		printf("adapter      %s@%s (package %.19s)\n", str(v, "name"),
			str(v, "version"), str(v, "package"));
	json_decref(doc);
	return EXIT_OK;
}
