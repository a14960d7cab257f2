/*
 * The fast path of a signer: OpenPGP v4 detached signatures (RFC 4880
 * 5.2.3, 5.2.4) whose one secret-key operation, PKSIGN, is asked of the
 * user's gpg-agent instead of a gpg process per signature: gpg starts in
 * about 25 ms, the agent answers in about 1. The secret key never
 * leaves the agent, which applies its passphrase cache and pinentry as
 * for gpg. The protocol is Assuan (GnuPG's line protocol over the
 * agent's Unix socket), spoken here directly: a gpgme context for it
 * would first probe every engine gpgme knows. The packet is what gpg
 * makes: a binary-document signature with the creation time and the
 * issuer fingerprint hashed and the issuer key id unhashed,
 * ASCII-armoured; gpg --verify checks it. Keys this path does not
 * handle (DSA, Ed448, v5 keys), an agent that cannot be reached or
 * refuses: the caller falls back to gpg.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>
#include <openssl/evp.h>
#include "sign/sign_int.h"
#include "util/base64.h"
#include "util/buf.h"

/* OpenPGP algorithm ids (RFC 4880 9.1, 9.4; RFC 6637; 4880bis). */
#define PGP_RSA 1
#define PGP_RSA_S 3
#define PGP_ECDSA 19
#define PGP_EDDSA 22
#define PGP_SHA256 8
#define PGP_SHA384 9
#define PGP_SHA512 10

struct arca_sign_agent {
	char grip[41];            /* the signing subkey's keygrip */
	unsigned char fpr[20];    /* its v4 fingerprint */
	char fpr_hex[ARCA_FPR_SIZE];
	int pk_algo, hash_algo;
	const EVP_MD *md;
	char *home;               /* GNUPGHOME of the connection */
	int fd;                   /* the agent's socket; -1: none yet */
	arca_buf in;              /* bytes read, not yet a whole line */
	int broken;               /* refused once: use gpg from now on */
};

static int hexval(int c)
{
	return c >= '0' && c <= '9' ? c - '0' : c >= 'A' && c <= 'F' ?
		c - 'A' + 10 : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

int arca_sign__agent_new(arca_sign_agent **out, const arca_keyinfo *ki)
{
	arca_sign_agent *a;

	*out = NULL;
	if (strlen(ki->fpr) != 40 || strlen(ki->grip) != 40 ||
		!(a = calloc(1, sizeof(*a))))
		return -1;
	a->fd = -1;
	switch (ki->algo) {
	case PGP_RSA:
	case PGP_RSA_S:
		a->pk_algo = PGP_RSA;
		a->hash_algo = PGP_SHA256;
		break;
	case PGP_EDDSA:
		if (strcmp(ki->curve, "ed25519"))
			goto no;
		a->pk_algo = PGP_EDDSA;
		a->hash_algo = PGP_SHA256;
		break;
	case PGP_ECDSA:
		/* a hash at least as long as the curve's order */
		a->pk_algo = PGP_ECDSA;
		if (!strcmp(ki->curve, "nistp384") ||
			!strcmp(ki->curve, "brainpoolP384r1"))
			a->hash_algo = PGP_SHA384;
		else if (!strcmp(ki->curve, "nistp521") ||
			!strcmp(ki->curve, "brainpoolP512r1"))
			a->hash_algo = PGP_SHA512;
		else if (!strcmp(ki->curve, "nistp256") ||
			!strcmp(ki->curve, "brainpoolP256r1") ||
			!strcmp(ki->curve, "secp256k1"))
			a->hash_algo = PGP_SHA256;
		else
			goto no;
		break;
	default:
		goto no;
	}
	a->md = a->hash_algo == PGP_SHA256 ? EVP_sha256() :
		a->hash_algo == PGP_SHA384 ? EVP_sha384() : EVP_sha512();
	memcpy(a->grip, ki->grip, 40);
	for (int i = 0; i < 20; i++) {
		int h = hexval(ki->fpr[2 * i]), l = hexval(ki->fpr[2 * i + 1]);
		if (h < 0 || l < 0)
			goto no;
		a->fpr[i] = (unsigned char)(h << 4 | l);
		a->fpr_hex[2 * i] = "0123456789ABCDEF"[h];
		a->fpr_hex[2 * i + 1] = "0123456789ABCDEF"[l];
	}
	*out = a;
	return 0;
no:
	free(a);
	return -1;
}

static void hang_up(arca_sign_agent *a)
{
	if (a->fd >= 0)
		close(a->fd);
	a->fd = -1;
	arca_buf_clear(&a->in);
}

void arca_sign__agent_free(arca_sign_agent *a)
{
	if (!a)
		return;
	hang_up(a);
	arca_buf_dispose(&a->in);
	free(a->home);
	free(a);
}

/* ------------------------------------------------------------ the agent */

/* The agent's socket for the current GNUPGHOME, as gpgconf reports it
 * (gpg's rules depend on /run/user and on the home's name); NULL on any
 * failure. */
static char *gpgconf_socket(void)
{
	char *argv[] = { "gpgconf", "--list-dirs", "agent-socket", NULL };
	arca_buf out = ARCA_BUF_INIT;
	char *path = NULL;

	if (arca_sign__run(argv, &out, 4096) == 0 && out.len) {
		char *s = (char *)out.data;
		s[strcspn(s, "\n")] = '\0';
		/* gpgconf percent-escapes some characters: take the path
		 * only when it has none */
		if (s[0] == '/' && !strchr(s, '%'))
			path = strdup(s);
	}
	arca_buf_dispose(&out);
	return path;
}

static int dial(const char *path)
{
	struct sockaddr_un sa;
	int fd;

	if (strlen(path) >= sizeof(sa.sun_path))
		return -1;
	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	memcpy(sa.sun_path, path, strlen(path) + 1);
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0)
		return -1;
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

static int send_line(arca_sign_agent *a, const char *line)
{
	size_t n = strlen(line), off = 0;

	while (off < n) {
		ssize_t w = send(a->fd, line + off, n - off, MSG_NOSIGNAL);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		off += (size_t)w;
	}
	return 0;
}

/* The next line from the agent, without its newline, in line (cap
 * bytes, Assuan lines are at most 1000): its length, which counts any
 * NUL bytes (data lines escape only %, CR and LF); -1 on a closed or
 * broken connection. */
static int read_line(arca_sign_agent *a, char *line, size_t cap)
{
	for (;;) {
		char *nl = a->in.len ? memchr(a->in.data, '\n', a->in.len) :
			NULL;
		char buf[1024];
		ssize_t r;
		if (nl) {
			size_t n = (size_t)(nl - (char *)a->in.data);
			if (n >= cap)
				return -1;
			memcpy(line, a->in.data, n);
			line[n] = '\0';
			memmove(a->in.data, nl + 1, a->in.len - n - 1);
			a->in.len -= n + 1;
			return (int)n;
		}
		if (a->in.len > 4096)
			return -1;
		r = recv(a->fd, buf, sizeof(buf), 0);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0 || arca_buf_put(&a->in, buf, (size_t)r) < 0)
			return -1;
	}
}

/*
 * Sends one command and reads to its OK (0) or ERR (-1); data lines go
 * to out (percent-unescaped) when it is not NULL. An inquiry is
 * cancelled: nothing here has anything to tell the agent.
 */
static int response(arca_sign_agent *a, arca_buf *out)
{
	char line[1100];
	int len;

	for (;;) {
		if ((len = read_line(a, line, sizeof(line))) < 0)
			return -1;
		if (!strcmp(line, "OK") || !strncmp(line, "OK ", 3))
			return 0;
		if (!strncmp(line, "ERR", 3))
			return -1;
		if (!strncmp(line, "INQUIRE", 7)) {
			if (send_line(a, "CAN\n") < 0)
				return -1;
			continue;
		}
		if (!strncmp(line, "D ", 2) && out) {
			const char *end = line + len;
			for (const char *p = line + 2; p < end; p++) {
				unsigned char c = (unsigned char)*p;
				if (c == '%' && end - p >= 3 && hexval(p[1]) >= 0 &&
					hexval(p[2]) >= 0) {
					c = (unsigned char)(hexval(p[1]) << 4 |
						hexval(p[2]));
					p += 2;
				}
				if (arca_buf_put(out, &c, 1) < 0)
					return -1;
			}
		}
		/* S (status) and # (comment) lines: nothing to do */
	}
}

static int transact(arca_sign_agent *a, const char *cmd, arca_buf *out)
{
	char line[1100];
	int len;

	/* command and newline in one write: one packet for the agent */
	if ((len = snprintf(line, sizeof(line), "%s\n", cmd)) < 0 ||
		(size_t)len >= sizeof(line) || send_line(a, line) < 0)
		return -1;
	return response(a, out);
}

/* Tells the agent where a pinentry may ask, as gpg does. */
static void session_options(arca_sign_agent *a)
{
	static const char *const opts[][2] = { { "GPG_TTY", "ttyname" },
		{ "TERM", "ttytype" }, { "DISPLAY", "display" } };
	char cmd[1000];

	for (size_t i = 0; i < sizeof(opts) / sizeof(opts[0]); i++) {
		const char *v = getenv(opts[i][0]);
		if (v && *v && strlen(v) < 900 && !strpbrk(v, "\n\r%")) {
			snprintf(cmd, sizeof(cmd), "OPTION %s=%s", opts[i][1], v);
			transact(a, cmd, NULL);
		}
	}
}

/* A connection to the agent of the current GNUPGHOME, started if it
 * does not run yet. */
static int connect_agent(arca_sign_agent *a)
{
	const char *home = getenv("GNUPGHOME");
	char line[1100], *path = NULL;

	if (a->fd >= 0 && ((!home && !a->home) || (home && a->home &&
		!strcmp(home, a->home))))
		return 0;
	hang_up(a);
	free(a->home);
	a->home = home ? strdup(home) : NULL;
	if (home && !a->home)
		return -1;
	/* Without /run/user, gpg keeps the socket in the home: try that
	 * first, which spares a gpgconf process (a listener there is an
	 * agent of this home); else ask gpgconf. */
	if (home && *home == '/' && strlen(home) < 900) {
		snprintf(line, sizeof(line), "%s/S.gpg-agent", home);
		a->fd = dial(line);
	} else if (!home || !*home) {
		/* the default home's places, with /run/user and without */
		const char *h = getenv("HOME");
		snprintf(line, sizeof(line), "/run/user/%u/gnupg/S.gpg-agent",
			(unsigned)getuid());
		if ((a->fd = dial(line)) < 0 && h && *h == '/' &&
			strlen(h) < 900) {
			snprintf(line, sizeof(line), "%s/.gnupg/S.gpg-agent", h);
			a->fd = dial(line);
		}
	}
	if (a->fd < 0 && !(path = gpgconf_socket()))
		return -1;
	if (a->fd < 0 && (a->fd = dial(path)) < 0) {
		char *launch[] = { "gpgconf", "--launch", "gpg-agent", NULL };
		arca_buf ignored = ARCA_BUF_INIT;
		arca_sign__run(launch, &ignored, 0);
		arca_buf_dispose(&ignored);
		a->fd = dial(path);
	}
	free(path);
	if (a->fd < 0 || read_line(a, line, sizeof(line)) < 0 ||
		strncmp(line, "OK", 2)) {
		hang_up(a);
		return -1;
	}
	session_options(a);
	return 0;
}

/* ---------------------------------------------------------- the packet */

static int put_u8(arca_buf *b, unsigned v)
{
	unsigned char c = (unsigned char)v;

	return arca_buf_put(b, &c, 1);
}

static int put_be(arca_buf *b, uint64_t v, int n)
{
	unsigned char c[8];

	for (int i = 0; i < n; i++)
		c[i] = (unsigned char)(v >> (8 * (n - 1 - i)));
	return arca_buf_put(b, c, (size_t)n);
}

/* An MPI (RFC 4880 3.2): bit count, then the bytes without leading
 * zeros. */
static int put_mpi(arca_buf *b, const unsigned char *v, size_t n)
{
	unsigned bits;

	while (n && !*v) {
		v++;
		n--;
	}
	bits = n ? (unsigned)(n - 1) * 8 : 0;
	for (unsigned c = n ? v[0] : 0; c; c >>= 1)
		bits++;
	if (bits > 0xffff)
		return -1;
	return put_be(b, bits, 2) < 0 ? -1 : arca_buf_put(b, v, n);
}

/* In a canonical S-expression, the atom after the list head name
 * (..(name VALUE)..): *v and *n, 0; -1 when absent. */
static int sexp_value(const unsigned char *s, size_t len, const char *name,
	const unsigned char **v, size_t *n)
{
	size_t nl = strlen(name), i = 0;
	int after_open = 0;

	while (i < len) {
		size_t l = 0, start;
		if (s[i] == '(') {
			after_open = 1;
			i++;
			continue;
		}
		if (s[i] == ')') {
			after_open = 0;
			i++;
			continue;
		}
		while (i < len && s[i] >= '0' && s[i] <= '9' && l < len)
			l = l * 10 + (size_t)(s[i++] - '0');
		if (i >= len || s[i] != ':' || l > len - i - 1)
			return -1;
		start = ++i;
		i += l;
		if (after_open && l == nl && !memcmp(s + start, name, nl)) {
			/* the value atom follows */
			size_t m = 0;
			while (i < len && s[i] >= '0' && s[i] <= '9' && m < len)
				m = m * 10 + (size_t)(s[i++] - '0');
			if (i >= len || s[i] != ':' || m > len - i - 1)
				return -1;
			*v = s + i + 1;
			*n = m;
			return 0;
		}
		after_open = 0;
	}
	return -1;
}

/* CRC-24 of the packet, for the armour's checksum (RFC 4880 6.1). */
static uint32_t crc24(const unsigned char *p, size_t n)
{
	uint32_t crc = 0xB704CEu;

	while (n--) {
		crc ^= (uint32_t)*p++ << 16;
		for (int i = 0; i < 8; i++) {
			crc <<= 1;
			if (crc & 0x1000000u)
				crc ^= 0x1864CFBu;
		}
	}
	return crc & 0xFFFFFFu;
}

static char *armour(const arca_buf *pkt)
{
	unsigned char c[3];
	uint32_t crc = crc24(pkt->data, pkt->len);
	arca_buf b64 = ARCA_BUF_INIT, sum = ARCA_BUF_INIT, out = ARCA_BUF_INIT;
	const char *t;
	char *res = NULL;
	size_t n;

	c[0] = (unsigned char)(crc >> 16);
	c[1] = (unsigned char)(crc >> 8);
	c[2] = (unsigned char)crc;
	if (arca_base64_encode(&b64, pkt->data, pkt->len) < 0 ||
		arca_base64_encode(&sum, c, 3) < 0 ||
		arca_buf_puts(&out, "-----BEGIN PGP SIGNATURE-----\n\n") < 0)
		goto done;
	t = arca_buf_cstr(&b64);
	n = strlen(t);
	for (size_t i = 0; i < n; i += 64)
		if (arca_buf_printf(&out, "%.64s\n", t + i) < 0)
			goto done;
	if (arca_buf_printf(&out, "=%s\n-----END PGP SIGNATURE-----\n",
		arca_buf_cstr(&sum)) < 0)
		goto done;
	res = (char *)arca_buf_detach(&out, NULL);
done:
	arca_buf_dispose(&b64);
	arca_buf_dispose(&sum);
	arca_buf_dispose(&out);
	return res;
}

int arca_sign__agent_sign(arca_sign_agent *a, const void *data, size_t len,
	char **armored, char used_fpr[ARCA_FPR_SIZE])
{
	unsigned char digest[EVP_MAX_MD_SIZE];
	unsigned int dlen = 0;
	arca_buf hashed = ARCA_BUF_INIT, pkt = ARCA_BUF_INIT,
		body = ARCA_BUF_INIT;
	arca_buf r = ARCA_BUF_INIT;
	const unsigned char *v1 = NULL, *v2 = NULL;
	size_t n1 = 0, n2 = 0;
	char cmd[256];
	EVP_MD_CTX *md = NULL;
	int rc = -1;

	if (a->broken || connect_agent(a) < 0)
		return -1;
	/* the hashed part: version, type 0 (binary), algorithms, and the
	 * subpackets creation time (2) and issuer fingerprint (33) */
	if (put_u8(&hashed, 4) < 0 || put_u8(&hashed, 0) < 0 ||
		put_u8(&hashed, (unsigned)a->pk_algo) < 0 ||
		put_u8(&hashed, (unsigned)a->hash_algo) < 0 ||
		put_be(&hashed, 6 + 23, 2) < 0 ||
		put_u8(&hashed, 5) < 0 || put_u8(&hashed, 2) < 0 ||
		put_be(&hashed, (uint64_t)time(NULL), 4) < 0 ||
		put_u8(&hashed, 22) < 0 || put_u8(&hashed, 33) < 0 ||
		put_u8(&hashed, 4) < 0 || arca_buf_put(&hashed, a->fpr, 20) < 0)
		goto done;
	/* H(data || hashed part || 0x04 0xFF || its length) */
	if (!(md = EVP_MD_CTX_new()) || !EVP_DigestInit_ex(md, a->md, NULL) ||
		(len && !EVP_DigestUpdate(md, data, len)) ||
		!EVP_DigestUpdate(md, hashed.data, hashed.len) ||
		!EVP_DigestUpdate(md, "\x04\xff", 2))
		goto done;
	{
		unsigned char l[4] = { (unsigned char)(hashed.len >> 24),
			(unsigned char)(hashed.len >> 16),
			(unsigned char)(hashed.len >> 8),
			(unsigned char)hashed.len };
		if (!EVP_DigestUpdate(md, l, 4) ||
			!EVP_DigestFinal_ex(md, digest, &dlen))
			goto done;
	}
	/* the agent signs the digest with the subkey's secret key */
	/* the three commands in one write, then their three answers: one
	 * round trip. No RESET first: SIGKEY and SETHASH replace what an
	 * earlier signature set, and a failure ends the connection */
	{
		int k = snprintf(cmd, sizeof(cmd), "SIGKEY %s\nSETHASH %d ",
			a->grip, a->hash_algo);
		for (unsigned i = 0; i < dlen; i++)
			k += snprintf(cmd + k, sizeof(cmd) - (size_t)k, "%02X",
				digest[i]);
		snprintf(cmd + k, sizeof(cmd) - (size_t)k, "\nPKSIGN\n");
	}
	if (send_line(a, cmd) < 0 || response(a, NULL) < 0 ||
		response(a, NULL) < 0 || response(a, &r) < 0)
		goto refused;
	if (a->pk_algo == PGP_RSA) {
		if (sexp_value(r.data, r.len, "s", &v1, &n1) < 0)
			goto refused;
	} else if (sexp_value(r.data, r.len, "r", &v1, &n1) < 0 ||
		sexp_value(r.data, r.len, "s", &v2, &n2) < 0)
		goto refused;
	/* the body: hashed part, unhashed issuer key id (16), the digest's
	 * first two bytes, the signature's MPIs */
	if (arca_buf_put(&body, hashed.data, hashed.len) < 0 ||
		put_be(&body, 10, 2) < 0 || put_u8(&body, 9) < 0 ||
		put_u8(&body, 16) < 0 || arca_buf_put(&body, a->fpr + 12, 8) < 0 ||
		arca_buf_put(&body, digest, 2) < 0 || put_mpi(&body, v1, n1) < 0 ||
		(v2 && put_mpi(&body, v2, n2) < 0))
		goto done;
	/* an old-format packet, tag 2, as gpg writes it */
	if (body.len < 256 ? put_u8(&pkt, 0x88) < 0 ||
		put_u8(&pkt, (unsigned)body.len) < 0 : put_u8(&pkt, 0x89) < 0 ||
		put_be(&pkt, body.len, 2) < 0)
		goto done;
	if (arca_buf_put(&pkt, body.data, body.len) < 0 ||
		!(*armored = armour(&pkt)))
		goto done;
	if (used_fpr)
		memcpy(used_fpr, a->fpr_hex, ARCA_FPR_SIZE);
	rc = 0;
	goto done;
refused:
	/* a pinentry cancelled, a key not in this agent, an agent too old:
	 * gpg does it from now on, with its own messages */
	a->broken = 1;
	hang_up(a);
done:
	EVP_MD_CTX_free(md);
	arca_buf_dispose(&hashed);
	arca_buf_dispose(&body);
	arca_buf_dispose(&pkt);
	arca_buf_dispose(&r);
	return rc;
}
