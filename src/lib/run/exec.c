/*
 * Running one stage as a child process (exec.h): fork + execve of an argv
 * in its own process group, the child tied to the runner by
 * PR_SET_PDEATHSIG, then a wait loop on a pidfd that enforces the wall
 * clock (SIGTERM, then SIGKILL) and samples the group's resident set.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include "run/exec.h"
#include "run/exec_int.h"

#define DEFAULT_GRACE_MS 5000
#define IDLE_SAMPLE_MS 250
#define DRAIN_MS 5000     /* how long leftovers of the group may take to die */
#define DEFAULT_PATH "/usr/bin:/bin"

/* What went wrong in the child before the program ran. */
enum { STEP_SETUP = 1, STEP_CHDIR, STEP_EXEC };

static int64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static int64_t real_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

const char *arca_exec_end_name(arca_exec_end e)
{
	switch (e) {
	case ARCA_EXEC_EXITED: return "exited";
	case ARCA_EXEC_SIGNALED: return "signaled";
	case ARCA_EXEC_TIMEOUT: return "timeout";
	case ARCA_EXEC_CPU: return "cpu";
	case ARCA_EXEC_MEMORY: return "memory";
	case ARCA_EXEC_NOT_STARTED: return "not-started";
	}
	return "unknown";
}

/* Moves fd above 0-2 (close-on-exec), so that the child's dup2 onto
 * 0, 1, 2 never overwrites a descriptor it still needs. */
static int high_fd(int fd)
{
	int h, e;

	if (fd < 0 || fd > 2)
		return fd;
	h = fcntl(fd, F_DUPFD_CLOEXEC, 3);
	e = errno;
	close(fd);
	errno = e;
	return h;
}

/* Everything the child needs, prepared before fork. */
typedef struct plan {
	const char *path;
	char *const *argv;
	char *const *envp;
	const char *cwd;
	int null_fd, out_fd, err_fd, status_fd;
	pid_t parent;
	struct rlimit core, cpu;
	int has_cpu;
} plan;

static void child_fail(int fd, int step)
{
	int msg[2] = { step, errno };

	while (write(fd, msg, sizeof(msg)) < 0 && errno == EINTR)
		;
	_exit(127);
}

/* Between fork and exec: async-signal-safe calls only. */
static void child(const plan *p)
{
	struct sigaction dfl;
	sigset_t none;
	int st = p->status_fd;

	setpgid(0, 0);
	if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0)
		child_fail(st, STEP_SETUP);
	/* the runner died before prctl took effect: nobody would kill us */
	if (getppid() != p->parent)
		_exit(127);
	memset(&dfl, 0, sizeof(dfl));
	dfl.sa_handler = SIG_DFL;
	sigemptyset(&dfl.sa_mask);
	/* ignored signals stay ignored across exec: reset them all (some
	 * numbers are refused, which is fine) */
	for (int s = 1; s < NSIG; s++)
		if (s != SIGKILL && s != SIGSTOP)
			sigaction(s, &dfl, NULL);
	if (dup2(p->null_fd, 0) < 0 || dup2(p->out_fd, 1) < 0 ||
		dup2(p->err_fd, 2) < 0)
		child_fail(st, STEP_SETUP);
	if (p->cwd && chdir(p->cwd) < 0)
		child_fail(st, STEP_CHDIR);
	if (setrlimit(RLIMIT_CORE, &p->core) < 0 ||
		(p->has_cpu && setrlimit(RLIMIT_CPU, &p->cpu) < 0))
		child_fail(st, STEP_SETUP);
	/* keep 0-2 and the status pipe (close-on-exec) only */
	if (st != 3) {
		if (dup2(st, 3) < 0)
			child_fail(st, STEP_SETUP);
		st = 3;
		if (fcntl(st, F_SETFD, FD_CLOEXEC) < 0)
			child_fail(st, STEP_SETUP);
	}
	close_range(4, ~0U, 0);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	execve(p->path, p->argv, p->envp);
	child_fail(st, STEP_EXEC);
}

/*
 * Resolves argv[0] like execvpe, but over envp's PATH and before fork.
 * 0, or the errno exec would have given (ENOENT, EACCES, ...).
 */
static int find_program(char *out, size_t size, const char *name,
	char *const *envp)
{
	const char *path = NULL, *p;
	int e = ENOENT;
	size_t nlen = strlen(name);

	if (!*name)
		return ENOENT;
	if (strchr(name, '/')) {
		if (nlen >= size)
			return ENAMETOOLONG;
		memcpy(out, name, nlen + 1);
		return 0;
	}
	for (size_t i = 0; envp && envp[i]; i++)
		if (!strncmp(envp[i], "PATH=", 5))
			path = envp[i] + 5;
	if (!path)
		path = DEFAULT_PATH;
	for (p = path; ; ) {
		const char *colon = strchr(p, ':');
		size_t dlen = colon ? (size_t)(colon - p) : strlen(p);
		struct stat sb;

		if (dlen && p[0] == '/' && dlen + 1 + nlen < size) {
			memcpy(out, p, dlen);
			out[dlen] = '/';
			memcpy(out + dlen + 1, name, nlen + 1);
			if (stat(out, &sb) == 0 && S_ISREG(sb.st_mode)) {
				if (faccessat(AT_FDCWD, out, X_OK, AT_EACCESS) == 0)
					return 0;
				e = EACCES;
			}
		}
		if (!colon)
			break;
		p = colon + 1;
	}
	return e;
}

/* Opens a log file for the child; NULL is /dev/null. */
static int open_log(const char *path, arca_error *err)
{
	struct stat sb;
	int fd;

	if (!path)
		fd = open("/dev/null", O_WRONLY | O_CLOEXEC);
	else
		fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0 || (fd = high_fd(fd)) < 0)
		return arca_error_set_errno(err, ARCA_ERROR, errno,
			"cannot open '%s'", path ? path : "/dev/null");
	/* an existing file keeps its mode on open: logs are private (but
	 * never chmod a device someone named, like /dev/null) */
	if (path && fstat(fd, &sb) == 0 && S_ISREG(sb.st_mode) &&
		(sb.st_mode & 07777) != 0600 && fchmod(fd, 0600) < 0) {
		int e = errno;
		close(fd);
		return arca_error_set_errno(err, ARCA_ERROR, e,
			"cannot make '%s' private", path);
	}
	return fd;
}

typedef struct waiter {
	const arca_exec_opts *o;
	pid_t pid;
	int pidfd;
	int64_t t0, term_at, kill_at, next_sample;
	int timed_out, killed, mem_killed;
	uint64_t peak, rss_at_kill;
	int status;
	struct rusage ru;
} waiter;

/* 1 when the child has exited (left as a zombie, not reaped yet). */
static int has_exited(const waiter *w)
{
	siginfo_t si;

	memset(&si, 0, sizeof(si));
	if (waitid(P_PID, (id_t)w->pid, &si, WEXITED | WNOHANG | WNOWAIT) < 0)
		return errno == ECHILD; /* someone reaped it: treat as gone */
	return si.si_pid == w->pid;
}

static void sample(waiter *w)
{
	uint64_t rss;
	int alive;

	if (arca_exec__group_scan(w->pid, &rss, &alive) < 0)
		return;
	if (rss > w->peak)
		w->peak = rss;
	if (w->o->memory && rss > w->o->memory && !w->mem_killed) {
		kill(-w->pid, SIGKILL);
		w->mem_killed = 1;
		w->rss_at_kill = rss;
	}
}

static int64_t min_deadline(int64_t a, int64_t b)
{
	return !a ? b : !b ? a : a < b ? a : b;
}

/* Waits for the child to exit, enforcing the wall clock and memory. */
static void wait_loop(waiter *w)
{
	const arca_exec_opts *o = w->o;
	int64_t grace = (o->term_grace_ms > 0 ? o->term_grace_ms :
		DEFAULT_GRACE_MS) * 1000000;
	int64_t every = (o->memory ? ARCA_EXEC_SAMPLE_MS : IDLE_SAMPLE_MS) *
		(int64_t)1000000;

	w->next_sample = w->t0;
	for (;;) {
		int64_t now = mono_ns(), next, ms;
		struct pollfd pfd;

		if (has_exited(w))
			return;
		if (o->wall_ms > 0 && !w->term_at &&
			now - w->t0 >= o->wall_ms * 1000000) {
			kill(-w->pid, SIGTERM);
			w->timed_out = 1;
			w->term_at = now;
			w->kill_at = now + grace;
		}
		if (w->kill_at && !w->killed && now >= w->kill_at) {
			kill(-w->pid, SIGKILL);
			w->killed = 1;
		}
		if (now >= w->next_sample) {
			sample(w);
			w->next_sample = now + every;
		}
		next = w->next_sample;
		if (o->wall_ms > 0 && !w->term_at)
			next = min_deadline(next, w->t0 + o->wall_ms * 1000000);
		if (w->kill_at && !w->killed)
			next = min_deadline(next, w->kill_at);
		ms = (next - mono_ns() + 999999) / 1000000;
		if (ms < 1)
			ms = 1;
		/* without a pidfd, exits are noticed by polling */
		if (w->pidfd < 0 && ms > 20)
			ms = 20;
		pfd.fd = w->pidfd;
		pfd.events = POLLIN;
		pfd.revents = 0;
		/* EINTR: just look again */
		poll(w->pidfd >= 0 ? &pfd : NULL, w->pidfd >= 0 ? 1 : 0,
			(int)ms);
	}
}

/*
 * The program has exited and is a zombie, which keeps its process group
 * id from being reused: kill what is left in the group and wait until it
 * is gone (bounded), then reap the child.
 */
static void finish(waiter *w)
{
	int64_t until = mono_ns() + (int64_t)DRAIN_MS * 1000000;
	struct timespec tick = { 0, 5000000 };
	uint64_t rss;
	int alive;

	for (;;) {
		kill(-w->pid, SIGKILL);
		if (arca_exec__group_scan(w->pid, &rss, &alive) < 0 ||
			!alive || mono_ns() >= until)
			break;
		nanosleep(&tick, NULL);
	}
	memset(&w->ru, 0, sizeof(w->ru));
	while (wait4(w->pid, &w->status, 0, &w->ru) < 0 && errno == EINTR)
		;
}

static void describe(arca_exec_result *res, const waiter *w)
{
	const arca_exec_opts *o = w->o;
	char a[48], b[48];
	const char *d;

	switch (res->end) {
	case ARCA_EXEC_EXITED:
		snprintf(res->message, sizeof(res->message), "exit status %d",
			res->exit_code);
		break;
	case ARCA_EXEC_SIGNALED:
		d = sigdescr_np(res->signal);
		snprintf(res->message, sizeof(res->message),
			"killed by signal %d (%s)", res->signal,
			d ? d : "unknown signal");
		break;
	case ARCA_EXEC_TIMEOUT:
		arca_exec__fmt_duration(a, sizeof(a), o->wall_ms);
		arca_exec__fmt_duration(b, sizeof(b), o->term_grace_ms > 0 ?
			o->term_grace_ms : DEFAULT_GRACE_MS);
		if (w->killed && res->signal == SIGKILL)
			snprintf(res->message, sizeof(res->message),
				"exceeded its wall-clock budget of %s; terminated, "
				"then killed after a grace of %s", a, b);
		else
			snprintf(res->message, sizeof(res->message),
				"exceeded its wall-clock budget of %s; terminated", a);
		break;
	case ARCA_EXEC_CPU:
		arca_exec__fmt_duration(a, sizeof(a), o->cpu_s * 1000);
		snprintf(res->message, sizeof(res->message),
			"exceeded its CPU budget of %s", a);
		break;
	case ARCA_EXEC_MEMORY:
		arca_exec__fmt_size(a, sizeof(a), o->memory);
		arca_exec__fmt_size(b, sizeof(b), res->max_rss);
		snprintf(res->message, sizeof(res->message),
			"exceeded its memory budget of %s (peak %s)%s", a, b,
			w->mem_killed ? "; killed" : "");
		break;
	case ARCA_EXEC_NOT_STARTED:
		break;
	}
}

/* Fills res from the reaped child's status and rusage. */
static void classify(arca_exec_result *res, const waiter *w)
{
	const arca_exec_opts *o = w->o;
	uint64_t ru_rss = (uint64_t)w->ru.ru_maxrss * 1024;
	int64_t cpu_us;

	res->user_us = (int64_t)w->ru.ru_utime.tv_sec * 1000000 +
		w->ru.ru_utime.tv_usec;
	res->sys_us = (int64_t)w->ru.ru_stime.tv_sec * 1000000 +
		w->ru.ru_stime.tv_usec;
	res->max_rss = ru_rss > w->peak ? ru_rss : w->peak;
	if (w->mem_killed && w->rss_at_kill > res->max_rss)
		res->max_rss = w->rss_at_kill;
	cpu_us = res->user_us + res->sys_us;
	if (WIFEXITED(w->status))
		res->exit_code = WEXITSTATUS(w->status);
	else if (WIFSIGNALED(w->status))
		res->signal = WTERMSIG(w->status);
	if (w->mem_killed)
		res->end = ARCA_EXEC_MEMORY;
	else if (w->timed_out)
		res->end = ARCA_EXEC_TIMEOUT;
	/* SIGXCPU comes at the soft limit, SIGKILL at the hard one. rusage
	 * reads up to ~15% below what the limit counted on a busy virtual
	 * machine: half the budget tells the limit from a stray kill -XCPU */
	else if (o->cpu_s > 0 && ((res->signal == SIGXCPU &&
		cpu_us >= o->cpu_s * 500000) ||
		(res->signal == SIGKILL && cpu_us >= o->cpu_s * 1000000)))
		res->end = ARCA_EXEC_CPU;
	else if (o->memory && ru_rss > o->memory)
		res->end = ARCA_EXEC_MEMORY;
	else if (WIFSIGNALED(w->status))
		res->end = ARCA_EXEC_SIGNALED;
	else
		res->end = ARCA_EXEC_EXITED;
	describe(res, w);
}

static void not_started(arca_exec_result *res, const arca_exec_opts *o,
	int step, int e)
{
	char buf[128];
	const char *why = strerror_r(e, buf, sizeof(buf));

	res->end = ARCA_EXEC_NOT_STARTED;
	res->exit_code = 127;
	if (step == STEP_CHDIR)
		snprintf(res->message, sizeof(res->message),
			"cannot run '%s': cannot enter '%s': %s", o->argv[0],
			o->cwd, why);
	else if (step == STEP_SETUP)
		snprintf(res->message, sizeof(res->message),
			"cannot run '%s': setting up its process: %s", o->argv[0],
			why);
	else
		snprintf(res->message, sizeof(res->message),
			"cannot run '%s': %s", o->argv[0], why);
}

/* Reads the exec status pipe: 0 if the program started, else the step
 * that failed (with *e its errno). */
static int exec_status(int fd, int *e)
{
	int msg[2] = { 0, 0 };
	ssize_t r;

	while ((r = read(fd, msg, sizeof(msg))) < 0 && errno == EINTR)
		;
	if (r != (ssize_t)sizeof(msg))
		return 0;
	*e = msg[1];
	return msg[0];
}

static int start_and_wait(arca_exec_result *res, const arca_exec_opts *o,
	plan *pl, arca_error *err)
{
	int st[2] = { -1, -1 }, step, e = 0, rc = 0;
	sigset_t all, old;
	waiter w;

	memset(&w, 0, sizeof(w));
	w.o = o;
	w.pidfd = -1;
	if (pipe2(st, O_CLOEXEC) < 0 || (st[0] = high_fd(st[0])) < 0 ||
		(st[1] = high_fd(st[1])) < 0) {
		rc = arca_error_set_errno(err, ARCA_ERROR, errno,
			"cannot run '%s': pipe", o->argv[0]);
		goto done;
	}
	pl->status_fd = st[1];
	pl->parent = getpid();
	/* no handler of ours may run in the child before it resets them */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	res->start_ns = real_ns();
	w.t0 = mono_ns();
	w.pid = fork();
	e = errno;
	if (w.pid == 0)
		child(pl);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (w.pid < 0) {
		rc = arca_error_set_errno(err, ARCA_ERROR, e,
			"cannot run '%s': fork", o->argv[0]);
		goto done;
	}
	/* also here, so that signalling the group never races the child
	 * (EACCES once it has exec'd: it has done it itself then) */
	setpgid(w.pid, w.pid);
	close(st[1]);
	st[1] = -1;
	if ((step = exec_status(st[0], &e))) {
		while (wait4(w.pid, &w.status, 0, &w.ru) < 0 && errno == EINTR)
			;
		res->end_ns = real_ns();
		res->wall_ns = mono_ns() - w.t0;
		not_started(res, o, step, e);
		goto done;
	}
	if (o->on_start)
		o->on_start(w.pid, o->payload);
#ifdef SYS_pidfd_open
	w.pidfd = (int)syscall(SYS_pidfd_open, w.pid, 0);
#endif
	wait_loop(&w);
	finish(&w);
	res->end_ns = real_ns();
	res->wall_ns = mono_ns() - w.t0;
	classify(res, &w);
done:
	if (w.pidfd >= 0)
		close(w.pidfd);
	for (int i = 0; i < 2; i++)
		if (st[i] >= 0)
			close(st[i]);
	return rc;
}

int arca_exec_run(arca_exec_result *res, const arca_exec_opts *o,
	arca_error *err)
{
	static char *const no_env[] = { NULL };
	char path[PATH_MAX];
	struct stat a, b;
	plan pl;
	int rc = 0, e;

	memset(res, 0, sizeof(*res));
	memset(&pl, 0, sizeof(pl));
	pl.null_fd = pl.out_fd = pl.err_fd = -1;
	if (!o->argv || !o->argv[0])
		return arca_error_set(err, ARCA_EINVALID, "empty command");
	if (o->memory && access("/proc/self/stat", R_OK) < 0)
		return arca_error_set_errno(err, ARCA_ERROR, errno,
			"cannot run '%s': a memory budget needs /proc",
			o->argv[0]);
	if ((pl.out_fd = open_log(o->stdout_path, err)) < 0 ||
		(pl.err_fd = open_log(o->stderr_path, err)) < 0) {
		rc = ARCA_ERROR;
		goto done;
	}
	/* one file for both: one descriptor, or each would overwrite the
	 * other's output from its own offset */
	if (fstat(pl.out_fd, &a) == 0 && fstat(pl.err_fd, &b) == 0 &&
		o->stdout_path && o->stderr_path &&
		a.st_dev == b.st_dev && a.st_ino == b.st_ino) {
		close(pl.err_fd);
		pl.err_fd = pl.out_fd;
	}
	if ((pl.null_fd = open("/dev/null", O_RDONLY | O_CLOEXEC)) < 0 ||
		(pl.null_fd = high_fd(pl.null_fd)) < 0) {
		rc = arca_error_set_errno(err, ARCA_ERROR, errno,
			"cannot open '/dev/null'");
		goto done;
	}
	if ((e = find_program(path, sizeof(path), o->argv[0], o->envp))) {
		res->start_ns = res->end_ns = real_ns();
		not_started(res, o, STEP_EXEC, e);
		goto done;
	}
	pl.path = path;
	pl.argv = o->argv;
	pl.envp = o->envp ? o->envp : no_env;
	pl.cwd = o->cwd;
	pl.core.rlim_cur = pl.core.rlim_max = 0;
	if (o->cpu_s > 0) {
		struct rlimit cur;
		pl.has_cpu = 1;
		pl.cpu.rlim_cur = (rlim_t)o->cpu_s;
		pl.cpu.rlim_max = (rlim_t)o->cpu_s + 2;
		/* an unprivileged process cannot raise a lower hard limit */
		if (getrlimit(RLIMIT_CPU, &cur) == 0 &&
			cur.rlim_max != RLIM_INFINITY &&
			cur.rlim_max < pl.cpu.rlim_max) {
			pl.cpu.rlim_max = cur.rlim_max;
			if (pl.cpu.rlim_cur > cur.rlim_max)
				pl.cpu.rlim_cur = cur.rlim_max;
		}
	}
	rc = start_and_wait(res, o, &pl, err);
done:
	if (pl.err_fd >= 0 && pl.err_fd != pl.out_fd)
		close(pl.err_fd);
	if (pl.out_fd >= 0)
		close(pl.out_fd);
	if (pl.null_fd >= 0)
		close(pl.null_fd);
	return rc;
}
