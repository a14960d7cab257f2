/* The URL fetcher's pure helpers: URL sanitising, header values, backoff. */
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include "ingest/fetch_int.h"
#include "util/sys.h"

#define SCHEME_CHARS "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ" \
	"0123456789+-."

/*
 * Where the authority of url starts: after "scheme:" and any slashes
 * (curl tolerates odd slash counts and backslashes, so we do too), or at
 * the start when there is no scheme.
 */
static const char *authority(const char *url)
{
	size_t n = strspn(url, SCHEME_CHARS);

	if (n == 0 || url[n] != ':')
		return url;
	url += n + 1;
	return url + strspn(url, "/\\");
}

/* The userinfo of url ("user:pass"), as [*start, *end); empty if none. */
static void userinfo(const char *url, const char **start, const char **end)
{
	const char *auth = authority(url), *stop, *at = NULL;

	stop = auth + strcspn(auth, "/\\?#");
	for (const char *p = auth; p < stop; p++)
		if (*p == '@')
			at = p;
	*start = auth;
	*end = at ? at : auth;
}

char *arca_fetch__safe_url(const char *url)
{
	const char *ui, *ui_end, *rest;
	size_t head, tail;
	char *out;

	userinfo(url, &ui, &ui_end);
	head = (size_t)(ui - url);
	rest = ui_end == ui ? ui : ui_end + 1; /* skip the '@' */
	tail = strcspn(rest, "?#");
	if (!(out = malloc(head + tail + 1)))
		return NULL;
	memcpy(out, url, head);
	memcpy(out + head, rest, tail);
	out[head + tail] = '\0';
	for (char *p = out; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			*p = '?';
	return out;
}

/* Replaces every occurrence of [tok, tok+len) in msg by "***". */
static void redact_token(char *msg, const char *tok, size_t len)
{
	char *p;

	if (len < 3)
		return; /* shorter ones would garble messages, hiding little */
	while ((p = memmem(msg, strlen(msg), tok, len))) {
		memcpy(p, "***", 3);
		memmove(p + 3, p + len, strlen(p + len) + 1);
	}
}

void arca_fetch__redact(char *msg, const char *url)
{
	const char *ui, *ui_end, *colon, *q, *end;

	userinfo(url, &ui, &ui_end);
	colon = memchr(ui, ':', (size_t)(ui_end - ui));
	redact_token(msg, ui, (size_t)(ui_end - ui));
	if (colon)
		redact_token(msg, colon + 1, (size_t)(ui_end - colon - 1));
	if (!(q = strchr(ui_end, '?')) && !(q = strchr(ui_end, '#')))
		return;
	q++;
	/* Each value, then the whole query, so no piece survives alone. */
	for (const char *p = q; *p; p = *end ? end + 1 : end) {
		const char *eq;
		end = p + strcspn(p, "&;#");
		eq = memchr(p, '=', (size_t)(end - p));
		if (eq)
			redact_token(msg, eq + 1, (size_t)(end - eq - 1));
	}
	redact_token(msg, q, strlen(q));
}

int arca_fetch__check_url(const char *url, const char *safe,
	arca_error *err)
{
	CURLU *u = curl_url();
	char *scheme = NULL;
	CURLUcode uc;
	int r = 0;

	if (!u)
		return arca_error_set(err, ARCA_ERROR, "fetch %s: out of "
			"memory", safe);
	/* Accept any scheme here so the error below can name it. */
	uc = curl_url_set(u, CURLUPART_URL, url, CURLU_NON_SUPPORT_SCHEME);
	if (uc == CURLUE_OK)
		uc = curl_url_get(u, CURLUPART_SCHEME, &scheme, 0);
	if (uc == CURLUE_OUT_OF_MEMORY)
		r = arca_error_set(err, ARCA_ERROR, "fetch %s: out of memory",
			safe);
	else if (uc != CURLUE_OK)
		r = arca_error_set(err, ARCA_EINVALID, "fetch %s: invalid URL: "
			"%s", safe, curl_url_strerror(uc));
	else if (strcasecmp(scheme, "http") && strcasecmp(scheme, "https"))
		r = arca_error_set(err, ARCA_EINVALID, "fetch %s: unsupported "
			"URL scheme '%.32s' (only http and https)", safe,
			scheme);
	curl_free(scheme);
	curl_url_cleanup(u);
	return r;
}

int arca_fetch__header_safe(const char *v)
{
	for (; v && *v; v++)
		if ((unsigned char)*v < 0x20 || *v == 0x7f)
			return 0;
	return 1;
}

long arca_fetch__parse_retry_after(const char *v, time_t now)
{
	time_t t;

	if (*v && strspn(v, "0123456789") == strlen(v)) {
		errno = 0;
		long s = strtol(v, NULL, 10);
		return errno ? ARCA_FETCH_RETRY_AFTER_MAX_S : s;
	}
	if ((t = curl_getdate(v, NULL)) < 0)
		return -1;
	return t > now ? (long)(t - now) : 0;
}

long arca_fetch__backoff_ms(int attempt, long base_ms, long retry_after_s)
{
	long d = base_ms, half;
	uint32_t rnd = 0;

	for (int i = 0; i < attempt && d < ARCA_FETCH_BACKOFF_MAX_MS; i++)
		d *= 2;
	if (d > ARCA_FETCH_BACKOFF_MAX_MS)
		d = ARCA_FETCH_BACKOFF_MAX_MS;
	/* Jitter spreads out clients that failed together; without entropy
	 * the fixed delay still works. */
	half = d / 2;
	if (arca_random(&rnd, sizeof(rnd)) == 0)
		d = half + (long)(rnd % (uint32_t)(d - half + 1));
	if (retry_after_s >= 0) {
		long ra = retry_after_s < ARCA_FETCH_RETRY_AFTER_MAX_S ?
			retry_after_s : ARCA_FETCH_RETRY_AFTER_MAX_S;
		if (ra * 1000 > d)
			d = ra * 1000;
	}
	return d;
}

void arca_fetch__sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	while (ms > 0 && nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

void arca_fetch__append(arca_error *err, const char *fmt, ...)
{
	va_list ap;
	size_t n;

	if (!err)
		return;
	n = strlen(err->msg);
	va_start(ap, fmt);
	vsnprintf(err->msg + n, sizeof(err->msg) - n, fmt, ap);
	va_end(ap);
}
