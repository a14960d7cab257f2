/*
 * Opening a store by URL, and the thin helpers that dispatch through the
 * vtable. A new store is one more row in the scheme table below.
 */
#include <string.h>
#include <strings.h>
#include "store/store.h"
#include "store/store_s3.h"

typedef int (*store_ctor)(arca_store **out, const char *location,
	int create, const arca_store_opts *so, arca_error *err);

/*
 * file://PATH: "file:///srv/repo" is /srv/repo. The authority may be
 * empty or "localhost" (RFC 8089); anything else before the path is a
 * host, which is refused. No percent-decoding is done.
 */
static int open_file_url(arca_store **out, const char *location,
	int create, const arca_store_opts *so, arca_error *err)
{
	const char *path = location;

	if (!strncmp(path, "localhost/", strlen("localhost/")))
		path += strlen("localhost");
	if (*path != '/')
		return arca_error_set(err, ARCA_EINVALID,
			"invalid store URL 'file://%s': expected file:///PATH",
			location);
	(void)so;
	return arca_store_local_new(out, path, create, err);
}

static int open_s3_url(arca_store **out, const char *location,
	int create, const arca_store_opts *so, arca_error *err)
{
	arca_store_s3_opts o = ARCA_STORE_S3_OPTS_INIT;

	if (so) {
		o.endpoint = so->endpoint;
		o.region = so->region;
		o.path_style = so->path_style;
	}
	return arca_store_s3_open(out, location, create, &o, err);
}

/* URL schemes, by the name before "://" (in any case). A plain path
 * means "file". */
static const struct {
	const char *scheme;
	store_ctor ctor;
} schemes[] = {
	{ "file", open_file_url },
	{ "s3", open_s3_url },
};

/* Length of the RFC 3986 scheme url starts with, if "://" follows it. */
static size_t scheme_len(const char *url)
{
	size_t n = 0;

	if (!((url[0] >= 'a' && url[0] <= 'z') ||
	      (url[0] >= 'A' && url[0] <= 'Z')))
		return 0;
	while (url[n] && strchr("abcdefghijklmnopqrstuvwxyz"
				"ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789+-.",
				url[n]))
		n++;
	return strncmp(url + n, "://", 3) ? 0 : n;
}

int arca_store_open(arca_store **out, const char *url, int create,
	arca_error *err)
{
	return arca_store_open_with(out, url, create, NULL, err);
}

int arca_store_open_with(arca_store **out, const char *url, int create,
	const arca_store_opts *so, arca_error *err)
{
	size_t n, i;

	if (!url || !*url)
		return arca_error_set(err, ARCA_EINVALID,
			"invalid store URL: empty");
	n = scheme_len(url);
	if (!n)
		return arca_store_local_new(out, url, create, err);
	for (i = 0; i < sizeof(schemes) / sizeof(schemes[0]); i++) {
		if (strlen(schemes[i].scheme) == n &&
		    !strncasecmp(schemes[i].scheme, url, n))
			return schemes[i].ctor(out, url + n + 3, create, so,
				err);
	}
	return arca_error_set(err, ARCA_EINVALID,
		"unsupported store URL scheme '%.*s'", (int)n, url);
}

void arca_store_free(arca_store *s)
{
	if (s)
		s->free(s);
}

static int unsupported(arca_store *s, const char *op, arca_error *err)
{
	return arca_error_set(err, ARCA_ERROR,
		"store '%s' does not support %s", s->url, op);
}

int arca_store_put(arca_store *s, const char *key, const void *data,
	size_t len, unsigned flags, arca_error *err)
{
	if (!s->put)
		return unsupported(s, "put", err);
	return s->put(s, key, data, len, flags, err);
}

int arca_store_get(arca_store *s, arca_buf *out, const char *key,
	uint64_t off, uint64_t len, arca_error *err)
{
	if (!s->get)
		return unsupported(s, "get", err);
	return s->get(s, out, key, off, len, err);
}

int arca_store_stat(arca_store *s, const char *key, arca_store_info *st,
	arca_error *err)
{
	if (!s->stat)
		return unsupported(s, "stat", err);
	return s->stat(s, key, st, err);
}

int arca_store_list(arca_store *s, const char *prefix, arca_store_list_cb cb,
	void *payload, arca_error *err)
{
	if (!s->list)
		return unsupported(s, "list", err);
	return s->list(s, prefix, cb, payload, err);
}

int arca_store_del(arca_store *s, const char *key, arca_error *err)
{
	if (!s->del)
		return unsupported(s, "del", err);
	return s->del(s, key, err);
}

int arca_store_flush(arca_store *s, arca_error *err)
{
	return s->flush ? s->flush(s, err) : 0;
}

const char *arca_store_bad_key(const char *key, size_t len, size_t max,
	int no_ctl)
{
	const char *p = key, *end = key + len, *slash;
	size_t n;

	if (!len)
		return "empty";
	if (*key == '/')
		return "absolute";
	if (len > max)
		return "too long";
	for (; p <= end; p = slash + 1) {
		slash = memchr(p, '/', (size_t)(end - p));
		if (!slash)
			slash = end;
		n = (size_t)(slash - p);
		if (!n)
			return "empty path component";
		if ((n == 1 && p[0] == '.') ||
		    (n == 2 && p[0] == '.' && p[1] == '.'))
			return "'.' or '..' path component";
		if (n >= 5 && !memcmp(p, ".tmp-", 5))
			return "name reserved for temp files";
		for (size_t i = 0; no_ctl && i < n; i++)
			if ((unsigned char)p[i] < 0x20 || p[i] == 0x7f)
				return "control character";
	}
	return NULL;
}
