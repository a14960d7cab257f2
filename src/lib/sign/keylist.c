/*
 * Looking a secret key up with one gpg process (gpg --with-colons
 * --list-secret-keys), for the signer's fast path: gpgme would first
 * probe every engine it knows (six processes, about 150 ms) before its
 * own listing. The colon format is gpg's documented machine interface
 * (doc/DETAILS in GnuPG).
 */
#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "sign/sign_int.h"
#include "util/buf.h"

extern char **environ;

int arca_sign__run(char *const argv[], arca_buf *out, size_t max)
{
	posix_spawn_file_actions_t fa;
	char buf[4096];
	int p[2], status, ok;
	pid_t pid;

	if (pipe2(p, O_CLOEXEC) < 0)
		return -1;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, p[1], 1);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
	ok = posix_spawnp(&pid, argv[0], &fa, NULL, argv, environ) == 0;
	posix_spawn_file_actions_destroy(&fa);
	close(p[1]);
	for (;;) {
		ssize_t r = read(p[0], buf, sizeof(buf));
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		if (out->len + (size_t)r <= max &&
			arca_buf_put(out, buf, (size_t)r) < 0)
			ok = 0;
	}
	close(p[0]);
	if (!ok)
		return -1;
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return -1;
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/* Field n (1-based) of a colon line, into out; "" when absent. */
static void field(const char *line, int n, char *out, size_t size)
{
	const char *end;
	size_t len;

	for (int i = 1; i < n && line; i++)
		if ((line = strchr(line, ':')))
			line++;
	if (!line) {
		out[0] = '\0';
		return;
	}
	end = line + strcspn(line, ":\n");
	len = (size_t)(end - line) < size - 1 ? (size_t)(end - line) :
		size - 1;
	memcpy(out, line, len);
	out[len] = '\0';
}

/* One key or subkey line (sec/ssb) and the fpr/grp lines after it. */
typedef struct entry {
	char validity[4], algo[8], created[24], expires[24], caps[16];
	char secret[8], curve[32], fpr[72], grip[48];
} entry;

static int usable(const entry *e, time_t now)
{
	long long exp = atoll(e->expires);

	return strchr(e->caps, 's') && !strpbrk(e->validity, "erid") &&
		!strcmp(e->secret, "+") && (!exp || exp > now) &&
		strlen(e->fpr) == 40 && strlen(e->grip) == 40;
}

int arca_sign__key_lookup(arca_keyinfo *ki, const char *fpr,
	arca_error *err)
{
	char *argv[] = { "gpg", "--batch", "--no-tty", "--with-colons",
		"--with-keygrip", "--fixed-list-mode", "--list-secret-keys",
		"--", (char *)fpr, NULL };
	arca_buf out = ARCA_BUF_INIT;
	entry cur, pri, best;
	const char *line;
	int have = 0, in_key = 0, rc;
	time_t now = time(NULL);

	memset(ki, 0, sizeof(*ki));
	memset(&pri, 0, sizeof(pri));
	memset(&best, 0, sizeof(best));
	memset(&cur, 0, sizeof(cur));
	rc = arca_sign__run(argv, &out, 1 << 20);
	if (rc != 0 || !out.len) {
		char *pub[] = { "gpg", "--batch", "--no-tty", "--with-colons",
			"--list-keys", "--", (char *)fpr, NULL };
		arca_buf b = ARCA_BUF_INIT;
		int prc;
		arca_buf_dispose(&out);
		if (rc < 0)
			return 1; /* no gpg to run: the caller uses gpgme */
		prc = arca_sign__run(pub, &b, 1 << 20);
		arca_buf_dispose(&b);
		return prc == 0 ? arca_error_set(err, ARCA_ENOTFOUND, "key %s "
			"has no secret part in this keyring (public key only)",
			fpr) : arca_error_set(err, ARCA_ENOTFOUND, "no key %s in "
			"the keyring", fpr);
	}
	/* sec (the primary), then ssb lines, each followed by fpr, grp */
	for (line = arca_buf_cstr(&out); *line; line += strcspn(line, "\n"),
		line += *line == '\n') {
		char type[8];
		field(line, 1, type, sizeof(type));
		if (!strcmp(type, "sec") || !strcmp(type, "ssb")) {
			if (in_key && usable(&cur, now) && (!have ||
				atoll(cur.created) > atoll(best.created))) {
				best = cur;
				have = 1;
			}
			if (!strcmp(type, "sec") && pri.fpr[0])
				break; /* a second key matched: not ours */
			memset(&cur, 0, sizeof(cur));
			field(line, 2, cur.validity, sizeof(cur.validity));
			field(line, 4, cur.algo, sizeof(cur.algo));
			field(line, 6, cur.created, sizeof(cur.created));
			field(line, 7, cur.expires, sizeof(cur.expires));
			field(line, 12, cur.caps, sizeof(cur.caps));
			field(line, 15, cur.secret, sizeof(cur.secret));
			field(line, 17, cur.curve, sizeof(cur.curve));
			in_key = !strcmp(type, "sec") ? 1 : 2;
		} else if (!strcmp(type, "fpr") && in_key && !cur.fpr[0]) {
			field(line, 10, cur.fpr, sizeof(cur.fpr));
			if (in_key == 1)
				pri = cur;
		} else if (!strcmp(type, "grp") && in_key && !cur.grip[0]) {
			field(line, 10, cur.grip, sizeof(cur.grip));
		} else if (!strcmp(type, "uid") || !strcmp(type, "uat")) {
			continue;
		}
	}
	if (in_key && usable(&cur, now) && (!have ||
		atoll(cur.created) > atoll(best.created))) {
		best = cur;
		have = 1;
	}
	arca_buf_dispose(&out);
	if (strlen(pri.fpr) != 40)
		return 1; /* not a v4 key, or output we do not understand */
	/* the key as a whole first, as gpg judges it */
	if (strchr(pri.validity, 'r'))
		return arca_error_set(err, ARCA_EINVALID, "key %s is revoked",
			fpr);
	if (strchr(pri.validity, 'e'))
		return arca_error_set(err, ARCA_EINVALID, "key %s has expired",
			fpr);
	if (strchr(pri.caps, 'D'))
		return arca_error_set(err, ARCA_EINVALID, "key %s is disabled",
			fpr);
	if (!have || !strchr(pri.caps, 'S'))
		return arca_error_set(err, ARCA_EINVALID, "key %s has no usable "
			"signing (sub)key", fpr);
	memcpy(ki->primary, pri.fpr, 40);
	memcpy(ki->fpr, best.fpr, 40);
	memcpy(ki->grip, best.grip, 40);
	ki->algo = atoi(best.algo);
	ki->expires = atoll(pri.expires);
	if (atoll(best.expires) > 0 && (!ki->expires ||
		atoll(best.expires) < ki->expires))
		ki->expires = atoll(best.expires);
	snprintf(ki->curve, sizeof(ki->curve), "%s", best.curve);
	return 0;
}
