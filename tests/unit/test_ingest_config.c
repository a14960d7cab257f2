/*
 * The ingest configuration (src/lib/ingest/ingest_config.c): a full
 * example, every error with its exact file:line:column, durations, and
 * ${...} substitutions into hook argv.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "testutil.h"
#include "ut_files.h"
#include "ingest/ingest.h"

static arca_ingest_config *parse_ok(const char *yaml)
{
	arca_error err = ARCA_ERROR_INIT;
	arca_ingest_config *c = NULL;

	if (arca_ingest_config_parse(&c, yaml, strlen(yaml), "in.yaml",
		"/cfg", &err) < 0)
		fail_msg("parse: %s", err.msg);
	return c;
}

/* Parses yaml, expecting ARCA_EINVALID with exactly msg. */
static void expect_error(const char *yaml, const char *msg)
{
	arca_error err = ARCA_ERROR_INIT;
	arca_ingest_config *c = NULL;
	int rc = arca_ingest_config_parse(&c, yaml, strlen(yaml), "in.yaml",
		"/cfg", &err);

	if (rc != ARCA_EINVALID || strcmp(err.msg, msg))
		fail_msg("for:\n%s\nexpected %d \"%s\"\n     got %d \"%s\"",
			yaml, ARCA_EINVALID, msg, rc, err.msg);
	assert_null(c);
}

static const char example[] =
	"ingest: 1\n"
	"sources:\n"
	"  - name: churn-drop\n"
	"    dataset: churn\n"
	"    folder: drop/churn/\n"
	"    include: [\"*.csv\", \"*.jsonl\"]\n"
	"    hooks:\n"
	"      - run: [/usr/local/bin/mask-pii, \"${staged}\", "
	"\"--src=${source}\"]\n"
	"        timeout: 5m\n"
	"      - run: [bin/check, \"${item}\"]\n"
	"    message: \"drop ${item} into ${dataset}\"\n"
	"  - name: churn-url\n"
	"    dataset: churn\n"
	"    url: https://user:secret@example.com/data/churn.jsonl?token=x\n"
	"    sha256: sha256:" "0123456789abcdef0123456789abcdef"
	"0123456789ABCDEF0123456789abcdef\n"
	"  - name: churn-archive\n"
	"    dataset: churn\n"
	"    archive: /data/exports/churn.tar.gz\n"
	"    settle: 1h30m\n"
	"  - name: marked\n"
	"    dataset: other\n"
	"    folder: /abs/drop\n"
	"    marker: .done\n";

static void test_ingest_config__example(void **state)
{
	arca_ingest_config *c = parse_ok(example);
	const arca_ingest_source *s;

	(void)state;
	assert_int_equal(arca_ingest_config_count(c), 4);
	assert_string_equal(arca_ingest_config_name(c, 1), "churn-url");
	assert_null(arca_ingest_config_name(c, 4));

	s = &c->sources[0];
	assert_int_equal(s->kind, ARCA_INGEST_FOLDER);
	assert_string_equal(s->dataset, "churn");
	assert_string_equal(s->location, "/cfg/drop/churn");
	assert_int_equal(s->settle_ms, 30000);
	assert_null(s->marker);
	assert_int_equal(s->ninclude, 2);
	assert_string_equal(s->include[1], "*.jsonl");
	assert_int_equal(s->nhooks, 2);
	assert_int_equal(s->hooks[0].argc, 3);
	assert_string_equal(s->hooks[0].argv[0], "/usr/local/bin/mask-pii");
	assert_string_equal(s->hooks[0].argv[1], "${staged}");
	assert_string_equal(s->hooks[0].argv[2], "--src=${source}");
	assert_null(s->hooks[0].argv[3]);
	assert_int_equal(s->hooks[0].timeout_ms, 300000);
	assert_int_equal(s->hooks[0].line, 8);
	assert_int_equal(s->hooks[0].col, 9);
	/* a relative program path is relative to the config's directory */
	assert_string_equal(s->hooks[1].argv[0], "/cfg/bin/check");
	assert_int_equal(s->hooks[1].timeout_ms, 600000);
	assert_string_equal(s->message, "drop ${item} into ${dataset}");
	assert_int_equal(s->line, 3);
	assert_int_equal(s->dataset_line, 4);
	assert_int_equal(s->dataset_col, 14);

	s = &c->sources[1];
	assert_int_equal(s->kind, ARCA_INGEST_URL);
	assert_string_equal(s->location,
		"https://user:secret@example.com/data/churn.jsonl?token=x");
	assert_string_equal(s->url_safe,
		"https://example.com/data/churn.jsonl");
	assert_int_equal(s->settle_ms, 0);
	assert_non_null(s->sha256);
	assert_int_equal(s->nhooks, 0);

	s = &c->sources[2];
	assert_int_equal(s->kind, ARCA_INGEST_ARCHIVE);
	assert_string_equal(s->location, "/data/exports/churn.tar.gz");
	assert_int_equal(s->settle_ms, 5400000);

	s = &c->sources[3];
	assert_string_equal(s->marker, ".done");
	assert_int_equal(s->settle_ms, 0); /* the marker decides */
	assert_string_equal(s->location, "/abs/drop");
	arca_ingest_config_free(c);
	arca_ingest_config_free(NULL);
}

#define SRC "ingest: 1\nsources:\n  - name: a\n    dataset: d\n"

static void test_ingest_config__errors(void **state)
{
	(void)state;
	/* YAML syntax: libfyaml's message at its position */
	expect_error("ingest: 1\nsources: [\n  - name: a\n",
		"in.yaml:3:3: did not find expected node content");
	expect_error("ingest: 1\nsources:\n  - name: a\n    name: b\n",
		"in.yaml:4:5: duplicate key");
	expect_error("", "in.yaml:1:1: empty document, expected a mapping");
	expect_error("- a\n", "in.yaml:1:1: the document must be a mapping, "
		"not a list");
	/* the top level */
	expect_error("ingest: 1\nsources: []\nextra: 1\n",
		"in.yaml:3:1: unknown key \"extra\" in the ingest "
		"configuration (expected one of: ingest, sources)");
	expect_error("sources: []\n",
		"in.yaml:1:1: missing \"ingest: 1\" (the format version)");
	expect_error("ingest: 2\nsources: []\n",
		"in.yaml:1:9: unsupported ingest format version 2 (this arca "
		"reads version 1)");
	expect_error("ingest: one\n",
		"in.yaml:1:9: ingest (the format version) must be a number, "
		"not \"one\"");
	expect_error("ingest: 1\n",
		"in.yaml:1:1: missing \"sources\" (a list of sources)");
	expect_error("ingest: 1\nsources: []\n",
		"in.yaml:2:10: sources must list at least one source");
	expect_error("ingest: 1\nsources:\n  name: a\n",
		"in.yaml:3:3: sources must be a list, not a mapping");
	/* a source */
	expect_error("ingest: 1\nsources:\n  - a\n",
		"in.yaml:3:5: a source must be a mapping, not a scalar");
	expect_error(SRC "    folder: /x\n    mark: .done\n",
		"in.yaml:6:5: unknown key \"mark\" in a source (expected one "
		"of: name, dataset, folder, archive, url, settle, marker, "
		"include, sha256, hooks, message)");
	expect_error("ingest: 1\nsources:\n  - dataset: d\n    folder: /x\n",
		"in.yaml:3:5: a source needs a name");
	expect_error("ingest: 1\nsources:\n  - name: a\n    folder: /x\n",
		"in.yaml:3:5: source \"a\" needs a dataset (the catalog "
		"dataset it feeds)");
	expect_error("ingest: 1\nsources:\n  - name: a\n    dataset:\n"
		"    folder: /x\n",
		"in.yaml:4:5: dataset must be a string, not nothing (null)");
	expect_error(SRC,
		"in.yaml:3:5: source \"a\" needs one of folder, archive or "
		"url");
	expect_error(SRC "    folder: /x\n    url: http://h/x\n",
		"in.yaml:6:5: source \"a\" has both folder and url (expected "
		"exactly one of folder, archive or url)");
	expect_error(SRC "    archive: /x.tar\n    folder: /x\n",
		"in.yaml:6:5: source \"a\" has both archive and folder "
		"(expected exactly one of folder, archive or url)");
	expect_error("ingest: 1\nsources:\n  - name: Bad Name\n",
		"in.yaml:3:11: bad source name \"Bad Name\" (expected 1 to 64 "
		"characters a-z, 0-9, '.', '_', '-', starting with a letter "
		"or digit)");
	expect_error("ingest: 1\nsources:\n  - name: ../x\n",
		"in.yaml:3:11: bad source name \"../x\" (expected 1 to 64 "
		"characters a-z, 0-9, '.', '_', '-', starting with a letter "
		"or digit)");
	expect_error(SRC "    folder: /x\n  - name: b\n    dataset: d\n"
		"    folder: /y\n  - name: a\n    dataset: e\n    url: "
		"http://h/\n",
		"in.yaml:9:11: duplicate source name \"a\" (first used at "
		"line 3)");
	expect_error(SRC "    folder: \"\"\n",
		"in.yaml:5:13: folder must not be empty");
	expect_error(SRC "    url: ftp://h/x\n",
		"in.yaml:5:10: ftp://h/x: unsupported URL scheme 'ftp' (only "
		"http and https)");
	expect_error(SRC "    url: https://u:pw@h/x\n    sha256: abc\n",
		"in.yaml:6:13: sha256 must be 64 hex digits (optionally after "
		"\"sha256:\")");
	expect_error(SRC "    url: https://h/x\n    marker: .done\n",
		"in.yaml:6:5: marker does not apply to url sources (only to "
		"folder sources)");
	expect_error(SRC "    url: https://h/x\n    settle: 1s\n",
		"in.yaml:6:5: settle does not apply to url sources (only to "
		"folder and archive sources)");
	expect_error(SRC "    folder: /x\n    sha256: abc\n",
		"in.yaml:6:5: sha256 does not apply to folder sources (only "
		"to url sources)");
	expect_error(SRC "    folder: /x\n    marker: a/b\n",
		"in.yaml:6:13: marker must be a file name suffix such as "
		".done (no '/')");
	expect_error(SRC "    folder: /x\n    include: []\n",
		"in.yaml:6:14: include must list at least one pattern");
	/* durations */
	expect_error(SRC "    folder: /x\n    settle: 30\n",
		"in.yaml:6:13: settle: bad duration \"30\" (expected a number "
		"with a unit ms, s, m, h or d, such as 30s, 5m or 1h30m)");
	expect_error(SRC "    folder: /x\n    settle: 5 minutes\n",
		"in.yaml:6:13: settle: bad duration \"5 minutes\" (expected a "
		"number with a unit ms, s, m, h or d, such as 30s, 5m or "
		"1h30m)");
	expect_error(SRC "    folder: /x\n    settle: 400d\n",
		"in.yaml:6:13: settle: duration \"400d\" is longer than 365 "
		"days");
	/* hooks */
	expect_error(SRC "    folder: /x\n    hooks: [a]\n",
		"in.yaml:6:13: a hook must be a mapping, not a scalar");
	expect_error(SRC "    folder: /x\n    hooks:\n      - timeout: 1s\n",
		"in.yaml:7:9: a hook needs run: [PROGRAM, ARGS...]");
	expect_error(SRC "    folder: /x\n    hooks:\n      - run: x y\n",
		"in.yaml:7:14: run (the hook's argv) must be a list, not a "
		"scalar");
	expect_error(SRC "    folder: /x\n    hooks:\n      - run: []\n",
		"in.yaml:7:14: run must name a program and its arguments, "
		"not be empty");
	expect_error(SRC "    folder: /x\n    hooks:\n      - run: [\"\"]\n",
		"in.yaml:7:15: the program of run must not be empty");
	expect_error(SRC "    folder: /x\n    hooks:\n      - run: [x]\n"
		"        timeout: 0\n",
		"in.yaml:8:18: timeout must be longer than 0");
	expect_error(SRC "    folder: /x\n    hooks:\n      - run: [x]\n"
		"        shell: true\n",
		"in.yaml:8:9: unknown key \"shell\" in a hook (expected one "
		"of: run, timeout)");
	expect_error(SRC "    folder: /x\n    hooks:\n"
		"      - run: [x, \"${stagged}\"]\n",
		"in.yaml:7:18: unknown variable \"${stagged}\" (expected "
		"${source}, ${dataset}, ${item} or ${staged})");
	expect_error(SRC "    folder: /x\n    hooks:\n"
		"      - run: [x, \"${item\"]\n",
		"in.yaml:7:18: unterminated \"${\" (write \"$${\" for a "
		"literal \"${\")");
	expect_error(SRC "    folder: /x\n    hooks:\n"
		"      - run: [x, [y]]\n",
		"in.yaml:7:18: an argument of run must be a string, not a "
		"list");
	/* ${staged} only exists for hooks */
	expect_error(SRC "    folder: /x\n    message: \"at ${staged}\"\n",
		"in.yaml:6:14: unknown variable \"${staged}\" (expected "
		"${source}, ${dataset}, ${item})");
}

/* libfyaml must not print its diagnostics: stderr stays empty. */
static void test_ingest_config__quiet(void **state)
{
	char *dir = tu_mkdtemp(), *log = ut_fmt("%s/stderr", dir), *text;
	arca_error err = ARCA_ERROR_INIT;
	arca_ingest_config *c = NULL;
	static const char bad[] = "ingest: 1\nsources: [\n  - {{\n";
	int fd, saved;

	(void)state;
	fflush(stderr);
	saved = dup(2);
	fd = open(log, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	assert_true(saved >= 0 && fd >= 0);
	dup2(fd, 2);
	close(fd);
	assert_int_equal(arca_ingest_config_parse(&c, bad, strlen(bad),
		"in.yaml", "/", &err), ARCA_EINVALID);
	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	assert_true(!strncmp(err.msg, "in.yaml:", 8));
	text = ut_read_file(log, NULL);
	assert_string_equal(text, "");
	free(text);
	free(log);
	tu_rmtree(dir);
}

static void test_ingest_config__load_file(void **state)
{
	char *dir = tu_mkdtemp(), *path = ut_fmt("%s/sub/in.yaml", dir),
		*missing = ut_fmt("%s/nope.yaml", dir), *want, *msg;
	arca_error err = ARCA_ERROR_INIT;
	arca_ingest_config *c = NULL;

	(void)state;
	want = ut_fmt("%s/sub", dir);
	ut_mkdir(want, 0755);
	free(want);
	ut_write_str(path, SRC "    folder: drop\n");
	assert_int_equal(arca_ingest_config_load(&c, path, &err), 0);
	want = ut_fmt("%s/sub/drop", dir);
	assert_string_equal(c->sources[0].location, want);
	assert_string_equal(c->path, path);
	arca_ingest_config_free(c);
	c = NULL;
	free(want);

	assert_int_equal(arca_ingest_config_load(&c, missing, &err),
		ARCA_ENOTFOUND);
	assert_null(c);
	/* errors name the file as given */
	ut_write_str(path, SRC "    folder: drop\n    settle: x\n");
	assert_int_equal(arca_ingest_config_load(&c, path, &err),
		ARCA_EINVALID);
	msg = ut_fmt("%s:6:13: settle: bad duration \"x\" (expected a number "
		"with a unit ms, s, m, h or d, such as 30s, 5m or 1h30m)",
		path);
	assert_string_equal(err.msg, msg);
	free(msg);
	free(missing);
	free(path);
	tu_rmtree(dir);
}

static int64_t dur(const char *s)
{
	arca_error err = ARCA_ERROR_INIT;
	int64_t ms = -42;

	if (arca_ingest_duration_parse(&ms, s, &err) < 0)
		return -1;
	return ms;
}

static void test_ingest_config__durations(void **state)
{
	arca_error err = ARCA_ERROR_INIT;
	int64_t ms;
	char buf[32];

	(void)state;
	assert_int_equal(dur("0"), 0);
	assert_int_equal(dur("0s"), 0);
	assert_int_equal(dur("500ms"), 500);
	assert_int_equal(dur("30s"), 30000);
	assert_int_equal(dur("5m"), 300000);
	assert_int_equal(dur("2h"), 7200000);
	assert_int_equal(dur("1d"), 86400000);
	assert_int_equal(dur("1h30m"), 5400000);
	assert_int_equal(dur("1m30s250ms"), 90250);
	assert_int_equal(dur("365d"), 365LL * 86400000);
	assert_int_equal(dur("366d"), -1);
	assert_int_equal(dur("999999999999h"), -1);
	assert_int_equal(dur(""), -1);
	assert_int_equal(dur("30"), -1);
	assert_int_equal(dur("s"), -1);
	assert_int_equal(dur("-5s"), -1);
	assert_int_equal(dur("1.5h"), -1);
	assert_int_equal(dur("5 s"), -1);
	assert_int_equal(dur("5S"), -1);
	assert_int_equal(dur("5sec"), -1);
	assert_int_equal(arca_ingest_duration_parse(&ms, "1x", &err),
		ARCA_EINVALID);
	assert_string_equal(err.msg, "bad duration \"1x\" (expected a number "
		"with a unit ms, s, m, h or d, such as 30s, 5m or 1h30m)");
	assert_string_equal(arca_ingest__duration_str(buf, 300000), "5m");
	assert_string_equal(arca_ingest__duration_str(buf, 7200000), "2h");
	assert_string_equal(arca_ingest__duration_str(buf, 90000), "90s");
	assert_string_equal(arca_ingest__duration_str(buf, 1500), "1500ms");
	assert_string_equal(arca_ingest__duration_str(buf, 0), "0s");
}

static void test_ingest_config__substitution(void **state)
{
	arca_ingest_vars v = { "src", "ds", "it em;$(rm -rf /)",
		"/st/aged" };
	arca_ingest_vars none = { "src", NULL, NULL, NULL };
	arca_error err = ARCA_ERROR_INIT;
	char *s;

	(void)state;
	s = arca_ingest__subst("${staged}", &v);
	assert_string_equal(s, "/st/aged");
	free(s);
	s = arca_ingest__subst("--in=${staged}/x --n=${item}", &v);
	/* one string in, one string out: nothing is split or interpreted */
	assert_string_equal(s, "--in=/st/aged/x --n=it em;$(rm -rf /)");
	free(s);
	s = arca_ingest__subst("${source}:${dataset}${source}", &v);
	assert_string_equal(s, "src:dssrc");
	free(s);
	s = arca_ingest__subst("$$ $${item} $HOME $ {x} 100$", &v);
	assert_string_equal(s, "$ ${item} $HOME $ {x} 100$");
	free(s);
	s = arca_ingest__subst("[${dataset}][${staged}]", &none);
	assert_string_equal(s, "[][]");
	free(s);
	s = arca_ingest__subst("", &v);
	assert_string_equal(s, "");
	free(s);

	assert_int_equal(arca_ingest__subst_check("a ${item} $$ $x", 0, &err),
		0);
	assert_int_equal(arca_ingest__subst_check("${staged}", 1, &err), 0);
	assert_int_equal(arca_ingest__subst_check("${staged}", 0, &err),
		ARCA_EINVALID);
	assert_int_equal(arca_ingest__subst_check("${ITEM}", 1, &err),
		ARCA_EINVALID);
	assert_string_equal(err.msg, "unknown variable \"${ITEM}\" (expected "
		"${source}, ${dataset}, ${item} or ${staged})");
	assert_int_equal(arca_ingest__subst_check("$${ok} ${", 1, &err),
		ARCA_EINVALID);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ingest_config__example),
		cmocka_unit_test(test_ingest_config__errors),
		cmocka_unit_test(test_ingest_config__quiet),
		cmocka_unit_test(test_ingest_config__load_file),
		cmocka_unit_test(test_ingest_config__durations),
		cmocka_unit_test(test_ingest_config__substitution),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
