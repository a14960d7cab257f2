/*
 * Reading channels: every channel of an adapter with its current
 * version and history, and one channel's current version for
 * deployment scripts. Both check the history first (chan__load,
 * strict), and its signatures when a trust policy is given.
 */
#include <stdlib.h>
#include <string.h>
#include "channel/chan.h"
#include "util/json.h"

/* The number of signatures of id (refs/signatures/<hex>/). */
typedef struct count_ctx {
	int n;
} count_ctx;

static int count_cb(const char *name, const arca_id *id, void *payload)
{
	(void)name;
	if (id)
		((count_ctx *)payload)->n++;
	return 0;
}

static int sig_count(arca_repo *r, const arca_id *id, int *n,
	arca_error *err)
{
	char prefix[ARCA_KEY_MAX], hex[ARCA_ID_HEXSZ + 1];
	count_ctx x = { 0 };
	int rc;

	arca_id_hex(hex, id);
	snprintf(prefix, sizeof(prefix), "signatures/%s/", hex);
	rc = arca_repo__ref_list(r, prefix, count_cb, &x, err);
	*n = x.n;
	return rc;
}

static const char *str(json_t *doc, const char *key)
{
	return json_string_value(json_object_get(doc, key));
}

/* One history entry for people and scripts. */
static json_t *entry_json(arca_repo *r, const chan_entry *e, arca_error *err)
{
	static const char *const keys[] = { "action", "time", "username",
		"hostname", "reason" };
	json_t *j = json_pack("{s:I, s:o, s:s?}", "seq", (json_int_t)e->seq,
		"record", arca_json_id(&e->record), "version",
		str(e->doc, "adapter_version"));
	int n = 0;

	if (!j)
		return NULL;
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		if (str(e->doc, keys[i]))
			json_object_set_new(j, keys[i],
				json_string(str(e->doc, keys[i])));
	if (str(e->doc, "from_version"))
		json_object_set_new(j, "from", json_string(str(e->doc,
			"from_version")));
	if (str(e->doc, "package"))
		json_object_set_new(j, "package", json_string(str(e->doc,
			"package")));
	if (sig_count(r, &e->record, &n, err) < 0) {
		json_decref(j);
		return NULL;
	}
	json_object_set_new(j, "signatures", json_integer(n));
	return j;
}

/* The current state of c: version, package, record and seq of the
 * entry that made it current. */
static json_t *current_json(const chan *c)
{
	const char *cur = chan__current(c);
	json_t *j = json_object();

	if (!j || !cur || !c->n)
		return j;
	json_object_set_new(j, "version", json_string(cur));
	/* the newest entry whose version is the current one */
	for (size_t i = c->n; i-- > 0;)
		if (str(c->v[i].doc, "adapter_version") &&
			!strcmp(str(c->v[i].doc, "adapter_version"), cur)) {
			if (str(c->v[i].doc, "package"))
				json_object_set_new(j, "package", json_string(
					str(c->v[i].doc, "package")));
			if (str(c->v[i].doc, "adapter_record"))
				json_object_set_new(j, "adapter_record",
					json_string(str(c->v[i].doc,
					"adapter_record")));
			break;
		}
	json_object_set_new(j, "record", arca_json_id(&c->v[c->n - 1].record));
	json_object_set_new(j, "seq", json_integer((json_int_t)c->n));
	return j;
}

static int load_checked(chan *c, arca_repo *r, const char *name,
	const char *channel, const arca_trust_policy *p, arca_error *err)
{
	int rc;

	if ((rc = chan__load(c, r, name, channel, 1, err)) < 0 ||
		(p && (rc = chan__verify_signatures(c, r, p, err)) < 0))
		chan__dispose(c);
	return rc;
}

static int dump(char **out, json_t *j, arca_error *err)
{
	arca_buf b = ARCA_BUF_INIT;
	int rc;

	if ((rc = arca_json_canonical(&b, j, err)) == 0 &&
		!(*out = strndup((const char *)b.data, b.len)))
		rc = arca_error_set(err, ARCA_ERROR, "out of memory");
	arca_buf_dispose(&b);
	return rc;
}

int arca_adapter_channels(char **out, arca_repo *r, const char *name,
	const char *channel, const arca_trust_policy *p, arca_error *err)
{
	char **names = NULL;
	size_t n = 0;
	json_t *all = json_array(), *top = NULL;
	int rc;

	if (!arca_repo__dataset_name_valid(name)) {
		json_decref(all);
		return arca_error_set(err, ARCA_EINVALID, "invalid adapter name "
			"'%s'", name);
	}
	if (channel) {
		if (!(names = calloc(1, sizeof(*names))) ||
			!(names[0] = strdup(channel))) {
			free(names);
			json_decref(all);
			return arca_error_set(err, ARCA_ERROR, "out of memory");
		}
		n = 1;
	} else if ((rc = chan__names(&names, &n, r, name, err)) < 0) {
		json_decref(all);
		return rc;
	}
	rc = 0;
	for (size_t i = 0; i < n && rc == 0; i++) {
		json_t *hist = json_array(), *one;
		chan c;
		if ((rc = load_checked(&c, r, name, names[i], p, err)) < 0) {
			json_decref(hist);
			break;
		}
		one = current_json(&c);
		json_object_set_new(one, "channel", json_string(names[i]));
		for (size_t k = 0; k < c.n && rc == 0; k++) {
			json_t *e = entry_json(r, &c.v[k], err);
			if (!e)
				rc = err && err->code ? err->code :
					arca_error_set(err, ARCA_ERROR,
					"out of memory");
			else
				json_array_append_new(hist, e);
		}
		json_object_set_new(one, "history", hist);
		json_array_append_new(all, one);
		chan__dispose(&c);
	}
	chan__names_free(names, n);
	if (rc == 0 && channel && !json_array_size(json_object_get(
		json_array_get(all, 0), "history")))
		rc = arca_error_set(err, ARCA_ENOTFOUND, "adapter %s has no "
			"channel %s", name, channel);
	if (rc == 0 && out) {
		top = json_pack("{s:s, s:O, s:b}", "adapter", name, "channels",
			all, "signatures_checked", p != NULL);
		rc = top ? dump(out, top, err) : arca_error_set(err,
			ARCA_ERROR, "out of memory");
	}
	json_decref(top);
	json_decref(all);
	return rc;
}

int arca_adapter_resolve(char **out, arca_repo *r, const char *name,
	const char *channel, const arca_trust_policy *p, arca_error *err)
{
	json_t *j;
	chan c;
	int rc;

	if ((rc = load_checked(&c, r, name, channel, p, err)) < 0)
		return rc;
	if (!chan__current(&c)) {
		chan__dispose(&c);
		return arca_error_set(err, ARCA_ENOTFOUND, "nothing was promoted "
			"to channel %s of adapter %s", channel, name);
	}
	j = current_json(&c);
	json_object_set_new(j, "adapter", json_string(name));
	json_object_set_new(j, "channel", json_string(channel));
	json_object_set_new(j, "signatures_checked", json_boolean(p != NULL));
	rc = dump(out, j, err);
	json_decref(j);
	chan__dispose(&c);
	return rc;
}
