/*
 * Promotion and rollback: the checks an adapter version must pass to
 * become a channel's current version (its run succeeded with every gate
 * passed; with a trust policy, the signatures the channel's rule asks
 * of its record, package and manifest), then one new entry in the
 * channel's history: object -> record (signed by record_add) -> the
 * create-only ref claiming the next number. A writer that loses the
 * race for a number reads the history again and retries.
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "arca/run.h"
#include "catalog/cat.h"
#include "channel/chan.h"
#include "sign/sign.h"
#include "sign/trust.h"
#include "util/json.h"
#include "util/sys.h"
#include "util/utf8.h"

#define CLAIM_TRIES 16

typedef struct adapter_info {
	char spec[200];
	char version[72];
	arca_id record, package, manifest, run;
} adapter_info;

static int refuse(const adapter_info *a, const char *channel,
	arca_error *err, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static int refuse(const adapter_info *a, const char *channel,
	arca_error *err, const char *fmt, ...)
{
	char msg[800];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return arca_error_set(err, ARCA_EPOLICY, "%s cannot go to channel %s: "
		"%s", a->spec, channel, msg);
}

static int get_id(arca_id *out, json_t *doc, const char *key)
{
	const char *s = json_string_value(json_object_get(doc, key));

	return s ? arca_id_parse(out, s) : -1;
}

static int adapter_load(adapter_info *a, arca_repo *r, const char *name,
	const char *version, arca_error *err)
{
	char ref[ARCA_KEY_MAX];
	json_t *doc = NULL;
	int rc;

	memset(a, 0, sizeof(*a));
	snprintf(a->spec, sizeof(a->spec), "%.100s@%.64s", name, version);
	snprintf(a->version, sizeof(a->version), "%.64s", version);
	if (!*version || strlen(version) > 64 || strchr(version, '/'))
		return arca_error_set(err, ARCA_EINVALID, "invalid adapter "
			"version '%s'", version);
	snprintf(ref, sizeof(ref), "adapters/%s/%s", name, version);
	rc = arca_repo__ref_get(r, &a->record, ref, err);
	if (rc == ARCA_ENOTFOUND || rc == ARCA_EINVALID)
		return arca_error_set(err, ARCA_ENOTFOUND, "no adapter %s",
			a->spec);
	if (rc < 0 || (rc = arca_repo__json_get(r, &doc, &a->record,
		"adapter record", err)) < 0)
		return rc;
	if (get_id(&a->package, doc, "package") < 0 ||
		get_id(&a->manifest, doc, "manifest") < 0 ||
		get_id(&a->run, doc, "run") < 0)
		rc = arca_error_set(err, ARCA_ECORRUPT, "adapter %s: its record "
			"lacks a package, manifest or run", a->spec);
	json_decref(doc);
	return rc;
}

/* The run that made the adapter succeeded, every gate passed, and it
 * published this adapter. */
static int check_run(const adapter_info *a, arca_repo *r, const char *channel,
	arca_error *err)
{
	char *text = NULL, hex[ARCA_ID_HEXSZ + 1];
	const char *status;
	json_t *doc = NULL, *g;
	arca_id pub;
	size_t i;
	int rc;

	arca_id_hex(hex, &a->run);
	if ((rc = arca_run_state_json(&text, NULL, r, &a->run, err)) < 0)
		return arca_error_prefix(err, "adapter %s: its run", a->spec);
	if (!(doc = json_loads(text, 0, NULL))) {
		rc = arca_error_set(err, ARCA_ECORRUPT, "run %.12s: its record "
			"is not JSON", hex);
		goto done;
	}
	status = json_string_value(json_object_get(doc, "status"));
	if (!status || strcmp(status, "succeeded")) {
		rc = refuse(a, channel, err, "its run %.12s is %s, not "
			"succeeded", hex, status ? status : "of unknown status");
		goto done;
	}
	json_array_foreach(json_object_get(doc, "gates"), i, g)
		if (!json_is_true(json_object_get(g, "pass"))) {
			rc = refuse(a, channel, err, "gate '%s' of its run %.12s "
				"did not pass", json_string_value(
				json_object_get(g, "gate")) ? json_string_value(
				json_object_get(g, "gate")) : "?", hex);
			goto done;
		}
	if (get_id(&pub, json_object_get(doc, "adapter"), "record") < 0 ||
		arca_id_cmp(&pub, &a->record))
		rc = refuse(a, channel, err, "its run %.12s did not publish "
			"it", hex);
done:
	json_decref(doc);
	free(text);
	return rc;
}

/* Does a failed entry block a promotion? A key that merely is not one
 * the channel counts (an auditor's countersignature) does not. */
static int blocks(const arca_sig_entry *e)
{
	return e->reason[0] && strcmp(e->reason, "key-not-allowed") &&
		!(!strcmp(e->reason, "unknown-key") &&
		!strcmp(e->status, "good"));
}

/* With a policy: the record, package and manifest each carry enough
 * valid signatures for the channel's rule (or, without one, for their
 * kinds), and none that is bad, revoked, expired or unverifiable. */
static int check_trust(const adapter_info *a, arca_repo *r,
	const char *channel, const arca_trust_policy *p, arca_error *err)
{
	const arca_trust_channel *rule = arca_trust_policy_channel(p, channel);
	static const char *const kinds[] = { "adapter", "adapter-package",
		"adapter-manifest" };
	const arca_id *ids[] = { &a->record, &a->package, &a->manifest };
	static const char *const what[] = { "record", "package", "manifest" };

	for (int i = 0; i < 3; i++) {
		arca_sign_target t;
		arca_sig_report *rep = NULL;
		const char *why = NULL;
		int rc;

		memset(&t, 0, sizeof(t));
		t.id = *ids[i];
		snprintf(t.kind, sizeof(t.kind), "%s", kinds[i]);
		rc = rule ? arca_sig_check_roles(&rep, r, &t, p, rule->roles,
			rule->role_count, rule->min_signatures, err) :
			arca_sig_check(&rep, r, &t, p, err);
		if (rc < 0)
			return rc;
		for (size_t k = 0; k < rep->nsigs && !why; k++)
			if (blocks(&rep->sigs[k]))
				why = rep->sigs[k].message;
		if (why)
			rc = refuse(a, channel, err, "its %s: %s", what[i], why);
		else if (rep->counted < rep->required)
			rc = refuse(a, channel, err, "its %s has %d valid "
				"signature%s%s, %d required", what[i],
				rep->counted, rep->counted == 1 ? "" : "s",
				rule && rule->role_count ? " from the channel's "
				"roles" : "", rep->required);
		arca_sig_report_free(rep);
		if (rc < 0)
			return rc;
	}
	return 0;
}

/* With a policy in force, channel changes must be signed, by a key the
 * policy lets sign channel:<channel>. */
static int check_signer(arca_repo *r, const char *channel,
	const arca_trust_policy *p, arca_error *err)
{
	char kind[80];
	arca_sig me;
	arca_sig_result one = { 1, &me };
	arca_trust_report *rep = NULL;
	int rc = 0;

	if (!p)
		return r->require_signatures ? arca_error_set(err,
			ARCA_EPOLICY, "repository '%s' requires signatures: "
			"channel changes need a trust policy (--trust FILE, "
			"ARCA_TRUST_POLICY or 'arca config set trust.policy "
			"FILE')", r->url) : 0;
	snprintf(kind, sizeof(kind), "channel:%s", channel);
	if (!r->signer)
		return arca_error_set(err, ARCA_EPOLICY, "the trust policy needs "
			"%s records signed and no signing key is configured: set "
			"one with 'arca config set signing.key FINGERPRINT' or "
			"ARCA_SIGNING_KEY", kind);
	memset(&me, 0, sizeof(me));
	snprintf(me.fpr, sizeof(me.fpr), "%s", arca_signer_fpr(r->signer));
	snprintf(me.primary_fpr, sizeof(me.primary_fpr), "%s",
		arca_signer_primary_fpr(r->signer));
	me.status = ARCA_SIG_GOOD;
	me.created = arca_time_now_ns() / 1000000000;
	if (arca_trust_check_roles(p, kind, NULL, 0, 1, &one, &rep) < 0)
		return arca_error_set(err, ARCA_ERROR, "out of memory");
	if (!rep->ok && rep->failure_count)
		rc = arca_error_set(err, ARCA_EPOLICY, "your signing key cannot "
			"sign this change: %s", rep->failures[0].message);
	arca_trust_report_free(rep);
	return rc;
}

/* ---------------------------------------------------------- the entry */

static json_t *entry_doc(const chan *c, const adapter_info *a,
	const char *action, const char *from, const arca_channel_opts *o)
{
	json_t *doc = arca_cat__record_base(CHAN_KIND);

	if (!doc)
		return NULL;
	json_object_set_new(doc, "adapter", json_string(c->name));
	json_object_set_new(doc, "channel", json_string(c->channel));
	json_object_set_new(doc, "seq", json_integer((json_int_t)c->n + 1));
	if (c->n)
		json_object_set_new(doc, "previous",
			arca_json_id(&c->v[c->n - 1].record));
	json_object_set_new(doc, "action", json_string(action));
	json_object_set_new(doc, "adapter_version", json_string(a->version));
	json_object_set_new(doc, "adapter_record", arca_json_id(&a->record));
	json_object_set_new(doc, "package", arca_json_id(&a->package));
	if (from)
		json_object_set_new(doc, "from_version", json_string(from));
	if (o->reason)
		json_object_set_new(doc, "reason", json_string(o->reason));
	/* an entry a crash left unclaimed: this one takes its place */
	if (c->dangling)
		json_object_set_new(doc, "supersedes",
			arca_json_id(&c->dangling_record));
	return doc;
}

static int result(char **out, const chan *c, const adapter_info *a,
	const char *action, const char *from, const arca_id *rec,
	arca_error *err)
{
	json_t *j = json_pack("{s:s, s:s, s:I, s:s, s:s, s:o, s:o}",
		"adapter", c->name, "channel", c->channel, "seq",
		(json_int_t)c->n + 1, "action", action, "version", a->version,
		"record", arca_json_id(rec), "package",
		arca_json_id(&a->package));
	arca_buf b = ARCA_BUF_INIT;
	int rc;

	if (!j)
		return arca_error_set(err, ARCA_ERROR, "out of memory");
	if (from)
		json_object_set_new(j, "from", json_string(from));
	if ((rc = arca_json_canonical(&b, j, err)) == 0 &&
		!(*out = strndup((const char *)b.data, b.len)))
		rc = arca_error_set(err, ARCA_ERROR, "out of memory");
	json_decref(j);
	arca_buf_dispose(&b);
	return rc;
}

/* Picks the version for this change from the history: 0, or <0. */
static int target(char out[72], const chan *c, const char *action,
	const char *version, arca_error *err)
{
	const char *cur = chan__current(c);

	if (!strcmp(action, CHAN_PROMOTE)) {
		if (cur && !strcmp(cur, version))
			return arca_error_set(err, ARCA_EINVALID, "%s@%s is "
				"already the current version of channel %s",
				c->name, version, c->channel);
		snprintf(out, 72, "%s", version);
		return 0;
	}
	if (!cur)
		return arca_error_set(err, ARCA_ENOTFOUND, "nothing was "
			"promoted to channel %s of adapter %s", c->channel,
			c->name);
	if (!version) {
		if (c->depth < 2)
			return arca_error_set(err, ARCA_EINVALID, "channel %s of "
				"adapter %s has nothing to roll back to: %s is "
				"the only version promoted to it (promote "
				"another)", c->channel, c->name, cur);
		snprintf(out, 72, "%s", c->stack[c->depth - 2]);
		return 0;
	}
	for (size_t k = 0; k + 1 < c->depth; k++)
		if (!strcmp(c->stack[k], version)) {
			snprintf(out, 72, "%s", version);
			return 0;
		}
	return arca_error_set(err, ARCA_EINVALID, "cannot roll channel %s of "
		"adapter %s back to %s: it is not a version promoted before "
		"the current one (%s); promote it instead", c->channel,
		c->name, version, cur);
}

static int change(char **out, arca_repo *r, const char *name,
	const char *channel, const char *action, const char *version,
	const arca_channel_opts *opts, arca_error *err)
{
	arca_channel_opts o = ARCA_CHANNEL_OPTS_INIT;
	adapter_info a;
	char want[72], checked[72] = "", ref[ARCA_KEY_MAX], from[72];
	json_t *doc = NULL;
	arca_id rec;
	chan c;
	int rc;

	memset(&c, 0, sizeof(c));
	memset(&a, 0, sizeof(a));
	if (opts)
		o = *opts;
	if (o.reason && !arca_utf8_valid(o.reason, strlen(o.reason)))
		return arca_error_set(err, ARCA_EINVALID, "the reason is not "
			"valid UTF-8");
	if ((rc = arca_repo_signing_check(r, err)) < 0)
		return rc;
	if (!arca_repo__dataset_name_valid(name))
		return arca_error_set(err, ARCA_EINVALID, "invalid adapter name "
			"'%s'", name);
	if (!chan__name_valid(channel))
		return arca_error_set(err, ARCA_EINVALID, "invalid channel "
			"'%s': 1 to 64 of a-z 0-9 . _ -, starting with a letter "
			"or digit", channel);
	if ((rc = check_signer(r, channel, o.policy, err)) < 0)
		return rc;
	for (int attempt = 0; attempt < CLAIM_TRIES; attempt++) {
		chan__dispose(&c);
		json_decref(doc);
		doc = NULL;
		if ((rc = chan__load(&c, r, name, channel, 0, err)) < 0 ||
			(rc = target(want, &c, action, version, err)) < 0)
			goto done;
		if (strcmp(want, checked)) {
			if ((rc = adapter_load(&a, r, name, want, err)) < 0 ||
				(rc = check_run(&a, r, channel, err)) < 0 ||
				(o.policy && (rc = check_trust(&a, r, channel,
				o.policy, err)) < 0))
				goto done;
			snprintf(checked, sizeof(checked), "%s", want);
		}
		snprintf(from, sizeof(from), "%s", chan__current(&c) ?
			chan__current(&c) : "");
		if (!(doc = entry_doc(&c, &a, action, *from ? from : NULL,
			&o))) {
			rc = arca_error_set(err, ARCA_ERROR, "out of memory");
			goto done;
		}
		if ((rc = arca_repo__record_put(r, CHAN_KIND, doc, &rec, NULL,
			err)) < 0)
			goto done;
		snprintf(ref, sizeof(ref), "channels/%s/%s/%06zu", name,
			channel, c.n + 1);
		rc = arca_repo__ref_create(r, ref, &rec, err);
		if (rc == ARCA_EEXISTS) { /* another change took the number */
			arca_error_clear(err);
			continue;
		}
		if (rc == 0)
			rc = result(out, &c, &a, action, *from ? from : NULL,
				&rec, err);
		goto done;
	}
	rc = arca_error_set(err, ARCA_ELOCKED, "channel %s of adapter %s: "
		"other changes kept taking the next entry; try again", channel,
		name);
done:
	json_decref(doc);
	chan__dispose(&c);
	return rc;
}

int arca_adapter_promote(char **out, arca_repo *r, const char *spec,
	const char *channel, const arca_channel_opts *o, arca_error *err)
{
	const char *at = strchr(spec, '@');
	char name[128];

	if (!at || at == spec || !at[1] || (size_t)(at - spec) >= sizeof(name))
		return arca_error_set(err, ARCA_EINVALID, "invalid adapter '%s': "
			"expected NAME@VERSION", spec);
	snprintf(name, sizeof(name), "%.*s", (int)(at - spec), spec);
	return change(out, r, name, channel, CHAN_PROMOTE, at + 1, o, err);
}

int arca_adapter_rollback(char **out, arca_repo *r, const char *name,
	const char *channel, const arca_channel_opts *o, arca_error *err)
{
	return change(out, r, name, channel, CHAN_ROLLBACK, o ? o->to : NULL,
		o, err);
}
