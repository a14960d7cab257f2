/* YAML helpers for the catalog loaders (see schema_yaml.h). */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "catalog/schema_yaml.h"

/* libfyaml prints through this when not collecting; we never print. */
static void diag_discard(struct fy_diag *diag, void *user, const char *buf,
	size_t len)
{
	(void)diag, (void)user, (void)buf, (void)len;
}

/* The most recent error the diagnostics collected, or NULL. */
static struct fy_diag_error *last_error(struct fy_diag *diag)
{
	struct fy_diag_error *e, *last = NULL;
	void *it = NULL;

	while ((e = fy_diag_errors_iterate(diag, &it)))
		if (e->type >= FYET_ERROR)
			last = e;
	return last;
}

int arca_yaml__open(arca_yaml *y, const char *text, size_t len,
	const char *name, arca_error *err)
{
	struct fy_diag_cfg dc;
	struct fy_parse_cfg pc;
	struct fy_diag_error *e;

	memset(y, 0, sizeof(*y));
	y->name = name;
	y->err = err;
	fy_diag_cfg_default(&dc);
	dc.fp = NULL;
	dc.output_fn = diag_discard;
	dc.colorize = false;
	if (!(y->diag = fy_diag_create(&dc)))
		return arca_error_set(err, ARCA_ERROR, "out of memory");
	fy_diag_set_collect_errors(y->diag, true);
	memset(&pc, 0, sizeof(pc));
	pc.flags = FYPCF_QUIET | FYPCF_COLLECT_DIAG | FYPCF_DEFAULT_VERSION_1_2;
	pc.diag = y->diag;
	y->doc = fy_document_build_from_string(&pc, text, len);
	if (!y->doc) {
		/* collected errors carry 1-based positions */
		if ((e = last_error(y->diag)))
			return arca_error_set(err, ARCA_EINVALID,
				"%s:%d:%d: %s", name, e->line, e->column,
				e->msg);
		/* no document and no error: nothing but comments */
		return arca_error_set(err, ARCA_EINVALID,
			"%s:1:1: empty document, expected a mapping", name);
	}
	y->root = fy_document_root(y->doc);
	if (!y->root)
		return arca_error_set(err, ARCA_EINVALID,
			"%s:1:1: empty document, expected a mapping", name);
	return arca_yaml__map(y, y->root, "the document");
}

void arca_yaml__close(arca_yaml *y)
{
	if (y->doc)
		fy_document_destroy(y->doc);
	if (y->diag)
		fy_diag_destroy(y->diag);
	y->doc = NULL;
	y->diag = NULL;
}

void arca_yaml__pos(arca_yaml *y, struct fy_node *n, int *line, int *col)
{
	struct fy_token *t;
	const struct fy_mark *m;
	struct fy_diag_error *e;

	*line = *col = 0;
	if (!n)
		return;
	if (fy_node_get_type(n) == FYNT_SCALAR &&
		(t = fy_node_get_scalar_token(n)) &&
		(m = fy_token_start_mark(t))) {
		*line = m->line + 1; /* marks are 0-based */
		*col = m->column + 1;
		/* a quoted scalar's mark is past its opening quote */
		if (fy_node_get_style(n) == FYNS_SINGLE_QUOTED ||
			fy_node_get_style(n) == FYNS_DOUBLE_QUOTED)
			(*col)--;
		return;
	}
	/* libfyaml 0.7 exports no start mark for collections, but its node
	 * reports carry one: report into the (collecting) diagnostics and
	 * read the position back. */
	fy_node_report(n, FYET_ERROR, "position");
	if ((e = last_error(y->diag))) {
		*line = e->line;
		*col = e->column;
	}
}

int arca_yaml__fail(arca_yaml *y, struct fy_node *n, const char *fmt, ...)
{
	char msg[ARCA_ERROR_MSG_SIZE];
	int line, col;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	arca_yaml__pos(y, n, &line, &col);
	return arca_error_set(y->err, ARCA_EINVALID, "%s:%d:%d: %s", y->name,
		line, col, msg);
}

struct fy_node *arca_yaml__get(struct fy_node *map, const char *key)
{
	struct fy_node_pair *p;
	void *it = NULL;
	const char *k;
	size_t klen, n = strlen(key);

	while ((p = fy_node_mapping_iterate(map, &it))) {
		struct fy_node *kn = fy_node_pair_key(p);
		if (!kn || fy_node_get_type(kn) != FYNT_SCALAR)
			continue;
		k = fy_node_get_scalar(kn, &klen);
		if (k && klen == n && !memcmp(k, key, n))
			return fy_node_pair_value(p);
	}
	return NULL;
}

static void join_keys(char *out, size_t size, const char *const *keys)
{
	size_t used = 0;

	out[0] = '\0';
	for (size_t i = 0; keys[i] && used < size; i++) {
		int n = snprintf(out + used, size - used, "%s%s",
			i ? ", " : "", keys[i]);
		if (n < 0)
			break;
		used += (size_t)n;
	}
}

int arca_yaml__check_keys(arca_yaml *y, struct fy_node *map,
	const char *const *keys, const char *where)
{
	struct fy_node_pair *p;
	void *it = NULL;
	char list[512];

	while ((p = fy_node_mapping_iterate(map, &it))) {
		struct fy_node *kn = fy_node_pair_key(p);
		const char *k;
		size_t klen, i;

		if (!kn || fy_node_get_type(kn) != FYNT_SCALAR)
			return arca_yaml__fail(y, kn ? kn : map,
				"keys in %s must be plain names", where);
		k = fy_node_get_scalar(kn, &klen);
		for (i = 0; keys[i]; i++)
			if (strlen(keys[i]) == klen && !memcmp(keys[i], k, klen))
				break;
		if (!keys[i]) {
			join_keys(list, sizeof(list), keys);
			return arca_yaml__fail(y, kn,
				"unknown key \"%.*s\" in %s (expected one of: %s)",
				(int)(klen > 64 ? 64 : klen), k, where, list);
		}
	}
	return 0;
}

/* A plain (unquoted) scalar's text, or NULL for other nodes. */
static const char *plain(struct fy_node *n)
{
	if (fy_node_get_type(n) != FYNT_SCALAR ||
		fy_node_get_style(n) != FYNS_PLAIN)
		return NULL;
	return fy_node_get_scalar0(n);
}

static const char *kind_of(struct fy_node *n)
{
	switch (fy_node_get_type(n)) {
	case FYNT_MAPPING: return "a mapping";
	case FYNT_SEQUENCE: return "a list";
	default: break;
	}
	if (fy_node_is_null(n) || (plain(n) && !*plain(n)))
		return "nothing (null)";
	return "a scalar";
}

int arca_yaml__str(arca_yaml *y, struct fy_node *n, const char *what,
	const char **out)
{
	const char *p = plain(n);

	/* any scalar is text, except null (~, null, or no value at all) */
	if (fy_node_get_type(n) != FYNT_SCALAR || (p && (!*p ||
		!strcmp(p, "~") || !strcmp(p, "null") || !strcmp(p, "Null") ||
		!strcmp(p, "NULL"))))
		return arca_yaml__fail(y, n, "%s must be a string, not %s",
			what, kind_of(n));
	if (!(*out = fy_node_get_scalar0(n)))
		return arca_error_set(y->err, ARCA_ERROR, "out of memory");
	return 0;
}

int arca_yaml__bool(arca_yaml *y, struct fy_node *n, const char *what,
	bool *out)
{
	const char *p = plain(n);

	/* YAML 1.2 core schema booleans */
	if (p && (!strcmp(p, "true") || !strcmp(p, "True") ||
		!strcmp(p, "TRUE")))
		*out = true;
	else if (p && (!strcmp(p, "false") || !strcmp(p, "False") ||
		!strcmp(p, "FALSE")))
		*out = false;
	else
		return arca_yaml__fail(y, n,
			"%s must be a boolean (true or false)", what);
	return 0;
}

/* Parses a YAML 1.2 decimal integer; 0, -1 (not one) or -2 (range). */
static int parse_int(const char *p, int64_t *out)
{
	char *end;
	long long v;

	if (!(*p == '-' || *p == '+' || (*p >= '0' && *p <= '9')))
		return -1;
	if ((*p == '-' || *p == '+') && !(p[1] >= '0' && p[1] <= '9'))
		return -1;
	errno = 0;
	v = strtoll(p, &end, 10);
	if (*end)
		return -1;
	if (errno == ERANGE)
		return -2;
	*out = v;
	return 0;
}

/* A YAML 1.2 core float (no .inf/.nan: bounds must be finite). */
static int parse_float(const char *p, double *out)
{
	const char *s = p + (*p == '-' || *p == '+');
	size_t digits = strspn(s, "0123456789");
	char *end;

	if (s[digits] == '.')
		digits += strspn(s + digits + 1, "0123456789");
	if (!digits || strpbrk(p, "xXoO_,"))
		return -1;
	errno = 0;
	*out = strtod(p, &end);
	if (*end || end == p)
		return -1;
	if (errno == ERANGE && isinf(*out))
		return -2;
	return 0;
}

int arca_yaml__num(arca_yaml *y, struct fy_node *n, const char *what,
	double *out, bool *is_int, int64_t *iv)
{
	const char *p = plain(n);
	int rc;

	if (!p)
		return arca_yaml__fail(y, n, "%s must be a number, not %s",
			what, fy_node_get_type(n) == FYNT_SCALAR ?
			"a quoted string" : kind_of(n));
	if ((rc = parse_int(p, iv)) == 0) {
		*is_int = true;
		*out = (double)*iv;
		return 0;
	}
	if (rc == -2)
		return arca_yaml__fail(y, n,
			"%s %s is out of range (64-bit integers)", what, p);
	if ((rc = parse_float(p, out)) == 0) {
		*is_int = false;
		return 0;
	}
	if (rc == -2)
		return arca_yaml__fail(y, n, "%s %s is out of range", what, p);
	return arca_yaml__fail(y, n, "%s must be a number, not \"%s\"", what,
		p);
}

int arca_yaml__int(arca_yaml *y, struct fy_node *n, const char *what,
	int64_t *out)
{
	bool is_int;
	double d;
	int rc;

	if ((rc = arca_yaml__num(y, n, what, &d, &is_int, out)) < 0)
		return rc;
	if (!is_int)
		return arca_yaml__fail(y, n, "%s must be an integer, not %s",
			what, plain(n));
	return 0;
}

int arca_yaml__map(arca_yaml *y, struct fy_node *n, const char *what)
{
	if (fy_node_get_type(n) != FYNT_MAPPING)
		return arca_yaml__fail(y, n, "%s must be a mapping, not %s",
			what, kind_of(n));
	return 0;
}

int arca_yaml__seq(arca_yaml *y, struct fy_node *n, const char *what)
{
	if (fy_node_get_type(n) != FYNT_SEQUENCE)
		return arca_yaml__fail(y, n, "%s must be a list, not %s", what,
			kind_of(n));
	return 0;
}

int arca_yaml__read_file(char **out, size_t *len, const char *path,
	arca_error *err)
{
	struct stat st;
	char *buf = NULL;
	size_t got = 0;
	int fd, rc = 0;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return arca_error_set_errno(err, errno == ENOENT ?
			ARCA_ENOTFOUND : ARCA_ERROR, errno, "open '%s'", path);
	if (fstat(fd, &st) < 0) {
		rc = arca_error_set_errno(err, ARCA_ERROR, errno, "stat '%s'",
			path);
		goto done;
	}
	if (!S_ISREG(st.st_mode) || st.st_size > 64 * 1024 * 1024) {
		rc = arca_error_set(err, ARCA_EINVALID,
			"'%s' is not a regular file of at most 64 MiB", path);
		goto done;
	}
	if (!(buf = malloc((size_t)st.st_size + 1))) {
		rc = arca_error_set(err, ARCA_ERROR, "out of memory");
		goto done;
	}
	while (got < (size_t)st.st_size) {
		ssize_t r = read(fd, buf + got, (size_t)st.st_size - got);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			rc = arca_error_set_errno(err, ARCA_ERROR,
				r < 0 ? errno : EIO, "read '%s'", path);
			goto done;
		}
		got += (size_t)r;
	}
	buf[got] = '\0';
	*out = buf;
	*len = got;
	buf = NULL;
done:
	free(buf);
	close(fd);
	return rc;
}
