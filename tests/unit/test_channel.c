/*
 * Adapter channels (src/lib/channel): promotion's checks on the run that
 * made an adapter, rollback's stack of promotions, the structural checks
 * of a history (entries removed, reordered, moved, cut off the end, and
 * a crash's unclaimed entry that the next change supersedes), and
 * require_signatures. Runs and adapters are hand-made records, so every
 * state (a gated run that somehow has an adapter) can be built. The
 * signature rules are covered with real keys by t1103-channels.sh.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <jansson.h>
#include "testutil.h"
#include "repo_fixture.h"
#include "ut_repo.h"
#include "arca/channel.h"
#include "util/json.h"

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

static arca_id put_doc(arca_repo *r, const char *kind, json_t *doc)
{
	arca_error err = ARCA_ERROR_INIT;
	arca_id id;

	if (arca_repo__json_put(r, &id, doc, 0, &err) < 0 ||
		arca_repo__record_add(r, kind, &id, &err) < 0)
		fail_msg("%s", err.msg);
	json_decref(doc);
	return id;
}

static void ref(arca_repo *r, const char *name, const arca_id *id)
{
	arca_error err = ARCA_ERROR_INIT;

	if (arca_repo__ref_set(r, name, id, &err) < 0)
		fail_msg("%s", err.msg);
}

/*
 * An adapter NAME@VERSION made by a run ending in status, whose gate
 * passed or not, and which published it (or another record).
 */
static arca_id adapter(arca_repo *r, const char *name, const char *version,
	const char *status, int gate_pass, int published)
{
	char hex[ARCA_ID_HEXSZ + 1], rn[ARCA_KEY_MAX], text[64];
	arca_id run, pkg, man, rec, last, other = { { 0 } };

	snprintf(text, sizeof(text), "package %s@%s", name, version);
	pkg = tu_put_blob(r, text, strlen(text));
	snprintf(text, sizeof(text), "manifest %s@%s", name, version);
	man = tu_put_blob(r, text, strlen(text));
	run = put_doc(r, "run", json_pack("{s:s, s:i, s:s, s:s}", "type",
		"run", "seq", 1, "status", "running", "n", text));
	arca_id_hex(hex, &run);
	snprintf(rn, sizeof(rn), "runs/%s/000001", hex);
	ref(r, rn, &run);
	rec = put_doc(r, "adapter", json_pack("{s:s, s:s, s:s, s:o, s:o, s:o}",
		"type", "adapter", "name", name, "adapter_version", version,
		"run", arca_json_id(&run), "package", arca_json_id(&pkg),
		"manifest", arca_json_id(&man)));
	other.raw[0] = 7;
	last = put_doc(r, "run", json_pack("{s:s, s:i, s:o, s:s, s:o, "
		"s:[{s:s, s:b}], s:{s:o}}", "type", "run", "seq", 2, "run",
		arca_json_id(&run),
		"status", status, "previous", arca_json_id(&run), "gates",
		"gate", "evaluate.accuracy >= 0.7", "pass", gate_pass,
		"adapter", "record", arca_json_id(published ? &rec : &other)));
	snprintf(rn, sizeof(rn), "runs/%s/000002", hex);
	ref(r, rn, &last);
	snprintf(rn, sizeof(rn), "adapters/%s/%s", name, version);
	ref(r, rn, &rec);
	return pkg;
}

static char *promote(arca_repo *r, const char *spec, const char *ch,
	int want, const char *msg)
{
	arca_error err = ARCA_ERROR_INIT;
	char *out = NULL;
	int rc = arca_adapter_promote(&out, r, spec, ch, NULL, &err);

	if (rc != want)
		fail_msg("promote %s to %s: %d (%s), wanted %d", spec, ch, rc,
			err.msg, want);
	if (msg)
		ut_assert_msg(&err, msg);
	return out;
}

static char *rollback(arca_repo *r, const char *name, const char *ch,
	const char *to, int want, const char *msg)
{
	arca_channel_opts o = ARCA_CHANNEL_OPTS_INIT;
	arca_error err = ARCA_ERROR_INIT;
	char *out = NULL;
	int rc;

	o.to = to;
	o.reason = "because";
	rc = arca_adapter_rollback(&out, r, name, ch, &o, &err);
	if (rc != want)
		fail_msg("rollback %s %s: %d (%s), wanted %d", name, ch, rc,
			err.msg, want);
	if (msg)
		ut_assert_msg(&err, msg);
	return out;
}

/* The current version of name's channel ch ("" when none), and
 * checks of the history with the given outcome. */
static void current(arca_repo *r, const char *name, const char *ch,
	const char *want)
{
	arca_error err = ARCA_ERROR_INIT;
	char *out = NULL;
	json_t *j;

	if (arca_adapter_resolve(&out, r, name, ch, NULL, &err) < 0)
		fail_msg("resolve %s %s: %s", name, ch, err.msg);
	j = json_loads(out, 0, NULL);
	assert_string_equal(json_string_value(json_object_get(j, "version")),
		want);
	json_decref(j);
	free(out);
}

static void broken(arca_repo *r, const char *name, const char *ch,
	const char *msg)
{
	arca_error err = ARCA_ERROR_INIT;
	char *out = NULL;

	assert_int_equal(arca_adapter_resolve(&out, r, name, ch, NULL, &err),
		ARCA_EVERIFY);
	ut_assert_msg(&err, msg);
	assert_null(out);
	assert_int_equal(arca_adapter_channels(NULL, r, name, ch, NULL, &err),
		ARCA_EVERIFY);
	ut_assert_msg(&err, msg);
}

static void test_channel__promote_resolve_list(void **state)
{
	fx *f = *state;
	arca_error err = ARCA_ERROR_INIT;
	arca_channel_opts o = ARCA_CHANNEL_OPTS_INIT;
	arca_id pkg = adapter(f->r, "churn", "1.0.0", "succeeded", 1, 1);
	char *out, s[ARCA_ID_STRSZ];
	json_t *j, *h;

	adapter(f->r, "churn", "1.0.1", "succeeded", 1, 1);
	o.reason = "first";
	assert_int_equal(arca_adapter_promote(&out, f->r, "churn@1.0.0",
		"stable", &o, &err), 0);
	j = json_loads(out, 0, NULL);
	assert_string_equal(json_string_value(json_object_get(j, "action")),
		"promote");
	assert_int_equal(json_integer_value(json_object_get(j, "seq")), 1);
	assert_null(json_object_get(j, "from"));
	arca_id_str(s, &pkg);
	assert_string_equal(json_string_value(json_object_get(j, "package")),
		s);
	json_decref(j);
	free(out);
	current(f->r, "churn", "stable", "1.0.0");
	free(promote(f->r, "churn@1.0.1", "stable", 0, NULL));
	free(promote(f->r, "churn@1.0.1", "beta", 0, NULL));
	current(f->r, "churn", "stable", "1.0.1");
	promote(f->r, "churn@1.0.1", "stable", ARCA_EINVALID,
		"churn@1.0.1 is already the current version of channel stable");
	promote(f->r, "churn@2.0.0", "stable", ARCA_ENOTFOUND,
		"no adapter churn@2.0.0");
	promote(f->r, "churn@1.0.0", "Stable", ARCA_EINVALID,
		"invalid channel 'Stable'");
	promote(f->r, "churn", "stable", ARCA_EINVALID, "expected NAME@VERSION");
	promote(f->r, "../x@1.0.0", "stable", ARCA_EINVALID,
		"invalid adapter name");

	assert_int_equal(arca_adapter_channels(&out, f->r, "churn", NULL, NULL,
		&err), 0);
	j = json_loads(out, 0, NULL);
	assert_int_equal(json_array_size(json_object_get(j, "channels")), 2);
	assert_string_equal(json_string_value(json_object_get(json_array_get(
		json_object_get(j, "channels"), 0), "channel")), "beta");
	h = json_object_get(json_array_get(json_object_get(j, "channels"), 1),
		"history");
	assert_int_equal(json_array_size(h), 2);
	assert_string_equal(json_string_value(json_object_get(json_array_get(h,
		0), "reason")), "first");
	assert_string_equal(json_string_value(json_object_get(json_array_get(h,
		1), "from")), "1.0.0");
	json_decref(j);
	free(out);
	assert_int_equal(arca_adapter_channels(&out, f->r, "churn", "gamma",
		NULL, &err), ARCA_ENOTFOUND);
	assert_int_equal(arca_adapter_resolve(&out, f->r, "churn", "gamma",
		NULL, &err), ARCA_ENOTFOUND);
	ut_assert_msg(&err, "nothing was promoted to channel gamma");
}

static void test_channel__run_checks(void **state)
{
	fx *f = *state;

	adapter(f->r, "m", "1.0.0", "gated", 0, 1);
	adapter(f->r, "m", "1.0.1", "succeeded", 0, 1);
	adapter(f->r, "m", "1.0.2", "succeeded", 1, 0);
	adapter(f->r, "m", "1.0.3", "failed", 1, 1);
	promote(f->r, "m@1.0.0", "stable", ARCA_EPOLICY,
		"m@1.0.0 cannot go to channel stable: its run");
	promote(f->r, "m@1.0.0", "stable", ARCA_EPOLICY, "is gated, not "
		"succeeded");
	promote(f->r, "m@1.0.1", "stable", ARCA_EPOLICY,
		"gate 'evaluate.accuracy >= 0.7' of its run");
	promote(f->r, "m@1.0.2", "stable", ARCA_EPOLICY, "did not publish it");
	promote(f->r, "m@1.0.3", "stable", ARCA_EPOLICY, "is failed, not "
		"succeeded");
	/* nothing was written for any of them */
	assert_int_equal(arca_adapter_resolve(&(char *){ NULL }, f->r, "m",
		"stable", NULL, NULL), ARCA_ENOTFOUND);
}

static void test_channel__rollback(void **state)
{
	fx *f = *state;
	json_t *j;
	char *out;

	adapter(f->r, "a", "1.0.0", "succeeded", 1, 1);
	adapter(f->r, "a", "1.1.0", "succeeded", 1, 1);
	adapter(f->r, "a", "1.2.0", "succeeded", 1, 1);
	rollback(f->r, "a", "prod", NULL, ARCA_ENOTFOUND,
		"nothing was promoted to channel prod of adapter a");
	free(promote(f->r, "a@1.0.0", "prod", 0, NULL));
	rollback(f->r, "a", "prod", NULL, ARCA_EINVALID,
		"nothing to roll back to: 1.0.0 is the only version");
	free(promote(f->r, "a@1.1.0", "prod", 0, NULL));
	free(promote(f->r, "a@1.2.0", "prod", 0, NULL));
	out = rollback(f->r, "a", "prod", NULL, 0, NULL);
	j = json_loads(out, 0, NULL);
	assert_string_equal(json_string_value(json_object_get(j, "version")),
		"1.1.0");
	assert_string_equal(json_string_value(json_object_get(j, "from")),
		"1.2.0");
	json_decref(j);
	free(out);
	current(f->r, "a", "prod", "1.1.0");
	/* the rolled-back 1.2.0 is off the stack: the previous is 1.0.0 */
	rollback(f->r, "a", "prod", "1.2.0", ARCA_EINVALID,
		"it is not a version promoted before the current one (1.1.0)");
	rollback(f->r, "a", "prod", "1.1.0", ARCA_EINVALID,
		"it is not a version promoted before");
	free(rollback(f->r, "a", "prod", NULL, 0, NULL));
	current(f->r, "a", "prod", "1.0.0");
	free(promote(f->r, "a@1.2.0", "prod", 0, NULL));
	free(promote(f->r, "a@1.1.0", "prod", 0, NULL));
	free(rollback(f->r, "a", "prod", "1.0.0", 0, NULL));
	current(f->r, "a", "prod", "1.0.0");
	/* the history keeps everything: 3 + 1 + 1 + 2 + 1 entries */
	assert_int_equal(arca_adapter_channels(&out, f->r, "a", "prod", NULL,
		NULL), 0);
	j = json_loads(out, 0, NULL);
	assert_int_equal(json_array_size(json_object_get(json_array_get(
		json_object_get(j, "channels"), 0), "history")), 8);
	assert_int_equal(json_integer_value(json_object_get(json_array_get(
		json_object_get(j, "channels"), 0), "seq")), 8);
	json_decref(j);
	free(out);
}

/* path of refs/channels/<name>/<ch>/<seq> in the repository dir. */
static void ref_path(char *out, size_t n, fx *f, const char *name,
	const char *ch, int seq)
{
	snprintf(out, n, "%s/repo/refs/channels/%s/%s/%06d", f->dir, name, ch,
		seq);
}

static void copy_file(const char *from, const char *to)
{
	char buf[256];
	FILE *a = fopen(from, "rb"), *b;
	size_t len;

	assert_non_null(a);
	len = fread(buf, 1, sizeof(buf), a);
	fclose(a);
	assert_non_null(b = fopen(to, "wb"));
	assert_int_equal(fwrite(buf, 1, len, b), len);
	fclose(b);
}

static void three(fx *f, const char *name)
{
	char spec[64];

	for (int i = 0; i < 3; i++) {
		char v[16];
		snprintf(v, sizeof(v), "1.%d.0", i);
		adapter(f->r, name, v, "succeeded", 1, 1);
		snprintf(spec, sizeof(spec), "%s@%s", name, v);
		free(promote(f->r, spec, "prod", 0, NULL));
	}
}

static void test_channel__tampered(void **state)
{
	fx *f = *state;
	char p1[4200], p2[4200], p3[4200], tmp[4300];

	/* removed */
	three(f, "rm");
	ref_path(p2, sizeof(p2), f, "rm", "prod", 2);
	assert_int_equal(unlink(p2), 0);
	broken(f->r, "rm", "prod", "channel prod of adapter rm: entry 2 is "
		"missing (refs/channels/rm/prod/000002 was removed)");
	promote(f->r, "rm@1.0.0", "prod", ARCA_EVERIFY, "entry 2 is missing");

	/* reordered */
	three(f, "swap");
	ref_path(p2, sizeof(p2), f, "swap", "prod", 2);
	ref_path(p3, sizeof(p3), f, "swap", "prod", 3);
	snprintf(tmp, sizeof(tmp), "%s.x", p2);
	copy_file(p2, tmp);
	copy_file(p3, p2);
	copy_file(tmp, p3);
	unlink(tmp);
	broken(f->r, "swap", "prod", "which is entry 3: the history was "
		"reordered or altered");

	/* the first entry pointed at a later one */
	three(f, "first");
	ref_path(p1, sizeof(p1), f, "first", "prod", 1);
	ref_path(p2, sizeof(p2), f, "first", "prod", 2);
	copy_file(p2, p1);
	broken(f->r, "first", "prod", "which is entry 2");

	/* moved from another adapter's channel */
	three(f, "moved");
	ref_path(p1, sizeof(p1), f, "moved", "prod", 1);
	ref_path(p2, sizeof(p2), f, "rm", "prod", 1);
	copy_file(p2, p1);
	broken(f->r, "moved", "prod", "an entry of channel prod of adapter "
		"rm: it was moved here");

	/* a stray name among the entries */
	three(f, "stray");
	ref_path(p1, sizeof(p1), f, "stray", "prod", 1);
	snprintf(tmp, sizeof(tmp), "%s/repo/refs/channels/stray/prod/4",
		f->dir);
	copy_file(p1, tmp);
	broken(f->r, "stray", "prod", "is not an entry of the history");

	/* a ref to a snapshot-like object that is no channel record */
	three(f, "notrec");
	{
		arca_id blob = tu_put_blob(f->r, "x", 1);
		char s[ARCA_ID_STRSZ + 2];
		FILE *w;
		ref_path(p3, sizeof(p3), f, "notrec", "prod", 3);
		arca_id_str(s, &blob);
		assert_non_null(w = fopen(p3, "w"));
		fprintf(w, "%s\n", s);
		fclose(w);
	}
	broken(f->r, "notrec", "prod", "entry 3 names sha256:");
}

static void test_channel__cut_off_and_crash(void **state)
{
	fx *f = *state;
	arca_error err = ARCA_ERROR_INIT;
	char p3[4200], *out;
	json_t *j;

	/* cutting the newest entry off is seen by every reader */
	three(f, "cut");
	ref_path(p3, sizeof(p3), f, "cut", "prod", 3);
	assert_int_equal(unlink(p3), 0);
	broken(f->r, "cut", "prod", "is entry 3 but no ref claims it: the "
		"newest entry was removed");
	/* a writer may go on (as after a crash between the record and its
	 * claim): its entry says which one it supersedes */
	free(rollback(f->r, "cut", "prod", NULL, 0, NULL));
	current(f->r, "cut", "prod", "1.0.0");
	assert_int_equal(arca_adapter_channels(&out, f->r, "cut", "prod", NULL,
		&err), 0);
	free(out);
	ref_path(p3, sizeof(p3), f, "cut", "prod", 3);
	{
		arca_id id;
		assert_int_equal(arca_repo__ref_get(f->r, &id,
			"channels/cut/prod/000003", &err), 0);
		assert_int_equal(arca_repo__json_get(f->r, &j, &id, "entry",
			&err), 0);
		assert_non_null(json_object_get(j, "supersedes"));
		assert_string_equal(json_string_value(json_object_get(j,
			"action")), "rollback");
		json_decref(j);
	}

	/* two entries cut off: the writer refuses too */
	three(f, "cut2");
	ref_path(p3, sizeof(p3), f, "cut2", "prod", 3);
	assert_int_equal(unlink(p3), 0);
	ref_path(p3, sizeof(p3), f, "cut2", "prod", 2);
	assert_int_equal(unlink(p3), 0);
	broken(f->r, "cut2", "prod", "but the history ends at entry 1: later "
		"entries were removed");
	promote(f->r, "cut2@1.2.0", "prod", ARCA_EVERIFY, "later entries were "
		"removed");
}

static void test_channel__require_signatures(void **state)
{
	arca_repo_init_opts io = ARCA_REPO_INIT_OPTS_INIT;
	arca_error err = ARCA_ERROR_INIT;
	char *dir = tu_mkdtemp(), path[4200], *out = NULL;
	arca_repo *r;

	(void)state;
	snprintf(path, sizeof(path), "%s/repo", dir);
	io.require_signatures = 1;
	assert_int_equal(arca_repo_init(&r, path, &io, &err), 0);
	assert_int_equal(arca_repo_requires_signatures(r), 1);
	assert_int_equal(arca_adapter_promote(&out, r, "x@1.0.0", "stable",
		NULL, &err), ARCA_EPOLICY);
	ut_assert_msg(&err, "requires signatures and no signing key is "
		"configured");
	assert_null(out);
	arca_repo_free(r);
	tu_rmtree(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(
			test_channel__promote_resolve_list, setup, teardown),
		cmocka_unit_test_setup_teardown(test_channel__run_checks,
			setup, teardown),
		cmocka_unit_test_setup_teardown(test_channel__rollback, setup,
			teardown),
		cmocka_unit_test_setup_teardown(test_channel__tampered, setup,
			teardown),
		cmocka_unit_test_setup_teardown(
			test_channel__cut_off_and_crash, setup, teardown),
		cmocka_unit_test(test_channel__require_signatures),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
