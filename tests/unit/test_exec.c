/*
 * Running a stage as a process (src/lib/run/exec.c), with real
 * processes: exit codes, captured output, the exact environment, no
 * shell, budgets (wall clock, memory, CPU) that end the whole process
 * group, leftovers killed, and a stage that dies with its runner.
 *
 * The test binary doubles as a helper program: "test_exec hog MIB" holds
 * MIB MiB resident, "burn" spins forever, "spin MS MIB" uses MS ms of CPU
 * and MIB MiB then exits (see main).
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include "testutil.h"
#include "ut_files.h"
#include "run/exec.h"
#include "run/exec_int.h"

static char self[PATH_MAX]; /* this test binary, for the helper modes */
static char *const path_env[] = { "PATH=/usr/bin:/bin", NULL };

#define MIB (1024ull * 1024)
#define SEC_NS INT64_C(1000000000)

/* Runs o with its stdout and stderr in dir; fails the test unless it
 * could be run at all. */
static void run(arca_exec_result *r, arca_exec_opts *o, const char *dir)
{
	arca_error err = ARCA_ERROR_INIT;
	char *out = ut_fmt("%s/stdout", dir), *errp = ut_fmt("%s/stderr", dir);

	if (!o->stdout_path)
		o->stdout_path = out;
	if (!o->stderr_path)
		o->stderr_path = errp;
	if (!o->envp)
		o->envp = path_env;
	if (arca_exec_run(r, o, &err) < 0)
		fail_msg("exec %s: %s", o->argv[0], err.msg);
	if (o->stdout_path == out)
		o->stdout_path = NULL;
	if (o->stderr_path == errp)
		o->stderr_path = NULL;
	free(out);
	free(errp);
}

static char *read_in(const char *dir, const char *name)
{
	char *p = ut_fmt("%s/%s", dir, name), *s = ut_read_file(p, NULL);

	free(p);
	return s;
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

static void sleep_ms(int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000 };

	nanosleep(&ts, NULL);
}

/* Waits up to ms for a pid written to path; 0 if none came. */
static pid_t read_pid(const char *path, int ms)
{
	for (int i = 0; i <= ms / 20; i++) {
		if (ut_exists(path)) {
			char *s = ut_read_file(path, NULL);
			long v = strtol(s, NULL, 10);
			free(s);
			if (v > 0)
				return (pid_t)v;
		}
		sleep_ms(20);
	}
	return 0;
}

static void test_exec__exit_codes(void **state)
{
	char *dir = tu_mkdtemp();
	char *const t[] = { "/bin/true", NULL }, *const f[] = { "/bin/false", NULL };
	char *const three[] = { "sh", "-c", "exit 3", NULL };
	arca_exec_opts o = { 0 };
	arca_exec_result r;

	(void)state;
	o.argv = t;
	run(&r, &o, dir);
	assert_int_equal(r.end, ARCA_EXEC_EXITED);
	assert_int_equal(r.exit_code, 0);
	assert_int_equal(r.signal, 0);
	assert_string_equal(r.message, "exit status 0");
	assert_true(r.wall_ns > 0);
	assert_true(r.start_ns > 0 && r.end_ns >= r.start_ns);
	o.argv = f;
	run(&r, &o, dir);
	assert_int_equal(r.end, ARCA_EXEC_EXITED);
	assert_int_equal(r.exit_code, 1);
	assert_string_equal(r.message, "exit status 1");
	o.argv = three;
	run(&r, &o, dir);
	assert_int_equal(r.exit_code, 3);
	assert_string_equal(arca_exec_end_name(r.end), "exited");
	tu_rmtree(dir);
}

static void test_exec__signaled(void **state)
{
	char *dir = tu_mkdtemp();
	char *const segv[] = { "sh", "-c", "kill -SEGV $$", NULL };
	arca_exec_opts o = { 0 };
	arca_exec_result r;

	(void)state;
	o.argv = segv;
	o.memory = 512 * MIB; /* not the reason: must stay SIGNALED */
	run(&r, &o, dir);
	assert_int_equal(r.end, ARCA_EXEC_SIGNALED);
	assert_int_equal(r.signal, SIGSEGV);
	assert_string_equal(r.message, "killed by signal 11 (Segmentation fault)");
	assert_string_equal(arca_exec_end_name(r.end), "signaled");
	tu_rmtree(dir);
}

/* stdout and stderr go to their files, created 0600 and truncated; one
 * file named twice gets both streams without one overwriting the other. */
static void test_exec__output_files(void **state)
{
	char *dir = tu_mkdtemp(), *s;
	char *both = ut_fmt("%s/both", dir), *out = ut_fmt("%s/stdout", dir);
	char *const prog[] = { "sh", "-c",
		"echo out; echo err >&2; echo out2; echo err2 >&2", NULL };
	arca_exec_opts o = { 0 };
	arca_exec_result r;
	struct stat sb;

	(void)state;
	ut_write_str(out, "old content that must go away, longer than the new\n");
	chmod(out, 0644);
	o.argv = prog;
	run(&r, &o, dir);
	assert_int_equal(r.end, ARCA_EXEC_EXITED);
	s = read_in(dir, "stdout");
	assert_string_equal(s, "out\nout2\n");
	free(s);
	s = read_in(dir, "stderr");
	assert_string_equal(s, "err\nerr2\n");
	free(s);
	assert_int_equal(stat(out, &sb), 0);
	assert_int_equal(sb.st_mode & 07777, 0600);

	o.stdout_path = o.stderr_path = both;
	run(&r, &o, dir);
	s = read_in(dir, "both");
	assert_string_equal(s, "out\nerr\nout2\nerr2\n");
	free(s);
	assert_int_equal(stat(both, &sb), 0);
	assert_int_equal(sb.st_mode & 07777, 0600);
	free(both);
	free(out);
	tu_rmtree(dir);
}

/* The child sees exactly envp: nothing of ours leaks in. */
static void test_exec__exact_environment(void **state)
{
	char *dir = tu_mkdtemp(), *s;
	char *const prog[] = { "/usr/bin/env", NULL };
	char *const env[] = { "A=1", "B=two words; $(x)", NULL };
	char *const lookup[] = { "env", NULL };
	char *const lookup_env[] = { "PATH=/nonexistent:relative:/usr/bin:/bin",
		"ONLY=this", NULL };
	char *const none[] = { NULL };
	arca_exec_opts o = { 0 };
	arca_exec_result r;

	(void)state;
	setenv("ARCA_TEST_LEAK", "must not appear", 1);
	o.argv = prog;
	o.envp = env;
	run(&r, &o, dir);
	assert_int_equal(r.end, ARCA_EXEC_EXITED);
	assert_int_equal(r.exit_code, 0);
	s = read_in(dir, "stdout");
	assert_string_equal(s, "A=1\nB=two words; $(x)\n");
	free(s);
	/* argv[0] without '/' is found in envp's PATH */
	o.argv = lookup;
	o.envp = lookup_env;
	run(&r, &o, dir);
	assert_int_equal(r.end, ARCA_EXEC_EXITED);
	s = read_in(dir, "stdout");
	assert_string_equal(s, "PATH=/nonexistent:relative:/usr/bin:/bin\nONLY=this\n");
	free(s);
	/* an empty environment: PATH defaults to /usr/bin:/bin */
	o.envp = none;
	run(&r, &o, dir);
	assert_int_equal(r.end, ARCA_EXEC_EXITED);
	assert_int_equal(r.exit_code, 0);
	s = read_in(dir, "stdout");
	assert_string_equal(s, "");
	free(s);
	unsetenv("ARCA_TEST_LEAK");
	tu_rmtree(dir);
}

static void test_exec__cwd_and_stdin(void **state)
{
	char *dir = tu_mkdtemp(), *sub = ut_fmt("%s/work dir", dir), *s, *want;
	char real[PATH_MAX];
	char *const pwd[] = { "/bin/pwd", "-P", NULL };
	char *const cat[] = { "cat", NULL };
	arca_exec_opts o = { 0 };
	arca_exec_result r;

	(void)state;
	ut_mkdir(sub, 0755);
	assert_non_null(realpath(sub, real));
	o.argv = pwd;
	o.cwd = sub;
	run(&r, &o, dir);
	assert_int_equal(r.end, ARCA_EXEC_EXITED);
	s = read_in(dir, "stdout");
	want = ut_fmt("%s\n", real);
	assert_string_equal(s, want);
	free(s);
	free(want);
	/* stdin is /dev/null: cat ends at once */
	o.argv = cat;
	o.cwd = NULL;
	o.wall_ms = 60000;
	run(&r, &o, dir);
	assert_int_equal(r.end, ARCA_EXEC_EXITED);
	assert_int_equal(r.exit_code, 0);
	s = read_in(dir, "stdout");
	assert_string_equal(s, "");
	free(s);
	free(sub);
	tu_rmtree(dir);
}

/* No shell: an element with spaces, ';', quotes and $() arrives as one
 * argument, unexpanded. */
static void test_exec__argv_no_shell(void **state)
{
	char *dir = tu_mkdtemp(), *s, *marker = ut_fmt("%s/pwned", dir);
	char *inject = ut_fmt("a b; touch '%s'", marker);
	char *const echo[] = { "/bin/echo", inject, NULL };
	char *const printf_[] = { "printf", "[%s]\\n", "x y", "$(id)", "'q\"", "",
		NULL };
	arca_exec_opts o = { 0 };
	arca_exec_result r;

	(void)state;
	o.argv = echo;
	run(&r, &o, dir);
	assert_int_equal(r.end, ARCA_EXEC_EXITED);
	s = read_in(dir, "stdout");
	assert_string_equal(s + strlen(s) - 1, "\n");
	s[strlen(s) - 1] = '\0';
	assert_string_equal(s, inject);
	free(s);
	assert_false(ut_exists(marker));
	o.argv = printf_;
	run(&r, &o, dir);
	s = read_in(dir, "stdout");
	assert_string_equal(s, "[x y]\n[$(id)]\n['q\"]\n[]\n");
	free(s);
	free(inject);
	free(marker);
	tu_rmtree(dir);
}

static void test_exec__not_started(void **state)
{
	char *dir = tu_mkdtemp(), *plain = ut_fmt("%s/plain", dir);
	char *const missing[] = { "/nonexistent/prog", NULL };
	char *const missing_path[] = { "no-such-program-arca", "x", NULL };
	char *const not_exec[] = { plain, NULL };
	char *const t[] = { "/bin/true", NULL };
	arca_exec_opts o = { 0 };
	arca_exec_result r;
	char *want;

	(void)state;
	o.argv = missing;
	run(&r, &o, dir);
	assert_int_equal(r.end, ARCA_EXEC_NOT_STARTED);
	assert_string_equal(r.message,
		"cannot run '/nonexistent/prog': No such file or directory");
	assert_string_equal(arca_exec_end_name(r.end), "not-started");
	/* the log files exist all the same */
	want = ut_fmt("%s/stderr", dir);
	assert_true(ut_exists(want));
	free(want);
	o.argv = missing_path;
	run(&r, &o, dir);
	assert_int_equal(r.end, ARCA_EXEC_NOT_STARTED);
	assert_string_equal(r.message,
		"cannot run 'no-such-program-arca': No such file or directory");
	ut_write_str(plain, "#!/bin/sh\necho hi\n");
	chmod(plain, 0644);
	o.argv = not_exec;
	run(&r, &o, dir);
	assert_int_equal(r.end, ARCA_EXEC_NOT_STARTED);
	want = ut_fmt("cannot run '%s': Permission denied", plain);
	assert_string_equal(r.message, want);
	free(want);
	o.argv = t;
	o.cwd = "/nonexistent-dir";
	run(&r, &o, dir);
	assert_int_equal(r.end, ARCA_EXEC_NOT_STARTED);
	assert_string_equal(r.message, "cannot run '/bin/true': cannot enter "
		"'/nonexistent-dir': No such file or directory");
	free(plain);
	tu_rmtree(dir);
}

/* Failures of the runner itself are errors, not results. */
static void test_exec__runner_errors(void **state)
{
	char *const t[] = { "/bin/true", NULL };
	char *const empty[] = { NULL };
	arca_error err = ARCA_ERROR_INIT;
	arca_exec_opts o = { 0 };
	arca_exec_result r;

	(void)state;
	o.argv = empty;
	assert_int_equal(arca_exec_run(&r, &o, &err), ARCA_EINVALID);
	o.argv = t;
	o.stdout_path = "/nonexistent-dir/out";
	assert_int_equal(arca_exec_run(&r, &o, &err), ARCA_ERROR);
	assert_string_equal(err.msg, "cannot open '/nonexistent-dir/out': "
		"No such file or directory");
	/* NULL paths are /dev/null */
	o.stdout_path = NULL;
	assert_int_equal(arca_exec_run(&r, &o, &err), 0);
	assert_int_equal(r.end, ARCA_EXEC_EXITED);
}

static int64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * SEC_NS + ts.tv_nsec;
}

/* A 300 ms budget ends a 60 s sleep long before it would have. */
static void test_exec__timeout(void **state)
{
	char *dir = tu_mkdtemp();
	char *const slow[] = { "sleep", "60", NULL };
	arca_exec_opts o = { 0 };
	arca_exec_result r;
	int64_t t0 = mono_ns();

	(void)state;
	o.argv = slow;
	o.wall_ms = 300;
	run(&r, &o, dir);
	assert_int_equal(r.end, ARCA_EXEC_TIMEOUT);
	assert_int_equal(r.signal, SIGTERM);
	assert_string_equal(r.message,
		"exceeded its wall-clock budget of 300ms; terminated");
	assert_string_equal(arca_exec_end_name(r.end), "timeout");
	assert_true(r.wall_ns >= 300 * 1000000);
	assert_true(r.wall_ns < 30 * SEC_NS);
	assert_true(mono_ns() - t0 < 30 * SEC_NS);
	tu_rmtree(dir);
}

/*
 * A program that ignores SIGTERM is killed after the grace. The shell
 * writes its marker only once the trap is set: a SIGTERM that came
 * earlier (a very slow machine) killed it before the trap, so try again
 * with a longer budget.
 */
static void test_exec__timeout_ignores_term(void **state)
{
	char *dir = tu_mkdtemp(), *marker = ut_fmt("%s/trapped", dir);
	char *const stubborn[] = { "sh", "-c",
		"trap '' TERM; : > \"$0\"; sleep 60", marker, NULL };
	arca_exec_opts o = { 0 };
	arca_exec_result r;
	int done = 0;

	(void)state;
	for (int i = 0; i < 5 && !done; i++) {
		unlink(marker);
		memset(&o, 0, sizeof(o));
		o.argv = stubborn;
		o.wall_ms = 300 << i;
		o.term_grace_ms = 300;
		run(&r, &o, dir);
		assert_int_equal(r.end, ARCA_EXEC_TIMEOUT);
		assert_true(r.wall_ns < 30 * SEC_NS);
		if (!ut_exists(marker))
			continue;
		done = 1;
		assert_int_equal(r.signal, SIGKILL);
		assert_true(r.wall_ns >= (o.wall_ms + 300) * 1000000);
		assert_non_null(strstr(r.message, "terminated, then killed "
			"after a grace of 300ms"));
	}
	assert_true(done);
	free(marker);
	tu_rmtree(dir);
}

/* A hog of 300 MiB under a 64 MiB budget: the group is killed. */
static void test_exec__memory(void **state)
{
	char *dir = tu_mkdtemp();
	char *const hog[] = { self, "hog", "300", NULL };
	char *const small[] = { self, "spin", "0", "16", NULL };
	char *const brief[] = { self, "spin", "0", "200", NULL };
	arca_exec_opts o = { 0 };
	arca_exec_result r;

	(void)state;
	o.argv = hog;
	o.memory = 64 * MIB;
	o.wall_ms = 120000;
	run(&r, &o, dir);
	assert_int_equal(r.end, ARCA_EXEC_MEMORY);
	assert_int_equal(r.signal, SIGKILL);
	assert_true(r.max_rss > 64 * MIB);
	assert_true(r.wall_ns < 60 * SEC_NS);
	assert_non_null(strstr(r.message,
		"exceeded its memory budget of 64 MiB (peak "));
	assert_non_null(strstr(r.message, "); killed"));
	assert_string_equal(arca_exec_end_name(r.end), "memory");
	/* over the budget only briefly (touch 200 MiB, exit): killed by the
	 * sampler or, if it was faster than a sample, caught by ru_maxrss */
	o.argv = brief;
	run(&r, &o, dir);
	assert_int_equal(r.end, ARCA_EXEC_MEMORY);
	assert_true(r.max_rss > 64 * MIB);
	/* within budget: runs to the end, peak measured */
	o.argv = small;
	o.memory = 1024 * MIB;
	run(&r, &o, dir);
	assert_int_equal(r.end, ARCA_EXEC_EXITED);
	assert_int_equal(r.exit_code, 0);
	assert_true(r.max_rss >= 16 * MIB);
	tu_rmtree(dir);
}

/* A burner over a 1 s CPU budget: SIGXCPU from RLIMIT_CPU. */
static void test_exec__cpu(void **state)
{
	char *dir = tu_mkdtemp(), *s;
	char *const burn[] = { self, "burn", NULL };
	char *const xcpu[] = { "sh", "-c", "kill -XCPU $$", NULL };
	char *const limits[] = { "cat", "/proc/self/limits", NULL };
	arca_exec_opts o = { 0 };
	arca_exec_result r;

	(void)state;
	o.argv = burn;
	o.cpu_s = 1;
	o.wall_ms = 60000;
	run(&r, &o, dir);
	assert_int_equal(r.end, ARCA_EXEC_CPU);
	assert_true(r.signal == SIGXCPU || r.signal == SIGKILL);
	/* rusage and the rlimit check account CPU time a little differently
	 * on a busy (virtual) machine: only a loose lower bound */
	assert_true(r.user_us + r.sys_us >= 500000);
	assert_string_equal(r.message, "exceeded its CPU budget of 1s");
	assert_string_equal(arca_exec_end_name(r.end), "cpu");
	/* a SIGXCPU that is not from the limit is just a signal */
	o.argv = xcpu;
	run(&r, &o, dir);
	assert_int_equal(r.end, ARCA_EXEC_SIGNALED);
	assert_int_equal(r.signal, SIGXCPU);
	/* the limits the child starts with */
	o.argv = limits;
	o.cpu_s = 5;
	run(&r, &o, dir);
	s = read_in(dir, "stdout");
	assert_non_null(strstr(s, "Max cpu time              5                    7"));
	assert_non_null(strstr(s, "Max core file size        0                    0"));
	free(s);
	tu_rmtree(dir);
}

/* A busy child: CPU time and peak resident set are measured. */
static void test_exec__rusage(void **state)
{
	char *dir = tu_mkdtemp();
	char *const spin[] = { self, "spin", "300", "32", NULL };
	arca_exec_opts o = { 0 };
	arca_exec_result r;

	(void)state;
	o.argv = spin;
	o.wall_ms = 120000;
	run(&r, &o, dir);
	assert_int_equal(r.end, ARCA_EXEC_EXITED);
	assert_int_equal(r.exit_code, 0);
	assert_true(r.user_us > 0);
	/* a loose bound: rusage reads low on a busy VM (see test_exec__cpu) */
	assert_true(r.user_us + r.sys_us >= 150000);
	assert_true(r.max_rss >= 32 * MIB);
	assert_true(r.wall_ns >= 250 * 1000000);
	tu_rmtree(dir);
}

/* A grandchild left running in the background is killed when the
 * program ends. */
static void test_exec__leftovers_killed(void **state)
{
	char *dir = tu_mkdtemp(), *pidfile = ut_fmt("%s/pid", dir);
	char *const bg[] = { "sh", "-c", "sleep 60 & echo $! > \"$0\"; exit 0",
		pidfile, NULL };
	arca_exec_opts o = { 0 };
	arca_exec_result r;
	pid_t gc;

	(void)state;
	o.argv = bg;
	o.wall_ms = 120000;
	run(&r, &o, dir);
	assert_int_equal(r.end, ARCA_EXEC_EXITED);
	assert_int_equal(r.exit_code, 0);
	assert_true(r.wall_ns < 30 * SEC_NS);
	gc = read_pid(pidfile, 0);
	assert_true(gc > 0);
	assert_true(gone(gc));
	free(pidfile);
	tu_rmtree(dir);
}

/* The program runs as the leader of its own process group, with default
 * dispositions and an empty mask whatever the caller had. */
static void on_start(pid_t pid, void *payload)
{
	*(pid_t *)payload = pid;
}

static void test_exec__process_state(void **state)
{
	char *dir = tu_mkdtemp(), *s, *p;
	char *const stat_[] = { "cat", "/proc/self/stat", NULL };
	char *const status[] = { "grep", "-E", "^Sig(Blk|Ign)", "/proc/self/status",
		NULL };
	arca_exec_opts o = { 0 };
	arca_exec_result r;
	sigset_t block, old;
	pid_t started = 0;
	long pid, pgrp;
	char st;

	(void)state;
	o.argv = stat_;
	o.on_start = on_start;
	o.payload = &started;
	run(&r, &o, dir);
	assert_int_equal(r.end, ARCA_EXEC_EXITED);
	s = read_in(dir, "stdout");
	pid = strtol(s, NULL, 10);
	p = strrchr(s, ')');
	assert_non_null(p);
	assert_int_equal(sscanf(p + 2, "%c %*d %ld", &st, &pgrp), 2);
	assert_int_equal(pid, started);
	assert_int_equal(pgrp, pid);
	assert_int_not_equal(pgrp, getpgrp());
	free(s);

	signal(SIGINT, SIG_IGN);
	signal(SIGHUP, SIG_IGN);
	sigemptyset(&block);
	sigaddset(&block, SIGUSR1);
	sigaddset(&block, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &block, &old);
	o.argv = status;
	o.on_start = NULL;
	run(&r, &o, dir);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	signal(SIGINT, SIG_DFL);
	signal(SIGHUP, SIG_DFL);
	s = read_in(dir, "stdout");
	assert_string_equal(s, "SigBlk:\t0000000000000000\n"
		"SigIgn:\t0000000000000000\n");
	free(s);
	tu_rmtree(dir);
}

/* Two stages at once from two threads, each with its own files. */
typedef struct job {
	char *dir;
	char *word;
	arca_exec_result r;
	int rc;
} job;

static void *run_job(void *arg)
{
	job *j = arg;
	char *out = ut_fmt("%s/%s.out", j->dir, j->word);
	char *const prog[] = { "sh", "-c", "sleep 0.2; echo \"$0\"", j->word,
		NULL };
	arca_exec_opts o = { 0 };

	o.argv = prog;
	o.envp = path_env;
	o.stdout_path = out;
	o.memory = 512 * MIB;
	o.wall_ms = 60000;
	j->rc = arca_exec_run(&j->r, &o, NULL);
	free(out);
	return NULL;
}

static void test_exec__threads(void **state)
{
	char *dir = tu_mkdtemp(), *s;
	job jobs[2] = { { dir, "alpha", { 0 }, -1 }, { dir, "beta", { 0 }, -1 } };
	pthread_t t[2];

	(void)state;
	for (int i = 0; i < 2; i++)
		assert_int_equal(pthread_create(&t[i], NULL, run_job, &jobs[i]), 0);
	for (int i = 0; i < 2; i++) {
		char *want = ut_fmt("%s\n", jobs[i].word);
		pthread_join(t[i], NULL);
		assert_int_equal(jobs[i].rc, 0);
		assert_int_equal(jobs[i].r.end, ARCA_EXEC_EXITED);
		assert_int_equal(jobs[i].r.exit_code, 0);
		s = read_in(dir, strcmp(jobs[i].word, "alpha") ? "beta.out" :
			"alpha.out");
		assert_string_equal(s, want);
		free(s);
		free(want);
	}
	tu_rmtree(dir);
}

/* A runner killed with SIGKILL takes its stage with it. */
static void test_exec__dies_with_runner(void **state)
{
	char *dir = tu_mkdtemp(), *pidfile = ut_fmt("%s/pid", dir);
	char *const prog[] = { "sh", "-c", "echo $$ > \"$0\"; exec sleep 60",
		pidfile, NULL };
	pid_t runner, stage;
	int status, dead = 0;

	(void)state;
	runner = fork();
	assert_true(runner >= 0);
	if (runner == 0) {
		arca_exec_opts o = { 0 };
		arca_exec_result r;
		o.argv = prog;
		o.envp = path_env;
		o.wall_ms = 120000;
		arca_exec_run(&r, &o, NULL);
		_exit(0);
	}
	stage = read_pid(pidfile, 30000);
	if (stage <= 0)
		kill(runner, SIGKILL);
	assert_true(stage > 0);
	assert_false(gone(stage));
	assert_int_equal(kill(runner, SIGKILL), 0);
	assert_int_equal(waitpid(runner, &status, 0), runner);
	for (int i = 0; i < 500 && !dead; i++) {
		dead = gone(stage);
		if (!dead)
			sleep_ms(20);
	}
	if (!dead)
		kill(stage, SIGKILL);
	assert_true(dead);
	free(pidfile);
	tu_rmtree(dir);
}

static void test_exec__formats(void **state)
{
	char b[48];

	(void)state;
	arca_exec__fmt_duration(b, sizeof(b), 300);
	assert_string_equal(b, "300ms");
	arca_exec__fmt_duration(b, sizeof(b), 2000);
	assert_string_equal(b, "2s");
	arca_exec__fmt_duration(b, sizeof(b), 1500);
	assert_string_equal(b, "1.5s");
	arca_exec__fmt_duration(b, sizeof(b), 1234);
	assert_string_equal(b, "1.234s");
	arca_exec__fmt_duration(b, sizeof(b), 90000);
	assert_string_equal(b, "1m30s");
	arca_exec__fmt_duration(b, sizeof(b), 600000);
	assert_string_equal(b, "10m");
	arca_exec__fmt_duration(b, sizeof(b), 5400000);
	assert_string_equal(b, "1h30m");
	arca_exec__fmt_duration(b, sizeof(b), 0);
	assert_string_equal(b, "0ms");
	arca_exec__fmt_size(b, sizeof(b), 64 * MIB);
	assert_string_equal(b, "64 MiB");
	arca_exec__fmt_size(b, sizeof(b), 70 * MIB + 300 * 1024);
	assert_string_equal(b, "70.3 MiB");
	arca_exec__fmt_size(b, sizeof(b), 2048ull * MIB);
	assert_string_equal(b, "2 GiB");
	arca_exec__fmt_size(b, sizeof(b), 100);
	assert_string_equal(b, "100 B");
	assert_string_equal(arca_exec_end_name((arca_exec_end)99), "unknown");
}

/* Helper modes: see the comment at the top. */
static volatile unsigned long sink;

static void touch(size_t mib, char **keep)
{
	char *p = malloc(mib * MIB + 1);

	if (!p)
		_exit(3);
	/* one write per page makes it resident */
	for (size_t i = 0; i < mib * MIB; i += 4096)
		p[i] = (char)i;
	sink += (unsigned long)p[mib * MIB / 2];
	*keep = p;
}

static int helper(int argc, char **argv)
{
	char *keep = NULL;

	if (!strcmp(argv[1], "hog") && argc == 3) {
		touch(strtoul(argv[2], NULL, 10), &keep);
		sleep(60);
		free(keep);
		return 0;
	}
	if (!strcmp(argv[1], "burn"))
		for (;;)
			sink++;
	if (!strcmp(argv[1], "spin") && argc == 4) {
		struct timespec ts;
		int64_t until;
		clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
		until = (int64_t)ts.tv_sec * SEC_NS + ts.tv_nsec +
			strtol(argv[2], NULL, 10) * 1000000;
		touch(strtoul(argv[3], NULL, 10), &keep);
		do {
			for (int i = 0; i < 100000; i++)
				sink += (unsigned long)i;
			clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
		} while ((int64_t)ts.tv_sec * SEC_NS + ts.tv_nsec < until);
		free(keep);
		return 0;
	}
	fprintf(stderr, "test_exec: unknown helper mode\n");
	return 2;
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_exec__exit_codes),
		cmocka_unit_test(test_exec__signaled),
		cmocka_unit_test(test_exec__output_files),
		cmocka_unit_test(test_exec__exact_environment),
		cmocka_unit_test(test_exec__cwd_and_stdin),
		cmocka_unit_test(test_exec__argv_no_shell),
		cmocka_unit_test(test_exec__not_started),
		cmocka_unit_test(test_exec__runner_errors),
		cmocka_unit_test(test_exec__timeout),
		cmocka_unit_test(test_exec__timeout_ignores_term),
		cmocka_unit_test(test_exec__memory),
		cmocka_unit_test(test_exec__cpu),
		cmocka_unit_test(test_exec__rusage),
		cmocka_unit_test(test_exec__leftovers_killed),
		cmocka_unit_test(test_exec__process_state),
		cmocka_unit_test(test_exec__threads),
		cmocka_unit_test(test_exec__dies_with_runner),
		cmocka_unit_test(test_exec__formats),
	};
	ssize_t n;

	if (argc > 1)
		return helper(argc, argv);
	if ((n = readlink("/proc/self/exe", self, sizeof(self) - 1)) <= 0) {
		fprintf(stderr, "test_exec: cannot read /proc/self/exe\n");
		return 1;
	}
	self[n] = '\0';
	return cmocka_run_group_tests(tests, NULL, NULL);
}
