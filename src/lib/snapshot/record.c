/* Snapshot records: read, list, resolve "latest" and id prefixes. */
#include <stdlib.h>
#include <string.h>
#include "repo/repo.h"
#include "arca/snapshot.h"
#include "util/json.h"
#include "util/sys.h"

static char *opt_str(json_t *o, const char *key)
{
	json_t *v = json_object_get(o, key);

	return json_is_string(v) ? strdup(json_string_value(v)) : NULL;
}

static uint64_t opt_u64(json_t *o, const char *key)
{
	json_t *v = json_object_get(o, key);

	return json_is_integer(v) && json_integer_value(v) > 0 ?
		(uint64_t)json_integer_value(v) : 0;
}

static void parse_stats(arca_snapshot_stats *s, json_t *o)
{
	s->files = opt_u64(o, "files");
	s->dirs = opt_u64(o, "dirs");
	s->symlinks = opt_u64(o, "symlinks");
	s->skipped = opt_u64(o, "skipped");
	s->bytes = opt_u64(o, "bytes");
	s->bytes_read = opt_u64(o, "bytes_read");
	s->files_cached = opt_u64(o, "files_cached");
	s->objects_new = opt_u64(o, "objects_new");
	s->bytes_new = opt_u64(o, "bytes_new");
	s->stored_new = opt_u64(o, "stored_new");
}

static int parse_info(arca_snapshot_info *out, json_t *doc, const char *what,
	arca_error *err)
{
	const char *type;
	json_t *src, *v;
	int rc;

	if ((rc = arca_json_get_str(&type, doc, "type", what, err)) < 0)
		return rc;
	if (strcmp(type, "snapshot"))
		return arca_error_set(err, ARCA_EINVALID,
			"%s is a '%s', not a snapshot", what, type);
	if ((rc = arca_json_get_id(&out->tree, doc, "tree", what, err)) < 0)
		return rc;
	out->time = opt_str(doc, "time");
	if (!out->time || arca_time_parse(&out->time_ns, out->time) < 0)
		return arca_error_set(err, ARCA_ECORRUPT, "%s: bad time", what);
	if ((v = json_object_get(doc, "parent")) &&
		(!json_is_string(v) ||
		arca_id_parse(&out->parent, json_string_value(v)) < 0))
		return arca_error_set(err, ARCA_ECORRUPT, "%s: bad parent",
			what);
	out->hostname = opt_str(doc, "hostname");
	out->username = opt_str(doc, "username");
	out->dataset = opt_str(doc, "dataset");
	out->message = opt_str(doc, "message");
	src = json_object_get(doc, "source");
	out->source_path = opt_str(src, "path");
	out->source_kind = opt_str(src, "kind");
	parse_stats(&out->stats, json_object_get(doc, "summary"));
	return 0;
}

int arca_snapshot_get(arca_snapshot_info *out, arca_repo *r,
	const arca_id *id, arca_error *err)
{
	arca_snapshot_info info;
	unsigned char *data = NULL;
	char what[96], s[ARCA_ID_STRSZ];
	json_t *doc = NULL;
	size_t len;
	int rc;

	memset(&info, 0, sizeof(info));
	info.id = *id;
	arca_id_str(s, id);
	snprintf(what, sizeof(what), "snapshot %s", s);
	if ((rc = arca_repo_object_read(r, &data, &len, id, err)) < 0)
		goto done;
	if ((rc = arca_json_parse(&doc, data, len, what, err)) < 0 ||
		(rc = parse_info(&info, doc, what, err)) < 0)
		goto done;
	info.json = (char *)data;
	data = NULL;
	*out = info;
	memset(&info, 0, sizeof(info));
done:
	arca_snapshot_info_dispose(&info);
	json_decref(doc);
	free(data);
	return rc;
}

void arca_snapshot_info_dispose(arca_snapshot_info *i)
{
	if (!i)
		return;
	free(i->time);
	free(i->hostname);
	free(i->username);
	free(i->dataset);
	free(i->message);
	free(i->source_path);
	free(i->source_kind);
	free(i->json);
	memset(i, 0, sizeof(*i));
}

void arca_snapshot_info_free(arca_snapshot_info *infos, size_t n)
{
	for (size_t i = 0; infos && i < n; i++)
		arca_snapshot_info_dispose(&infos[i]);
	free(infos);
}

struct ids {
	arca_id *v;
	size_t n, cap;
};

static int collect(const arca_id *id, void *payload)
{
	struct ids *ids = payload;

	if (ids->n == ids->cap) {
		size_t cap = ids->cap ? ids->cap * 2 : 64;
		arca_id *v = realloc(ids->v, cap * sizeof(*v));
		if (!v)
			return ARCA_ERROR;
		ids->v = v;
		ids->cap = cap;
	}
	ids->v[ids->n++] = *id;
	return 0;
}

static int by_time(const void *a, const void *b)
{
	const arca_snapshot_info *x = a, *y = b;

	if (x->time_ns != y->time_ns)
		return x->time_ns < y->time_ns ? -1 : 1;
	return arca_id_cmp(&x->id, &y->id);
}

int arca_snapshot_list(arca_snapshot_info **out, size_t *n, arca_repo *r,
	arca_error *err)
{
	struct ids ids = { 0 };
	arca_snapshot_info *infos = NULL;
	size_t i = 0;
	int rc;

	if ((rc = arca_repo__record_list(r, "snapshot", collect, &ids,
		err)) < 0)
		goto done;
	if (ids.n && !(infos = calloc(ids.n, sizeof(*infos)))) {
		rc = arca_error_set(err, ARCA_ERROR, "out of memory");
		goto done;
	}
	for (i = 0; i < ids.n; i++)
		if ((rc = arca_snapshot_get(&infos[i], r, &ids.v[i], err)) < 0)
			goto done;
	if (ids.n)
		qsort(infos, ids.n, sizeof(*infos), by_time);
	*out = infos;
	*n = ids.n;
	infos = NULL;
done:
	arca_snapshot_info_free(infos, i);
	free(ids.v);
	return rc;
}

static int resolve_latest(arca_id *out, arca_repo *r, const char *dataset,
	arca_error *err)
{
	arca_snapshot_info *infos = NULL;
	size_t n = 0;
	int rc, found = 0;

	if ((rc = arca_snapshot_list(&infos, &n, r, err)) < 0)
		return rc;
	for (size_t i = n; i-- > 0 && !found;) {
		if (dataset && (!infos[i].dataset ||
			strcmp(infos[i].dataset, dataset)))
			continue;
		*out = infos[i].id;
		found = 1;
	}
	arca_snapshot_info_free(infos, n);
	if (found)
		return 0;
	if (dataset)
		return arca_error_set(err, ARCA_ENOTFOUND,
			"no snapshot of dataset '%s'", dataset);
	return arca_error_set(err, ARCA_ENOTFOUND,
		"the repository has no snapshots");
}

struct prefix_ctx {
	const char *hex;
	size_t n;
	arca_id found;
	int count;
};

static int match_prefix(const arca_id *id, void *payload)
{
	struct prefix_ctx *c = payload;
	char hex[ARCA_ID_HEXSZ + 1];

	arca_id_hex(hex, id);
	if (!strncasecmp(hex, c->hex, c->n)) {
		c->found = *id;
		c->count++;
	}
	return 0;
}

int arca_snapshot_resolve(arca_id *out, arca_repo *r, const char *spec,
	arca_error *err)
{
	struct prefix_ctx c = { 0 };
	int rc;

	if (!strcmp(spec, "latest"))
		return resolve_latest(out, r, NULL, err);
	if (!strncmp(spec, "latest@", 7))
		return resolve_latest(out, r, spec + 7, err);
	c.hex = strncmp(spec, ARCA_ID_PREFIX, 7) ? spec : spec + 7;
	c.n = strlen(c.hex);
	if (c.n < 4 || c.n > ARCA_ID_HEXSZ ||
		strspn(c.hex, "0123456789abcdefABCDEF") != c.n)
		return arca_error_set(err, ARCA_EINVALID,
			"'%s' is not a snapshot: give an id, a prefix of at "
			"least 4 hex digits, 'latest' or 'latest@DATASET'", spec);
	if ((rc = arca_repo__record_list(r, "snapshot", match_prefix, &c,
		err)) < 0)
		return rc;
	if (!c.count)
		return arca_error_set(err, ARCA_ENOTFOUND,
			"no snapshot matches '%s'", spec);
	if (c.count > 1)
		return arca_error_set(err, ARCA_EAMBIGUOUS,
			"'%s' matches %d snapshots; give more digits", spec,
			c.count);
	*out = c.found;
	return 0;
}
