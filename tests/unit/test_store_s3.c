/*
 * The S3 store: the conformance suite against a real S3 server (s3rver,
 * started here), then what only S3 shows: pagination, multipart, retries
 * on injected faults (a scripted local server), credentials and bucket
 * errors, http refusal, keys that need encoding.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <dirent.h>
#include "store/store.h"
#include "store/store_s3.h"
#include "testutil.h"
#include "store_suite.h"
#include "s3rver.h"
#include "s3fault.h"

#define BUCKET "arca-test"
#define MIB (1u << 20)

static ut_s3rver server;

/* The environment every case starts from: s3rver's credentials and
 * endpoint, nothing from the user's own AWS setup. */
static void base_env(void)
{
	static const char *unset[] = { "AWS_PROFILE", "AWS_DEFAULT_PROFILE",
		"AWS_SESSION_TOKEN", "AWS_ENDPOINT_URL_S3", "AWS_REGION",
		"AWS_DEFAULT_REGION", "AWS_CA_BUNDLE", "ARCA_S3_PATH_STYLE",
		"ARCA_S3_ALLOW_HTTP", "ARCA_S3_MAX_KEYS", "ARCA_S3_RETRIES",
		"ARCA_S3_TIMEOUT_S" };

	for (size_t i = 0; i < sizeof(unset) / sizeof(unset[0]); i++)
		unsetenv(unset[i]);
	setenv("AWS_ACCESS_KEY_ID", "S3RVER", 1);
	setenv("AWS_SECRET_ACCESS_KEY", "S3RVER", 1);
	setenv("AWS_ENDPOINT_URL", server.endpoint, 1);
	setenv("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent/credentials", 1);
	setenv("AWS_CONFIG_FILE", "/nonexistent/config", 1);
	setenv("ARCA_S3_MULTIPART_MB", "5", 1);
	setenv("ARCA_S3_RETRY_BASE_MS", "20", 1);
}

static arca_store *open_ok(const char *location)
{
	arca_error err = ARCA_ERROR_INIT;
	arca_store *s = NULL;

	if (arca_store_s3_new(&s, location, 1, &err))
		fail_msg("open '%s': %s", location, err.msg);
	return s;
}

/* The suite's factory: a fresh prefix of the bucket per case. */
static arca_store *make_s3(void *ctx)
{
	char loc[64];

	base_env();
	snprintf(loc, sizeof(loc), BUCKET "/suite-%d", ++*(int *)ctx);
	return open_ok(loc);
}

static void cleanup_s3(arca_store *s, void *ctx)
{
	arca_store_free(s);
}

static void put(arca_store *s, const char *key, const void *v, size_t n)
{
	arca_error err = ARCA_ERROR_INIT;

	if (arca_store_put(s, key, v, n, 0, &err))
		fail_msg("put '%s': %s", key, err.msg);
}

static int count_cb(const char *key, const arca_store_info *st, void *p)
{
	(*(size_t *)p)++;
	return 0;
}

static size_t count_keys(arca_store *s, const char *prefix)
{
	arca_error err = ARCA_ERROR_INIT;
	size_t n = 0;

	if (arca_store_list(s, prefix, count_cb, &n, &err))
		fail_msg("list '%s': %s", prefix, err.msg);
	return n;
}

static int stop_cb(const char *key, const arca_store_info *st, void *p)
{
	return ++*(int *)p == 10 ? 5 : 0;
}

static void test_store_s3__pagination(void **state)
{
	arca_error err = ARCA_ERROR_INIT;
	arca_store *s;
	char key[64];
	int stop = 0;

	base_env();
	setenv("ARCA_S3_MAX_KEYS", "7", 1);
	s = open_ok("s3://" BUCKET "/pages/");
	assert_string_equal(s->url, "s3://" BUCKET "/pages");
	for (int i = 0; i < 30; i++) {
		snprintf(key, sizeof(key), "%s/k%02d", i % 3 ? "a" : "b", i);
		put(s, key, key, strlen(key));
	}
	assert_int_equal(count_keys(s, ""), 30);
	assert_int_equal(count_keys(s, "a/"), 20);
	assert_int_equal(count_keys(s, "b"), 10);
	assert_int_equal(count_keys(s, "c/"), 0);
	/* a stop in the second page ends the listing there */
	assert_int_equal(arca_store_list(s, "", stop_cb, &stop, &err), 5);
	assert_int_equal(stop, 10);
	arca_store_free(s);
}

static size_t count_dir(const char *path)
{
	DIR *d = opendir(path);
	struct dirent *de;
	size_t n = 0;

	if (!d)
		return 0;
	while ((de = readdir(d)))
		n += strcmp(de->d_name, ".") && strcmp(de->d_name, "..");
	closedir(d);
	return n;
}

static void test_store_s3__multipart(void **state)
{
	size_t len = 12 * MIB;
	unsigned char *data = malloc(len);
	arca_buf b = ARCA_BUF_INIT;
	arca_error err = ARCA_ERROR_INIT;
	arca_store_info st;
	char uploads[4200];
	arca_store *s;

	assert_non_null(data);
	base_env();
	s = open_ok(BUCKET "/multi");
	tu_fill_random(data, len, 12);
	put(s, "big", data, len); /* three parts: 5, 5 and 2 MiB */
	assert_int_equal(arca_store_stat(s, "big", &st, &err), 0);
	assert_int_equal(st.size, len);
	assert_int_equal(arca_store_get(s, &b, "big", 0, UINT64_MAX, &err), 0);
	assert_int_equal(b.len, len);
	assert_memory_equal(b.data, data, len);
	/* a range across the first part boundary */
	arca_buf_clear(&b);
	assert_int_equal(arca_store_get(s, &b, "big", 5 * MIB - 10, 20, &err),
		0);
	assert_int_equal(b.len, 20);
	assert_memory_equal(b.data, data + 5 * MIB - 10, 20);
	/* no upload left behind (s3rver has no ListMultipartUploads: its
	 * pending uploads are directories here) */
	snprintf(uploads, sizeof(uploads), "%s/" BUCKET "/._S3rver_uploads",
		server.dir);
	assert_int_equal(count_dir(uploads), 0);
	arca_buf_dispose(&b);
	arca_store_free(s);
	free(data);
}

static void test_store_s3__encoded_keys(void **state)
{
	static const char *keys[] = { "sp ace/a b", "plus/a+b=c&d",
		"utf8/\xc3\xbc\xe1\x88\xb4", "pct/100%25", "tilde/~x_y-z.w" };
	arca_error err = ARCA_ERROR_INIT;
	arca_buf b = ARCA_BUF_INIT;
	arca_store *s;
	size_t i;

	base_env();
	s = open_ok(BUCKET "/enc");
	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		put(s, keys[i], keys[i], strlen(keys[i]));
	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		arca_buf_clear(&b);
		if (arca_store_get(s, &b, keys[i], 0, UINT64_MAX, &err))
			fail_msg("get '%s': %s", keys[i], err.msg);
		assert_string_equal(arca_buf_cstr(&b), keys[i]);
	}
	assert_int_equal(count_keys(s, ""), 5);
	assert_int_equal(count_keys(s, "plus/a+"), 1);
	arca_buf_dispose(&b);
	arca_store_free(s);
}

static void test_store_s3__open_url_and_profile(void **state)
{
	arca_error err = ARCA_ERROR_INIT;
	arca_store *s = NULL;
	char *dir = tu_mkdtemp(), path[4200];
	FILE *f;

	base_env();
	assert_int_equal(arca_store_open(&s, "s3://" BUCKET "/via-url", 1,
		&err), 0);
	put(s, "k", "v", 1);
	assert_null(s->local_path(s));
	arca_store_free(s);
	s = NULL;
	/* credentials from a profile: [x] in credentials, [profile x] in
	 * config, the environment's keys gone */
	unsetenv("AWS_ACCESS_KEY_ID");
	unsetenv("AWS_SECRET_ACCESS_KEY");
	snprintf(path, sizeof(path), "%s/credentials", dir);
	assert_non_null(f = fopen(path, "w"));
	fputs("[default]\naws_access_key_id = WRONG\n"
		"aws_secret_access_key = WRONG\n\n[arca]\n"
		"# a comment\naws_access_key_id = S3RVER\n"
		"aws_secret_access_key = S3RVER\n", f);
	fclose(f);
	setenv("AWS_SHARED_CREDENTIALS_FILE", path, 1);
	snprintf(path, sizeof(path), "%s/config", dir);
	assert_non_null(f = fopen(path, "w"));
	fputs("[profile arca]\nregion = eu-west-3\n", f);
	fclose(f);
	setenv("AWS_CONFIG_FILE", path, 1);
	setenv("AWS_PROFILE", "arca", 1);
	assert_int_equal(arca_store_open(&s, "s3://" BUCKET "/via-url", 0,
		&err), 0);
	assert_int_equal(arca_store_stat(s, "k", NULL, &err), 0);
	arca_store_free(s);
	s = NULL;
	setenv("AWS_PROFILE", "nobody", 1);
	assert_int_equal(arca_store_open(&s, "s3://" BUCKET, 0, &err),
		ARCA_EINVALID);
	assert_non_null(strstr(err.msg, "profile 'nobody' not found"));
	assert_null(s);
	tu_rmtree(dir);
}

static void test_store_s3__wrong_credentials(void **state)
{
	static const char secret[] = "wJalrXUtnFEMI-not-a-real-secret";
	static const char token[] = "FQoGZXIvYXdzEXAMPLE-session-token";
	arca_error err = ARCA_ERROR_INIT;
	arca_store *s = NULL;

	base_env();
	setenv("AWS_ACCESS_KEY_ID", "AKIDNOSUCHKEY", 1);
	setenv("AWS_SECRET_ACCESS_KEY", secret, 1);
	setenv("AWS_SESSION_TOKEN", token, 1);
	assert_int_equal(arca_store_s3_new(&s, BUCKET, 0, &err),
		ARCA_EREMOTE);
	assert_null(s);
	assert_true(strstr(err.msg, "InvalidAccessKeyId") ||
		strstr(err.msg, "SignatureDoesNotMatch"));
	assert_non_null(strstr(err.msg, BUCKET));
	assert_null(strstr(err.msg, secret));
	assert_null(strstr(err.msg, token));
}

static void test_store_s3__missing_bucket(void **state)
{
	arca_error err = ARCA_ERROR_INIT;
	arca_store *s = NULL;

	base_env();
	assert_int_equal(arca_store_s3_new(&s, "no-such-bucket/p", 1, &err),
		ARCA_EREMOTE);
	assert_null(s);
	assert_non_null(strstr(err.msg, "'no-such-bucket' does not exist"));
	assert_int_equal(arca_store_s3_new(&s, "Bad_Bucket", 1, &err),
		ARCA_EINVALID);
	assert_int_equal(arca_store_s3_new(&s, BUCKET "/a/../b", 1, &err),
		ARCA_EINVALID);
}

static void test_store_s3__http_refused(void **state)
{
	arca_error err = ARCA_ERROR_INIT;
	arca_store *s = NULL;

	base_env();
	setenv("AWS_ENDPOINT_URL", "http://s3.example.com:9000", 1);
	assert_int_equal(arca_store_s3_new(&s, BUCKET, 0, &err),
		ARCA_EINVALID);
	assert_non_null(strstr(err.msg, "refusing plain http"));
	assert_non_null(strstr(err.msg, "s3.example.com"));
	setenv("AWS_ENDPOINT_URL", "ftp://127.0.0.1", 1);
	assert_int_equal(arca_store_s3_new(&s, BUCKET, 0, &err),
		ARCA_EINVALID);
	/* loopback by name is plain-http territory */
	setenv("AWS_ENDPOINT_URL", server.endpoint, 1);
	{
		char ep[96];

		snprintf(ep, sizeof(ep), "http://localhost:%d", server.port);
		setenv("AWS_ENDPOINT_URL", ep, 1);
		if (arca_store_s3_new(&s, BUCKET, 0, &err))
			fail_msg("%s", err.msg);
		arca_store_free(s);
	}
	assert_null(getenv("AWS_SESSION_TOKEN"));
}

/* A fake S3 for fault injection: scripted failures, then success. */
typedef struct fake {
	int fail_first;  /* requests (after the bucket check) to fail */
	int fail_status; /* 0: drop the connection */
	int puts, gets, aborts, parts;
	int part_status; /* answer to part uploads (0: 200) */
	const char *fail_code; /* S3 code of the failures (NULL: by status) */
} fake;

static void answer(fake *f, const ut_s3fault_req *req,
	ut_s3fault_resp *resp);

static void fake_answer(const ut_s3fault_req *req, ut_s3fault_resp *resp,
	void *payload)
{
	static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
	fake *f = payload;

	pthread_mutex_lock(&lock);
	answer(f, req, resp);
	pthread_mutex_unlock(&lock);
}

static void answer(fake *f, const ut_s3fault_req *req,
	ut_s3fault_resp *resp)
{
	int bucket_check = strstr(req->target, "list-type=2") != NULL;

	if (!bucket_check && f->fail_first > 0) {
		f->fail_first--;
		resp->status = f->fail_status;
		snprintf(resp->body, sizeof(resp->body),
			"<Error><Code>%s</Code><Message>try again</Message>"
			"</Error>", f->fail_code ? f->fail_code :
			f->fail_status == 503 ? "SlowDown" : "InternalError");
		return;
	}
	resp->status = 200;
	if (bucket_check) {
		snprintf(resp->body, sizeof(resp->body), "<ListBucketResult>"
			"<IsTruncated>false</IsTruncated></ListBucketResult>");
	} else if (!strcmp(req->method, "POST") &&
		   strstr(req->target, "?uploads")) {
		snprintf(resp->body, sizeof(resp->body),
			"<InitiateMultipartUploadResult><UploadId>up+1/x"
			"</UploadId></InitiateMultipartUploadResult>");
	} else if (!strcmp(req->method, "PUT") &&
		   strstr(req->target, "partNumber=")) {
		f->parts++;
		resp->status = f->part_status ? f->part_status : 200;
		if (f->part_status)
			snprintf(resp->body, sizeof(resp->body),
				"<Error><Code>AccessDenied</Code></Error>");
		else
			snprintf(resp->headers, sizeof(resp->headers),
				"ETag: \"abc\"\r\n");
	} else if (!strcmp(req->method, "DELETE") &&
		   strstr(req->target, "uploadId=up%2B1%2Fx")) {
		f->aborts++;
		resp->status = 204;
	} else if (!strcmp(req->method, "PUT")) {
		f->puts++;
		snprintf(resp->headers, sizeof(resp->headers),
			"ETag: \"x\"\r\n");
	} else if (!strcmp(req->method, "GET")) {
		f->gets++;
		snprintf(resp->body, sizeof(resp->body), "hello");
	} else if (!strcmp(req->method, "HEAD")) {
		snprintf(resp->headers, sizeof(resp->headers),
			"Last-Modified: Mon, 01 Jan 2024 00:00:00 GMT\r\n");
		resp->no_body = 1;
		resp->length = strstr(req->target, "/big") ? 11 * MIB : 5;
	}
}

static void test_store_s3__retries(void **state)
{
	fake f = { 0 };
	ut_s3fault srv;
	arca_error err = ARCA_ERROR_INIT;
	arca_buf b = ARCA_BUF_INIT;
	arca_store_info st;
	arca_store *s;

	assert_int_equal(ut_s3fault_start(&srv, fake_answer, &f), 0);
	base_env();
	setenv("AWS_ENDPOINT_URL", srv.endpoint, 1);
	s = open_ok(BUCKET "/r");
	/* 500 twice, then the PUT goes through */
	f.fail_first = 2;
	f.fail_status = 500;
	put(s, "k", "value", 5);
	assert_int_equal(f.puts, 1);
	assert_int_equal(ut_s3fault_count(&srv), 4);
	/* a dropped connection, then 503 SlowDown, then the GET */
	f.fail_first = 1;
	f.fail_status = 0;
	assert_int_equal(arca_store_get(s, &b, "k", 0, UINT64_MAX, &err), 0);
	f.fail_first = 1;
	f.fail_status = 503;
	assert_int_equal(arca_store_get(s, &b, "k", 0, UINT64_MAX, &err), 0);
	assert_string_equal(arca_buf_cstr(&b), "hellohello");
	assert_int_equal(arca_store_stat(s, "k", &st, &err), 0);
	assert_int_equal(st.size, 5);
	assert_true(st.mtime_ns == 1704067200LL * 1000000000LL);
	arca_store_free(s);
	/* errors that persist end as ARCA_EREMOTE after the retries */
	setenv("ARCA_S3_RETRIES", "2", 1);
	s = open_ok(BUCKET "/r");
	f.fail_first = 100;
	f.fail_status = 500;
	f.puts = 0;
	assert_int_equal(arca_store_put(s, "k", "v", 1, 0, &err),
		ARCA_EREMOTE);
	if (f.fail_first != 97)
		fail_msg("%d requests: %s", 100 - f.fail_first, err.msg);
	assert_non_null(strstr(err.msg, "HTTP 500 InternalError"));
	assert_non_null(strstr(err.msg, "s3://" BUCKET "/r/k"));
	f.fail_first = 100;
	f.fail_status = 0;
	assert_int_equal(arca_store_stat(s, "k", NULL, &err), ARCA_EREMOTE);
	assert_non_null(strstr(err.msg, "3 attempts"));
	/* curl itself retries a request once when a reused connection
	 * turns out dead, so the server may see a fourth */
	assert_true(f.fail_first == 97 || f.fail_first == 96);
	f.fail_first = 0;
	arca_store_free(s);
	arca_buf_dispose(&b);
	ut_s3fault_stop(&srv);
}

/* Refused credentials are remote errors whatever the status (AWS sends
 * ExpiredToken with 400); other 400s are not. None is retried. */
static void test_store_s3__refusals(void **state)
{
	static const struct {
		int status, head;
		const char *code, *hint;
		int rc;
	} cases[] = {
		{ 400, 0, "ExpiredToken", "are the credentials right",
		  ARCA_EREMOTE },
		{ 403, 0, "AccessDenied", "bucket's policy", ARCA_EREMOTE },
		{ 400, 0, "AuthorizationHeaderMalformed", "is the region right",
		  ARCA_EREMOTE },
		{ 400, 1, "ExpiredToken", "are the credentials right",
		  ARCA_EREMOTE },
		{ 400, 0, "InvalidArgument", "", ARCA_ERROR },
	};
	fake f = { 0 };
	ut_s3fault srv;
	arca_error err = ARCA_ERROR_INIT;
	arca_buf b = ARCA_BUF_INIT;
	arca_store *s;
	int rc[5], left[5];
	size_t i, n = sizeof(cases) / sizeof(cases[0]);

	assert_int_equal(ut_s3fault_start(&srv, fake_answer, &f), 0);
	base_env();
	setenv("AWS_ENDPOINT_URL", srv.endpoint, 1);
	s = open_ok(BUCKET "/r");
	for (i = 0; i < n; i++) {
		f.fail_first = 100;
		f.fail_status = cases[i].status;
		f.fail_code = cases[i].code;
		/* a HEAD's answer has no body: the code is not seen */
		rc[i] = cases[i].head ? arca_store_stat(s, "k", NULL, &err) :
			arca_store_get(s, &b, "k", 0, UINT64_MAX, &err);
		left[i] = f.fail_first;
		if (!strstr(err.msg, cases[i].head ? "HTTP 400" :
				cases[i].code) ||
		    !strstr(err.msg, cases[i].hint) ||
		    !strstr(err.msg, "s3://" BUCKET "/r/k"))
			break;
	}
	f.fail_first = 0;
	arca_store_free(s);
	ut_s3fault_stop(&srv);
	arca_buf_dispose(&b);
	if (i < n)
		fail_msg("case %zu: %s", i, err.msg);
	for (i = 0; i < n; i++) {
		assert_int_equal(rc[i], cases[i].rc);
		assert_int_equal(left[i], 99); /* not retried */
	}
}

static void test_store_s3__multipart_abort(void **state)
{
	fake f = { 0 };
	ut_s3fault srv;
	arca_error err = ARCA_ERROR_INIT;
	size_t len = 11 * MIB;
	unsigned char *data = calloc(1, len);
	arca_store *s;

	assert_non_null(data);
	assert_int_equal(ut_s3fault_start(&srv, fake_answer, &f), 0);
	base_env();
	setenv("AWS_ENDPOINT_URL", srv.endpoint, 1);
	setenv("ARCA_S3_PARALLEL", "1", 1);
	s = open_ok(BUCKET "/m");
	f.part_status = 403;
	assert_int_equal(arca_store_put(s, "big", data, len, 0, &err),
		ARCA_EREMOTE);
	assert_non_null(strstr(err.msg, "AccessDenied"));
	assert_int_equal(f.aborts, 1);
	/* parts that fail with a 5xx are retried, then aborted too */
	f.part_status = 0;
	f.parts = 0;
	f.fail_first = 1; /* the initiate fails once: retried */
	f.fail_status = 500;
	if (arca_store_put(s, "big", data, len, 0, &err))
		fail_msg("%s", err.msg);
	assert_int_equal(f.parts, 3);
	assert_int_equal(f.aborts, 1);
	unsetenv("ARCA_S3_PARALLEL");
	arca_store_free(s);
	ut_s3fault_stop(&srv);
	free(data);
}

int main(void)
{
	static const char *const buckets[] = { BUCKET, NULL };
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_store_s3__pagination),
		cmocka_unit_test(test_store_s3__multipart),
		cmocka_unit_test(test_store_s3__encoded_keys),
		cmocka_unit_test(test_store_s3__open_url_and_profile),
		cmocka_unit_test(test_store_s3__wrong_credentials),
		cmocka_unit_test(test_store_s3__missing_bucket),
		cmocka_unit_test(test_store_s3__refusals),
		cmocka_unit_test(test_store_s3__http_refused),
		cmocka_unit_test(test_store_s3__retries),
		cmocka_unit_test(test_store_s3__multipart_abort),
	};
	int n = 0, failed;

	if (ut_s3rver_start(&server, buckets) < 0) {
		fprintf(stderr, "test_store_s3: cannot start s3rver: %s\n",
			server.error);
		return 1;
	}
	base_env();
	failed = store_suite_run("test_store_s3", make_s3, cleanup_s3, &n);
	failed += cmocka_run_group_tests_name("test_store_s3 (S3 only)",
		tests, NULL, NULL);
	ut_s3rver_stop(&server);
	return failed ? 1 : 0;
}
