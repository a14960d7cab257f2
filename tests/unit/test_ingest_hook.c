/*
 * Ingest hooks (src/lib/ingest/ingest_hook.c): exit status, output
 * capture and truncation, timeouts that kill the whole process group,
 * no shell between the argv and the program, and the provenance JSON.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "testutil.h"
#include "ut_files.h"
#include "ingest/ingest.h"

static int64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Runs argv (timeout_ms, kill grace 300 ms, cap bytes); fails the test
 * unless it could be run. */
static void run(arca_ingest_hook_result *r, char *const *argv,
	int64_t timeout_ms, size_t cap, const char *cwd, char *const *env)
{
	arca_ingest_hook_run hr;
	arca_error err = ARCA_ERROR_INIT;

	memset(&hr, 0, sizeof(hr));
	hr.argv = argv;
	hr.cwd = cwd;
	hr.env = env;
	hr.timeout_ms = timeout_ms;
	hr.kill_grace_ms = 300;
	hr.cap = cap;
	if (arca_ingest__hook_exec(r, &hr, &err) < 0)
		fail_msg("hook_exec %s: %s", argv[0], err.msg);
}

static const char *out_str(const arca_ingest_output *o)
{
	return o->data.len ? (const char *)o->data.data : "";
}

/* 1 when process pid is gone (or a zombie waiting for its reaper). */
static int gone(pid_t pid)
{
	char path[64], *stat, *p;
	int z;

	snprintf(path, sizeof(path), "/proc/%ld/stat", (long)pid);
	if (!ut_exists(path))
		return 1;
	if (!(stat = ut_read_file(path, NULL)))
		return 1;
	p = strrchr(stat, ')');
	z = p && p[1] == ' ' && (p[2] == 'Z' || p[2] == 'X');
	free(stat);
	return z;
}

static int wait_gone(pid_t pid, int ms)
{
	struct timespec step = { 0, 20 * 1000000 };

	for (int i = 0; i < ms / 20; i++) {
		if (gone(pid))
			return 1;
		nanosleep(&step, NULL);
	}
	return gone(pid);
}

static void test_ingest_hook__exit_and_output(void **state)
{
	arca_ingest_hook_result r = ARCA_INGEST_HOOK_RESULT_INIT;
	char *const ok[] = { "sh", "-c", "echo out; echo err >&2", NULL };
	char *const three[] = { "sh", "-c", "printf partial; exit 3", NULL };
	char *const killed[] = { "sh", "-c", "kill -9 $$", NULL };

	(void)state;
	run(&r, ok, 10000, 1024, NULL, NULL);
	assert_int_equal(r.exit_code, 0);
	assert_int_equal(r.signal, 0);
	assert_int_equal(r.timed_out, 0);
	assert_string_equal(out_str(&r.out), "out\n");
	assert_string_equal(out_str(&r.err), "err\n");
	assert_int_equal(r.out.total, 4);
	assert_false(r.out.truncated);
	arca_ingest__hook_result_dispose(&r);

	run(&r, three, 10000, 1024, NULL, NULL);
	assert_int_equal(r.exit_code, 3);
	assert_string_equal(out_str(&r.out), "partial");
	arca_ingest__hook_result_dispose(&r);

	run(&r, killed, 10000, 1024, NULL, NULL);
	assert_int_equal(r.exit_code, -1);
	assert_int_equal(r.signal, SIGKILL);
	arca_ingest__hook_result_dispose(&r);
}

/* Everything is drained (the writer never blocks), the first cap bytes
 * kept. */
static void test_ingest_hook__truncation(void **state)
{
	arca_ingest_hook_result r = ARCA_INGEST_HOOK_RESULT_INIT;
	char *const big[] = { "sh", "-c",
		"head -c 1000000 /dev/zero | tr '\\0' a; "
		"head -c 300000 /dev/zero | tr '\\0' b >&2; echo done >&2",
		NULL };

	(void)state;
	run(&r, big, 20000, 65536, NULL, NULL);
	assert_int_equal(r.exit_code, 0);
	assert_int_equal(r.out.total, 1000000);
	assert_int_equal(r.out.data.len, 65536);
	assert_true(r.out.truncated);
	assert_int_equal(r.out.data.data[65535], 'a');
	assert_int_equal(r.err.total, 300005);
	assert_int_equal(r.err.data.len, 65536);
	assert_true(r.err.truncated);
	arca_ingest__hook_result_dispose(&r);
}

/* A timeout sends SIGTERM to the hook's whole process group. */
static void test_ingest_hook__timeout_kills_group(void **state)
{
	arca_ingest_hook_result r = ARCA_INGEST_HOOK_RESULT_INIT;
	char *dir = tu_mkdtemp(), *pidfile = ut_fmt("%s/pid", dir), *text;
	char *const slow[] = { "sh", "-c",
		"sleep 60 & echo $! > \"$0\"; wait", pidfile, NULL };
	int64_t t0 = mono_ms(), took;
	pid_t child;

	(void)state;
	run(&r, slow, 400, 1024, NULL, NULL);
	took = mono_ms() - t0;
	assert_true(r.timed_out);
	assert_int_equal(r.signal, SIGTERM);
	assert_true(took >= 400 && took < 5000);
	text = ut_read_file(pidfile, NULL);
	child = (pid_t)strtol(text, NULL, 10);
	assert_true(child > 0);
	/* the background sleep was in the group: it is gone too */
	assert_true(wait_gone(child, 3000));
	free(text);
	free(pidfile);
	tu_rmtree(dir);
	arca_ingest__hook_result_dispose(&r);
}

/* A hook that ignores SIGTERM gets SIGKILL after the grace period. */
static void test_ingest_hook__timeout_sigkill(void **state)
{
	arca_ingest_hook_result r = ARCA_INGEST_HOOK_RESULT_INIT;
	char *const stubborn[] = { "sh", "-c",
		"trap '' TERM; echo ready; while :; do sleep 1; done", NULL };
	char why[256];
	int64_t t0 = mono_ms(), took;

	(void)state;
	run(&r, stubborn, 300, 1024, NULL, NULL);
	took = mono_ms() - t0;
	assert_true(r.timed_out);
	assert_int_equal(r.signal, SIGKILL);
	/* 300 ms timeout + 300 ms grace */
	assert_true(took >= 600 && took < 5000);
	assert_string_equal(out_str(&r.out), "ready\n");
	arca_ingest__hook_describe(why, sizeof(why), &r, 300);
	assert_string_equal(why, "timed out after 300ms: ready");
	arca_ingest__hook_result_dispose(&r);
}

/* When the hook exits, what it left running in its group is killed, and
 * a background child holding the pipes does not make us wait. */
static void test_ingest_hook__leftovers(void **state)
{
	arca_ingest_hook_result r = ARCA_INGEST_HOOK_RESULT_INIT;
	char *const bg[] = { "sh", "-c", "sleep 60 & echo $!", NULL };
	int64_t t0 = mono_ms();
	pid_t child;

	(void)state;
	run(&r, bg, 30000, 1024, NULL, NULL);
	assert_true(mono_ms() - t0 < 5000);
	assert_int_equal(r.exit_code, 0);
	assert_false(r.timed_out);
	child = (pid_t)strtol(out_str(&r.out), NULL, 10);
	assert_true(child > 0);
	assert_true(wait_gone(child, 3000));
	arca_ingest__hook_result_dispose(&r);
}

/* Arguments reach the program as they are: no shell, no globbing, no
 * word splitting, no variable or command expansion. */
static void test_ingest_hook__no_shell(void **state)
{
	arca_ingest_hook_result r = ARCA_INGEST_HOOK_RESULT_INIT;
	char *dir = tu_mkdtemp(), *victim = ut_fmt("%s/victim", dir);
	char *rm = ut_fmt("; rm -f %s", victim), *sub = ut_fmt("$(rm %s)",
		victim);
	char *const argv[] = { "printf", "[%s]", "a b", "*", "$HOME",
		"`id`", rm, sub, "x|y>z", "\"q\"", NULL };
	char *want, *z = ut_fmt("%s/z", dir);

	(void)state;
	ut_write_str(victim, "still here");
	run(&r, argv, 10000, 4096, dir, NULL);
	assert_int_equal(r.exit_code, 0);
	want = ut_fmt("[a b][*][$HOME][`id`][; rm -f %s][$(rm %s)][x|y>z]"
		"[\"q\"]", victim, victim);
	assert_string_equal(out_str(&r.out), want);
	assert_true(ut_exists(victim));
	assert_false(ut_exists(z));
	free(z);
	free(want);
	free(rm);
	free(sub);
	free(victim);
	tu_rmtree(dir);
	arca_ingest__hook_result_dispose(&r);
}

/* cwd, stdin from /dev/null, extra environment, no inherited fds. */
static void test_ingest_hook__environment(void **state)
{
	arca_ingest_hook_result r = ARCA_INGEST_HOOK_RESULT_INIT;
	char *dir = tu_mkdtemp(), *real = realpath(dir, NULL);
	char *const pwd[] = { "sh", "-c", "pwd; cat; echo \"[$X_A][$X_B]\"",
		NULL };
	char *const env[] = { "X_A=one", "X_B=two words", NULL };
	char *const fds[] = { "sh", "-c", "test -e /proc/$$/fd/42 && echo "
		"leaked || echo clean", NULL };
	char *want;
	int fd;

	(void)state;
	setenv("X_A", "shadowed", 1);
	run(&r, pwd, 10000, 4096, dir, env);
	unsetenv("X_A");
	want = ut_fmt("%s\n[one][two words]\n", real);
	assert_string_equal(out_str(&r.out), want);
	free(want);
	arca_ingest__hook_result_dispose(&r);

	/* a descriptor the caller left inheritable is not passed on */
	fd = open("/dev/null", O_RDONLY);
	assert_true(fd >= 0);
	assert_int_equal(dup2(fd, 42), 42);
	close(fd);
	run(&r, fds, 10000, 4096, NULL, NULL);
	close(42);
	assert_string_equal(out_str(&r.out), "clean\n");
	arca_ingest__hook_result_dispose(&r);
	free(real);
	tu_rmtree(dir);
}

static void test_ingest_hook__cannot_run(void **state)
{
	arca_ingest_hook_result r = ARCA_INGEST_HOOK_RESULT_INIT;
	arca_ingest_hook_run hr;
	arca_error err = ARCA_ERROR_INIT;
	char *const missing[] = { "arca-no-such-program-x", "a", NULL };
	char *dir = tu_mkdtemp(), *plain = ut_fmt("%s/plain.txt", dir);
	char *const notexec[] = { plain, NULL };
	char *const empty[] = { "", NULL };
	char *want;

	(void)state;
	ut_write_str(plain, "not a program\n");
	memset(&hr, 0, sizeof(hr));
	hr.cap = 100;
	hr.argv = missing;
	assert_int_equal(arca_ingest__hook_exec(&r, &hr, &err),
		ARCA_EINVALID);
	assert_string_equal(err.msg, "cannot run 'arca-no-such-program-x': "
		"No such file or directory");
	hr.argv = notexec;
	assert_int_equal(arca_ingest__hook_exec(&r, &hr, &err),
		ARCA_EINVALID);
	want = ut_fmt("cannot run '%s': Permission denied", plain);
	assert_string_equal(err.msg, want);
	free(want);
	hr.argv = empty;
	assert_int_equal(arca_ingest__hook_exec(&r, &hr, &err),
		ARCA_EINVALID);
	/* res untouched on failure */
	assert_null(r.out.data.data);
	assert_int_equal(r.exit_code, -1);
	free(plain);
	tu_rmtree(dir);
}

static void test_ingest_hook__json(void **state)
{
	arca_ingest_hook_result r = ARCA_INGEST_HOOK_RESULT_INIT;
	char *const bin[] = { "sh", "-c", "printf 'ok\\n'; printf '\\377\\376' "
		">&2; exit 2", NULL };
	/* 5 bytes cap cuts the 3-byte "é€" sequence in the middle */
	char *const utf[] = { "printf", "ab\xc3\xa9\xe2\x82\xac", NULL };
	char *text, why[200];
	json_t *j;

	(void)state;
	run(&r, bin, 10000, 1024, NULL, NULL);
	j = arca_ingest__hook_json(&r, bin);
	json_object_del(j, "duration_ms");
	text = json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS);
	assert_string_equal(text, "{\"argv\":[\"sh\",\"-c\",\"printf "
		"'ok\\\\n'; printf '\\\\377\\\\376' >&2; exit 2\"],\"exit\":2,"
		"\"stderr_b64\":\"//4=\",\"stdout\":\"ok\\n\"}");
	free(text);
	json_decref(j);
	arca_ingest__hook_describe(why, sizeof(why), &r, 1000);
	/* bytes that are not UTF-8 do not reach messages */
	assert_string_equal(why, "exited with status 2: ??");
	arca_ingest__hook_result_dispose(&r);

	run(&r, utf, 10000, 5, NULL, NULL);
	assert_true(r.out.truncated);
	j = arca_ingest__hook_json(&r, utf);
	json_object_del(j, "duration_ms");
	text = json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS);
	assert_string_equal(text, "{\"argv\":[\"printf\",\"ab\xc3\xa9\xe2\x82"
		"\xac\"],\"exit\":0,\"stderr\":\"\",\"stdout\":\"ab\xc3\xa9\","
		"\"stdout_bytes\":7,\"stdout_truncated\":true}");
	free(text);
	json_decref(j);
	arca_ingest__hook_result_dispose(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ingest_hook__exit_and_output),
		cmocka_unit_test(test_ingest_hook__truncation),
		cmocka_unit_test(test_ingest_hook__timeout_kills_group),
		cmocka_unit_test(test_ingest_hook__timeout_sigkill),
		cmocka_unit_test(test_ingest_hook__leftovers),
		cmocka_unit_test(test_ingest_hook__no_shell),
		cmocka_unit_test(test_ingest_hook__environment),
		cmocka_unit_test(test_ingest_hook__cannot_run),
		cmocka_unit_test(test_ingest_hook__json),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
