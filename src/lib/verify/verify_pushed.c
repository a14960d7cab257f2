/*
 * Completeness of a copy (verify --remote): what the local repository
 * has that the copy lacks. Records by key; refs by name and value. The
 * copy's own soundness is arca_verify's business; this only compares
 * listings, so it costs two listings per side.
 */
#include <stdlib.h>
#include <string.h>
#include "verify/verify.h"

typedef struct strs {
	char **v;
	size_t n, cap;
} strs;

typedef struct refv {
	char *name;
	arca_id id;
	int valid;
} refv;

typedef struct refs {
	refv *v;
	size_t n, cap;
} refs;

static int strs_add(const char *key, uint64_t size, void *payload)
{
	strs *s = payload;
	const char *k = key + strlen(ARCA_KEY_RECORDS), *slash;

	(void)size;
	/* only "kind/<64 hex>": what transfers copy */
	if (!(slash = strchr(k, '/')) || slash == k ||
		strlen(slash + 1) != ARCA_ID_HEXSZ ||
		strspn(slash + 1, "0123456789abcdef") != ARCA_ID_HEXSZ)
		return 0;
	if (s->n == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 64;
		char **v = realloc(s->v, cap * sizeof(*v));
		if (!v)
			return ARCA_ERROR;
		s->v = v;
		s->cap = cap;
	}
	if (!(s->v[s->n] = strdup(k)))
		return ARCA_ERROR;
	s->n++;
	return 0;
}

static int refs_add(const char *name, const arca_id *id, void *payload)
{
	refs *r = payload;

	if (r->n == r->cap) {
		size_t cap = r->cap ? r->cap * 2 : 64;
		refv *v = realloc(r->v, cap * sizeof(*v));
		if (!v)
			return ARCA_ERROR;
		r->v = v;
		r->cap = cap;
	}
	memset(&r->v[r->n], 0, sizeof(r->v[0]));
	if (!(r->v[r->n].name = strdup(name)))
		return ARCA_ERROR;
	if (id) {
		r->v[r->n].id = *id;
		r->v[r->n].valid = 1;
	}
	r->n++;
	return 0;
}

static int by_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int by_ref(const void *a, const void *b)
{
	return strcmp(((const refv *)a)->name, ((const refv *)b)->name);
}

static int listed(int rc, arca_repo *r, arca_error *err)
{
	if (rc == 0)
		return 0;
	if (rc > 0 || (rc == ARCA_ERROR && err && !err->msg[0]))
		arca_error_set(err, rc = ARCA_ERROR, "out of memory");
	return arca_error_prefix(err, "listing '%s'", arca_repo_url(r));
}

static int list(strs *s, refs *f, arca_repo *r, arca_error *err)
{
	int rc;

	if ((rc = listed(arca_repo__keys_list(r, ARCA_KEY_RECORDS, strs_add,
		s, err), r, err)) < 0 ||
		(rc = listed(arca_repo__ref_list(r, "", refs_add, f, err), r,
		err)) < 0)
		return rc;
	if (s->n)
		qsort(s->v, s->n, sizeof(*s->v), by_str);
	if (f->n)
		qsort(f->v, f->n, sizeof(*f->v), by_ref);
	return 0;
}

static void dispose(strs *s, refs *f)
{
	for (size_t i = 0; i < s->n; i++)
		free(s->v[i]);
	free(s->v);
	for (size_t i = 0; i < f->n; i++)
		free(f->v[i].name);
	free(f->v);
}

static int report(arca_unpushed_cb cb, void *payload, uint64_t *missing,
	const char *kind, const char *name, const char *msg, arca_error *err)
{
	arca_unpushed u = { kind, name, msg };
	int rc;

	(*missing)++;
	if (!cb || !(rc = cb(&u, payload)))
		return 0;
	return arca_error_set(err, rc < 0 ? rc : ARCA_ERROR,
		"verification stopped by the callback");
}

static int compare_refs(const refs *l, const refs *c, arca_unpushed_cb cb,
	void *payload, uint64_t *missing, arca_error *err)
{
	char a[ARCA_ID_STRSZ], b[ARCA_ID_STRSZ], *msg;
	int rc = 0;

	for (size_t i = 0; i < l->n && rc == 0; i++) {
		const refv *x = &l->v[i];
		const refv *y = c->n ? bsearch(x, c->v, c->n, sizeof(*c->v),
			by_ref) : NULL;
		if (!x->valid || (y && y->valid && !arca_id_cmp(&x->id, &y->id)))
			continue; /* a broken local ref is verify's finding */
		arca_id_str(a, &x->id);
		if (y && y->valid)
			arca_id_str(b, &y->id);
		if (asprintf(&msg, y ? "ref '%s' is %s here but %s on the "
			"remote" : "ref '%s' (%s) is not on the remote%s",
			x->name, a, y ? (y->valid ? b : "not an id") : "") < 0)
			return arca_error_set(err, ARCA_ERROR, "out of memory");
		rc = report(cb, payload, missing, "ref", x->name, msg, err);
		free(msg);
	}
	return rc;
}

int arca_verify_pushed(uint64_t *missing, arca_repo *copy, arca_repo *local,
	arca_unpushed_cb cb, void *payload, arca_error *err)
{
	strs ls = { 0 }, cs = { 0 };
	refs lf = { 0 }, cf = { 0 };
	uint64_t n = 0;
	char *msg;
	int rc;

	if ((rc = list(&ls, &lf, local, err)) < 0 ||
		(rc = list(&cs, &cf, copy, err)) < 0)
		goto done;
	for (size_t i = 0; i < ls.n && rc == 0; i++) {
		if (cs.n && bsearch(&ls.v[i], cs.v, cs.n, sizeof(*cs.v), by_str))
			continue;
		if (asprintf(&msg, "record '%s' is not on the remote",
			ls.v[i]) < 0) {
			rc = arca_error_set(err, ARCA_ERROR, "out of memory");
			break;
		}
		rc = report(cb, payload, &n, "record", ls.v[i], msg, err);
		free(msg);
	}
	if (rc == 0)
		rc = compare_refs(&lf, &cf, cb, payload, &n, err);
	if (rc == 0 && n)
		rc = arca_error_set(err, ARCA_EVERIFY, "%llu record(s) or ref(s) "
			"of '%s' are not on '%s'", (unsigned long long)n,
			arca_repo_url(local), arca_repo_url(copy));
done:
	if (missing)
		*missing = n;
	dispose(&ls, &lf);
	dispose(&cs, &cf);
	return rc;
}
