/*
 * churn-eval: scores FEATURES/holdout.tsv with WEIGHTS/weights.json and
 * reports accuracy, precision, recall, log-loss and AUC next to the
 * majority-class baseline of the training set.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "common.h"

static const char usage[] =
	"Usage: churn-eval --weights DIR --features DIR --report FILE\n"
	"                  [--metrics FILE] [--threshold P]\n"
	"\n"
	"Evaluates the model in DIR/weights.json (from churn-train) on the\n"
	"holdout rows of churn-prepare's DIR/holdout.tsv.\n"
	"\n"
	"  --weights DIR    churn-train's output directory\n"
	"  --features DIR   churn-prepare's output directory\n"
	"  --report FILE    the full report (JSON, with a confusion matrix)\n"
	"  --metrics FILE   {\"accuracy\": ..., \"auc\": ..., \"logloss\": ...}\n"
	"  --threshold P    predict churn when its probability is at least P\n"
	"                   (default 0.5)\n"
	"  --help           this text\n"
	"\n"
	"Exit status: 0 done, 1 bad input or cannot write, 2 bad usage.\n";

typedef struct scored {
	double p, y;
	size_t i;
} scored;

static int by_score(const void *a, const void *b)
{
	const scored *x = a, *y = b;

	if (x->p != y->p)
		return x->p < y->p ? -1 : 1;
	return x->i < y->i ? -1 : x->i > y->i;
}

/* Area under the ROC curve by ranks (ties share their average rank);
 * NAN when the holdout has only one class. */
static double auc(scored *s, size_t n, size_t npos)
{
	double ranks = 0;
	size_t nneg = n - npos;

	if (!npos || !nneg)
		return NAN;
	qsort(s, n, sizeof(*s), by_score);
	for (size_t i = 0; i < n; ) {
		size_t j = i;
		while (j < n && s[j].p == s[i].p)
			j++;
		/* ranks i+1 .. j share (i+1+j)/2 */
		for (size_t k = i; k < j; k++)
			if (s[k].y != 0)
				ranks += (double)(i + 1 + j) / 2.0;
		i = j;
	}
	return (ranks - (double)npos * ((double)npos + 1) / 2.0) /
		((double)npos * (double)nneg);
}

static void load_model(model *m, const jval *wj, const char *path)
{
	const jval *w = jneed(wj, "weights", J_ARR, path);
	const jval *rank = jneed(wj, "rank", J_NUM, path);

	m->nfeat = w->n;
	m->bias = jneed(wj, "bias", J_NUM, path)->num;
	if (rank->num < 0 || rank->num > 64 || rank->num != floor(rank->num))
		die(EXIT_INPUT, "%s: rank must be an integer from 0 to 64", path);
	m->rank = (size_t)rank->num;
	m->w = xcalloc(m->nfeat, sizeof(*m->w));
	m->v = xcalloc(m->nfeat * (m->rank ? m->rank : 1), sizeof(*m->v));
	for (size_t j = 0; j < m->nfeat; j++) {
		if (w->items[j].type != J_NUM)
			die(EXIT_INPUT, "%s: weights[%zu] is not a number", path, j);
		m->w[j] = w->items[j].num;
	}
	if (m->rank) {
		const jval *v = jneed(wj, "factors", J_ARR, path);
		if (v->n != m->nfeat)
			die(EXIT_INPUT, "%s: factors must have one row per feature",
				path);
		for (size_t j = 0; j < m->nfeat; j++) {
			const jval *row = &v->items[j];
			if (row->type != J_ARR || row->n != m->rank)
				die(EXIT_INPUT, "%s: factors[%zu] must hold %zu numbers",
					path, j, m->rank);
			for (size_t k = 0; k < m->rank; k++) {
				if (row->items[k].type != J_NUM)
					die(EXIT_INPUT, "%s: factors[%zu][%zu] is not a number",
						path, j, k);
				m->v[j * m->rank + k] = row->items[k].num;
			}
		}
	}
}

/* A number, or null when it is not defined (NAN). */
static void num_or_null(FILE *f, double v)
{
	if (isnan(v))
		fputs("null", f);
	else
		json_num(f, v);
}

int main(int argc, char **argv)
{
	const char *wdir = NULL, *fdir = NULL, *report = NULL, *metrics = NULL,
		*thr_s = "0.5";
	const opt opts[] = {
		{ "weights", 1, &wdir, NULL }, { "features", 1, &fdir, NULL },
		{ "report", 1, &report, NULL }, { "metrics", 1, &metrics, NULL },
		{ "threshold", 1, &thr_s, NULL }, { NULL, 0, NULL, NULL }
	};
	size_t tp = 0, fp = 0, tn = 0, fn = 0, npos = 0, n;
	double thr, ll = 0, base_ll = 0, acc, prec, rec, f1, a, base_acc, prior;
	double train_rows, train_pos;
	char *wpath, *fpath, *hpath;
	const jval *rows;
	jval *wj, *fj;
	scored *s;
	model m = { 0 };
	table t;
	FILE *f;

	opts_parse(argc, argv, "churn-eval", usage, opts);
	opts_require(wdir, "weights");
	opts_require(fdir, "features");
	opts_require(report, "report");
	thr = opt_double(thr_s, "threshold", 0, 1);

	wpath = join(wdir, "weights.json");
	fpath = join(fdir, "features.json");
	hpath = join(fdir, "holdout.tsv");
	wj = json_load(wpath);
	fj = json_load(fpath);
	table_read(&t, hpath);
	table_check_names(&t, jneed(fj, "features", J_ARR, fpath), hpath, fpath);
	table_check_names(&t, jneed(wj, "features", J_ARR, wpath), hpath, wpath);
	load_model(&m, wj, wpath);
	rows = jneed(fj, "rows", J_OBJ, fpath);
	train_rows = jneed(rows, "train", J_NUM, fpath)->num;
	train_pos = jneed(rows, "train_positives", J_NUM, fpath)->num;
	if (!(train_rows > 0) || train_pos < 0 || train_pos > train_rows)
		die(EXIT_INPUT, "%s: rows.train and rows.train_positives are not "
			"counts", fpath);

	/* the baseline predicts the training majority, with the training
	 * base rate as its probability */
	prior = (train_pos + 0.5) / (train_rows + 1.0);
	n = t.nrows;
	s = xcalloc(n, sizeof(*s));
	for (size_t i = 0; i < n; i++) {
		double p = sigmoid(model_score(&m, &t.x[i * t.nfeat])), y = t.y[i];
		int pred = p >= thr;
		s[i].p = p;
		s[i].y = y;
		s[i].i = i;
		npos += y != 0;
		ll += logloss1(p, y);
		base_ll += logloss1(prior, y);
		if (pred && y != 0)
			tp++;
		else if (pred)
			fp++;
		else if (y != 0)
			fn++;
		else
			tn++;
	}
	ll /= (double)n;
	base_ll /= (double)n;
	acc = (double)(tp + tn) / (double)n;
	base_acc = (double)(2 * train_pos >= train_rows ? npos : n - npos) /
		(double)n;
	/* no positive predictions: precision is taken as 0 (and said so) */
	prec = tp + fp ? (double)tp / (double)(tp + fp) : 0;
	rec = npos ? (double)tp / (double)npos : NAN;
	f1 = prec + rec > 0 ? 2 * prec * rec / (prec + rec) : 0;
	a = auc(s, n, npos);

	f = create_file(report);
	fputs("{\n  \"format\": 1,\n  \"model\": ", f);
	json_str(f, jget(wj, "model") && jget(wj, "model")->type == J_STR ?
		jget(wj, "model")->str : "unknown");
	fprintf(f, ",\n  \"rows\": %zu,\n  \"positives\": %zu,\n  \"threshold\": ",
		n, npos);
	json_num(f, thr);
	fputs(",\n  \"accuracy\": ", f);
	json_num(f, acc);
	fputs(",\n  \"precision\": ", f);
	json_num(f, prec);
	fputs(",\n  \"recall\": ", f);
	num_or_null(f, rec);
	fputs(",\n  \"f1\": ", f);
	json_num(f, f1);
	fputs(",\n  \"logloss\": ", f);
	json_num(f, ll);
	fputs(",\n  \"auc\": ", f);
	num_or_null(f, a);
	fprintf(f, ",\n  \"confusion\": {\"true_positive\": %zu, "
		"\"false_positive\": %zu, \"false_negative\": %zu, "
		"\"true_negative\": %zu},\n", tp, fp, fn, tn);
	fprintf(f, "  \"baseline\": {\"predicts\": \"%s\", \"accuracy\": ",
		2 * train_pos >= train_rows ? "churned" : "stays");
	json_num(f, base_acc);
	fputs(", \"logloss\": ", f);
	json_num(f, base_ll);
	fputs("}", f);
	if (!(tp + fp))
		fputs(",\n  \"note\": \"no row reached the threshold: precision "
			"is reported as 0\"", f);
	fputs("\n}\n", f);
	close_file(f, report);

	if (metrics) {
		f = create_file(metrics);
		fputs("{\"accuracy\": ", f);
		json_num(f, acc);
		fputs(", \"auc\": ", f);
		num_or_null(f, a);
		fputs(", \"logloss\": ", f);
		json_num(f, ll);
		fputs(", \"precision\": ", f);
		json_num(f, prec);
		fputs(", \"recall\": ", f);
		num_or_null(f, rec);
		fputs(", \"baseline_accuracy\": ", f);
		json_num(f, base_acc);
		fputs(", \"baseline_logloss\": ", f);
		json_num(f, base_ll);
		fprintf(f, ", \"rows\": %zu}\n", n);
		close_file(f, metrics);
	}
	printf("churn-eval: %zu rows: accuracy %.4f (baseline %.4f), AUC %.4f, "
		"log-loss %.4f (baseline %.4f)\n", n, acc, base_acc, a, ll, base_ll);

	free(s);
	free(m.w);
	free(m.v);
	table_free(&t);
	jval_free(wj);
	jval_free(fj);
	free(wpath);
	free(fpath);
	free(hpath);
	return 0;
}
