/* arca runs compare: parameter, input, metric and output differences */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cli.h"

struct runs_compare_opts {
	int unused;
};

static const arca_cli_opt opts[] = {
	{ NULL, 0, 0, 0, NULL, NULL }
};

const arca_cli_spec cmd_runs_compare_spec = {
	"RUN_A RUN_B",
	"Compares two runs: the parameters, input dataset versions, metrics\n"
	"and output digests that differ (what is equal is not listed).",
	opts, sizeof(struct runs_compare_opts), 2, 2
};

/* Flattens a run into "section" -> { name -> value }. */
static json_t *flatten(json_t *doc)
{
	json_t *f = json_pack("{s:o, s:o, s:o, s:o}", "params", json_object(),
		"inputs", json_object(), "metrics", json_object(), "outputs",
		json_object());
	json_t *ns, *v, *st, *o;
	const char *k, *kk;
	char name[300];
	size_t i;

	json_object_foreach(json_object_get(doc, "params"), k, ns)
		json_object_foreach(ns, kk, v) {
			snprintf(name, sizeof(name), "%s.%s", k, kk);
			json_object_set(json_object_get(f, "params"), name, v);
		}
	json_array_foreach(json_object_get(doc, "inputs"), i, v)
		json_object_set(json_object_get(f, "inputs"),
			json_string_value(json_object_get(v, "name")),
			json_object_get(v, "version_ref"));
	json_array_foreach(json_object_get(doc, "stages"), i, st) {
		const char *sn = json_string_value(json_object_get(st, "name"));
		json_object_foreach(json_object_get(st, "metrics"), k, v) {
			snprintf(name, sizeof(name), "%s.%s", sn, k);
			json_object_set(json_object_get(f, "metrics"), name, v);
		}
		json_object_foreach(json_object_get(st, "outputs"), k, o)
			json_object_set(json_object_get(f, "outputs"), k,
				json_object_get(o, "digest"));
	}
	return f;
}

static void section(json_t *out, const char *sec, json_t *a, json_t *b)
{
	json_t *list = json_array(), *va, *vb;
	const char *k;

	json_object_foreach(a, k, va) {
		vb = json_object_get(b, k);
		if (!vb || !json_equal(va, vb))
			json_array_append_new(list, json_pack("{s:s, s:O, s:O}",
				"name", k, "a", va, "b", vb ? vb : json_null()));
	}
	json_object_foreach(b, k, vb)
		if (!json_object_get(a, k))
			json_array_append_new(list, json_pack("{s:s, s:n, s:O}",
				"name", k, "a", "b", vb));
	json_object_set_new(out, sec, list);
}

int cmd_runs_compare(arca_cli *cli, void *optsp, int argc, char **argv)
{
	static const char *const secs[] = { "params", "inputs", "metrics",
		"outputs" };
	json_t *da, *db, *fa, *fb, *out = json_object(), *d;
	arca_id ra, rb;
	size_t i, n = 0;
	int rc;

	(void)optsp;
	(void)argc;
	if ((rc = cli_run_state(cli, argv[0], &da, &ra)) >= 0)
		return rc;
	if ((rc = cli_run_state(cli, argv[1], &db, &rb)) >= 0) {
		json_decref(da);
		return rc;
	}
	fa = flatten(da);
	fb = flatten(db);
	for (int s = 0; s < 4; s++)
		section(out, secs[s], json_object_get(fa, secs[s]),
			json_object_get(fb, secs[s]));
	if (cli->json) {
		char *t = json_dumps(out, JSON_COMPACT | JSON_SORT_KEYS);
		cli_json_print(t);
		free(t);
	} else {
		for (int s = 0; s < 4; s++)
			json_array_foreach(json_object_get(out, secs[s]), i, d) {
				printf("%-8s %s: ", secs[s],
					json_string_value(json_object_get(d, "name")));
				cli_value_print(stdout, json_object_get(d, "a"));
				printf(" -> ");
				cli_value_print(stdout, json_object_get(d, "b"));
				printf("\n");
				n++;
			}
		if (!n)
			printf("no differences in parameters, inputs, metrics or "
				"outputs\n");
	}
	json_decref(out);
	json_decref(fa);
	json_decref(fb);
	json_decref(da);
	json_decref(db);
	return EXIT_OK;
}
