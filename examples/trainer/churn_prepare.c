/*
 * churn-prepare: customers.csv -> train.tsv, holdout.tsv, features.json.
 * Rows go to the holdout by a hash of customer_id and the seed (so a
 * customer stays on its side whatever the row order); plan and region are
 * one-hot encoded with the categories seen in training; tenure_months and
 * monthly_charges are standardized with training statistics.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "common.h"

static const char usage[] =
	"Usage: churn-prepare --in CSV --out DIR [--holdout FRACTION] [--seed S]\n"
	"\n"
	"Turns a churn customers.csv (columns customer_id, tenure_months, plan,\n"
	"region, monthly_charges, churned; others are ignored) into features:\n"
	"DIR/train.tsv, DIR/holdout.tsv and DIR/features.json.\n"
	"\n"
	"  --in CSV           the input file (header line; fields may be quoted\n"
	"                     with \"...\", not across lines)\n"
	"  --out DIR          output directory (created)\n"
	"  --holdout FRACTION share of customers held out for evaluation, over 0\n"
	"                     and under 1 (default 0.2)\n"
	"  --seed S           split seed, an integer (default 7)\n"
	"  --help             this text\n"
	"\n"
	"Exit status: 0 done, 1 bad input or cannot write, 2 bad usage.\n";

enum { C_ID, C_TENURE, C_PLAN, C_REGION, C_CHARGES, C_CHURNED, NCOLS };
static const char *const columns[NCOLS] = { "customer_id", "tenure_months",
	"plan", "region", "monthly_charges", "churned" };

typedef struct row {
	double tenure, charges, label;
	char *plan, *region;
	int holdout;
} row;

typedef struct cats {
	char **v;
	size_t n;
} cats;

/*
 * Splits one CSV line in place into fields (RFC 4180 quoting within the
 * line). Returns the count, or exits naming file:line.
 */
static size_t split_csv(char *line, char ***fields, size_t *cap,
	const char *path, int lineno)
{
	size_t n = 0;
	char *p = line;

	for (;;) {
		char *start = p, *w;
		if (n == *cap) {
			*cap = *cap ? *cap * 2 : 16;
			*fields = xrealloc(*fields, *cap * sizeof(**fields));
		}
		if (*p == '"') {
			/* unquote in place: "" is one quote */
			w = start;
			for (p++; ; p++) {
				if (!*p)
					die(EXIT_INPUT, "%s:%d: field %zu: quoted field not "
						"closed on this line (fields spanning lines are "
						"not supported)", path, lineno, n + 1);
				if (*p == '"') {
					if (p[1] == '"') {
						*w++ = '"';
						p++;
						continue;
					}
					p++;
					break;
				}
				*w++ = *p;
			}
			if (*p && *p != ',')
				die(EXIT_INPUT, "%s:%d: field %zu: text after the closing "
					"quote", path, lineno, n + 1);
			*w = '\0';
			(*fields)[n++] = start;
			if (!*p)
				return n;
			p++;
			continue;
		}
		while (*p && *p != ',') {
			if (*p == '"')
				die(EXIT_INPUT, "%s:%d: field %zu: a quote inside an "
					"unquoted field", path, lineno, n + 1);
			p++;
		}
		(*fields)[n++] = start;
		if (!*p)
			return n;
		*p++ = '\0';
	}
}

static double parse_number(const char *s, const char *path, int lineno,
	const char *col, int integer, double max)
{
	char *end;
	double v;

	if (integer) {
		long long i = strtoll(s, &end, 10);
		v = (double)i;
	} else
		v = strtod(s, &end);
	if (!*s || *end || !isfinite(v) || s[0] == ' ' || s[0] == '+')
		die(EXIT_INPUT, "%s:%d: %s: '%s' is not %s", path, lineno, col, s,
			integer ? "an integer" : "a number");
	if (v < 0 || v > max)
		die(EXIT_INPUT, "%s:%d: %s: %s is out of range (0 to %g)", path,
			lineno, col, s, max);
	return v;
}

static void check_category(const char *s, const char *path, int lineno,
	const char *col)
{
	if (!*s)
		die(EXIT_INPUT, "%s:%d: %s: empty", path, lineno, col);
	if (strlen(s) > 64)
		die(EXIT_INPUT, "%s:%d: %s: longer than 64 bytes", path, lineno, col);
	for (const char *p = s; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			die(EXIT_INPUT, "%s:%d: %s: control character in '%s'", path,
				lineno, col, s);
}

static void cats_add(cats *c, const char *s)
{
	size_t i = 0;

	/* kept sorted (strcmp), so the feature order depends on nothing else */
	while (i < c->n && strcmp(c->v[i], s) < 0)
		i++;
	if (i < c->n && !strcmp(c->v[i], s))
		return;
	c->v = xrealloc(c->v, (c->n + 1) * sizeof(*c->v));
	memmove(c->v + i + 1, c->v + i, (c->n - i) * sizeof(*c->v));
	c->v[i] = (char *)s;
	c->n++;
}

/* Where a customer goes: the top 53 bits of its hash as a fraction. */
static int held_out(const char *id, uint64_t seed, double frac)
{
	return (double)(hash64(seed, id) >> 11) * 0x1.0p-53 < frac;
}

/* Reads and checks the CSV into rows, each assigned to its side of the
 * split; exits on the first problem. */
static row *read_csv(const char *path, size_t *nrows, uint64_t seed,
	double frac)
{
	char *text = read_file(path, NULL), *line = text, *next;
	char **f = NULL;
	size_t cap = 0, n, width = 0, rowcap = 0, nr = 0;
	int idx[NCOLS], lineno = 0;
	row *rows = NULL;

	for (int c = 0; c < NCOLS; c++)
		idx[c] = -1;
	for (; line && *line; line = next) {
		size_t len;
		row *r;
		const char *id, *ch;

		lineno++;
		if ((next = strchr(line, '\n')))
			*next++ = '\0';
		len = strlen(line);
		if (len && line[len - 1] == '\r')
			line[--len] = '\0';
		if (lineno == 1 && !strncmp(line, "\xef\xbb\xbf", 3))
			line += 3; /* a byte-order mark */
		if (!*line) {
			/* blank lines may end the file, not split it */
			if (!next || !next[strspn(next, "\r\n")])
				break;
			die(EXIT_INPUT, "%s:%d: empty line", path, lineno);
		}
		n = split_csv(line, &f, &cap, path, lineno);
		if (lineno == 1) {
			for (size_t j = 0; j < n; j++)
				for (int c = 0; c < NCOLS; c++)
					if (!strcmp(f[j], columns[c])) {
						if (idx[c] >= 0)
							die(EXIT_INPUT, "%s:1: column '%s' appears "
								"twice", path, columns[c]);
						idx[c] = (int)j;
					}
			for (int c = 0; c < NCOLS; c++)
				if (idx[c] < 0)
					die(EXIT_INPUT, "%s:1: missing column '%s' (the header "
						"must name customer_id, tenure_months, plan, "
						"region, monthly_charges, churned)", path,
						columns[c]);
			width = n;
			continue;
		}
		if (n != width)
			die(EXIT_INPUT, "%s:%d: expected %zu fields like the header, "
				"found %zu", path, lineno, width, n);
		if (nr == rowcap) {
			rowcap = rowcap ? rowcap * 2 : 256;
			rows = xrealloc(rows, rowcap * sizeof(*rows));
		}
		r = &rows[nr];
		id = f[idx[C_ID]];
		ch = f[idx[C_CHURNED]];
		if (!*id)
			die(EXIT_INPUT, "%s:%d: customer_id: empty", path, lineno);
		r->tenure = parse_number(f[idx[C_TENURE]], path, lineno,
			"tenure_months", 1, 600);
		r->charges = parse_number(f[idx[C_CHARGES]], path, lineno,
			"monthly_charges", 0, 999999);
		check_category(f[idx[C_PLAN]], path, lineno, "plan");
		check_category(f[idx[C_REGION]], path, lineno, "region");
		if (!strcmp(ch, "true") || !strcmp(ch, "1"))
			r->label = 1;
		else if (!strcmp(ch, "false") || !strcmp(ch, "0"))
			r->label = 0;
		else
			die(EXIT_INPUT, "%s:%d: churned: '%s' is not true or false",
				path, lineno, ch);
		r->plan = xstrdup(f[idx[C_PLAN]]);
		r->region = xstrdup(f[idx[C_REGION]]);
		r->holdout = held_out(id, seed, frac);
		nr++;
	}
	free(f);
	free(text);
	if (lineno == 0)
		die(EXIT_INPUT, "%s: empty file (expected a header line)", path);
	if (!nr)
		die(EXIT_INPUT, "%s: no data rows after the header", path);
	*nrows = nr;
	return rows;
}

/* Mean and population standard deviation over the training rows (1 when
 * the column is constant, so standardizing never divides by 0). */
static void stats(const row *rows, size_t n, int which, double *mean,
	double *sd)
{
	double s = 0, ss = 0;
	size_t k = 0;

	for (size_t i = 0; i < n; i++)
		if (!rows[i].holdout) {
			s += which ? rows[i].charges : rows[i].tenure;
			k++;
		}
	*mean = s / (double)k;
	for (size_t i = 0; i < n; i++)
		if (!rows[i].holdout) {
			double d = (which ? rows[i].charges : rows[i].tenure) - *mean;
			ss += d * d;
		}
	*sd = sqrt(ss / (double)k);
	if (!(*sd > 0))
		*sd = 1;
}

static void fill(table *t, const row *rows, size_t n, int holdout,
	const double mean[2], const double sd[2], const cats *plans,
	const cats *regions)
{
	size_t k = 0;

	for (size_t i = 0; i < n; i++)
		if (rows[i].holdout == holdout)
			t->nrows++;
	t->x = xcalloc(t->nrows * t->nfeat, sizeof(*t->x));
	t->y = xcalloc(t->nrows, sizeof(*t->y));
	for (size_t i = 0; i < n; i++) {
		double *x;
		if (rows[i].holdout != holdout)
			continue;
		x = &t->x[k * t->nfeat];
		t->y[k] = rows[i].label;
		x[0] = (rows[i].tenure - mean[0]) / sd[0];
		x[1] = (rows[i].charges - mean[1]) / sd[1];
		/* a category unseen in training: all of its columns 0 */
		for (size_t j = 0; j < plans->n; j++)
			x[2 + j] = !strcmp(rows[i].plan, plans->v[j]);
		for (size_t j = 0; j < regions->n; j++)
			x[2 + plans->n + j] = !strcmp(rows[i].region, regions->v[j]);
		k++;
	}
}

static void write_cats(FILE *f, const char *name, const cats *c, int last)
{
	fputs("    {\"name\": ", f);
	json_str(f, name);
	fputs(", \"values\": [", f);
	for (size_t j = 0; j < c->n; j++) {
		if (j)
			fputs(", ", f);
		json_str(f, c->v[j]);
	}
	fprintf(f, "]}%s\n", last ? "" : ",");
}

int main(int argc, char **argv)
{
	const char *in = NULL, *out = NULL, *hold_s = "0.2", *seed_s = "7";
	const opt opts[] = {
		{ "in", 1, &in, NULL }, { "out", 1, &out, NULL },
		{ "holdout", 1, &hold_s, NULL }, { "seed", 1, &seed_s, NULL },
		{ NULL, 0, NULL, NULL }
	};
	static const char *const numeric[2] = { "tenure_months",
		"monthly_charges" };
	cats plans = { 0 }, regions = { 0 };
	double frac, mean[2], sd[2];
	size_t n, ntrain = 0, pos[2] = { 0, 0 };
	table train = { 0 }, hold = { 0 };
	uint64_t seed;
	row *rows;
	char *path;
	FILE *f;

	opts_parse(argc, argv, "churn-prepare", usage, opts);
	opts_require(in, "in");
	opts_require(out, "out");
	frac = opt_double(hold_s, "holdout", 0, 1);
	if (!(frac > 0 && frac < 1))
		die(EXIT_USAGE, "--holdout: %s must be over 0 and under 1\n"
			"Try 'churn-prepare --help'.", hold_s);
	seed = (uint64_t)opt_int(seed_s, "seed", INT64_MIN, INT64_MAX);

	rows = read_csv(in, &n, seed, frac);
	for (size_t i = 0; i < n; i++) {
		pos[rows[i].holdout] += rows[i].label != 0;
		if (!rows[i].holdout) {
			ntrain++;
			cats_add(&plans, rows[i].plan);
			cats_add(&regions, rows[i].region);
		}
	}
	if (!ntrain || ntrain == n)
		die(EXIT_INPUT, "%s: the split left the %s empty (%zu rows, "
			"holdout %s): use more rows or another --holdout", in,
			ntrain ? "holdout" : "training set", n, hold_s);
	stats(rows, n, 0, &mean[0], &sd[0]);
	stats(rows, n, 1, &mean[1], &sd[1]);

	train.nfeat = 2 + plans.n + regions.n;
	train.names = xcalloc(train.nfeat, sizeof(*train.names));
	train.names[0] = xstrdup(numeric[0]);
	train.names[1] = xstrdup(numeric[1]);
	for (size_t j = 0; j < plans.n; j++) {
		train.names[2 + j] = xmalloc(strlen(plans.v[j]) + 6);
		sprintf(train.names[2 + j], "plan=%s", plans.v[j]);
	}
	for (size_t j = 0; j < regions.n; j++) {
		train.names[2 + plans.n + j] = xmalloc(strlen(regions.v[j]) + 8);
		sprintf(train.names[2 + plans.n + j], "region=%s", regions.v[j]);
	}
	hold.nfeat = train.nfeat;
	hold.names = train.names;
	fill(&train, rows, n, 0, mean, sd, &plans, &regions);
	fill(&hold, rows, n, 1, mean, sd, &plans, &regions);

	make_dirs(out);
	path = join(out, "train.tsv");
	table_write(&train, path);
	free(path);
	path = join(out, "holdout.tsv");
	table_write(&hold, path);
	free(path);

	path = join(out, "features.json");
	f = create_file(path);
	fputs("{\n  \"format\": 1,\n  \"source\": ", f);
	json_str(f, base_name(in));
	fprintf(f, ",\n  \"seed\": %lld,\n  \"holdout\": ", (long long)(int64_t)seed);
	json_num(f, frac);
	fputs(",\n  \"label\": \"churned\",\n  \"features\": [", f);
	for (size_t j = 0; j < train.nfeat; j++) {
		fputs(j ? ", " : "", f);
		json_str(f, train.names[j]);
	}
	fputs("],\n  \"numeric\": [\n", f);
	for (int k = 0; k < 2; k++) {
		fprintf(f, "    {\"name\": \"%s\", \"mean\": ", numeric[k]);
		json_num(f, mean[k]);
		fputs(", \"std\": ", f);
		json_num(f, sd[k]);
		fprintf(f, "}%s\n", k ? "" : ",");
	}
	fputs("  ],\n  \"categorical\": [\n", f);
	write_cats(f, "plan", &plans, 0);
	write_cats(f, "region", &regions, 1);
	fprintf(f, "  ],\n  \"rows\": {\"train\": %zu, \"train_positives\": %zu, "
		"\"holdout\": %zu, \"holdout_positives\": %zu}\n}\n", ntrain,
		pos[0], n - ntrain, pos[1]);
	close_file(f, path);
	free(path);

	printf("churn-prepare: %zu rows: %zu for training, %zu held out; "
		"%zu features\n", n, ntrain, n - ntrain, train.nfeat);
	hold.names = NULL;
	hold.nfeat = 0;
	table_free(&hold);
	table_free(&train);
	for (size_t i = 0; i < n; i++) {
		free(rows[i].plan);
		free(rows[i].region);
	}
	free(rows);
	free(plans.v);
	free(regions.v);
	return 0;
}
