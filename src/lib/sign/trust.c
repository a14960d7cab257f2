/* Judging verified signatures against a trust policy (see trust.h). */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "sign/trust.h"

static const char *const reason_names[] = { "bad-signature", "unknown-key",
	"key-not-allowed", "key-expired", "key-revoked", "signature-missing",
	"too-few-signatures" };

const char *arca_trust_reason_name(arca_trust_reason r)
{
	return (unsigned)r <= ARCA_TRUST_TOO_FEW ? reason_names[r] : "?";
}

/* Does a role entry kind allow record kind k? "*", equal, or "a" for
 * "a:b". */
static bool kind_matches(const char *entry, const char *k)
{
	size_t n = strlen(entry);

	return !strcmp(entry, "*") || !strcmp(entry, k) ||
		(!strncmp(entry, k, n) && k[n] == ':');
}

int arca_trust_policy_min(const arca_trust_policy *p, const char *kind)
{
	const char *colon = strchr(kind, ':');
	size_t base = colon ? (size_t)(colon - kind) : strlen(kind);
	int fallback = p->default_min > 0 ? p->default_min : 1;

	for (size_t i = 0; i < p->min_count; i++)
		if (!strcmp(p->mins[i].kind, kind))
			return p->mins[i].count;
	for (size_t i = 0; i < p->min_count; i++)
		if (strlen(p->mins[i].kind) == base &&
			!strncmp(p->mins[i].kind, kind, base))
			fallback = p->mins[i].count;
	return fallback;
}

static bool role_allows(const arca_trust_role *r, const char *kind)
{
	for (size_t i = 0; i < r->kind_count; i++)
		if (kind_matches(r->kinds[i], kind))
			return true;
	return false;
}

static bool key_matches(const arca_trust_key *k, const arca_sig *s)
{
	return (s->fpr[0] && !strcmp(k->fpr, s->fpr)) ||
		(s->primary_fpr[0] && !strcmp(k->fpr, s->primary_fpr));
}

static void fmt_time(char out[32], int64_t t)
{
	struct tm tm;
	time_t tt = (time_t)t;

	if (!gmtime_r(&tt, &tm) ||
		!strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm))
		snprintf(out, 32, "@%lld", (long long)t);
}

static int add(arca_trust_report *r, arca_trust_reason reason,
	const char *fpr, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static int add(arca_trust_report *r, arca_trust_reason reason,
	const char *fpr, const char *fmt, ...)
{
	arca_trust_failure *f, *grown;
	va_list ap;
	int n;

	grown = realloc(r->failures, (r->failure_count + 1) * sizeof(*f));
	if (!grown)
		return ARCA_ERROR;
	r->failures = grown;
	f = &r->failures[r->failure_count];
	memset(f, 0, sizeof(*f));
	f->reason = reason;
	snprintf(f->fpr, sizeof(f->fpr), "%s", fpr ? fpr : "");
	va_start(ap, fmt);
	n = vasprintf(&f->message, fmt, ap);
	va_end(ap);
	if (n < 0)
		return ARCA_ERROR;
	r->failure_count++;
	return 0;
}

/* The role names of key entries matching s, comma-separated. */
static void roles_of(const arca_trust_policy *p, const arca_sig *s,
	char *out, size_t size)
{
	size_t used = 0;

	out[0] = '\0';
	for (size_t i = 0; i < p->role_count; i++)
		for (size_t k = 0; k < p->roles[i].key_count; k++)
			if (key_matches(&p->roles[i].keys[k], s) &&
				used < size) {
				int n = snprintf(out + used, size - used,
					"%s%s", used ? ", " : "",
					p->roles[i].name);
				used += n > 0 ? (size_t)n : 0;
				break;
			}
}

/*
 * Judges one signature: 1 when it counts, 0 when a failure was added,
 * ARCA_ERROR when out of memory.
 */
/* Which keys may sign: by the roles' kinds, or by role names. */
typedef struct allow {
	const char *kind;
	char *const *roles;
	size_t nroles;
} allow;

static bool role_may(const arca_trust_role *role, const allow *a)
{
	if (!a->nroles)
		return role_allows(role, a->kind);
	for (size_t i = 0; i < a->nroles; i++)
		if (!strcmp(a->roles[i], role->name))
			return true;
	return false;
}

static int judge(const arca_trust_policy *p, const allow *al,
	const arca_sig *s, arca_trust_report *r)
{
	const char *kind = al->kind;
	const char *fpr = s->primary_fpr[0] ? s->primary_fpr : s->fpr;
	bool known = false, allowed = false;
	const arca_trust_key *window = NULL;
	char roles[256], a[32], b[32];
	int rc;

	switch (s->status) {
	case ARCA_SIG_BAD:
		rc = add(r, ARCA_TRUST_BAD_SIGNATURE, s->fpr, "bad signature "
			"by key %s: the signed bytes or the signature were "
			"changed", s->fpr);
		return rc < 0 ? rc : 0;
	case ARCA_SIG_ERROR:
		rc = add(r, ARCA_TRUST_BAD_SIGNATURE, s->fpr, "signature by "
			"key %s could not be checked", s->fpr);
		return rc < 0 ? rc : 0;
	case ARCA_SIG_NO_KEY:
		rc = add(r, ARCA_TRUST_UNKNOWN_KEY, s->fpr, "signature by "
			"unknown key %s: it is not in the keyring", s->fpr);
		return rc < 0 ? rc : 0;
	default:
		break;
	}
	for (size_t i = 0; i < p->role_count; i++) {
		const arca_trust_role *role = &p->roles[i];
		bool may = role_may(role, al);
		for (size_t k = 0; k < role->key_count; k++) {
			const arca_trust_key *key = &role->keys[k];
			if (!key_matches(key, s))
				continue;
			known = true;
			allowed |= may;
			if (may && s->created >= key->from &&
				s->created < key->until)
				window = key;
		}
	}
	if (!known)
		rc = add(r, ARCA_TRUST_UNKNOWN_KEY, fpr, "signature by unknown "
			"key %s: it is in no role of the trust policy", fpr);
	else if (s->key_revoked || s->status == ARCA_SIG_REVOKED_KEY)
		rc = add(r, ARCA_TRUST_KEY_REVOKED, fpr, "signature by key %s, "
			"which is revoked", fpr);
	else if (!allowed) {
		roles_of(p, s, roles, sizeof(roles));
		rc = al->nroles ? add(r, ARCA_TRUST_KEY_NOT_ALLOWED, fpr,
			"key %s (role %s) is not in a role that counts for "
			"%s", fpr, roles, kind) : add(r,
			ARCA_TRUST_KEY_NOT_ALLOWED, fpr, "key %s (role %s) "
			"may not sign %s records", fpr, roles, kind);
	} else if (s->status == ARCA_SIG_EXPIRED_SIG)
		rc = add(r, ARCA_TRUST_KEY_EXPIRED, fpr, "signature by key %s "
			"has expired", fpr);
	else if ((s->key_expires && s->created >= s->key_expires) ||
		(s->status == ARCA_SIG_EXPIRED_KEY && !s->key_expires)) {
		fmt_time(a, s->created);
		fmt_time(b, s->key_expires);
		rc = add(r, ARCA_TRUST_KEY_EXPIRED, fpr, "key %s had expired "
			"(%s) when it signed (%s)", fpr, s->key_expires ? b :
			"unknown date", a);
	} else if (!window) {
		fmt_time(a, s->created);
		rc = add(r, ARCA_TRUST_KEY_EXPIRED, fpr, "key %s signed at %s, "
			"outside its validity window in the trust policy",
			fpr, a);
	} else
		return 1;
	return rc < 0 ? rc : 0;
}

static int check(const arca_trust_policy *p, const allow *al, int min,
	const arca_sig_result *sigs, arca_trust_report **out)
{
	const char *record_kind = al->kind;
	arca_trust_report *r;
	const char **counted = NULL;
	size_t n = sigs ? sigs->count : 0;
	int rc = 0;

	if (!(r = calloc(1, sizeof(*r))))
		return ARCA_ERROR;
	r->required = min > 0 ? min : arca_trust_policy_min(p, record_kind);
	if (n && !(counted = calloc(n, sizeof(*counted)))) {
		rc = ARCA_ERROR;
		goto done;
	}
	for (size_t i = 0; i < n; i++) {
		const arca_sig *s = &sigs->sigs[i];
		const char *id = s->primary_fpr[0] ? s->primary_fpr : s->fpr;
		bool dup = false;

		if ((rc = judge(p, al, s, r)) < 0)
			goto done;
		if (!rc)
			continue;
		rc = 0;
		/* each key counts once, however many times it signed */
		for (int k = 0; k < r->counted; k++)
			dup |= !strcmp(counted[k], id);
		if (!dup)
			counted[r->counted++] = id;
	}
	if (!n)
		rc = add(r, ARCA_TRUST_SIGNATURE_MISSING, NULL, "%s record is "
			"not signed (%d signature%s required)", record_kind,
			r->required, r->required == 1 ? "" : "s");
	else if (r->counted < r->required)
		rc = add(r, ARCA_TRUST_TOO_FEW, NULL, "%s record has %d valid "
			"signature%s, %d required", record_kind, r->counted,
			r->counted == 1 ? "" : "s", r->required);
	if (rc < 0)
		goto done;
	r->ok = r->failure_count == 0;
done:
	free(counted);
	if (rc < 0) {
		arca_trust_report_free(r);
		return rc;
	}
	*out = r;
	return 0;
}

int arca_trust_check(const arca_trust_policy *p, const char *record_kind,
	const arca_sig_result *sigs, arca_trust_report **out)
{
	allow al = { record_kind, NULL, 0 };

	return check(p, &al, 0, sigs, out);
}

int arca_trust_check_roles(const arca_trust_policy *p, const char *kind,
	char *const *roles, size_t nroles, int min,
	const arca_sig_result *sigs, arca_trust_report **out)
{
	allow al = { kind, roles, nroles };

	return check(p, &al, min, sigs, out);
}

const arca_trust_channel *arca_trust_policy_channel(
	const arca_trust_policy *p, const char *name)
{
	for (size_t i = 0; i < p->channel_count; i++)
		if (!strcmp(p->channels[i].name, name))
			return &p->channels[i];
	return NULL;
}

void arca_trust_key_roles(const arca_trust_policy *p, const arca_sig *s,
	char *out, size_t size)
{
	roles_of(p, s, out, size);
}

void arca_trust_report_free(arca_trust_report *r)
{
	if (!r)
		return;
	for (size_t i = 0; i < r->failure_count; i++)
		free(r->failures[i].message);
	free(r->failures);
	free(r);
}
