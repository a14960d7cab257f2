/*
 * Signatures (src/lib/sign/sign.c) against a real gpg: throwaway
 * GNUPGHOMEs made by the test, keys generated with gpg --quick-gen-key
 * (a good one, one that expires after a few seconds, one that gets
 * revoked), sign and verify, tampering, unknown keys, missing secret
 * keys, and `gpg --verify sig data` on the armoured output. The
 * gpg-agents started in those homes are killed at the end.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "testutil.h"
#include "ut_gpg.h"
#include "sign/sign.h"
#include "sign/trust.h"

#define EXPIRE_SECONDS 4
#define EXPIRE_ARG "seconds=4"

static const char data[] = "{\"kind\":\"run\",\"n\":1}";

static struct {
	char *home;        /* the keyring with all three secret keys */
	char *empty;       /* a keyring with no keys */
	char *pubonly;     /* the good key's public part only */
	char *work;        /* files for gpg --verify */
	char good[ARCA_FPR_SIZE], exp[ARCA_FPR_SIZE], rev[ARCA_FPR_SIZE];
	char *exp_sig, *rev_sig;
	time_t exp_made;
} g;

static void use_home(const char *home)
{
	if (setenv("GNUPGHOME", home, 1) < 0)
		fail_msg("setenv");
}

static void write_file(const char *path, const void *buf, size_t len)
{
	FILE *f = fopen(path, "wb");

	if (!f || fwrite(buf, 1, len, f) != len || fclose(f))
		fail_msg("write %s", path);
}

static char *sign_ok(const char *fpr, const void *buf, size_t len)
{
	arca_error err = ARCA_ERROR_INIT;
	char *sig = NULL;

	if (arca_sign_bytes(fpr, buf, len, &sig, &err) < 0)
		fail_msg("sign: %s", err.msg);
	return sig;
}

static arca_sig_result *verify_ok(const void *buf, size_t len,
	const char *sig)
{
	arca_error err = ARCA_ERROR_INIT;
	arca_sig_result *r = NULL;

	if (arca_sign_verify(buf, len, sig, &r, &err) < 0)
		fail_msg("verify: %s", err.msg);
	assert_non_null(r);
	return r;
}

static int setup(void **state)
{
	const char *exp_pub[] = { "gpg", "--batch", "--armor", "--output",
		NULL, "--export", NULL, NULL };
	const char *imp[] = { "gpg", "--batch", "--import", NULL, NULL };
	char *pub;

	(void)state;
	g.home = tu_mkdtemp();
	g.empty = tu_mkdtemp();
	g.pubonly = tu_mkdtemp();
	g.work = tu_mkdtemp();
	/* gpg insists on a private home */
	if (chmod(g.home, 0700) || chmod(g.empty, 0700) ||
		chmod(g.pubonly, 0700))
		fail_msg("chmod");
	use_home(g.home);
	ut_gpg_gen_key("Good <good@example>", "1d", g.good);
	ut_gpg_gen_key("Rev <rev@example>", "1d", g.rev);
	g.exp_made = time(NULL);
	ut_gpg_gen_key("Exp <exp@example>", EXPIRE_ARG, g.exp);
	/* signatures made while the keys are still valid */
	g.exp_sig = sign_ok(g.exp, data, strlen(data));
	g.rev_sig = sign_ok(g.rev, data, strlen(data));
	ut_gpg_revoke(g.rev);

	if (asprintf(&pub, "%s/good.asc", g.work) < 0)
		fail_msg("asprintf");
	exp_pub[4] = pub;
	exp_pub[6] = g.good;
	if (ut_run(exp_pub, NULL))
		fail_msg("gpg --export failed");
	use_home(g.pubonly);
	imp[3] = pub;
	if (ut_run(imp, NULL))
		fail_msg("gpg --import failed");
	free(pub);
	use_home(g.home);
	return 0;
}

static void kill_agent(const char *home)
{
	const char *kill[] = { "gpgconf", "--kill", "gpg-agent", NULL };

	use_home(home);
	ut_run(kill, NULL);
}

static int teardown(void **state)
{
	(void)state;
	kill_agent(g.home);
	kill_agent(g.empty);
	kill_agent(g.pubonly);
	tu_rmtree(g.home);
	tu_rmtree(g.empty);
	tu_rmtree(g.pubonly);
	tu_rmtree(g.work);
	free(g.exp_sig);
	free(g.rev_sig);
	unsetenv("GNUPGHOME");
	return 0;
}

static void test_sign__good(void **state)
{
	char *sig;
	arca_sig_result *r;
	time_t now = time(NULL);

	(void)state;
	use_home(g.home);
	sig = sign_ok(g.good, data, strlen(data));
	assert_non_null(strstr(sig, "-----BEGIN PGP SIGNATURE-----"));
	r = verify_ok(data, strlen(data), sig);
	assert_int_equal(r->count, 1);
	assert_int_equal(r->sigs[0].status, ARCA_SIG_GOOD);
	assert_string_equal(r->sigs[0].fpr, g.good);
	assert_string_equal(r->sigs[0].primary_fpr, g.good);
	assert_true(r->sigs[0].created >= now - 60);
	assert_true(r->sigs[0].created <= now + 60);
	assert_true(r->sigs[0].key_expires > now);
	assert_int_equal(r->sigs[0].key_revoked, 0);
	assert_string_equal(arca_sig_status_name(r->sigs[0].status), "good");
	arca_sig_result_free(r);
	free(sig);

	/* lower case and gpg's spaced form name the same key; empty data */
	{
		char spaced[64], lower[ARCA_FPR_SIZE];
		for (int i = 0; i < 40; i++)
			lower[i] = (char)(g.good[i] | 0x20);
		lower[40] = '\0';
		snprintf(spaced, sizeof(spaced), "%.4s %.4s %.32s", lower,
			lower + 4, lower + 8);
		sig = sign_ok(spaced, "", 0);
		r = verify_ok("", 0, sig);
		assert_int_equal(r->sigs[0].status, ARCA_SIG_GOOD);
		arca_sig_result_free(r);
		free(sig);
	}
	arca_sig_result_free(NULL);
}

static void test_sign__tampered(void **state)
{
	char *sig, *bad = strdup(data);
	arca_sig_result *r;

	(void)state;
	use_home(g.home);
	sig = sign_ok(g.good, data, strlen(data));
	bad[strlen(bad) - 2] = '2';
	r = verify_ok(bad, strlen(bad), sig);
	assert_int_equal(r->count, 1);
	assert_int_equal(r->sigs[0].status, ARCA_SIG_BAD);
	arca_sig_result_free(r);
	/* one byte more */
	r = verify_ok(data, strlen(data) + 1, sig);
	assert_int_equal(r->sigs[0].status, ARCA_SIG_BAD);
	arca_sig_result_free(r);
	free(bad);
	free(sig);
}

static void test_sign__gpg_verifies(void **state)
{
	char *sig, *sig_path, *doc_path;
	const char *argv[] = { "gpg", "--batch", "--verify", NULL, NULL,
		NULL };

	(void)state;
	use_home(g.home);
	sig = sign_ok(g.good, data, strlen(data));
	if (asprintf(&sig_path, "%s/doc.sig", g.work) < 0 ||
		asprintf(&doc_path, "%s/doc", g.work) < 0)
		fail_msg("asprintf");
	write_file(sig_path, sig, strlen(sig));
	write_file(doc_path, data, strlen(data));
	argv[3] = sig_path;
	argv[4] = doc_path;
	assert_int_equal(ut_run(argv, NULL), 0);
	write_file(doc_path, data, strlen(data) - 1);
	assert_int_not_equal(ut_run(argv, NULL), 0);
	free(sig_path);
	free(doc_path);
	free(sig);
}

static void test_sign__unknown_key(void **state)
{
	arca_error err = ARCA_ERROR_INIT;
	char *sig, *none = NULL;
	arca_sig_result *r;

	(void)state;
	use_home(g.home);
	sig = sign_ok(g.good, data, strlen(data));
	use_home(g.empty);
	r = verify_ok(data, strlen(data), sig);
	assert_int_equal(r->count, 1);
	assert_int_equal(r->sigs[0].status, ARCA_SIG_NO_KEY);
	/* the issuer is named (gpg 2.2 puts the full fingerprint in) */
	assert_true(strlen(r->sigs[0].fpr) >= 16);
	assert_non_null(strstr(g.good, r->sigs[0].fpr));
	assert_string_equal(r->sigs[0].primary_fpr, "");
	arca_sig_result_free(r);

	/* signing: no such key, public part only, not a fingerprint */
	assert_int_equal(arca_sign_bytes(g.good, data, strlen(data), &none,
		&err), ARCA_ENOTFOUND);
	assert_non_null(strstr(err.msg, "no key"));
	assert_non_null(strstr(err.msg, g.good));
	use_home(g.pubonly);
	assert_int_equal(arca_sign_bytes(g.good, data, strlen(data), &none,
		&err), ARCA_ENOTFOUND);
	assert_non_null(strstr(err.msg, "has no secret part"));
	r = verify_ok(data, strlen(data), sig); /* but verifies */
	assert_int_equal(r->sigs[0].status, ARCA_SIG_GOOD);
	arca_sig_result_free(r);
	assert_int_equal(arca_sign_bytes("ABCDEF", data, strlen(data), &none,
		&err), ARCA_EINVALID);
	assert_non_null(strstr(err.msg, "not a key fingerprint"));
	assert_null(none);
	use_home(g.home);
	free(sig);
}

static void test_sign__not_a_signature(void **state)
{
	arca_error err = ARCA_ERROR_INIT;
	arca_sig_result *r = NULL;

	(void)state;
	use_home(g.home);
	assert_int_equal(arca_sign_verify(data, strlen(data),
		"hello, not a signature\n", &r, &err), ARCA_EINVALID);
	assert_non_null(strstr(err.msg, "not an OpenPGP signature"));
	assert_int_equal(arca_sign_verify(data, strlen(data), "", &r, &err),
		ARCA_EINVALID);
	assert_null(r);
}

static void test_sign__expired(void **state)
{
	arca_error err = ARCA_ERROR_INIT;
	arca_sig_result *r;
	char *none = NULL;
	time_t wait = g.exp_made + EXPIRE_SECONDS + 2 - time(NULL);

	(void)state;
	use_home(g.home);
	if (wait > 0)
		sleep((unsigned)wait);
	r = verify_ok(data, strlen(data), g.exp_sig);
	assert_int_equal(r->count, 1);
	assert_int_equal(r->sigs[0].status, ARCA_SIG_EXPIRED_KEY);
	assert_string_equal(r->sigs[0].fpr, g.exp);
	assert_true(r->sigs[0].key_expires > 0);
	/* made while the key was valid */
	assert_true(r->sigs[0].created < r->sigs[0].key_expires);
	arca_sig_result_free(r);
	assert_int_equal(arca_sign_bytes(g.exp, data, strlen(data), &none,
		&err), ARCA_EINVALID);
	assert_non_null(strstr(err.msg, "has expired"));
}

static void test_sign__revoked(void **state)
{
	arca_error err = ARCA_ERROR_INIT;
	arca_sig_result *r;
	arca_trust_policy *p = NULL;
	arca_trust_report *rep = NULL;
	char *none = NULL, *yaml;

	(void)state;
	use_home(g.home);
	r = verify_ok(data, strlen(data), g.rev_sig);
	assert_int_equal(r->count, 1);
	assert_int_equal(r->sigs[0].status, ARCA_SIG_REVOKED_KEY);
	assert_string_equal(r->sigs[0].fpr, g.rev);
	assert_int_equal(r->sigs[0].key_revoked, 1);
	assert_int_equal(arca_sign_bytes(g.rev, data, strlen(data), &none,
		&err), ARCA_EINVALID);
	assert_non_null(strstr(err.msg, "is revoked"));

	/* and the trust check on real results */
	if (asprintf(&yaml, "trust: 1\nroles:\n  runner:\n    kinds: [run]\n"
		"    keys: [%s, %s]\n", g.rev, g.good) < 0)
		fail_msg("asprintf");
	if (arca_trust_policy_load_yaml(&p, yaml, strlen(yaml), "t.yaml",
		&err) < 0)
		fail_msg("%s", err.msg);
	assert_int_equal(arca_trust_check(p, "run", r, &rep), 0);
	assert_false(rep->ok);
	assert_int_equal(rep->failures[0].reason, ARCA_TRUST_KEY_REVOKED);
	arca_trust_report_free(rep);
	arca_sig_result_free(r);
	{
		char *sig = sign_ok(g.good, data, strlen(data));
		r = verify_ok(data, strlen(data), sig);
		assert_int_equal(arca_trust_check(p, "run", r, &rep), 0);
		assert_true(rep->ok);
		assert_int_equal(rep->counted, 1);
		arca_trust_report_free(rep);
		arca_sig_result_free(r);
		free(sig);
	}
	arca_trust_policy_free(p);
	free(yaml);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sign__good),
		cmocka_unit_test(test_sign__tampered),
		cmocka_unit_test(test_sign__gpg_verifies),
		cmocka_unit_test(test_sign__unknown_key),
		cmocka_unit_test(test_sign__not_a_signature),
		cmocka_unit_test(test_sign__revoked),
		cmocka_unit_test(test_sign__expired),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
