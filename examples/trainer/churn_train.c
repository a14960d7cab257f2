/*
 * churn-train: logistic regression (optionally with a rank-R
 * factorization-machine pairwise term) by full-batch gradient descent on
 * FEATURES/train.tsv. Deterministic: rows in file order, one thread, the
 * seed the only source of randomness (it initializes the factors).
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "common.h"

static const char usage[] =
	"Usage: churn-train --features DIR --out DIR [--epochs N]\n"
	"                   [--learning-rate R] [--l2 L] [--seed S] [--rank K]\n"
	"                   [--metrics FILE]\n"
	"\n"
	"Trains on DIR/train.tsv (from churn-prepare) and writes OUT/weights.json\n"
	"(the model) and OUT/adapter.json (its manifest: kind, features,\n"
	"preprocessing, training parameters, training loss).\n"
	"\n"
	"  --features DIR      churn-prepare's output directory\n"
	"  --out DIR           output directory (created)\n"
	"  --epochs N          gradient steps over the whole set, 1 to 1000000\n"
	"                      (default 200)\n"
	"  --learning-rate R   step size, over 0 up to 100 (default 0.1)\n"
	"  --l2 L              L2 penalty on weights and factors (default 0.001)\n"
	"  --seed S            initializes the factors, an integer (default 7)\n"
	"  --rank K            rank of the pairwise factorization term, 0 to 64;\n"
	"                      0 (default) is plain logistic regression\n"
	"  --metrics FILE      also write {\"loss\": ..., \"epochs\": N} there\n"
	"  --help              this text\n"
	"\n"
	"Exit status: 0 done, 1 bad input or cannot write, 2 bad usage.\n";

typedef struct grads {
	double *w, *v, b;
} grads;

/*
 * One pass over the table: the regularized mean log-loss at m and, when
 * g is not NULL, its gradient.
 */
static double pass(const model *m, const table *t, double l2, grads *g)
{
	size_t d = m->nfeat, r = m->rank;
	double loss = 0, n = (double)t->nrows, *s = xcalloc(r, sizeof(*s));

	if (g) {
		memset(g->w, 0, d * sizeof(*g->w));
		if (r)
			memset(g->v, 0, d * r * sizeof(*g->v));
		g->b = 0;
	}
	for (size_t i = 0; i < t->nrows; i++) {
		const double *x = &t->x[i * d];
		double p = sigmoid(model_score(m, x)), e = (p - t->y[i]) / n;

		loss += logloss1(p, t->y[i]);
		if (!g)
			continue;
		g->b += e;
		for (size_t j = 0; j < d; j++)
			g->w[j] += e * x[j];
		for (size_t f = 0; f < r; f++) {
			s[f] = 0;
			for (size_t j = 0; j < d; j++)
				s[f] += m->v[j * r + f] * x[j];
		}
		for (size_t j = 0; j < d; j++)
			for (size_t f = 0; f < r; f++)
				g->v[j * r + f] += e * (x[j] * s[f] -
					m->v[j * r + f] * x[j] * x[j]);
	}
	free(s);
	loss /= n;
	for (size_t j = 0; j < d; j++) {
		loss += 0.5 * l2 * m->w[j] * m->w[j];
		if (g)
			g->w[j] += l2 * m->w[j];
	}
	for (size_t k = 0; k < d * r; k++) {
		loss += 0.5 * l2 * m->v[k] * m->v[k];
		if (g)
			g->v[k] += l2 * m->v[k];
	}
	return loss;
}

static void write_names(FILE *f, const table *t)
{
	fputc('[', f);
	for (size_t j = 0; j < t->nfeat; j++) {
		fputs(j ? ", " : "", f);
		json_str(f, t->names[j]);
	}
	fputc(']', f);
}

static void write_weights(const char *path, const model *m, const table *t)
{
	FILE *f = create_file(path);

	fprintf(f, "{\n  \"format\": 1,\n  \"model\": \"%s\",\n  \"features\": ",
		m->rank ? "factorization-machine" : "logistic-regression");
	write_names(f, t);
	fputs(",\n  \"weights\": [", f);
	for (size_t j = 0; j < m->nfeat; j++) {
		fputs(j ? ", " : "", f);
		json_num(f, m->w[j]);
	}
	fputs("],\n  \"bias\": ", f);
	json_num(f, m->bias);
	fprintf(f, ",\n  \"rank\": %zu", m->rank);
	if (m->rank) {
		fputs(",\n  \"factors\": [", f);
		for (size_t j = 0; j < m->nfeat; j++) {
			fputs(j ? ",\n    [" : "\n    [", f);
			for (size_t k = 0; k < m->rank; k++) {
				fputs(k ? ", " : "", f);
				json_num(f, m->v[j * m->rank + k]);
			}
			fputc(']', f);
		}
		fputs("\n  ]", f);
	}
	fputs("\n}\n", f);
	close_file(f, path);
}

/* features.json's preprocessing, as the adapter must apply it. */
static void write_preprocessing(FILE *f, const jval *fj, const char *fpath)
{
	const jval *num = jneed(fj, "numeric", J_ARR, fpath);
	const jval *cat = jneed(fj, "categorical", J_ARR, fpath);

	fputs("  \"preprocessing\": {\n    \"standardize\": [", f);
	for (size_t i = 0; i < num->n; i++) {
		const jval *e = &num->items[i];
		fputs(i ? ",\n      " : "\n      ", f);
		fputs("{\"name\": ", f);
		json_str(f, jneed(e, "name", J_STR, fpath)->str);
		fputs(", \"mean\": ", f);
		json_num(f, jneed(e, "mean", J_NUM, fpath)->num);
		fputs(", \"std\": ", f);
		json_num(f, jneed(e, "std", J_NUM, fpath)->num);
		fputc('}', f);
	}
	fputs("\n    ],\n    \"one_hot\": [", f);
	for (size_t i = 0; i < cat->n; i++) {
		const jval *e = &cat->items[i], *vals;
		fputs(i ? ",\n      " : "\n      ", f);
		fputs("{\"name\": ", f);
		json_str(f, jneed(e, "name", J_STR, fpath)->str);
		fputs(", \"values\": [", f);
		vals = jneed(e, "values", J_ARR, fpath);
		for (size_t k = 0; k < vals->n; k++) {
			if (vals->items[k].type != J_STR)
				die(EXIT_INPUT, "%s: categorical values must be strings",
					fpath);
			fputs(k ? ", " : "", f);
			json_str(f, vals->items[k].str);
		}
		fputs("]}", f);
	}
	fputs("\n    ]\n  },\n", f);
}

int main(int argc, char **argv)
{
	const char *fdir = NULL, *out = NULL, *epochs_s = "200", *lr_s = "0.1",
		*l2_s = "0.001", *seed_s = "7", *rank_s = "0", *metrics = NULL;
	const opt opts[] = {
		{ "features", 1, &fdir, NULL }, { "out", 1, &out, NULL },
		{ "epochs", 1, &epochs_s, NULL }, { "learning-rate", 1, &lr_s, NULL },
		{ "l2", 1, &l2_s, NULL }, { "seed", 1, &seed_s, NULL },
		{ "rank", 1, &rank_s, NULL }, { "metrics", 1, &metrics, NULL },
		{ NULL, 0, NULL, NULL }
	};
	double lr, l2, loss0, loss, prior, pos = 0, logloss = 0;
	int64_t epochs, seed;
	char *tpath, *fpath, *path;
	model m = { 0 };
	grads g = { 0 };
	table t;
	jval *fj;
	rng r;
	FILE *f;

	opts_parse(argc, argv, "churn-train", usage, opts);
	opts_require(fdir, "features");
	opts_require(out, "out");
	epochs = opt_int(epochs_s, "epochs", 1, 1000000);
	lr = opt_double(lr_s, "learning-rate", 0, 100);
	if (!(lr > 0))
		die(EXIT_USAGE, "--learning-rate: must be over 0\n"
			"Try 'churn-train --help'.");
	l2 = opt_double(l2_s, "l2", 0, 1000);
	seed = opt_int(seed_s, "seed", INT64_MIN, INT64_MAX);
	m.rank = (size_t)opt_int(rank_s, "rank", 0, 64);

	tpath = join(fdir, "train.tsv");
	fpath = join(fdir, "features.json");
	fj = json_load(fpath);
	table_read(&t, tpath);
	table_check_names(&t, jneed(fj, "features", J_ARR, fpath), tpath, fpath);

	m.nfeat = t.nfeat;
	m.w = xcalloc(m.nfeat, sizeof(*m.w));
	m.v = xcalloc(m.nfeat * (m.rank ? m.rank : 1), sizeof(*m.v));
	g.w = xcalloc(m.nfeat, sizeof(*g.w));
	g.v = xcalloc(m.nfeat * (m.rank ? m.rank : 1), sizeof(*g.v));
	/* start from the base rate: the bias alone predicts it */
	for (size_t i = 0; i < t.nrows; i++)
		pos += t.y[i];
	prior = (pos + 0.5) / ((double)t.nrows + 1.0);
	m.bias = log(prior / (1 - prior));
	r.s = (uint64_t)seed;
	for (size_t k = 0; k < m.nfeat * m.rank; k++)
		m.v[k] = 0.1 * (rng_unit(&r) - 0.5);

	loss0 = pass(&m, &t, l2, NULL);
	for (int64_t e = 0; e < epochs; e++) {
		pass(&m, &t, l2, &g);
		m.bias -= lr * g.b;
		for (size_t j = 0; j < m.nfeat; j++)
			m.w[j] -= lr * g.w[j];
		for (size_t k = 0; k < m.nfeat * m.rank; k++)
			m.v[k] -= lr * g.v[k];
	}
	loss = pass(&m, &t, l2, NULL);
	for (size_t i = 0; i < t.nrows; i++)
		logloss += logloss1(sigmoid(model_score(&m, &t.x[i * t.nfeat])),
			t.y[i]);
	logloss /= (double)t.nrows;
	if (!isfinite(loss))
		die(EXIT_INPUT, "training diverged (loss is not finite): try a "
			"smaller --learning-rate");

	make_dirs(out);
	path = join(out, "weights.json");
	write_weights(path, &m, &t);
	free(path);

	path = join(out, "adapter.json");
	f = create_file(path);
	fprintf(f, "{\n  \"format\": 1,\n  \"kind\": \"%s\",\n"
		"  \"weights\": \"weights.json\",\n  \"label\": \"churned\",\n"
		"  \"features\": ",
		m.rank ? "factorization-machine" : "logistic-regression");
	write_names(f, &t);
	fputs(",\n", f);
	write_preprocessing(f, fj, fpath);
	fprintf(f, "  \"training\": {\"epochs\": %lld, \"learning_rate\": ",
		(long long)epochs);
	json_num(f, lr);
	fputs(", \"l2\": ", f);
	json_num(f, l2);
	fprintf(f, ", \"seed\": %lld, \"rank\": %zu, \"rows\": %zu, "
		"\"positives\": %zu},\n  \"train_loss\": ", (long long)seed, m.rank,
		t.nrows, (size_t)pos);
	json_num(f, loss);
	fputs(",\n  \"train_logloss\": ", f);
	json_num(f, logloss);
	fputs("\n}\n", f);
	close_file(f, path);
	free(path);

	if (metrics) {
		f = create_file(metrics);
		fputs("{\"loss\": ", f);
		json_num(f, loss);
		fputs(", \"logloss\": ", f);
		json_num(f, logloss);
		fprintf(f, ", \"epochs\": %lld}\n", (long long)epochs);
		close_file(f, metrics);
	}
	printf("churn-train: %zu rows, %zu features, %lld epochs: loss %.6f -> "
		"%.6f\n", t.nrows, t.nfeat, (long long)epochs, loss0, loss);

	free(g.w);
	free(g.v);
	free(m.w);
	free(m.v);
	table_free(&t);
	jval_free(fj);
	free(tpath);
	free(fpath);
	return 0;
}
