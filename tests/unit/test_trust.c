/*
 * Trust policies (src/lib/sign/trust*.c): the shipped example loads,
 * policy errors point at line:column, and arca_trust_check gives each
 * failure reason for synthetic verification results (no gpg).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "testutil.h"
#include "sign/trust.h"

#define FA "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
#define FB "BBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBB"
#define FC "CCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCC"
#define FD "DDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDD"
#define FW "EEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEE"
#define FX "9999999999999999999999999999999999999999"
#define FSUB "1111111111111111111111111111111111111111"

#define T2026 1767225600 /* 2026-01-01T00:00:00Z */
#define T2027 1798761600 /* 2027-01-01T00:00:00Z */

static arca_trust_policy *load(const char *yaml)
{
	arca_error err = ARCA_ERROR_INIT;
	arca_trust_policy *p = NULL;

	if (arca_trust_policy_load_yaml(&p, yaml, strlen(yaml), "t.yaml",
		&err) < 0)
		fail_msg("%s", err.msg);
	return p;
}

/* Loading must fail with exactly msg (prefix compared up to its length). */
static void load_fails(const char *yaml, const char *msg)
{
	arca_error err = ARCA_ERROR_INIT;
	arca_trust_policy *p = NULL;

	assert_int_equal(arca_trust_policy_load_yaml(&p, yaml, strlen(yaml),
		"t.yaml", &err), ARCA_EINVALID);
	assert_null(p);
	if (strncmp(err.msg, msg, strlen(msg)))
		fail_msg("expected \"%s\", got \"%s\"", msg, err.msg);
}

static void test_trust__shipped_example(void **state)
{
	const char *src = __FILE__, *slash = strrchr(src, '/');
	arca_error err = ARCA_ERROR_INIT;
	arca_trust_policy *p = NULL;
	char *path;

	(void)state;
	if (asprintf(&path, "%.*s/../../policies/trust.yaml",
		(int)(slash - src), src) < 0)
		fail_msg("asprintf");
	if (arca_trust_policy_load_file(&p, path, &err) < 0)
		fail_msg("%s", err.msg);
	assert_int_equal(p->role_count, 5);
	assert_string_equal(p->roles[0].name, "runner");
	assert_int_equal(p->roles[0].keys[0].from, T2026);
	assert_int_equal(p->roles[0].keys[0].until, T2027);
	assert_int_equal(p->roles[0].keys[1].until, INT64_MAX);
	assert_string_equal(p->roles[1].keys[0].fpr,
		"AAAABBBBCCCCDDDDEEEEFFFF0000111122223333");
	assert_int_equal(p->roles[1].keys[0].from, INT64_MIN);
	assert_string_equal(p->roles[2].kinds[0], "channel:stable");
	assert_string_equal(p->roles[4].kinds[0], "*");
	assert_int_equal(arca_trust_policy_min(p, "channel:stable"), 2);
	assert_int_equal(arca_trust_policy_min(p, "channel:staging"), 1);
	assert_int_equal(arca_trust_policy_min(p, "run"), 1);
	/* channels: the stable rule, and staging's default count */
	assert_int_equal(p->channel_count, 2);
	assert_non_null(arca_trust_policy_channel(p, "stable"));
	assert_int_equal(arca_trust_policy_channel(p, "stable")->min_signatures,
		2);
	assert_int_equal(arca_trust_policy_channel(p, "stable")->role_count, 2);
	assert_string_equal(arca_trust_policy_channel(p, "stable")->roles[1],
		"release-manager");
	assert_int_equal(arca_trust_policy_channel(p,
		"staging")->min_signatures, 1);
	assert_null(arca_trust_policy_channel(p, "beta"));
	arca_trust_policy_free(p);
	free(path);

	assert_int_equal(arca_trust_policy_load_file(&p, "/nonexistent/t.yaml",
		&err), ARCA_ENOTFOUND);
	arca_trust_policy_free(NULL);
}

static void test_trust__errors(void **state)
{
	(void)state;
	load_fails("trust: 1\nroles: {r: {kinds: [x], keys: [" FA "]}}\n"
		"bogus: 2\n",
		"t.yaml:3:1: unknown key \"bogus\" in the trust policy "
		"(expected one of: trust, roles, signatures, channels)");
	load_fails("trust: 1\nroles:\n  r:\n    kinds: [x]\n    keys: [" FA
		"]\n    key: []\n",
		"t.yaml:6:5: unknown key \"key\" in role \"r\"");
	load_fails("trust: 1\nroles:\n  r:\n    kinds: [x]\n    keys:\n"
		"      - fingerprint: " FA "\n        untill: 2027-01-01\n",
		"t.yaml:7:9: unknown key \"untill\" in a key");
	load_fails("trust: 1\nroles:\n  r:\n    kinds: [x]\n    keys:\n"
		"      - " FA "\n      - ABCDEF\n",
		"t.yaml:7:9: fingerprint \"ABCDEF\" must be 40 hex digits");
	load_fails("trust: 1\nroles:\n  r:\n    kinds: [x]\n    keys:\n"
		"      - \"" FA "G\"\n",
		"t.yaml:6:9: fingerprint \"" FA "G\" must be 40 hex digits");
	load_fails("trust: 1\nroles:\n  r:\n    kinds: [x]\n    keys: [" FA
		"]\n  s:\n    kinds: [y]\n    keys: [" FB "]\n"
		"  r:\n    kinds: [z]\n    keys: [" FC "]\n",
		"t.yaml:9:3: duplicate key (a role, or a kind under signatures, "
		"is listed twice)");
	load_fails("trust: 1\nroles:\n  r:\n    kinds: [x]\n    keys:\n"
		"      - fingerprint: " FA "\n        from: 2026-13-01\n",
		"t.yaml:7:15: from \"2026-13-01\" is not a date "
		"(YYYY-MM-DD or YYYY-MM-DDTHH:MM:SSZ)");
	load_fails("trust: 1\nroles:\n  r:\n    kinds: [x]\n    keys:\n"
		"      - {fingerprint: " FA ", until: 2026-02-30}\n",
		"t.yaml:6:72: until \"2026-02-30\" is not a date");
	load_fails("trust: 1\nroles:\n  r:\n    kinds: [x]\n    keys:\n"
		"      - {fingerprint: " FA ", from: \"2026-01-01 10:00\"}\n",
		"t.yaml:6:71: from \"2026-01-01 10:00\" is not a date");
	load_fails("trust: 1\nroles:\n  r:\n    kinds: [x]\n    keys:\n"
		"      - {fingerprint: " FA ", from: 2027-01-01, "
		"until: 2026-01-01}\n",
		"t.yaml:6:90: until must be after from");
	load_fails("trust: 1\nroles:\n  r:\n    kinds: [x]\n    keys:\n"
		"      - " FA "\n      - \"" FA "\"\n",
		"t.yaml:7:9: key " FA " is listed twice in role \"r\"");
	load_fails("trust: 2\nroles: {}\n",
		"t.yaml:1:8: unsupported trust policy version 2");
	load_fails("roles: {r: {kinds: [x], keys: [" FA "]}}\n",
		"t.yaml:1:1: missing \"trust: 1\"");
	load_fails("trust: 1\nroles:\n  r:\n    keys: [" FA "]\n",
		"t.yaml:3:3: role \"r\" has no kinds");
	load_fails("trust: 1\nroles:\n  r:\n    kinds: [\"Bad Kind\"]\n"
		"    keys: [" FA "]\n",
		"t.yaml:4:13: kind \"Bad Kind\" must be");
	load_fails("trust: 1\nroles: {r: {kinds: [x], keys: [" FA "]}}\n"
		"signatures:\n  promotion: 0\n",
		"t.yaml:4:14: promotion must be between 1 and 100");
	load_fails("trust: 1\nroles: {r: {kinds: [x], keys: [" FA "]}}\n"
		"signatures:\n  default: two\n",
		"t.yaml:4:12: default must be a number");
	load_fails("trust: 1\nroles: [\n",
		"t.yaml:");
}

static const char *policy_yaml =
	"trust: 1\n"
	"roles:\n"
	"  runner:\n"
	"    kinds: [run]\n"
	"    keys:\n"
	"      - " FA "\n"
	"      - {fingerprint: " FW ", from: 2026-01-01, until: 2027-01-01}\n"
	"  release-manager:\n"
	"    kinds: [promotion]\n"
	"    keys: [" FB "]\n"
	"  approver:\n"
	"    kinds: [\"promotion:stable\"]\n"
	"    keys: [" FC "]\n"
	"  auditor:\n"
	"    kinds: [\"*\"]\n"
	"    keys: [" FD "]\n"
	"signatures:\n"
	"  promotion:stable: 2\n";

static arca_sig sig(const char *fpr, const char *primary,
	arca_sig_status st)
{
	arca_sig s;

	memset(&s, 0, sizeof(s));
	snprintf(s.fpr, sizeof(s.fpr), "%s", fpr);
	snprintf(s.primary_fpr, sizeof(s.primary_fpr), "%s", primary);
	s.status = st;
	s.created = T2026 + 86400;
	return s;
}

/* Checks sigs for kind; expects ok, or exactly one failure of reason
 * whose message contains text. */
static void expect(const arca_trust_policy *p, const char *kind,
	arca_sig *sigs, size_t n, int ok, arca_trust_reason reason,
	const char *text)
{
	arca_sig_result res = { n, sigs };
	arca_trust_report *r = NULL;

	assert_int_equal(arca_trust_check(p, kind, n ? &res : NULL, &r), 0);
	assert_non_null(r);
	if (ok) {
		if (!r->ok)
			fail_msg("expected ok, got %s", r->failures[0].message);
		assert_int_equal(r->failure_count, 0);
	} else {
		assert_false(r->ok);
		if (r->failure_count < 1 || r->failures[0].reason != reason)
			fail_msg("expected %s, got %s: %s",
				arca_trust_reason_name(reason),
				r->failure_count ? arca_trust_reason_name(
				r->failures[0].reason) : "nothing",
				r->failure_count ? r->failures[0].message : "");
		if (!strstr(r->failures[0].message, text))
			fail_msg("\"%s\" not in \"%s\"", text,
				r->failures[0].message);
	}
	arca_trust_report_free(r);
}

static void test_trust__check(void **state)
{
	arca_trust_policy *p = load(policy_yaml);
	arca_sig s[3];
	arca_sig_result res;
	arca_trust_report *r = NULL;

	(void)state;
	/* good, by primary or by subkey of a listed primary */
	s[0] = sig(FA, FA, ARCA_SIG_GOOD);
	expect(p, "run", s, 1, 1, 0, NULL);
	s[0] = sig(FSUB, FA, ARCA_SIG_GOOD);
	expect(p, "run", s, 1, 1, 0, NULL);
	s[0] = sig(FD, FD, ARCA_SIG_GOOD); /* auditor: any kind */
	expect(p, "whatever:x", s, 1, 1, 0, NULL);

	/* bad signature (tampered bytes) */
	s[0] = sig(FA, FA, ARCA_SIG_BAD);
	expect(p, "run", s, 1, 0, ARCA_TRUST_BAD_SIGNATURE,
		"bad signature by key " FA);
	s[0] = sig(FA, FA, ARCA_SIG_ERROR);
	expect(p, "run", s, 1, 0, ARCA_TRUST_BAD_SIGNATURE,
		"could not be checked");

	/* unknown key: not in the keyring, or in no role */
	s[0] = sig("0123456789ABCDEF", "", ARCA_SIG_NO_KEY);
	expect(p, "run", s, 1, 0, ARCA_TRUST_UNKNOWN_KEY,
		"0123456789ABCDEF: it is not in the keyring");
	s[0] = sig(FX, FX, ARCA_SIG_GOOD);
	expect(p, "run", s, 1, 0, ARCA_TRUST_UNKNOWN_KEY,
		"unknown key " FX ": it is in no role");

	/* not allowed for this kind */
	s[0] = sig(FA, FA, ARCA_SIG_GOOD);
	expect(p, "promotion", s, 1, 0, ARCA_TRUST_KEY_NOT_ALLOWED,
		"key " FA " (role runner) may not sign promotion records");
	s[0] = sig(FC, FC, ARCA_SIG_GOOD); /* approver: stable only */
	expect(p, "promotion:beta", s, 1, 0, ARCA_TRUST_KEY_NOT_ALLOWED,
		"(role approver) may not sign promotion:beta");

	/* expired at signing time (gpg), and expired later (still fine) */
	s[0] = sig(FA, FA, ARCA_SIG_EXPIRED_KEY);
	s[0].key_expires = s[0].created;
	expect(p, "run", s, 1, 0, ARCA_TRUST_KEY_EXPIRED,
		"key " FA " had expired (2026-01-02T00:00:00Z) when it signed");
	s[0].key_expires = s[0].created + 1;
	expect(p, "run", s, 1, 1, 0, NULL);
	s[0] = sig(FA, FA, ARCA_SIG_EXPIRED_SIG);
	expect(p, "run", s, 1, 0, ARCA_TRUST_KEY_EXPIRED, "has expired");

	/* outside the policy's window for the key */
	s[0] = sig(FW, FW, ARCA_SIG_GOOD);
	expect(p, "run", s, 1, 1, 0, NULL);
	s[0].created = T2027;
	expect(p, "run", s, 1, 0, ARCA_TRUST_KEY_EXPIRED,
		"signed at 2027-01-01T00:00:00Z, outside its validity window");
	s[0].created = T2026 - 1;
	expect(p, "run", s, 1, 0, ARCA_TRUST_KEY_EXPIRED, "outside");

	/* revoked */
	s[0] = sig(FA, FA, ARCA_SIG_REVOKED_KEY);
	expect(p, "run", s, 1, 0, ARCA_TRUST_KEY_REVOKED,
		"key " FA ", which is revoked");
	s[0] = sig(FA, FA, ARCA_SIG_GOOD);
	s[0].key_revoked = 1;
	expect(p, "run", s, 1, 0, ARCA_TRUST_KEY_REVOKED, "revoked");

	/* missing */
	expect(p, "run", NULL, 0, 0, ARCA_TRUST_SIGNATURE_MISSING,
		"run record is not signed (1 signature required)");

	/* fewer than required: stable promotion needs two distinct keys */
	s[0] = sig(FB, FB, ARCA_SIG_GOOD);
	expect(p, "promotion:stable", s, 1, 0, ARCA_TRUST_TOO_FEW,
		"promotion:stable record has 1 valid signature, 2 required");
	s[1] = sig(FSUB, FB, ARCA_SIG_GOOD); /* same key, via a subkey */
	expect(p, "promotion:stable", s, 2, 0, ARCA_TRUST_TOO_FEW,
		"has 1 valid signature, 2 required");
	s[1] = sig(FC, FC, ARCA_SIG_GOOD);
	expect(p, "promotion:stable", s, 2, 1, 0, NULL);
	expect(p, "promotion", s, 1, 1, 0, NULL);

	/* every failure is listed: one bad, one unknown, then too few */
	s[0] = sig(FB, FB, ARCA_SIG_BAD);
	s[1] = sig(FX, FX, ARCA_SIG_GOOD);
	s[2] = sig(FC, FC, ARCA_SIG_GOOD);
	res.count = 3;
	res.sigs = s;
	assert_int_equal(arca_trust_check(p, "promotion:stable", &res, &r), 0);
	assert_false(r->ok);
	assert_int_equal(r->required, 2);
	assert_int_equal(r->counted, 1);
	assert_int_equal(r->failure_count, 3);
	assert_int_equal(r->failures[0].reason, ARCA_TRUST_BAD_SIGNATURE);
	assert_string_equal(r->failures[0].fpr, FB);
	assert_int_equal(r->failures[1].reason, ARCA_TRUST_UNKNOWN_KEY);
	assert_int_equal(r->failures[2].reason, ARCA_TRUST_TOO_FEW);
	assert_string_equal(r->failures[2].fpr, "");
	arca_trust_report_free(r);
	arca_trust_report_free(NULL);

	assert_string_equal(arca_trust_reason_name(ARCA_TRUST_TOO_FEW),
		"too-few-signatures");
	arca_trust_policy_free(p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_trust__shipped_example),
		cmocka_unit_test(test_trust__errors),
		cmocka_unit_test(test_trust__check),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
