#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sqlite3.h>
#include "snapshot/statcache.h"
#include "util/buf.h"
#include "util/fs.h"

struct arca_statcache {
	sqlite3 *db;
	sqlite3_stmt *lookup;
	int reading; /* inside the walk's read transaction */
	arca_buf pending; /* queued rows: see add() */
	size_t npending;
};

static const char schema[] =
	"PRAGMA journal_mode=WAL;"
	"PRAGMA synchronous=NORMAL;"
	"CREATE TABLE IF NOT EXISTS files("
	" path BLOB PRIMARY KEY, dev INTEGER, ino INTEGER, size INTEGER,"
	" mtime_ns INTEGER, ctime_ns INTEGER, chunks BLOB) WITHOUT ROWID;";

int arca_statcache_open(arca_statcache **out, const char *dir,
	const char *repo_id, arca_error *err)
{
	arca_statcache *c = calloc(1, sizeof(*c));
	arca_buf path = ARCA_BUF_INIT;
	int rc = ARCA_ERROR;

	if (!c)
		return arca_error_set(err, ARCA_ERROR, "out of memory");
	if (arca_fs_cache_path(&path, dir, repo_id, err) < 0)
		goto fail;
	arca_buf_puts(&path, "/statcache.db");
	if (sqlite3_open(arca_buf_cstr(&path), &c->db) != SQLITE_OK ||
		sqlite3_busy_timeout(c->db, 10000) != SQLITE_OK ||
		sqlite3_exec(c->db, schema, NULL, NULL, NULL) != SQLITE_OK ||
		sqlite3_prepare_v2(c->db, "SELECT dev, ino, size, mtime_ns, "
			"ctime_ns, chunks FROM files WHERE path = ?", -1,
			&c->lookup, NULL) != SQLITE_OK) {
		arca_error_set(err, ARCA_ERROR, "stat cache '%s': %s",
			arca_buf_cstr(&path), c->db ? sqlite3_errmsg(c->db) :
			"cannot open");
		goto fail;
	}
	/* One read transaction for every lookup of the walk: autocommit
	 * would lock and unlock (fcntl, fstat) around each of them, which
	 * was half the system calls of an unchanged re-snapshot. */
	if (sqlite3_exec(c->db, "BEGIN", NULL, NULL, NULL) == SQLITE_OK)
		c->reading = 1;
	arca_buf_dispose(&path);
	*out = c;
	return 0;
fail:
	arca_buf_dispose(&path);
	arca_statcache_free(c);
	return rc;
}

void arca_statcache_free(arca_statcache *c)
{
	if (!c)
		return;
	if (c->reading)
		sqlite3_exec(c->db, "ROLLBACK", NULL, NULL, NULL);
	sqlite3_finalize(c->lookup);
	sqlite3_close(c->db);
	arca_buf_dispose(&c->pending);
	free(c);
}

static int64_t ns(const struct timespec *ts)
{
	return (int64_t)ts->tv_sec * 1000000000 + ts->tv_nsec;
}

int arca_statcache_lookup(arca_statcache *c, const char *path,
	const struct stat *st, arca_id **chunks, size_t *n)
{
	const void *blob;
	int hit = 0, bytes;

	sqlite3_reset(c->lookup);
	sqlite3_bind_blob(c->lookup, 1, path, (int)strlen(path),
		SQLITE_STATIC);
	if (sqlite3_step(c->lookup) != SQLITE_ROW)
		goto done;
	if (sqlite3_column_int64(c->lookup, 0) != (int64_t)st->st_dev ||
		sqlite3_column_int64(c->lookup, 1) != (int64_t)st->st_ino ||
		sqlite3_column_int64(c->lookup, 2) != (int64_t)st->st_size ||
		sqlite3_column_int64(c->lookup, 3) != ns(&st->st_mtim) ||
		sqlite3_column_int64(c->lookup, 4) != ns(&st->st_ctim))
		goto done;
	blob = sqlite3_column_blob(c->lookup, 5);
	bytes = sqlite3_column_bytes(c->lookup, 5);
	if (bytes < 0 || bytes % ARCA_ID_RAWSZ)
		goto done;
	*n = (size_t)bytes / ARCA_ID_RAWSZ;
	if (!(*chunks = malloc(bytes ? (size_t)bytes : 1)))
		goto done;
	if (bytes)
		memcpy(*chunks, blob, (size_t)bytes);
	hit = 1;
done:
	sqlite3_reset(c->lookup);
	return hit;
}

/* A queued row: header, path bytes, chunk ids; packed in one buffer. */
typedef struct row_hdr {
	int64_t dev, ino, size, mtime_ns, ctime_ns;
	size_t path_len, nchunks;
} row_hdr;

int arca_statcache_add(arca_statcache *c, const char *path,
	const struct stat *st, const arca_id *chunks, size_t n)
{
	row_hdr h = { (int64_t)st->st_dev, (int64_t)st->st_ino,
		(int64_t)st->st_size, ns(&st->st_mtim), ns(&st->st_ctim),
		strlen(path), n };

	if (arca_buf_put(&c->pending, &h, sizeof(h)) < 0 ||
		arca_buf_put(&c->pending, path, h.path_len) < 0 ||
		arca_buf_put(&c->pending, chunks, n * sizeof(arca_id)) < 0)
		return ARCA_ERROR;
	c->npending++;
	return 0;
}

int arca_statcache_commit(arca_statcache *c, arca_error *err)
{
	sqlite3_stmt *ins = NULL;
	size_t off = 0;
	int rc = 0;

	if (c->reading) {
		sqlite3_reset(c->lookup);
		sqlite3_exec(c->db, "COMMIT", NULL, NULL, NULL);
		c->reading = 0;
	}
	if (!c->npending)
		return 0;
	if (sqlite3_exec(c->db, "BEGIN IMMEDIATE", NULL, NULL, NULL) !=
		SQLITE_OK ||
		sqlite3_prepare_v2(c->db, "INSERT OR REPLACE INTO files(path, "
			"dev, ino, size, mtime_ns, ctime_ns, chunks) VALUES "
			"(?,?,?,?,?,?,?)", -1, &ins, NULL) != SQLITE_OK)
		goto fail;
	while (off < c->pending.len) {
		row_hdr h;
		memcpy(&h, c->pending.data + off, sizeof(h));
		off += sizeof(h);
		sqlite3_bind_blob(ins, 1, c->pending.data + off,
			(int)h.path_len, SQLITE_STATIC);
		off += h.path_len;
		sqlite3_bind_int64(ins, 2, h.dev);
		sqlite3_bind_int64(ins, 3, h.ino);
		sqlite3_bind_int64(ins, 4, h.size);
		sqlite3_bind_int64(ins, 5, h.mtime_ns);
		sqlite3_bind_int64(ins, 6, h.ctime_ns);
		sqlite3_bind_blob(ins, 7, c->pending.data + off,
			(int)(h.nchunks * sizeof(arca_id)), SQLITE_STATIC);
		off += h.nchunks * sizeof(arca_id);
		if (sqlite3_step(ins) != SQLITE_DONE)
			goto fail;
		sqlite3_reset(ins);
	}
	if (sqlite3_exec(c->db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK)
		goto fail;
	goto done;
fail:
	rc = arca_error_set(err, ARCA_ERROR, "stat cache: %s",
		sqlite3_errmsg(c->db));
	sqlite3_exec(c->db, "ROLLBACK", NULL, NULL, NULL);
done:
	sqlite3_finalize(ins);
	arca_buf_clear(&c->pending);
	c->npending = 0;
	return rc;
}
