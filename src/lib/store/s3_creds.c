/* AWS credentials and region from the environment and the shared
 * credentials and config files (s3_creds.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <openssl/crypto.h>
#include "store/s3_creds.h"

/* What one INI section holds, of the keys we read. */
typedef struct profile {
	char *access_key, *secret_key, *token, *region;
	int found; /* the section exists */
} profile;

static void profile_dispose(profile *p)
{
	char **s[] = { &p->access_key, &p->secret_key, &p->token, &p->region };

	for (size_t i = 0; i < sizeof(s) / sizeof(s[0]); i++) {
		if (*s[i]) {
			OPENSSL_cleanse(*s[i], strlen(*s[i]));
			free(*s[i]);
		}
		*s[i] = NULL;
	}
	p->found = 0;
}

static char *trim(char *s)
{
	char *e;

	while (*s == ' ' || *s == '\t')
		s++;
	e = s + strlen(s);
	while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\n' ||
			 e[-1] == '\r'))
		*--e = '\0';
	return s;
}

/* Whether a section header's name (inside the brackets) is the one. */
static int section_is(const char *name, const char *profile_name,
	int config)
{
	if (!config)
		return !strcmp(name, profile_name);
	if (!strncmp(name, "profile", 7) && (name[7] == ' ' ||
			name[7] == '\t')) {
		name += 8;
		while (*name == ' ' || *name == '\t')
			name++;
		return !strcmp(name, profile_name);
	}
	return !strcmp(profile_name, "default") && !strcmp(name, "default");
}

static int set_field(profile *p, const char *key, const char *value)
{
	char **slot = !strcmp(key, "aws_access_key_id") ? &p->access_key :
		!strcmp(key, "aws_secret_access_key") ? &p->secret_key :
		!strcmp(key, "aws_session_token") ? &p->token :
		!strcmp(key, "region") ? &p->region : NULL;

	if (!slot || !*value)
		return 0;
	if (*slot) {
		OPENSSL_cleanse(*slot, strlen(*slot));
		free(*slot);
	}
	return (*slot = strdup(value)) ? 0 : ARCA_ERROR;
}

/*
 * Reads section profile_name of an INI file into p. A missing file is
 * no error. Messages name the file and line, never a value.
 */
static int read_ini(profile *p, const char *path, const char *profile_name,
	int config, arca_error *err)
{
	FILE *f = fopen(path, "r");
	char line[4096], *s, *eq;
	int in = 0, lineno = 0, rc = 0;

	if (!f)
		return errno == ENOENT || errno == ENOTDIR ? 0 :
			arca_error_set_errno(err, ARCA_EINVALID, errno,
				"cannot read AWS file '%s'", path);
	while (fgets(line, sizeof(line), f)) {
		lineno++;
		s = trim(line);
		if (!*s || *s == '#' || *s == ';')
			continue;
		if (*s == '[') {
			char *close = strchr(s, ']');

			if (!close) {
				rc = arca_error_set(err, ARCA_EINVALID,
					"AWS file '%s', line %d: bad section",
					path, lineno);
				break;
			}
			*close = '\0';
			in = section_is(trim(s + 1), profile_name, config);
			p->found |= in;
			continue;
		}
		if (!in)
			continue;
		if (!(eq = strchr(s, '='))) {
			rc = arca_error_set(err, ARCA_EINVALID,
				"AWS file '%s', line %d: expected key = value",
				path, lineno);
			break;
		}
		*eq = '\0';
		if (set_field(p, trim(s), trim(eq + 1)) < 0) {
			rc = arca_error_set(err, ARCA_ERROR, "out of memory");
			break;
		}
	}
	OPENSSL_cleanse(line, sizeof(line));
	fclose(f);
	return rc;
}

static const char *env(const char *name)
{
	const char *v = getenv(name);

	return v && *v ? v : NULL;
}

/* $VAR, else ~/.aws/NAME, into buf. */
static const char *aws_file(char *buf, size_t size, const char *var,
	const char *name)
{
	const char *home = env("HOME");

	if (env(var))
		return env(var);
	snprintf(buf, size, "%s/.aws/%s", home ? home : "", name);
	return buf;
}

static int take(char **dst, const char *src)
{
	if (!src) {
		*dst = NULL;
		return 0;
	}
	return (*dst = strdup(src)) ? 0 : ARCA_ERROR;
}

int arca_s3__creds_load(arca_s3_creds *out, char **region, arca_error *err)
{
	const char *name = env("AWS_PROFILE");
	char cpath[4096], fpath[4096];
	const char *cred_file, *conf_file;
	profile cred = { 0 }, conf = { 0 };
	arca_s3_creds c = { NULL, NULL, NULL };
	const char *ak, *sk, *tok, *reg;
	int rc;

	if (!name)
		name = env("AWS_DEFAULT_PROFILE");
	cred_file = aws_file(cpath, sizeof(cpath),
		"AWS_SHARED_CREDENTIALS_FILE", "credentials");
	conf_file = aws_file(fpath, sizeof(fpath), "AWS_CONFIG_FILE",
		"config");
	if ((rc = read_ini(&cred, cred_file, name ? name : "default", 0,
			err)) < 0 ||
	    (rc = read_ini(&conf, conf_file, name ? name : "default", 1,
			err)) < 0)
		goto done;
	if (env("AWS_ACCESS_KEY_ID") && env("AWS_SECRET_ACCESS_KEY")) {
		ak = env("AWS_ACCESS_KEY_ID");
		sk = env("AWS_SECRET_ACCESS_KEY");
		tok = env("AWS_SESSION_TOKEN");
	} else if (cred.access_key && cred.secret_key) {
		ak = cred.access_key;
		sk = cred.secret_key;
		tok = cred.token;
	} else if (conf.access_key && conf.secret_key) {
		ak = conf.access_key;
		sk = conf.secret_key;
		tok = conf.token;
	} else {
		if (name && !cred.found && !conf.found)
			rc = arca_error_set(err, ARCA_EINVALID,
				"AWS profile '%s' not found in '%s' or '%s'",
				name, cred_file, conf_file);
		else
			rc = arca_error_set(err, ARCA_EINVALID,
				"no AWS credentials: set AWS_ACCESS_KEY_ID and "
				"AWS_SECRET_ACCESS_KEY, or profile '%s' in "
				"'%s'", name ? name : "default", cred_file);
		goto done;
	}
	reg = env("AWS_REGION");
	if (!reg)
		reg = env("AWS_DEFAULT_REGION");
	if (!reg)
		reg = conf.region ? conf.region : "us-east-1";
	if (take(&c.access_key, ak) < 0 || take(&c.secret_key, sk) < 0 ||
	    take(&c.token, tok) < 0 || !(*region = strdup(reg))) {
		arca_s3__creds_dispose(&c);
		rc = arca_error_set(err, ARCA_ERROR, "out of memory");
		goto done;
	}
	*out = c;
done:
	profile_dispose(&cred);
	profile_dispose(&conf);
	return rc;
}

void arca_s3__creds_dispose(arca_s3_creds *c)
{
	char **s[] = { &c->access_key, &c->secret_key, &c->token };

	for (size_t i = 0; i < sizeof(s) / sizeof(s[0]); i++) {
		if (*s[i]) {
			OPENSSL_cleanse(*s[i], strlen(*s[i]));
			free(*s[i]);
		}
		*s[i] = NULL;
	}
}
