/* See ut_repo.h. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <zstd.h>
#include "testutil.h"
#include "ut_files.h"
#include "ut_repo.h"
#include "repo_fixture.h"
#include "hash/sha256.h"
#include "util/sys.h"

arca_repo *ut_repo_open(const char *path)
{
	arca_error err = ARCA_ERROR_INIT;
	arca_repo *r = NULL;

	if (arca_repo_open(&r, path, &err) < 0)
		fail_msg("arca_repo_open '%s': %s", path, err.msg);
	return r;
}

void ut_assert_msg(const arca_error *err, const char *what)
{
	if (!strstr(err->msg, what))
		fail_msg("message '%s' does not mention '%s'", err->msg, what);
}

void ut_read_back(arca_repo *r, const arca_id *id, const void *want,
	size_t len)
{
	arca_error err = ARCA_ERROR_INIT;
	unsigned char *data = NULL;
	size_t got = 12345;

	if (arca_repo_object_read(r, &data, &got, id, &err) < 0)
		fail_msg("object read: %s", err.msg);
	if (!data || got != len || (len && memcmp(data, want, len)) ||
		data[len] != '\0')
		fail_msg("object read: %zu bytes, want %zu (or wrong content)",
			got, len);
	free(data);
}

void ut_zstd_frame(arca_buf *out, const void *data, size_t len,
	int checksum, int content_size)
{
	ZSTD_CCtx *c = ZSTD_createCCtx();
	size_t bound = ZSTD_compressBound(len), n;

	if (!c)
		fail_msg("ZSTD_createCCtx");
	arca_buf_clear(out);
	if (arca_buf_grow(out, bound) < 0)
		fail_msg("out of memory");
	ZSTD_CCtx_setParameter(c, ZSTD_c_compressionLevel, 3);
	ZSTD_CCtx_setParameter(c, ZSTD_c_checksumFlag, checksum);
	ZSTD_CCtx_setParameter(c, ZSTD_c_contentSizeFlag, content_size);
	n = ZSTD_compress2(c, out->data, bound, data, len);
	if (ZSTD_isError(n))
		fail_msg("zstd: %s", ZSTD_getErrorName(n));
	out->len = n;
	ZSTD_freeCCtx(c);
}

void ut_hand_lock(const char *repo_path, const char *name, int exclusive,
	const char *host, long long pid, long long pid_start,
	long long expires)
{
	char *dir = ut_fmt("%s/locks", repo_path), *file;
	long long now = (long long)(arca_time_now_ns() / 1000000000);
	char *doc = ut_fmt("{\"exclusive\":%s,\"expires\":%lld,"
		"\"hostname\":\"%s\",\"pid\":%lld,\"pid_start\":%lld,"
		"\"time\":%lld,\"username\":\"test\"}", exclusive ? "true" :
		"false", expires, host, pid, pid_start, now - 5);

	ut_mkdir(dir, 0755);
	file = ut_fmt("%s/%s", dir, name);
	ut_write_str(file, doc);
	free(file);
	free(doc);
	free(dir);
}

pid_t ut_dead_pid(void)
{
	pid_t pid = fork();

	if (pid < 0)
		fail_msg("fork");
	if (pid == 0)
		_exit(0);
	if (waitpid(pid, NULL, 0) != pid)
		fail_msg("waitpid");
	return pid;
}

void ut_colliding_pair(arca_repo *r, arca_id *x, arca_id *y)
{
	enum { MAX = 4000 };
	arca_id *ids = calloc(MAX, sizeof(*ids));
	char text[32];
	int i, j;

	if (!ids)
		fail_msg("out of memory");
	for (i = 0; i < MAX; i++) {
		snprintf(text, sizeof(text), "blob %d", i);
		if (arca_sha256(&ids[i], text, strlen(text), NULL) < 0)
			fail_msg("sha256");
		for (j = 0; j < i; j++)
			if (!memcmp(ids[i].raw, ids[j].raw, 2))
				goto found;
	}
	fail_msg("no 4-hex collision in %d ids", MAX);
found:
	snprintf(text, sizeof(text), "blob %d", i);
	*x = tu_put_blob(r, text, strlen(text));
	snprintf(text, sizeof(text), "blob %d", j);
	*y = tu_put_blob(r, text, strlen(text));
	free(ids);
}

int ut_idlist_cb(const arca_id *id, void *payload)
{
	ut_idlist *l = payload;

	if (l->n < 16)
		l->v[l->n] = *id;
	l->n++;
	return l->stop_at && l->n == l->stop_at ? 7 : 0;
}

int ut_idlist_has(const ut_idlist *l, const arca_id *id)
{
	for (size_t i = 0; i < l->n && i < 16; i++)
		if (!arca_id_cmp(&l->v[i], id))
			return 1;
	return 0;
}

size_t ut_nlocks(const char *repo_path)
{
	char *p = ut_fmt("%s/locks", repo_path);
	size_t n = ut_count_dir(p);

	free(p);
	return n;
}

void ut_lock_ok(arca_repo *r, int exclusive)
{
	arca_error err = ARCA_ERROR_INIT;

	if (arca_repo_lock(r, exclusive, &err) < 0)
		fail_msg("lock(%d): %s", exclusive, err.msg);
}
