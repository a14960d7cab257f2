/*
 * Running one ingest hook: fork + execvpe of an argv array (no shell) in
 * its own process group, output captured through pipes with poll, a
 * timeout enforced with SIGTERM then SIGKILL to the whole group.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "ingest/ingest.h"
#include "util/json.h"
#include "util/utf8.h"

extern char **environ;

static int64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void arca_ingest__hook_result_dispose(arca_ingest_hook_result *r)
{
	if (!r)
		return;
	arca_buf_dispose(&r->out.data);
	arca_buf_dispose(&r->err.data);
}

/* The caller's environment plus extra (which wins on equal names). A
 * NULL-terminated array of borrowed strings; NULL when out of memory. */
static char **make_env(char *const *extra)
{
	size_t n = 0, k = 0, e = 0;
	char **env;

	while (environ && environ[n])
		n++;
	while (extra && extra[e])
		e++;
	if (!(env = calloc(n + e + 1, sizeof(*env))))
		return NULL;
	for (size_t i = 0; i < n; i++) {
		const char *eq = strchr(environ[i], '=');
		size_t len = eq ? (size_t)(eq - environ[i]) + 1 : 0;
		int shadowed = 0;
		for (size_t j = 0; j < e && len; j++)
			if (!strncmp(extra[j], environ[i], len))
				shadowed = 1;
		if (!shadowed)
			env[k++] = environ[i];
	}
	for (size_t j = 0; j < e; j++)
		env[k++] = extra[j];
	env[k] = NULL;
	return env;
}

/* In the child, between fork and exec: only async-signal-safe calls.
 * An exec failure is reported as errno through the status pipe. */
static void child(const arca_ingest_hook_run *run, char **env, int out,
	int errfd, int status)
{
	sigset_t none;
	int null, e;

	setpgid(0, 0);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	signal(SIGPIPE, SIG_DFL);
	signal(SIGINT, SIG_DFL);
	signal(SIGTERM, SIG_DFL);
	if ((null = open("/dev/null", O_RDONLY)) < 0 ||
		dup2(null, 0) < 0 || dup2(out, 1) < 0 || dup2(errfd, 2) < 0 ||
		(run->cwd && chdir(run->cwd) < 0))
		goto fail;
	/* keep 0-2 and the status pipe (close-on-exec) only */
	if (status > 3) {
		if (dup2(status, 3) < 0 || fcntl(3, F_SETFD, FD_CLOEXEC) < 0)
			goto fail;
		status = 3;
	}
	close_range((unsigned)status + 1, ~0U, 0);
	execvpe(run->argv[0], run->argv, env);
fail:
	e = errno;
	while (write(status, &e, sizeof(e)) < 0 && errno == EINTR)
		;
	_exit(127);
}

/* Reads what fd has into o (keeping at most cap bytes); 0 at EOF. */
static int drain(int fd, arca_ingest_output *o, size_t cap)
{
	char buf[8192];
	ssize_t r;

	while ((r = read(fd, buf, sizeof(buf))) < 0 && errno == EINTR)
		;
	if (r < 0)
		return errno == EAGAIN ? 1 : 0;
	if (r == 0)
		return 0;
	o->total += (uint64_t)r;
	if (o->data.len < cap) {
		size_t keep = (size_t)r < cap - o->data.len ? (size_t)r :
			cap - o->data.len;
		if (arca_buf_put(&o->data, buf, keep) < 0)
			return -1;
	}
	if (o->total > cap)
		o->truncated = 1;
	return 1;
}

typedef struct waiter {
	pid_t pid;
	int fds[2];          /* stdout, stderr read ends; -1 when closed */
	arca_ingest_output *outs[2];
	int exited, status;
	int64_t start, term_at, kill_at, exit_at, tick_at;
} waiter;

/* Reaps the child if it exited: first kills the rest of its process
 * group, while the zombie still holds the group id. */
static void check_exit(waiter *w)
{
	siginfo_t si;

	memset(&si, 0, sizeof(si));
	if (w->exited || waitid(P_PID, (id_t)w->pid, &si,
		WEXITED | WNOHANG | WNOWAIT) < 0 || si.si_pid != w->pid)
		return;
	kill(-w->pid, SIGKILL);
	while (waitpid(w->pid, &w->status, 0) < 0 && errno == EINTR)
		;
	w->exited = 1;
	w->exit_at = mono_ms();
}

static int wait_loop(waiter *w, const arca_ingest_hook_run *run,
	arca_ingest_hook_result *res)
{
	for (;;) {
		struct pollfd p[2];
		int64_t now;
		nfds_t n = 0;

		check_exit(w);
		now = mono_ms();
		if (w->exited && w->fds[0] < 0 && w->fds[1] < 0)
			return 0;
		/* something outside the group still holds the pipes */
		if (w->exited && now - w->exit_at > 1000)
			return 0;
		if (!w->exited && run->timeout_ms > 0 && !w->term_at &&
			now - w->start >= run->timeout_ms) {
			res->timed_out = 1;
			kill(-w->pid, SIGTERM);
			w->term_at = now;
		}
		if (!w->exited && w->term_at && !w->kill_at &&
			now - w->term_at >= run->kill_grace_ms) {
			kill(-w->pid, SIGKILL);
			w->kill_at = now;
		}
		if (run->tick && now - w->tick_at >= 1000) {
			run->tick(run->payload);
			w->tick_at = now;
		}
		for (int i = 0; i < 2; i++)
			if (w->fds[i] >= 0) {
				p[n].fd = w->fds[i];
				p[n].events = POLLIN;
				p[n].revents = 0;
				n++;
			}
		if (poll(p, n, 50) < 0 && errno != EINTR)
			return -1;
		for (nfds_t k = 0; k < n; k++) {
			int i = p[k].fd == w->fds[0] ? 0 : 1, r;
			if (!p[k].revents)
				continue;
			if ((r = drain(w->fds[i], w->outs[i], run->cap)) < 0)
				return -1;
			if (r == 0) {
				close(w->fds[i]);
				w->fds[i] = -1;
			}
		}
	}
}

/* Reads the exec status pipe: 0 if the program started, else errno. */
static int exec_errno(int fd)
{
	int e = 0;
	ssize_t r;

	while ((r = read(fd, &e, sizeof(e))) < 0 && errno == EINTR)
		;
	return r == (ssize_t)sizeof(e) ? e : 0;
}

int arca_ingest__hook_exec(arca_ingest_hook_result *res,
	const arca_ingest_hook_run *run, arca_error *err)
{
	arca_ingest_hook_result r = ARCA_INGEST_HOOK_RESULT_INIT;
	int out[2] = { -1, -1 }, errp[2] = { -1, -1 }, st[2] = { -1, -1 };
	waiter w;
	char **env = NULL;
	int rc = 0, e;

	memset(&w, 0, sizeof(w));
	w.fds[0] = w.fds[1] = -1;
	if (!run->argv || !run->argv[0] || !*run->argv[0])
		return arca_error_set(err, ARCA_EINVALID, "empty hook command");
	if (!(env = make_env(run->env)) ||
		pipe2(out, O_CLOEXEC) < 0 || pipe2(errp, O_CLOEXEC) < 0 ||
		pipe2(st, O_CLOEXEC) < 0) {
		rc = arca_error_set_errno(err, ARCA_ERROR, env ? errno : ENOMEM,
			"cannot run '%s'", run->argv[0]);
		goto done;
	}
	w.start = w.tick_at = mono_ms();
	if ((w.pid = fork()) < 0) {
		rc = arca_error_set_errno(err, ARCA_ERROR, errno,
			"cannot run '%s': fork", run->argv[0]);
		goto done;
	}
	if (w.pid == 0)
		child(run, env, out[1], errp[1], st[1]);
	/* also here, so that signalling the group never races the child */
	setpgid(w.pid, w.pid);
	close(out[1]);
	close(errp[1]);
	close(st[1]);
	out[1] = errp[1] = st[1] = -1;
	if ((e = exec_errno(st[0]))) {
		while (waitpid(w.pid, NULL, 0) < 0 && errno == EINTR)
			;
		rc = arca_error_set_errno(err, ARCA_EINVALID, e,
			"cannot run '%s'", run->argv[0]);
		goto done;
	}
	w.fds[0] = out[0];
	w.fds[1] = errp[0];
	out[0] = errp[0] = -1;
	fcntl(w.fds[0], F_SETFL, O_NONBLOCK);
	fcntl(w.fds[1], F_SETFL, O_NONBLOCK);
	w.outs[0] = &r.out;
	w.outs[1] = &r.err;
	if (wait_loop(&w, run, &r) < 0) {
		rc = arca_error_set_errno(err, ARCA_ERROR, errno,
			"running '%s'", run->argv[0]);
		kill(-w.pid, SIGKILL);
		if (!w.exited)
			while (waitpid(w.pid, NULL, 0) < 0 && errno == EINTR)
				;
		goto done;
	}
	r.duration_ms = mono_ms() - w.start;
	if (WIFEXITED(w.status))
		r.exit_code = WEXITSTATUS(w.status);
	else if (WIFSIGNALED(w.status))
		r.signal = WTERMSIG(w.status);
	*res = r;
	memset(&r, 0, sizeof(r));
done:
	for (int i = 0; i < 2; i++) {
		if (out[i] >= 0)
			close(out[i]);
		if (errp[i] >= 0)
			close(errp[i]);
		if (st[i] >= 0)
			close(st[i]);
		if (w.fds[i] >= 0)
			close(w.fds[i]);
	}
	arca_ingest__hook_result_dispose(&r);
	free(env);
	return rc;
}

/* Drops an incomplete UTF-8 sequence cut by truncation at the end. */
static size_t utf8_trim(const unsigned char *s, size_t len)
{
	for (size_t back = 1; back <= 3 && back <= len; back++) {
		unsigned char c = s[len - back];
		size_t need;
		if ((c & 0xc0) == 0x80)
			continue;
		need = c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : c >= 0xc0 ? 2 : 1;
		return need > back ? len - back : len;
	}
	return len;
}

static int set_output(json_t *j, const char *key,
	const arca_ingest_output *o)
{
	char k[32];
	size_t len = o->data.len;
	const char *s = (const char *)(o->data.data ? o->data.data :
		(const unsigned char *)"");

	if (o->truncated)
		len = utf8_trim(o->data.data, len);
	if (arca_json_set_bytes(j, key, s, len) < 0)
		return -1;
	if (o->truncated) {
		snprintf(k, sizeof(k), "%s_truncated", key);
		if (json_object_set_new(j, k, json_true()) < 0)
			return -1;
		snprintf(k, sizeof(k), "%s_bytes", key);
		if (json_object_set_new(j, k,
			json_integer((json_int_t)o->total)) < 0)
			return -1;
	}
	return 0;
}

/* s as a JSON string; bytes that are not UTF-8 as "\xNN". */
static json_t *lossy_string(const char *s)
{
	arca_buf b = ARCA_BUF_INIT;
	json_t *j;

	if (arca_utf8_valid(s, strlen(s)))
		return json_string(s);
	for (const unsigned char *p = (const unsigned char *)s; *p; p++)
		if (*p < 0x80 ? arca_buf_put(&b, p, 1) < 0 :
			arca_buf_printf(&b, "\\x%02x", *p) < 0) {
			arca_buf_dispose(&b);
			return NULL;
		}
	j = json_string(arca_buf_cstr(&b));
	arca_buf_dispose(&b);
	return j;
}

json_t *arca_ingest__hook_json(const arca_ingest_hook_result *r,
	char *const *argv)
{
	json_t *j = json_object(), *a = json_array();
	int bad = !j || !a;

	for (size_t i = 0; !bad && argv[i]; i++)
		bad = json_array_append_new(a, lossy_string(argv[i])) < 0;
	if (bad || json_object_set_new(j, "argv", a) < 0)
		goto fail;
	a = NULL;
	if (r->signal)
		bad = json_object_set_new(j, "signal",
			json_integer(r->signal)) < 0;
	else
		bad = json_object_set_new(j, "exit",
			json_integer(r->exit_code)) < 0;
	if (!bad && r->timed_out)
		bad = json_object_set_new(j, "timed_out", json_true()) < 0;
	if (bad || json_object_set_new(j, "duration_ms",
		json_integer((json_int_t)r->duration_ms)) < 0 ||
		set_output(j, "stdout", &r->out) < 0 ||
		set_output(j, "stderr", &r->err) < 0)
		goto fail;
	return j;
fail:
	json_decref(a);
	json_decref(j);
	return NULL;
}

/* The last non-empty line of o, control bytes as '?', at most size-1
 * bytes (its end kept). */
static void last_line(char *out, size_t size, const arca_ingest_output *o)
{
	const char *s = (const char *)o->data.data;
	size_t end = o->data.len, start;

	out[0] = '\0';
	while (end && (s[end - 1] == '\n' || s[end - 1] == '\r' ||
		s[end - 1] == ' '))
		end--;
	start = end;
	while (start && s[start - 1] != '\n')
		start--;
	if (end - start > size - 1)
		start = end - (size - 1);
	for (size_t i = start; i < end; i++)
		out[i - start] = (unsigned char)s[i] < 0x20 || s[i] == 0x7f ?
			'?' : s[i];
	out[end - start] = '\0';
	/* messages stay text: bytes that are not UTF-8 become '?' too */
	if (!arca_utf8_valid(out, end - start))
		for (char *p = out; *p; p++)
			if ((unsigned char)*p >= 0x80)
				*p = '?';
}

void arca_ingest__hook_describe(char *out, size_t size,
	const arca_ingest_hook_result *r, int64_t timeout_ms)
{
	char line[200], d[32];
	int n;

	if (r->timed_out)
		n = snprintf(out, size, "timed out after %s",
			arca_ingest__duration_str(d, timeout_ms));
	else if (r->signal)
		n = snprintf(out, size, "killed by signal %d", r->signal);
	else
		n = snprintf(out, size, "exited with status %d", r->exit_code);
	last_line(line, sizeof(line), &r->err);
	if (!line[0])
		last_line(line, sizeof(line), &r->out);
	if (line[0] && n >= 0 && (size_t)n < size)
		snprintf(out + n, size - (size_t)n, ": %s", line);
}
