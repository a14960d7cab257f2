/*
 * A per-user cache of secret-key lookups (<cache dir>/keys/), so that a
 * command that signs does not start gpg only to learn what it learnt the
 * last time: which subkey signs, its keygrip and algorithm.
 *
 * An entry holds gpg's answer with a stamp of the files that answer
 * came from (the keyrings, the secret keys' directory, gpg's options):
 * device, inode, size and mtime of each. It is used only while
 * the stamp is the same and the key has not expired; a revocation, a
 * new subkey, an expiry change or a deleted secret key all rewrite one
 * of those files. An answer is stored only when the files did not
 * change while gpg read them and are over a second old, so that a
 * change within one timestamp tick cannot hide behind an equal stamp.
 * A missing, unreadable or foreign entry is a miss, never an error: the
 * cache can only save time. A wrong entry cannot forge anything either:
 * a signature by the wrong key does not verify as the configured one.
 */
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include "sign/sign_int.h"
#include "util/fs.h"

#define CACHE_VERSION 1

/* What gpg's answer depends on, relative to the GnuPG home. */
static const char *const stamped[] = { "pubring.kbx", "pubring.gpg",
	"trustdb.gpg", "private-keys-v1.d", "gpg.conf", "common.conf",
	"public-keys.d/pubring.db", NULL };

/* The GnuPG home as gpg resolves it: $GNUPGHOME, else ~/.gnupg;
 * absolute. 0 or -1. */
static int gnupg_home(char out[PATH_MAX])
{
	const char *h = getenv("GNUPGHOME"), *home;
	char buf[PATH_MAX];

	if (h && *h)
		snprintf(buf, sizeof(buf), "%s", h);
	else if ((home = getenv("HOME")) && *home)
		snprintf(buf, sizeof(buf), "%s/.gnupg", home);
	else
		return -1;
	return realpath(buf, out) ? 0 : -1;
}

/* The stamp of the home's files into b; the newest mtime in *newest. */
static int stamp(arca_buf *b, const char *home, time_t *newest)
{
	char path[PATH_MAX + 64];
	struct stat st;

	arca_buf_clear(b);
	*newest = 0;
	for (size_t i = 0; stamped[i]; i++) {
		snprintf(path, sizeof(path), "%s/%s", home, stamped[i]);
		if (stat(path, &st) < 0) {
			if (errno != ENOENT && errno != ENOTDIR)
				return -1;
			if (arca_buf_printf(b, "%s:-;", stamped[i]) < 0)
				return -1;
			continue;
		}
		if (st.st_mtim.tv_sec > *newest)
			*newest = st.st_mtim.tv_sec;
		/* not the ctime: gpg-agent changes that of private-keys-v1.d
		 * each time it starts, which says nothing about the keys */
		if (arca_buf_printf(b, "%s:%llu:%llu:%lld:%lld.%09ld;",
			stamped[i], (unsigned long long)st.st_dev,
			(unsigned long long)st.st_ino, (long long)st.st_size,
			(long long)st.st_mtim.tv_sec, st.st_mtim.tv_nsec) < 0)
			return -1;
	}
	return 0;
}

/* <cache>/keys/<fpr>-<hash of home>.json; -1 when there is no cache. */
static int entry_path(arca_buf *out, const char *home, const char *fpr)
{
	arca_error ignored = ARCA_ERROR_INIT;
	unsigned long long h = 1469598103934665603ULL; /* FNV-1a */

	for (const char *p = home; *p; p++)
		h = (h ^ (unsigned char)*p) * 1099511628211ULL;
	if (arca_fs_cache_path(out, NULL, "keys", &ignored) < 0)
		return -1;
	return arca_buf_printf(out, "/%s-%016llx.json", fpr, h) < 0 ? -1 : 0;
}

static int copy_field(char *out, size_t size, json_t *doc, const char *key,
	size_t want)
{
	const char *v = json_string_value(json_object_get(doc, key));

	if (!v || strlen(v) >= size || (want && strlen(v) != want))
		return -1;
	memcpy(out, v, strlen(v) + 1);
	return 0;
}

/* The entry at path when it answers for home, fpr and st: 0 and *ki. */
static int load(arca_keyinfo *ki, const char *path, const char *home,
	const char *fpr, const char *st)
{
	json_t *doc = json_load_file(path, JSON_REJECT_DUPLICATES, NULL);
	const char *v;
	int rc = -1;

	if (!doc)
		return -1;
	memset(ki, 0, sizeof(*ki));
	if (json_integer_value(json_object_get(doc, "version")) !=
		CACHE_VERSION ||
		!(v = json_string_value(json_object_get(doc, "gnupghome"))) ||
		strcmp(v, home) ||
		!(v = json_string_value(json_object_get(doc, "fingerprint"))) ||
		strcmp(v, fpr) ||
		!(v = json_string_value(json_object_get(doc, "stamp"))) ||
		strcmp(v, st) ||
		copy_field(ki->primary, sizeof(ki->primary), doc, "primary",
		40) < 0 ||
		copy_field(ki->fpr, sizeof(ki->fpr), doc, "subkey", 40) < 0 ||
		copy_field(ki->grip, sizeof(ki->grip), doc, "keygrip", 40) < 0 ||
		copy_field(ki->curve, sizeof(ki->curve), doc, "curve", 0) < 0 ||
		!json_is_integer(json_object_get(doc, "algo")) ||
		!json_is_integer(json_object_get(doc, "expires")))
		goto done;
	ki->algo = (int)json_integer_value(json_object_get(doc, "algo"));
	ki->expires = json_integer_value(json_object_get(doc, "expires"));
	if (ki->expires > 0 && ki->expires <= (long long)time(NULL))
		goto done; /* expired since: let gpg say so */
	rc = 0;
done:
	json_decref(doc);
	return rc;
}

static void store(const arca_keyinfo *ki, const char *path,
	const char *home, const char *fpr, const char *st)
{
	arca_error ignored = ARCA_ERROR_INIT;
	json_t *doc;
	char *text;

	doc = json_pack("{s:i, s:s, s:s, s:s, s:s, s:s, s:s, s:i, s:s, s:I}",
		"version", CACHE_VERSION, "gnupghome", home, "fingerprint", fpr,
		"stamp", st, "primary", ki->primary, "subkey", ki->fpr,
		"keygrip", ki->grip, "algo", ki->algo, "curve", ki->curve,
		"expires", (json_int_t)ki->expires);
	if (doc && (text = json_dumps(doc, JSON_SORT_KEYS | JSON_INDENT(1)))) {
		arca_fs_write_atomic(path, text, strlen(text), 0600, &ignored);
		free(text);
	}
	json_decref(doc);
}

int arca_sign__key_lookup_cached(arca_keyinfo *ki, const char *fpr,
	arca_error *err)
{
	arca_buf path = ARCA_BUF_INIT, before = ARCA_BUF_INIT,
		after = ARCA_BUF_INIT;
	char home[PATH_MAX];
	time_t newest, ignored;
	int rc, cache;

	cache = !getenv("ARCA_SIGN_NO_KEY_CACHE") && gnupg_home(home) == 0 &&
		stamp(&before, home, &newest) == 0 &&
		entry_path(&path, home, fpr) == 0;
	if (cache && load(ki, arca_buf_cstr(&path), home, fpr,
		arca_buf_cstr(&before)) == 0) {
		rc = 0;
		goto done;
	}
	rc = arca_sign__key_lookup(ki, fpr, err);
	if (rc == 0 && cache && newest < time(NULL) - 1 &&
		stamp(&after, home, &ignored) == 0 &&
		!strcmp(arca_buf_cstr(&before), arca_buf_cstr(&after)))
		store(ki, arca_buf_cstr(&path), home, fpr,
			arca_buf_cstr(&before));
done:
	arca_buf_dispose(&path);
	arca_buf_dispose(&before);
	arca_buf_dispose(&after);
	return rc;
}
