/*
 * Signing for the commands: the user's config file (arca config), the
 * signing key set on the repository for every command, the trust policy
 * in force, and signature reports (verify-sig, sign).
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "arca/fs.h"
#include "sign_out.h"

const cli_config_key cli_config_keys[] = {
	{ "signing.key", "the fingerprint of the secret key that signs "
	  "(ARCA_SIGNING_KEY wins)" },
	{ "trust.policy", "the trust policy file verify-sig and promotions "
	  "use (ARCA_TRUST_POLICY and --trust win)" },
	{ NULL, NULL }
};

const cli_config_key *cli_config_find(const char *key)
{
	for (const cli_config_key *k = cli_config_keys; k->name; k++)
		if (!strcmp(k->name, key))
			return k;
	return NULL;
}

/* ${XDG_CONFIG_HOME:-$HOME/.config}/arca into out. */
static int config_dir(char *out, size_t size)
{
	const char *x = getenv("XDG_CONFIG_HOME"), *h = getenv("HOME");
	int n;

	if (x && *x)
		n = snprintf(out, size, "%s/arca", x);
	else if (h && *h)
		n = snprintf(out, size, "%s/.config/arca", h);
	else
		return -1;
	return n < 0 || (size_t)n >= size ? -1 : 0;
}

int cli_config_path(char *out, size_t size)
{
	char dir[PATH_MAX];
	int n;

	if (config_dir(dir, sizeof(dir)) < 0)
		return -1;
	n = snprintf(out, size, "%s/config.json", dir);
	return n < 0 || (size_t)n >= size ? -1 : 0;
}

int cli_config_load(json_t **out, arca_error *err)
{
	char path[PATH_MAX];
	json_error_t je;
	const char *k;
	json_t *cfg, *v;
	FILE *f;

	*out = NULL;
	if (cli_config_path(path, sizeof(path)) < 0)
		return arca_error_set(err, ARCA_EINVALID, "neither "
			"XDG_CONFIG_HOME nor HOME is set: no place for the "
			"config");
	if (!(f = fopen(path, "re"))) {
		if (errno != ENOENT)
			return arca_error_set_errno(err, ARCA_ERROR, errno,
				"cannot read '%s'", path);
		*out = json_object();
		return *out ? 0 : arca_error_set(err, ARCA_ERROR,
			"out of memory");
	}
	cfg = json_loadf(f, JSON_REJECT_DUPLICATES, &je);
	fclose(f);
	if (!cfg)
		return arca_error_set(err, ARCA_EINVALID, "%s:%d:%d: %s", path,
			je.line, je.column, je.text);
	if (!json_is_object(cfg)) {
		json_decref(cfg);
		return arca_error_set(err, ARCA_EINVALID, "%s: not a JSON "
			"object", path);
	}
	json_object_foreach(cfg, k, v)
		if (!json_is_string(v)) {
			json_decref(cfg);
			return arca_error_set(err, ARCA_EINVALID, "%s: the value "
				"of '%s' is not a string", path, k);
		}
	*out = cfg;
	return 0;
}

const char *cli_config_get(json_t *cfg, const char *key)
{
	return json_string_value(json_object_get(cfg, key));
}

int cli_config_save(json_t *cfg, arca_error *err)
{
	char dir[PATH_MAX], path[PATH_MAX];
	char *text = json_dumps(cfg, JSON_INDENT(2) | JSON_SORT_KEYS);
	size_t len;
	int rc;

	if (!text)
		return arca_error_set(err, ARCA_ERROR, "out of memory");
	if (config_dir(dir, sizeof(dir)) < 0 ||
		cli_config_path(path, sizeof(path)) < 0) {
		free(text);
		return arca_error_set(err, ARCA_EINVALID, "neither "
			"XDG_CONFIG_HOME nor HOME is set: no place for the "
			"config");
	}
	len = strlen(text);
	text[len++] = '\n'; /* a text file; json_dumps left room for the NUL */
	/* the directory and the file are private to the user */
	if (arca_fs_mkdirs_mode(dir, 0700) < 0)
		rc = arca_error_set_errno(err, ARCA_ERROR, errno, "cannot "
			"create '%s'", dir);
	else
		rc = arca_fs_write_atomic(path, text, len, 0600, err);
	free(text);
	return rc;
}

int cli_signing_setup(arca_cli *cli)
{
	arca_error err = ARCA_ERROR_INIT;
	const char *env = getenv("ARCA_SIGNING_KEY"), *fpr = NULL;
	char where[PATH_MAX + 40];
	json_t *cfg = NULL;
	int rc;

	if (env) {
		if (!*env)
			return -1; /* set and empty: no key, whatever the file says */
		fpr = env;
		snprintf(where, sizeof(where), "ARCA_SIGNING_KEY");
	} else {
		if ((rc = cli_config_load(&cfg, &err)) < 0)
			return cli_fail(cli, rc, &err);
		fpr = cli_config_get(cfg, "signing.key");
		cli_config_path(where, sizeof(where));
		strncat(where, " (signing.key)", sizeof(where) - strlen(where) -
			1);
	}
	rc = fpr ? arca_repo_set_signing_key(cli->repo, fpr, &err) : 0;
	if (rc < 0) {
		char msg[ARCA_ERROR_MSG_SIZE];
		snprintf(msg, sizeof(msg), "%s", err.msg);
		arca_error_set(&err, rc, "%.800s; it is set by %.200s", msg,
			where);
	}
	json_decref(cfg);
	return rc < 0 ? cli_fail(cli, rc, &err) : -1;
}

int cli_trust_policy(arca_cli *cli, const char *opt, int required,
	arca_trust_policy **out)
{
	arca_error err = ARCA_ERROR_INIT;
	const char *path = opt, *env = getenv("ARCA_TRUST_POLICY");
	char dflt[PATH_MAX];
	json_t *cfg = NULL;
	int rc;

	*out = NULL;
	if (!path && env && *env)
		path = env;
	if (!path) {
		if ((rc = cli_config_load(&cfg, &err)) < 0)
			return cli_fail(cli, rc, &err);
		path = cli_config_get(cfg, "trust.policy");
	}
	if (!path && config_dir(dflt, sizeof(dflt) - 16) == 0) {
		strcat(dflt, "/trust.yaml");
		if (access(dflt, F_OK) == 0)
			path = dflt;
	}
	if (!path) {
		json_decref(cfg);
		if (!required)
			return -1;
		arca_error_set(&err, ARCA_EINVALID, "no trust policy: give "
			"--trust FILE, set ARCA_TRUST_POLICY or 'arca config set "
			"trust.policy FILE', or put one at "
			"~/.config/arca/trust.yaml (see policies/trust.yaml)");
		return cli_fail(cli, ARCA_EINVALID, &err);
	}
	rc = arca_trust_policy_load_file(out, path, &err);
	json_decref(cfg);
	return rc < 0 ? cli_fail(cli, rc, &err) : -1;
}

static void fmt_time(char out[32], int64_t t)
{
	struct tm tm;
	time_t tt = (time_t)t;

	if (!t || !gmtime_r(&tt, &tm) ||
		!strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm))
		snprintf(out, 32, "unknown");
}

json_t *cli_sig_report_json(const arca_sign_target *t,
	const arca_sig_report *rep)
{
	char id[ARCA_ID_STRSZ], when[32];
	json_t *j, *sigs = json_array();

	for (size_t i = 0; i < rep->nsigs; i++) {
		const arca_sig_entry *e = &rep->sigs[i];
		json_t *s;
		arca_id_str(id, &e->record);
		fmt_time(when, e->created);
		s = json_pack("{s:s, s:s, s:s, s:s, s:s}", "record", id,
			"fingerprint", e->fpr, "status", e->status, "created",
			when, "primary_fingerprint", e->primary_fpr);
		json_object_set_new(s, "role", e->roles[0] ?
			json_string(e->roles) : json_null());
		json_object_set_new(s, "reason", e->reason[0] ?
			json_string(e->reason) : json_null());
		json_object_set_new(s, "counts", json_boolean(!e->reason[0]));
		if (!arca_id_is_zero(&e->object)) {
			arca_id_str(id, &e->object);
			json_object_set_new(s, "signature", json_string(id));
		}
		if (e->message[0])
			json_object_set_new(s, "message", json_string(e->message));
		json_array_append_new(sigs, s);
	}
	arca_id_str(id, &t->id);
	j = json_pack("{s:s, s:s, s:s, s:s, s:b, s:i, s:i, s:o}", "target",
		t->label, "id", id, "kind", t->kind, "judged_as", rep->kind,
		"ok", rep->ok, "required", rep->required, "counted",
		rep->counted, "signatures", sigs);
	if (rep->reason[0])
		json_object_set_new(j, "reason", json_string(rep->reason));
	if (rep->message[0])
		json_object_set_new(j, "message", json_string(rep->message));
	return j;
}

void cli_sig_report_print(const arca_sign_target *t,
	const arca_sig_report *rep)
{
	char when[32];

	printf("%s: %s (%d valid signature%s, %d required)\n", t->label,
		rep->ok ? "OK" : "FAILED", rep->counted, rep->counted == 1 ?
		"" : "s", rep->required);
	for (size_t i = 0; i < rep->nsigs; i++) {
		const arca_sig_entry *e = &rep->sigs[i];
		fmt_time(when, e->created);
		printf("  %-8s %s  %s  %s\n", e->reason[0] ? "refused" :
			"counts", e->primary_fpr[0] ? e->primary_fpr : e->fpr,
			when, e->roles[0] ? e->roles : "(no role)");
		if (e->reason[0])
			printf("           %s: %s\n", e->reason, e->message);
	}
	if (!rep->ok && !strcmp(rep->reason, "signature-missing"))
		printf("  signature-missing: it is not signed\n");
	else if (!rep->ok && rep->reason[0])
		printf("  %s: %d valid, %d required\n", rep->reason,
			rep->counted, rep->required);
}
