/*
 * The last steps of a transfer, once every object is on the destination
 * and durable: records whose objects all got there, then refs whose
 * records are there. What could not be copied is reported, once each,
 * from the calling thread: objects by id, then records, then refs.
 */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include "remote/transfer.h"

void xfer__problem(xfer *x, int code, const char *kind, const char *name,
	const char *fmt, ...)
{
	arca_transfer_problem p = { code, kind, name, NULL };
	va_list ap;
	char *msg;
	int n;

	if (code == ARCA_EEXISTS)
		x->st->conflicts++;
	else
		x->st->not_copied++;
	if (!x->o->problem)
		return;
	va_start(ap, fmt);
	n = vasprintf(&msg, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	/* One line: store keys and names may hold anything. */
	for (char *c = msg; *c; c++)
		if ((unsigned char)*c < 0x20 || *c == 0x7f)
			*c = '?';
	p.message = msg;
	x->o->problem(&p, x->o->payload);
	free(msg);
}

/* -------------------------------------------------------------- objects */

static int by_node_id(const void *a, const void *b)
{
	return arca_id_cmp(&(*(xnode *const *)a)->id,
		&(*(xnode *const *)b)->id);
}

static int report_objects(xfer *x, arca_error *err)
{
	xnode **bad = NULL;
	size_t n = 0, cap = 0;
	char s[ARCA_ID_STRSZ];

	for (size_t i = 0; i < x->cap; i++) {
		xnode *node = x->slots[i];
		if (!node || node->result != XR_BAD)
			continue;
		if (n == cap) {
			xnode **v = realloc(bad, (cap = cap ? cap * 2 : 16) *
				sizeof(*v));
			if (!v) {
				free(bad);
				return arca_error_set(err, ARCA_ERROR,
					"out of memory");
			}
			bad = v;
		}
		bad[n++] = node;
	}
	if (n)
		qsort(bad, n, sizeof(*bad), by_node_id);
	for (size_t i = 0; i < n; i++) {
		arca_id_str(s, &bad[i]->id);
		xfer__problem(x, ARCA_ECORRUPT, "object", s, "%s",
			bad[i]->why ? bad[i]->why : "cannot be copied");
	}
	free(bad);
	return 0;
}

/* -------------------------------------------------------------- records */

static int write_records(xfer *x, arca_error *err)
{
	char s[ARCA_ID_STRSZ], hex[ARCA_ID_HEXSZ + 1], name[ARCA_KEY_MAX];
	xnode *n, *bad;
	int rc;

	for (size_t i = 0; i < x->src_recs.n; i++) {
		const xrecord *rec = &x->src_recs.v[i];
		n = xfer__find(x, &rec->id);
		if (!n || !(n->wants & xfer__kind_want(rec->kind)))
			continue; /* not selected */
		arca_id_hex(hex, &rec->id);
		snprintf(name, sizeof(name), "%s/%s", rec->kind, hex);
		if (xfer__has_record(&x->dst_recs, rec->kind, &rec->id)) {
			x->st->records_skipped++;
			continue;
		}
		if (!xfer__closure_ok(x, n, &bad)) {
			arca_id_str(s, &bad->id);
			xfer__problem(x, ARCA_ECORRUPT, "record", name,
				"record '%s' not copied: it needs object %s, "
				"which %s", name, s, bad->result == XR_BAD ?
				"could not be copied" : "is nested too deep");
			continue;
		}
		/* A copy: never signed again by whoever copies it. */
		if ((rc = arca_repo__record_copy(x->dst, rec->kind, &rec->id,
			err)) < 0)
			return arca_error_prefix(err, "writing record '%s' to "
				"%s", name, x->dst_name);
		if (arca_idset_add(&x->dst_rec_ids, &rec->id) < 0)
			return arca_error_set(err, ARCA_ERROR, "out of memory");
		x->st->records++;
		arca_repo_lock_refresh(x->src, NULL);
		arca_repo_lock_refresh(x->dst, NULL);
	}
	return 0;
}

/* ----------------------------------------------------------------- refs */

/* Claims (catalog versions, schemas, datasets; run records, adapter
 * versions, channel entries, signatures) are made once and never moved:
 * create-only. Catalog tags move. */
static int is_claim(const char *name)
{
	const char *p;

	if (!strncmp(name, "runs/", 5) || !strncmp(name, "adapters/", 9) ||
		!strncmp(name, "channels/", 9) ||
		!strncmp(name, "signatures/", 11))
		return 1;
	if (strncmp(name, "catalog/", 8))
		return 0;
	p = strchr(name + 8, '/');
	return !(p && !strncmp(p + 1, "tags/", 5));
}

static void conflict(xfer *x, const char *name, const arca_id *want,
	const arca_id *have, int have_valid, arca_buf *names)
{
	char a[ARCA_ID_STRSZ], b[ARCA_ID_STRSZ];

	arca_id_str(a, want);
	if (have_valid)
		arca_id_str(b, have);
	else
		snprintf(b, sizeof(b), "something else");
	xfer__problem(x, ARCA_EEXISTS, "ref", name, "ref '%s' is %s in %s "
		"but %s in %s; claim refs are never overwritten", name, a,
		x->src_name, b, x->dst_name);
	if (names->len < 600)
		arca_buf_printf(names, "%s'%s'", names->len ? ", " : "",
			name);
	else if (names->len < 610)
		arca_buf_puts(names, ", ...");
}

static int write_claim(xfer *x, const xref *r, arca_buf *names,
	arca_error *err)
{
	arca_error e = ARCA_ERROR_INIT;
	arca_id now;
	int rc = arca_repo__ref_create(x->dst, r->name, &r->id, &e);

	if (rc == 0) {
		x->st->refs++;
		return 0;
	}
	if (rc != ARCA_EEXISTS) {
		*err = e;
		return arca_error_prefix(err, "writing ref '%s' to %s",
			r->name, x->dst_name);
	}
	/* Claimed meanwhile: the same value is no conflict. */
	rc = arca_repo__ref_get(x->dst, &now, r->name, &e);
	if (rc == 0 && !arca_id_cmp(&now, &r->id)) {
		x->st->refs_skipped++;
		return 0;
	}
	if (rc < 0 && rc != ARCA_ECORRUPT && rc != ARCA_ENOTFOUND) {
		*err = e;
		return rc;
	}
	conflict(x, r->name, &r->id, &now, rc == 0, names);
	return 0;
}

static int write_ref(xfer *x, const xref *r, arca_buf *names,
	arca_error *err)
{
	const xref *d = xfer__ref(&x->dst_refs, r->name);
	char s[ARCA_ID_STRSZ];
	int rc;

	if (!r->valid) {
		xfer__problem(x, ARCA_ECORRUPT, "ref", r->name, "ref '%s' in %s "
			"does not hold an object id", r->name, x->src_name);
		return 0;
	}
	if (d && d->valid && !arca_id_cmp(&d->id, &r->id)) {
		x->st->refs_skipped++;
		return 0;
	}
	if (!arca_idset_has(&x->dst_rec_ids, &r->id)) {
		arca_id_str(s, &r->id);
		xfer__problem(x, ARCA_ECORRUPT, "ref", r->name, "ref '%s' not "
			"copied: its record %s %s", r->name, s,
			xfer__records_of(&x->src_recs, &r->id, &(size_t){ 0 }) ?
			"was not copied" : "is not a record");
		return 0;
	}
	if (is_claim(r->name)) {
		if (d) {
			conflict(x, r->name, &r->id, &d->id, d->valid, names);
			return 0;
		}
		return write_claim(x, r, names, err);
	}
	if ((rc = arca_repo__ref_set(x->dst, r->name, &r->id, err)) < 0)
		return arca_error_prefix(err, "writing ref '%s' to %s",
			r->name, x->dst_name);
	x->st->refs++;
	return 0;
}

static int write_refs(xfer *x, arca_buf *names, arca_error *err)
{
	int rc;

	for (size_t i = 0; i < x->src_refs.n; i++) {
		if (!x->src_refs.v[i].selected)
			continue;
		if ((rc = write_ref(x, &x->src_refs.v[i], names, err)) < 0)
			return rc;
	}
	return 0;
}

/* ---------------------------------------------------------------- driver */

int xfer__write(xfer *x, arca_error *err)
{
	arca_buf names = ARCA_BUF_INIT;
	uint64_t corrupt;
	int rc;

	if ((rc = report_objects(x, err)) < 0)
		return rc;
	corrupt = x->st->not_copied;
	if ((rc = write_records(x, err)) < 0 ||
		(rc = write_refs(x, &names, err)) < 0)
		goto done;
	if (x->st->not_copied)
		rc = arca_error_set(err, ARCA_ECORRUPT, "%llu object(s) could "
			"not be copied from %s (corrupt or missing there), and "
			"%llu record(s) or ref(s) that need them were left "
			"out; everything else was copied%s",
			(unsigned long long)corrupt, x->src_name,
			(unsigned long long)(x->st->not_copied - corrupt),
			x->st->conflicts ? "; claim refs conflict too" : "");
	else if (x->st->conflicts)
		rc = arca_error_set(err, ARCA_EEXISTS, "%llu claim ref(s) differ "
			"between %s and %s: %s; everything else was copied",
			(unsigned long long)x->st->conflicts, x->src_name,
			x->dst_name, arca_buf_cstr(&names));
done:
	arca_buf_dispose(&names);
	return rc;
}
