/*
 * Unit tests for the URL fetcher (src/lib/ingest/fetch.c) against a real
 * HTTP(S) server: tests/unit/data/fetch/server.py (python3, stdlib only),
 * started once for the group with fork/execvp and killed in the group
 * teardown (and by PR_SET_PDEATHSIG if this process dies first). The TLS
 * listener uses a self-signed certificate made here with libcrypto.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include "testutil.h"
#include "arca/id.h"
#include "hash/sha256.h"
#include "ingest/fetch.h"
#include "ingest/fetch_int.h"

#define EMPTY_HEX \
	"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
#define BIG_SIZE (256 * 1024)

static char *g_tmp;      /* work dir: outputs, cert, port file */
static char *g_root;     /* what the server serves */
static pid_t g_pid = -1;
static int g_port, g_tls_port;
static char g_cert[512];

/* ---- helpers ---------------------------------------------------------- */

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void write_file(const char *name, const void *data, size_t len)
{
	char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", g_root, name);
	assert_non_null(f = fopen(path, "wb"));
	assert_int_equal(fwrite(data, 1, len, f), len);
	assert_int_equal(fclose(f), 0);
}

static void hex_of(char out[ARCA_ID_HEXSZ + 1], const void *data, size_t len)
{
	arca_id id;

	assert_int_equal(arca_sha256(&id, data, len, NULL), 0);
	arca_id_hex(out, &id);
}

/* http://127.0.0.1:PORT + path, in one of a few rotating buffers. */
static const char *U(const char *path)
{
	static char bufs[4][1100];
	static int i;
	char *b = bufs[i++ % 4];

	snprintf(b, sizeof(bufs[0]), "http://127.0.0.1:%d%s", g_port, path);
	return b;
}

static const char *S(const char *path)
{
	static char b[1100];

	snprintf(b, sizeof(b), "https://127.0.0.1:%d%s", g_tls_port, path);
	return b;
}

/* A fresh output file holding `prefill`. */
static int out_fd(const char *prefill)
{
	char path[512];
	int fd;

	snprintf(path, sizeof(path), "%s/out-XXXXXX", g_tmp);
	assert_true((fd = mkstemp(path)) >= 0);
	unlink(path);
	if (prefill)
		assert_int_equal(write(fd, prefill, strlen(prefill)),
			(ssize_t)strlen(prefill));
	return fd;
}

/* The whole content of fd (NUL-terminated, malloc'd). */
static char *slurp(int fd, size_t *len)
{
	struct stat st;
	char *b;

	assert_int_equal(fstat(fd, &st), 0);
	assert_non_null(b = malloc((size_t)st.st_size + 1));
	assert_int_equal(pread(fd, b, (size_t)st.st_size, 0), st.st_size);
	b[st.st_size] = '\0';
	if (len)
		*len = (size_t)st.st_size;
	return b;
}

static void assert_fd_equals(int fd, const void *want, size_t len)
{
	size_t got_len;
	char *got = slurp(fd, &got_len);

	assert_int_equal(got_len, len);
	assert_memory_equal(got, want, len);
	free(got);
}

/* Options for tests: quick retries. */
static arca_fetch_opts quick(void)
{
	arca_fetch_opts o;

	arca_fetch_opts_init(&o);
	o.retry_base_ms = 1;
	o.connect_timeout_s = 5;
	return o;
}

/* Fetches url into a fresh file; returns the code, leaves fd open. */
static int get(const char *url, const arca_fetch_opts *o, int *fd,
	arca_fetch_result *res, arca_error *err)
{
	*fd = out_fd(NULL);
	return arca_fetch_url(url, *fd, NULL, NULL, o, res, err);
}

/* ---- the server ------------------------------------------------------- */

/* A self-signed certificate for 127.0.0.1 (key and cert in one PEM). */
static void make_cert(const char *path)
{
	EVP_PKEY *key = EVP_EC_gen("P-256");
	X509 *x = X509_new();
	X509_NAME *name;
	X509V3_CTX ctx;
	X509_EXTENSION *ext;
	FILE *f;

	assert_non_null(key);
	assert_non_null(x);
	assert_true(X509_set_version(x, 2));
	assert_true(ASN1_INTEGER_set(X509_get_serialNumber(x), 1));
	assert_non_null(X509_gmtime_adj(X509_getm_notBefore(x), -3600));
	assert_non_null(X509_gmtime_adj(X509_getm_notAfter(x), 86400));
	assert_true(X509_set_pubkey(x, key));
	name = X509_get_subject_name(x);
	assert_true(X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
		(const unsigned char *)"arca test", -1, -1, 0));
	assert_true(X509_set_issuer_name(x, name));
	X509V3_set_ctx_nodb(&ctx);
	X509V3_set_ctx(&ctx, x, x, NULL, NULL, 0);
	ext = X509V3_EXT_conf_nid(NULL, &ctx, NID_subject_alt_name,
		"IP:127.0.0.1");
	assert_non_null(ext);
	assert_true(X509_add_ext(x, ext, -1));
	X509_EXTENSION_free(ext);
	assert_true(X509_sign(x, key, EVP_sha256()) > 0);
	assert_non_null(f = fopen(path, "w"));
	assert_true(PEM_write_PrivateKey(f, key, NULL, NULL, 0, NULL, NULL));
	assert_true(PEM_write_X509(f, x));
	assert_int_equal(fclose(f), 0);
	X509_free(x);
	EVP_PKEY_free(key);
}

static int port_accepts(int port)
{
	struct sockaddr_in a = { .sin_family = AF_INET,
		.sin_port = htons((uint16_t)port) };
	int s = socket(AF_INET, SOCK_STREAM, 0), ok;

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ok = s >= 0 && connect(s, (struct sockaddr *)&a, sizeof(a)) == 0;
	if (s >= 0)
		close(s);
	return ok;
}

static void stop_server(void)
{
	if (g_pid > 0) {
		kill(g_pid, SIGTERM);
		waitpid(g_pid, NULL, 0);
	}
	g_pid = -1;
}

static int group_setup(void **state)
{
	char script[1024], portfile[1024], *big, dir[512];
	const char *src = __FILE__, *slash = strrchr(src, '/');
	int status;
	FILE *f;

	(void)state;
	/* A proxy from the environment must not get between us and it. */
	setenv("no_proxy", "127.0.0.1,localhost", 1);
	setenv("NO_PROXY", "127.0.0.1,localhost", 1);
	g_tmp = tu_mkdtemp();
	g_root = tu_mkdtemp();
	snprintf(dir, sizeof(dir), "%.*s", slash ? (int)(slash - src) : 1,
		slash ? src : ".");
	snprintf(script, sizeof(script), "%s/data/fetch/server.py", dir);
	snprintf(portfile, sizeof(portfile), "%s/port", g_tmp);
	snprintf(g_cert, sizeof(g_cert), "%s/cert.pem", g_tmp);
	make_cert(g_cert);

	write_file("a.txt", "hello, arca\n", 12);
	write_file("empty.txt", "", 0);
	assert_non_null(big = malloc(BIG_SIZE));
	tu_fill_random(big, BIG_SIZE, 42);
	write_file("big.bin", big, BIG_SIZE);
	free(big);

	g_pid = fork();
	assert_true(g_pid >= 0);
	if (g_pid == 0) {
		char *argv[] = { "python3", script, "--dir", g_root,
			"--port-file", portfile, "--cert", g_cert, "--key",
			g_cert, NULL };
		prctl(PR_SET_PDEATHSIG, SIGTERM);
		execvp(argv[0], argv);
		fprintf(stderr, "test_fetch: cannot run python3: %s\n",
			strerror(errno));
		_exit(127);
	}
	for (int i = 0; i < 400; i++) { /* up to 20 s */
		if ((f = fopen(portfile, "r"))) {
			int n = fscanf(f, "%d %d", &g_port, &g_tls_port);
			fclose(f);
			if (n == 2 && port_accepts(g_port) &&
			    port_accepts(g_tls_port))
				return 0;
		}
		if (waitpid(g_pid, &status, WNOHANG) == g_pid) {
			g_pid = -1;
			fprintf(stderr, "test_fetch: the test server (%s) "
				"exited; is python3 installed?\n", script);
			return -1;
		}
		usleep(50000);
	}
	fprintf(stderr, "test_fetch: the test server did not start\n");
	stop_server();
	return -1;
}

static int group_teardown(void **state)
{
	(void)state;
	stop_server();
	tu_rmtree(g_root);
	tu_rmtree(g_tmp);
	return 0;
}

/* ---- tests ------------------------------------------------------------ */

static void test_fetch__conditional(void **state)
{
	arca_fetch_opts o = quick();
	arca_fetch_result r1 = ARCA_FETCH_RESULT_INIT,
		r2 = ARCA_FETCH_RESULT_INIT, r3 = ARCA_FETCH_RESULT_INIT;
	arca_error err = ARCA_ERROR_INIT;
	char hex[ARCA_ID_HEXSZ + 1], path[512];
	const char *url = U("/cond.txt");
	struct timespec times[2];
	int fd;

	(void)state;
	write_file("cond.txt", "version 1\n", 10);
	assert_int_equal(get(url, &o, &fd, &r1, &err), 0);
	assert_int_equal(r1.not_modified, 0);
	assert_int_equal(r1.http_status, 200);
	assert_int_equal(r1.bytes, 10);
	hex_of(hex, "version 1\n", 10);
	assert_string_equal(r1.sha256, hex);
	assert_non_null(r1.etag);
	assert_int_equal(r1.etag[0], '"');
	assert_non_null(r1.last_modified);
	assert_string_equal(r1.effective_url, url);
	assert_fd_equals(fd, "version 1\n", 10);
	close(fd);

	/* Unchanged: 304, and the output file is not touched. */
	fd = out_fd("SENTINEL");
	assert_int_equal(arca_fetch_url(url, fd, r1.etag, r1.last_modified,
		&o, &r2, &err), 0);
	assert_int_equal(r2.not_modified, 1);
	assert_int_equal(r2.http_status, 304);
	assert_int_equal(r2.bytes, 0);
	assert_string_equal(r2.sha256, "");
	assert_string_equal(r2.etag, r1.etag);
	assert_string_equal(r2.last_modified, r1.last_modified);
	assert_fd_equals(fd, "SENTINEL", 8);
	arca_fetch_result_free(&r2);

	/* Last-Modified alone is enough too. */
	assert_int_equal(arca_fetch_url(url, fd, NULL, r1.last_modified, &o,
		&r2, &err), 0);
	assert_int_equal(r2.not_modified, 1);
	assert_fd_equals(fd, "SENTINEL", 8);
	arca_fetch_result_free(&r2);
	close(fd);

	/* Changed (same second, so only the ETag can tell): a new body. */
	write_file("cond.txt", "version two\n", 12);
	fd = out_fd("SENTINEL-LONGER-THAN-THE-BODY");
	assert_int_equal(arca_fetch_url(url, fd, r1.etag, r1.last_modified,
		&o, &r3, &err), 0);
	assert_int_equal(r3.not_modified, 0);
	assert_int_equal(r3.http_status, 200);
	assert_string_not_equal(r3.etag, r1.etag);
	hex_of(hex, "version two\n", 12);
	assert_string_equal(r3.sha256, hex);
	assert_fd_equals(fd, "version two\n", 12);
	close(fd);

	/* A newer mtime defeats If-Modified-Since. */
	snprintf(path, sizeof(path), "%s/cond.txt", g_root);
	clock_gettime(CLOCK_REALTIME, &times[0]);
	times[0].tv_sec += 10;
	times[1] = times[0];
	assert_int_equal(utimensat(AT_FDCWD, path, times, 0), 0);
	assert_int_equal(get(url, &o, &fd, &r2, &err), 0);
	arca_fetch_result_free(&r2);
	close(fd);
	fd = out_fd(NULL);
	assert_int_equal(arca_fetch_url(url, fd, NULL, r1.last_modified, &o,
		&r2, &err), 0);
	assert_int_equal(r2.not_modified, 0);
	assert_fd_equals(fd, "version two\n", 12);
	close(fd);

	arca_fetch_result_free(&r1);
	arca_fetch_result_free(&r2);
	arca_fetch_result_free(&r3);
	arca_fetch_result_free(&r3); /* twice is fine */
	arca_fetch_result_free(NULL);
}

static void test_fetch__empty_body(void **state)
{
	arca_fetch_opts o = quick();
	arca_fetch_result r = ARCA_FETCH_RESULT_INIT;
	arca_error err = ARCA_ERROR_INIT;
	int fd = out_fd("old content");

	(void)state;
	assert_int_equal(arca_fetch_url(U("/empty.txt"), fd, NULL, NULL, &o,
		&r, &err), 0);
	assert_int_equal(r.bytes, 0);
	assert_string_equal(r.sha256, EMPTY_HEX);
	assert_fd_equals(fd, "", 0);
	close(fd);
	arca_fetch_result_free(&r);
}

static void test_fetch__not_found(void **state)
{
	arca_fetch_opts o = quick();
	arca_fetch_result r = ARCA_FETCH_RESULT_INIT;
	arca_error err = ARCA_ERROR_INIT;
	char want[128];
	int fd;

	(void)state;
	assert_int_equal(get(U("/missing.txt"), &o, &fd, &r, &err),
		ARCA_EREMOTE);
	close(fd);
	snprintf(want, sizeof(want), "fetch http://127.0.0.1:%d/missing.txt: "
		"HTTP 404 (not found)", g_port);
	assert_string_equal(err.msg, want);
	assert_null(r.effective_url); /* untouched on error */

	/* 4xx are not retried: the second hit would have succeeded. */
	assert_int_equal(get(U("/a.txt?status=404&count=1"), &o, &fd, &r,
		&err), ARCA_EREMOTE);
	close(fd);
	assert_int_equal(get(U("/a.txt?status=403&count=1"), &o, &fd, &r,
		&err), ARCA_EREMOTE);
	close(fd);
	assert_non_null(strstr(err.msg, "HTTP 403 (forbidden)"));
	assert_null(strstr(err.msg, "attempts"));

	/* A NULL err still gets the code. */
	assert_int_equal(get(U("/missing.txt"), &o, &fd, &r, NULL),
		ARCA_EREMOTE);
	close(fd);
}

static void test_fetch__unreachable(void **state)
{
	arca_fetch_opts o = quick();
	arca_fetch_result r = ARCA_FETCH_RESULT_INIT;
	arca_error err = ARCA_ERROR_INIT;
	struct sockaddr_in a = { .sin_family = AF_INET };
	socklen_t alen = sizeof(a);
	char url[128];
	int s, fd, port;
	int64_t t0;

	(void)state;
	/* A port that was free a moment ago: bound, read, closed. */
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_true((s = socket(AF_INET, SOCK_STREAM, 0)) >= 0);
	assert_int_equal(bind(s, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(getsockname(s, (struct sockaddr *)&a, &alen), 0);
	port = ntohs(a.sin_port);
	close(s);

	snprintf(url, sizeof(url), "http://127.0.0.1:%d/x", port);
	o.retries = 2;
	t0 = now_ms();
	assert_int_equal(get(url, &o, &fd, &r, &err), ARCA_EREMOTE);
	close(fd);
	assert_true(now_ms() - t0 < 3000);
	assert_non_null(strstr(err.msg, url));
	assert_non_null(strstr(err.msg, "(gave up after 3 attempts)"));
}

static void test_fetch__retry_5xx(void **state)
{
	arca_fetch_opts o = quick();
	arca_fetch_result r = ARCA_FETCH_RESULT_INIT;
	arca_error err = ARCA_ERROR_INIT;
	int64_t t0;
	int fd;

	(void)state;
	assert_int_equal(get(U("/a.txt?status=500&count=2"), &o, &fd, &r,
		&err), 0);
	assert_int_equal(err.code, 0); /* the failed attempts left no trace */
	assert_fd_equals(fd, "hello, arca\n", 12);
	close(fd);
	arca_fetch_result_free(&r);

	o.retries = 2;
	assert_int_equal(get(U("/a.txt?status=503&count=5"), &o, &fd, &r,
		&err), ARCA_EREMOTE);
	close(fd);
	assert_non_null(strstr(err.msg, "HTTP 503 (service unavailable) "
		"(gave up after 3 attempts)"));

	/* 408 is retried too, and 429's Retry-After is honoured. */
	assert_int_equal(get(U("/a.txt?status=408&count=1"), &o, &fd, &r,
		&err), 0);
	close(fd);
	arca_fetch_result_free(&r);
	t0 = now_ms();
	assert_int_equal(get(U("/a.txt?status=429&count=1&retry_after=1"), &o,
		&fd, &r, &err), 0);
	assert_true(now_ms() - t0 >= 900);
	close(fd);
	arca_fetch_result_free(&r);

	/* retries = 0: one attempt only. */
	o.retries = 0;
	assert_int_equal(get(U("/a.txt?status=500&count=1"), &o, &fd, &r,
		&err), ARCA_EREMOTE);
	close(fd);
	assert_null(strstr(err.msg, "attempts"));
}

static void test_fetch__redirects(void **state)
{
	arca_fetch_opts o = quick();
	arca_fetch_result r = ARCA_FETCH_RESULT_INIT;
	arca_error err = ARCA_ERROR_INIT;
	char loc[1024];
	int64_t t0;
	int fd;

	(void)state;
	assert_int_equal(get(U("/r/2/a.txt?k=chain"), &o, &fd, &r, &err), 0);
	assert_string_equal(r.effective_url, U("/a.txt"));
	assert_fd_equals(fd, "hello, arca\n", 12);
	close(fd);
	arca_fetch_result_free(&r);

	/* One more hop than allowed. */
	o.max_redirects = 1;
	assert_int_equal(get(U("/r/2/a.txt"), &o, &fd, &r, &err),
		ARCA_EREMOTE);
	close(fd);
	assert_non_null(strstr(err.msg, "more than 1 redirects"));
	o.max_redirects = 0;
	assert_int_equal(get(U("/r/0/a.txt"), &o, &fd, &r, &err),
		ARCA_EREMOTE);
	close(fd);

	/* A loop fails at once, without retries. */
	o.max_redirects = 5;
	t0 = now_ms();
	assert_int_equal(get(U("/a.txt?loop=1"), &o, &fd, &r, &err),
		ARCA_EREMOTE);
	close(fd);
	assert_true(now_ms() - t0 < 2000);
	assert_non_null(strstr(err.msg, "more than 5 redirects"));
	assert_null(strstr(err.msg, "attempts"));

	/* Only to http(s). */
	assert_int_equal(get(U("/a.txt?location=ftp://127.0.0.1/x"), &o, &fd,
		&r, &err), ARCA_EREMOTE);
	close(fd);
	assert_non_null(strstr(err.msg, "redirect refused"));
	assert_int_equal(get(U("/a.txt?location=file:///etc/passwd"), &o, &fd,
		&r, &err), ARCA_EREMOTE);
	close(fd);

	/* http to https is fine; https to http is a downgrade. */
	o.ca_bundle = g_cert;
	snprintf(loc, sizeof(loc), "/a.txt?location=%.900s", S("/a.txt"));
	assert_int_equal(get(U(loc), &o, &fd, &r, &err), 0);
	assert_string_equal(r.effective_url, S("/a.txt"));
	close(fd);
	arca_fetch_result_free(&r);
	snprintf(loc, sizeof(loc), "/a.txt?location=%.900s", U("/a.txt"));
	assert_int_equal(get(S(loc), &o, &fd, &r, &err), ARCA_EREMOTE);
	close(fd);
	assert_non_null(strstr(err.msg, "redirect refused"));
}

static void test_fetch__expected_sha256(void **state)
{
	arca_fetch_opts o = quick();
	arca_fetch_result r = ARCA_FETCH_RESULT_INIT;
	arca_error err = ARCA_ERROR_INIT;
	char hex[ARCA_ID_HEXSZ + 1], want[ARCA_ID_STRSZ];
	int fd;

	(void)state;
	hex_of(hex, "hello, arca\n", 12);
	snprintf(want, sizeof(want), "sha256:%s", hex);
	o.expected_sha256 = want;
	assert_int_equal(get(U("/a.txt"), &o, &fd, &r, &err), 0);
	assert_string_equal(r.sha256, hex);
	close(fd);
	arca_fetch_result_free(&r);
	o.expected_sha256 = hex; /* bare hex works too */
	assert_int_equal(get(U("/a.txt"), &o, &fd, &r, &err), 0);
	close(fd);
	arca_fetch_result_free(&r);

	/* A mismatch is re-downloaded once, then reported. */
	o.expected_sha256 = EMPTY_HEX;
	assert_int_equal(get(U("/a.txt"), &o, &fd, &r, &err), ARCA_EVERIFY);
	close(fd);
	assert_non_null(strstr(err.msg, "SHA-256 mismatch: expected "
		EMPTY_HEX ", got "));
	assert_non_null(strstr(err.msg, hex));
	assert_non_null(strstr(err.msg, "(gave up after 2 attempts)"));

	o.expected_sha256 = "sha256:1234";
	assert_int_equal(get(U("/a.txt"), &o, &fd, &r, &err), ARCA_EINVALID);
	close(fd);
}

static void test_fetch__no_credentials_in_messages(void **state)
{
	arca_fetch_opts o = quick();
	arca_fetch_result r = ARCA_FETCH_RESULT_INIT;
	arca_error err = ARCA_ERROR_INIT;
	char url[256];
	int fd;

	(void)state;
	o.retries = 1;
	snprintf(url, sizeof(url), "http://alice:s3cretpw@127.0.0.1:%d/"
		"missing.txt?token=tok123secret&x=1#frag", g_port);
	assert_int_equal(get(url, &o, &fd, &r, &err), ARCA_EREMOTE);
	close(fd);
	assert_non_null(strstr(err.msg, U("/missing.txt")));
	assert_null(strstr(err.msg, "s3cretpw"));
	assert_null(strstr(err.msg, "alice"));
	assert_null(strstr(err.msg, "tok123secret"));

	/* Through a redirect, and on success (effective_url). */
	snprintf(url, sizeof(url), "http://alice:s3cretpw@127.0.0.1:%d/r/1/"
		"a.txt?token=tok123secret", g_port);
	assert_int_equal(get(url, &o, &fd, &r, &err), 0);
	close(fd);
	assert_string_equal(r.effective_url, U("/a.txt"));
	arca_fetch_result_free(&r);

	/* Unreachable, and unparseable. */
	assert_int_equal(get("http://bob:pw-unreach@127.0.0.1:1/x?token="
		"tok-unreach", &o, &fd, &r, &err), ARCA_EREMOTE);
	close(fd);
	assert_null(strstr(err.msg, "pw-unreach"));
	assert_null(strstr(err.msg, "tok-unreach"));
	assert_int_equal(get("http://bob:pw-bad@[::1/x?token=tok-bad", &o,
		&fd, &r, &err), ARCA_EINVALID);
	close(fd);
	assert_null(strstr(err.msg, "pw-bad"));
	assert_null(strstr(err.msg, "tok-bad"));
}

static void test_fetch__bad_arguments(void **state)
{
	arca_fetch_opts o = quick();
	arca_fetch_result r = ARCA_FETCH_RESULT_INIT;
	arca_error err = ARCA_ERROR_INIT;
	const char *bad[] = { "ftp://127.0.0.1/x", "file:///etc/passwd",
		"FILE:///etc/passwd", "gopher://127.0.0.1/x", "127.0.0.1/x",
		"", "http://", "http://exa mple.com/" };
	int fd = out_fd(NULL), p[2];

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(arca_fetch_url(bad[i], fd, NULL, NULL, &o,
			&r, &err), ARCA_EINVALID);
		assert_non_null(strstr(err.msg, "fetch "));
	}
	assert_int_equal(arca_fetch_url("file:///etc/passwd", fd, NULL, NULL,
		&o, &r, &err), ARCA_EINVALID);
	assert_string_equal(err.msg, "fetch file:///etc/passwd: unsupported "
		"URL scheme 'file' (only http and https)");
	assert_int_equal(arca_fetch_url(NULL, fd, NULL, NULL, &o, &r, &err),
		ARCA_EINVALID);
	/* Header injection through stored validators. */
	assert_int_equal(arca_fetch_url(U("/a.txt"), fd, "\"x\"\r\nEvil: 1",
		NULL, &o, &r, &err), ARCA_EINVALID);
	o.retries = -1;
	assert_int_equal(arca_fetch_url(U("/a.txt"), fd, NULL, NULL, &o, &r,
		&err), ARCA_EINVALID);
	o = quick();
	/* Not a regular file: it could not be rewritten on retry. */
	assert_int_equal(pipe(p), 0);
	assert_int_equal(arca_fetch_url(U("/a.txt"), p[1], NULL, NULL, &o,
		&r, &err), ARCA_EINVALID);
	close(p[0]);
	close(p[1]);
	assert_int_equal(arca_fetch_url(U("/a.txt"), -1, NULL, NULL, &o, &r,
		&err), ARCA_EINVALID);
	assert_null(r.effective_url);
	close(fd);
}

static void test_fetch__truncated_body(void **state)
{
	arca_fetch_opts o = quick();
	arca_fetch_result r = ARCA_FETCH_RESULT_INIT;
	arca_error err = ARCA_ERROR_INIT;
	char hex[ARCA_ID_HEXSZ + 1], *big;
	int fd;

	(void)state;
	assert_non_null(big = malloc(BIG_SIZE));
	tu_fill_random(big, BIG_SIZE, 42);
	hex_of(hex, big, BIG_SIZE);

	/* Content-Length not met, then a reset: retried, and the file holds
	 * exactly the body (no leftovers of the broken attempt). */
	assert_int_equal(get(U("/big.bin?truncate=2"), &o, &fd, &r, &err), 0);
	assert_string_equal(r.sha256, hex);
	assert_int_equal(r.bytes, BIG_SIZE);
	assert_fd_equals(fd, big, BIG_SIZE);
	close(fd);
	arca_fetch_result_free(&r);
	assert_int_equal(get(U("/big.bin?reset=1"), &o, &fd, &r, &err), 0);
	assert_fd_equals(fd, big, BIG_SIZE);
	close(fd);
	arca_fetch_result_free(&r);

	/* Always truncated: a clear failure. */
	o.retries = 1;
	assert_int_equal(get(U("/big.bin?truncate=9"), &o, &fd, &r, &err),
		ARCA_EREMOTE);
	close(fd);
	assert_non_null(strstr(err.msg, U("/big.bin")));
	assert_non_null(strstr(err.msg, "(gave up after 2 attempts)"));
	free(big);
}

static void test_fetch__stall(void **state)
{
	arca_fetch_opts o = quick();
	arca_fetch_result r = ARCA_FETCH_RESULT_INIT;
	arca_error err = ARCA_ERROR_INIT;
	int64_t t0 = now_ms();
	int fd;

	(void)state;
	/* A few bytes, then 30 s of silence: the low-speed limit gives up
	 * on the attempt after about a second, the retry gets it all. */
	o.low_speed_timeout_s = 1;
	assert_int_equal(get(U("/big.bin?stall=1&stall_s=30"), &o, &fd, &r,
		&err), 0);
	assert_int_equal(r.bytes, BIG_SIZE);
	assert_true(now_ms() - t0 < 10000);
	close(fd);
	arca_fetch_result_free(&r);
}

static void test_fetch__https(void **state)
{
	arca_fetch_opts o = quick();
	arca_fetch_result r = ARCA_FETCH_RESULT_INIT;
	arca_error err = ARCA_ERROR_INIT;
	int64_t t0 = now_ms();
	int fd;

	(void)state;
	/* Not trusted by default, and not retried. */
	assert_int_equal(get(S("/a.txt"), &o, &fd, &r, &err), ARCA_EREMOTE);
	close(fd);
	assert_true(now_ms() - t0 < 2000);
	assert_non_null(strstr(err.msg, S("/a.txt")));
	assert_non_null(strstr(err.msg, "certificate"));
	assert_null(strstr(err.msg, "attempts"));

	o.ca_bundle = g_cert;
	assert_int_equal(get(S("/a.txt"), &o, &fd, &r, &err), 0);
	assert_fd_equals(fd, "hello, arca\n", 12);
	assert_string_equal(r.effective_url, S("/a.txt"));
	close(fd);
	arca_fetch_result_free(&r);

	/* The certificate is for 127.0.0.1, not localhost. */
	{
		char url[128];
		snprintf(url, sizeof(url), "https://localhost:%d/a.txt",
			g_tls_port);
		assert_int_equal(get(url, &o, &fd, &r, &err), ARCA_EREMOTE);
		close(fd);
	}
}

static void test_fetch__helpers(void **state)
{
	static const struct { const char *in, *out; } urls[] = {
		{ "http://u:p@h:1/a/b?t=1#f", "http://h:1/a/b" },
		{ "https://h/p@q?x", "https://h/p@q" },
		{ "http://a@b@h/x", "http://h/x" },
		{ "http://h#frag?x", "http://h" },
		{ "u:p@h/x?y", "u:h/x" },
		{ "HTTP:/\\u:p@h/x", "HTTP:/\\h/x" },
		{ "http://h/a\r\nb", "http://h/a??b" },
		{ "", "" },
	};
	char msg[256], *s;

	(void)state;
	for (size_t i = 0; i < sizeof(urls) / sizeof(urls[0]); i++) {
		assert_non_null(s = arca_fetch__safe_url(urls[i].in));
		assert_string_equal(s, urls[i].out);
		free(s);
	}
	snprintf(msg, sizeof(msg), "user:secret1 secret1 tok=value1 ab");
	arca_fetch__redact(msg, "http://user:secret1@h/x?tok=value1&a=ab");
	assert_string_equal(msg, "*** *** tok=*** ab");

	assert_int_equal(arca_fetch__parse_retry_after("7", 0), 7);
	assert_int_equal(arca_fetch__parse_retry_after("soon", 0), -1);
	assert_int_equal(arca_fetch__parse_retry_after(
		"Thu, 01 Jan 1970 00:01:40 GMT", 40), 60);
	assert_int_equal(arca_fetch__parse_retry_after(
		"Thu, 01 Jan 1970 00:01:40 GMT", 1000), 0);

	for (int i = 0; i < 100; i++) {
		long d = arca_fetch__backoff_ms(3, 100, -1);
		assert_true(d >= 400 && d <= 800);
	}
	assert_true(arca_fetch__backoff_ms(40, 500, -1) <=
		ARCA_FETCH_BACKOFF_MAX_MS);
	assert_true(arca_fetch__backoff_ms(0, 1, 2) == 2000);
	assert_true(arca_fetch__backoff_ms(0, 1, 99999) ==
		ARCA_FETCH_RETRY_AFTER_MAX_S * 1000L);
	assert_true(arca_fetch__header_safe(NULL));
	assert_true(arca_fetch__header_safe("W/\"abc\""));
	assert_false(arca_fetch__header_safe("a\nb"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fetch__helpers),
		cmocka_unit_test(test_fetch__conditional),
		cmocka_unit_test(test_fetch__empty_body),
		cmocka_unit_test(test_fetch__not_found),
		cmocka_unit_test(test_fetch__unreachable),
		cmocka_unit_test(test_fetch__retry_5xx),
		cmocka_unit_test(test_fetch__redirects),
		cmocka_unit_test(test_fetch__expected_sha256),
		cmocka_unit_test(test_fetch__no_credentials_in_messages),
		cmocka_unit_test(test_fetch__bad_arguments),
		cmocka_unit_test(test_fetch__truncated_body),
		cmocka_unit_test(test_fetch__stall),
		cmocka_unit_test(test_fetch__https),
	};

	return cmocka_run_group_tests_name("test_fetch", tests, group_setup,
		group_teardown);
}
