/*
 * Records and refs. A record lists an immutable document (an object) under
 * its kind; a ref is a mutable name pointing at one. Both hold the id as
 * "sha256:<hex>\n" so they read well with cat.
 */
#include <string.h>
#include "repo/repo.h"
#include "store/store.h"

static int put_id(arca_repo *r, const char *key, const arca_id *id,
	unsigned flags, arca_error *err)
{
	char s[ARCA_ID_STRSZ], line[ARCA_ID_STRSZ + 1];

	arca_id_str(s, id);
	snprintf(line, sizeof(line), "%s\n", s);
	return arca_store_put(r->store, key, line, strlen(line), flags, err);
}

static int valid_name(const char *name)
{
	const char *p = name;

	if (!*p || strlen(p) > 200)
		return 0;
	for (; *p; p++) {
		if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
			(*p >= '0' && *p <= '9') || *p == '_' || *p == '-' ||
			*p == '@' || *p == '+')
			continue;
		/* '.' and '/' only inside a component, never "." or ".." */
		if (*p == '.' && p != name && p[-1] != '/' && p[1] &&
			p[1] != '/' && p[1] != '.')
			continue;
		if (*p == '/' && p != name && p[1] && p[1] != '/')
			continue;
		return 0;
	}
	return 1;
}

int arca_repo__dataset_name_valid(const char *name)
{
	size_t n = strlen(name);
	char ref[128];

	if (!n || n > 100 || !((name[0] >= 'a' && name[0] <= 'z') ||
		(name[0] >= 'A' && name[0] <= 'Z') ||
		(name[0] >= '0' && name[0] <= '9')) ||
		strspn(name, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRS"
		"TUVWXYZ0123456789._-") != n)
		return 0;
	snprintf(ref, sizeof(ref), "datasets/%s", name);
	return valid_name(ref);
}

int arca_repo__record_add(arca_repo *r, const char *kind, const arca_id *id,
	arca_error *err)
{
	int rc;

	/* signed before it is listed: a record is never seen unsigned */
	if ((rc = arca_repo__sign_hook(r, kind, id, err)) < 0)
		return rc;
	return arca_repo__record_copy(r, kind, id, err);
}

int arca_repo__record_copy(arca_repo *r, const char *kind,
	const arca_id *id, arca_error *err)
{
	return arca_repo__record_copy_ex(r, kind, id, 0, err);
}

int arca_repo__record_copy_ex(arca_repo *r, const char *kind,
	const arca_id *id, unsigned flags, arca_error *err)
{
	char key[ARCA_KEY_MAX], hex[ARCA_ID_HEXSZ + 1];

	if (!valid_name(kind) || strchr(kind, '/'))
		return arca_error_set(err, ARCA_EINVALID,
			"invalid record kind '%s'", kind);
	arca_id_hex(hex, id);
	snprintf(key, sizeof(key), ARCA_KEY_RECORDS "%s/%s", kind, hex);
	return put_id(r, key, id, flags & ARCA_REPO_PUT_DEFER, err);
}

struct list_ctx {
	arca_repo_record_cb cb;
	void *payload;
};

static int record_entry(const char *key, const arca_store_info *st,
	void *payload)
{
	struct list_ctx *c = payload;
	const char *base = strrchr(key, '/');
	arca_id id;

	(void)st;
	if (arca_id_parse(&id, base ? base + 1 : key) < 0)
		return 0; /* not ours: ignore stray files */
	return c->cb(&id, c->payload);
}

int arca_repo__record_list(arca_repo *r, const char *kind,
	arca_repo_record_cb cb, void *payload, arca_error *err)
{
	struct list_ctx c = { cb, payload };
	char prefix[ARCA_KEY_MAX];

	snprintf(prefix, sizeof(prefix), ARCA_KEY_RECORDS "%s/", kind);
	return arca_store_list(r->store, prefix, record_entry, &c, err);
}

/* Puts "refs/<name>" after checking the name. */
static int ref_put(arca_repo *r, const char *name, const arca_id *id,
	unsigned flags, arca_error *err)
{
	char key[ARCA_KEY_MAX];

	if (!valid_name(name))
		return arca_error_set(err, ARCA_EINVALID,
			"invalid ref name '%s'", name);
	snprintf(key, sizeof(key), ARCA_KEY_REFS "%s", name);
	return put_id(r, key, id, flags, err);
}

int arca_repo__ref_set(arca_repo *r, const char *name, const arca_id *id,
	arca_error *err)
{
	return ref_put(r, name, id, 0, err);
}

int arca_repo__ref_set_ex(arca_repo *r, const char *name,
	const arca_id *id, unsigned flags, arca_error *err)
{
	return ref_put(r, name, id, flags & ARCA_REPO_PUT_DEFER, err);
}

int arca_repo__ref_get(arca_repo *r, arca_id *out, const char *name,
	arca_error *err)
{
	arca_buf b = ARCA_BUF_INIT;
	char key[ARCA_KEY_MAX];
	int rc;

	if (!valid_name(name))
		return arca_error_set(err, ARCA_EINVALID,
			"invalid ref name '%s'", name);
	snprintf(key, sizeof(key), ARCA_KEY_REFS "%s", name);
	if ((rc = arca_store_get(r->store, &b, key, 0, 200, err)) < 0) {
		if (rc == ARCA_ENOTFOUND)
			arca_error_set(err, rc, "no ref '%s'", name);
		goto done;
	}
	while (b.len && (b.data[b.len - 1] == '\n' || b.data[b.len - 1] == ' '))
		b.data[--b.len] = '\0';
	if (arca_id_parse(out, arca_buf_cstr(&b)) < 0)
		rc = arca_error_set(err, ARCA_ECORRUPT,
			"ref '%s' does not hold an object id", name);
done:
	arca_buf_dispose(&b);
	return rc;
}

struct resolve_ctx {
	const char *hex; /* lower-case prefix */
	size_t n;
	arca_id found;
	int count;
};

static int resolve_entry(const char *key, const arca_store_info *st,
	void *payload)
{
	struct resolve_ctx *c = payload;
	const char *base = strrchr(key, '/');
	arca_id id;

	(void)st;
	base = base ? base + 1 : key;
	if (strncmp(base, c->hex, c->n) || arca_id_parse(&id, base) < 0)
		return 0;
	c->found = id;
	c->count++;
	return 0;
}

int arca_repo_object_resolve(arca_id *out, arca_repo *r, const char *spec,
	arca_error *err)
{
	struct resolve_ctx c = { 0 };
	char hex[ARCA_ID_HEXSZ + 1], prefix[ARCA_KEY_MAX];
	size_t n;
	int rc;

	if (arca_id_parse(out, spec) == 0)
		return 0;
	if (!strncmp(spec, ARCA_ID_PREFIX, 7))
		spec += 7;
	n = strlen(spec);
	if (n < 4 || n > ARCA_ID_HEXSZ ||
		strspn(spec, "0123456789abcdefABCDEF") != n)
		return arca_error_set(err, ARCA_EINVALID,
			"'%s' is not an object id or a prefix of at least 4 "
			"hex digits", spec);
	for (size_t i = 0; i <= n; i++)
		hex[i] = (char)(spec[i] >= 'A' && spec[i] <= 'F' ?
			spec[i] + 32 : spec[i]);
	c.hex = hex;
	c.n = n;
	snprintf(prefix, sizeof(prefix), ARCA_KEY_OBJECTS "%.2s/%s", hex, hex);
	if ((rc = arca_store_list(r->store, prefix, resolve_entry, &c,
		err)) < 0)
		return rc;
	if (c.count == 0)
		return arca_error_set(err, ARCA_ENOTFOUND,
			"no object matches '%s'", spec);
	if (c.count > 1)
		return arca_error_set(err, ARCA_EAMBIGUOUS,
			"'%s' matches %d objects; give more digits", spec,
			c.count);
	*out = c.found;
	return 0;
}

int arca_repo__ref_create(arca_repo *r, const char *name, const arca_id *id,
	arca_error *err)
{
	int rc = ref_put(r, name, id, ARCA_STORE_PUT_EXCLUSIVE, err);

	if (rc == ARCA_EEXISTS)
		arca_error_set(err, rc, "ref '%s' already exists", name);
	return rc;
}

struct ref_list_ctx {
	arca_repo *r;
	arca_repo_ref_cb cb;
	void *payload;
	arca_buf val;
	arca_error *err;
};

static int ref_entry(const char *key, const arca_store_info *st,
	void *payload)
{
	struct ref_list_ctx *c = payload;
	arca_id id;
	int rc, ok;

	(void)st;
	arca_buf_clear(&c->val);
	rc = arca_store_get(c->r->store, &c->val, key, 0, 256, c->err);
	if (rc == ARCA_ENOTFOUND) { /* deleted meanwhile */
		arca_error_clear(c->err);
		return 0;
	}
	if (rc < 0)
		return rc;
	while (c->val.len && (c->val.data[c->val.len - 1] == '\n'))
		c->val.data[--c->val.len] = '\0';
	ok = !memchr(c->val.data, '\0', c->val.len) &&
		arca_id_parse(&id, arca_buf_cstr(&c->val)) == 0;
	return c->cb(key + strlen(ARCA_KEY_REFS), ok ? &id : NULL,
		c->payload);
}

int arca_repo__ref_list(arca_repo *r, const char *prefix,
	arca_repo_ref_cb cb, void *payload, arca_error *err)
{
	struct ref_list_ctx c = { r, cb, payload, ARCA_BUF_INIT, err };
	char key[ARCA_KEY_MAX];
	int rc;

	snprintf(key, sizeof(key), ARCA_KEY_REFS "%s", prefix);
	rc = arca_store_list(r->store, key, ref_entry, &c, err);
	arca_buf_dispose(&c.val);
	return rc;
}

const char *arca_repo__local_dir(arca_repo *r)
{
	return r->store->local_path ? r->store->local_path(r->store) : NULL;
}
