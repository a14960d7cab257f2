/*
 * Remotes: named URLs of other copies of the repository, kept on the
 * client like git's remotes (formats/remotes.md): REPO_DIR/remotes.json
 * beside a local repository, else one file per repository id under
 * ${XDG_CONFIG_HOME:-~/.config}/arca. Never any credentials. Changes
 * hold an flock on the file's directory and replace the file atomically
 * (temp file, fsync, rename, fsync of the directory).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>
#include <jansson.h>
#include "arca/remote.h"
#include "repo/repo.h"
#include "util/fs.h"

#define FORMAT "arca-remotes"
#define FILE_MAX (1u << 20)

static int oom(arca_error *err)
{
	return arca_error_set(err, ARCA_ERROR, "out of memory");
}

/* ------------------------------------------------------ names and URLs */

int arca_remote_name_valid(const char *name)
{
	size_t n = strlen(name);

	return n >= 1 && n <= 64 && ((name[0] >= 'a' && name[0] <= 'z') ||
		(name[0] >= 'A' && name[0] <= 'Z') ||
		(name[0] >= '0' && name[0] <= '9')) &&
		strspn(name, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUV"
		"WXYZ0123456789-_.") == n;
}

/* "scheme://" length, or 0. */
static size_t scheme_len(const char *url)
{
	size_t n = strspn(url, "abcdefghijklmnopqrstuvwxyz0123456789+.-");

	return n && !strncmp(url + n, "://", 3) ? n + 3 : 0;
}

/* Whether the authority of a "scheme://" URL holds "user[:pass]@". */
static int has_userinfo(const char *url)
{
	size_t s = scheme_len(url);
	size_t a = s ? strcspn(url + s, "/?#") : 0;

	return s && memchr(url + s, '@', a) != NULL;
}

static int credentials_refused(arca_error *err, const char *what)
{
	/* Never repeat the URL: it holds the secret. */
	return arca_error_set(err, ARCA_EINVALID, "the %s holds credentials "
		"(USER:SECRET@ before the host), which arca never stores or "
		"sends in URLs: give it without them and set "
		"AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (or AWS_PROFILE) "
		"in the environment", what);
}

int arca_remote_url_check(const char *url, arca_error *err)
{
	size_t s;

	if (!url || !*url)
		return arca_error_set(err, ARCA_EINVALID, "the remote URL is "
			"empty");
	if (has_userinfo(url))
		return credentials_refused(err, "remote URL");
	if (strchr(url, '\n') || strchr(url, '\r'))
		return arca_error_set(err, ARCA_EINVALID, "the remote URL "
			"holds a line break");
	if (!(s = scheme_len(url)))
		return 0; /* a path */
	if (!strncmp(url, "s3://", 5)) {
		if (!url[5] || url[5] == '/')
			return arca_error_set(err, ARCA_EINVALID, "remote URL "
				"'%s' names no bucket (s3://BUCKET[/PREFIX])",
				url);
		return 0;
	}
	if (!strncmp(url, "file://", 7))
		return 0;
	return arca_error_set(err, ARCA_EINVALID, "remote URL '%s': arca "
		"knows s3://BUCKET[/PREFIX], file:///PATH and paths", url);
}

static int endpoint_check(const char *ep, arca_error *err)
{
	if (has_userinfo(ep))
		return credentials_refused(err, "endpoint");
	if (strncmp(ep, "http://", 7) && strncmp(ep, "https://", 8))
		return arca_error_set(err, ARCA_EINVALID, "endpoint '%s' is not "
			"an http:// or https:// URL", ep);
	return 0;
}

/* --------------------------------------------------------------- the file */

int arca_remote_file(char **out, arca_repo *r, arca_error *err)
{
	const char *dir = arca_repo__local_dir(r), *v;
	int n;

	if (dir)
		n = asprintf(out, "%s/remotes.json", dir);
	else if ((v = getenv("XDG_CONFIG_HOME")) && *v)
		n = asprintf(out, "%s/arca/remotes-%s.json", v, arca_repo_id(r));
	else if ((v = getenv("HOME")) && *v)
		n = asprintf(out, "%s/.config/arca/remotes-%s.json", v,
			arca_repo_id(r));
	else
		return arca_error_set(err, ARCA_ERROR, "no place for the "
			"remotes of a repository that is not local (set "
			"XDG_CONFIG_HOME or HOME)");
	return n < 0 ? oom(err) : 0;
}

void arca_remote_dispose(arca_remote *rm)
{
	if (!rm)
		return;
	free(rm->name);
	free(rm->url);
	free(rm->endpoint);
	free(rm->region);
	memset(rm, 0, sizeof(*rm));
	rm->path_style = -1;
}

void arca_remote_list_dispose(arca_remote_list *l)
{
	for (size_t i = 0; l && i < l->n; i++)
		arca_remote_dispose(&l->v[i]);
	if (l) {
		free(l->v);
		l->v = NULL;
		l->n = 0;
	}
}

static int dup_opt(char **out, const char *s)
{
	*out = NULL;
	return s && !(*out = strdup(s)) ? ARCA_ERROR : 0;
}

static int bad_file(arca_error *err, const char *path, const char *why,
	const char *name)
{
	return arca_error_set(err, ARCA_EINVALID, "remotes file '%s': %s%s%s%s",
		path, why, name ? " '" : "", name ? name : "",
		name ? "'" : "");
}

static int parse_remote(arca_remote *rm, const char *name, json_t *o,
	const char *path, arca_error *err)
{
	json_t *url = json_object_get(o, "url"), *ep, *reg, *ps;

	if (!json_is_object(o) || !json_is_string(url))
		return bad_file(err, path, "no url for remote", name);
	ep = json_object_get(o, "endpoint");
	reg = json_object_get(o, "region");
	ps = json_object_get(o, "path_style");
	if ((ep && !json_is_string(ep)) || (reg && !json_is_string(reg)) ||
		(ps && !json_is_boolean(ps)))
		return bad_file(err, path, "a member of the wrong type in "
			"remote", name);
	if (!arca_remote_name_valid(name))
		return bad_file(err, path, "invalid remote name", name);
	memset(rm, 0, sizeof(*rm));
	rm->path_style = ps ? json_is_true(ps) : -1;
	if (dup_opt(&rm->name, name) < 0 ||
		dup_opt(&rm->url, json_string_value(url)) < 0 ||
		dup_opt(&rm->endpoint, ep ? json_string_value(ep) : NULL) < 0 ||
		dup_opt(&rm->region, reg ? json_string_value(reg) : NULL) < 0) {
		arca_remote_dispose(rm);
		return oom(err);
	}
	return 0;
}

static int by_name(const void *a, const void *b)
{
	return strcmp(((const arca_remote *)a)->name,
		((const arca_remote *)b)->name);
}

static int parse_file(arca_remote_list *out, json_t *doc, const char *path,
	arca_error *err)
{
	json_t *f = json_object_get(doc, "format"), *rs, *o;
	const char *name;
	int rc;

	if (!json_is_string(f) || strcmp(json_string_value(f), FORMAT))
		return bad_file(err, path, "not an arca remotes file (format "
			"is not \"" FORMAT "\")", NULL);
	if (json_integer_value(json_object_get(doc, "version")) != 1)
		return bad_file(err, path, "version is not 1: upgrade arca",
			NULL);
	rs = json_object_get(doc, "remotes");
	if (!json_is_object(rs))
		return bad_file(err, path, "no \"remotes\" object", NULL);
	if (json_object_size(rs) && !(out->v = calloc(json_object_size(rs),
		sizeof(*out->v))))
		return oom(err);
	json_object_foreach(rs, name, o) {
		if ((rc = parse_remote(&out->v[out->n], name, o, path, err)) < 0)
			return rc;
		out->n++;
	}
	if (out->n)
		qsort(out->v, out->n, sizeof(*out->v), by_name);
	return 0;
}

static int load_path(arca_remote_list *out, const char *path,
	arca_error *err)
{
	json_error_t je;
	json_t *doc;
	int rc;

	memset(out, 0, sizeof(*out));
	if (access(path, F_OK) < 0 && errno == ENOENT)
		return 0;
	if (!(doc = json_load_file(path, JSON_REJECT_DUPLICATES, &je)))
		return arca_error_set(err, ARCA_EINVALID, "remotes file '%s', "
			"line %d: %s", path, je.line, je.text);
	rc = parse_file(out, doc, path, err);
	json_decref(doc);
	if (rc < 0)
		arca_remote_list_dispose(out);
	return rc;
}

int arca_remote_list_load(arca_remote_list *out, arca_repo *r,
	arca_error *err)
{
	char *path = NULL;
	int rc;

	memset(out, 0, sizeof(*out));
	if ((rc = arca_remote_file(&path, r, err)) < 0)
		return rc;
	rc = load_path(out, path, err);
	free(path);
	return rc;
}

static json_t *to_json(const arca_remote_list *l)
{
	json_t *doc = json_pack("{s:s, s:i, s:{}}", "format", FORMAT,
		"version", 1, "remotes");
	json_t *rs = json_object_get(doc, "remotes"), *o;

	for (size_t i = 0; doc && i < l->n; i++) {
		const arca_remote *rm = &l->v[i];
		if (!(o = json_pack("{s:s}", "url", rm->url)) ||
			json_object_set_new(rs, rm->name, o) < 0 ||
			(rm->endpoint && json_object_set_new(o, "endpoint",
				json_string(rm->endpoint)) < 0) ||
			(rm->region && json_object_set_new(o, "region",
				json_string(rm->region)) < 0) ||
			(rm->path_style >= 0 && json_object_set_new(o,
				"path_style", json_boolean(rm->path_style)) < 0)) {
			json_decref(doc);
			return NULL;
		}
	}
	return doc;
}

/* Replaces path with l (atomically and durably). */
static int save(const char *path, const arca_remote_list *l, arca_error *err)
{
	json_t *doc = to_json(l);
	char *text = doc ? json_dumps(doc, JSON_INDENT(2) | JSON_SORT_KEYS) :
		NULL;
	size_t len = text ? strlen(text) : 0;
	int rc;

	json_decref(doc);
	if (!text)
		return oom(err);
	text[len++] = '\n'; /* over the NUL: written by length */
	rc = arca_fs_write_atomic(path, text, len, 0644, err);
	free(text);
	return rc;
}

typedef int (*change_fn)(arca_remote_list *l, void *arg, const char *path,
	arca_error *err);

/* Loads, changes and saves r's remotes under an flock of the file's
 * directory, so that two changes at once do not lose one. */
static int change(arca_repo *r, change_fn fn, void *arg, arca_error *err)
{
	arca_remote_list l = { NULL, 0 };
	char *path = NULL, *dir = NULL, *slash;
	int dirfd = -1, rc;

	if ((rc = arca_remote_file(&path, r, err)) < 0)
		return rc;
	if (!(dir = strdup(path))) {
		rc = oom(err);
		goto done;
	}
	slash = strrchr(dir, '/');
	if (slash == dir)
		slash[1] = '\0';
	else if (slash)
		*slash = '\0';
	/* the XDG place is made on first use, private like the rest of
	 * ~/.config/arca */
	if (!arca_repo__local_dir(r) && slash &&
		arca_fs_mkdirs_mode(dir, 0700) < 0) {
		rc = arca_error_set_errno(err, ARCA_ERROR, errno, "cannot "
			"create '%s'", dir);
		goto done;
	}
	/* The flock on the directory serializes load, change and save; the
	 * file is replaced by path, in this same (locked) directory. */
	if ((dirfd = open(slash ? dir : ".", O_RDONLY | O_DIRECTORY |
		O_CLOEXEC)) < 0 || flock(dirfd, LOCK_EX) < 0) {
		rc = arca_error_set_errno(err, ARCA_ERROR, errno, "cannot open "
			"and lock '%s'", dir);
		goto done;
	}
	if ((rc = load_path(&l, path, err)) < 0 ||
		(rc = fn(&l, arg, path, err)) < 0)
		goto done;
	rc = save(path, &l, err);
done:
	if (dirfd >= 0)
		close(dirfd); /* releases the flock */
	arca_remote_list_dispose(&l);
	free(dir);
	free(path);
	return rc;
}

/* ------------------------------------------------------------ add, remove */

static int find(const arca_remote_list *l, const char *name)
{
	for (size_t i = 0; i < l->n; i++)
		if (!strcmp(l->v[i].name, name))
			return (int)i;
	return -1;
}

static int do_add(arca_remote_list *l, void *arg, const char *path,
	arca_error *err)
{
	arca_remote *rm = arg, *v;

	(void)path;
	if (find(l, rm->name) >= 0)
		return arca_error_set(err, ARCA_EEXISTS, "remote '%s' exists "
			"already (arca remote rm %s first to change it)",
			rm->name, rm->name);
	if (!(v = realloc(l->v, (l->n + 1) * sizeof(*v))))
		return oom(err);
	l->v = v;
	v[l->n++] = *rm;
	memset(rm, 0, sizeof(*rm)); /* the list owns it now */
	qsort(l->v, l->n, sizeof(*l->v), by_name);
	return 0;
}

/* A local path as an absolute one, so that the remote means the same
 * place from any directory. */
static int absolute(char **out, const char *url, arca_error *err)
{
	char cwd[4096];

	if (scheme_len(url) || url[0] == '/')
		return (*out = strdup(url)) ? 0 : oom(err);
	while (url[0] == '.' && url[1] == '/')
		for (url += 2; *url == '/'; url++)
			;
	if (!*url)
		url = ".";
	if (!getcwd(cwd, sizeof(cwd)))
		return arca_error_set_errno(err, ARCA_ERROR, errno, "cannot "
			"find the current directory");
	return asprintf(out, "%s/%s", cwd, url) < 0 ? oom(err) : 0;
}

int arca_remote_add(arca_repo *r, const char *name, const char *url,
	const arca_store_opts *so, arca_error *err)
{
	arca_remote rm = { NULL, NULL, NULL, NULL, -1 };
	int rc;

	if (!arca_remote_name_valid(name))
		return arca_error_set(err, ARCA_EINVALID, "invalid remote name "
			"'%s': %s", name, ARCA_REMOTE_NAME_RULE);
	if ((rc = arca_remote_url_check(url, err)) < 0)
		return rc;
	if (so && so->endpoint && (rc = endpoint_check(so->endpoint, err)) < 0)
		return rc;
	if (!(rm.name = strdup(name)) || (rc = absolute(&rm.url, url, err)) < 0 ||
		(so && (dup_opt(&rm.endpoint, so->endpoint) < 0 ||
		dup_opt(&rm.region, so->region) < 0))) {
		arca_remote_dispose(&rm);
		return rc < 0 ? rc : oom(err);
	}
	rm.path_style = so ? so->path_style : -1;
	rc = change(r, do_add, &rm, err);
	arca_remote_dispose(&rm);
	return rc;
}

static int do_remove(arca_remote_list *l, void *arg, const char *path,
	arca_error *err)
{
	const char *name = arg;
	int i = find(l, name);

	if (i < 0)
		return arca_error_set(err, ARCA_ENOTFOUND, "no remote named "
			"'%s' (in '%s')", name, path);
	arca_remote_dispose(&l->v[i]);
	memmove(&l->v[i], &l->v[i + 1], (l->n - (size_t)i - 1) *
		sizeof(*l->v));
	l->n--;
	return 0;
}

int arca_remote_remove(arca_repo *r, const char *name, arca_error *err)
{
	return change(r, do_remove, (void *)name, err);
}

/* --------------------------------------------------------------- resolve */

static int looks_like_url(const char *spec)
{
	return scheme_len(spec) || strchr(spec, '/') != NULL;
}

int arca_remote_resolve(arca_remote *out, arca_repo *r, const char *spec,
	const arca_store_opts *flags, arca_error *err)
{
	arca_remote_list l = { NULL, 0 };
	const arca_store_opts none = ARCA_STORE_OPTS_INIT;
	int rc, i = -1;

	memset(out, 0, sizeof(*out));
	out->path_style = -1;
	if (!flags)
		flags = &none;
	if (r && arca_remote_name_valid(spec)) {
		if ((rc = arca_remote_list_load(&l, r, err)) < 0)
			return rc;
		i = find(&l, spec);
	}
	if (i >= 0) {
		*out = l.v[i];
		memset(&l.v[i], 0, sizeof(l.v[i]));
		l.v[i].path_style = -1;
		/* a file edited by hand gets the same checks */
		if ((rc = arca_remote_url_check(out->url, err)) < 0) {
			arca_remote_list_dispose(&l);
			arca_remote_dispose(out);
			return rc;
		}
	} else if (!looks_like_url(spec)) {
		arca_remote_list_dispose(&l);
		return arca_error_set(err, ARCA_ENOTFOUND, "no remote named "
			"'%s' ('arca remote ls' lists them; a local directory "
			"needs a '/', as in ./%s)", spec, spec);
	} else if ((rc = arca_remote_url_check(spec, err)) < 0 ||
		!(out->url = strdup(spec))) {
		arca_remote_list_dispose(&l);
		return rc < 0 ? rc : oom(err);
	}
	arca_remote_list_dispose(&l);
	/* What the remote does not say comes from the flags. */
	if ((!out->endpoint && dup_opt(&out->endpoint, flags->endpoint) < 0) ||
		(!out->region && dup_opt(&out->region, flags->region) < 0)) {
		arca_remote_dispose(out);
		return oom(err);
	}
	if (out->path_style < 0)
		out->path_style = flags->path_style;
	if (out->endpoint && (rc = endpoint_check(out->endpoint, err)) < 0) {
		arca_remote_dispose(out);
		return rc;
	}
	return 0;
}

arca_store_opts arca_remote_store_opts(const arca_remote *rm)
{
	arca_store_opts so = { rm->endpoint, rm->region, rm->path_style };

	return so;
}
