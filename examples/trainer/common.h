/*
 * Shared parts of the example churn trainer (churn-gen, churn-prepare,
 * churn-train, churn-eval): option parsing, errors, files, a deterministic
 * hash and random generator, JSON in and out, the TSV feature files and
 * the model. C11 and libm only; no threads, no clock, no locale.
 */
#ifndef CHURN_COMMON_H
#define CHURN_COMMON_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* Exit codes: 1 for bad input or a failed write, 2 for bad usage. */
#define EXIT_INPUT 1
#define EXIT_USAGE 2

/* The program's name in messages ("churn-prepare"); set by opts_parse. */
extern const char *prog;

/* "prog: message" on stderr, then exit(code). */
_Noreturn void die(int code, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* One command-line option: "--name VALUE" or "--name=VALUE" (has_arg),
 * or a flag "--name". *value is NULL (*flag 0) when not given. */
typedef struct opt {
	const char *name;
	int has_arg;
	const char **value;
	int *flag;
} opt;

/* Parses argv against opts (terminated by a zeroed entry). --help prints
 * usage on stdout and exits 0; anything unknown exits 2 with a hint. */
void opts_parse(int argc, char **argv, const char *name, const char *usage,
	const opt *opts);
/* A required option that was not given: exits 2. */
void opts_require(const char *value, const char *name);
/* Option values; out of range or not a number: exits 2 naming it. */
int64_t opt_int(const char *s, const char *name, int64_t min, int64_t max);
double opt_double(const char *s, const char *name, double min, double max);

/* Whole-file reading (exit 1 naming the file on failure); NUL-terminated. */
char *read_file(const char *path, size_t *len);
/* mkdir -p (exit 1 on failure). */
void make_dirs(const char *path);
/* Opens path for writing, creating its parent directories. */
FILE *create_file(const char *path);
/* Closes f, exit 1 if anything failed while writing it. */
void close_file(FILE *f, const char *path);
/* dir + "/" + name, malloc'd. */
char *join(const char *dir, const char *name);
void *xmalloc(size_t n);
void *xcalloc(size_t n, size_t size);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);
/* The last path component (a pointer into path). */
const char *base_name(const char *path);

/* A 64-bit hash of text (FNV-1a, then a splitmix64 finalizer). */
uint64_t hash64(uint64_t seed, const char *s);
/* splitmix64 stream: deterministic for a seed on every platform. */
typedef struct rng { uint64_t s; } rng;
uint64_t rng_next(rng *r);
double rng_unit(rng *r);     /* [0, 1) with 53 bits */
double rng_normal(rng *r);   /* standard normal (Box-Muller) */

/* JSON output: strings escaped, numbers as "%.17g" (finite only: a
 * non-finite number is a bug and exits 1). */
void json_str(FILE *f, const char *s);
void json_num(FILE *f, double v);

/* A parsed JSON value (only what these programs read). */
typedef enum jtype { J_NULL, J_BOOL, J_NUM, J_STR, J_ARR, J_OBJ } jtype;
typedef struct jval {
	jtype type;
	double num;          /* J_NUM, J_BOOL (0/1) */
	char *str;           /* J_STR */
	size_t n;            /* J_ARR, J_OBJ: number of items */
	struct jval *items;  /* J_ARR, J_OBJ */
	char **keys;         /* J_OBJ */
} jval;

/* Parses the JSON file at path; a syntax error exits 1 naming the file,
 * line and column. Free with jval_free. */
jval *json_load(const char *path);
void jval_free(jval *v);
/* Member key of an object (NULL if absent or v is not an object). */
const jval *jget(const jval *v, const char *key);
/* Required members of a given type; otherwise exit 1 naming file and key. */
const jval *jneed(const jval *v, const char *key, jtype t, const char *path);

/* A feature table (train.tsv, holdout.tsv): a header "churned" + feature
 * names, then rows "label<TAB>x1<TAB>x2...". */
typedef struct table {
	size_t nfeat, nrows;
	char **names;        /* nfeat */
	double *x;           /* nrows * nfeat, row-major */
	double *y;           /* nrows, 0 or 1 */
} table;

void table_read(table *t, const char *path);
void table_write(const table *t, const char *path);
void table_free(table *t);
/* Exits 1 unless t's feature names equal names (n of them), in order. */
void table_check_names(const table *t, const jval *names, const char *path,
	const char *other);

/* The model: logistic regression, plus a factorization-machine pairwise
 * term of rank r when r > 0 (v is nfeat * r, row-major). */
typedef struct model {
	size_t nfeat, rank;
	double *w, *v;
	double bias;
} model;

/* The raw score (logit) of one row, and the probability from it. */
double model_score(const model *m, const double *x);
double sigmoid(double z);
/* -log of the probability given to the true label, clipped away from 0. */
double logloss1(double p, double y);

#endif
