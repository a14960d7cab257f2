/* Ingestion helpers: durations, substitutions, staging dirs, source
 * locks, copying trees (see ingest.h). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>
#include "ingest/ingest.h"
#include "util/fs.h"
#include "util/sys.h"

#define DURATION_MAX_MS (365LL * 24 * 3600 * 1000)

const char *arca_ingest__kind_name(arca_ingest_kind k)
{
	switch (k) {
	case ARCA_INGEST_FOLDER: return "folder";
	case ARCA_INGEST_ARCHIVE: return "archive";
	default: return "url";
	}
}

const char *arca_ingest_status_name(arca_ingest_status s)
{
	switch (s) {
	case ARCA_INGEST_ADDED: return "added";
	case ARCA_INGEST_UNCHANGED: return "unchanged";
	case ARCA_INGEST_SKIPPED: return "skipped";
	default: return "failed";
	}
}

static int64_t unit_ms(const char *u, size_t len)
{
	static const struct { const char *name; int64_t ms; } units[] = {
		{ "ms", 1 }, { "s", 1000 }, { "m", 60000 },
		{ "h", 3600000 }, { "d", 86400000 }
	};

	for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++)
		if (strlen(units[i].name) == len &&
			!memcmp(units[i].name, u, len))
			return units[i].ms;
	return 0;
}

int arca_ingest_duration_parse(int64_t *ms, const char *text,
	arca_error *err)
{
	const char *p = text;
	int64_t total = 0;

	if (!strcmp(text, "0")) {
		*ms = 0;
		return 0;
	}
	if (!*p)
		goto bad;
	while (*p) {
		int64_t v = 0, u;
		size_t digits = strspn(p, "0123456789"), ulen;

		if (!digits || digits > 12)
			goto bad;
		for (size_t i = 0; i < digits; i++)
			v = v * 10 + (p[i] - '0');
		p += digits;
		ulen = strspn(p, "abcdefghijklmnopqrstuvwxyz");
		if (!(u = unit_ms(p, ulen)))
			goto bad;
		p += ulen;
		if (v > DURATION_MAX_MS / u || total + v * u > DURATION_MAX_MS)
			return arca_error_set(err, ARCA_EINVALID,
				"duration \"%s\" is longer than 365 days",
				text);
		total += v * u;
	}
	*ms = total;
	return 0;
bad:
	return arca_error_set(err, ARCA_EINVALID, "bad duration \"%.64s\" "
		"(expected a number with a unit ms, s, m, h or d, such as "
		"30s, 5m or 1h30m)", text);
}

const char *arca_ingest__duration_str(char out[32], int64_t ms)
{
	if (ms && ms % 3600000 == 0)
		snprintf(out, 32, "%lldh", (long long)(ms / 3600000));
	else if (ms && ms % 60000 == 0)
		snprintf(out, 32, "%lldm", (long long)(ms / 60000));
	else if (ms % 1000 == 0)
		snprintf(out, 32, "%llds", (long long)(ms / 1000));
	else
		snprintf(out, 32, "%lldms", (long long)ms);
	return out;
}

/* The variable named at p ("${name}"): its length in *len and the value
 * slot index, or -1. */
static int var_at(const char *p, size_t *len)
{
	static const char *const names[] = { "source", "dataset", "item",
		"staged" };
	const char *end;

	if (p[0] != '$' || p[1] != '{' || !(end = strchr(p + 2, '}')))
		return -1;
	*len = (size_t)(end - p) + 1;
	for (int i = 0; i < 4; i++)
		if (strlen(names[i]) == (size_t)(end - p - 2) &&
			!memcmp(names[i], p + 2, (size_t)(end - p - 2)))
			return i;
	return -2;
}

int arca_ingest__subst_check(const char *tmpl, int allow_staged,
	arca_error *err)
{
	for (const char *p = tmpl; *p; p++) {
		size_t len;
		int v;

		if (p[0] != '$')
			continue;
		if (p[1] == '$') {
			p++;
			continue;
		}
		if (p[1] != '{')
			continue;
		v = var_at(p, &len);
		if (v == -1)
			return arca_error_set(err, ARCA_EINVALID,
				"unterminated \"${\" (write \"$${\" for a "
				"literal \"${\")");
		if (v == -2 || (v == 3 && !allow_staged))
			return arca_error_set(err, ARCA_EINVALID,
				"unknown variable \"%.*s\" (expected "
				"${source}, ${dataset}, ${item}%s)",
				(int)(len > 40 ? 40 : len), p,
				allow_staged ? " or ${staged}" : "");
		p += len - 1;
	}
	return 0;
}

char *arca_ingest__subst(const char *tmpl, const arca_ingest_vars *v)
{
	const char *vals[4] = { v->source, v->dataset, v->item, v->staged };
	arca_buf b = ARCA_BUF_INIT;
	int rc = 0;

	for (const char *p = tmpl; *p && rc == 0; p++) {
		size_t len;
		int i;

		if (p[0] == '$' && p[1] == '$') {
			rc = arca_buf_put(&b, "$", 1);
			p++;
		} else if (p[0] == '$' && (i = var_at(p, &len)) >= 0) {
			rc = arca_buf_puts(&b, vals[i] ? vals[i] : "");
			p += len - 1;
		} else {
			rc = arca_buf_put(&b, p, 1);
		}
	}
	if (rc < 0 || arca_buf_grow(&b, 1) < 0) {
		arca_buf_dispose(&b);
		return NULL;
	}
	return (char *)arca_buf_detach(&b, NULL);
}

/* ---- copying ----------------------------------------------------------- */

static int copy_at(int sdir, const char *sname, int ddir, const char *dname,
	const char *what, int depth, arca_error *err);

static int copy_fd(int in, int out)
{
	char buf[1 << 16];

	for (;;) {
		ssize_t r = read(in, buf, sizeof(buf)), off = 0;
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return (int)r;
		while (off < r) {
			ssize_t w = write(out, buf + off, (size_t)(r - off));
			if (w < 0 && errno == EINTR)
				continue;
			if (w < 0)
				return -1;
			off += w;
		}
	}
}

static int copy_file_at(int sdir, const char *sname, int ddir,
	const char *dname, const struct stat *st)
{
	struct timespec ts[2] = { st->st_atim, st->st_mtim };
	int in, out, rc = -1, e;

	if ((in = openat(sdir, sname, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)) < 0)
		return -1;
	out = openat(ddir, dname, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC,
		0600);
	if (out >= 0 && copy_fd(in, out) == 0 &&
		fchmod(out, st->st_mode & 07777) == 0 &&
		futimens(out, ts) == 0)
		rc = 0;
	e = errno;
	if (out >= 0)
		close(out);
	close(in);
	errno = e;
	return rc;
}

static int copy_dir_at(int sdir, const char *sname, int ddir,
	const char *dname, const struct stat *st, const char *what, int depth,
	arca_error *err)
{
	struct timespec ts[2] = { st->st_atim, st->st_mtim };
	int s = -1, d = -1, rc = 0;
	DIR *dir = NULL;
	struct dirent *de;

	if (depth > 256) {
		errno = ELOOP;
		goto fail;
	}
	if (mkdirat(ddir, dname, 0700) < 0 ||
		(s = openat(sdir, sname, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
			O_CLOEXEC)) < 0 ||
		(d = openat(ddir, dname, O_RDONLY | O_DIRECTORY |
			O_CLOEXEC)) < 0 || !(dir = fdopendir(s)))
		goto fail;
	s = -1; /* dir owns it */
	while (rc == 0 && (errno = 0, de = readdir(dir))) {
		char sub[PATH_MAX];
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		snprintf(sub, sizeof(sub), "%s/%s", what, de->d_name);
		rc = copy_at(dirfd(dir), de->d_name, d, de->d_name, sub,
			depth + 1, err);
	}
	if (rc == 0 && errno)
		goto fail;
	if (rc == 0 && (fchmod(d, st->st_mode & 07777) < 0 ||
		futimens(d, ts) < 0))
		goto fail;
	goto done;
fail:
	rc = arca_error_set_errno(err, ARCA_ERROR, errno, "cannot copy '%s'",
		what);
done:
	if (dir)
		closedir(dir);
	if (s >= 0)
		close(s);
	if (d >= 0)
		close(d);
	return rc;
}

static int copy_at(int sdir, const char *sname, int ddir, const char *dname,
	const char *what, int depth, arca_error *err)
{
	struct stat st;
	char target[PATH_MAX];
	ssize_t n;

	if (fstatat(sdir, sname, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return arca_error_set_errno(err, ARCA_ERROR, errno,
			"cannot copy '%s'", what);
	if (S_ISDIR(st.st_mode))
		return copy_dir_at(sdir, sname, ddir, dname, &st, what, depth,
			err);
	if (S_ISREG(st.st_mode)) {
		if (copy_file_at(sdir, sname, ddir, dname, &st) < 0)
			return arca_error_set_errno(err, ARCA_ERROR, errno,
				"cannot copy '%s'", what);
		return 0;
	}
	if (S_ISLNK(st.st_mode)) {
		/* its times too: a copy fingerprints like the original */
		struct timespec ts[2] = { st.st_atim, st.st_mtim };
		n = readlinkat(sdir, sname, target, sizeof(target) - 1);
		if (n < 0 || (target[n] = '\0',
			symlinkat(target, ddir, dname) < 0) ||
			utimensat(ddir, dname, ts, AT_SYMLINK_NOFOLLOW) < 0)
			return arca_error_set_errno(err, ARCA_ERROR, errno,
				"cannot copy '%s'", what);
		return 0;
	}
	return 0; /* sockets, fifos, devices: not data */
}

int arca_ingest__copy(const char *src, const char *dst, arca_error *err)
{
	return copy_at(AT_FDCWD, src, AT_FDCWD, dst, src, 0, err);
}

/* ---- staging dirs and locks -------------------------------------------- */

int arca_ingest__staging_new(arca_buf *out, const char *cache_dir,
	arca_error *err)
{
	arca_buf p = ARCA_BUF_INIT;
	char rnd[17];
	pid_t pid = getpid();
	int rc;

	if ((rc = arca_fs_cache_path(&p, cache_dir, "ingest-staging",
		err)) < 0)
		goto done;
	if (arca_random_hex(rnd, 8) < 0) {
		rc = arca_error_set(err, ARCA_ERROR, "no randomness");
		goto done;
	}
	if (arca_buf_printf(&p, "/%ld-%" PRIu64 "-%s", (long)pid,
		arca_process_start(pid), rnd) < 0) {
		rc = arca_error_set(err, ARCA_ERROR, "out of memory");
		goto done;
	}
	if (mkdir(arca_buf_cstr(&p), 0700) < 0) {
		rc = arca_error_set_errno(err, ARCA_ERROR, errno,
			"cannot create staging directory '%s'",
			arca_buf_cstr(&p));
		goto done;
	}
	arca_buf_clear(out);
	if (arca_buf_puts(out, arca_buf_cstr(&p)) < 0) {
		arca_fs_rmtree(arca_buf_cstr(&p), NULL);
		rc = arca_error_set(err, ARCA_ERROR, "out of memory");
	}
done:
	arca_buf_dispose(&p);
	return rc;
}

/* 1 if name is a staging dir of a process that is gone. */
static int stale_staging(const char *name)
{
	unsigned long long pid, start;
	char rnd[17];
	int n = 0;

	if (sscanf(name, "%llu-%llu-%16[0-9a-f]%n", &pid, &start, rnd, &n) != 3
		|| name[n] || strlen(rnd) != 16 || pid == 0 || pid > INT_MAX)
		return 0;
	return arca_process_start((pid_t)pid) != (uint64_t)start;
}

int arca_ingest__staging_sweep(const char *cache_dir, arca_error *err)
{
	arca_buf dir = ARCA_BUF_INIT, p = ARCA_BUF_INIT;
	struct dirent *de;
	DIR *d = NULL;
	int rc, removed = 0;

	if ((rc = arca_fs_cache_path(&dir, cache_dir, "ingest-staging",
		err)) < 0)
		goto done;
	if (!(d = opendir(arca_buf_cstr(&dir)))) {
		rc = arca_error_set_errno(err, ARCA_ERROR, errno,
			"cannot list '%s'", arca_buf_cstr(&dir));
		goto done;
	}
	while ((de = readdir(d))) {
		if (!stale_staging(de->d_name))
			continue;
		arca_buf_clear(&p);
		if (arca_buf_printf(&p, "%s/%s", arca_buf_cstr(&dir),
			de->d_name) < 0) {
			rc = arca_error_set(err, ARCA_ERROR, "out of memory");
			goto done;
		}
		if ((rc = arca_fs_rmtree(arca_buf_cstr(&p), err)) < 0)
			goto done;
		removed++;
	}
	rc = removed;
done:
	if (d)
		closedir(d);
	arca_buf_dispose(&dir);
	arca_buf_dispose(&p);
	return rc;
}

int arca_ingest__lock(int *fd, pid_t *holder, const char *cache_dir,
	const char *name, arca_error *err)
{
	arca_buf path = ARCA_BUF_INIT;
	char line[64];
	int f = -1, rc;
	ssize_t n;

	*holder = 0;
	if ((rc = arca_fs_cache_path(&path, cache_dir, "ingest-locks",
		err)) < 0)
		goto done;
	if (arca_buf_printf(&path, "/%s.lock", name) < 0) {
		rc = arca_error_set(err, ARCA_ERROR, "out of memory");
		goto done;
	}
	/* O_CLOEXEC: a hook must not inherit (and keep) the lock */
	if ((f = open(arca_buf_cstr(&path), O_RDWR | O_CREAT | O_CLOEXEC,
		0600)) < 0) {
		rc = arca_error_set_errno(err, ARCA_ERROR, errno,
			"cannot open lock file '%s'", arca_buf_cstr(&path));
		goto done;
	}
	if (flock(f, LOCK_EX | LOCK_NB) < 0) {
		if (errno != EWOULDBLOCK) {
			rc = arca_error_set_errno(err, ARCA_ERROR, errno,
				"cannot lock '%s'", arca_buf_cstr(&path));
			goto done;
		}
		if ((n = pread(f, line, sizeof(line) - 1, 0)) > 0) {
			line[n] = '\0';
			*holder = (pid_t)strtol(line, NULL, 10);
		}
		/* left by a crashed run, or the lock is held by another tool */
		if (*holder > 0 && kill(*holder, 0) < 0 && errno == ESRCH)
			*holder = 0;
		rc = 0;
		goto done;
	}
	/* who holds it, for the busy message of others (best effort) */
	n = snprintf(line, sizeof(line), "%ld\n", (long)getpid());
	if (ftruncate(f, 0) == 0 && pwrite(f, line, (size_t)n, 0) < 0)
		(void)0;
	*fd = f;
	f = -1;
	rc = 1;
done:
	if (f >= 0)
		close(f);
	arca_buf_dispose(&path);
	return rc;
}

void arca_ingest__unlock(int fd)
{
	if (fd < 0)
		return;
	if (ftruncate(fd, 0) < 0)
		(void)0; /* only a hint for others' messages */
	close(fd);
}

char *arca_ingest__url_basename(const char *url_safe)
{
	const char *p = strstr(url_safe, "://"), *slash, *base;
	char *out;
	size_t len;

	p = p ? p + 3 : url_safe;
	slash = strrchr(p, '/');
	base = slash ? slash + 1 : "";
	len = strlen(base);
	if (len > 200)
		base += len - 200, len = 200;
	if (strspn(base, ".") == len)
		return strdup("download");
	if (!(out = strdup(base)))
		return NULL;
	for (char *c = out; *c; c++)
		if (!((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') ||
			(*c >= '0' && *c <= '9') || *c == '.' || *c == '_' ||
			*c == '-'))
			*c = '_';
	return out;
}
