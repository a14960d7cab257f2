/*
 * Opening the catalog, and the small record writers: dataset creation,
 * schema versions, tags and drift acknowledgements. Each writes its
 * record (objects -> record -> claiming ref) and then imports it.
 */
#include <errno.h>
#include <stdlib.h>
#include <unistd.h>
#include <string.h>
#include "arca/sign.h"
#include "catalog/cat.h"
#include "util/json.h"
#include "util/sys.h"
#include "util/utf8.h"

int arca_catalog_open(arca_catalog **out, arca_repo *r, const char *path,
	arca_error *err)
{
	arca_catalog *c = calloc(1, sizeof(*c));
	int rc;

	*out = NULL;
	if (!c)
		return arca_error_set(err, ARCA_ERROR, "out of memory");
	c->r = r;
	if ((rc = arca_cat__db_open(c, path, err)) < 0 ||
		(rc = arca_cat__sync(c, err)) < 0) {
		arca_catalog_free(c);
		return rc;
	}
	*out = c;
	return 0;
}

void arca_catalog_free(arca_catalog *c)
{
	if (!c)
		return;
	sqlite3_close(c->db);
	arca_drift_policy_free(c->policy);
	free(c->path);
	free(c);
}

int arca_catalog_recreate(arca_catalog **out, arca_repo *r,
	const char *path, arca_error *err)
{
	static const char *const sfx[] = { "", "-wal", "-shm", "-journal" };
	arca_catalog probe = { 0 };
	arca_buf p = ARCA_BUF_INIT;
	int rc;

	probe.r = r;
	if ((rc = arca_cat__db_path(&probe, path, err)) < 0)
		return rc;
	for (size_t i = 0; i < sizeof(sfx) / sizeof(sfx[0]); i++) {
		arca_buf_clear(&p);
		if (arca_buf_printf(&p, "%s%s", probe.path, sfx[i]) < 0) {
			rc = arca_error_set(err, ARCA_ERROR, "out of memory");
			break;
		}
		if (unlink(arca_buf_cstr(&p)) < 0 && errno != ENOENT) {
			rc = arca_error_set_errno(err, ARCA_ERROR, errno,
				"cannot remove '%s'", arca_buf_cstr(&p));
			break;
		}
	}
	arca_buf_dispose(&p);
	if (rc == 0)
		rc = arca_catalog_open(out, r, probe.path, err);
	free(probe.path);
	return rc;
}

int arca_catalog_skipped(const arca_catalog *c)
{
	return c->skipped;
}

int arca_catalog_rebuild(arca_catalog *c, arca_error *err)
{
	int rc;

	if ((rc = arca_cat__db_reset(c, err)) < 0)
		return rc;
	return arca_cat__sync(c, err);
}

int arca_catalog_set_policy(arca_catalog *c, const char *path,
	arca_error *err)
{
	arca_drift_policy *p = NULL;
	int rc;

	if (path && (rc = arca_drift_policy_load_file(&p, path, err)) < 0)
		return rc;
	arca_drift_policy_free(c->policy);
	c->policy = p;
	return 0;
}

int arca_cat__policy(arca_catalog *c, const arca_drift_policy **out,
	arca_error *err)
{
	const char *path = getenv("ARCA_DRIFT_POLICY");
	int rc;

	if (!c->policy && path && *path &&
		(rc = arca_catalog_set_policy(c, path, err)) < 0)
		return rc;
	*out = c->policy ? c->policy : arca_drift_policy_default();
	return 0;
}

/* ------------------------------------------------------------- records */

json_t *arca_cat__record_base(const char *type)
{
	char host[256], user[128], now[ARCA_TIME_STRSZ];

	arca_hostname(host, sizeof(host));
	arca_username(user, sizeof(user));
	arca_utf8_sanitize(host);
	arca_utf8_sanitize(user);
	arca_time_format(now, arca_time_now_ns());
	return json_pack("{s:s, s:i, s:s, s:s, s:s, s:s}", "type", type,
		"version", 1, "time", now, "hostname", host, "username", user,
		"arca_version", ARCA_VERSION);
}

int arca_cat__record_put(arca_catalog *c, arca_id *id, const char *kind,
	json_t *doc, arca_error *err)
{
	return arca_repo__record_put(c->r, kind, doc, id, NULL, err);
}

static int check_text(const char *what, const char *s, arca_error *err)
{
	if (s && !arca_utf8_valid(s, strlen(s)))
		return arca_error_set(err, ARCA_EINVALID, "the %s is not valid "
			"UTF-8", what);
	return 0;
}

int arca_cat__dataset_get(arca_catalog *c, arca_cat_dataset *out,
	const char *name, arca_error *err)
{
	sqlite3_stmt *st;
	int rc;

	if ((rc = arca_cat__prepare(c, &st, "SELECT d.id, d.record, s.version,"
		" s.object FROM datasets d JOIN schemas s ON s.dataset_id = d.id "
		"WHERE d.name = ? ORDER BY s.version DESC LIMIT 1", err)) < 0)
		return rc;
	arca_cat__bind_text(st, 1, name);
	if (sqlite3_step(st) != SQLITE_ROW) {
		sqlite3_finalize(st);
		return arca_error_set(err, ARCA_ENOTFOUND, "no dataset '%s' "
			"(create it with 'arca dataset create')", name);
	}
	out->rowid = sqlite3_column_int64(st, 0);
	out->schema_version = sqlite3_column_int64(st, 2);
	if (arca_id_parse(&out->record,
		(const char *)sqlite3_column_text(st, 1)) < 0 ||
		arca_id_parse(&out->schema_object,
		(const char *)sqlite3_column_text(st, 3)) < 0)
		rc = arca_error_set(err, ARCA_ECORRUPT, "catalog '%s': bad id "
			"for dataset '%s' (rebuild it)", c->path, name);
	sqlite3_finalize(st);
	return rc;
}

int arca_cat__schema_load(arca_catalog *c, arca_schema **out,
	const arca_id *id, arca_error *err)
{
	char what[96], s[ARCA_ID_STRSZ];
	json_t *doc;
	int rc;

	arca_id_str(s, id);
	snprintf(what, sizeof(what), "schema %s", s);
	if ((rc = arca_repo__json_get(c->r, &doc, id, what, err)) < 0)
		return rc;
	rc = arca_schema_from_json(out, doc, err);
	json_decref(doc);
	if (rc < 0)
		arca_error_prefix(err, "%s", what);
	return rc;
}

/* Parses the YAML schema file and stores its canonical JSON. */
static int put_schema(arca_catalog *c, arca_id *id, const char *path,
	arca_error *err)
{
	arca_schema *s = NULL;
	json_t *j;
	int rc;

	if ((rc = arca_schema_load_file(&s, path, err)) < 0)
		return rc;
	if (!(j = arca_schema_to_json(s)))
		rc = arca_error_set(err, ARCA_ERROR, "out of memory");
	else
		rc = arca_repo__json_put(c->r, id, j, 0, err);
	json_decref(j);
	arca_schema_free(s);
	return rc;
}

int arca_dataset_create(arca_catalog *c, const char *name,
	const char *schema_path, const arca_dataset_create_opts *opts,
	arca_error *err)
{
	char ref[ARCA_KEY_MAX], user[128];
	arca_id schema, id;
	json_t *doc;
	int rc;

	if ((rc = arca_repo_signing_check(c->r, err)) < 0)
		return rc;
	if (!arca_repo__dataset_name_valid(name))
		return arca_error_set(err, ARCA_EINVALID, "invalid dataset name "
			"'%s': " ARCA_DATASET_NAME_RULE, name);
	if ((rc = check_text("description", opts ? opts->description : NULL,
		err)) < 0 || (rc = check_text("owner", opts ? opts->owner :
		NULL, err)) < 0)
		return rc;
	if (arca_cat__dataset_get(c, &(arca_cat_dataset){ 0 }, name,
		NULL) == 0)
		return arca_error_set(err, ARCA_EEXISTS, "dataset '%s' already "
			"exists", name);
	if ((rc = put_schema(c, &schema, schema_path, err)) < 0)
		return rc;
	if (!(doc = arca_cat__record_base("dataset")))
		return arca_error_set(err, ARCA_ERROR, "out of memory");
	arca_username(user, sizeof(user));
	arca_utf8_sanitize(user);
	json_object_set_new(doc, "name", json_string(name));
	json_object_set_new(doc, "schema", arca_json_id(&schema));
	json_object_set_new(doc, "owner", json_string(opts && opts->owner ?
		opts->owner : user));
	if (opts && opts->description)
		json_object_set_new(doc, "description",
			json_string(opts->description));
	arca_cat__ref_dataset(ref, name);
	if ((rc = arca_cat__record_put(c, &id, ARCA_REC_DATASET, doc,
		err)) == 0 &&
		(rc = arca_repo__ref_create(c->r, ref, &id, err)) == ARCA_EEXISTS)
		rc = arca_error_set(err, ARCA_EEXISTS, "dataset '%s' already "
			"exists", name);
	if (rc == 0)
		rc = arca_cat__import(c, ARCA_REC_DATASET, &id, doc, err);
	json_decref(doc);
	return rc;
}

int arca_dataset_set_schema(arca_catalog *c, const char *name,
	const char *schema_path, const char *message, arca_error *err)
{
	arca_cat_dataset ds;
	char ref[ARCA_KEY_MAX];
	arca_id schema, id;
	json_t *doc;
	int rc;

	if ((rc = arca_repo_signing_check(c->r, err)) < 0 ||
		(rc = check_text("message", message, err)) < 0 ||
		(rc = arca_cat__dataset_get(c, &ds, name, err)) < 0 ||
		(rc = put_schema(c, &schema, schema_path, err)) < 0)
		return rc;
	if (!arca_id_cmp(&schema, &ds.schema_object))
		return arca_error_set(err, ARCA_EINVALID, "'%s' is the same as "
			"schema version %lld of '%s'", schema_path,
			(long long)ds.schema_version, name);
	if (!(doc = arca_cat__record_base("dataset-schema")))
		return arca_error_set(err, ARCA_ERROR, "out of memory");
	json_object_set_new(doc, "dataset", json_string(name));
	json_object_set_new(doc, "dataset_record", arca_json_id(&ds.record));
	json_object_set_new(doc, "schema", arca_json_id(&schema));
	json_object_set_new(doc, "schema_version",
		json_integer(ds.schema_version + 1));
	if (message)
		json_object_set_new(doc, "message", json_string(message));
	arca_cat__ref_schema(ref, name, ds.schema_version + 1);
	if ((rc = arca_cat__record_put(c, &id, ARCA_REC_SCHEMA, doc,
		err)) == 0 &&
		(rc = arca_repo__ref_create(c->r, ref, &id, err)) == ARCA_EEXISTS)
		rc = arca_error_set(err, ARCA_EEXISTS, "another schema version "
			"%lld of '%s' was recorded meanwhile: try again",
			(long long)ds.schema_version + 1, name);
	if (rc == 0)
		rc = arca_cat__import(c, ARCA_REC_SCHEMA, &id, doc, err);
	json_decref(doc);
	return rc;
}

static int valid_tag(const char *t)
{
	size_t n = strlen(t);

	if (!n || n > 64 || !strcmp(t, "latest") ||
		strspn(t, "0123456789") == n || !strncmp(t, "sha256:", 7) ||
		!((t[0] >= 'a' && t[0] <= 'z') || (t[0] >= 'A' && t[0] <= 'Z') ||
		(t[0] >= '0' && t[0] <= '9')) || t[n - 1] == '.' ||
		strstr(t, ".."))
		return 0;
	return strspn(t, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
		"0123456789._-") == n;
}

int arca_dataset_tag(arca_catalog *c, const char *ref, const char *tag,
	const char *message, arca_error *err)
{
	arca_dataset_version v;
	char key[ARCA_KEY_MAX];
	arca_id id, prev;
	json_t *doc;
	int rc, has_prev;

	if ((rc = arca_repo_signing_check(c->r, err)) < 0)
		return rc;
	if (!valid_tag(tag))
		return arca_error_set(err, ARCA_EINVALID, "invalid tag '%s': 1 "
			"to 64 letters, digits, '.', '_' or '-', not 'latest', "
			"not a number", tag);
	if ((rc = check_text("message", message, err)) < 0 ||
		(rc = arca_cat__resolve(c, &v, NULL, ref, err)) < 0)
		return rc;
	arca_cat__ref_tag(key, v.name, tag);
	rc = arca_repo__ref_get(c->r, &prev, key, err);
	if (rc < 0 && rc != ARCA_ENOTFOUND)
		return rc;
	arca_error_clear(err);
	has_prev = rc == 0;
	if (!(doc = arca_cat__record_base("dataset-tag")))
		return arca_error_set(err, ARCA_ERROR, "out of memory");
	json_object_set_new(doc, "dataset", json_string(v.name));
	json_object_set_new(doc, "tag", json_string(tag));
	json_object_set_new(doc, "target", arca_json_id(&v.record));
	json_object_set_new(doc, "number", json_integer(v.version));
	if (has_prev)
		json_object_set_new(doc, "previous", arca_json_id(&prev));
	if (message)
		json_object_set_new(doc, "message", json_string(message));
	if ((rc = arca_cat__record_put(c, &id, ARCA_REC_TAG, doc, err)) == 0 &&
		(rc = arca_repo__ref_set(c->r, key, &id, err)) == 0)
		rc = arca_cat__import(c, ARCA_REC_TAG, &id, doc, err);
	json_decref(doc);
	return rc;
}

int arca_dataset_ack(arca_catalog *c, const char *ref, const char *reason,
	arca_error *err)
{
	arca_dataset_version v;
	arca_id id;
	json_t *doc;
	int rc;

	if ((rc = arca_repo_signing_check(c->r, err)) < 0)
		return rc;
	if (!reason || !*reason)
		return arca_error_set(err, ARCA_EINVALID, "an acknowledgement "
			"needs a reason");
	if ((rc = check_text("reason", reason, err)) < 0 ||
		(rc = arca_cat__resolve(c, &v, NULL, ref, err)) < 0)
		return rc;
	if (!v.needs_ack)
		return arca_error_set(err, ARCA_EINVALID, "%s@%lld has no drift "
			"that needs an acknowledgement (severity %s)", v.name,
			(long long)v.version, v.severity);
	if (!(doc = arca_cat__record_base("dataset-ack")))
		return arca_error_set(err, ARCA_ERROR, "out of memory");
	json_object_set_new(doc, "dataset", json_string(v.name));
	json_object_set_new(doc, "target", arca_json_id(&v.record));
	json_object_set_new(doc, "number", json_integer(v.version));
	json_object_set_new(doc, "reason", json_string(reason));
	if ((rc = arca_cat__record_put(c, &id, ARCA_REC_ACK, doc, err)) == 0)
		rc = arca_cat__import(c, ARCA_REC_ACK, &id, doc, err);
	json_decref(doc);
	return rc;
}
