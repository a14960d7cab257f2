/* The trust policy YAML loader (formats/trust-policy.md). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "catalog/schema_yaml.h"
#include "sign/trust.h"

void arca_trust_policy_free(arca_trust_policy *p)
{
	if (!p)
		return;
	for (size_t i = 0; i < p->role_count; i++) {
		arca_trust_role *r = &p->roles[i];
		free(r->name);
		free(r->keys);
		for (size_t k = 0; k < r->kind_count; k++)
			free(r->kinds[k]);
		free(r->kinds);
	}
	free(p->roles);
	for (size_t i = 0; i < p->min_count; i++)
		free(p->mins[i].kind);
	free(p->mins);
	for (size_t i = 0; i < p->channel_count; i++) {
		arca_trust_channel *c = &p->channels[i];
		free(c->name);
		for (size_t k = 0; k < c->role_count; k++)
			free(c->roles[k]);
		free(c->roles);
	}
	free(p->channels);
	free(p);
}

static int oom(arca_yaml *y)
{
	return arca_error_set(y->err, ARCA_ERROR, "out of memory");
}

/* "YYYY-MM-DD" (00:00:00 UTC) or "YYYY-MM-DDTHH:MM:SSZ". 0 or -1. */
static int parse_date(const char *s, int64_t *out)
{
	struct tm tm = { 0 }, chk;
	int y, mo, d, h = 0, mi = 0, sec = 0, used = 0;
	time_t t;

	if (strlen(s) == 10) {
		if (sscanf(s, "%4d-%2d-%2d%n", &y, &mo, &d, &used) != 3 ||
			used != 10)
			return -1;
	} else if (strlen(s) == 20) {
		if (sscanf(s, "%4d-%2d-%2dT%2d:%2d:%2dZ%n", &y, &mo, &d, &h,
			&mi, &sec, &used) != 6 || used != 20)
			return -1;
	} else {
		return -1;
	}
	for (size_t i = 0; s[i]; i++)
		if ((i == 4 || i == 7) ? s[i] != '-' : (i == 10 || i == 13 ||
			i == 16 || i == 19) ? 0 : (s[i] < '0' || s[i] > '9'))
			return -1;
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = mi;
	tm.tm_sec = sec;
	chk = tm;
	t = timegm(&tm);
	/* timegm normalizes: a changed field means it was out of range */
	if (tm.tm_year != chk.tm_year || tm.tm_mon != chk.tm_mon ||
		tm.tm_mday != chk.tm_mday || tm.tm_hour != chk.tm_hour ||
		tm.tm_min != chk.tm_min || tm.tm_sec != chk.tm_sec)
		return -1;
	*out = (int64_t)t;
	return 0;
}

static int load_date(arca_yaml *y, struct fy_node *n, const char *what,
	int64_t *out)
{
	const char *s;
	int rc;

	if ((rc = arca_yaml__str(y, n, what, &s)) < 0)
		return rc;
	if (parse_date(s, out) < 0)
		return arca_yaml__fail(y, n, "%s \"%s\" is not a date "
			"(YYYY-MM-DD or YYYY-MM-DDTHH:MM:SSZ)", what, s);
	return 0;
}

static int load_fpr(arca_yaml *y, struct fy_node *n, char *out)
{
	const char *s;
	int rc;

	if ((rc = arca_yaml__str(y, n, "fingerprint", &s)) < 0)
		return rc;
	if (arca_sign__fpr_normalize(out, s) < 0)
		return arca_yaml__fail(y, n, "fingerprint \"%.80s\" must be "
			"40 hex digits (a full OpenPGP v4 fingerprint)", s);
	return 0;
}

/* A key: a fingerprint string or {fingerprint, from, until}. */
static int load_key(arca_yaml *y, struct fy_node *n, arca_trust_key *k)
{
	static const char *const keys[] = { "fingerprint", "from", "until",
		NULL };
	struct fy_node *v;
	int rc;

	k->from = INT64_MIN;
	k->until = INT64_MAX;
	if (fy_node_get_type(n) != FYNT_MAPPING)
		return load_fpr(y, n, k->fpr);
	if ((rc = arca_yaml__check_keys(y, n, keys, "a key")) < 0)
		return rc;
	if (!(v = arca_yaml__get(n, "fingerprint")))
		return arca_yaml__fail(y, n, "a key needs a fingerprint");
	if ((rc = load_fpr(y, v, k->fpr)) < 0)
		return rc;
	if ((v = arca_yaml__get(n, "from")) &&
		(rc = load_date(y, v, "from", &k->from)) < 0)
		return rc;
	if ((v = arca_yaml__get(n, "until")) &&
		(rc = load_date(y, v, "until", &k->until)) < 0)
		return rc;
	if (k->from >= k->until)
		return arca_yaml__fail(y, v, "until must be after from");
	return 0;
}

/* A record kind: a-z 0-9 . _ - : /, or "*". */
static int valid_kind(const char *s)
{
	if (!strcmp(s, "*"))
		return 1;
	if (!*s || strlen(s) > 128)
		return 0;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') ||
			strchr("._-:/", *s)))
			return 0;
	return 1;
}

static int load_kinds(arca_yaml *y, struct fy_node *n, arca_trust_role *r)
{
	struct fy_node *v;
	void *it = NULL;
	const char *s;
	int rc, count;

	if ((rc = arca_yaml__seq(y, n, "kinds")) < 0)
		return rc;
	if ((count = fy_node_sequence_item_count(n)) <= 0)
		return arca_yaml__fail(y, n, "role \"%s\" may sign no kind "
			"(list at least one, or \"*\")", r->name);
	if (!(r->kinds = calloc((size_t)count, sizeof(*r->kinds))))
		return oom(y);
	while ((v = fy_node_sequence_iterate(n, &it))) {
		if ((rc = arca_yaml__str(y, v, "a kind", &s)) < 0)
			return rc;
		if (!valid_kind(s))
			return arca_yaml__fail(y, v, "kind \"%.80s\" must be "
				"\"*\" or a-z 0-9 . _ - : /", s);
		if (!(r->kinds[r->kind_count++] = strdup(s)))
			return oom(y);
	}
	return 0;
}

static int load_role(arca_yaml *y, struct fy_node *kn, struct fy_node *n,
	arca_trust_role *r)
{
	static const char *const keys[] = { "keys", "kinds", NULL };
	char where[160];
	struct fy_node *v, *keyn;
	void *it = NULL;
	int rc, count;

	snprintf(where, sizeof(where), "role \"%s\"", r->name);
	if ((rc = arca_yaml__map(y, n, where)) < 0 ||
		(rc = arca_yaml__check_keys(y, n, keys, where)) < 0)
		return rc;
	if (!(v = arca_yaml__get(n, "kinds")))
		return arca_yaml__fail(y, kn, "%s has no kinds", where);
	if ((rc = load_kinds(y, v, r)) < 0)
		return rc;
	if (!(v = arca_yaml__get(n, "keys")))
		return arca_yaml__fail(y, kn, "%s has no keys", where);
	if ((rc = arca_yaml__seq(y, v, "keys")) < 0)
		return rc;
	if ((count = fy_node_sequence_item_count(v)) <= 0)
		return arca_yaml__fail(y, v, "%s has no keys", where);
	if (!(r->keys = calloc((size_t)count, sizeof(*r->keys))))
		return oom(y);
	while ((keyn = fy_node_sequence_iterate(v, &it))) {
		arca_trust_key *k = &r->keys[r->key_count];
		if ((rc = load_key(y, keyn, k)) < 0)
			return rc;
		for (size_t i = 0; i < r->key_count; i++)
			if (!strcmp(r->keys[i].fpr, k->fpr))
				return arca_yaml__fail(y, keyn, "key %s is "
					"listed twice in %s", k->fpr, where);
		r->key_count++;
	}
	return 0;
}

static int load_roles(arca_yaml *y, arca_trust_policy *p, struct fy_node *n)
{
	struct fy_node_pair *pair;
	void *it = NULL;
	int rc, count;

	if ((rc = arca_yaml__map(y, n, "roles")) < 0)
		return rc;
	if ((count = fy_node_mapping_item_count(n)) <= 0)
		return arca_yaml__fail(y, n, "roles must name at least one "
			"role");
	if (!(p->roles = calloc((size_t)count, sizeof(*p->roles))))
		return oom(y);
	while ((pair = fy_node_mapping_iterate(n, &it))) {
		struct fy_node *kn = fy_node_pair_key(pair);
		arca_trust_role *r = &p->roles[p->role_count];
		const char *name;

		if (!kn || (rc = arca_yaml__str(y, kn, "a role name",
			&name)) < 0)
			return kn ? rc : arca_yaml__fail(y, n,
				"a role needs a name");
		if (!valid_kind(name) || !strcmp(name, "*"))
			return arca_yaml__fail(y, kn, "role name \"%.80s\" "
				"must be a-z 0-9 . _ - : /", name);
		for (size_t i = 0; i < p->role_count; i++)
			if (!strcmp(p->roles[i].name, name))
				return arca_yaml__fail(y, kn, "duplicate role "
					"\"%s\"", name);
		if (!(r->name = strdup(name)))
			return oom(y);
		p->role_count++;
		if ((rc = load_role(y, kn, fy_node_pair_value(pair), r)) < 0)
			return rc;
	}
	return 0;
}

static int load_count(arca_yaml *y, struct fy_node *n, const char *what,
	int *out)
{
	int64_t v;
	int rc;

	if ((rc = arca_yaml__int(y, n, what, &v)) < 0)
		return rc;
	if (v < 1 || v > 100)
		return arca_yaml__fail(y, n, "%s must be between 1 and 100",
			what);
	*out = (int)v;
	return 0;
}

static int load_signatures(arca_yaml *y, arca_trust_policy *p,
	struct fy_node *n)
{
	struct fy_node_pair *pair;
	void *it = NULL;
	int rc, count;

	if ((rc = arca_yaml__map(y, n, "signatures")) < 0)
		return rc;
	count = fy_node_mapping_item_count(n);
	if (count > 0 && !(p->mins = calloc((size_t)count, sizeof(*p->mins))))
		return oom(y);
	while ((pair = fy_node_mapping_iterate(n, &it))) {
		struct fy_node *kn = fy_node_pair_key(pair);
		struct fy_node *v = fy_node_pair_value(pair);
		const char *kind;
		int c = 0;

		if (!kn || (rc = arca_yaml__str(y, kn, "a kind", &kind)) < 0)
			return kn ? rc : arca_yaml__fail(y, n,
				"a kind needs a name");
		if ((rc = load_count(y, v, kind, &c)) < 0)
			return rc;
		if (!strcmp(kind, "default")) {
			p->default_min = c;
			continue;
		}
		if (!valid_kind(kind) || !strcmp(kind, "*"))
			return arca_yaml__fail(y, kn, "kind \"%.80s\" must be "
				"a-z 0-9 . _ - : / (or default)", kind);
		if (!(p->mins[p->min_count].kind = strdup(kind)))
			return oom(y);
		p->mins[p->min_count++].count = c;
	}
	return 0;
}

/* A channel name: a-z 0-9 . _ -, starting with a letter or digit. */
static int valid_channel(const char *s)
{
	size_t n = strlen(s);

	return n && n <= 64 && ((s[0] >= 'a' && s[0] <= 'z') ||
		(s[0] >= '0' && s[0] <= '9')) && strspn(s,
		"abcdefghijklmnopqrstuvwxyz0123456789._-") == n &&
		!strstr(s, "..") && s[n - 1] != '.';
}

static int load_channel_roles(arca_yaml *y, const arca_trust_policy *p,
	struct fy_node *n, arca_trust_channel *c)
{
	struct fy_node *v;
	void *it = NULL;
	const char *s;
	int rc, count;

	if ((rc = arca_yaml__seq(y, n, "roles")) < 0)
		return rc;
	if ((count = fy_node_sequence_item_count(n)) <= 0)
		return arca_yaml__fail(y, n, "channel \"%s\" lists no roles "
			"(leave roles out to count the roles that may sign "
			"adapters)", c->name);
	if (!(c->roles = calloc((size_t)count, sizeof(*c->roles))))
		return oom(y);
	while ((v = fy_node_sequence_iterate(n, &it))) {
		size_t i;
		if ((rc = arca_yaml__str(y, v, "a role", &s)) < 0)
			return rc;
		for (i = 0; i < p->role_count; i++)
			if (!strcmp(p->roles[i].name, s))
				break;
		if (i == p->role_count)
			return arca_yaml__fail(y, v, "channel \"%s\" names "
				"role \"%.80s\", which is not under roles",
				c->name, s);
		if (!(c->roles[c->role_count++] = strdup(s)))
			return oom(y);
	}
	return 0;
}

static int load_channels(arca_yaml *y, arca_trust_policy *p,
	struct fy_node *n)
{
	static const char *const keys[] = { "min_signatures", "roles", NULL };
	struct fy_node_pair *pair;
	void *it = NULL;
	int rc, count;

	if ((rc = arca_yaml__map(y, n, "channels")) < 0)
		return rc;
	count = fy_node_mapping_item_count(n);
	if (count > 0 && !(p->channels = calloc((size_t)count,
		sizeof(*p->channels))))
		return oom(y);
	while ((pair = fy_node_mapping_iterate(n, &it))) {
		struct fy_node *kn = fy_node_pair_key(pair);
		struct fy_node *v = fy_node_pair_value(pair), *m;
		arca_trust_channel *c = &p->channels[p->channel_count];
		char where[120];
		const char *name;

		if (!kn || (rc = arca_yaml__str(y, kn, "a channel name",
			&name)) < 0)
			return kn ? rc : arca_yaml__fail(y, n,
				"a channel needs a name");
		if (!valid_channel(name))
			return arca_yaml__fail(y, kn, "channel name \"%.80s\" "
				"must be a-z 0-9 . _ -, starting with a letter "
				"or digit", name);
		if (!(c->name = strdup(name)))
			return oom(y);
		c->min_signatures = 1;
		p->channel_count++;
		snprintf(where, sizeof(where), "channel \"%s\"", name);
		if ((rc = arca_yaml__map(y, v, where)) < 0 ||
			(rc = arca_yaml__check_keys(y, v, keys, where)) < 0)
			return rc;
		if ((m = arca_yaml__get(v, "min_signatures")) &&
			(rc = load_count(y, m, "min_signatures",
			&c->min_signatures)) < 0)
			return rc;
		if ((m = arca_yaml__get(v, "roles")) &&
			(rc = load_channel_roles(y, p, m, c)) < 0)
			return rc;
	}
	return 0;
}

static int load(arca_yaml *y, arca_trust_policy *p)
{
	static const char *const keys[] = { "trust", "roles", "signatures",
		"channels", NULL };
	struct fy_node *v;
	int64_t version;
	int rc;

	if ((rc = arca_yaml__check_keys(y, y->root, keys,
		"the trust policy")) < 0)
		return rc;
	if (!(v = arca_yaml__get(y->root, "trust")))
		return arca_yaml__fail(y, y->root, "missing \"trust: 1\" "
			"(the format version)");
	if ((rc = arca_yaml__int(y, v, "trust", &version)) < 0)
		return rc;
	if (version != 1)
		return arca_yaml__fail(y, v, "unsupported trust policy "
			"version %lld (this arca reads 1)", (long long)version);
	if (!(v = arca_yaml__get(y->root, "roles")))
		return arca_yaml__fail(y, y->root, "missing roles");
	if ((rc = load_roles(y, p, v)) < 0)
		return rc;
	if ((v = arca_yaml__get(y->root, "signatures")) &&
		(rc = load_signatures(y, p, v)) < 0)
		return rc;
	if ((v = arca_yaml__get(y->root, "channels")) &&
		(rc = load_channels(y, p, v)) < 0)
		return rc;
	return 0;
}

int arca_trust_policy_load_yaml(arca_trust_policy **out, const char *text,
	size_t len, const char *name, arca_error *err)
{
	arca_trust_policy *p;
	arca_yaml y;
	int rc;

	if (!(p = calloc(1, sizeof(*p))))
		return arca_error_set(err, ARCA_ERROR, "out of memory");
	p->default_min = 1;
	if ((rc = arca_yaml__open(&y, text, len, name, err)) == 0)
		rc = load(&y, p);
	else if (rc == ARCA_EINVALID && err && strstr(err->msg,
		": duplicate key")) {
		/* libfyaml refuses duplicate keys before we see them */
		char msg[ARCA_ERROR_MSG_SIZE];
		snprintf(msg, sizeof(msg), "%s", err->msg);
		arca_error_set(err, rc, "%.900s (a role, or a kind under "
			"signatures, is listed twice)", msg);
	}
	arca_yaml__close(&y);
	if (rc < 0) {
		arca_trust_policy_free(p);
		return rc;
	}
	*out = p;
	return 0;
}

int arca_trust_policy_load_file(arca_trust_policy **out, const char *path,
	arca_error *err)
{
	char *text = NULL;
	size_t len = 0;
	int rc;

	if ((rc = arca_yaml__read_file(&text, &len, path, err)) < 0)
		return rc;
	rc = arca_trust_policy_load_yaml(out, text, len, path, err);
	free(text);
	return rc;
}
