/* arca template show: a template's resolved parameters and stage argv. */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <jansson.h>
#include "cli.h"
#include "arca/template.h"

struct template_show_opts {
	cli_list params;
};

static const arca_cli_opt opts[] = {
	{ "param", 'p', OPT_LIST, offsetof(struct template_show_opts, params),
	  "NS.KEY=VALUE", "set a parameter (repeatable; the last one wins)" },
	{ NULL, 0, 0, 0, NULL, NULL }
};

const arca_cli_spec cmd_template_show_spec = {
	"[-p NS.KEY=VALUE]... FILE",
	"Loads the retraining template FILE (problems are reported as by\n"
	"'template validate'), resolves its parameters, defaults overridden by\n"
	"-p, as a run would, and shows each parameter's value, type and\n"
	"source, and each stage's argv in execution order with ${work},\n"
	"${code} and ${inputs.NAME} left symbolic. Needs no repository.",
	opts, sizeof(struct template_show_opts), 1, 1
};

static void diag(const char *file, int line, int col, const char *msg,
	void *payload)
{
	(void)payload;
	fprintf(stderr, "%s:%d:%d: %s\n", file, line, col, msg);
}

/* Was ns.key given with -p? */
static int given(const cli_list *l, const arca_template_param *p)
{
	size_t nn = strlen(p->ns), nk = strlen(p->key);

	for (size_t i = 0; i < l->n; i++)
		if (!strncmp(l->v[i], p->ns, nn) && l->v[i][nn] == '.' &&
			!strncmp(l->v[i] + nn + 1, p->key, nk) &&
			l->v[i][nn + 1 + nk] == '=')
			return 1;
	return 0;
}

/* A stage's argv, placeholders for the places a run decides. */
static json_t *stage_argv(const arca_template *t, const arca_template_stage *s,
	json_t *params, arca_error *err)
{
	const char **names = calloc(t->ninputs + 1, sizeof(*names));
	char **paths = calloc(t->ninputs + 1, sizeof(*paths)), **argv = NULL;
	arca_subst_ctx ctx = { params, "${work}", "${code}", names,
		(const char *const *)paths, t->ninputs };
	json_t *out = NULL;

	for (size_t i = 0; names && paths && i < t->ninputs; i++) {
		names[i] = t->inputs[i].name;
		if (asprintf(&paths[i], "${inputs.%s}", t->inputs[i].name) < 0)
			paths[i] = NULL;
	}
	if (names && paths && arca_template_argv(&argv, t, s, &ctx, err) == 0) {
		out = json_array();
		for (size_t i = 0; argv[i]; i++) {
			json_array_append_new(out, json_string(argv[i]));
			free(argv[i]);
		}
		free(argv);
	}
	for (size_t i = 0; paths && i < t->ninputs; i++)
		free(paths[i]);
	free(paths);
	free(names);
	return out;
}

/* One value as people read it (strings as they are). */
static char *value_text(json_t *v)
{
	if (json_is_string(v))
		return strdup(json_string_value(v));
	return json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT);
}

/* An argv element for people: quoted when a shell would split it. */
static void print_arg(const char *a)
{
	if (*a && !a[strcspn(a, " \t\n'\"\\;&|<>()*?[]#~`!{}")]) {
		fputs(a, stdout);
		return;
	}
	putchar('\'');
	for (; *a; a++)
		if (*a == '\'')
			fputs("'\\''", stdout);
		else
			putchar(*a);
	putchar('\'');
}

static void show_human(const arca_template *t, json_t *params,
	json_t *stages, const cli_list *l)
{
	const char *ns = NULL;

	printf("%s %s%s%s\n", t->name, t->version, t->description ? ": " : "",
		t->description ? t->description : "");
	for (size_t i = 0; i < t->nparams; i++) {
		const arca_template_param *p = &t->params[i];
		char *v = value_text(json_object_get(json_object_get(params,
			p->ns), p->key));
		const char *type = p->type == ARCA_PARAM_STRING ? "string" :
			p->type == ARCA_PARAM_INTEGER ? "integer" :
			p->type == ARCA_PARAM_DECIMAL ? "decimal" :
			p->type == ARCA_PARAM_BOOLEAN ? "boolean" :
			p->type == ARCA_PARAM_ENUM ? "enum" :
			p->type == ARCA_PARAM_DURATION ? "duration in seconds" :
			p->type == ARCA_PARAM_SIZE ? "size in bytes" : "dataset";
		if (!ns || strcmp(ns, p->ns))
			printf("\n");
		ns = p->ns;
		printf("%s.%s = ", p->ns, p->key);
		if (v && *v)
			cli_quote(stdout, v, 0);
		else
			fputs("\"\"", stdout); /* an empty string, visibly */
		printf("  (%s, %s)\n", type, given(l, p) ? "given" : "default");
		free(v);
	}
	printf("\nstages:\n");
	for (size_t i = 0; i < t->nstages; i++) {
		json_t *argv = json_object_get(json_array_get(stages, i), "argv");
		json_t *a;
		size_t k;
		printf("  %zu. %s:", i + 1, t->stages[i].name);
		json_array_foreach(argv, k, a) {
			putchar(' ');
			print_arg(json_string_value(a));
		}
		putchar('\n');
	}
}

int cmd_template_show(arca_cli *cli, void *optsp, int argc, char **argv)
{
	struct template_show_opts *o = optsp;
	arca_error err = ARCA_ERROR_INIT;
	arca_template *t = NULL;
	json_t *params = NULL, *stages = NULL, *j;
	int rc;

	(void)argc;
	for (size_t i = 0; i < o->params.n; i++)
		if (!strchr(o->params.v[i], '=') || o->params.v[i][0] == '=')
			return cli_usage_error(cli, "-p needs NS.KEY=VALUE, not "
				"'%s'", o->params.v[i]);
	if ((rc = arca_template_load(&t, argv[0], diag, NULL, &err)) < 0 ||
		(rc = arca_template_resolve(&params, t, o->params.v,
		o->params.n, &err)) < 0) {
		arca_template_free(t);
		return cli_fail(cli, rc, &err);
	}
	stages = json_array();
	for (size_t i = 0; i < t->nstages && rc == 0; i++) {
		json_t *a = stage_argv(t, &t->stages[i], params, &err);
		if (!a) {
			rc = err.code ? err.code : ARCA_ERROR;
			break;
		}
		json_array_append_new(stages, json_pack("{s:s, s:o}", "name",
			t->stages[i].name, "argv", a));
	}
	if (rc < 0) {
		json_decref(stages);
		json_decref(params);
		arca_template_free(t);
		return cli_fail(cli, rc, &err);
	}
	if (cli->json) {
		json_t *givenv = json_array();
		char *text;
		for (size_t i = 0; i < t->nparams; i++)
			if (given(&o->params, &t->params[i]))
				json_array_append_new(givenv, json_sprintf("%s.%s",
					t->params[i].ns, t->params[i].key));
		j = json_pack("{s:s, s:s, s:O, s:o, s:O}", "name", t->name,
			"version", t->version, "parameters", params, "given",
			givenv, "stages", stages);
		text = json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS);
		cli_json_print(text);
		free(text);
		json_decref(j);
	} else {
		show_human(t, params, stages, &o->params);
	}
	json_decref(stages);
	json_decref(params);
	arca_template_free(t);
	return EXIT_OK;
}
