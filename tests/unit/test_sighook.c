/*
 * The repository's signer and signing hook (src/lib/repo/sign_hook.c),
 * with real keys in a throwaway GNUPGHOME: which kinds record_add signs
 * (a run only when terminal), what a signature record holds, that the
 * signature verifies over the object's exact bytes, that record_copy
 * never signs, that signing twice with one key adds nothing while a
 * forged claim of our fingerprint does not count, require_signatures
 * refusing without writing, and the checks of arca_sig_check.
 */
#include <ftw.h>
#include <sys/stat.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <jansson.h>
#include "testutil.h"
#include "repo_fixture.h"
#include "ut_gpg.h"
#include "ut_repo.h"
#include "arca/sign.h"
#include "util/json.h"

static struct {
	char *home;
	char k1[ARCA_FPR_SIZE], k2[ARCA_FPR_SIZE];
	char policy[512];
} g;

static int group_setup(void **state)
{
	(void)state;
	g.home = ut_gpg_home();
	ut_gpg_gen_key("One <one@example>", "1d", g.k1);
	ut_gpg_gen_key("Two <two@example>", "1d", g.k2);
	snprintf(g.policy, sizeof(g.policy), "trust: 1\nroles:\n  r:\n"
		"    kinds: [\"*\"]\n    keys: [%s, %s]\n", g.k1, g.k2);
	return 0;
}

static int group_teardown(void **state)
{
	(void)state;
	ut_gpg_home_free(g.home);
	return 0;
}

typedef struct fx {
	char *dir;
	arca_repo *r;
} fx;

static int setup(void **state)
{
	fx *f = calloc(1, sizeof(*f));

	f->r = tu_repo_new(&f->dir);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	fx *f = *state;

	arca_repo_free(f->r);
	tu_rmtree(f->dir);
	free(f);
	return 0;
}

static arca_id put_json(arca_repo *r, const char *text)
{
	arca_error err = ARCA_ERROR_INIT;
	json_t *doc = json_loads(text, 0, NULL);
	arca_id id;

	assert_non_null(doc);
	if (arca_repo__json_put(r, &id, doc, 0, &err) < 0)
		fail_msg("%s", err.msg);
	json_decref(doc);
	return id;
}

typedef struct sigs {
	arca_id v[8];
	size_t n;
} sigs;

static int sigs_cb(const char *name, const arca_id *id, void *payload)
{
	sigs *s = payload;

	(void)name;
	if (id && s->n < 8)
		s->v[s->n++] = *id;
	return 0;
}

/* The signature records of id. */
static sigs sigs_of(arca_repo *r, const arca_id *id)
{
	char prefix[ARCA_KEY_MAX], hex[ARCA_ID_HEXSZ + 1];
	arca_error err = ARCA_ERROR_INIT;
	sigs s = { .n = 0 };

	arca_id_hex(hex, id);
	snprintf(prefix, sizeof(prefix), "signatures/%s/", hex);
	if (arca_repo__ref_list(r, prefix, sigs_cb, &s, &err) < 0)
		fail_msg("%s", err.msg);
	return s;
}

static int listed(fx *f, const char *kind, const arca_id *id)
{
	char path[4200], hex[ARCA_ID_HEXSZ + 1];

	arca_id_hex(hex, id);
	snprintf(path, sizeof(path), "%s/repo/records/%s/%s", f->dir, kind,
		hex);
	return access(path, F_OK) == 0;
}

static void add_ok(arca_repo *r, const char *kind, const arca_id *id)
{
	arca_error err = ARCA_ERROR_INIT;

	if (arca_repo__record_add(r, kind, id, &err) < 0)
		fail_msg("record_add %s: %s", kind, err.msg);
}

static void test_sighook__key(void **state)
{
	fx *f = *state;
	arca_error err = ARCA_ERROR_INIT;

	assert_null(arca_repo_signing_key(f->r));
	assert_int_equal(arca_repo_set_signing_key(f->r, "ABCD", &err),
		ARCA_EINVALID);
	ut_assert_msg(&err, "not a key fingerprint");
	assert_int_equal(arca_repo_set_signing_key(f->r,
		"0123456789ABCDEF0123456789ABCDEF01234567", &err),
		ARCA_ENOTFOUND);
	ut_assert_msg(&err, "signing key: no key 0123456789ABCDEF0123456789"
		"ABCDEF01234567 in the keyring");
	assert_null(arca_repo_signing_key(f->r));
	assert_int_equal(arca_repo_set_signing_key(f->r, g.k1, &err), 0);
	assert_string_equal(arca_repo_signing_key(f->r), g.k1);
	/* a failed change keeps the key in force */
	assert_int_equal(arca_repo_set_signing_key(f->r, "x", &err),
		ARCA_EINVALID);
	assert_string_equal(arca_repo_signing_key(f->r), g.k1);
	assert_int_equal(arca_signing_key_check(g.k2, &err), 0);
	assert_int_equal(arca_repo_set_signing_key(f->r, NULL, &err), 0);
	assert_null(arca_repo_signing_key(f->r));
}

static void test_sighook__kinds(void **state)
{
	fx *f = *state;
	arca_error err = ARCA_ERROR_INIT;
	static const char *const kinds[] = { "snapshot", "dataset",
		"dataset-schema", "dataset-version", "dataset-tag",
		"dataset-ack", "run-approval", "adapter", "channel" };
	arca_id id;
	char text[128];

	/* no signer: nothing is signed */
	id = put_json(f->r, "{\"type\":\"snapshot\",\"n\":0}");
	add_ok(f->r, "snapshot", &id);
	assert_int_equal(sigs_of(f->r, &id).n, 0);
	assert_int_equal(arca_repo_set_signing_key(f->r, g.k1, &err), 0);
	for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
		snprintf(text, sizeof(text), "{\"type\":\"%s\"}", kinds[i]);
		id = put_json(f->r, text);
		add_ok(f->r, kinds[i], &id);
		assert_int_equal(sigs_of(f->r, &id).n, 1);
		assert_true(listed(f, kinds[i], &id));
		assert_true(arca_repo__signed_kind(kinds[i]));
	}
	/* kinds that are not signed */
	id = put_json(f->r, "{\"type\":\"other\"}");
	add_ok(f->r, "other", &id);
	assert_int_equal(sigs_of(f->r, &id).n, 0);
	assert_false(arca_repo__signed_kind("signature"));
	/* a copy (push, pull) is never signed */
	id = put_json(f->r, "{\"type\":\"snapshot\",\"n\":1}");
	assert_int_equal(arca_repo__record_copy(f->r, "snapshot", &id,
		&err), 0);
	assert_int_equal(sigs_of(f->r, &id).n, 0);
	assert_true(listed(f, "snapshot", &id));
}

static void test_sighook__run_manifest_only(void **state)
{
	fx *f = *state;
	arca_error err = ARCA_ERROR_INIT;
	static const struct { const char *status; size_t n; } cases[] = {
		{ "running", 0 }, { "awaiting-approval", 0 },
		{ "succeeded", 1 }, { "failed", 1 }, { "gated", 1 } };
	char text[128];

	assert_int_equal(arca_repo_set_signing_key(f->r, g.k1, &err), 0);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		arca_id id;
		snprintf(text, sizeof(text), "{\"type\":\"run\",\"status\":"
			"\"%s\"}", cases[i].status);
		id = put_json(f->r, text);
		add_ok(f->r, "run", &id);
		assert_int_equal(sigs_of(f->r, &id).n, cases[i].n);
	}
}

static void test_sighook__signature_record(void **state)
{
	fx *f = *state;
	arca_error err = ARCA_ERROR_INIT;
	arca_sig_result *res = NULL;
	unsigned char *data, *sig;
	size_t len, slen;
	arca_id id, sid;
	json_t *doc;
	char s[ARCA_ID_STRSZ];
	sigs list;

	assert_int_equal(arca_repo_set_signing_key(f->r, g.k1, &err), 0);
	id = put_json(f->r, "{\"type\":\"snapshot\",\"x\":\"\\u00e9\"}");
	add_ok(f->r, "snapshot", &id);
	list = sigs_of(f->r, &id);
	assert_int_equal(list.n, 1);
	assert_true(listed(f, "signature", &list.v[0]));
	assert_int_equal(arca_repo__json_get(f->r, &doc, &list.v[0], "sig",
		&err), 0);
	arca_id_str(s, &id);
	assert_string_equal(json_string_value(json_object_get(doc, "type")),
		"signature");
	assert_int_equal(json_integer_value(json_object_get(doc, "version")),
		1);
	assert_string_equal(json_string_value(json_object_get(doc, "signs")),
		s);
	assert_string_equal(json_string_value(json_object_get(doc, "kind")),
		"snapshot");
	assert_string_equal(json_string_value(json_object_get(doc,
		"fingerprint")), g.k1);
	assert_string_equal(json_string_value(json_object_get(doc,
		"primary_fingerprint")), g.k1);
	assert_non_null(json_object_get(doc, "time"));
	assert_non_null(json_object_get(doc, "username"));
	assert_non_null(json_object_get(doc, "hostname"));
	assert_int_equal(arca_id_parse(&sid, json_string_value(
		json_object_get(doc, "signature"))), 0);
	json_decref(doc);
	/* the signature is over the object's exact bytes */
	assert_int_equal(arca_repo_object_read(f->r, &data, &len, &id, &err),
		0);
	assert_int_equal(arca_repo_object_read(f->r, &sig, &slen, &sid, &err),
		0);
	assert_non_null(strstr((char *)sig, "-----BEGIN PGP SIGNATURE-----"));
	assert_int_equal(arca_sign_verify(data, len, (char *)sig, &res, &err),
		0);
	assert_int_equal(res->count, 1);
	assert_int_equal(res->sigs[0].status, ARCA_SIG_GOOD);
	assert_string_equal(res->sigs[0].primary_fpr, g.k1);
	arca_sig_result_free(res);
	data[len - 1] ^= 1;
	assert_int_equal(arca_sign_verify(data, len, (char *)sig, &res, &err),
		0);
	assert_int_equal(res->sigs[0].status, ARCA_SIG_BAD);
	arca_sig_result_free(res);
	free(data);
	free(sig);
}

static void test_sighook__sign_twice(void **state)
{
	fx *f = *state;
	arca_error err = ARCA_ERROR_INIT;
	arca_id id, other, forged;
	json_t *doc;
	sigs list;
	char ref[ARCA_KEY_MAX], hex[ARCA_ID_HEXSZ + 1], fh[ARCA_ID_HEXSZ + 1];
	int added = -1;

	id = put_json(f->r, "{\"type\":\"tree\",\"entries\":[]}");
	assert_int_equal(arca_repo__sign_object_ex(f->r, &id, "object", &added,
		&err), 0); /* no signer: nothing */
	assert_int_equal(added, 0);
	assert_int_equal(sigs_of(f->r, &id).n, 0);
	assert_int_equal(arca_repo_set_signing_key(f->r, g.k1, &err), 0);
	assert_int_equal(arca_repo__sign_object_ex(f->r, &id, "object", &added,
		&err), 0);
	assert_int_equal(added, 1);
	assert_int_equal(arca_repo__sign_object_ex(f->r, &id, "object", &added,
		&err), 0);
	assert_int_equal(added, 0);
	assert_int_equal(sigs_of(f->r, &id).n, 1);
	assert_int_equal(arca_repo__sign_object_ex(f->r, &id, "Bad Kind",
		&added, &err), ARCA_EINVALID);

	/* a record that claims k2 signed it, over other bytes, does not make
	 * k2's signature "already there" */
	other = put_json(f->r, "{\"other\":1}");
	assert_int_equal(arca_repo_set_signing_key(f->r, g.k2, &err), 0);
	assert_int_equal(arca_repo__sign_object(f->r, &other, "object", &err),
		0);
	list = sigs_of(f->r, &other);
	assert_int_equal(list.n, 1);
	assert_int_equal(arca_repo__json_get(f->r, &doc, &list.v[0], "sig",
		&err), 0);
	json_object_set_new(doc, "signs", arca_json_id(&id));
	assert_int_equal(arca_repo__json_put(f->r, &forged, doc, 0, &err), 0);
	json_decref(doc);
	assert_int_equal(arca_repo__record_copy(f->r, "signature", &forged,
		&err), 0);
	arca_id_hex(hex, &id);
	arca_id_hex(fh, &forged);
	snprintf(ref, sizeof(ref), "signatures/%s/%s", hex, fh);
	assert_int_equal(arca_repo__ref_set(f->r, ref, &forged, &err), 0);
	assert_int_equal(arca_repo__sign_object_ex(f->r, &id, "object", &added,
		&err), 0);
	assert_int_equal(added, 1);
	assert_int_equal(sigs_of(f->r, &id).n, 3);
}

/* The files under dir/repo/{objects,records,refs}, counted. */
static size_t nfiles;

static int count_cb(const char *path, const struct stat *st, int type,
	struct FTW *ftw)
{
	(void)path;
	(void)st;
	(void)ftw;
	nfiles += type == FTW_F;
	return 0;
}

static size_t count_keys(const char *dir)
{
	static const char *const sub[] = { "objects", "records", "refs" };
	char path[4200];

	nfiles = 0;
	for (int i = 0; i < 3; i++) {
		snprintf(path, sizeof(path), "%s/repo/%s", dir, sub[i]);
		nftw(path, count_cb, 16, FTW_PHYS);
	}
	return nfiles;
}

/* The signature of id verifies over id's stored bytes, by key fpr. */
static void assert_signed_by(arca_repo *r, const arca_id *id,
	const char *fpr)
{
	arca_error err = ARCA_ERROR_INIT;
	arca_sig_result *res = NULL;
	unsigned char *data, *sig;
	size_t len, slen;
	sigs list = sigs_of(r, id);
	json_t *doc;
	arca_id sid;

	assert_int_equal(list.n, 1);
	assert_int_equal(arca_repo__json_get(r, &doc, &list.v[0], "sig",
		&err), 0);
	assert_int_equal(arca_id_parse(&sid, json_string_value(
		json_object_get(doc, "signature"))), 0);
	json_decref(doc);
	assert_int_equal(arca_repo_object_read(r, &data, &len, id, &err), 0);
	assert_int_equal(arca_repo_object_read(r, &sig, &slen, &sid, &err), 0);
	assert_int_equal(arca_sign_verify(data, len, (char *)sig, &res, &err),
		0);
	assert_int_equal(res->count, 1);
	assert_int_equal(res->sigs[0].status, ARCA_SIG_GOOD);
	assert_string_equal(res->sigs[0].primary_fpr, fpr);
	arca_sig_result_free(res);
	free(data);
	free(sig);
}

/* Temp files left in the repository (a staged put never flushed). */
static int tmp_cb(const char *path, const struct stat *st, int flag,
	struct FTW *ftw)
{
	(void)st;
	(void)flag;
	if (!strncmp(path + ftw->base, ".tmp-", 5))
		nfiles++;
	return 0;
}

static size_t count_tmps(const char *dir)
{
	char path[4200];

	nfiles = 0;
	snprintf(path, sizeof(path), "%s/repo", dir);
	nftw(path, tmp_cb, 16, FTW_PHYS);
	return nfiles;
}

static void test_sighook__record_put(void **state)
{
	fx *f = *state;
	arca_error err = ARCA_ERROR_INIT;
	arca_repo_sigs batch = { 0 };
	arca_put_result a, b;
	json_t *doc;
	arca_id id, run;

	/* without a signer: an ordinary record, listed */
	doc = json_loads("{\"type\":\"snapshot\",\"n\":1}", 0, NULL);
	assert_int_equal(arca_repo__record_put(f->r, "snapshot", doc, &id,
		NULL, &err), 0);
	json_decref(doc);
	assert_true(listed(f, "snapshot", &id));
	assert_int_equal(sigs_of(f->r, &id).n, 0);

	/* with one: the record and its signature, nothing left staged */
	assert_int_equal(arca_repo_set_signing_key(f->r, g.k1, &err), 0);
	doc = json_loads("{\"type\":\"snapshot\",\"n\":2}", 0, NULL);
	assert_int_equal(arca_repo__record_put(f->r, "snapshot", doc, &id,
		NULL, &err), 0);
	json_decref(doc);
	assert_true(listed(f, "snapshot", &id));
	assert_signed_by(f->r, &id, g.k1);
	assert_int_equal(count_tmps(f->dir), 0);

	/* a run's journal state is not signed, its manifest is */
	doc = json_loads("{\"type\":\"run\",\"status\":\"running\"}", 0,
		NULL);
	assert_int_equal(arca_repo__record_put(f->r, "run", doc, &run, NULL,
		&err), 0);
	json_decref(doc);
	assert_true(listed(f, "run", &run));
	assert_int_equal(sigs_of(f->r, &run).n, 0);
	doc = json_loads("{\"type\":\"run\",\"status\":\"gated\"}", 0,
		NULL);
	assert_int_equal(arca_repo__record_put(f->r, "run", doc, &run, NULL,
		&err), 0);
	json_decref(doc);
	assert_signed_by(f->r, &run, g.k1);

	/* a batch: two staged objects signed with the record naming them;
	 * nothing is visible before the record is put */
	assert_int_equal(arca_repo__object_put(f->r, &a, "package", 7,
		ARCA_REPO_PUT_DEFER, NULL, &err), 0);
	assert_int_equal(arca_repo__object_put(f->r, &b, "manifest", 8,
		ARCA_REPO_PUT_DEFER, NULL, &err), 0);
	assert_int_equal(arca_repo__sign_add(f->r, &batch, &a.id,
		"adapter-package", "package", 7, &err), 0);
	assert_int_equal(arca_repo__sign_add(f->r, &batch, &b.id,
		"adapter-manifest", "manifest", 8, &err), 0);
	assert_int_equal(batch.n, 2);
	assert_int_equal(sigs_of(f->r, &a.id).n, 0);
	assert_int_not_equal(count_tmps(f->dir), 0);
	doc = json_loads("{\"type\":\"adapter\"}", 0, NULL);
	assert_int_equal(arca_repo__record_put(f->r, "adapter", doc, &id,
		&batch, &err), 0);
	json_decref(doc);
	assert_int_equal(batch.n, 0);
	assert_int_equal(count_tmps(f->dir), 0);
	assert_true(listed(f, "adapter", &id));
	assert_signed_by(f->r, &a.id, g.k1);
	assert_signed_by(f->r, &b.id, g.k1);
	assert_signed_by(f->r, &id, g.k1);
	/* signing again with the same key adds nothing */
	assert_int_equal(arca_repo__sign_add(f->r, &batch, &a.id,
		"adapter-package", "package", 7, &err), 0);
	assert_int_equal(batch.n, 0);
}

static void test_sighook__require_signatures(void **state)
{
	arca_repo_init_opts io = ARCA_REPO_INIT_OPTS_INIT;
	arca_error err = ARCA_ERROR_INIT;
	char *dir = tu_mkdtemp(), path[4200];
	arca_repo *r;
	arca_id id;
	size_t before;

	(void)state;
	snprintf(path, sizeof(path), "%s/repo", dir);
	io.require_signatures = 1;
	assert_int_equal(arca_repo_init(&r, path, &io, &err), 0);
	arca_repo_free(r);
	r = ut_repo_open(path);
	assert_int_equal(arca_repo_requires_signatures(r), 1);
	assert_int_equal(arca_repo_signing_check(r, &err), ARCA_EPOLICY);
	ut_assert_msg(&err, "requires signatures and no signing key is "
		"configured: set one with 'arca config set signing.key");
	id = put_json(r, "{\"type\":\"snapshot\"}");
	before = count_keys(dir);
	/* the last line of defence: no record of a signed kind unsigned */
	assert_int_equal(arca_repo__record_add(r, "snapshot", &id, &err),
		ARCA_EPOLICY);
	assert_int_equal(arca_repo__sign_object(r, &id, "adapter-package",
		&err), ARCA_EPOLICY);
	{
		json_t *doc = json_loads("{\"type\":\"run\",\"status\":"
			"\"running\"}", 0, NULL);
		arca_id rid;
		/* record_put refuses before it writes the object, even a
		 * run state that would not be signed */
		assert_int_equal(arca_repo__record_put(r, "run", doc, &rid,
			NULL, &err), ARCA_EPOLICY);
		json_decref(doc);
	}
	assert_int_equal(count_keys(dir), before);
	/* kinds that are not signed, and copies, are not refused */
	assert_int_equal(arca_repo__record_add(r, "other", &id, &err), 0);
	assert_int_equal(arca_repo__record_copy(r, "snapshot", &id, &err), 0);
	assert_int_equal(arca_repo_set_signing_key(r, g.k1, &err), 0);
	assert_int_equal(arca_repo_signing_check(r, &err), 0);
	id = put_json(r, "{\"type\":\"snapshot\",\"n\":2}");
	assert_int_equal(arca_repo__record_add(r, "snapshot", &id, &err), 0);
	assert_int_equal(sigs_of(r, &id).n, 1);
	arca_repo_free(r);
	tu_rmtree(dir);

	/* a repository made without it does not require signatures */
	r = tu_repo_new(&dir);
	assert_int_equal(arca_repo_requires_signatures(r), 0);
	assert_int_equal(arca_repo_signing_check(r, &err), 0);
	arca_repo_free(r);
	tu_rmtree(dir);
}

static void test_sighook__check(void **state)
{
	fx *f = *state;
	arca_error err = ARCA_ERROR_INIT;
	arca_trust_policy *p = NULL;
	arca_sig_report *rep = NULL;
	arca_sign_target t;
	char path[4200];
	FILE *w;

	snprintf(path, sizeof(path), "%s/trust.yaml", f->dir);
	assert_non_null(w = fopen(path, "w"));
	fputs(g.policy, w);
	fclose(w);
	assert_int_equal(arca_trust_policy_load_file(&p, path, &err), 0);
	memset(&t, 0, sizeof(t));
	t.id = put_json(f->r, "{\"type\":\"channel\",\"channel\":\"stable\"}");
	snprintf(t.kind, sizeof(t.kind), "channel");
	snprintf(t.label, sizeof(t.label), "test");
	assert_int_equal(arca_sig_check(&rep, f->r, &t, p, &err), 0);
	assert_false(rep->ok);
	assert_string_equal(rep->kind, "channel:stable");
	assert_string_equal(rep->reason, "signature-missing");
	assert_int_equal(rep->nsigs, 0);
	arca_sig_report_free(rep);
	assert_int_equal(arca_repo_set_signing_key(f->r, g.k1, &err), 0);
	add_ok(f->r, "channel", &t.id);
	assert_int_equal(arca_repo_set_signing_key(f->r, g.k2, &err), 0);
	assert_int_equal(arca_repo__sign_object(f->r, &t.id, "channel", &err),
		0);
	assert_int_equal(arca_sig_check(&rep, f->r, &t, p, &err), 0);
	assert_true(rep->ok);
	assert_int_equal(rep->counted, 2);
	assert_int_equal(rep->nsigs, 2);
	assert_string_equal(rep->sigs[0].status, "good");
	assert_string_equal(rep->sigs[0].roles, "r");
	assert_string_equal(rep->sigs[0].reason, "");
	assert_false(arca_id_is_zero(&rep->sigs[0].object));
	arca_sig_report_free(rep);
	/* only the roles given count, and at least min of them */
	{
		char *roles[] = { "r" };
		assert_int_equal(arca_sig_check_roles(&rep, f->r, &t, p, roles,
			1, 3, &err), 0);
		assert_false(rep->ok);
		assert_int_equal(rep->required, 3);
		assert_string_equal(rep->reason, "too-few-signatures");
		arca_sig_report_free(rep);
	}
	arca_trust_policy_free(p);
}

/* Writes len bytes to dir/name; the path, malloc'd. */
static char *write_tmp(const char *dir, const char *name, const void *data,
	size_t len)
{
	char *path;
	FILE *w;

	if (asprintf(&path, "%s/%s", dir, name) < 0 ||
		!(w = fopen(path, "wb")) || fwrite(data, 1, len, w) != len ||
		fclose(w))
		fail_msg("writing %s", name);
	return path;
}

/* Signs with a key of each algorithm the agent path handles, through the
 * agent and through gpg: gpgme and plain gpg --verify accept each. */
static void test_sighook__signer_algorithms(void **state)
{
	static const char *const algos[] = { "ed25519", "rsa2048",
		"nistp256" };
	static const char data[] = "{\"type\":\"snapshot\"}\n\0binary";
	char fpr[ARCA_FPR_SIZE], uid[64], *dir = tu_mkdtemp();

	(void)state;
	for (size_t i = 0; i < 3; i++) {
		snprintf(uid, sizeof(uid), "Algo %s <%s@example>", algos[i],
			algos[i]);
		{
			const char *gen[] = { "gpg", "--batch", "--pinentry-mode",
				"loopback", "--passphrase", "", "--quick-gen-key",
				uid, algos[i], "sign", "1d", NULL };
			const char *list[] = { "gpg", "--batch", "--with-colons",
				"--list-keys", uid, NULL };
			char *out = NULL, *p = NULL;
			if (ut_run(gen, NULL) || ut_run(list, &out) ||
				!(p = strstr(out, "\nfpr:::::::::")))
				fail_msg("making a %s key", algos[i]);
			memcpy(fpr, p + 13, 40);
			fpr[40] = '\0';
			free(out);
		}
		for (int agent = 1; agent >= 0; agent--) {
			arca_error err = ARCA_ERROR_INIT;
			arca_sig_result *res = NULL;
			arca_signer *sg = NULL;
			char used[ARCA_FPR_SIZE], *sig = NULL, *dpath, *spath;
			const char *verify[] = { "gpg", "--batch", "--verify", NULL,
				NULL, NULL };

			if (!agent)
				setenv("ARCA_SIGN_NO_AGENT", "1", 1);
			if (arca_signer_new(&sg, fpr, &err) < 0)
				fail_msg("%s: %s", algos[i], err.msg);
			assert_string_equal(arca_signer_primary_fpr(sg), fpr);
			if (arca_signer_sign(sg, data, sizeof(data), &sig, used,
				&err) < 0)
				fail_msg("%s: %s", algos[i], err.msg);
			unsetenv("ARCA_SIGN_NO_AGENT");
			assert_string_equal(used, fpr);
			assert_int_equal(arca_sign_verify(data, sizeof(data), sig,
				&res, &err), 0);
			assert_int_equal(res->count, 1);
			if (res->sigs[0].status != ARCA_SIG_GOOD)
				fail_msg("%s (agent %d): %s", algos[i], agent,
					arca_sig_status_name(res->sigs[0].status));
			assert_string_equal(res->sigs[0].primary_fpr, fpr);
			arca_sig_result_free(res);
			dpath = write_tmp(dir, "data", data, sizeof(data));
			spath = write_tmp(dir, "data.sig", sig, strlen(sig));
			verify[3] = spath;
			verify[4] = dpath;
			assert_int_equal(ut_run(verify, NULL), 0);
			/* one byte less: bad */
			free(dpath);
			dpath = write_tmp(dir, "data", data, sizeof(data) - 1);
			assert_int_not_equal(ut_run(verify, NULL), 0);
			free(dpath);
			free(spath);
			free(sig);
			arca_signer_free(sg);
		}
	}
	tu_rmtree(dir);
}

/* The key lookup's refusals name the key and why. */
static void test_sighook__signer_refusals(void **state)
{
	arca_error err = ARCA_ERROR_INIT;
	arca_signer *sg = NULL;
	char rev[ARCA_FPR_SIZE], *pubonly, *path, *asc;
	const char *exp[] = { "gpg", "--batch", "--armor", "--output", NULL,
		"--export", g.k1, NULL };
	const char *imp[] = { "gpg", "--batch", "--import", NULL, NULL };

	(void)state;
	assert_int_equal(arca_signer_new(&sg, "0123456789ABCDEF0123456789"
		"ABCDEF01234567", &err), ARCA_ENOTFOUND);
	ut_assert_msg(&err, "no key 0123456789ABCDEF0123456789ABCDEF01234567 "
		"in the keyring");
	/* revoked: its revocation certificate imported */
	ut_gpg_gen_key("Rev <rev@example>", "1d", rev);
	if (asprintf(&path, "%s/openpgp-revocs.d/%s.rev", g.home, rev) < 0)
		fail_msg("asprintf");
	{
		FILE *f = fopen(path, "r");
		char buf[8192], *p;
		size_t n;
		assert_non_null(f);
		n = fread(buf, 1, sizeof(buf) - 1, f);
		fclose(f);
		buf[n] = '\0';
		assert_non_null(p = strstr(buf, ":-----BEGIN"));
		*p = '\n';
		asc = write_tmp(g.home, "rev.asc", buf, n);
	}
	imp[3] = asc;
	assert_int_equal(ut_run(imp, NULL), 0);
	assert_int_equal(arca_signer_new(&sg, rev, &err), ARCA_EINVALID);
	ut_assert_msg(&err, "is revoked");
	free(path);
	free(asc);
	/* a keyring with the public part only */
	pubonly = ut_gpg_home();
	if (asprintf(&path, "%s/k1.asc", pubonly) < 0)
		fail_msg("asprintf");
	exp[4] = path;
	setenv("GNUPGHOME", g.home, 1);
	assert_int_equal(ut_run(exp, NULL), 0);
	setenv("GNUPGHOME", pubonly, 1);
	imp[3] = path;
	assert_int_equal(ut_run(imp, NULL), 0);
	assert_int_equal(arca_signer_new(&sg, g.k1, &err), ARCA_ENOTFOUND);
	ut_assert_msg(&err, "has no secret part in this keyring (public key "
		"only)");
	free(path);
	ut_gpg_home_free(pubonly);
	setenv("GNUPGHOME", g.home, 1);
	assert_null(sg);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_sighook__key, setup,
			teardown),
		cmocka_unit_test_setup_teardown(test_sighook__kinds, setup,
			teardown),
		cmocka_unit_test_setup_teardown(test_sighook__run_manifest_only,
			setup, teardown),
		cmocka_unit_test_setup_teardown(test_sighook__signature_record,
			setup, teardown),
		cmocka_unit_test_setup_teardown(test_sighook__sign_twice, setup,
			teardown),
		cmocka_unit_test_setup_teardown(test_sighook__record_put, setup,
			teardown),
		cmocka_unit_test(test_sighook__require_signatures),
		cmocka_unit_test_setup_teardown(test_sighook__check, setup,
			teardown),
		cmocka_unit_test(test_sighook__signer_algorithms),
		cmocka_unit_test(test_sighook__signer_refusals),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
