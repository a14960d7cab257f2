/* See ut_files.h. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include "testutil.h"
#include "ut_files.h"

char *ut_fmt(const char *fmt, ...)
{
	va_list ap;
	char *s;
	int n;

	va_start(ap, fmt);
	n = vasprintf(&s, fmt, ap);
	va_end(ap);
	if (n < 0)
		fail_msg("out of memory");
	return s;
}

void ut_write_file(const char *path, const void *data, size_t len)
{
	const unsigned char *p = data;
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);

	if (fd < 0)
		fail_msg("cannot create '%s': %s", path, strerror(errno));
	while (len) {
		ssize_t n = write(fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			fail_msg("cannot write '%s': %s", path, strerror(errno));
		p += n;
		len -= (size_t)n;
	}
	if (close(fd) < 0)
		fail_msg("cannot close '%s': %s", path, strerror(errno));
}

void ut_write_str(const char *path, const char *s)
{
	ut_write_file(path, s, strlen(s));
}

char *ut_read_file(const char *path, size_t *len)
{
	char *buf = NULL;
	size_t n = 0, cap = 0;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		fail_msg("cannot open '%s': %s", path, strerror(errno));
	for (;;) {
		ssize_t r;
		if (cap - n < 4096) {
			cap = cap * 2 + 8192;
			if (!(buf = realloc(buf, cap)))
				fail_msg("out of memory");
		}
		r = read(fd, buf + n, cap - n - 1);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			fail_msg("cannot read '%s': %s", path, strerror(errno));
		if (r == 0)
			break;
		n += (size_t)r;
	}
	close(fd);
	buf[n] = '\0';
	if (len)
		*len = n;
	return buf;
}

void ut_mkdir(const char *path, unsigned mode)
{
	char *p = strdup(path);

	if (!p)
		fail_msg("out of memory");
	for (char *s = p + 1; *s; s++) {
		if (*s != '/')
			continue;
		*s = '\0';
		if (mkdir(p, 0755) < 0 && errno != EEXIST)
			fail_msg("mkdir '%s': %s", p, strerror(errno));
		*s = '/';
	}
	if (mkdir(p, mode) < 0 && errno != EEXIST)
		fail_msg("mkdir '%s': %s", p, strerror(errno));
	if (chmod(p, mode) < 0)
		fail_msg("chmod '%s': %s", p, strerror(errno));
	free(p);
}

int ut_exists(const char *path)
{
	struct stat st;

	return lstat(path, &st) == 0;
}

size_t ut_count_dir(const char *path)
{
	struct dirent *de;
	size_t n = 0;
	DIR *d = opendir(path);

	if (!d)
		return 0;
	while ((de = readdir(d)))
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
			n++;
	closedir(d);
	return n;
}

int64_t ut_mtime_ns(const char *path)
{
	struct stat st;

	if (lstat(path, &st) < 0)
		fail_msg("lstat '%s': %s", path, strerror(errno));
	return (int64_t)st.st_mtim.tv_sec * 1000000000 + st.st_mtim.tv_nsec;
}

int ut_run_as_nobody(void (*fn)(void *arg, void *res), void *arg,
	void *res, size_t size)
{
	unsigned char *buf = calloc(1, size + 1);
	size_t got = 0;
	int fds[2], status;
	pid_t pid = -1;

	if (!buf || pipe(fds) < 0 || (pid = fork()) < 0)
		fail_msg("cannot start a child: %s", strerror(errno));
	if (pid == 0) {
		/* buf[0]: 1 when privileges could not be dropped; the
		 * result follows */
		close(fds[0]);
		if (geteuid() == 0 && (setgroups(0, NULL) < 0 ||
			setgid(65534) < 0 || setuid(65534) < 0)) {
			buf[0] = 1;
		} else {
			fn(arg, res);
			memcpy(buf + 1, res, size);
		}
		if (write(fds[1], buf, size + 1) != (ssize_t)(size + 1))
			_exit(2);
		_exit(0);
	}
	close(fds[1]);
	while (got < size + 1) {
		ssize_t n = read(fds[0], buf + got, size + 1 - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	close(fds[0]);
	if (waitpid(pid, &status, 0) != pid || got != size + 1 ||
		!WIFEXITED(status) || WEXITSTATUS(status)) {
		free(buf);
		fail_msg("child failed (status %d, %zu bytes)", status, got);
	}
	if (buf[0]) {
		free(buf);
		return 1;
	}
	memcpy(res, buf + 1, size);
	free(buf);
	return 0;
}
