/*
 * What a stage's process group holds right now, read from /proc, and the
 * human formats of exec's messages.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "run/exec_int.h"

/*
 * Parses one /proc/<pid>/stat line: state (field 3), pgrp (5) and rss in
 * pages (24). The command name (2) may hold spaces and ')', so fields are
 * counted from the last ')'. 0, or -1 when the line is not understood.
 */
static int parse_stat(char *line, char *state, long *pgrp,
	unsigned long long *pages)
{
	char *p = strrchr(line, ')'), *end;

	if (!p || p[1] != ' ' || !p[2])
		return -1;
	p += 2;
	*state = *p++;
	for (int field = 4; field <= 24; field++) {
		/* fields 4..24 are all integers; some (tty, nice) may be < 0,
		 * and one out of range (saturated) does not matter here */
		unsigned long long v = (unsigned long long)strtoll(p, &end, 10);
		if (end == p)
			return -1;
		if (field == 5)
			*pgrp = (long)v;
		if (field == 24)
			*pages = v;
		p = end;
	}
	return 0;
}

int arca_exec__group_scan(pid_t pgid, uint64_t *rss, int *alive)
{
	long page = sysconf(_SC_PAGESIZE);
	struct dirent *e;
	DIR *d;
	int dfd;

	*rss = 0;
	*alive = 0;
	if (page <= 0)
		page = 4096;
	if (!(d = opendir("/proc")))
		return -1;
	dfd = dirfd(d);
	while ((e = readdir(d))) {
		char path[300], line[1024], state;
		unsigned long long pages = 0;
		long pgrp = 0;
		ssize_t n;
		int fd;

		if (e->d_name[0] < '1' || e->d_name[0] > '9')
			continue;
		snprintf(path, sizeof(path), "%s/stat", e->d_name);
		/* gone between readdir and here: not ours to count */
		if ((fd = openat(dfd, path, O_RDONLY | O_CLOEXEC)) < 0)
			continue;
		while ((n = read(fd, line, sizeof(line) - 1)) < 0 &&
			errno == EINTR)
			;
		close(fd);
		if (n <= 0)
			continue;
		line[n] = '\0';
		if (parse_stat(line, &state, &pgrp, &pages) < 0 ||
			pgrp != (long)pgid || state == 'Z' || state == 'X')
			continue;
		(*alive)++;
		*rss += (uint64_t)pages * (uint64_t)page;
	}
	closedir(d);
	return 0;
}

void arca_exec__fmt_duration(char *out, size_t n, int64_t ms)
{
	int64_t s = ms / 1000, h = s / 3600, m = s % 3600 / 60;
	int k = 0;

	if (ms < 1000 || (ms % 1000 && ms < 60000)) {
		if (ms < 1000)
			snprintf(out, n, "%lldms", (long long)ms);
		else if (ms % 100 == 0)
			snprintf(out, n, "%lld.%llds", (long long)s,
				(long long)(ms % 1000 / 100));
		else
			snprintf(out, n, "%lld.%03llds", (long long)s,
				(long long)(ms % 1000));
		return;
	}
	/* whole seconds from a minute on: sub-second parts do not matter */
	s %= 60;
	out[0] = '\0';
	if (h)
		k += snprintf(out + k, n - (size_t)k, "%lldh", (long long)h);
	if (m && (size_t)k < n)
		k += snprintf(out + k, n - (size_t)k, "%lldm", (long long)m);
	if ((s || (!h && !m)) && (size_t)k < n)
		snprintf(out + k, n - (size_t)k, "%llds", (long long)s);
}

void arca_exec__fmt_size(char *out, size_t n, uint64_t bytes)
{
	static const char *const units[] = { "B", "KiB", "MiB", "GiB", "TiB" };
	uint64_t scale = 1;
	int u = 0;

	while (u < 4 && bytes >= scale * 1024) {
		scale *= 1024;
		u++;
	}
	if (bytes % scale == 0)
		snprintf(out, n, "%llu %s", (unsigned long long)(bytes / scale),
			units[u]);
	else
		snprintf(out, n, "%.1f %s", (double)bytes / (double)scale,
			units[u]);
}
