/*
 * Loading a channel's history and checking its structure. What an
 * attacker with write access to the repository (but no trusted key) can
 * do is change refs and add records: every such change shows here as a
 * missing, reordered or foreign entry, or as an entry cut off the end;
 * a forged entry fails its signature check (chan__verify_signatures).
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "arca/sign.h"
#include "channel/chan.h"
#include "util/json.h"

int chan__name_valid(const char *s)
{
	size_t n = strlen(s);

	return n && n <= 64 && ((s[0] >= 'a' && s[0] <= 'z') ||
		(s[0] >= '0' && s[0] <= '9')) && strspn(s,
		"abcdefghijklmnopqrstuvwxyz0123456789._-") == n &&
		!strstr(s, "..") && s[n - 1] != '.';
}

void chan__dispose(chan *c)
{
	for (size_t i = 0; i < c->n; i++)
		json_decref(c->v[i].doc);
	free(c->v);
	for (size_t i = 0; i < c->depth; i++)
		free(c->stack[i]);
	free(c->stack);
	memset(c, 0, sizeof(*c));
}

const char *chan__current(const chan *c)
{
	return c->depth ? c->stack[c->depth - 1] : NULL;
}

/* ---------------------------------------------------------------- refs */

typedef struct refs_ctx {
	chan *c;
	size_t prefix_len;
	int bad;
	char bad_name[ARCA_KEY_MAX];
	int oom;
} refs_ctx;

static int refs_cb(const char *name, const arca_id *id, void *payload)
{
	refs_ctx *x = payload;
	const char *s = name + x->prefix_len;
	char canon[32];
	chan_entry *nv;
	long long seq;

	seq = strspn(s, "0123456789") == strlen(s) && strlen(s) < 12 ?
		atoll(s) : 0;
	snprintf(canon, sizeof(canon), "%06lld", seq);
	if (!id || seq < 1 || strcmp(canon, s)) {
		if (!x->bad++)
			snprintf(x->bad_name, sizeof(x->bad_name), "%s", name);
		return 0;
	}
	if (!(nv = realloc(x->c->v, (x->c->n + 1) * sizeof(*nv)))) {
		x->oom = 1;
		return ARCA_ERROR;
	}
	x->c->v = nv;
	nv[x->c->n].seq = seq;
	nv[x->c->n].record = *id;
	nv[x->c->n].doc = NULL;
	x->c->n++;
	return 0;
}

static int by_seq(const void *a, const void *b)
{
	const chan_entry *x = a, *y = b;

	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* ------------------------------------------------------------- entries */

static int broken(chan *c, arca_error *err, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int broken(chan *c, arca_error *err, const char *fmt, ...)
{
	char msg[800];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return arca_error_set(err, ARCA_EVERIFY, "channel %s of adapter %s: "
		"%s", c->channel, c->name, msg);
}

/* Is id listed as a channel record? */
static int is_channel_record(arca_repo *r, const arca_id *id,
	arca_error *err)
{
	char key[ARCA_KEY_MAX], hex[ARCA_ID_HEXSZ + 1];
	arca_buf b = ARCA_BUF_INIT;
	int rc;

	arca_id_hex(hex, id);
	snprintf(key, sizeof(key), ARCA_KEY_RECORDS CHAN_KIND "/%s", hex);
	rc = arca_repo__key_get(r, &b, key, 200, err);
	arca_buf_dispose(&b);
	if (rc == ARCA_ENOTFOUND) {
		arca_error_clear(err);
		return 0;
	}
	return rc < 0 ? rc : 1;
}

static const char *str(json_t *doc, const char *key)
{
	return json_string_value(json_object_get(doc, key));
}

static int push(chan *c, const char *version)
{
	char **nv = realloc(c->stack, (c->depth + 1) * sizeof(*nv));

	if (!nv)
		return ARCA_ERROR;
	c->stack = nv;
	if (!(nv[c->depth] = strdup(version)))
		return ARCA_ERROR;
	c->depth++;
	return 0;
}

/* Checks entry i against the one before it and applies it. */
static int entry(chan *c, arca_repo *r, size_t i, arca_error *err)
{
	chan_entry *e = &c->v[i];
	char s[ARCA_ID_STRSZ], prev[ARCA_ID_STRSZ];
	const char *action, *version, *p;
	arca_id pid, aid;
	int rc;

	arca_id_str(s, &e->record);
	if ((rc = is_channel_record(r, &e->record, err)) < 0)
		return rc;
	if (!rc)
		return broken(c, err, "entry %" PRId64 " names %s, which is not "
			"a channel record", e->seq, s);
	if ((rc = arca_repo__json_get(r, &e->doc, &e->record,
		"channel record", err)) < 0)
		return rc == ARCA_ENOTFOUND ? broken(c, err, "entry %" PRId64
			": record %s is missing", e->seq, s) : rc;
	if (!str(e->doc, "type") || strcmp(str(e->doc, "type"), CHAN_KIND) ||
		!str(e->doc, "adapter") || !str(e->doc, "channel"))
		return broken(c, err, "entry %" PRId64 ": %s is not a channel "
			"record", e->seq, s);
	if (strcmp(str(e->doc, "adapter"), c->name) ||
		strcmp(str(e->doc, "channel"), c->channel))
		return broken(c, err, "entry %" PRId64 " holds %s, an entry of "
			"channel %.64s of adapter %.100s: it was moved here",
			e->seq, s, str(e->doc, "channel"),
			str(e->doc, "adapter"));
	if (json_integer_value(json_object_get(e->doc, "seq")) != e->seq)
		return broken(c, err, "entry %" PRId64 " holds %s, which is "
			"entry %lld: the history was reordered or altered",
			e->seq, s, (long long)json_integer_value(
			json_object_get(e->doc, "seq")));
	p = str(e->doc, "previous");
	if (i == 0 && p)
		return broken(c, err, "entry 1 (%s) names a previous entry: "
			"earlier entries were removed", s);
	if (i > 0 && (!p || arca_id_parse(&pid, p) < 0 ||
		arca_id_cmp(&pid, &c->v[i - 1].record))) {
		arca_id_str(prev, &c->v[i - 1].record);
		return broken(c, err, "entry %" PRId64 " (%s) does not follow "
			"entry %" PRId64 " (%s): an entry was replaced or "
			"reordered", e->seq, s, e->seq - 1, prev);
	}
	action = str(e->doc, "action");
	version = str(e->doc, "adapter_version");
	if (!action || !version || !str(e->doc, "adapter_record") ||
		arca_id_parse(&aid, str(e->doc, "adapter_record")) < 0 ||
		(strcmp(action, CHAN_PROMOTE) && strcmp(action, CHAN_ROLLBACK)))
		return broken(c, err, "entry %" PRId64 " (%s) is not a "
			"promotion or a rollback", e->seq, s);
	if (!strcmp(action, CHAN_PROMOTE))
		return push(c, version) < 0 ? arca_error_set(err, ARCA_ERROR,
			"out of memory") : 0;
	/* a rollback goes down the stack to a version promoted before */
	for (size_t k = c->depth; k-- > 1;)
		if (!strcmp(c->stack[k - 1], version)) {
			while (c->depth > k)
				free(c->stack[--c->depth]);
			return 0;
		}
	return broken(c, err, "entry %" PRId64 " (%s) rolls back to %.64s, "
		"which was not promoted before the current version", e->seq,
		s, version);
}

/* ------------------------------------------------------- cut-off check */

typedef struct scan_ctx {
	chan *c;
	arca_repo *r;
	arca_idset mine;
	/* the record of this channel with the highest seq above the end */
	int64_t seq;
	arca_id id;
	int follows;     /* and it names the last entry as its previous */
} scan_ctx;

static int scan_cb(const char *key, uint64_t size, void *payload)
{
	scan_ctx *x = payload;
	const char *slash = strrchr(key, '/'), *p;
	json_t *doc = NULL;
	arca_id id, pid;
	int64_t seq, n = (int64_t)x->c->n;

	(void)size;
	if (!slash || arca_id_parse(&id, slash + 1) < 0 ||
		arca_idset_has(&x->mine, &id) ||
		arca_repo__json_get(x->r, &doc, &id, "channel record",
		NULL) < 0)
		return 0; /* the chain's own, or verify's to report */
	seq = json_integer_value(json_object_get(doc, "seq"));
	/* a record at or below the end lost the race for its number */
	if (str(doc, "adapter") && str(doc, "channel") &&
		!strcmp(str(doc, "adapter"), x->c->name) &&
		!strcmp(str(doc, "channel"), x->c->channel) && seq > n &&
		seq > x->seq) {
		p = str(doc, "previous");
		x->seq = seq;
		x->id = id;
		x->follows = (n == 0 && !p) || (n > 0 && p &&
			arca_id_parse(&pid, p) == 0 &&
			!arca_id_cmp(&pid, &x->c->v[n - 1].record));
	}
	json_decref(doc);
	return 0;
}

/* Records of this channel no ref claims, above the end of the history:
 * entries cut off (or one a crash left unclaimed). */
static int scan(chan *c, arca_repo *r, int strict, arca_error *err)
{
	char s[ARCA_ID_STRSZ];
	int64_t n = (int64_t)c->n;
	scan_ctx x;
	int rc = 0;

	memset(&x, 0, sizeof(x));
	x.c = c;
	x.r = r;
	for (size_t i = 0; i < c->n && rc == 0; i++)
		if (arca_idset_add(&x.mine, &c->v[i].record) < 0)
			rc = arca_error_set(err, ARCA_ERROR, "out of memory");
	if (rc == 0 && (rc = arca_repo__keys_list(r, ARCA_KEY_RECORDS
		CHAN_KIND "/", scan_cb, &x, err)) > 0)
		rc = arca_error_set(err, ARCA_ERROR, "listing channel records");
	arca_idset_dispose(&x.mine);
	if (rc < 0 || !x.seq)
		return rc;
	arca_id_str(s, &x.id);
	if (x.seq == n + 1 && x.follows && !strict) {
		c->dangling = 1;
		c->dangling_record = x.id;
		return 0;
	}
	return x.seq == n + 1 ? broken(c, err, "record %s is entry %" PRId64
		" but no ref claims it: the newest entry was removed (a "
		"rollback of the history), or a promotion crashed before "
		"claiming it (then promote or roll back again)", s, x.seq) :
		broken(c, err, "record %s is entry %" PRId64 " but the history "
		"ends at entry %" PRId64 ": later entries were removed", s,
		x.seq, n);
}

int chan__load(chan *c, arca_repo *r, const char *name, const char *channel,
	int strict, arca_error *err)
{
	char prefix[ARCA_KEY_MAX];
	refs_ctx x;
	int rc;

	memset(c, 0, sizeof(*c));
	snprintf(c->name, sizeof(c->name), "%s", name);
	snprintf(c->channel, sizeof(c->channel), "%s", channel);
	if (!arca_repo__dataset_name_valid(name))
		return arca_error_set(err, ARCA_EINVALID, "invalid adapter name "
			"'%s'", name);
	if (!chan__name_valid(channel))
		return arca_error_set(err, ARCA_EINVALID, "invalid channel "
			"'%s': 1 to 64 of a-z 0-9 . _ -, starting with a letter "
			"or digit", channel);
	memset(&x, 0, sizeof(x));
	x.c = c;
	snprintf(prefix, sizeof(prefix), "channels/%s/%s/", name, channel);
	x.prefix_len = strlen(prefix);
	if ((rc = arca_repo__ref_list(r, prefix, refs_cb, &x, err)) < 0) {
		if (x.oom)
			arca_error_set(err, rc, "out of memory");
		return rc;
	}
	if (x.bad)
		return broken(c, err, "refs/%s is not an entry of the history "
			"(entries are refs/%s<6 digits>)", x.bad_name, prefix);
	if (c->n)
		qsort(c->v, c->n, sizeof(*c->v), by_seq);
	for (size_t i = 0; i < c->n; i++)
		if (c->v[i].seq != (int64_t)i + 1)
			return broken(c, err, "entry %zu is missing "
				"(refs/%s%06zu was removed)", i + 1, prefix,
				i + 1);
	for (size_t i = 0; i < c->n; i++)
		if ((rc = entry(c, r, i, err)) < 0)
			return rc;
	return scan(c, r, strict, err);
}

/* -------------------------------------------------------------- names */

typedef struct names_ctx {
	char **v;
	size_t n;
	size_t prefix_len;
} names_ctx;

static int names_cb(const char *name, const arca_id *id, void *payload)
{
	names_ctx *x = payload;
	const char *s = name + x->prefix_len, *slash = strchr(s, '/');
	size_t len = slash ? (size_t)(slash - s) : strlen(s);
	char **nv;

	(void)id;
	for (size_t i = 0; i < x->n; i++)
		if (strlen(x->v[i]) == len && !strncmp(x->v[i], s, len))
			return 0;
	if (!(nv = realloc(x->v, (x->n + 1) * sizeof(*nv))) ||
		!(nv[x->n] = strndup(s, len))) {
		if (nv)
			x->v = nv;
		return ARCA_ERROR;
	}
	x->v = nv;
	x->n++;
	return 0;
}

static int by_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int chan__names(char ***out, size_t *n, arca_repo *r, const char *name,
	arca_error *err)
{
	char prefix[ARCA_KEY_MAX];
	names_ctx x = { NULL, 0, 0 };
	int rc;

	snprintf(prefix, sizeof(prefix), "channels/%s/", name);
	x.prefix_len = strlen(prefix);
	if ((rc = arca_repo__ref_list(r, prefix, names_cb, &x, err)) < 0) {
		chan__names_free(x.v, x.n);
		return arca_error_set(err, rc, "listing the channels of %s",
			name);
	}
	if (x.n)
		qsort(x.v, x.n, sizeof(*x.v), by_str);
	*out = x.v;
	*n = x.n;
	return 0;
}

void chan__names_free(char **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

int chan__verify_signatures(const chan *c, arca_repo *r,
	const arca_trust_policy *p, arca_error *err)
{
	for (size_t i = 0; i < c->n; i++) {
		arca_sign_target t;
		arca_sig_report *rep = NULL;
		char s[ARCA_ID_STRSZ];
		int rc;

		memset(&t, 0, sizeof(t));
		t.id = c->v[i].record;
		snprintf(t.kind, sizeof(t.kind), CHAN_KIND);
		if ((rc = arca_sig_check(&rep, r, &t, p, err)) < 0)
			return rc;
		arca_id_str(s, &t.id);
		rc = rep->ok ? 0 : arca_error_set(err, ARCA_EVERIFY, "channel %s "
			"of adapter %s: entry %" PRId64 " (%s): %s", c->channel,
			c->name, c->v[i].seq, s, rep->message);
		arca_sig_report_free(rep);
		if (rc < 0)
			return rc;
	}
	return 0;
}
