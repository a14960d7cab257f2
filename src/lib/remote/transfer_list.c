/*
 * What each side of a transfer holds, listed once before anything is
 * copied, and what the command's arguments select. The source is listed
 * refs first, then records, then objects: writers go the other way
 * (objects, records, refs), so everything a listed ref or record names
 * was written before the listing reached it.
 */
#include <stdlib.h>
#include <string.h>
#include "remote/transfer.h"

static int oom(arca_error *err)
{
	return arca_error_set(err, ARCA_ERROR, "out of memory");
}

/* ---------------------------------------------------------------- refs */

static int by_name(const void *a, const void *b)
{
	return strcmp(((const xref *)a)->name, ((const xref *)b)->name);
}

static int ref_entry(const char *name, const arca_id *id, void *payload)
{
	xrefs *l = payload;

	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 64;
		xref *v = realloc(l->v, cap * sizeof(*v));
		if (!v)
			return ARCA_ERROR;
		l->v = v;
		l->cap = cap;
	}
	memset(&l->v[l->n], 0, sizeof(l->v[0]));
	if (!(l->v[l->n].name = strdup(name)))
		return ARCA_ERROR;
	if (id) {
		l->v[l->n].id = *id;
		l->v[l->n].valid = 1;
	}
	l->n++;
	return 0;
}

static int list_refs(xrefs *l, arca_repo *r, arca_error *err)
{
	int rc = arca_repo__ref_list(r, "", ref_entry, l, err);

	if (rc == ARCA_ERROR && !err->msg[0])
		return oom(err);
	if (rc)
		return rc < 0 ? rc : ARCA_ERROR;
	if (l->n)
		qsort(l->v, l->n, sizeof(*l->v), by_name);
	return 0;
}

const xref *xfer__ref(const xrefs *l, const char *name)
{
	xref key = { (char *)name, { { 0 } }, 0, 0 };

	return l->n ? bsearch(&key, l->v, l->n, sizeof(*l->v), by_name) :
		NULL;
}

/* ------------------------------------------------------------- records */

static int by_id_kind(const void *a, const void *b)
{
	const xrecord *x = a, *y = b;
	int c = arca_id_cmp(&x->id, &y->id);

	return c ? c : strcmp(x->kind, y->kind);
}

/* "records/<kind>/<64 hex>": the kind (in out) and id; -1 if not. */
static int record_key(const char *key, char *kind, size_t size, arca_id *id)
{
	const char *k = key + strlen(ARCA_KEY_RECORDS);
	const char *slash = strchr(k, '/');

	if (!slash || slash == k || (size_t)(slash - k) >= size ||
		strlen(slash + 1) != ARCA_ID_HEXSZ ||
		strspn(slash + 1, "0123456789abcdef") != ARCA_ID_HEXSZ ||
		arca_id_parse(id, slash + 1) < 0)
		return -1;
	memcpy(kind, k, (size_t)(slash - k));
	kind[slash - k] = '\0';
	return 0;
}

static int record_entry(const char *key, uint64_t size, void *payload)
{
	xrecords *l = payload;
	char kind[ARCA_KEY_MAX];
	arca_id id;

	(void)size;
	if (record_key(key, kind, sizeof(kind), &id) < 0)
		return 0; /* not a record: verify reports it */
	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 64;
		xrecord *v = realloc(l->v, cap * sizeof(*v));
		if (!v)
			return ARCA_ERROR;
		l->v = v;
		l->cap = cap;
	}
	l->v[l->n].id = id;
	if (!(l->v[l->n].kind = strdup(kind)))
		return ARCA_ERROR;
	l->n++;
	return 0;
}

/* A record on the destination counts only whole: "sha256:<hex>\n", as
 * arca writes it; anything else (a value cut short by a server without
 * atomic writes) is written again. */
#define RECORD_VALUE_LEN (ARCA_ID_STRSZ - 1 + 1)

static int dst_record_entry(const char *key, uint64_t size, void *payload)
{
	return size == RECORD_VALUE_LEN ? record_entry(key, size, payload) :
		0;
}

static int list_records(xrecords *l, arca_repo *r, int dst,
	arca_error *err)
{
	int rc = arca_repo__keys_list(r, ARCA_KEY_RECORDS, dst ?
		dst_record_entry : record_entry, l, err);

	if (rc == ARCA_ERROR && !err->msg[0])
		return oom(err);
	if (rc)
		return rc < 0 ? rc : ARCA_ERROR;
	if (l->n)
		qsort(l->v, l->n, sizeof(*l->v), by_id_kind);
	return 0;
}

size_t xfer__records_of(const xrecords *l, const arca_id *id,
	size_t *first)
{
	size_t lo = 0, hi = l->n, n = 0;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (arca_id_cmp(&l->v[mid].id, id) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	*first = lo;
	while (lo + n < l->n && !arca_id_cmp(&l->v[lo + n].id, id))
		n++;
	return n;
}

int xfer__has_record(const xrecords *l, const char *kind, const arca_id *id)
{
	size_t first, n = xfer__records_of(l, id, &first);

	for (size_t i = first; i < first + n; i++)
		if (!strcmp(l->v[i].kind, kind))
			return 1;
	return 0;
}

/* ------------------------------------------------------------- objects */

static int is_hex(const char *s, size_t n)
{
	return strspn(s, "0123456789abcdef") >= n;
}

/* "objects/ab/<64 hex>" (matching prefix): 0 and *id, else -1. */
static int object_key(const char *key, arca_id *id)
{
	const char *p = key + strlen(ARCA_KEY_OBJECTS);

	if (strlen(p) != 3 + ARCA_ID_HEXSZ || p[2] != '/' || !is_hex(p, 2) ||
		!is_hex(p + 3, ARCA_ID_HEXSZ) || memcmp(p, p + 3, 2))
		return -1;
	return arca_id_parse(id, p + 3);
}

static size_t slot_of(const arca_id *id, size_t cap)
{
	size_t h;

	memcpy(&h, id->raw, sizeof(h));
	return h & (cap - 1);
}

xsize *xfer__size(const xsizes *m, const arca_id *id)
{
	if (!m->cap)
		return NULL;
	for (size_t i = slot_of(id, m->cap); m->slots[i].used;
		i = (i + 1) & (m->cap - 1))
		if (!memcmp(&m->slots[i].id, id, sizeof(*id)))
			return &m->slots[i];
	return NULL;
}

static int sizes_grow(xsizes *m)
{
	size_t cap = m->cap ? m->cap * 2 : 1024;
	xsize *slots = calloc(cap, sizeof(*slots));

	if (!slots)
		return ARCA_ERROR;
	for (size_t i = 0; i < m->cap; i++) {
		size_t j;
		if (!m->slots[i].used)
			continue;
		for (j = slot_of(&m->slots[i].id, cap); slots[j].used;
			j = (j + 1) & (cap - 1))
			;
		slots[j] = m->slots[i];
	}
	free(m->slots);
	m->slots = slots;
	m->cap = cap;
	return 0;
}

static int dst_object(const char *key, uint64_t size, void *payload)
{
	xsizes *m = payload;
	arca_id id;
	size_t i;

	if (object_key(key, &id) < 0 || xfer__size(m, &id))
		return 0;
	if ((m->count + 1) * 4 > m->cap * 3 && sizes_grow(m) < 0)
		return ARCA_ERROR;
	for (i = slot_of(&id, m->cap); m->slots[i].used;
		i = (i + 1) & (m->cap - 1))
		;
	m->slots[i] = (xsize){ id, size, 1, 0 };
	m->count++;
	return 0;
}

static int src_object(const char *key, uint64_t size, void *payload)
{
	xfer *x = payload;
	xsize *d;
	arca_id id;

	if (object_key(key, &id) < 0)
		return 0;
	if ((d = xfer__size(&x->dst_objects, &id))) {
		/* Frames of one id from one source have one size; another
		 * size there is a truncated copy (or, harmlessly, another
		 * encoding): copy it again. */
		if (d->size == size) {
			x->st->objects_skipped++;
			return 0;
		}
		d->stale = 1;
	}
	if (!(x->nmissing & (x->nmissing + 1))) { /* 0, 1, 3, 7, ...: grow */
		arca_id *v = realloc(x->missing, (x->nmissing + 1) * 2 *
			sizeof(*v));
		if (!v)
			return ARCA_ERROR;
		x->missing = v;
	}
	x->missing[x->nmissing++] = id;
	return 0;
}

static int keys(arca_repo *r, const char *prefix, arca_repo_key_cb cb,
	void *payload, arca_error *err)
{
	int rc = arca_repo__keys_list(r, prefix, cb, payload, err);

	if (rc == ARCA_ERROR && !err->msg[0])
		return oom(err);
	return rc ? (rc < 0 ? rc : ARCA_ERROR) : 0;
}

static int add_record_ids(xfer *x)
{
	for (size_t i = 0; i < x->dst_recs.n; i++)
		if (arca_idset_add(&x->dst_rec_ids, &x->dst_recs.v[i].id) < 0)
			return ARCA_ERROR;
	return 0;
}

int xfer__list(xfer *x, arca_error *err)
{
	int rc;

	if ((rc = list_refs(&x->dst_refs, x->dst, err)) < 0 ||
		(rc = list_records(&x->dst_recs, x->dst, 1, err)) < 0 ||
		(rc = keys(x->dst, ARCA_KEY_OBJECTS, dst_object,
			&x->dst_objects, err)) < 0)
		return arca_error_prefix(err, "listing %s", x->dst_name);
	if (add_record_ids(x) < 0)
		return oom(err);
	if ((rc = list_refs(&x->src_refs, x->src, err)) < 0 ||
		(rc = list_records(&x->src_recs, x->src, 0, err)) < 0 ||
		(x->everything && (rc = keys(x->src, ARCA_KEY_OBJECTS,
			src_object, x, err)) < 0))
		return arca_error_prefix(err, "listing %s", x->src_name);
	atomic_store(&x->total, x->nmissing);
	return 0;
}

void xfer__lists_dispose(xfer *x)
{
	xrecords *rl[2] = { &x->src_recs, &x->dst_recs };
	xrefs *fl[2] = { &x->src_refs, &x->dst_refs };

	for (int k = 0; k < 2; k++) {
		for (size_t i = 0; i < rl[k]->n; i++)
			free(rl[k]->v[i].kind);
		free(rl[k]->v);
		for (size_t i = 0; i < fl[k]->n; i++)
			free(fl[k]->v[i].name);
		free(fl[k]->v);
	}
	free(x->dst_objects.slots);
	arca_idset_dispose(&x->dst_rec_ids);
	free(x->missing);
}

/* ----------------------------------------------------------- selection */

/* Queues the records with this id (all their kinds) as roots. */
static int root_records(xfer *x, const arca_id *id)
{
	size_t first, n = xfer__records_of(&x->src_recs, id, &first);
	unsigned want = 0;
	xnode *node;
	int rc = 0;

	if (!n)
		return 0; /* the ref is reported when refs are written */
	for (size_t i = first; i < first + n; i++)
		want |= xfer__kind_want(x->src_recs.v[i].kind);
	pthread_mutex_lock(&x->lock);
	if (!(node = xfer__node(x, id)) || xfer__want(x, node, want) < 0)
		rc = ARCA_ERROR;
	pthread_mutex_unlock(&x->lock);
	return rc;
}

static int select_ref(xfer *x, xref *r)
{
	r->selected = 1;
	return r->valid ? root_records(x, &r->id) : 0;
}

/* A record id or a prefix of at least 4 hex digits: the one record id
 * it names (1), none (0), or ARCA_EAMBIGUOUS. */
static int match_record(xfer *x, const char *arg, arca_id *out,
	arca_error *err)
{
	char hex[ARCA_ID_HEXSZ + 1], h[ARCA_ID_HEXSZ + 1];
	const char *p = strncmp(arg, ARCA_ID_PREFIX, 7) ? arg : arg + 7;
	size_t n = strlen(p), found = 0;

	if (n < 4 || n > ARCA_ID_HEXSZ ||
		strspn(p, "0123456789abcdefABCDEF") != n)
		return 0;
	for (size_t i = 0; i <= n; i++)
		hex[i] = (char)(p[i] >= 'A' && p[i] <= 'F' ? p[i] + 32 : p[i]);
	for (size_t i = 0; i < x->src_recs.n; i++) {
		arca_id_hex(h, &x->src_recs.v[i].id);
		if (strncmp(h, hex, n))
			continue;
		if (found && arca_id_cmp(out, &x->src_recs.v[i].id))
			return arca_error_set(err, ARCA_EAMBIGUOUS, "'%s' "
				"matches more than one record in %s; give more "
				"digits", arg, x->src_name);
		*out = x->src_recs.v[i].id;
		found = 1;
	}
	return found ? 1 : 0;
}

static int select_arg(xfer *x, const char *arg, arca_error *err)
{
	const char *name = strncmp(arg, "refs/", 5) ? arg : arg + 5;
	size_t len = strlen(name), hits = 0;
	arca_id id;
	xref *r;
	int rc;

	while (len && name[len - 1] == '/')
		len--;
	if ((r = (xref *)xfer__ref(&x->src_refs, name)))
		return select_ref(x, r) < 0 ? oom(err) : 0;
	/* A prefix: every ref under it ("catalog/churn"). */
	for (size_t i = 0; len && i < x->src_refs.n; i++) {
		r = &x->src_refs.v[i];
		if (strncmp(r->name, name, len) || r->name[len] != '/')
			continue;
		if (select_ref(x, r) < 0)
			return oom(err);
		hits++;
	}
	if (hits)
		return 0;
	if ((rc = match_record(x, arg, &id, err)) < 0)
		return rc;
	if (rc == 1)
		return root_records(x, &id) < 0 ? oom(err) : 0;
	return arca_error_set(err, ARCA_ENOTFOUND, "no ref, ref prefix or "
		"record '%s' in %s", arg, x->src_name);
}

int xfer__select(xfer *x, const char *const *args, size_t n,
	arca_error *err)
{
	int rc;

	if (x->everything) {
		for (size_t i = 0; i < x->src_refs.n; i++)
			x->src_refs.v[i].selected = 1;
		for (size_t i = 0; i < x->src_recs.n; i++)
			if (root_records(x, &x->src_recs.v[i].id) < 0)
				return oom(err);
		return 0;
	}
	for (size_t i = 0; i < n; i++)
		if ((rc = select_arg(x, args[i], err)) < 0)
			return rc;
	return 0;
}
