/*
 * The key lookup cache (src/lib/sign/keycache.c) against a real gpg and
 * keyring: an answer is stored only once the keyring's files are over a
 * second old, a stored answer is used without gpg (proved by a PATH with
 * no gpg on it: the uncached lookup then cannot answer), and a new
 * subkey, a revocation, an expiry or a damaged entry each make it ask
 * gpg again.
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "testutil.h"
#include "ut_gpg.h"
#include "sign/sign_int.h"

static struct {
	char *home, *cache, *path;
} g;

/* Sleeps until every file gpg just wrote is over a second old. */
static void age(void)
{
	sleep(2);
}

static void no_gpg(int on)
{
	if (on)
		setenv("PATH", "/nonexistent", 1);
	else
		setenv("PATH", g.path, 1);
}

/* The entries in the cache's keys directory. */
static int entries(char *first, size_t size)
{
	char dir[2048];
	struct dirent *de;
	DIR *d;
	int n = 0;

	snprintf(dir, sizeof(dir), "%s/keys", g.cache);
	if (!(d = opendir(dir)))
		return 0;
	while ((de = readdir(d)))
		if (de->d_name[0] != '.' && n++ == 0 && first &&
			strlen(dir) + strlen(de->d_name) + 2 <= size)
			sprintf(first, "%s/%s", dir, de->d_name);
	closedir(d);
	return n;
}

static void lookup_ok(arca_keyinfo *ki, const char *fpr)
{
	arca_error err = ARCA_ERROR_INIT;

	if (arca_sign__key_lookup_cached(ki, fpr, &err) != 0)
		fail_msg("lookup of %s: %s", fpr, err.msg);
}

static void same(const arca_keyinfo *a, const arca_keyinfo *b)
{
	assert_string_equal(a->primary, b->primary);
	assert_string_equal(a->fpr, b->fpr);
	assert_string_equal(a->grip, b->grip);
	assert_int_equal(a->algo, b->algo);
	assert_string_equal(a->curve, b->curve);
	assert_true(a->expires == b->expires);
}

static int setup(void **state)
{
	(void)state;
	g.path = strdup(getenv("PATH"));
	g.cache = tu_mkdtemp();
	setenv("ARCA_CACHE_DIR", g.cache, 1);
	unsetenv("ARCA_SIGN_NO_KEY_CACHE");
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	no_gpg(0);
	tu_rmtree(g.cache);
	free(g.path);
	return 0;
}

static int home_up(void **state)
{
	(void)state;
	g.home = ut_gpg_home();
	return 0;
}

static int home_down(void **state)
{
	(void)state;
	no_gpg(0);
	ut_gpg_home_free(g.home);
	g.home = NULL;
	return 0;
}

static void test_keycache__hit_and_new_subkey(void **state)
{
	const char *addkey[] = { "gpg", "--batch", "--pinentry-mode",
		"loopback", "--passphrase", "", "--quick-add-key", NULL,
		"ed25519", "sign", "1d", NULL };
	arca_error err = ARCA_ERROR_INIT;
	arca_keyinfo fresh, cached, direct, after;
	char fpr[ARCA_FPR_SIZE];
	int before;

	(void)state;
	ut_gpg_gen_key("Cache <cache@example>", "1d", fpr);
	before = entries(NULL, 0);
	/* a keyring written just now: answered, but not stored */
	lookup_ok(&fresh, fpr);
	assert_int_equal(entries(NULL, 0), before);
	age();
	lookup_ok(&cached, fpr);
	assert_int_equal(entries(NULL, 0), before + 1);
	same(&fresh, &cached);
	assert_int_equal(arca_sign__key_lookup(&direct, fpr, &err), 0);
	same(&direct, &cached);
	assert_true(cached.expires > time(NULL));

	/* without gpg only the cache can answer, and it does */
	no_gpg(1);
	assert_int_equal(arca_sign__key_lookup(&direct, fpr, &err), 1);
	memset(&after, 0, sizeof(after));
	lookup_ok(&after, fpr);
	same(&cached, &after);
	no_gpg(0);

	/* a new signing subkey changes the keyring: asked again, and the
	 * newest signing subkey is the answer */
	addkey[7] = fpr;
	if (ut_run(addkey, NULL))
		fail_msg("gpg --quick-add-key failed");
	no_gpg(1);
	assert_int_equal(arca_sign__key_lookup_cached(&after, fpr, &err), 1);
	no_gpg(0);
	lookup_ok(&after, fpr);
	assert_string_equal(after.primary, fpr);
	assert_string_not_equal(after.fpr, cached.fpr);
	assert_string_not_equal(after.grip, cached.grip);
}

static void test_keycache__revoked(void **state)
{
	arca_error err = ARCA_ERROR_INIT;
	arca_keyinfo ki;
	char fpr[ARCA_FPR_SIZE];

	(void)state;
	ut_gpg_gen_key("Rev <rev@example>", "1d", fpr);
	age();
	lookup_ok(&ki, fpr);
	ut_gpg_revoke(fpr);
	assert_int_equal(arca_sign__key_lookup_cached(&ki, fpr, &err),
		ARCA_EINVALID);
	assert_non_null(strstr(err.msg, "is revoked"));
}

static void test_keycache__expired(void **state)
{
	arca_error err = ARCA_ERROR_INIT;
	arca_keyinfo ki;
	char fpr[ARCA_FPR_SIZE];
	time_t made = time(NULL);

	(void)state;
	ut_gpg_gen_key("Exp <exp@example>", "seconds=5", fpr);
	age();
	lookup_ok(&ki, fpr);
	assert_true(ki.expires > 0 && ki.expires <= made + 7);
	no_gpg(1);
	lookup_ok(&ki, fpr); /* stored */
	while (time(NULL) <= ki.expires)
		sleep(1);
	/* expired since: the entry is not used... */
	assert_int_equal(arca_sign__key_lookup_cached(&ki, fpr, &err), 1);
	no_gpg(0);
	/* ...and gpg says why */
	assert_int_equal(arca_sign__key_lookup_cached(&ki, fpr, &err),
		ARCA_EINVALID);
	assert_non_null(strstr(err.msg, "has expired"));
}

static void test_keycache__damaged_entry(void **state)
{
	arca_error err = ARCA_ERROR_INIT;
	arca_keyinfo ki, again;
	char fpr[ARCA_FPR_SIZE], path[4096];
	FILE *f;

	(void)state;
	tu_rmtree(g.cache);
	g.cache = tu_mkdtemp();
	setenv("ARCA_CACHE_DIR", g.cache, 1);
	ut_gpg_gen_key("Dmg <dmg@example>", "1d", fpr);
	age();
	lookup_ok(&ki, fpr);
	assert_int_equal(entries(path, sizeof(path)), 1);
	if (!(f = fopen(path, "w")) || fputs("{\"version\": 1, ", f) < 0 ||
		fclose(f))
		fail_msg("cannot damage %s", path);
	no_gpg(1);
	assert_int_equal(arca_sign__key_lookup_cached(&again, fpr, &err), 1);
	no_gpg(0);
	/* answered by gpg and stored again */
	lookup_ok(&again, fpr);
	same(&ki, &again);
	no_gpg(1);
	lookup_ok(&again, fpr);
	same(&ki, &again);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(
			test_keycache__hit_and_new_subkey, home_up, home_down),
		cmocka_unit_test_setup_teardown(test_keycache__revoked,
			home_up, home_down),
		cmocka_unit_test_setup_teardown(test_keycache__expired,
			home_up, home_down),
		cmocka_unit_test_setup_teardown(test_keycache__damaged_entry,
			home_up, home_down),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
