/*
 * The ingest configuration (formats/ingest-config.md): YAML read with
 * libfyaml through the catalog's YAML helpers (diagnostics collected,
 * never printed), every error as "FILE:LINE:COL: what was expected".
 */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "catalog/schema_yaml.h"
#include "ingest/fetch_int.h"
#include "ingest/ingest.h"

static const char *const top_keys[] = { "ingest", "sources", NULL };
static const char *const source_keys[] = { "name", "dataset", "folder",
	"archive", "url", "settle", "marker", "include", "sha256", "hooks",
	"message", NULL };
static const char *const hook_keys[] = { "run", "timeout", NULL };
static const char *const kind_keys[] = { "folder", "archive", "url" };

/* Which kinds each optional key applies to (bits of arca_ingest_kind). */
static const struct { const char *key; unsigned kinds; } key_kinds[] = {
	{ "settle", 1u << ARCA_INGEST_FOLDER | 1u << ARCA_INGEST_ARCHIVE },
	{ "marker", 1u << ARCA_INGEST_FOLDER },
	{ "include", 1u << ARCA_INGEST_FOLDER },
	{ "sha256", 1u << ARCA_INGEST_URL },
};

typedef struct loader {
	arca_yaml y;
	const char *base_dir;
	arca_ingest_config *cfg;
	int key_line, key_col;  /* of the key last looked up */
} loader;

static void free_strv(char **v, size_t n)
{
	for (size_t i = 0; v && i < n; i++)
		free(v[i]);
	free(v);
}

static void source_dispose(arca_ingest_source *s)
{
	free(s->name);
	free(s->dataset);
	free(s->location);
	free(s->url_safe);
	free(s->marker);
	free_strv(s->include, s->ninclude);
	free(s->sha256);
	free(s->message);
	for (size_t i = 0; i < s->nhooks; i++)
		free_strv(s->hooks[i].argv, s->hooks[i].argc);
	free(s->hooks);
}

void arca_ingest_config_free(arca_ingest_config *cfg)
{
	if (!cfg)
		return;
	for (size_t i = 0; i < cfg->n; i++)
		source_dispose(&cfg->sources[i]);
	free(cfg->sources);
	free(cfg->path);
	free(cfg);
}

size_t arca_ingest_config_count(const arca_ingest_config *cfg)
{
	return cfg->n;
}

const char *arca_ingest_config_name(const arca_ingest_config *cfg,
	size_t i)
{
	return i < cfg->n ? cfg->sources[i].name : NULL;
}

static int oom(loader *l)
{
	return arca_error_set(l->y.err, ARCA_ERROR, "out of memory");
}

/* The key node of key in map, or NULL. */
static struct fy_node *key_node(struct fy_node *map, const char *key)
{
	struct fy_node_pair *p;
	void *it = NULL;

	while ((p = fy_node_mapping_iterate(map, &it))) {
		struct fy_node *k = fy_node_pair_key(p);
		size_t len;
		const char *t;
		if (k && fy_node_get_type(k) == FYNT_SCALAR &&
			(t = fy_node_get_scalar(k, &len)) &&
			len == strlen(key) && !memcmp(t, key, len))
			return k;
	}
	return NULL;
}

/* The value of key in map (NULL when absent); remembers where the key
 * is, for errors about an empty value, which has no position. */
static struct fy_node *get(loader *l, struct fy_node *map, const char *key)
{
	struct fy_node *k = key_node(map, key);

	if (!k)
		return NULL;
	arca_yaml__pos(&l->y, k, &l->key_line, &l->key_col);
	return arca_yaml__get(map, key);
}

/* An error at "NAME:0:0:" (an empty value) is moved to its key. */
static void fix_position(loader *l, arca_error *err)
{
	size_t n = strlen(l->y.name);
	char rest[ARCA_ERROR_MSG_SIZE];

	if (!err || !l->key_line || strncmp(err->msg, l->y.name, n) ||
		strncmp(err->msg + n, ":0:0: ", 6))
		return;
	snprintf(rest, sizeof(rest), "%s", err->msg + n + 6);
	arca_error_set(err, err->code, "%s:%d:%d: %s", l->y.name, l->key_line,
		l->key_col, rest);
}

/* A string value, copied. */
static int get_str(loader *l, struct fy_node *n, const char *what,
	char **out)
{
	const char *s;
	int rc;

	if ((rc = arca_yaml__str(&l->y, n, what, &s)) < 0)
		return rc;
	if (!(*out = strdup(s)))
		return oom(l);
	return 0;
}

static int get_duration(loader *l, struct fy_node *n, const char *what,
	int64_t *ms)
{
	arca_error e = ARCA_ERROR_INIT;
	const char *s;
	int rc;

	if ((rc = arca_yaml__str(&l->y, n, what, &s)) < 0)
		return rc;
	if (arca_ingest_duration_parse(ms, s, &e) < 0)
		return arca_yaml__fail(&l->y, n, "%s: %s", what, e.msg);
	return 0;
}

/* path made absolute against the config file's directory. */
static int abs_path(loader *l, struct fy_node *n, const char *what,
	char **out)
{
	const char *s;
	size_t len;
	int rc;

	if ((rc = arca_yaml__str(&l->y, n, what, &s)) < 0)
		return rc;
	if (!*s)
		return arca_yaml__fail(&l->y, n, "%s must not be empty", what);
	if (s[0] == '/') {
		*out = strdup(s);
	} else {
		len = strlen(l->base_dir) + strlen(s) + 2;
		if ((*out = malloc(len)))
			snprintf(*out, len, "%s/%s", l->base_dir, s);
	}
	/* "a/b/" names the same item as "a/b" */
	len = *out ? strlen(*out) : 0;
	while (len > 1 && (*out)[len - 1] == '/')
		(*out)[--len] = '\0';
	return *out ? 0 : oom(l);
}

static int check_name(loader *l, struct fy_node *n, const char *name)
{
	size_t len = strlen(name);

	if (!len || len > ARCA_INGEST_NAME_MAX ||
		strspn(name, "abcdefghijklmnopqrstuvwxyz0123456789._-") != len
		|| name[0] == '.' || name[0] == '-')
		return arca_yaml__fail(&l->y, n, "bad source name \"%.80s\" "
			"(expected 1 to %d characters a-z, 0-9, '.', '_', '-', "
			"starting with a letter or digit)", name,
			ARCA_INGEST_NAME_MAX);
	for (size_t i = 0; i < l->cfg->n; i++)
		if (!strcmp(l->cfg->sources[i].name, name))
			return arca_yaml__fail(&l->y, n, "duplicate source "
				"name \"%s\" (first used at line %d)", name,
				l->cfg->sources[i].line);
	return 0;
}

static int load_run(loader *l, arca_ingest_hook *h, struct fy_node *run)
{
	struct fy_node *item;
	arca_error e = ARCA_ERROR_INIT;
	void *it = NULL;
	size_t n;
	int rc;

	if ((rc = arca_yaml__seq(&l->y, run, "run (the hook's argv)")) < 0)
		return rc;
	if (!(n = (size_t)fy_node_sequence_item_count(run)))
		return arca_yaml__fail(&l->y, run, "run must name a program "
			"and its arguments, not be empty");
	if (!(h->argv = calloc(n + 1, sizeof(*h->argv))))
		return oom(l);
	while ((item = fy_node_sequence_iterate(run, &it))) {
		char **slot = &h->argv[h->argc];
		if ((rc = get_str(l, item, "an argument of run", slot)) < 0)
			return rc;
		h->argc++;
		if (arca_ingest__subst_check(*slot, 1, &e) < 0)
			return arca_yaml__fail(&l->y, item, "%s", e.msg);
	}
	if (!*h->argv[0])
		return arca_yaml__fail(&l->y, fy_node_sequence_get_by_index(run,
			0), "the program of run must not be empty");
	/* a relative program path is relative to the config file, since
	 * hooks run in their staging directory */
	if (strchr(h->argv[0], '/') && h->argv[0][0] != '/' &&
		strncmp(h->argv[0], "${", 2)) {
		size_t len = strlen(l->base_dir) + strlen(h->argv[0]) + 2;
		char *p = malloc(len);
		if (!p)
			return oom(l);
		snprintf(p, len, "%s/%s", l->base_dir, h->argv[0]);
		free(h->argv[0]);
		h->argv[0] = p;
	}
	return 0;
}

static int load_hooks(loader *l, arca_ingest_source *s, struct fy_node *hooks)
{
	struct fy_node *hn;
	void *it = NULL;
	size_t n;
	int rc;

	if ((rc = arca_yaml__seq(&l->y, hooks, "hooks")) < 0)
		return rc;
	n = (size_t)fy_node_sequence_item_count(hooks);
	if (n && !(s->hooks = calloc(n, sizeof(*s->hooks))))
		return oom(l);
	while ((hn = fy_node_sequence_iterate(hooks, &it))) {
		arca_ingest_hook *h = &s->hooks[s->nhooks++];
		struct fy_node *v;

		h->timeout_ms = ARCA_INGEST_HOOK_TIMEOUT_DEFAULT_MS;
		arca_yaml__pos(&l->y, hn, &h->line, &h->col);
		if ((rc = arca_yaml__map(&l->y, hn, "a hook")) < 0 ||
			(rc = arca_yaml__check_keys(&l->y, hn, hook_keys,
				"a hook")) < 0)
			return rc;
		if (!(v = get(l, hn, "run")))
			return arca_yaml__fail(&l->y, hn, "a hook needs run: "
				"[PROGRAM, ARGS...]");
		if ((rc = load_run(l, h, v)) < 0)
			return rc;
		v = get(l, hn, "timeout");
		if (v && (rc = get_duration(l, v, "timeout",
			&h->timeout_ms)) < 0)
			return rc;
		if (v && h->timeout_ms == 0)
			return arca_yaml__fail(&l->y, v, "timeout must be "
				"longer than 0");
	}
	return 0;
}

/* The kind key of a pair (0..2), or -1. */
static int kind_of_pair(struct fy_node_pair *p)
{
	struct fy_node *k = fy_node_pair_key(p);
	const char *t;
	size_t len;

	if (!k || fy_node_get_type(k) != FYNT_SCALAR ||
		!(t = fy_node_get_scalar(k, &len)))
		return -1;
	for (int i = 0; i < 3; i++)
		if (len == strlen(kind_keys[i]) &&
			!memcmp(t, kind_keys[i], len))
			return i;
	return -1;
}

/* Exactly one of folder, archive, url; a second one (in file order) is
 * the error. */
static int load_kind(loader *l, arca_ingest_source *s, struct fy_node *map)
{
	struct fy_node_pair *p;
	struct fy_node *found = NULL;
	void *it = NULL;
	int rc, kind = -1;

	while ((p = fy_node_mapping_iterate(map, &it))) {
		int k = kind_of_pair(p);
		if (k < 0)
			continue;
		if (found)
			return arca_yaml__fail(&l->y, fy_node_pair_key(p),
				"source \"%s\" has both %s and %s (expected "
				"exactly one of folder, archive or url)",
				s->name, kind_keys[kind], kind_keys[k]);
		found = fy_node_pair_key(p);
		kind = k;
	}
	if (!found)
		return arca_yaml__fail(&l->y, map, "source \"%s\" needs one of "
			"folder, archive or url", s->name);
	s->kind = (arca_ingest_kind)kind;
	if (s->kind != ARCA_INGEST_URL)
		return abs_path(l, get(l, map, kind_keys[kind]),
			kind_keys[kind], &s->location);
	if ((rc = get_str(l, get(l, map, "url"), "url",
		&s->location)) < 0)
		return rc;
	if (!(s->url_safe = arca_fetch__safe_url(s->location)))
		return oom(l);
	{
		arca_error e = ARCA_ERROR_INIT;
		if (arca_fetch__check_url(s->location, s->url_safe, &e) < 0)
			return arca_yaml__fail(&l->y, get(l, map, "url"),
				"%s", strncmp(e.msg, "fetch ", 6) ? e.msg :
				e.msg + 6);
	}
	return 0;
}

/* Keys that only some kinds take. */
static int check_kind_keys(loader *l, arca_ingest_source *s,
	struct fy_node *map)
{
	for (size_t i = 0; i < sizeof(key_kinds) / sizeof(key_kinds[0]); i++) {
		struct fy_node *kn = key_node(map, key_kinds[i].key);
		if (kn && !(key_kinds[i].kinds & (1u << s->kind)))
			return arca_yaml__fail(&l->y, kn, "%s does not apply "
				"to %s sources (only to %s)", key_kinds[i].key,
				arca_ingest__kind_name(s->kind),
				key_kinds[i].kinds & (1u << ARCA_INGEST_ARCHIVE)
				? "folder and archive sources" :
				key_kinds[i].kinds & (1u << ARCA_INGEST_URL) ?
				"url sources" : "folder sources");
	}
	return 0;
}

static int load_include(loader *l, arca_ingest_source *s, struct fy_node *v)
{
	struct fy_node *item;
	void *it = NULL;
	size_t n;
	int rc;

	if ((rc = arca_yaml__seq(&l->y, v, "include")) < 0)
		return rc;
	if (!(n = (size_t)fy_node_sequence_item_count(v)))
		return arca_yaml__fail(&l->y, v, "include must list at least "
			"one pattern");
	if (!(s->include = calloc(n, sizeof(*s->include))))
		return oom(l);
	while ((item = fy_node_sequence_iterate(v, &it)))
		if ((rc = get_str(l, item, "a pattern of include",
			&s->include[s->ninclude++])) < 0)
			return rc;
	return 0;
}

static int load_sha256(loader *l, arca_ingest_source *s, struct fy_node *v)
{
	const char *hex;
	int rc;

	if ((rc = get_str(l, v, "sha256", &s->sha256)) < 0)
		return rc;
	hex = strncmp(s->sha256, "sha256:", 7) ? s->sha256 : s->sha256 + 7;
	if (strlen(hex) != 64 || strspn(hex, "0123456789abcdefABCDEF") != 64)
		return arca_yaml__fail(&l->y, v, "sha256 must be 64 hex digits "
			"(optionally after \"sha256:\")");
	return 0;
}

static int load_options(loader *l, arca_ingest_source *s, struct fy_node *map)
{
	arca_error e = ARCA_ERROR_INIT;
	struct fy_node *v;
	int rc = 0;

	s->settle_ms = s->kind == ARCA_INGEST_FOLDER ?
		ARCA_INGEST_SETTLE_DEFAULT_MS : 0;
	if ((v = get(l, map, "marker"))) {
		if ((rc = get_str(l, v, "marker", &s->marker)) < 0)
			return rc;
		if (!*s->marker || strchr(s->marker, '/') ||
			!strcmp(s->marker, ".") || !strcmp(s->marker, ".."))
			return arca_yaml__fail(&l->y, v, "marker must be a "
				"file name suffix such as .done (no '/')");
		/* with a marker, settle only when asked for */
		s->settle_ms = 0;
	}
	if ((v = get(l, map, "settle")) &&
		(rc = get_duration(l, v, "settle", &s->settle_ms)) < 0)
		return rc;
	if ((v = get(l, map, "include")) &&
		(rc = load_include(l, s, v)) < 0)
		return rc;
	if ((v = get(l, map, "sha256")) &&
		(rc = load_sha256(l, s, v)) < 0)
		return rc;
	if ((v = get(l, map, "message"))) {
		if ((rc = get_str(l, v, "message", &s->message)) < 0)
			return rc;
		if (arca_ingest__subst_check(s->message, 0, &e) < 0)
			return arca_yaml__fail(&l->y, v, "%s", e.msg);
	}
	if ((v = get(l, map, "hooks")))
		rc = load_hooks(l, s, v);
	return rc;
}

static int load_source(loader *l, struct fy_node *map)
{
	arca_ingest_source *s = &l->cfg->sources[l->cfg->n];
	struct fy_node *v;
	int rc;

	memset(s, 0, sizeof(*s));
	arca_yaml__pos(&l->y, map, &s->line, &s->col);
	if ((rc = arca_yaml__map(&l->y, map, "a source")) < 0 ||
		(rc = arca_yaml__check_keys(&l->y, map, source_keys,
			"a source")) < 0)
		goto fail;
	if (!(v = get(l, map, "name"))) {
		rc = arca_yaml__fail(&l->y, map, "a source needs a name");
		goto fail;
	}
	if ((rc = get_str(l, v, "name", &s->name)) < 0 ||
		(rc = check_name(l, v, s->name)) < 0)
		goto fail;
	if (!(v = get(l, map, "dataset"))) {
		rc = arca_yaml__fail(&l->y, map, "source \"%s\" needs a "
			"dataset (the catalog dataset it feeds)", s->name);
		goto fail;
	}
	arca_yaml__pos(&l->y, v, &s->dataset_line, &s->dataset_col);
	if ((rc = get_str(l, v, "dataset", &s->dataset)) < 0)
		goto fail;
	if (!*s->dataset || strlen(s->dataset) > 100) {
		rc = arca_yaml__fail(&l->y, v, "dataset must be a name of 1 "
			"to 100 characters");
		goto fail;
	}
	if ((rc = load_kind(l, s, map)) < 0 ||
		(rc = check_kind_keys(l, s, map)) < 0 ||
		(rc = load_options(l, s, map)) < 0)
		goto fail;
	l->cfg->n++;
	return 0;
fail:
	source_dispose(s);
	memset(s, 0, sizeof(*s));
	return rc;
}

static int load_root(loader *l)
{
	struct fy_node *root = l->y.root, *v, *item;
	void *it = NULL;
	int64_t version;
	size_t n;
	int rc;

	if ((rc = arca_yaml__check_keys(&l->y, root, top_keys,
		"the ingest configuration")) < 0)
		return rc;
	if (!(v = get(l, root, "ingest")))
		return arca_yaml__fail(&l->y, root, "missing \"ingest: 1\" "
			"(the format version)");
	if ((rc = arca_yaml__int(&l->y, v, "ingest (the format version)",
		&version)) < 0)
		return rc;
	if (version != 1)
		return arca_yaml__fail(&l->y, v, "unsupported ingest format "
			"version %lld (this arca reads version 1)",
			(long long)version);
	if (!(v = get(l, root, "sources")))
		return arca_yaml__fail(&l->y, root, "missing \"sources\" (a "
			"list of sources)");
	if ((rc = arca_yaml__seq(&l->y, v, "sources")) < 0)
		return rc;
	if (!(n = (size_t)fy_node_sequence_item_count(v)))
		return arca_yaml__fail(&l->y, v, "sources must list at least "
			"one source");
	if (!(l->cfg->sources = calloc(n, sizeof(*l->cfg->sources))))
		return oom(l);
	while ((item = fy_node_sequence_iterate(v, &it)))
		if ((rc = load_source(l, item)) < 0)
			return rc;
	return 0;
}

int arca_ingest_config_parse(arca_ingest_config **out, const char *text,
	size_t len, const char *name, const char *base_dir, arca_error *err)
{
	char cwd[PATH_MAX];
	loader l;
	int rc;

	memset(&l, 0, sizeof(l));
	if (!base_dir) {
		if (!getcwd(cwd, sizeof(cwd)))
			return arca_error_set_errno(err, ARCA_ERROR, errno,
				"getcwd");
		base_dir = cwd;
	}
	l.base_dir = base_dir;
	if (!(l.cfg = calloc(1, sizeof(*l.cfg))) ||
		!(l.cfg->path = strdup(name))) {
		free(l.cfg);
		return arca_error_set(err, ARCA_ERROR, "out of memory");
	}
	if ((rc = arca_yaml__open(&l.y, text, len, name, err)) == 0 &&
		(rc = load_root(&l)) < 0)
		fix_position(&l, err);
	arca_yaml__close(&l.y);
	if (rc < 0) {
		arca_ingest_config_free(l.cfg);
		return rc;
	}
	*out = l.cfg;
	return 0;
}

int arca_ingest_config_load(arca_ingest_config **out, const char *path,
	arca_error *err)
{
	char *text = NULL, *dir = NULL, *slash, cwd[PATH_MAX];
	size_t len, dlen;
	int rc;

	if ((rc = arca_yaml__read_file(&text, &len, path, err)) < 0)
		return rc;
	/* the directory of path, absolute */
	if (path[0] == '/') {
		dir = strdup(path);
	} else if (getcwd(cwd, sizeof(cwd))) {
		dlen = strlen(cwd) + strlen(path) + 2;
		if ((dir = malloc(dlen)))
			snprintf(dir, dlen, "%s/%s", cwd, path);
	} else {
		rc = arca_error_set_errno(err, ARCA_ERROR, errno, "getcwd");
		goto done;
	}
	if (!dir) {
		rc = arca_error_set(err, ARCA_ERROR, "out of memory");
		goto done;
	}
	slash = strrchr(dir, '/');
	slash[slash == dir ? 1 : 0] = '\0';
	rc = arca_ingest_config_parse(out, text, len, path, dir, err);
done:
	free(dir);
	free(text);
	return rc;
}
