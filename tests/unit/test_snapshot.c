/*
 * The snapshot API (arca/snapshot.h) on real temp directories: create from
 * a directory, a file or an archive; the stat cache; walk; datasets and
 * parents; resolve; diff; failures that must record nothing; two writers
 * at once.
 */
#include <errno.h>
#include <ftw.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include "testutil.h"
#include "repo_fixture.h"
#include "ut_failstore.h"
#include "ut_files.h"
#include "ut_repo.h"
#include "ut_snap.h"

#define BIG (20u << 20)

typedef ut_sfx fx;

/* The standard source: nested dirs, an empty file, a big random file,
 * a symlink and a fifo. Returns the big file's content. */
static unsigned char *make_source(fx *f)
{
	unsigned char *big = malloc(BIG);
	char *p;

	assert_non_null(big);
	tu_fill_random(big, BIG, 7);
	ut_sfx_mkdir(f, "a", 0755);
	ut_sfx_mkdir(f, "a/b", 0700);
	ut_sfx_put(f, "a/b/c.txt", "hello", 5, 0640);
	ut_sfx_put(f, "empty", "", 0, 0600);
	ut_sfx_put(f, "big.bin", big, BIG, 0644);
	p = ut_fmt("%s/link", f->src);
	assert_int_equal(symlink("a/b/c.txt", p), 0);
	free(p);
	p = ut_fmt("%s/fifo", f->src);
	assert_int_equal(mkfifo(p, 0644), 0);
	free(p);
	return big;
}

static const ut_ent *expect(fx *f, size_t i, const char *path,
	arca_entry_type type, uint32_t mode, uint64_t size)
{
	const ut_ent *e = &f->ents.v[i];

	assert_true(i < f->ents.n);
	assert_string_equal(e->path, path);
	assert_int_equal(e->type, type);
	assert_int_equal(e->mode, mode);
	if (type == ARCA_ENTRY_FILE)
		assert_int_equal(e->size, size);
	assert_int_equal(e->mtime_ns, ut_sfx_mtime(f, path));
	return e;
}

static void test_snapshot__create_and_walk(void **state)
{
	fx *f = *state;
	unsigned char *big = make_source(f), *data;
	arca_error err = ARCA_ERROR_INIT;
	arca_snapshot_info info;
	arca_snapshot_stats st;
	const ut_ent *e;
	arca_id id = ut_sfx_snap(f, f->src, NULL, &st);
	char *real = realpath(f->src, NULL);

	assert_int_equal(st.files, 3);
	assert_int_equal(st.dirs, 3);
	assert_int_equal(st.symlinks, 1);
	assert_int_equal(st.skipped, 1);
	assert_int_equal(st.bytes, BIG + 5);
	assert_int_equal(st.bytes_read, BIG + 5);
	assert_int_equal(st.files_cached, 0);
	assert_int_equal(f->warns.n, 1);
	assert_int_equal(ut_warns_count(&f->warns, "/fifo: ", "skipped"), 1);

	ut_walk(&f->ents, f->r, &id, "", 1);
	assert_int_equal(f->ents.n, 6);
	expect(f, 0, "a", ARCA_ENTRY_DIR, 0755, 0);
	expect(f, 1, "a/b", ARCA_ENTRY_DIR, 0700, 0);
	e = expect(f, 2, "a/b/c.txt", ARCA_ENTRY_FILE, 0640, 5);
	assert_int_equal(e->nchunks, 1);
	data = ut_content(f->r, e);
	assert_string_equal(data, "hello");
	free(data);
	e = expect(f, 3, "big.bin", ARCA_ENTRY_FILE, 0644, BIG);
	assert_true(e->nchunks >= 5 && e->nchunks <= 80);
	/* every object of this run is new: chunks, c.txt, three trees */
	assert_int_equal(st.objects_new, e->nchunks + 1 + 3);
	assert_true(st.bytes_new > BIG && st.stored_new > BIG);
	data = ut_content(f->r, e);
	assert_memory_equal(data, big, BIG);
	free(data);
	e = expect(f, 4, "empty", ARCA_ENTRY_FILE, 0600, 0);
	assert_int_equal(e->nchunks, 0);
	e = expect(f, 5, "link", ARCA_ENTRY_SYMLINK, 0777, 0);
	assert_string_equal(e->target, "a/b/c.txt");

	/* one level; a subdirectory; a single file; a missing path */
	ut_walk(&f->ents, f->r, &id, "", 0);
	assert_int_equal(f->ents.n, 4);
	ut_walk(&f->ents, f->r, &id, "a/b", 1);
	assert_int_equal(f->ents.n, 1);
	assert_string_equal(f->ents.v[0].path, "a/b/c.txt");
	ut_walk(&f->ents, f->r, &id, "a/b/c.txt", 1);
	assert_int_equal(f->ents.n, 1);
	assert_int_equal(f->ents.v[0].size, 5);
	ut_ents_clear(&f->ents);
	assert_int_equal(arca_snapshot_walk(f->r, &id, "a/nope", 1,
		ut_ents_cb, &f->ents, &err), ARCA_ENOTFOUND);
	assert_int_equal(arca_snapshot_walk(f->r, &id, "a/b/c.txt/x", 1,
		ut_ents_cb, &f->ents, &err), ARCA_ENOTFOUND);
	f->ents.stop_after = 2;
	assert_int_equal(arca_snapshot_walk(f->r, &id, "", 1, ut_ents_cb,
		&f->ents, &err), 99);
	assert_int_equal(f->ents.n, 2);

	/* the record */
	assert_int_equal(arca_snapshot_get(&info, f->r, &id, &err), 0);
	assert_string_equal(info.source_kind, "directory");
	assert_string_equal(info.source_path, real);
	assert_null(info.dataset);
	assert_true(arca_id_is_zero(&info.parent));
	assert_int_equal(info.stats.files, 3);
	assert_int_equal(info.stats.skipped, 1);
	assert_int_equal(info.stats.objects_new, st.objects_new);
	assert_non_null(strstr(info.json, "\"type\":\"snapshot\""));
	arca_snapshot_info_dispose(&info);
	free(real);
	free(big);
}

static int backdate_one(const char *path, const struct stat *sb, int flag,
	struct FTW *ftw)
{
	/* an hour ago: outside the racy-clean window */
	struct timespec ts[2] = { { time(NULL) - 3600, 0 },
		{ time(NULL) - 3600, 0 } };

	(void)sb;
	(void)flag;
	(void)ftw;
	return utimensat(AT_FDCWD, path, ts, AT_SYMLINK_NOFOLLOW);
}

static void backdate(const char *dir)
{
	assert_int_equal(nftw(dir, backdate_one, 16, FTW_PHYS), 0);
}

/* A file written just before the snapshot could be written again within
 * the same timestamp tick: it is read again next time, not cached. */
static void test_snapshot__racy_files_not_cached(void **state)
{
	fx *f = *state;
	unsigned char *big = make_source(f);
	arca_snapshot_stats st;

	ut_sfx_snap(f, f->src, NULL, NULL);
	ut_sfx_snap(f, f->src, NULL, &st);
	assert_int_equal(st.files, 3);
	assert_int_equal(st.files_cached, 0);
	assert_int_equal(st.bytes_read, BIG + 5);
	backdate(f->src);
	ut_sfx_snap(f, f->src, NULL, NULL);
	ut_sfx_snap(f, f->src, NULL, &st);
	assert_int_equal(st.files_cached, 3);
	assert_int_equal(st.bytes_read, 0);
	free(big);
}

static void test_snapshot__incremental(void **state)
{
	fx *f = *state;
	unsigned char *big = make_source(f);
	arca_error err = ARCA_ERROR_INIT;
	arca_snapshot_info i1, i2, i3;
	arca_snapshot_stats st;
	arca_id s1, s2, s3;
	char *p;
	int fd;

	backdate(f->src);
	s1 = ut_sfx_snap(f, f->src, NULL, NULL);
	s2 = ut_sfx_snap(f, f->src, NULL, &st);
	assert_int_equal(st.files, 3);
	assert_int_equal(st.files_cached, st.files);
	assert_int_equal(st.objects_new, 0);
	assert_int_equal(st.bytes_read, 0);
	assert_int_equal(st.bytes, BIG + 5);
	assert_int_equal(arca_snapshot_get(&i1, f->r, &s1, &err), 0);
	assert_int_equal(arca_snapshot_get(&i2, f->r, &s2, &err), 0);
	assert_memory_equal(&i1.tree, &i2.tree, sizeof(arca_id));
	/* same source on this host: the lineage parent */
	assert_memory_equal(&i2.parent, &s1, sizeof(arca_id));

	/* one byte in the middle of the big file */
	p = ut_fmt("%s/big.bin", f->src);
	fd = open(p, O_WRONLY);
	assert_true(fd >= 0);
	big[BIG / 2] ^= 0x5a;
	assert_int_equal(pwrite(fd, big + BIG / 2, 1, BIG / 2), 1);
	close(fd);
	s3 = ut_sfx_snap(f, f->src, NULL, &st);
	assert_int_equal(st.files_cached, 2);
	assert_int_equal(st.bytes_read, BIG);
	/* one or two changed chunks (a cut point may move), the root tree */
	assert_true(st.objects_new >= 2 && st.objects_new <= 3 + 1);
	assert_true(st.bytes_new <= 3 * (4u << 20) + 4096);
	assert_int_equal(arca_snapshot_get(&i3, f->r, &s3, &err), 0);
	assert_memory_not_equal(&i3.tree, &i2.tree, sizeof(arca_id));
	ut_walk(&f->ents, f->r, &s3, "big.bin", 0);
	{
		unsigned char *data = ut_content(f->r, &f->ents.v[0]);
		assert_memory_equal(data, big, BIG);
		free(data);
	}
	arca_snapshot_info_dispose(&i1);
	arca_snapshot_info_dispose(&i2);
	arca_snapshot_info_dispose(&i3);
	free(p);
	free(big);
}

/* An empty source, and an empty directory inside one. */
static void test_snapshot__empty_dirs(void **state)
{
	fx *f = *state;
	arca_snapshot_stats st;
	arca_id id = ut_sfx_snap(f, f->src, NULL, &st);

	assert_int_equal(st.dirs, 1);
	assert_int_equal(st.files, 0);
	ut_walk(&f->ents, f->r, &id, "", 1);
	assert_int_equal(f->ents.n, 0);
	ut_sfx_mkdir(f, "void", 0750);
	id = ut_sfx_snap(f, f->src, NULL, &st);
	assert_int_equal(st.dirs, 2);
	ut_walk(&f->ents, f->r, &id, "", 1);
	assert_int_equal(f->ents.n, 1);
	assert_int_equal(f->ents.v[0].type, ARCA_ENTRY_DIR);
	assert_int_equal(f->ents.v[0].mode, 0750);
	ut_walk(&f->ents, f->r, &id, "void", 1);
	assert_int_equal(f->ents.n, 0);
}

static void test_snapshot__missing_source(void **state)
{
	fx *f = *state;
	arca_snapshot_opts o = ut_sfx_opts(f);
	arca_error err = ARCA_ERROR_INIT;
	arca_snapshot_stats st;
	char *p = ut_fmt("%s/does-not-exist", f->dir), *fifo;
	arca_id id;

	o.dataset = "ds";
	assert_int_equal(arca_snapshot_create(&id, &st, f->r, p, &o, &err),
		ARCA_ERROR);
	assert_non_null(strstr(err.msg, "does-not-exist"));
	fifo = ut_fmt("%s/fifo", f->dir);
	assert_int_equal(mkfifo(fifo, 0644), 0);
	assert_int_equal(arca_snapshot_create(&id, &st, f->r, fifo, &o, &err),
		ARCA_EINVALID);
	assert_int_equal(ut_nsnapshots(f->r), 0);
	assert_int_equal(arca_repo__ref_get(f->r, &id, "datasets/ds", &err),
		ARCA_ENOTFOUND);
	free(fifo);
	free(p);
}

/* What the unprivileged child saw. */
typedef struct unread_result {
	int rc1, rc2;
	char msg1[ARCA_ERROR_MSG_SIZE];
	size_t n1, n2, warns_secret, warns_closed;
	uint64_t skipped;
	arca_id id;
} unread_result;

static void unreadable_child(void *arg, void *out)
{
	fx *f = arg;
	unread_result *res = out;
	arca_error err = ARCA_ERROR_INIT;
	arca_snapshot_stats st;
	arca_snapshot_opts o = ut_sfx_opts(f);
	char repo[4096], cache[4096];
	arca_repo *r = NULL;

	if (access(f->dir, W_OK | X_OK) < 0) {
		res->rc1 = 2000; /* e.g. TMPDIR under a private home */
		return;
	}
	snprintf(repo, sizeof(repo), "%s/urepo", f->dir);
	snprintf(cache, sizeof(cache), "%s/ucache", f->dir);
	o.cache_dir = cache;
	if (arca_repo_init(&r, repo, NULL, &err) < 0 ||
		arca_repo_lock(r, 0, &err) < 0) {
		res->rc1 = 1000;
		snprintf(res->msg1, sizeof(res->msg1), "%s", err.msg);
		arca_repo_free(r);
		return;
	}
	res->rc1 = arca_snapshot_create(&res->id, &st, r, f->src, &o, &err);
	snprintf(res->msg1, sizeof(res->msg1), "%s", err.msg);
	res->n1 = ut_nsnapshots(r);
	o.skip_unreadable = 1;
	f->warns.n = 0;
	res->rc2 = arca_snapshot_create(&res->id, &st, r, f->src, &o, &err);
	res->skipped = st.skipped;
	res->n2 = ut_nsnapshots(r);
	res->warns_secret = ut_warns_count(&f->warns, "/secret: ", "skipped");
	res->warns_closed = ut_warns_count(&f->warns, "/closed: ", "skipped");
	arca_repo_free(r);
}

/*
 * Root reads anything whatever its mode, so the snapshot runs in a child
 * that drops to uid/gid 65534 (nobody) first.
 */
static void test_snapshot__unreadable(void **state)
{
	fx *f = *state;
	unread_result res;
	char *p = ut_fmt("%s/closed", f->src), *url;
	arca_repo *r;
	int skipped;

	ut_sfx_put(f, "ok.txt", "fine", 4, 0644);
	ut_sfx_put(f, "secret", "top secret", 10, 0000);
	ut_sfx_mkdir(f, "closed", 0755);
	ut_sfx_put(f, "closed/inner.txt", "inner", 5, 0644);
	assert_int_equal(chmod(p, 0), 0);
	/* the child makes its repository and cache in f->dir */
	if (geteuid() == 0)
		assert_int_equal(chown(f->dir, 65534, 65534), 0);
	memset(&res, 0, sizeof(res));
	skipped = ut_run_as_nobody(unreadable_child, f, &res, sizeof(res));
	chmod(p, 0755);
	free(p);
	if (skipped || res.rc1 == 2000)
		skip(); /* cannot drop privileges, or nobody cannot get in */
	if (res.rc1 == 1000)
		fail_msg("child setup: %s", res.msg1);
	/* without skip_unreadable: an error naming the entry, no record */
	assert_int_equal(res.rc1, ARCA_ERROR);
	assert_true(strstr(res.msg1, "/closed") || strstr(res.msg1, "/secret"));
	assert_non_null(strstr(res.msg1, "skip-unreadable"));
	assert_int_equal(res.n1, 0);
	/* with it: both skipped, warned about, and left out */
	assert_int_equal(res.rc2, 0);
	assert_int_equal(res.skipped, 2);
	assert_int_equal(res.warns_secret, 1);
	assert_int_equal(res.warns_closed, 1);
	assert_int_equal(res.n2, 1);
	url = ut_fmt("%s/urepo", f->dir);
	r = ut_repo_open(url);
	ut_walk(&f->ents, r, &res.id, "", 1);
	assert_int_equal(f->ents.n, 1);
	assert_string_equal(f->ents.v[0].path, "ok.txt");
	ut_ents_clear(&f->ents);
	arca_repo_free(r);
	free(url);
}

/* A store write fails mid-run: nothing is recorded, and a retry on the
 * same handle must still store everything its snapshot names. */
static void test_snapshot__store_failure(void **state)
{
	fx *f = *state;
	size_t len = 3u << 20;
	unsigned char *data = malloc(len);
	arca_snapshot_opts o = ut_sfx_opts(f);
	arca_error err = ARCA_ERROR_INIT;
	arca_snapshot_stats st;
	char msg[ARCA_ERROR_MSG_SIZE];
	arca_id id, got;

	assert_non_null(data);
	tu_fill_random(data, len, 99);
	ut_sfx_put(f, "data.bin", data, len, 0644);
	ut_sfx_put(f, "small.txt", "small", 5, 0644);
	ut_sfx_mkdir(f, "sub", 0755);
	ut_sfx_put(f, "sub/x.txt", "x", 1, 0644);
	o.dataset = "failing";
	ut_failstore_wrap(f->r, "objects/", ARCA_EREMOTE, 1);
	assert_int_equal(arca_snapshot_create(&id, &st, f->r, f->src, &o,
		&err), ARCA_EREMOTE);
	assert_non_null(strstr(err.msg, "injected"));
	assert_true(ut_failstore_failed(f->r) >= 1);
	ut_failstore_unwrap(f->r);
	assert_int_equal(ut_nsnapshots(f->r), 0);
	assert_int_equal(arca_repo__ref_get(f->r, &got, "datasets/failing",
		&err), ARCA_ENOTFOUND);

	id = ut_sfx_snap(f, f->src, &o, &st);
	ut_ents_clear(&f->ents);
	if (arca_snapshot_walk(f->r, &id, "", 1, ut_ents_cb, &f->ents, &err))
		fail_msg("the retry on the same handle recorded a snapshot "
			"naming a missing object: %s", err.msg);
	assert_int_equal(f->ents.n, 4);
	for (size_t i = 0; i < f->ents.n; i++)
		if (ut_content_check(f->r, &f->ents.v[i], msg, sizeof(msg)))
			fail_msg("the retry on the same handle recorded a "
				"missing object: %s", msg);
	free(data);
}

static void test_snapshot__single_file(void **state)
{
	fx *f = *state;
	arca_snapshot_opts o = ut_sfx_opts(f);
	arca_error err = ARCA_ERROR_INIT;
	arca_snapshot_info info;
	arca_snapshot_stats st;
	char *p = ut_fmt("%s/c.txt", f->src), *tar = ut_fmt("%s/x.tar", f->src);
	arca_id id;

	ut_sfx_put(f, "c.txt", "hello", 5, 0640);
	id = ut_sfx_snap(f, p, NULL, &st);
	assert_int_equal(st.files, 1);
	assert_int_equal(st.dirs, 0);
	ut_walk(&f->ents, f->r, &id, "", 1);
	assert_int_equal(f->ents.n, 1);
	expect(f, 0, "c.txt", ARCA_ENTRY_FILE, 0640, 5);
	assert_int_equal(arca_snapshot_get(&info, f->r, &id, &err), 0);
	assert_string_equal(info.source_kind, "file");
	arca_snapshot_info_dispose(&info);
	/* an archive name read as a plain file on request */
	ut_sfx_put(f, "x.tar", "not really a tar", 16, 0644);
	o.source = ARCA_SOURCE_PLAIN;
	id = ut_sfx_snap(f, tar, &o, &st);
	ut_walk(&f->ents, f->r, &id, "", 1);
	assert_int_equal(f->ents.n, 1);
	assert_string_equal(f->ents.v[0].path, "x.tar");
	assert_int_equal(f->ents.v[0].size, 16);
	/* and refused as a damaged archive otherwise */
	assert_int_equal(arca_snapshot_create(&id, &st, f->r, tar, NULL, &err),
		ARCA_EINVALID);
	free(tar);
	free(p);
}

static void check_archive(fx *f, int zip)
{
	static const char body[] = "file content\n";
	size_t big_len = 1536u << 10;
	unsigned char *big = malloc(big_len), *data;
	ut_ae v[] = {
		{ UT_AE_DIR, "dir/", NULL, 0, NULL, 0755 },
		{ UT_AE_FILE, "dir/file.txt", body, sizeof(body) - 1, NULL, 0644 },
		{ UT_AE_LINK, "dir/link", NULL, 0, "file.txt", 0777 },
		{ UT_AE_FILE, "dir/big.bin", big, big_len, NULL, 0600 },
		{ UT_AE_FILE, "top.txt", "top\n", 4, NULL, 0640 },
		{ UT_AE_FILE, "../evil", "evil\n", 5, NULL, 0644 },
		{ UT_AE_FILE, "/abs", "abs\n", 4, NULL, 0644 },
	};
	static const char *paths[] = { "..", "../evil", "/", "//abs", "dir",
		"dir/big.bin", "dir/file.txt", "dir/link", "top.txt" };
	char *p = ut_fmt("%s/in.%s", f->dir, zip ? "zip" : "tar.gz");
	arca_error err = ARCA_ERROR_INIT;
	arca_snapshot_info info;
	arca_snapshot_stats st;
	const ut_ent *e;
	arca_id id;

	assert_non_null(big);
	tu_fill_random(big, big_len, 5);
	ut_write_archive(p, zip, v, sizeof(v) / sizeof(v[0]));
	id = ut_sfx_snap(f, p, NULL, &st);
	assert_int_equal(ut_warns_count(&f->warns, "../evil", "unsafe"), 1);
	assert_int_equal(ut_warns_count(&f->warns, "/abs", "unsafe"), 1);
	assert_int_equal(f->warns.n, 2);
	assert_int_equal(st.files, 5);
	assert_int_equal(st.symlinks, 1);
	assert_int_equal(st.dirs, 4); /* root, "dir", ".." and "/" */
	ut_walk(&f->ents, f->r, &id, "", 1);
	assert_int_equal(f->ents.n, sizeof(paths) / sizeof(paths[0]));
	for (size_t i = 0; i < f->ents.n; i++)
		assert_string_equal(f->ents.v[i].path, paths[i]);
	assert_int_equal(ut_ents_find(&f->ents, "..")->type, ARCA_ENTRY_DIR);
	assert_int_equal(ut_ents_find(&f->ents, "/")->type, ARCA_ENTRY_DIR);
	data = ut_content(f->r, ut_ents_find(&f->ents, "../evil"));
	assert_string_equal(data, "evil\n");
	free(data);
	e = ut_ents_find(&f->ents, "dir/file.txt");
	assert_int_equal(e->mode, 0644);
	assert_int_equal(e->mtime_ns, 1700000001LL * 1000000000LL);
	data = ut_content(f->r, e);
	assert_string_equal(data, body);
	free(data);
	e = ut_ents_find(&f->ents, "dir/big.bin");
	assert_int_equal(e->mode, 0600);
	data = ut_content(f->r, e);
	assert_memory_equal(data, big, big_len);
	free(data);
	assert_string_equal(ut_ents_find(&f->ents, "dir/link")->target,
		"file.txt");
	assert_int_equal(ut_ents_find(&f->ents, "top.txt")->mode, 0640);
	assert_int_equal(arca_snapshot_get(&info, f->r, &id, &err), 0);
	assert_string_equal(info.source_kind, "archive");
	assert_non_null(strstr(info.json, "\"format\":"));
	arca_snapshot_info_dispose(&info);
	free(p);
	free(big);
}

static void test_snapshot__archive_tar_gz(void **state)
{
	check_archive(*state, 0);
}

static void test_snapshot__archive_zip(void **state)
{
	check_archive(*state, 1);
}

/* A tar hard link (typeflag '1', as GNU tar and libarchive write it)
 * shares its target's content. */
static void test_snapshot__archive_hardlink(void **state)
{
	fx *f = *state;
	ut_ae v[] = {
		{ UT_AE_FILE, "d/file.txt", "shared\n", 7, NULL, 0644 },
		{ UT_AE_HARD, "d/hard", NULL, 0, "d/file.txt", 0644 },
	};
	char *p = ut_fmt("%s/links.tar.gz", f->dir);
	const ut_ent *e, *h;
	arca_snapshot_stats st;
	arca_id id;

	ut_write_archive(p, 0, v, 2);
	id = ut_sfx_snap(f, p, NULL, &st);
	if (ut_warns_count(&f->warns, "d/hard", "skipped"))
		fail_msg("hard link entry skipped: %s", f->warns.v[0]);
	assert_int_equal(st.skipped, 0);
	assert_int_equal(st.files, 2);
	ut_walk(&f->ents, f->r, &id, "", 1);
	assert_int_equal(f->ents.n, 3);
	e = ut_ents_find(&f->ents, "d/file.txt");
	h = ut_ents_find(&f->ents, "d/hard");
	assert_non_null(h);
	assert_int_equal(h->type, ARCA_ENTRY_FILE);
	assert_int_equal(h->size, 7);
	assert_int_equal(h->nchunks, 1);
	assert_memory_equal(h->chunks, e->chunks, sizeof(arca_id));
	free(p);
}

static void test_snapshot__dataset(void **state)
{
	static const char *bad[] = { "", "../x", ".hidden", "a/b", "-x",
		"a b", "x\n", "caf\xc3\xa9" };
	fx *f = *state;
	arca_snapshot_opts o = ut_sfx_opts(f);
	arca_error err = ARCA_ERROR_INIT;
	arca_snapshot_info i1, i2;
	char s1str[ARCA_ID_STRSZ], *want, *refs;
	arca_id s1, s2, ref;

	ut_sfx_put(f, "f.txt", "one", 3, 0644);
	o.dataset = "churn.v1_x-2";
	s1 = ut_sfx_snap(f, f->src, &o, NULL);
	assert_int_equal(arca_repo__ref_get(f->r, &ref, "datasets/churn.v1_x-2",
		&err), 0);
	assert_memory_equal(&ref, &s1, sizeof(ref));
	ut_sfx_put(f, "f.txt", "two", 3, 0644);
	s2 = ut_sfx_snap(f, f->src, &o, NULL);
	assert_int_equal(arca_repo__ref_get(f->r, &ref, "datasets/churn.v1_x-2",
		&err), 0);
	assert_memory_equal(&ref, &s2, sizeof(ref));
	assert_int_equal(arca_snapshot_get(&i1, f->r, &s1, &err), 0);
	assert_int_equal(arca_snapshot_get(&i2, f->r, &s2, &err), 0);
	assert_null(strstr(i1.json, "\"parent\""));
	arca_id_str(s1str, &s1);
	want = ut_fmt("\"parent\":\"%s\"", s1str);
	assert_non_null(strstr(i2.json, want));
	assert_memory_equal(&i2.parent, &s1, sizeof(arca_id));
	assert_string_equal(i2.dataset, "churn.v1_x-2");
	assert_non_null(strstr(i2.json, "\"dataset\":\"churn.v1_x-2\""));

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		arca_id id;
		o.dataset = bad[i];
		arca_error_clear(&err);
		if (arca_snapshot_create(&id, NULL, f->r, f->src, &o, &err) !=
			ARCA_EINVALID)
			fail_msg("dataset name '%s' accepted", bad[i]);
	}
	assert_int_equal(ut_nsnapshots(f->r), 2);
	refs = ut_fmt("%s/refs/datasets", f->repo);
	assert_int_equal(ut_count_dir(refs), 1);
	arca_snapshot_info_dispose(&i1);
	arca_snapshot_info_dispose(&i2);
	free(refs);
	free(want);
}

static void resolves(fx *f, const char *spec, const arca_id *want)
{
	arca_error err = ARCA_ERROR_INIT;
	arca_id got;

	if (arca_snapshot_resolve(&got, f->r, spec, &err) < 0)
		fail_msg("resolve '%s': %s", spec, err.msg);
	assert_memory_equal(&got, want, sizeof(got));
}

static void test_snapshot__resolve(void **state)
{
	fx *f = *state;
	arca_snapshot_opts o = ut_sfx_opts(f);
	arca_error err = ARCA_ERROR_INIT;
	char h[3][ARCA_ID_HEXSZ + 1], spec[96];
	arca_id s[3], got, blob;

	assert_int_equal(arca_snapshot_resolve(&got, f->r, "latest", &err),
		ARCA_ENOTFOUND);
	ut_sfx_put(f, "f.txt", "x", 1, 0644);
	o.dataset = "A";
	s[0] = ut_sfx_snap(f, f->src, &o, NULL);
	o.dataset = "B";
	s[1] = ut_sfx_snap(f, f->src, &o, NULL);
	s[2] = ut_sfx_snap(f, f->src, NULL, NULL);
	for (int i = 0; i < 3; i++)
		arca_id_hex(h[i], &s[i]);
	resolves(f, "latest", &s[2]);
	resolves(f, "latest@A", &s[0]);
	resolves(f, "latest@B", &s[1]);
	assert_int_equal(arca_snapshot_resolve(&got, f->r, "latest@C", &err),
		ARCA_ENOTFOUND);
	assert_non_null(strstr(err.msg, "'C'"));
	resolves(f, h[1], &s[1]);
	snprintf(spec, sizeof(spec), "sha256:%s", h[1]);
	resolves(f, spec, &s[1]);
	snprintf(spec, sizeof(spec), "%.12s", h[0]);
	resolves(f, spec, &s[0]);
	for (int i = 0; spec[i]; i++)
		spec[i] = (char)(spec[i] >= 'a' ? spec[i] - 32 : spec[i]);
	resolves(f, spec, &s[0]);
	assert_int_equal(arca_snapshot_resolve(&got, f->r, "abc", &err),
		ARCA_EINVALID);
	assert_int_equal(arca_snapshot_resolve(&got, f->r, "latest-ish", &err),
		ARCA_EINVALID);
	/* a 4-digit prefix none of the three has */
	for (unsigned v = 0;; v++) {
		snprintf(spec, sizeof(spec), "%04x", v);
		if (strncmp(spec, h[0], 4) && strncmp(spec, h[1], 4) &&
			strncmp(spec, h[2], 4))
			break;
	}
	assert_int_equal(arca_snapshot_resolve(&got, f->r, spec, &err),
		ARCA_ENOTFOUND);
	/* an object that is not a snapshot */
	blob = tu_put_blob(f->r, "not a snapshot", 14);
	arca_id_hex(spec, &blob);
	assert_int_equal(arca_snapshot_resolve(&got, f->r, spec, &err),
		ARCA_ENOTFOUND);
}

static void test_snapshot__diff(void **state)
{
	fx *f = *state;
	arca_error err = ARCA_ERROR_INIT;
	ut_changes c = { .n = 0 };
	arca_id a, b;
	char *p;

	ut_sfx_put(f, "same.txt", "same", 4, 0644);
	ut_sfx_put(f, "mod.txt", "v1", 2, 0644);
	ut_sfx_put(f, "gone.txt", "gone", 4, 0644);
	ut_sfx_put(f, "perm.txt", "perm", 4, 0644);
	ut_sfx_mkdir(f, "sub", 0755);
	ut_sfx_put(f, "sub/x.txt", "x", 1, 0644);
	ut_sfx_mkdir(f, "olddir", 0755);
	ut_sfx_put(f, "olddir/y.txt", "y", 1, 0644);
	a = ut_sfx_snap(f, f->src, NULL, NULL);
	assert_int_equal(arca_snapshot_diff(f->r, &a, &a, ut_diff_cb, &c, &err),
		0);
	assert_int_equal(c.n, 0);

	ut_sfx_put(f, "mod.txt", "v2 longer", 9, 0644);
	ut_sfx_rm(f, "gone.txt");
	ut_sfx_put(f, "new.txt", "new", 3, 0644);
	p = ut_fmt("%s/perm.txt", f->src);
	assert_int_equal(chmod(p, 0600), 0);
	free(p);
	ut_sfx_put(f, "sub/z.txt", "z", 1, 0644);
	ut_sfx_rm(f, "olddir/y.txt");
	ut_sfx_rm(f, "olddir");
	b = ut_sfx_snap(f, f->src, NULL, NULL);
	assert_int_equal(arca_snapshot_diff(f->r, &a, &b, ut_diff_cb, &c, &err),
		0);
	ut_expect_change(&c, 0, ARCA_CHANGE_REMOVED, "gone.txt");
	ut_expect_change(&c, 1, ARCA_CHANGE_MODIFIED, "mod.txt");
	ut_expect_change(&c, 2, ARCA_CHANGE_ADDED, "new.txt");
	ut_expect_change(&c, 3, ARCA_CHANGE_REMOVED, "olddir");
	ut_expect_change(&c, 4, ARCA_CHANGE_REMOVED, "olddir/y.txt");
	ut_expect_change(&c, 5, ARCA_CHANGE_MODE, "perm.txt");
	ut_expect_change(&c, 6, ARCA_CHANGE_ADDED, "sub/z.txt");
	assert_int_equal(c.n, 7);
	/* and the other way round */
	c.n = 0;
	assert_int_equal(arca_snapshot_diff(f->r, &b, &a, ut_diff_cb, &c, &err),
		0);
	ut_expect_change(&c, 0, ARCA_CHANGE_ADDED, "gone.txt");
	ut_expect_change(&c, 1, ARCA_CHANGE_MODIFIED, "mod.txt");
	ut_expect_change(&c, 2, ARCA_CHANGE_REMOVED, "new.txt");
	ut_expect_change(&c, 3, ARCA_CHANGE_ADDED, "olddir");
	ut_expect_change(&c, 6, ARCA_CHANGE_REMOVED, "sub/z.txt");
	assert_int_equal(c.n, 7);
}

/* arca/snapshot.h: MODIFIED is "content or type changed". */
static void test_snapshot__diff_type_change(void **state)
{
	fx *f = *state;
	arca_error err = ARCA_ERROR_INIT;
	ut_changes c = { .n = 0 };
	arca_id a, b;
	char *p;

	ut_sfx_put(f, "t", "a file", 6, 0644);
	a = ut_sfx_snap(f, f->src, NULL, NULL);
	ut_sfx_rm(f, "t");
	p = ut_fmt("%s/t", f->src);
	assert_int_equal(symlink("elsewhere", p), 0);
	free(p);
	b = ut_sfx_snap(f, f->src, NULL, NULL);
	assert_int_equal(arca_snapshot_diff(f->r, &a, &b, ut_diff_cb, &c, &err),
		0);
	ut_expect_change(&c, 0, ARCA_CHANGE_MODIFIED, "t");
	assert_int_equal(c.n, 1);
}

static void test_snapshot__concurrent_writers(void **state)
{
	fx *f = *state;
	size_t len = 3u << 20;
	unsigned char *data = malloc(len);
	pthread_barrier_t start;
	pthread_t tid[2];
	ut_writer w[2];
	char *dirs[2];

	assert_non_null(data);
	pthread_barrier_init(&start, NULL, 2);
	for (int i = 0; i < 2; i++) {
		char rel[32];
		snprintf(rel, sizeof(rel), "w%d", i);
		ut_sfx_mkdir(f, rel, 0755);
		snprintf(rel, sizeof(rel), "w%d/shared.bin", i);
		tu_fill_random(data, len, 1000);
		ut_sfx_put(f, rel, data, len, 0644);
		snprintf(rel, sizeof(rel), "w%d/own.bin", i);
		tu_fill_random(data, len, (uint64_t)i);
		ut_sfx_put(f, rel, data, len, 0644);
		dirs[i] = ut_fmt("%s/w%d", f->src, i);
		memset(&w[i], 0, sizeof(w[i]));
		w[i].repo = f->repo;
		w[i].src = dirs[i];
		w[i].cache = f->cache;
		w[i].start = &start;
		assert_int_equal(pthread_create(&tid[i], NULL, ut_writer_main,
			&w[i]), 0);
	}
	for (int i = 0; i < 2; i++)
		pthread_join(tid[i], NULL);
	pthread_barrier_destroy(&start);
	for (int i = 0; i < 2; i++)
		if (w[i].rc)
			fail_msg("writer %d: %d: %s", i, w[i].rc, w[i].msg);
	assert_int_equal(ut_nsnapshots(f->r), 2);
	for (int i = 0; i < 2; i++) {
		unsigned char *got;
		ut_walk(&f->ents, f->r, &w[i].id, "", 1);
		assert_int_equal(f->ents.n, 2);
		tu_fill_random(data, len, (uint64_t)i);
		got = ut_content(f->r, ut_ents_find(&f->ents, "own.bin"));
		assert_memory_equal(got, data, len);
		free(got);
		tu_fill_random(data, len, 1000);
		got = ut_content(f->r, ut_ents_find(&f->ents, "shared.bin"));
		assert_memory_equal(got, data, len);
		free(got);
		free(dirs[i]);
	}
	free(data);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, ut_sfx_setup, \
	ut_sfx_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_snapshot__create_and_walk),
		T(test_snapshot__incremental),
		T(test_snapshot__racy_files_not_cached),
		T(test_snapshot__empty_dirs),
		T(test_snapshot__missing_source),
		T(test_snapshot__unreadable),
		T(test_snapshot__store_failure),
		T(test_snapshot__single_file),
		T(test_snapshot__archive_tar_gz),
		T(test_snapshot__archive_zip),
		T(test_snapshot__archive_hardlink),
		T(test_snapshot__dataset),
		T(test_snapshot__resolve),
		T(test_snapshot__diff),
		T(test_snapshot__diff_type_change),
		T(test_snapshot__concurrent_writers),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
