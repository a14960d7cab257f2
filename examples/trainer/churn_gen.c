/*
 * churn-gen: deterministic synthetic customers in the schema of
 * examples/churn (customers.csv), whose v1 and v2 it made (commands in
 * examples/churn/README.md). Churn clearly depends on the features (short
 * tenure, a price above the plan's usual, the basic plan), so a model has
 * something to learn. --drift shifts the distribution as v2 has it: a new
 * region, higher monthly charges, missing signup dates.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "common.h"

static const char usage[] =
	"Usage: churn-gen --rows N --out FILE [--seed S] [--drift]\n"
	"\n"
	"Writes N synthetic customers (customers.csv format: customer_id,\n"
	"tenure_months, plan, region, monthly_charges, churned, signup_at).\n"
	"The same arguments always give the same bytes.\n"
	"\n"
	"  --rows N     number of customers, 1 to 10000000\n"
	"  --out FILE   output file ('-': standard output)\n"
	"  --seed S     an integer (default 1)\n"
	"  --drift      a shifted distribution: region apac appears (a third\n"
	"               of the customers), monthly charges rise by about 1.3\n"
	"               standard deviations, a sixth of the signup dates are\n"
	"               missing\n"
	"  --help       this text\n"
	"\n"
	"Exit status: 0 done, 1 cannot write, 2 bad usage.\n";

/* Days since 1970-01-01 to a civil date (proleptic Gregorian). */
static void civil(int64_t days, int *y, int *m, int *d)
{
	int64_t z = days + 719468, era = (z >= 0 ? z : z - 146096) / 146097;
	int64_t doe = z - era * 146097;
	int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	int64_t mp = (5 * doy + 2) / 153;

	*d = (int)(doy - (153 * mp + 2) / 5 + 1);
	*m = (int)(mp < 10 ? mp + 3 : mp - 9);
	*y = (int)(yoe + era * 400 + (*m <= 2));
}

int main(int argc, char **argv)
{
	const char *rows_s = NULL, *out = NULL, *seed_s = "1";
	int drift = 0;
	const opt opts[] = {
		{ "rows", 1, &rows_s, NULL }, { "out", 1, &out, NULL },
		{ "seed", 1, &seed_s, NULL }, { "drift", 0, NULL, &drift },
		{ NULL, 0, NULL, NULL }
	};
	static const char *const plans[3] = { "basic", "plus", "pro" };
	static const double price[3] = { 20, 35, 60 };
	int64_t rows;
	rng r;
	FILE *f;

	opts_parse(argc, argv, "churn-gen", usage, opts);
	opts_require(rows_s, "rows");
	opts_require(out, "out");
	rows = opt_int(rows_s, "rows", 1, 10000000);
	r.s = (uint64_t)opt_int(seed_s, "seed", INT64_MIN, INT64_MAX);

	f = strcmp(out, "-") ? create_file(out) : stdout;
	fputs("customer_id,tenure_months,plan,region,monthly_charges,churned,"
		"signup_at\n", f);
	for (int64_t i = 0; i < rows; i++) {
		double u = rng_unit(&r), charges, z;
		int plan = u < 0.5 ? 0 : u < 0.75 ? 1 : 2, tenure, y, mo, d;
		const char *region;
		int64_t day;

		u = rng_unit(&r);
		if (drift) /* a third each: the region mix moves by 1/3 */
			region = u < 1.0 / 3 ? "apac" :
				u < 2.0 / 3 ? "amer" : "emea";
		else
			region = u < 0.5 ? "amer" : "emea";
		tenure = (int)(rng_unit(&r) * 73);
		charges = price[plan] + 5 * rng_normal(&r);
		if (drift)
			charges += 22;
		if (charges < 0)
			charges = 0;
		if (charges > 999.99)
			charges = 999.99;
		/* the truth: churn falls with tenure, rises with a price above
		 * the plan's usual, and is likelier on basic and in emea */
		z = -0.8 - 0.09 * (tenure - 36) +
			0.25 * (charges - price[plan] - (drift ? 22 : 0)) +
			(plan == 0 ? 0.5 : plan == 2 ? -0.5 : 0) +
			(!strcmp(region, "emea") ? 0.3 : 0);
		u = rng_unit(&r);
		day = 19723 + (int64_t)(rng_unit(&r) * 366); /* 2024-01-01 on */
		civil(day, &y, &mo, &d);
		fprintf(f, "c-%07lld,%d,%s,%s,%.2f,%s,", (long long)i, tenure,
			plans[plan], region, charges,
			u < 1 / (1 + exp(-z)) ? "true" : "false");
		if (drift && rng_unit(&r) < 1.0 / 6)
			fputc('\n', f);
		else
			fprintf(f, "%04d-%02d-%02dT%02d:00:00Z\n", y, mo, d,
				(int)(rng_next(&r) % 24));
	}
	if (f == stdout) {
		if (fflush(f) != 0 || ferror(f))
			die(EXIT_INPUT, "cannot write to standard output");
	} else
		close_file(f, out);
	return 0;
}
