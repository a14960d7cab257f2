/*
 * Retraining templates (src/lib/run/template*.c): loading the example,
 * every rule's diagnostic with its line:col (tests/unit/data/template/
 * bad-*.yaml say what they expect in "# expect LINE:COL TEXT" lines),
 * resolving overrides, argv substitution, gates and metrics.
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "testutil.h"
#include "arca/template.h"
#include "run/template_int.h"

/* tests/unit/data/template/<name>, found from this file's path. */
static char *data_path(const char *name)
{
	const char *src = __FILE__, *slash = strrchr(src, '/');
	char *p;

	if (asprintf(&p, "%.*s/data/template/%s", (int)(slash - src), src,
		name) < 0)
		fail_msg("asprintf");
	return p;
}

typedef struct diags {
	int n;
	int line[64], col[64];
	char msg[64][ARCA_ERROR_MSG_SIZE];
} diags;

static void collect(const char *file, int line, int col, const char *msg,
	void *payload)
{
	diags *d = payload;

	(void)file;
	if (d->n < 64) {
		d->line[d->n] = line;
		d->col[d->n] = col;
		snprintf(d->msg[d->n], sizeof(d->msg[0]), "%s", msg);
	}
	d->n++;
}

static arca_template *load_path(const char *path)
{
	arca_error err = ARCA_ERROR_INIT;
	arca_template *t = NULL;
	diags d = { 0 };

	if (arca_template_load(&t, path, collect, &d, &err) < 0)
		fail_msg("load %s: %s (first: %d:%d: %s)", path, err.msg,
			d.line[0], d.col[0], d.msg[0]);
	assert_int_equal(d.n, 0);
	return t;
}

static arca_template *load_data(const char *name)
{
	char *p = data_path(name);
	arca_template *t = load_path(p);

	free(p);
	return t;
}

/* Writes text to a temp template file; *dir to remove afterwards. */
static char *write_tmp(char **dir, const char *text)
{
	char *p;
	FILE *f;

	*dir = tu_mkdtemp();
	if (asprintf(&p, "%s/t.yaml", *dir) < 0 || !(f = fopen(p, "w")))
		fail_msg("temp file");
	fputs(text, f);
	fclose(f);
	return p;
}

static arca_template *load_text(const char *text)
{
	char *dir, *p = write_tmp(&dir, text);
	arca_template *t = load_path(p);

	free(p);
	tu_rmtree(dir);
	return t;
}

static void test_template__example(void **state)
{
	arca_template *t = load_data("churn.yaml");
	const arca_template_param *p;
	const arca_template_stage *s, *owner = NULL;
	const arca_template_output *o;

	(void)state;
	assert_string_equal(t->name, "churn-logreg");
	assert_string_equal(t->version, "1.0.0");
	assert_string_equal(t->description, "Logistic-regression churn adapter");
	assert_string_equal(t->tools[0], "cc");
	assert_null(t->tools[1]);
	/* namespace order, then file order */
	assert_int_equal(t->nparams, 13);
	assert_string_equal(t->params[0].ns, "data");
	assert_string_equal(t->params[0].key, "dataset");
	assert_int_equal(t->params[0].type, ARCA_PARAM_DATASET);
	assert_string_equal(json_string_value(t->params[0].def), "churn@latest");
	assert_string_equal(t->params[0].description, "training data");
	assert_int_equal(t->params[0].line, 9);
	assert_string_equal(t->params[1].ns, "model");
	p = &t->params[1];
	assert_int_equal(p->type, ARCA_PARAM_DECIMAL);
	assert_string_equal(json_string_value(p->def), "0.001");
	assert_true(p->has_min && p->has_max);
	assert_string_equal(p->min, "0");
	assert_string_equal(p->max, "1");
	p = &t->params[2];
	assert_string_equal(p->key, "epochs");
	assert_int_equal(p->type, ARCA_PARAM_INTEGER);
	assert_int_equal(json_integer_value(p->def), 200);
	assert_string_equal(p->min, "1");
	assert_string_equal(p->max, "10000");
	p = &t->params[3];
	assert_string_equal(p->key, "learning_rate");
	assert_string_equal(json_string_value(p->def), "0.1");
	assert_string_equal(p->min, "0.0001");
	p = &t->params[4];
	assert_int_equal(p->type, ARCA_PARAM_ENUM);
	assert_string_equal(p->values[0], "sgd");
	assert_string_equal(p->values[1], "momentum");
	assert_null(p->values[2]);
	assert_true(json_is_true(t->params[6].def));           /* shuffle */
	assert_int_equal(json_integer_value(t->params[7].def), 300); /* 5m */
	assert_int_equal(json_integer_value(t->params[8].def), 64 << 20);
	assert_string_equal(t->params[9].pattern, "^[a-z_]+$");
	p = &t->params[12];
	assert_string_equal(p->ns, "governance");
	assert_string_equal(p->key, "owner");
	assert_true(p->required);
	assert_null(p->def);
	assert_string_equal(json_string_value(t->params[11].def), "");
	/* budgets in seconds and bytes */
	assert_int_equal(t->budget.wall_s, 600);
	assert_int_equal(t->budget.cpu_s, 600);
	assert_int_equal(t->budget.memory, 1ULL << 30);
	assert_int_equal(t->ninputs, 1);
	assert_string_equal(t->inputs[0].name, "churn");
	assert_string_equal(t->inputs[0].param, "data.dataset");
	/* stages in execution order */
	assert_int_equal(t->nstages, 3);
	s = &t->stages[0];
	assert_string_equal(s->name, "prepare");
	assert_int_equal(s->nrun, 6);
	assert_string_equal(s->run[0], "${code}/churn-prepare");
	assert_string_equal(s->run[5], "--seed=${params.training.seed}");
	assert_null(s->run[6]);
	assert_string_equal(s->env[0], "LC_ALL");
	assert_string_equal(s->env[1], "OMP_NUM_THREADS");
	assert_null(s->env[2]);
	assert_null(s->depends_on[0]);
	assert_int_equal(s->noutputs, 1);
	assert_string_equal(s->outputs[0].name, "features");
	assert_int_equal(s->outputs[0].kind, ARCA_OUTPUT_DATA);
	assert_string_equal(s->outputs[0].path, "features/");
	assert_true(s->outputs[0].dir);
	assert_int_equal(s->budget.wall_s, 60);
	assert_int_equal(s->budget.cpu_s, 0);
	assert_int_equal(s->budget.memory, 256ULL << 20);
	assert_null(s->metrics);
	s = &t->stages[1];
	assert_string_equal(s->name, "train");
	assert_string_equal(s->depends_on[0], "prepare");
	assert_int_equal(s->outputs[0].kind, ARCA_OUTPUT_ADAPTER);
	assert_string_equal(s->metrics, "train-metrics.json");
	assert_null(s->env[0]);
	s = &t->stages[2];
	assert_string_equal(s->name, "evaluate");
	assert_string_equal(s->outputs[0].path, "eval/report.json");
	assert_false(s->outputs[0].dir);
	assert_int_equal(s->outputs[0].kind, ARCA_OUTPUT_REPORT);
	assert_int_equal(s->line, 41);
	/* gates and adapter */
	assert_int_equal(t->ngates, 1);
	assert_string_equal(t->gates[0].text, "evaluate.accuracy >= 0.70");
	assert_string_equal(t->gates[0].metric, "evaluate.accuracy");
	assert_int_equal(t->gates[0].op, ARCA_GATE_GE);
	assert_string_equal(t->gates[0].value, "0.70");
	assert_string_equal(t->gates[0].stage, "evaluate");
	assert_string_equal(t->gates[0].key, "accuracy");
	assert_string_equal(t->adapter.name, "churn");
	assert_string_equal(t->adapter.output, "weights");
	assert_string_equal(t->adapter.version, "patch");
	/* finders */
	assert_ptr_equal(arca_template_stage_find(t, "train"), &t->stages[1]);
	assert_null(arca_template_stage_find(t, "nope"));
	o = arca_template_output_find(t, "weights", &owner);
	assert_ptr_equal(o, &t->stages[1].outputs[0]);
	assert_ptr_equal(owner, &t->stages[1]);
	assert_null(arca_template_output_find(t, "nope", NULL));
	arca_template_free(t);
}

static void test_template__order(void **state)
{
	arca_template *t = load_data("order.yaml");
	const char *want[] = { "a", "c", "b", "d", "e" };

	(void)state;
	/* ties go to the stage first in the file: e waits for d */
	assert_int_equal(t->nstages, 5);
	for (size_t i = 0; i < 5; i++)
		assert_string_equal(t->stages[i].name, want[i]);
	assert_string_equal(t->version, "0.1.0-rc.1");
	assert_int_equal(t->nparams, 0);
	assert_null(t->adapter.name);
	assert_int_equal(t->ngates, 0);
	arca_template_free(t);
}

/* Every bad-*.yaml: exactly the diagnostics its "# expect" lines say. */
static void check_fixture(const char *name)
{
	char *path = data_path(name), line[1024];
	arca_error err = ARCA_ERROR_INIT;
	arca_template *t = (arca_template *)1;
	diags d = { 0 };
	int nexp = 0, rc;
	FILE *f;

	rc = arca_template_load(&t, path, collect, &d, &err);
	assert_int_equal(rc, ARCA_EINVALID);
	assert_null(t);
	assert_non_null(strstr(err.msg, "problem"));
	assert_non_null(f = fopen(path, "r"));
	while (fgets(line, sizeof(line), f)) {
		int l, c, off, i;
		if (sscanf(line, "# expect %d:%d %n", &l, &c, &off) < 2)
			continue;
		line[strcspn(line, "\n")] = '\0';
		nexp++;
		for (i = 0; i < d.n && i < 64; i++)
			if (d.line[i] == l && d.col[i] == c &&
				strstr(d.msg[i], line + off))
				break;
		if (i == d.n || i == 64) {
			for (i = 0; i < d.n && i < 64; i++)
				print_message("  got %d:%d: %s\n", d.line[i],
					d.col[i], d.msg[i]);
			fail_msg("%s: no diagnostic %d:%d: %s", name, l, c,
				line + off);
		}
	}
	fclose(f);
	assert_true(nexp > 0);
	if (d.n != nexp) {
		for (int i = 0; i < d.n && i < 64; i++)
			print_message("  got %d:%d: %s\n", d.line[i], d.col[i],
				d.msg[i]);
		fail_msg("%s: %d diagnostics, %d expected", name, d.n, nexp);
	}
	snprintf(line, sizeof(line), "%d problem", nexp);
	assert_non_null(strstr(err.msg, line));
	free(path);
}

static void test_template__invalid_fixtures(void **state)
{
	char *dir = data_path("");
	struct dirent *e;
	int n = 0;
	DIR *dh;

	(void)state;
	assert_non_null(dh = opendir(dir));
	while ((e = readdir(dh)))
		if (!strncmp(e->d_name, "bad-", 4)) {
			check_fixture(e->d_name);
			n++;
		}
	closedir(dh);
	free(dir);
	assert_true(n >= 15);
}

static void test_template__load_errors(void **state)
{
	arca_error err = ARCA_ERROR_INIT;
	arca_template *t = NULL;
	diags d = { 0 };
	char *dir, *p;

	(void)state;
	/* a missing file is no diagnostic but an error */
	assert_int_equal(arca_template_load(&t, "/nonexistent/t.yaml",
		collect, &d, &err), ARCA_ENOTFOUND);
	assert_int_equal(d.n, 0);
	/* an empty document, and a list at the top */
	p = write_tmp(&dir, "# nothing\n");
	assert_int_equal(arca_template_load(&t, p, collect, &d, &err),
		ARCA_EINVALID);
	assert_int_equal(d.n, 1);
	assert_non_null(strstr(d.msg[0], "empty document"));
	free(p);
	tu_rmtree(dir);
	d.n = 0;
	p = write_tmp(&dir, "- a\n- b\n");
	assert_int_equal(arca_template_load(&t, p, NULL, NULL, &err),
		ARCA_EINVALID);
	assert_non_null(strstr(err.msg, "1 problem in the template"));
	free(p);
	tu_rmtree(dir);
	assert_null(t);
}

static json_t *resolve_ok(const arca_template *t, const char *const *ov,
	size_t n)
{
	arca_error err = ARCA_ERROR_INIT;
	json_t *j = NULL;

	if (arca_template_resolve(&j, t, ov, n, &err) < 0)
		fail_msg("resolve: %s", err.msg);
	return j;
}

static void resolve_fails(const arca_template *t, const char *ov,
	const char *fragment)
{
	const char *v[] = { "governance.owner=me", ov };
	arca_error err = ARCA_ERROR_INIT;
	json_t *j = (json_t *)1;

	assert_int_equal(arca_template_resolve(&j, t, v, 2, &err),
		ARCA_EINVALID);
	assert_null(j);
	if (!strstr(err.msg, fragment))
		fail_msg("'%s': '%s' does not say '%s'", ov, err.msg, fragment);
}

#define GET(j, ns, key) json_object_get(json_object_get(j, ns), key)

static void test_template__resolve(void **state)
{
	arca_template *t = load_data("churn.yaml");
	arca_error err = ARCA_ERROR_INIT;
	const char *ov[] = { "governance.owner=a b; c", "data.dataset=churn@3",
		"model.l2=.50", "training.epochs=5", "training.epochs=10000",
		"training.learning_rate=1e-3", "training.optimizer=momentum",
		"training.shuffle=false", "training.timeout=1h30m",
		"training.cache=1GB", "training.label=a_b",
		"training.seed=-12" };
	json_t *j;

	(void)state;
	j = resolve_ok(t, ov, 1);
	assert_string_equal(json_string_value(GET(j, "data", "dataset")),
		"churn@latest");
	assert_string_equal(json_string_value(GET(j, "model", "l2")), "0.001");
	assert_int_equal(json_integer_value(GET(j, "training", "epochs")), 200);
	assert_int_equal(json_integer_value(GET(j, "training", "timeout")), 300);
	assert_true(json_is_true(GET(j, "training", "shuffle")));
	assert_string_equal(json_string_value(GET(j, "governance", "owner")),
		"a b; c");
	assert_int_equal(json_object_size(j), 4);
	json_decref(j);
	j = resolve_ok(t, ov, sizeof(ov) / sizeof(ov[0]));
	assert_string_equal(json_string_value(GET(j, "data", "dataset")),
		"churn@3");
	assert_string_equal(json_string_value(GET(j, "model", "l2")), "0.50");
	/* the later one wins */
	assert_int_equal(json_integer_value(GET(j, "training", "epochs")),
		10000);
	assert_string_equal(json_string_value(GET(j, "training",
		"learning_rate")), "0.001");
	assert_string_equal(json_string_value(GET(j, "training", "optimizer")),
		"momentum");
	assert_true(json_is_false(GET(j, "training", "shuffle")));
	assert_int_equal(json_integer_value(GET(j, "training", "timeout")),
		5400);
	assert_int_equal(json_integer_value(GET(j, "training", "cache")),
		1000000000);
	assert_string_equal(json_string_value(GET(j, "training", "label")),
		"a_b");
	assert_int_equal(json_integer_value(GET(j, "training", "seed")), -12);
	json_decref(j);

	resolve_fails(t, "training.epoch=3",
		"unknown parameter 'training.epoch' (did you mean "
		"'training.epochs'?)");
	resolve_fails(t, "epochs=3", "(did you mean 'training.epochs'?)");
	resolve_fails(t, "nothing.like.it=3", "unknown parameter "
		"'nothing.like.it' (template churn-logreg declares 13 "
		"parameters)");
	resolve_fails(t, "training.epochs=abc", "invalid value 'abc' for "
		"parameter 'training.epochs' (integer): not an integer");
	resolve_fails(t, "training.epochs=0", "'training.epochs' (integer): "
		"out of range (expected 1 to 10000)");
	resolve_fails(t, "training.epochs=10001", "out of range");
	resolve_fails(t, "training.epochs=1.5", "not an integer");
	resolve_fails(t, "training.epochs=99999999999999999999",
		"out of range");
	/* exact: as a double this would be 1 and pass */
	resolve_fails(t, "model.l2=1.0000000000000000001", "invalid value "
		"'1.0000000000000000001' for parameter 'model.l2' (decimal): "
		"out of range (expected 0 to 1)");
	resolve_fails(t, "model.l2=-0.0001", "out of range");
	resolve_fails(t, "model.l2=0.1.2", "not a decimal");
	resolve_fails(t, "training.learning_rate=nan", "not a decimal");
	resolve_fails(t, "training.optimizer=adam", "not allowed (expected one "
		"of: sgd, momentum)");
	resolve_fails(t, "training.label=Bad", "not a match for the pattern");
	resolve_fails(t, "training.shuffle=yes", "not a boolean (expected true "
		"or false)");
	resolve_fails(t, "training.timeout=5x", "not a duration");
	resolve_fails(t, "training.timeout=1m1h", "not a duration");
	resolve_fails(t, "training.cache=1XB", "not a size");
	resolve_fails(t, "data.dataset=-churn", "not a dataset reference");
	resolve_fails(t, "governance.approval=maybe", "not allowed");
	resolve_fails(t, "no-equals-sign", "not of the form NS.KEY=VALUE");
	/* a required parameter not given */
	j = (json_t *)1;
	assert_int_equal(arca_template_resolve(&j, t, NULL, 0, &err),
		ARCA_EINVALID);
	assert_null(j);
	assert_non_null(strstr(err.msg, "parameter 'governance.owner' is "
		"required and was not given (expected -p governance.owner=VALUE"));
	arca_template_free(t);
}

static const char argv_yaml[] =
	"arca_template: 1\n"
	"name: argv\n"
	"version: 2.0.0\n"
	"parameters:\n"
	"  training:\n"
	"    msg: {type: string, default: \"x\"}\n"
	"    n: {type: integer, default: 42}\n"
	"    on: {type: boolean, default: false}\n"
	"    rate: {type: decimal, default: 0.10}\n"
	"    wait: {type: duration, default: 1h}\n"
	"    mem: {type: size, default: 2KiB}\n"
	"  data:\n"
	"    ds: {type: dataset, default: churn@v1}\n"
	"inputs:\n"
	"  in: {param: data.ds}\n"
	"stages:\n"
	"  - name: one\n"
	"    run:\n"
	"      - ${code}/prog\n"
	"      - ${params.training.msg}\n"
	"      - x${params.training.n}y${params.training.on}\n"
	"      - $$HOME and $${work}\n"
	"      - ${work}/a b\n"
	"      - ${inputs.in}/f.csv\n"
	"      - ${outputs.dir}\n"
	"      - --file=${outputs.file}\n"
	"      - ${params.training.rate}:${params.training.wait}:"
	"${params.training.mem}:${params.data.ds}\n"
	"      - \"\"\n"
	"    outputs:\n"
	"      dir: {kind: model, path: out/m/}\n"
	"      file: {kind: report, path: r.json}\n";

static void test_template__argv(void **state)
{
	arca_template *t = load_text(argv_yaml);
	arca_error err = ARCA_ERROR_INIT;
	const char *ov[] = { "training.msg=two words; rm -rf / $(x) `y` \"q\"" };
	const char *names[] = { "other", "in" }, *paths[] = { "/o", "/in dir" };
	arca_subst_ctx ctx = { NULL, "/w", "/c", names, paths, 2 };
	char **argv = NULL;
	const char *want[] = { "/c/prog",
		"two words; rm -rf / $(x) `y` \"q\"", "x42yfalse",
		"$HOME and ${work}", "/w/a b", "/in dir/f.csv", "/w/out/m",
		"--file=/w/r.json", "0.10:3600:2048:churn@v1", "" };

	(void)state;
	ctx.params = resolve_ok(t, ov, 1);
	assert_int_equal(arca_template_argv(&argv, t, &t->stages[0], &ctx,
		&err), 0);
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++)
		assert_string_equal(argv[i], want[i]);
	assert_null(argv[sizeof(want) / sizeof(want[0])]);
	for (size_t i = 0; argv[i]; i++)
		free(argv[i]);
	free(argv);
	/* no code dir, or an input the run did not restore */
	ctx.code = NULL;
	argv = (char **)1;
	assert_int_equal(arca_template_argv(&argv, t, &t->stages[0], &ctx,
		&err), ARCA_EINVALID);
	assert_null(argv);
	assert_non_null(strstr(err.msg, "stage 'one', run[0]: ${code}"));
	ctx.code = "/c";
	ctx.ninputs = 1;
	assert_int_equal(arca_template_argv(&argv, t, &t->stages[0], &ctx,
		&err), ARCA_EINVALID);
	assert_non_null(strstr(err.msg, "stage 'one', run[5]: unknown name "
		"${inputs.in}"));
	/* a parameter missing from the resolved set */
	ctx.ninputs = 2;
	json_object_del(json_object_get(ctx.params, "training"), "n");
	assert_int_equal(arca_template_argv(&argv, t, &t->stages[0], &ctx,
		&err), ARCA_EINVALID);
	assert_non_null(strstr(err.msg, "run[2]: ${params.training.n} has no "
		"value"));
	json_decref(ctx.params);
	arca_template_free(t);
}

static const char gates_yaml[] =
	"arca_template: 1\n"
	"name: gates\n"
	"version: 1.0.0\n"
	"stages:\n"
	"  - {name: evaluate, run: [e], metrics: m.json}\n"
	"  - {name: v1.2, run: [v], metrics: v.json}\n"
	"  - {name: v1, run: [w], metrics: w.json}\n"
	"gates:\n"
	"  - evaluate.accuracy >= 0.3\n"
	"  - evaluate.accuracy == 0.3\n"
	"  - evaluate.loss<0.5\n"
	"  - evaluate.n == 10\n"
	"  - evaluate.nested.f1 > +.5\n"
	"  - evaluate.n != 1e1\n"
	"  - v1.2.x <= -1.5E-3\n"
	"  - evaluate.a.b.c >= 0\n";

static void eval_gate(const arca_template_gate *g, json_t *m, int want,
	const char *why_want)
{
	arca_error err = ARCA_ERROR_INIT;
	const char *why = NULL;
	int pass = -1;

	assert_int_equal(arca_template_gate_eval(&pass, &why, g, m, &err), 0);
	if (pass != want)
		fail_msg("gate '%s': pass %d, expected %d (%s)", g->text, pass,
			want, why ? why : "");
	if (why_want)
		assert_string_equal(why, why_want);
}

static void test_template__gates(void **state)
{
	arca_template *t = load_text(gates_yaml);
	const arca_template_gate *g = t->gates;
	json_t *m, *ev;

	(void)state;
	assert_int_equal(t->ngates, 8);
	assert_int_equal(g[2].op, ARCA_GATE_LT);
	assert_string_equal(g[2].metric, "evaluate.loss");
	assert_string_equal(g[2].value, "0.5");
	assert_string_equal(g[4].value, "0.5");
	assert_string_equal(g[5].value, "10");
	assert_int_equal(g[5].op, ARCA_GATE_NE);
	/* the longest stage name that fits */
	assert_string_equal(g[6].stage, "v1.2");
	assert_string_equal(g[6].key, "x");
	assert_string_equal(g[6].value, "-0.0015");
	assert_int_equal(g[6].op, ARCA_GATE_LE);

	m = json_object();
	ev = json_object();
	json_object_set_new(m, "evaluate", ev);
	/* 0.3 read from JSON is the double nearest 0.3: it is 0.3 */
	json_object_set_new(ev, "accuracy", json_real(0.3));
	eval_gate(&g[0], m, 1, NULL);
	eval_gate(&g[1], m, 1, NULL);
	/* 0.1 + 0.2 is 0.30000000000000004: above 0.3, not equal to it */
	json_object_set_new(ev, "accuracy", json_real(0.1 + 0.2));
	eval_gate(&g[0], m, 1, NULL);
	eval_gate(&g[1], m, 0, "the comparison does not hold");
	json_object_set_new(ev, "accuracy", json_real(0.29999999999999));
	eval_gate(&g[0], m, 0, "the comparison does not hold");
	/* decimal strings compare exactly, trailing zeros or not */
	json_object_set_new(ev, "accuracy", json_string("0.30000000000000000000"));
	eval_gate(&g[1], m, 1, NULL);
	json_object_set_new(ev, "accuracy", json_string("0.2999999999999999999999"));
	eval_gate(&g[0], m, 0, NULL);
	/* integers, and integers written as decimals */
	json_object_set_new(ev, "n", json_integer(10));
	eval_gate(&g[3], m, 1, NULL);
	eval_gate(&g[5], m, 0, NULL);
	json_object_set_new(ev, "n", json_string("10.000"));
	eval_gate(&g[3], m, 1, NULL);
	json_object_set_new(ev, "n", json_real(10.0));
	eval_gate(&g[3], m, 1, NULL);
	json_object_set_new(ev, "n", json_integer(11));
	eval_gate(&g[3], m, 0, NULL);
	eval_gate(&g[5], m, 1, NULL);
	/* missing, not a number, not finite */
	eval_gate(&g[2], m, 0, "the metric is missing");
	json_object_set_new(ev, "loss", json_true());
	eval_gate(&g[2], m, 0, "the metric is not a number");
	json_object_set_new(ev, "loss", json_string("low"));
	eval_gate(&g[2], m, 0, "the metric is not a number");
	json_object_set_new(ev, "loss", json_string("NaN"));
	eval_gate(&g[2], m, 0, "the metric is not a finite number");
	json_object_set_new(ev, "loss", json_string("-Infinity"));
	eval_gate(&g[2], m, 0, "the metric is not a finite number");
	json_object_set_new(ev, "loss", json_real(0.49));
	eval_gate(&g[2], m, 1, NULL);
	/* nested keys, and keys holding dots */
	json_object_set_new(ev, "nested", json_pack("{s:f}", "f1", 0.51));
	eval_gate(&g[4], m, 1, NULL);
	json_object_set_new(ev, "nested", json_pack("{s:f}", "f1", 0.5));
	eval_gate(&g[4], m, 0, NULL);
	json_object_set_new(ev, "a.b", json_pack("{s:i}", "c", 1));
	eval_gate(&g[7], m, 1, NULL);
	/* a stage that wrote nothing */
	eval_gate(&g[6], m, 0, "the stage wrote no metrics");
	json_object_set_new(m, "v1.2", json_pack("{s:s}", "x", "-0.0015"));
	eval_gate(&g[6], m, 1, NULL);
	json_object_set_new(m, "v1.2", json_pack("{s:f}", "x", -0.0014));
	eval_gate(&g[6], m, 0, NULL);
	json_decref(m);
	arca_template_free(t);
}

static void test_template__metrics_normalize(void **state)
{
	arca_error err = ARCA_ERROR_INIT;
	json_t *m = json_pack("{s:f, s:f, s:f, s:f, s:i, s:[f, {s:f}], s:f, "
		"s:s, s:f, s:f, s:f, s:f, s:f, s:b}",
		"a", 0.1, "b", 1e-7, "c", 1e21, "d", 1.2345678901234568e20,
		"e", 5, "f", 0.5, "g", 2.5e-300, "h", -0.0, "i", "text",
		"j", 100.0, "k", 1.0 / 3, "l", 0.000001, "m", -1.5e-10,
		"n", 0.91, "o", 1);
	char *text;

	(void)state;
	assert_int_equal(arca_template_metrics_normalize(m, &err), 0);
	text = json_dumps(m, JSON_COMPACT | JSON_SORT_KEYS);
	assert_string_equal(text, "{\"a\":\"0.1\",\"b\":\"1e-7\","
		"\"c\":\"1e+21\",\"d\":\"123456789012345680000\",\"e\":5,"
		"\"f\":[\"0.5\",{\"g\":\"2.5e-300\"}],\"h\":\"0\",\"i\":\"text\","
		"\"j\":\"100\",\"k\":\"0.3333333333333333\",\"l\":\"0.000001\","
		"\"m\":\"-1.5e-10\",\"n\":\"0.91\",\"o\":true}");
	free(text);
	json_decref(m);
	m = json_real(1.5);
	assert_int_equal(arca_template_metrics_normalize(m, &err),
		ARCA_EINVALID);
	json_decref(m);
}

/* The value grammar underneath. */
static void test_template__values(void **state)
{
	static const struct { const char *in, *out; } dec[] = {
		{ "0.10", "0.10" }, { "+5", "5" }, { "007.50", "7.50" },
		{ ".5", "0.5" }, { "5.", "5" }, { "-0.0", "0.0" }, { "-0", "0" },
		{ "1e-7", "0.0000001" }, { "1.50e1", "15.0" }, { "12e2", "1200" },
		{ "-2.5E+3", "-2500" }, { "0e5", "0" }, { "123.456e-1", "12.3456" },
	};
	static const char *bad_dec[] = { "", "-", ".", "e5", "1e", "1.2.3",
		"1,5", "0x10", "nan", "inf", " 1", "1 " };
	static const struct { const char *a, *b; int c; } cmp[] = {
		{ "0.3", "0.30", 0 }, { "0.3", "0.29999999999999999", 1 },
		{ "-1", "0", -1 }, { "-1.5", "-1.25", -1 }, { "10", "9.99", 1 },
		{ "0", "0.0", 0 }, { "100", "99", 1 }, { "-0.001", "-0.0001", -1 },
	};
	int64_t v;
	char *c, buf[48];

	(void)state;
	for (size_t i = 0; i < sizeof(dec) / sizeof(dec[0]); i++) {
		assert_int_equal(arca_template__parse_decimal(dec[i].in, &c), 0);
		assert_string_equal(c, dec[i].out);
		free(c);
	}
	for (size_t i = 0; i < sizeof(bad_dec) / sizeof(bad_dec[0]); i++)
		assert_true(arca_template__parse_decimal(bad_dec[i], &c) < 0);
	assert_int_equal(arca_template__parse_decimal("1e99999", &c), -2);
	for (size_t i = 0; i < sizeof(cmp) / sizeof(cmp[0]); i++) {
		int r = arca_template__dec_cmp(cmp[i].a, cmp[i].b);
		assert_int_equal(r < 0 ? -1 : r > 0, cmp[i].c);
		r = arca_template__dec_cmp(cmp[i].b, cmp[i].a);
		assert_int_equal(r < 0 ? -1 : r > 0, -cmp[i].c);
	}
	/* durations: whole seconds */
	assert_int_equal(arca_template__parse_duration("90s", &v), 0);
	assert_int_equal(v, 90);
	assert_int_equal(arca_template__parse_duration("1h30m", &v), 0);
	assert_int_equal(v, 5400);
	assert_int_equal(arca_template__parse_duration("1d2h3m4s", &v), 0);
	assert_int_equal(v, 93784);
	assert_int_equal(arca_template__parse_duration("120", &v), 0);
	assert_int_equal(v, 120);
	assert_int_equal(arca_template__parse_duration("1m1h", &v), -1);
	assert_int_equal(arca_template__parse_duration("1h1h", &v), -1);
	assert_int_equal(arca_template__parse_duration("1.5h", &v), -1);
	assert_int_equal(arca_template__parse_duration("h", &v), -1);
	assert_int_equal(arca_template__parse_duration("-1s", &v), -1);
	assert_int_equal(arca_template__parse_duration("999999999999999d",
		&v), -2);
	/* sizes: decimal and binary units */
	assert_int_equal(arca_template__parse_size("4096", &v), 0);
	assert_int_equal(v, 4096);
	assert_int_equal(arca_template__parse_size("100KB", &v), 0);
	assert_int_equal(v, 100000);
	assert_int_equal(arca_template__parse_size("1GB", &v), 0);
	assert_int_equal(v, 1000000000);
	assert_int_equal(arca_template__parse_size("3KiB", &v), 0);
	assert_int_equal(v, 3072);
	assert_int_equal(arca_template__parse_size("1TiB", &v), 0);
	assert_int_equal(v, 1LL << 40);
	assert_int_equal(arca_template__parse_size("1kb", &v), -1);
	assert_int_equal(arca_template__parse_size("1 MiB", &v), -1);
	assert_int_equal(arca_template__parse_size("MiB", &v), -1);
	assert_int_equal(arca_template__parse_size("99999999TiB", &v), -2);
	/* names and versions */
	assert_true(arca_template__semver_valid("1.0.0"));
	assert_true(arca_template__semver_valid("10.20.30-rc.1"));
	assert_true(arca_template__semver_valid("1.0.0-alpha-1.0"));
	assert_false(arca_template__semver_valid("1.0"));
	assert_false(arca_template__semver_valid("01.0.0"));
	assert_false(arca_template__semver_valid("1.0.0-"));
	assert_false(arca_template__semver_valid("1.0.0-01"));
	assert_false(arca_template__semver_valid("1.0.0+build"));
	assert_true(arca_template__dataset_ref_valid("churn"));
	assert_true(arca_template__dataset_ref_valid("churn@latest"));
	assert_true(arca_template__dataset_ref_valid("churn@12"));
	assert_true(arca_template__dataset_ref_valid("churn@prod-2024"));
	assert_true(arca_template__dataset_ref_valid("churn@sha256:abcd"));
	assert_false(arca_template__dataset_ref_valid("churn@"));
	assert_false(arca_template__dataset_ref_valid("churn@0"));
	assert_false(arca_template__dataset_ref_valid("churn@sha256:ab"));
	assert_false(arca_template__dataset_ref_valid("ch urn"));
	assert_false(arca_template__dataset_ref_valid("churn@a..b"));
	/* shortest round-trip text */
	assert_string_equal(arca_template__real_text(buf, sizeof(buf), 0.1),
		"0.1");
	assert_string_equal(arca_template__real_text(buf, sizeof(buf),
		123.456), "123.456");
	assert_string_equal(arca_template__real_text(buf, sizeof(buf),
		1e-6), "0.000001");
	assert_string_equal(arca_template__real_text(buf, sizeof(buf),
		1.7976931348623157e308), "1.7976931348623157e+308");
	assert_string_equal(arca_template__real_text(buf, sizeof(buf),
		5e-324), "5e-324");
	assert_string_equal(arca_template__real_text(buf, sizeof(buf),
		1e20), "100000000000000000000");
	assert_string_equal(arca_template__suggest("epoch",
		(const char *[]){ "epochs", "seed" }, 2), "epochs");
	assert_null(arca_template__suggest("zzzzzz",
		(const char *[]){ "epochs", "seed" }, 2));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_template__example),
		cmocka_unit_test(test_template__order),
		cmocka_unit_test(test_template__invalid_fixtures),
		cmocka_unit_test(test_template__load_errors),
		cmocka_unit_test(test_template__resolve),
		cmocka_unit_test(test_template__argv),
		cmocka_unit_test(test_template__gates),
		cmocka_unit_test(test_template__metrics_normalize),
		cmocka_unit_test(test_template__values),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
