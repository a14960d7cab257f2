/* Shared parts of the example churn trainer (see common.h). */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include "common.h"

const char *prog = "churn";

_Noreturn void die(int code, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: ", prog);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(code);
}

static _Noreturn void usage_error(const char *fmt, const char *arg)
{
	fprintf(stderr, "%s: ", prog);
	fprintf(stderr, fmt, arg);
	fprintf(stderr, "\nTry '%s --help'.\n", prog);
	exit(EXIT_USAGE);
}

void opts_parse(int argc, char **argv, const char *name, const char *usage,
	const opt *opts)
{
	prog = name;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *eq;
		const opt *o = NULL;
		size_t len;

		if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
			fputs(usage, stdout);
			exit(0);
		}
		if (strncmp(a, "--", 2) || !a[2])
			usage_error("unexpected argument '%s'", a);
		eq = strchr(a, '=');
		len = eq ? (size_t)(eq - a) : strlen(a);
		for (const opt *p = opts; p->name; p++)
			if (strlen(p->name) == len - 2 && !strncmp(p->name, a + 2, len - 2))
				o = p;
		if (!o)
			usage_error("unknown option '%s'", a);
		if (!o->has_arg) {
			if (eq)
				usage_error("option '%s' takes no value", a);
			*o->flag = 1;
			continue;
		}
		if (eq)
			*o->value = eq + 1;
		else if (i + 1 < argc)
			*o->value = argv[++i];
		else
			usage_error("option '%s' needs a value", a);
	}
}

void opts_require(const char *value, const char *name)
{
	if (!value)
		usage_error("missing required option '--%s'", name);
}

int64_t opt_int(const char *s, const char *name, int64_t min, int64_t max)
{
	char *end;
	long long v;

	errno = 0;
	v = strtoll(s, &end, 10);
	if (!*s || *end || errno || v < min || v > max) {
		fprintf(stderr, "%s: --%s: '%s' is not an integer from %lld to "
			"%lld\nTry '%s --help'.\n", prog, name, s, (long long)min,
			(long long)max, prog);
		exit(EXIT_USAGE);
	}
	return v;
}

double opt_double(const char *s, const char *name, double min, double max)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (!*s || *end || errno || !isfinite(v) || v < min || v > max) {
		fprintf(stderr, "%s: --%s: '%s' is not a number from %g to %g\n"
			"Try '%s --help'.\n", prog, name, s, min, max, prog);
		exit(EXIT_USAGE);
	}
	return v;
}

void *xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);

	if (!p)
		die(EXIT_INPUT, "out of memory");
	return p;
}

void *xcalloc(size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size ? size : 1);

	if (!p)
		die(EXIT_INPUT, "out of memory");
	return p;
}

void *xrealloc(void *p, size_t n)
{
	if (!(p = realloc(p, n ? n : 1)))
		die(EXIT_INPUT, "out of memory");
	return p;
}

char *xstrdup(const char *s)
{
	size_t n = strlen(s) + 1;

	return memcpy(xmalloc(n), s, n);
}

char *join(const char *dir, const char *name)
{
	size_t a = strlen(dir), b = strlen(name);
	char *p = xmalloc(a + b + 2);

	memcpy(p, dir, a);
	p[a] = '/';
	memcpy(p + a + 1, name, b + 1);
	return p;
}

const char *base_name(const char *path)
{
	const char *s = strrchr(path, '/');

	return s ? s + 1 : path;
}

char *read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	size_t cap = 65536, n = 0, r;
	char *buf;

	if (!f)
		die(EXIT_INPUT, "cannot open '%s': %s", path, strerror(errno));
	buf = xmalloc(cap);
	while ((r = fread(buf + n, 1, cap - n - 1, f)) > 0) {
		n += r;
		if (cap - n - 1 == 0)
			buf = xrealloc(buf, cap *= 2);
	}
	if (ferror(f))
		die(EXIT_INPUT, "cannot read '%s': %s", path, strerror(errno));
	fclose(f);
	buf[n] = '\0';
	if (memchr(buf, '\0', n))
		die(EXIT_INPUT, "%s: contains a NUL byte: not a text file", path);
	if (len)
		*len = n;
	return buf;
}

void make_dirs(const char *path)
{
	char *p = xstrdup(path);

	for (char *s = p + 1; ; s++) {
		int last = !*s;
		if (*s != '/' && !last)
			continue;
		*s = '\0';
		if (mkdir(p, 0777) < 0 && errno != EEXIST)
			die(EXIT_INPUT, "cannot create directory '%s': %s", p,
				strerror(errno));
		if (last)
			break;
		*s = '/';
	}
	free(p);
}

FILE *create_file(const char *path)
{
	const char *slash = strrchr(path, '/');
	FILE *f;

	if (slash && slash != path) {
		char *dir = xstrdup(path);
		dir[slash - path] = '\0';
		make_dirs(dir);
		free(dir);
	}
	if (!(f = fopen(path, "w")))
		die(EXIT_INPUT, "cannot create '%s': %s", path, strerror(errno));
	return f;
}

void close_file(FILE *f, const char *path)
{
	int bad = ferror(f);

	if (fclose(f) != 0 || bad)
		die(EXIT_INPUT, "cannot write '%s': %s", path, strerror(errno));
}

uint64_t hash64(uint64_t seed, const char *s)
{
	uint64_t h = 0xcbf29ce484222325ull ^ seed;

	for (; *s; s++) {
		h ^= (unsigned char)*s;
		h *= 0x100000001b3ull;
	}
	h ^= h >> 30;
	h *= 0xbf58476d1ce4e5b9ull;
	h ^= h >> 27;
	h *= 0x94d049bb133111ebull;
	return h ^ (h >> 31);
}

uint64_t rng_next(rng *r)
{
	uint64_t z = (r->s += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

double rng_unit(rng *r)
{
	return (double)(rng_next(r) >> 11) * 0x1.0p-53;
}

double rng_normal(rng *r)
{
	double u = 1.0 - rng_unit(r), v = rng_unit(r); /* u in (0, 1] */

	return sqrt(-2.0 * log(u)) * cos(6.283185307179586 * v);
}

void json_str(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if (c == '"' || c == '\\')
			fprintf(f, "\\%c", c);
		else if (c == '\n')
			fputs("\\n", f);
		else if (c == '\t')
			fputs("\\t", f);
		else if (c < 0x20)
			fprintf(f, "\\u%04x", c);
		else
			fputc(c, f);
	}
	fputc('"', f);
}

void json_num(FILE *f, double v)
{
	if (!isfinite(v))
		die(EXIT_INPUT, "a result is not a finite number (diverged? try a "
			"smaller --learning-rate)");
	/* -0 and 0 print alike, so equal models print equal bytes */
	fprintf(f, "%.17g", v == 0 ? 0.0 : v);
}

/* ---- a small JSON reader ---- */

typedef struct jparser {
	const char *path, *s, *p;
} jparser;

static _Noreturn void jfail(const jparser *jp, const char *what)
{
	int line = 1, col = 1;

	for (const char *q = jp->s; q < jp->p; q++) {
		if (*q == '\n') {
			line++;
			col = 1;
		} else
			col++;
	}
	die(EXIT_INPUT, "%s:%d:%d: bad JSON: %s", jp->path, line, col, what);
}

static void jws(jparser *jp)
{
	while (*jp->p == ' ' || *jp->p == '\t' || *jp->p == '\n' ||
		*jp->p == '\r')
		jp->p++;
}

static char *jstring(jparser *jp)
{
	size_t cap = 32, n = 0;
	char *out = xmalloc(cap);

	jp->p++; /* the opening quote */
	for (;;) {
		char c = *jp->p++;
		if (n + 8 > cap)
			out = xrealloc(out, cap *= 2);
		if (!c || (unsigned char)c < 0x20) {
			free(out);
			jp->p--;
			jfail(jp, "unterminated string");
		}
		if (c == '"')
			break;
		if (c != '\\') {
			out[n++] = c;
			continue;
		}
		c = *jp->p++;
		switch (c) {
		case '"': case '\\': case '/': out[n++] = c; break;
		case 'n': out[n++] = '\n'; break;
		case 't': out[n++] = '\t'; break;
		case 'r': out[n++] = '\r'; break;
		case 'b': out[n++] = '\b'; break;
		case 'f': out[n++] = '\f'; break;
		case 'u': {
			unsigned v = 0;
			for (int i = 0; i < 4; i++) {
				char h = *jp->p++;
				v <<= 4;
				if (h >= '0' && h <= '9') v |= (unsigned)(h - '0');
				else if (h >= 'a' && h <= 'f') v |= (unsigned)(h - 'a' + 10);
				else if (h >= 'A' && h <= 'F') v |= (unsigned)(h - 'A' + 10);
				else {
					free(out);
					jfail(jp, "bad \\u escape");
				}
			}
			/* what json_str writes: control characters; others as UTF-8
			 * (surrogate pairs are not needed here) */
			if (v < 0x80)
				out[n++] = (char)v;
			else if (v < 0x800) {
				out[n++] = (char)(0xc0 | (v >> 6));
				out[n++] = (char)(0x80 | (v & 0x3f));
			} else {
				out[n++] = (char)(0xe0 | (v >> 12));
				out[n++] = (char)(0x80 | ((v >> 6) & 0x3f));
				out[n++] = (char)(0x80 | (v & 0x3f));
			}
			break;
		}
		default:
			free(out);
			jfail(jp, "bad escape in string");
		}
	}
	out[n] = '\0';
	return out;
}

static void jvalue(jparser *jp, jval *v, int depth);

static void jitems(jparser *jp, jval *v, int depth, char close)
{
	size_t cap = 0;

	jp->p++;
	jws(jp);
	if (*jp->p == close) {
		jp->p++;
		return;
	}
	for (;;) {
		if (v->n == cap) {
			cap = cap ? cap * 2 : 8;
			v->items = xrealloc(v->items, cap * sizeof(*v->items));
			if (v->type == J_OBJ)
				v->keys = xrealloc(v->keys, cap * sizeof(*v->keys));
		}
		memset(&v->items[v->n], 0, sizeof(*v->items));
		jws(jp);
		if (v->type == J_OBJ) {
			if (*jp->p != '"')
				jfail(jp, "expected a member name");
			v->keys[v->n] = jstring(jp);
			jws(jp);
			if (*jp->p++ != ':') {
				free(v->keys[v->n]);
				jp->p--;
				jfail(jp, "expected ':'");
			}
		}
		v->n++;
		jvalue(jp, &v->items[v->n - 1], depth + 1);
		jws(jp);
		if (*jp->p == ',') {
			jp->p++;
			continue;
		}
		if (*jp->p == close) {
			jp->p++;
			return;
		}
		jfail(jp, close == '}' ? "expected ',' or '}'" : "expected ',' or ']'");
	}
}

static void jvalue(jparser *jp, jval *v, int depth)
{
	char *end;

	if (depth > 64)
		jfail(jp, "nested too deeply");
	jws(jp);
	memset(v, 0, sizeof(*v));
	switch (*jp->p) {
	case '{':
		v->type = J_OBJ;
		jitems(jp, v, depth, '}');
		return;
	case '[':
		v->type = J_ARR;
		jitems(jp, v, depth, ']');
		return;
	case '"':
		v->type = J_STR;
		v->str = jstring(jp);
		return;
	}
	if (!strncmp(jp->p, "true", 4) || !strncmp(jp->p, "false", 5)) {
		v->type = J_BOOL;
		v->num = *jp->p == 't';
		jp->p += *jp->p == 't' ? 4 : 5;
		return;
	}
	if (!strncmp(jp->p, "null", 4)) {
		v->type = J_NULL;
		jp->p += 4;
		return;
	}
	if (*jp->p == '-' || (*jp->p >= '0' && *jp->p <= '9')) {
		v->type = J_NUM;
		v->num = strtod(jp->p, &end);
		if (end == jp->p || !isfinite(v->num))
			jfail(jp, "bad number");
		jp->p = end;
		return;
	}
	jfail(jp, "expected a value");
}

static void jval_dispose(jval *v)
{
	for (size_t i = 0; i < v->n; i++) {
		jval_dispose(&v->items[i]);
		if (v->keys)
			free(v->keys[i]);
	}
	free(v->items);
	free(v->keys);
	free(v->str);
}

void jval_free(jval *v)
{
	if (v) {
		jval_dispose(v);
		free(v);
	}
}

jval *json_load(const char *path)
{
	char *text = read_file(path, NULL);
	jparser jp = { path, text, text };
	jval *v = xcalloc(1, sizeof(*v));

	/* a syntax error exits: what was allocated goes with the process */
	jvalue(&jp, v, 0);
	jws(&jp);
	if (*jp.p)
		jfail(&jp, "text after the value");
	free(text);
	return v;
}

const jval *jget(const jval *v, const char *key)
{
	if (!v || v->type != J_OBJ)
		return NULL;
	for (size_t i = 0; i < v->n; i++)
		if (!strcmp(v->keys[i], key))
			return &v->items[i];
	return NULL;
}

const jval *jneed(const jval *v, const char *key, jtype t, const char *path)
{
	static const char *const names[] = { "null", "a boolean", "a number",
		"a string", "an array", "an object" };
	const jval *m = jget(v, key);

	if (!m)
		die(EXIT_INPUT, "%s: missing member '%s'", path, key);
	if (m->type != t)
		die(EXIT_INPUT, "%s: member '%s' must be %s", path, key, names[t]);
	return m;
}

/* ---- feature tables ---- */

/* Splits line at tabs in place; returns the number of fields. */
static size_t split_tabs(char *line, char ***fields, size_t *cap)
{
	size_t n = 0;

	for (char *p = line; ; ) {
		char *tab = strchr(p, '\t');
		if (n == *cap) {
			*cap = *cap ? *cap * 2 : 16;
			*fields = xrealloc(*fields, *cap * sizeof(**fields));
		}
		(*fields)[n++] = p;
		if (!tab)
			break;
		*tab = '\0';
		p = tab + 1;
	}
	return n;
}

void table_read(table *t, const char *path)
{
	char *text = read_file(path, NULL), *line = text, *next;
	char **f = NULL;
	size_t cap = 0, rowcap = 0, n;
	int lineno = 1;

	memset(t, 0, sizeof(*t));
	if ((next = strchr(line, '\n')))
		*next++ = '\0';
	n = split_tabs(line, &f, &cap);
	if (n < 2 || strcmp(f[0], "churned"))
		die(EXIT_INPUT, "%s:1: expected a header 'churned<TAB>feature...' "
			"(written by churn-prepare)", path);
	t->nfeat = n - 1;
	t->names = xcalloc(t->nfeat, sizeof(*t->names));
	for (size_t j = 0; j < t->nfeat; j++)
		t->names[j] = xstrdup(f[j + 1]);
	for (line = next; line && *line; line = next) {
		lineno++;
		if ((next = strchr(line, '\n')))
			*next++ = '\0';
		if ((n = split_tabs(line, &f, &cap)) != t->nfeat + 1)
			die(EXIT_INPUT, "%s:%d: expected %zu fields, found %zu", path,
				lineno, t->nfeat + 1, n);
		if (t->nrows == rowcap) {
			rowcap = rowcap ? rowcap * 2 : 256;
			t->x = xrealloc(t->x, rowcap * t->nfeat * sizeof(*t->x));
			t->y = xrealloc(t->y, rowcap * sizeof(*t->y));
		}
		for (size_t j = 0; j < n; j++) {
			char *end;
			double v = strtod(f[j], &end);
			if (end == f[j] || *end || !isfinite(v) ||
				(j == 0 && v != 0 && v != 1))
				die(EXIT_INPUT, "%s:%d: field %zu ('%s'): '%s' is not %s",
					path, lineno, j + 1, j ? t->names[j - 1] : "churned",
					f[j], j ? "a finite number" : "0 or 1");
			if (j == 0)
				t->y[t->nrows] = v;
			else
				t->x[t->nrows * t->nfeat + j - 1] = v;
		}
		t->nrows++;
	}
	free(f);
	free(text);
	if (!t->nrows)
		die(EXIT_INPUT, "%s: no rows", path);
}

void table_write(const table *t, const char *path)
{
	FILE *f = create_file(path);

	fputs("churned", f);
	for (size_t j = 0; j < t->nfeat; j++)
		fprintf(f, "\t%s", t->names[j]);
	fputc('\n', f);
	for (size_t i = 0; i < t->nrows; i++) {
		fprintf(f, "%d", t->y[i] != 0);
		for (size_t j = 0; j < t->nfeat; j++) {
			double v = t->x[i * t->nfeat + j];
			fprintf(f, "\t%.17g", v == 0 ? 0.0 : v);
		}
		fputc('\n', f);
	}
	close_file(f, path);
}

void table_free(table *t)
{
	for (size_t j = 0; j < t->nfeat; j++)
		free(t->names[j]);
	free(t->names);
	free(t->x);
	free(t->y);
	memset(t, 0, sizeof(*t));
}

void table_check_names(const table *t, const jval *names, const char *path,
	const char *other)
{
	int same = names->type == J_ARR && names->n == t->nfeat;

	for (size_t j = 0; same && j < t->nfeat; j++)
		same = names->items[j].type == J_STR &&
			!strcmp(names->items[j].str, t->names[j]);
	if (!same)
		die(EXIT_INPUT, "%s: its features differ from those in %s "
			"(made from different data?)", path, other);
}

/* ---- the model ---- */

double sigmoid(double z)
{
	/* stable on both sides */
	if (z >= 0)
		return 1.0 / (1.0 + exp(-z));
	double e = exp(z);
	return e / (1.0 + e);
}

double logloss1(double p, double y)
{
	const double eps = 1e-15;

	if (p < eps)
		p = eps;
	if (p > 1 - eps)
		p = 1 - eps;
	return y != 0 ? -log(p) : -log(1 - p);
}

double model_score(const model *m, const double *x)
{
	double z = m->bias;

	for (size_t j = 0; j < m->nfeat; j++)
		z += m->w[j] * x[j];
	/* pairwise term: 1/2 sum_f [(sum_j v_jf x_j)^2 - sum_j v_jf^2 x_j^2] */
	for (size_t f = 0; f < m->rank; f++) {
		double s = 0, s2 = 0;
		for (size_t j = 0; j < m->nfeat; j++) {
			double t = m->v[j * m->rank + f] * x[j];
			s += t;
			s2 += t * t;
		}
		z += 0.5 * (s * s - s2);
	}
	return z;
}
