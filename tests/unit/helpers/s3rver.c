/* Starting and stopping s3rver for the S3 tests (s3rver.h). */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <curl/curl.h>
#include "s3rver.h"
#include "testutil.h"

static int failf(ut_s3rver *s, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(s->error, sizeof(s->error), fmt, ap);
	va_end(ap);
	return -1;
}

static void cache_dir(char *out, size_t size)
{
	const char *c = getenv("ARCA_TEST_NPM_CACHE");
	const char *home = getenv("HOME");

	if (c && *c)
		snprintf(out, size, "%s", c);
	else
		snprintf(out, size, "%s/.cache/arca-test-npm",
			home && *home ? home : "/tmp");
}

static int mkdirs(const char *path)
{
	char tmp[4096];

	snprintf(tmp, sizeof(tmp), "%s", path);
	for (char *p = tmp + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(tmp, 0777) < 0 && errno != EEXIST)
			return -1;
		*p = '/';
	}
	return mkdir(tmp, 0777) < 0 && errno != EEXIST ? -1 : 0;
}

/* Runs argv with stdout and stderr to log; its exit status, 127 when it
 * could not be executed, -1 on fork failure. */
static int run(char *const argv[], const char *log)
{
	pid_t pid = fork();
	int st, fd;

	if (pid < 0)
		return -1;
	if (!pid) {
		fd = open(log, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
		if (fd >= 0) {
			dup2(fd, 1);
			dup2(fd, 2);
		}
		execvp(argv[0], argv);
		_exit(127);
	}
	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR)
			return -1;
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* Installs s3rver into the cache unless there; one installer at a time. */
static int install(ut_s3rver *s, const char *cache, char *script,
	size_t size)
{
	char lock[4200], log[4200], spec[64];
	char *argv[] = { "npm", "install", "--prefix", (char *)cache,
		"--no-audit", "--no-fund", "--no-save", "--loglevel=error",
		spec, NULL };
	int fd, rc = 0;

	snprintf(script, size, "%s/node_modules/s3rver/bin/s3rver.js", cache);
	snprintf(spec, sizeof(spec), "s3rver@" UT_S3RVER_VERSION);
	if (mkdirs(cache) < 0)
		return failf(s, "cannot create npm cache '%s': %s", cache,
			strerror(errno));
	snprintf(lock, sizeof(lock), "%s/.install.lock", cache);
	if ((fd = open(lock, O_RDWR | O_CREAT | O_CLOEXEC, 0666)) < 0 ||
	    flock(fd, LOCK_EX) < 0)
		return failf(s, "cannot lock '%s': %s", lock, strerror(errno));
	if (access(script, R_OK) < 0) {
		snprintf(log, sizeof(log), "%s/npm-install.log", cache);
		rc = run(argv, log);
		if (rc == 127)
			rc = failf(s, "npm not found: the S3 tests need Node.js "
				"and npm (Debian: nodejs npm, see "
				"packaging/install-deps.sh)");
		else if (rc != 0 || access(script, R_OK) < 0)
			rc = failf(s, "'npm install %s' into '%s' failed (exit "
				"%d): see %s", spec, cache, rc, log);
	}
	close(fd);
	return rc;
}

/* Reads the child's stdout until "listening on ADDR:PORT"; the port. */
static int wait_listening(ut_s3rver *s, int fd)
{
	char buf[4096];
	size_t len = 0;
	time_t end = time(NULL) + 60;
	struct pollfd p = { fd, POLLIN, 0 };
	char *at;
	ssize_t n;

	while (time(NULL) < end) {
		if (poll(&p, 1, 1000) <= 0)
			continue;
		n = read(fd, buf + len, sizeof(buf) - 1 - len);
		if (n <= 0)
			break;
		len += (size_t)n;
		buf[len] = '\0';
		if (strstr(buf, "node-exec-failed"))
			return failf(s, "node not found: the S3 tests need "
				"Node.js (Debian: nodejs npm, see "
				"packaging/install-deps.sh)");
		if ((at = strstr(buf, "listening on ")) && strchr(at, '\n')) {
			at = strrchr(at, ':');
			return at ? (int)strtol(at + 1, NULL, 10) : -1;
		}
		if (len == sizeof(buf) - 1)
			len = 0;
	}
	return failf(s, "s3rver did not start (see %s/s3rver.log)", s->dir);
}

/* s3rver answers HTTP (any status) at its endpoint. */
static int answers(const char *endpoint)
{
	CURL *h = curl_easy_init();
	long status = 0;

	if (!h)
		return 0;
	curl_easy_setopt(h, CURLOPT_URL, endpoint);
	curl_easy_setopt(h, CURLOPT_NOBODY, 1L);
	curl_easy_setopt(h, CURLOPT_TIMEOUT, 2L);
	if (curl_easy_perform(h) == CURLE_OK)
		curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
	curl_easy_cleanup(h);
	return status > 0;
}

static void child(ut_s3rver *s, int out, const char *modules,
	const char *const *buckets)
{
	char log[4200], wrapper[4200];
	const char *slash = strrchr(__FILE__, '/');
	/* s3rver 3.7 makes continuation tokens with DES, which Node >= 17
	 * (OpenSSL 3) only has in the legacy provider; run-s3rver.js fixes
	 * its listing order (see there) */
	const char *argv[64] = { "node", "--openssl-legacy-provider",
		wrapper, modules, "-d", s->dir, "-a", "127.0.0.1", "-p", "0",
		"--silent" };
	int n = 11, fd;

	snprintf(wrapper, sizeof(wrapper), "%.*s/../data/s3/run-s3rver.js",
		slash ? (int)(slash - __FILE__) : 1, slash ? __FILE__ : ".");
	setpgid(0, 0);
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	for (; *buckets && n < 60; buckets++) {
		argv[n++] = "--configure-bucket";
		argv[n++] = *buckets;
	}
	snprintf(log, sizeof(log), "%s/s3rver.log", s->dir);
	fd = open(log, O_WRONLY | O_CREAT | O_TRUNC, 0666);
	dup2(out, 1);
	if (fd >= 0)
		dup2(fd, 2);
	execvp("node", (char *const *)argv);
	dprintf(1, "node-exec-failed\n");
	_exit(127);
}

int ut_s3rver_start(ut_s3rver *s, const char *const *buckets)
{
	char cache[4096], script[4200], data[4200], modules[4200];
	int fds[2], i;
	pid_t pid;

	memset(s, 0, sizeof(*s));
	cache_dir(cache, sizeof(cache));
	if (install(s, cache, script, sizeof(script)) < 0)
		return -1;
	s->dir = tu_mkdtemp();
	snprintf(data, sizeof(data), "%s", s->dir);
	if (pipe2(fds, O_CLOEXEC) < 0)
		return failf(s, "pipe: %s", strerror(errno));
	if ((pid = fork()) < 0)
		return failf(s, "fork: %s", strerror(errno));
	snprintf(modules, sizeof(modules), "%s/node_modules", cache);
	if (!pid)
		child(s, fds[1], modules, buckets);
	close(fds[1]);
	s->pid = pid;
	setpgid(pid, pid);
	s->port = wait_listening(s, fds[0]);
	close(fds[0]);
	if (s->port <= 0) {
		if (!s->error[0])
			failf(s, "s3rver printed no port (see %s/s3rver.log)",
				data);
		ut_s3rver_stop(s);
		return -1;
	}
	snprintf(s->endpoint, sizeof(s->endpoint), "http://127.0.0.1:%d",
		s->port);
	for (i = 0; i < 100 && !answers(s->endpoint); i++)
		usleep(100000);
	if (i == 100) {
		failf(s, "s3rver at %s does not answer", s->endpoint);
		ut_s3rver_stop(s);
		return -1;
	}
	return 0;
}

void ut_s3rver_stop(ut_s3rver *s)
{
	int st, i;

	if (s->pid > 0) {
		kill(-s->pid, SIGTERM);
		for (i = 0; i < 50; i++) {
			if (waitpid(s->pid, &st, WNOHANG) == s->pid)
				break;
			usleep(100000);
		}
		if (i == 50) {
			kill(-s->pid, SIGKILL);
			waitpid(s->pid, &st, 0);
		}
		s->pid = 0;
	}
	if (s->dir) {
		tu_rmtree(s->dir);
		s->dir = NULL;
	}
}
