/*
 * Dataset references: NAME, NAME@latest, NAME@3, NAME@TAG and
 * NAME@sha256:<hex or prefix> (the version record or its snapshot).
 */
#include <stdlib.h>
#include <string.h>
#include "catalog/cat.h"

#define VERSION_COLS "d.name, v.version, v.record, v.snapshot, s.version, " \
	"v.rows, v.invalid_rows, v.severity, v.needs_ack, " \
	"(SELECT COUNT(*) FROM acks a WHERE a.version_id = v.id), " \
	"v.created, v.id FROM versions v JOIN datasets d ON d.id = " \
	"v.dataset_id JOIN schemas s ON s.id = v.schema_id "

static int fill(arca_dataset_version *out, int64_t *rowid, sqlite3_stmt *st)
{
	const char *t;

	memset(out, 0, sizeof(*out));
	snprintf(out->name, sizeof(out->name), "%s",
		(const char *)sqlite3_column_text(st, 0));
	out->version = sqlite3_column_int64(st, 1);
	if (arca_id_parse(&out->record,
		(const char *)sqlite3_column_text(st, 2)) < 0 ||
		arca_id_parse(&out->snapshot,
		(const char *)sqlite3_column_text(st, 3)) < 0)
		return -1;
	out->schema_version = sqlite3_column_int64(st, 4);
	out->rows = sqlite3_column_int64(st, 5);
	out->invalid_rows = sqlite3_column_int64(st, 6);
	t = (const char *)sqlite3_column_text(st, 7);
	snprintf(out->severity, sizeof(out->severity), "%s", t ? t : "none");
	out->needs_ack = sqlite3_column_int(st, 8);
	out->acked = sqlite3_column_int64(st, 9) > 0;
	t = (const char *)sqlite3_column_text(st, 10);
	snprintf(out->time, sizeof(out->time), "%s", t ? t : "");
	if (rowid)
		*rowid = sqlite3_column_int64(st, 11);
	return 0;
}

/* Runs a query binding name (1) and arg (2, text or int); 1 found. */
static int one(arca_catalog *c, arca_dataset_version *out, int64_t *rowid,
	const char *sql, const char *name, const char *arg, int64_t n,
	arca_error *err)
{
	sqlite3_stmt *st;
	int rc, found = 0;

	if ((rc = arca_cat__prepare(c, &st, sql, err)) < 0)
		return rc;
	arca_cat__bind_text(st, 1, name);
	if (arg)
		arca_cat__bind_text(st, 2, arg);
	else if (sqlite3_bind_parameter_count(st) > 1)
		sqlite3_bind_int64(st, 2, n);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (found++) {
			rc = arca_error_set(err, ARCA_EAMBIGUOUS, "'%s' matches "
				"more than one version of '%s'", arg, name);
			goto done;
		}
		if (fill(out, rowid, st) < 0) {
			rc = arca_error_set(err, ARCA_ECORRUPT, "catalog '%s': "
				"bad id in a version of '%s' (rebuild it)",
				c->path, name);
			goto done;
		}
	}
	rc = rc == SQLITE_DONE ? found : arca_cat__db_fail(c, err, "query");
done:
	sqlite3_finalize(st);
	return rc;
}

int arca_cat__resolve(arca_catalog *c, arca_dataset_version *out,
	int64_t *rowid, const char *ref, arca_error *err)
{
	char name[128];
	const char *at = strchr(ref, '@'), *what;
	arca_cat_dataset ds;
	size_t n = at ? (size_t)(at - ref) : strlen(ref);
	int rc;

	if (n >= sizeof(name))
		return arca_error_set(err, ARCA_EINVALID, "'%s' is not a dataset "
			"reference", ref);
	memcpy(name, ref, n);
	name[n] = '\0';
	what = at ? at + 1 : "latest";
	if ((rc = arca_cat__dataset_get(c, &ds, name, err)) < 0)
		return rc;
	if (!strcmp(what, "latest"))
		rc = one(c, out, rowid, "SELECT " VERSION_COLS "WHERE d.name = ? "
			"ORDER BY v.version DESC LIMIT 1", name, NULL, 0, err);
	else if (*what && strspn(what, "0123456789") == strlen(what) &&
		strlen(what) < 18)
		rc = one(c, out, rowid, "SELECT " VERSION_COLS "WHERE d.name = ? "
			"AND v.version = ?", name, NULL, atoll(what), err);
	else if (!strncmp(what, "sha256:", 7)) {
		char pat[80];
		if (strlen(what) < 11 || strlen(what) > 71 ||
			strspn(what + 7, "0123456789abcdef") != strlen(what + 7))
			return arca_error_set(err, ARCA_EINVALID, "'%s': an id "
				"needs at least 4 lower-case hex digits", ref);
		snprintf(pat, sizeof(pat), "%s%%", what);
		rc = one(c, out, rowid, "SELECT " VERSION_COLS "WHERE d.name = ? "
			"AND (v.record LIKE ?2 OR v.snapshot LIKE ?2)", name, pat,
			0, err);
	} else
		rc = one(c, out, rowid, "SELECT " VERSION_COLS "JOIN tags t ON "
			"t.version_id = v.id AND t.current = 1 WHERE d.name = ? AND "
			"t.tag = ?", name, what, 0, err);
	if (rc == 0)
		rc = arca_error_set(err, ARCA_ENOTFOUND, !strcmp(what, "latest") ?
			"dataset '%s' has no version yet (add one with 'arca "
			"dataset add')%s" : "dataset '%s' has no version '%s'",
			name, !strcmp(what, "latest") ? "" : what);
	return rc < 0 ? rc : 0;
}

int arca_dataset_resolve(arca_catalog *c, arca_dataset_version *out,
	const char *ref, int for_use, arca_error *err)
{
	int rc;

	if ((rc = arca_cat__resolve(c, out, NULL, ref, err)) < 0)
		return rc;
	if (for_use && out->needs_ack && !out->acked)
		return arca_error_set(err, ARCA_EPOLICY, "%s@%lld drifted from "
			"the version before it (severity %s) and nobody has "
			"acknowledged it: review 'arca dataset diff %s@%lld %s@%lld'"
			" and record 'arca dataset ack %s@%lld --reason ...'",
			out->name, (long long)out->version, out->severity,
			out->name, (long long)out->version - 1, out->name,
			(long long)out->version, out->name,
			(long long)out->version);
	return 0;
}
