#include <errno.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/random.h>
#include "util/sys.h"
#include "arca/error.h"

int64_t arca_time_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

void arca_time_format(char out[ARCA_TIME_STRSZ], int64_t ns)
{
	time_t s = (time_t)(ns / 1000000000);
	long frac = (long)(ns % 1000000000);
	struct tm tm;

	if (frac < 0) {
		frac += 1000000000;
		s--;
	}
	char tmp[96];

	gmtime_r(&s, &tm);
	snprintf(tmp, sizeof(tmp), "%04d-%02d-%02dT%02d:%02d:%02d.%09ldZ",
		tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
		tm.tm_min, tm.tm_sec, frac);
	snprintf(out, ARCA_TIME_STRSZ, "%.31s", tmp);
}

int arca_time_parse(int64_t *ns, const char *s)
{
	struct tm tm = { 0 };
	const char *p = strptime(s, "%Y-%m-%dT%H:%M:%S", &tm);
	long frac = 0, scale = 100000000;

	if (!p)
		return -1;
	if (*p == '.')
		for (p++; *p >= '0' && *p <= '9'; p++, scale /= 10)
			frac += (*p - '0') * scale;
	if (strcmp(p, "Z"))
		return -1;
	*ns = (int64_t)timegm(&tm) * 1000000000 + frac;
	return 0;
}

int arca_random(void *buf, size_t len)
{
	unsigned char *p = buf;

	while (len) {
		ssize_t n = getrandom(p, len, 0);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return ARCA_ERROR;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

int arca_random_hex(char *out, size_t len)
{
	static const char hexdig[] = "0123456789abcdef";
	unsigned char b[64];

	if (len > sizeof(b) || arca_random(b, len) < 0)
		return ARCA_ERROR;
	for (size_t i = 0; i < len; i++) {
		out[2 * i] = hexdig[b[i] >> 4];
		out[2 * i + 1] = hexdig[b[i] & 15];
	}
	out[2 * len] = '\0';
	return 0;
}

void arca_hostname(char *out, size_t n)
{
	if (gethostname(out, n) < 0 || !out[0])
		snprintf(out, n, "unknown");
	out[n - 1] = '\0';
}

void arca_username(char *out, size_t n)
{
	struct passwd pw, *res = NULL;
	char buf[1024];

	if (getpwuid_r(getuid(), &pw, buf, sizeof(buf), &res) == 0 && res)
		snprintf(out, n, "%s", res->pw_name);
	else
		snprintf(out, n, "uid%u", (unsigned)getuid());
}

uint64_t arca_process_start(pid_t pid)
{
	char path[64], buf[1024], *p;
	unsigned long long start = 0;
	FILE *f;
	size_t n;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	if (!(f = fopen(path, "r")))
		return 0;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	/* The command name may hold spaces and parens: skip past the last
	 * ')' and count fields from there (starttime is field 22). */
	if (!(p = strrchr(buf, ')')))
		return 0;
	if (sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %*u "
		"%*u %*d %*d %*d %*d %*d %*d %llu", &start) != 1)
		return 0;
	return start;
}

int arca_ncpu(void)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);

	return n > 0 ? (int)n : 1;
}
