/*
 * The SigV4 signer against AWS's published test vectors
 * (tests/unit/data/sigv4/, see its README for their origin), then the
 * S3-specific rules: x-amz-content-sha256, UNSIGNED-PAYLOAD, a path
 * signed as sent (no normalization, no second encoding), empty query
 * values, sorted query parameters, keys with spaces, UTF-8 and '+'.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "arca/error.h"
#include "store/sigv4.h"
#include "testutil.h"

#define MAX_HEADERS 16

/* The directory of the vectors, beside this source file. */
static const char *data_dir(void)
{
	static char dir[4096];
	const char *slash;

	if (!dir[0]) {
		slash = strrchr(__FILE__, '/');
		snprintf(dir, sizeof(dir), "%.*s/data/sigv4",
			slash ? (int)(slash - __FILE__) : 1,
			slash ? __FILE__ : ".");
	}
	return dir;
}

/* The whole file data/sigv4/NAME.EXT, NUL-terminated (malloc'd). */
static char *slurp(const char *name, const char *ext)
{
	char path[4352];
	FILE *f;
	char *buf;
	long n;

	snprintf(path, sizeof(path), "%s/%s%s", data_dir(), name, ext);
	if (!(f = fopen(path, "rb")))
		fail_msg("cannot open '%s'", path);
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	fseek(f, 0, SEEK_SET);
	buf = malloc((size_t)n + 1);
	assert_non_null(buf);
	assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
	buf[n] = '\0';
	fclose(f);
	return buf;
}

/* The value of key in a .ctx file ("" when absent), in out. */
static void ctx_get(const char *ctx, const char *key, char *out,
	size_t size)
{
	size_t klen = strlen(key);
	const char *p = ctx, *nl;

	out[0] = '\0';
	for (; p && *p; p = nl ? nl + 1 : NULL) {
		nl = strchr(p, '\n');
		if (!strncmp(p, key, klen) && p[klen] == '=') {
			size_t n = nl ? (size_t)(nl - p - klen - 1) :
				strlen(p + klen + 1);
			snprintf(out, size, "%.*s", (int)n, p + klen + 1);
			return;
		}
	}
}

typedef struct parsed {
	char *method, *path, *query, *body;
	char *names[MAX_HEADERS], *values[MAX_HEADERS];
	arca_sigv4_header h[MAX_HEADERS];
	size_t nh;
} parsed;

static void add_header(parsed *p, const char *name, size_t nlen,
	const char *value, size_t vlen)
{
	assert_true(p->nh < MAX_HEADERS);
	p->names[p->nh] = strndup(name, nlen);
	p->values[p->nh] = strndup(value, vlen);
	p->nh++;
}

/* "METHOD TARGET HTTP/1.1\nName:value\n  continued\n\nbody" */
static void parse_req(parsed *p, const char *req)
{
	const char *sp = strchr(req, ' '), *eol = strchr(req, '\n');
	const char *ver, *q, *line, *colon;

	memset(p, 0, sizeof(*p));
	assert_non_null(sp);
	assert_non_null(eol);
	ver = eol;
	while (ver > sp && *ver != ' ')
		ver--;
	p->method = strndup(req, (size_t)(sp - req));
	q = memchr(sp + 1, '?', (size_t)(ver - sp - 1));
	p->path = strndup(sp + 1, (size_t)((q ? q : ver) - sp - 1));
	p->query = q ? strndup(q + 1, (size_t)(ver - q - 1)) : strdup("");
	for (line = eol + 1; *line && *line != '\n'; line = eol + 1) {
		eol = strchr(line, '\n');
		if (!eol)
			eol = line + strlen(line);
		if (*line == ' ' || *line == '\t') {
			/* continuation: joined to the previous value */
			char *prev = p->values[p->nh - 1], *joined;
			size_t n = strlen(prev) + (size_t)(eol - line) + 2;

			joined = malloc(n);
			snprintf(joined, n, "%s %.*s", prev, (int)(eol - line),
				line);
			free(prev);
			p->values[p->nh - 1] = joined;
		} else {
			colon = memchr(line, ':', (size_t)(eol - line));
			assert_non_null(colon);
			add_header(p, line, (size_t)(colon - line), colon + 1,
				(size_t)(eol - colon - 1));
		}
		if (!*eol)
			break;
	}
	p->body = strdup(*line == '\n' ? line + 1 : "");
}

static const char *find_header(const parsed *p, const char *name)
{
	for (size_t i = 0; i < p->nh; i++)
		if (!strcasecmp(p->names[i], name))
			return p->values[i];
	return NULL;
}

static void parsed_free(parsed *p)
{
	for (size_t i = 0; i < p->nh; i++) {
		free(p->names[i]);
		free(p->values[i]);
	}
	free(p->method);
	free(p->path);
	free(p->query);
	free(p->body);
}

static void check_case(const char *name)
{
	char *req = slurp(name, ".req"), *ctx = slurp(name, ".ctx");
	char *creq = slurp(name, ".creq"), *sts = slurp(name, ".sts");
	char *authz = slurp(name, ".authz");
	char ak[64], sk[128], region[32], service[32], date[32], v[8];
	char token[1024], omit[8], body_hash[65];
	arca_buf got = ARCA_BUF_INIT;
	arca_sigv4_request r = { 0 };
	arca_sigv4_key k;
	const char *payload;
	parsed p;

	ctx_get(ctx, "access_key", ak, sizeof(ak));
	ctx_get(ctx, "secret_key", sk, sizeof(sk));
	ctx_get(ctx, "region", region, sizeof(region));
	ctx_get(ctx, "service", service, sizeof(service));
	ctx_get(ctx, "date", date, sizeof(date));
	ctx_get(ctx, "token", token, sizeof(token));
	ctx_get(ctx, "omit_session_token", omit, sizeof(omit));
	parse_req(&p, req);
	if (!find_header(&p, "x-amz-date"))
		add_header(&p, "X-Amz-Date", 10, date, strlen(date));
	arca_sigv4_sha256_hex(body_hash, p.body, strlen(p.body));
	ctx_get(ctx, "sign_body", v, sizeof(v));
	if (!strcmp(v, "1") && !find_header(&p, "x-amz-content-sha256"))
		add_header(&p, "X-Amz-Content-Sha256", 20, body_hash, 64);
	if (token[0] && strcmp(omit, "1"))
		add_header(&p, "X-Amz-Security-Token", 20, token,
			strlen(token));
	for (size_t i = 0; i < p.nh; i++)
		p.h[i] = (arca_sigv4_header){ p.names[i], p.values[i] };
	payload = find_header(&p, "x-amz-content-sha256");
	r = (arca_sigv4_request){ p.method, p.path, p.query, p.h, p.nh,
		payload ? payload : body_hash, 0 };
	ctx_get(ctx, "normalize", v, sizeof(v));
	if (!strcmp(v, "1"))
		r.flags |= ARCA_SIGV4_NORMALIZE_PATH;
	ctx_get(ctx, "encode_path", v, sizeof(v));
	if (!strcmp(v, "1"))
		r.flags |= ARCA_SIGV4_ENCODE_PATH;
	k = (arca_sigv4_key){ ak, sk, region, service, date };

	assert_int_equal(arca_sigv4_canonical_request(&got, NULL, &r), 0);
	if (strcmp(arca_buf_cstr(&got), creq))
		fail_msg("%s: canonical request\n%s\n--- expected\n%s", name,
			arca_buf_cstr(&got), creq);
	arca_buf_clear(&got);
	assert_int_equal(arca_sigv4_string_to_sign(&got, &k, creq,
		strlen(creq)), 0);
	if (strcmp(arca_buf_cstr(&got), sts))
		fail_msg("%s: string to sign\n%s", name, arca_buf_cstr(&got));
	arca_buf_clear(&got);
	assert_int_equal(arca_sigv4_authorization(&got, &r, &k), 0);
	if (strcmp(arca_buf_cstr(&got), authz))
		fail_msg("%s: authorization\n%s\n--- expected\n%s", name,
			arca_buf_cstr(&got), authz);
	assert_null(strstr(arca_buf_cstr(&got), sk));
	arca_buf_dispose(&got);
	parsed_free(&p);
	free(req);
	free(ctx);
	free(creq);
	free(sts);
	free(authz);
}

static void test_sigv4__aws_suite(void **state)
{
	char *cases = slurp("CASES", ""), *line, *save = NULL;
	int n = 0;

	for (line = strtok_r(cases, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save), n++)
		check_case(line);
	/* the 37 suite cases and the 4 S3 examples */
	assert_int_equal(n, 41);
	free(cases);
}

static const char *canon(arca_buf *b, const char *method, const char *path,
	const char *query, const char *payload, unsigned flags)
{
	arca_sigv4_header h[] = {
		{ "Host", "bucket.s3.eu-west-1.amazonaws.com" },
		{ "x-amz-content-sha256", payload },
		{ "x-amz-date", "20240101T000000Z" },
	};
	arca_sigv4_request r = { method, path, query, h, 3, payload, flags };

	arca_buf_clear(b);
	assert_int_equal(arca_sigv4_canonical_request(b, NULL, &r), 0);
	return arca_buf_cstr(b);
}

/* The second line of a canonical request (the URI) or third (query). */
static char *line_of(const char *creq, int n, char *out, size_t size)
{
	const char *p = creq, *nl;

	while (n-- > 0)
		p = strchr(p, '\n') + 1;
	nl = strchr(p, '\n');
	snprintf(out, size, "%.*s", (int)(nl - p), p);
	return out;
}

static void test_sigv4__s3_path_as_sent(void **state)
{
	arca_buf b = ARCA_BUF_INIT, enc = ARCA_BUF_INIT;
	const char *key = "d1/a b+c/\xc3\xbc\xe1\x88\xb4/x=y&z.~_-";
	char l[256];

	/* An S3 key is encoded once, '/' kept, '+' and ' ' escaped. */
	assert_int_equal(arca_sigv4_encode(&enc, key, strlen(key), 1), 0);
	assert_string_equal(arca_buf_cstr(&enc),
		"d1/a%20b%2Bc/%C3%BC%E1%88%B4/x%3Dy%26z.~_-");
	arca_buf_clear(&enc);
	assert_int_equal(arca_sigv4_encode(&enc, "a/b c", 5, 0), 0);
	assert_string_equal(arca_buf_cstr(&enc), "a%2Fb%20c");
	/* S3 signs the path as sent: no second encoding ... */
	canon(&b, "GET", "/a%20b/%2Bc", NULL, ARCA_SIGV4_EMPTY_SHA256, 0);
	assert_string_equal(line_of(arca_buf_cstr(&b), 1, l, sizeof(l)),
		"/a%20b/%2Bc");
	/* ... where other services encode it again ... */
	canon(&b, "GET", "/a%20b", NULL, ARCA_SIGV4_EMPTY_SHA256,
		ARCA_SIGV4_ENCODE_PATH);
	assert_string_equal(line_of(arca_buf_cstr(&b), 1, l, sizeof(l)),
		"/a%2520b");
	/* ... and no normalization of dots or doubled slashes. */
	canon(&b, "GET", "/b//k/./x/../y", NULL, ARCA_SIGV4_EMPTY_SHA256, 0);
	assert_string_equal(line_of(arca_buf_cstr(&b), 1, l, sizeof(l)),
		"/b//k/./x/../y");
	arca_buf_dispose(&b);
	arca_buf_dispose(&enc);
}

static void test_sigv4__s3_query(void **state)
{
	arca_buf b = ARCA_BUF_INIT;
	char l[256];

	/* sorted by name; empty values get '='; values re-encoded */
	canon(&b, "GET", "/b", "prefix=objects%2Fab%2F&list-type=2&"
		"continuation-token=a%2Bb%3D%3D&max-keys=7", ARCA_SIGV4_EMPTY_SHA256,
		0);
	assert_string_equal(line_of(arca_buf_cstr(&b), 2, l, sizeof(l)),
		"continuation-token=a%2Bb%3D%3D&list-type=2&max-keys=7&"
		"prefix=objects%2Fab%2F");
	canon(&b, "POST", "/b/k", "uploads", ARCA_SIGV4_EMPTY_SHA256, 0);
	assert_string_equal(line_of(arca_buf_cstr(&b), 2, l, sizeof(l)),
		"uploads=");
	canon(&b, "PUT", "/b/k", "uploadId=x~y&partNumber=10",
		ARCA_SIGV4_EMPTY_SHA256, 0);
	assert_string_equal(line_of(arca_buf_cstr(&b), 2, l, sizeof(l)),
		"partNumber=10&uploadId=x~y");
	/* a literal '/' or space in a value is encoded for signing */
	canon(&b, "GET", "/b", "delete&prefix=a/b c", ARCA_SIGV4_EMPTY_SHA256,
		0);
	assert_string_equal(line_of(arca_buf_cstr(&b), 2, l, sizeof(l)),
		"delete=&prefix=a%2Fb%20c");
	arca_buf_dispose(&b);
}

static void test_sigv4__s3_payload(void **state)
{
	static const char body[] = "Welcome to Amazon S3.";
	arca_buf b = ARCA_BUF_INIT, a1 = ARCA_BUF_INIT, a2 = ARCA_BUF_INIT;
	arca_sigv4_key k = { "AKIAIOSFODNN7EXAMPLE",
		"wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", "us-east-1", "s3",
		"20130524T000000Z" };
	arca_sigv4_header h[] = {
		{ "host", "examplebucket.s3.amazonaws.com" },
		{ "x-amz-content-sha256", ARCA_SIGV4_UNSIGNED_PAYLOAD },
		{ "x-amz-date", "20130524T000000Z" },
		{ "x-amz-security-token", "SESSION+TOKEN/VALUE" },
	};
	arca_sigv4_request r = { "PUT", "/k", NULL, h, 4,
		ARCA_SIGV4_UNSIGNED_PAYLOAD, 0 };
	char hex[65];
	const char *c;

	arca_sigv4_sha256_hex(hex, body, strlen(body));
	assert_string_equal(hex,
		"44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072");
	arca_sigv4_sha256_hex(hex, "", 0);
	assert_string_equal(hex, ARCA_SIGV4_EMPTY_SHA256);
	/* UNSIGNED-PAYLOAD is both the header and the hash line */
	c = canon(&b, "PUT", "/k", NULL, ARCA_SIGV4_UNSIGNED_PAYLOAD, 0);
	assert_non_null(strstr(c, "\nx-amz-content-sha256:UNSIGNED-PAYLOAD\n"));
	assert_string_equal(strrchr(c, '\n') + 1, "UNSIGNED-PAYLOAD");
	assert_non_null(strstr(c, "\nhost;x-amz-content-sha256;x-amz-date\n"));
	/* the token is signed; neither it nor the secret is in the header */
	assert_int_equal(arca_sigv4_authorization(&a1, &r, &k), 0);
	assert_non_null(strstr(arca_buf_cstr(&a1), "SignedHeaders=host;"
		"x-amz-content-sha256;x-amz-date;x-amz-security-token, "));
	assert_null(strstr(arca_buf_cstr(&a1), k.secret_key));
	assert_null(strstr(arca_buf_cstr(&a1), "SESSION"));
	/* a different payload hash is a different signature */
	h[1].value = r.payload_hash = ARCA_SIGV4_EMPTY_SHA256;
	assert_int_equal(arca_sigv4_authorization(&a2, &r, &k), 0);
	assert_string_not_equal(arca_buf_cstr(&a1), arca_buf_cstr(&a2));
	/* malformed requests are refused */
	r.path = "k";
	assert_int_equal(arca_sigv4_authorization(&a2, &r, &k), ARCA_EINVALID);
	arca_buf_dispose(&b);
	arca_buf_dispose(&a1);
	arca_buf_dispose(&a2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sigv4__aws_suite),
		cmocka_unit_test(test_sigv4__s3_path_as_sent),
		cmocka_unit_test(test_sigv4__s3_query),
		cmocka_unit_test(test_sigv4__s3_payload),
	};

	return cmocka_run_group_tests_name("test_sigv4", tests, NULL, NULL);
}
