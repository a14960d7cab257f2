/*
 * Where an S3 store lives: bucket and prefix from the URL; endpoint,
 * addressing style, region, TLS and credentials from options and the
 * environment (see store_s3.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "store/store_s3.h"
#include "util/buf.h"

static const char *env(const char *name)
{
	const char *v = getenv(name);

	return v && *v ? v : NULL;
}

/* -1 unset, else whether the variable is "1"/"true"/"yes". */
static int env_bool(const char *name)
{
	const char *v = env(name);

	if (!v)
		return -1;
	return !strcmp(v, "1") || !strcasecmp(v, "true") ||
		!strcasecmp(v, "yes");
}

static unsigned env_uint(const char *name, unsigned def, unsigned max)
{
	const char *v = env(name);
	char *end;
	unsigned long n;

	if (!v)
		return def;
	n = strtoul(v, &end, 10);
	return *end || n > max ? def : (unsigned)n;
}

/* AWS's rules: 3-63 of a-z 0-9 . -, starting and ending alphanumeric. */
static int valid_bucket(const char *b, size_t n)
{
	if (n < 3 || n > 63)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!((b[i] >= 'a' && b[i] <= 'z') ||
		      (b[i] >= '0' && b[i] <= '9') || b[i] == '.' ||
		      b[i] == '-'))
			return 0;
	return b[0] != '.' && b[0] != '-' && b[n - 1] != '.' &&
		b[n - 1] != '-';
}

static int valid_prefix(const char *p)
{
	const char *s = p, *slash;
	size_t n;

	if (strlen(p) > 256)
		return 0;
	while (*s) {
		slash = strchr(s, '/');
		n = slash ? (size_t)(slash - s) : strlen(s);
		if (!n || (n == 1 && s[0] == '.') ||
		    (n == 2 && s[0] == '.' && s[1] == '.'))
			return 0;
		for (size_t i = 0; i < n; i++)
			if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
				return 0;
		s += n + !!slash;
	}
	return 1;
}

/* "[s3://]BUCKET[/PREFIX[/]]" into c->bucket, c->prefix, c->url. */
static int parse_location(arca_s3 *c, const char *loc, arca_error *err)
{
	const char *orig = loc, *slash;
	size_t blen, plen;

	if (!strncasecmp(loc, "s3://", 5))
		loc += 5;
	slash = strchr(loc, '/');
	blen = slash ? (size_t)(slash - loc) : strlen(loc);
	if (!valid_bucket(loc, blen))
		return arca_error_set(err, ARCA_EINVALID,
			"invalid S3 URL 's3://%s': expected s3://BUCKET[/PREFIX]"
			" with a bucket name of 3-63 characters a-z 0-9 . -",
			loc == orig ? orig : loc);
	if (!(c->bucket = strndup(loc, blen)))
		return ARCA_ERROR;
	loc += blen;
	while (*loc == '/')
		loc++;
	plen = strlen(loc);
	while (plen && loc[plen - 1] == '/')
		plen--;
	if (!(c->prefix = strndup(loc, plen)))
		return ARCA_ERROR;
	if (!valid_prefix(c->prefix))
		return arca_error_set(err, ARCA_EINVALID,
			"invalid S3 URL 's3://%s/%s': bad prefix", c->bucket,
			c->prefix);
	c->url = malloc(blen + plen + 8);
	if (!c->url)
		return ARCA_ERROR;
	snprintf(c->url, blen + plen + 8, "s3://%s%s%s", c->bucket,
		plen ? "/" : "", c->prefix);
	return 0;
}

/* Whether a host (no port, IPv6 without brackets) is the machine itself. */
static int is_loopback(const char *host)
{
	return !strcasecmp(host, "localhost") || !strcmp(host, "::1") ||
		!strncmp(host, "127.", 4);
}

typedef struct endpoint {
	char scheme[8];
	char host[256]; /* as in the URL: "[::1]" keeps its brackets */
	char port[8];
	char path[256]; /* "" or "/base" without a trailing slash */
} endpoint;

static int parse_endpoint(endpoint *e, const char *url, arca_error *err)
{
	const char *p = url, *hend, *pstart;
	size_t n;

	memset(e, 0, sizeof(*e));
	if (!strncasecmp(p, "https://", 8)) {
		memcpy(e->scheme, "https", 6);
		p += 8;
	} else if (!strncasecmp(p, "http://", 7)) {
		memcpy(e->scheme, "http", 5);
		p += 7;
	} else {
		goto bad;
	}
	pstart = p + strcspn(p, "/?#");
	if (*pstart == '?' || *pstart == '#' || strchr(p, '@'))
		goto bad;
	hend = *p == '[' ? memchr(p, ']', (size_t)(pstart - p)) : NULL;
	if (*p == '[' && !hend)
		goto bad;
	hend = hend ? hend + 1 : p + strcspn(p, ":/");
	if (hend > pstart)
		hend = pstart;
	n = (size_t)(hend - p);
	if (!n || n >= sizeof(e->host))
		goto bad;
	memcpy(e->host, p, n);
	if (*hend == ':') {
		n = (size_t)(pstart - hend - 1);
		if (!n || n >= sizeof(e->port) ||
		    strspn(hend + 1, "0123456789") != n)
			goto bad;
		memcpy(e->port, hend + 1, n);
	} else if (hend != pstart) {
		goto bad;
	}
	n = strlen(pstart);
	while (n && pstart[n - 1] == '/')
		n--;
	if (n >= sizeof(e->path))
		goto bad;
	memcpy(e->path, pstart, n);
	return 0;
bad:
	return arca_error_set(err, ARCA_EINVALID,
		"invalid S3 endpoint '%s': expected http(s)://HOST[:PORT]",
		url);
}

/* Plain http only to loopback, unless allowed. */
static int check_scheme(const endpoint *e, int allow_http, arca_error *err)
{
	char bare[256];
	size_t n = strlen(e->host);

	if (strcmp(e->scheme, "http"))
		return 0;
	if (e->host[0] == '[' && n >= 2)
		snprintf(bare, sizeof(bare), "%.*s", (int)(n - 2), e->host + 1);
	else
		snprintf(bare, sizeof(bare), "%s", e->host);
	if (is_loopback(bare) || allow_http == 1)
		return 0;
	return arca_error_set(err, ARCA_EINVALID,
		"refusing plain http to S3 endpoint host '%s': credentials and "
		"data would cross the network unprotected; use https, or set "
		"ARCA_S3_ALLOW_HTTP=1", e->host);
}

static int set_addressing(arca_s3 *c, const endpoint *e, int path_style)
{
	arca_buf host = ARCA_BUF_INIT, origin = ARCA_BUF_INIT;
	arca_buf base = ARCA_BUF_INIT;
	int rc = ARCA_ERROR;

	if (!path_style && arca_buf_printf(&host, "%s.", c->bucket) < 0)
		goto done;
	if (arca_buf_printf(&host, "%s%s%s", e->host, *e->port ? ":" : "",
			e->port) < 0 ||
	    arca_buf_printf(&origin, "%s://%s", e->scheme,
			arca_buf_cstr(&host)) < 0 ||
	    arca_buf_puts(&base, e->path) < 0 ||
	    (path_style && arca_buf_printf(&base, "/%s", c->bucket) < 0))
		goto done;
	c->host = (char *)arca_buf_detach(&host, NULL);
	c->origin = (char *)arca_buf_detach(&origin, NULL);
	c->base_path = base.len ? (char *)arca_buf_detach(&base, NULL) :
		strdup("");
	rc = c->host && c->origin && c->base_path ? 0 : ARCA_ERROR;
done:
	arca_buf_dispose(&host);
	arca_buf_dispose(&origin);
	arca_buf_dispose(&base);
	return rc;
}

int arca_s3__config(arca_s3 *c, const char *location,
	const arca_store_s3_opts *o, arca_error *err)
{
	const char *ep = o->endpoint;
	int path_style = o->path_style, allow_http = o->allow_http;
	char aws[128];
	endpoint e;
	int rc;

	if ((rc = parse_location(c, location, err)) < 0)
		return rc == ARCA_ERROR ? arca_error_set(err, rc,
			"out of memory") : rc;
	if ((rc = arca_s3__creds_load(&c->creds, &c->region, err)) < 0)
		return arca_error_prefix(err, "opening %s", c->url);
	if (o->region) {
		free(c->region);
		if (!(c->region = strdup(o->region)))
			return arca_error_set(err, ARCA_ERROR, "out of memory");
	}
	if (!ep)
		ep = env("AWS_ENDPOINT_URL_S3");
	if (!ep)
		ep = env("AWS_ENDPOINT_URL");
	if (path_style < 0)
		path_style = env_bool("ARCA_S3_PATH_STYLE");
	if (path_style < 0)
		path_style = ep != NULL;
	if (allow_http < 0)
		allow_http = env_bool("ARCA_S3_ALLOW_HTTP");
	if (!ep) {
		snprintf(aws, sizeof(aws), "https://s3.%s.amazonaws.com",
			c->region);
		ep = aws;
	}
	if ((rc = parse_endpoint(&e, ep, err)) < 0 ||
	    (rc = check_scheme(&e, allow_http, err)) < 0)
		return rc;
	/* a dotted bucket name breaks the wildcard TLS certificate */
	if (strchr(c->bucket, '.') && !strcmp(e.scheme, "https"))
		path_style = 1;
	if (set_addressing(c, &e, path_style) < 0)
		return arca_error_set(err, ARCA_ERROR, "out of memory");
	if (env("AWS_CA_BUNDLE") && !(c->ca_bundle =
			strdup(env("AWS_CA_BUNDLE"))))
		return arca_error_set(err, ARCA_ERROR, "out of memory");
	c->retries = env_uint("ARCA_S3_RETRIES", 5, 20);
	c->retry_base_ms = env_uint("ARCA_S3_RETRY_BASE_MS", 200, 60000);
	c->timeout_s = env_uint("ARCA_S3_TIMEOUT_S", 60, 3600);
	if (!c->timeout_s)
		c->timeout_s = 60;
	return 0;
}
