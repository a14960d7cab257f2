/* Real OpenPGP keys for unit tests (ut_gpg.h). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include "testutil.h"
#include "ut_gpg.h"

int ut_run(const char *const argv[], char **out)
{
	int pfd[2] = { -1, -1 }, status, nul;
	size_t len = 0, cap = 0;
	char *buf = NULL;
	pid_t pid;

	if (out && pipe(pfd) < 0)
		fail_msg("pipe: %s", strerror(errno));
	if ((pid = fork()) < 0)
		fail_msg("fork: %s", strerror(errno));
	if (pid == 0) {
		nul = open("/dev/null", O_RDWR);
		dup2(nul, 0);
		dup2(out ? pfd[1] : nul, 1);
		if (!getenv("ARCA_TEST_VERBOSE"))
			dup2(nul, 2);
		if (out) {
			close(pfd[0]);
			close(pfd[1]);
		}
		execvp(argv[0], (char *const *)argv);
		_exit(127);
	}
	if (out) {
		close(pfd[1]);
		for (;;) {
			ssize_t r;
			if (cap - len < 4096 && !(buf = realloc(buf,
				cap = cap * 2 + 4096)))
				fail_msg("out of memory");
			r = read(pfd[0], buf + len, cap - len - 1);
			if (r < 0 && errno == EINTR)
				continue;
			if (r <= 0)
				break;
			len += (size_t)r;
		}
		close(pfd[0]);
		buf[len] = '\0';
		*out = buf;
	}
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			fail_msg("waitpid: %s", strerror(errno));
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128;
}

char *ut_gpg_home(void)
{
	char *home = tu_mkdtemp();

	if (chmod(home, 0700) < 0 || setenv("GNUPGHOME", home, 1) < 0)
		fail_msg("GNUPGHOME %s", home);
	return home;
}

void ut_gpg_gen_key(const char *uid, const char *expire,
	char fpr[ARCA_FPR_SIZE])
{
	const char *gen[] = { "gpg", "--batch", "--pinentry-mode", "loopback",
		"--passphrase", "", "--quick-gen-key", uid, "ed25519", "sign",
		expire, NULL };
	const char *list[] = { "gpg", "--batch", "--with-colons",
		"--list-keys", uid, NULL };
	char *out = NULL, *p;

	if (ut_run(gen, NULL))
		fail_msg("gpg --quick-gen-key %s failed", uid);
	if (ut_run(list, &out) || !(p = strstr(out, "\nfpr:::::::::")))
		fail_msg("gpg --list-keys %s failed", uid);
	p += strlen("\nfpr:::::::::");
	if (strlen(p) < 41 || p[40] != ':')
		fail_msg("no fingerprint for %s", uid);
	memcpy(fpr, p, 40);
	fpr[40] = '\0';
	free(out);
}

void ut_gpg_revoke(const char *fpr)
{
	const char *home = getenv("GNUPGHOME");
	const char *imp[] = { "gpg", "--batch", "--import", NULL, NULL };
	char path[4096], fixed[4096], cert[16384], *p;
	ssize_t n = -1;
	int fd;

	if (!home)
		fail_msg("ut_gpg_revoke: no GNUPGHOME");
	snprintf(path, sizeof(path), "%s/openpgp-revocs.d/%s.rev", home, fpr);
	if ((fd = open(path, O_RDONLY)) < 0 ||
		(n = read(fd, cert, sizeof(cert) - 1)) <= 0)
		fail_msg("cannot read %s", path);
	close(fd);
	cert[n] = '\0';
	/* gpg escapes the armour with a ':' so that it is not imported by
	 * accident */
	if (!(p = strstr(cert, ":-----BEGIN PGP PUBLIC KEY BLOCK-----")))
		fail_msg("no revocation certificate in %s", path);
	*p = '\n';
	snprintf(fixed, sizeof(fixed), "%s/revoke-%s.asc", home, fpr);
	if ((fd = open(fixed, O_WRONLY | O_CREAT | O_TRUNC, 0600)) < 0 ||
		write(fd, cert, (size_t)n) != n || close(fd) < 0)
		fail_msg("cannot write %s", fixed);
	imp[3] = fixed;
	if (ut_run(imp, NULL))
		fail_msg("gpg --import %s failed", fixed);
}

void ut_gpg_home_free(char *home)
{
	const char *kill[] = { "gpgconf", "--kill", "gpg-agent", NULL };

	if (!home)
		return;
	setenv("GNUPGHOME", home, 1);
	ut_run(kill, NULL);
	unsetenv("GNUPGHOME");
	tu_rmtree(home);
}
