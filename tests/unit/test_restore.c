/*
 * Restore: round trips of hand-built trees to a directory and to tar,
 * subpaths, hostile trees that must be refused before anything is
 * written, what is already in the target, and corrupt content.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <archive.h>
#include <archive_entry.h>
#include "repo_fixture.h"
#include "arca/restore.h"

#define T0 (1600000000LL * 1000000000LL)

typedef struct fx {
	char *dir;      /* temp dir holding the repository */
	arca_repo *r;
	char *work;     /* temp dir for targets and outside files */
} fx;

static int setup(void **state)
{
	fx *f = calloc(1, sizeof(*f));

	f->r = tu_repo_new(&f->dir);
	f->work = tu_mkdtemp();
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	fx *f = *state;

	arca_repo_free(f->r);
	tu_rmtree(f->dir);
	tu_rmtree(f->work);
	free(f);
	return 0;
}

/* --- helpers --- */

static char *join(const char *a, const char *b)
{
	char *p;

	if (asprintf(&p, "%s/%s", a, b) < 0)
		fail_msg("asprintf");
	return p;
}

static void write_file(const char *path, const void *data, size_t len)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, data, len), (ssize_t)len);
	close(fd);
}

/* The file's content (malloc'd, NUL-terminated) and its length. */
static char *read_all(const char *path, size_t *len)
{
	struct stat st;
	char *buf;
	int fd = open(path, O_RDONLY | O_NOFOLLOW);

	if (fd < 0)
		fail_msg("cannot open '%s': %s", path, strerror(errno));
	assert_int_equal(fstat(fd, &st), 0);
	buf = malloc((size_t)st.st_size + 1);
	assert_int_equal(read(fd, buf, (size_t)st.st_size), st.st_size);
	buf[st.st_size] = '\0';
	close(fd);
	*len = (size_t)st.st_size;
	return buf;
}

static size_t count_entries(const char *dir)
{
	struct dirent *de;
	size_t n = 0;
	DIR *d = opendir(dir);

	if (!d)
		return 0;
	while ((de = readdir(d)))
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
			n++;
	closedir(d);
	return n;
}

static int exists(const char *path)
{
	struct stat st;

	return lstat(path, &st) == 0;
}

static void check_stat(const char *path, mode_t type, uint32_t mode,
	int64_t mtime_ns)
{
	struct stat st;

	if (lstat(path, &st) < 0)
		fail_msg("cannot stat '%s': %s", path, strerror(errno));
	assert_int_equal(st.st_mode & S_IFMT, type);
	if (type != S_IFLNK)
		assert_int_equal(st.st_mode & 07777, mode);
	assert_int_equal((int64_t)st.st_mtim.tv_sec * 1000000000 +
		st.st_mtim.tv_nsec, mtime_ns);
}

static void check_content(const char *path, const void *want, size_t len)
{
	size_t got;
	char *data = read_all(path, &got);

	assert_int_equal(got, len);
	assert_memory_equal(data, want, len);
	free(data);
}

static int restore_dir(fx *f, const arca_id *snap, const char *sub,
	const char *target, int threads, arca_restore_stats *st,
	arca_error *err)
{
	arca_restore_opts o = ARCA_RESTORE_OPTS_INIT;

	o.threads = threads;
	return arca_restore_dir(st, f->r, snap, sub, target, &o, err);
}

/* --- a hand-built tree --- */

typedef struct sample {
	unsigned char *big;   /* three chunks */
	size_t big_len;
	arca_id big_chunks[3], run_chunk, deep_chunk;
	arca_id snap;
} sample;

static const char run_sh[] = "#!/bin/sh\necho hi\n";
static const char deep_txt[] = "deep down\n";

/*
 * big.bin (3 chunks, 0600, mtime with ns), empty (0 chunks), run.sh
 * (0755), a/b/c/deep.txt with a at 0750, link -> a/b/c/deep.txt.
 */
static void make_sample(fx *f, sample *s)
{
	size_t sizes[3] = { 600001, 100000, 7 }, off = 0;
	arca_node c[1], b[1], a[1], root[5];
	arca_id tc, tb, ta, troot;

	s->big_len = sizes[0] + sizes[1] + sizes[2];
	s->big = malloc(s->big_len);
	tu_fill_random(s->big, s->big_len, 42);
	for (int i = 0; i < 3; i++) {
		s->big_chunks[i] = tu_put_blob(f->r, s->big + off, sizes[i]);
		off += sizes[i];
	}
	s->run_chunk = tu_put_blob(f->r, run_sh, strlen(run_sh));
	s->deep_chunk = tu_put_blob(f->r, deep_txt, strlen(deep_txt));

	c[0] = tu_file("deep.txt", &s->deep_chunk, 1, strlen(deep_txt));
	tc = tu_put_tree(f->r, c, 1);
	b[0] = tu_dir("c", &tc);
	b[0].mtime_ns = T0 + 3;
	tb = tu_put_tree(f->r, b, 1);
	a[0] = tu_dir("b", &tb);
	ta = tu_put_tree(f->r, a, 1);

	root[0] = tu_file("big.bin", s->big_chunks, 3, s->big_len);
	root[0].mode = 0600;
	root[0].mtime_ns = T0 + 123456789;
	root[1] = tu_file("empty", NULL, 0, 0);
	root[2] = tu_file("run.sh", &s->run_chunk, 1, strlen(run_sh));
	root[2].mode = 0755;
	root[3] = tu_dir("a", &ta);
	root[3].mode = 0750;
	root[3].mtime_ns = T0 + 5;
	root[4] = tu_link("link", "a/b/c/deep.txt");
	root[4].mtime_ns = T0 + 7;
	troot = tu_put_tree(f->r, root, 5);
	s->snap = tu_put_snapshot(f->r, &troot);
}

static void check_sample(const char *out, const sample *s)
{
	char *p;
	char buf[64];
	ssize_t n;

	p = join(out, "big.bin");
	check_content(p, s->big, s->big_len);
	check_stat(p, S_IFREG, 0600, T0 + 123456789);
	free(p);
	p = join(out, "empty");
	check_content(p, "", 0);
	check_stat(p, S_IFREG, 0644, 1700000000LL * 1000000000LL);
	free(p);
	p = join(out, "run.sh");
	check_content(p, run_sh, strlen(run_sh));
	check_stat(p, S_IFREG, 0755, 1700000000LL * 1000000000LL);
	free(p);
	p = join(out, "a");
	check_stat(p, S_IFDIR, 0750, T0 + 5);
	free(p);
	p = join(out, "a/b/c");
	check_stat(p, S_IFDIR, 0755, T0 + 3);
	free(p);
	p = join(out, "a/b/c/deep.txt");
	check_content(p, deep_txt, strlen(deep_txt));
	free(p);
	p = join(out, "link");
	check_stat(p, S_IFLNK, 0, T0 + 7);
	n = readlink(p, buf, sizeof(buf));
	assert_int_equal(n, strlen("a/b/c/deep.txt"));
	assert_memory_equal(buf, "a/b/c/deep.txt", (size_t)n);
	free(p);
}

static void test_restore__round_trip(void **state)
{
	fx *f = *state;
	arca_error err = ARCA_ERROR_INIT;
	arca_restore_stats st;
	sample s;
	char *out = join(f->work, "new/out");

	make_sample(f, &s);
	if (restore_dir(f, &s.snap, NULL, out, 3, &st, &err) < 0)
		fail_msg("restore: %s", err.msg);
	check_sample(out, &s);
	assert_int_equal(st.files, 4);
	assert_int_equal(st.dirs, 3);
	assert_int_equal(st.symlinks, 1);
	assert_int_equal(st.bytes, s.big_len + strlen(run_sh) +
		strlen(deep_txt));
	/* Again into the same target: everything is replaced. */
	if (restore_dir(f, &s.snap, "", out, 1, &st, &err) < 0)
		fail_msg("second restore: %s", err.msg);
	check_sample(out, &s);
	free(out);
	free(s.big);
}

/* Many chunks of one file over many threads, and many small files. */
static void test_restore__many_chunks(void **state)
{
	fx *f = *state;
	arca_error err = ARCA_ERROR_INIT;
	arca_restore_stats st;
	enum { NCHUNK = 64, NSMALL = 300 };
	arca_id ids[NCHUNK], small[NSMALL];
	arca_node nodes[NSMALL + 1];
	char names[NSMALL][16];
	size_t len = 0, off = 0;
	unsigned char *data;
	arca_id tree, snap;
	char *out = join(f->work, "out");

	for (int i = 0; i < NCHUNK; i++)
		len += 1000 + (size_t)i * 997;
	data = malloc(len);
	tu_fill_random(data, len, 7);
	for (int i = 0; i < NCHUNK; i++) {
		size_t n = 1000 + (size_t)i * 997;
		ids[i] = tu_put_blob(f->r, data + off, n);
		off += n;
	}
	for (int i = 0; i < NSMALL; i++) {
		snprintf(names[i], sizeof(names[i]), "f%03d", i);
		small[i] = tu_put_blob(f->r, names[i], strlen(names[i]));
		nodes[i] = tu_file(names[i], &small[i], 1, strlen(names[i]));
	}
	nodes[NSMALL] = tu_file("big", ids, NCHUNK, len);
	tree = tu_put_tree(f->r, nodes, NSMALL + 1);
	snap = tu_put_snapshot(f->r, &tree);
	if (restore_dir(f, &snap, NULL, out, 8, &st, &err) < 0)
		fail_msg("restore: %s", err.msg);
	for (int i = 0; i < NSMALL; i++) {
		char *p = join(out, names[i]);
		check_content(p, names[i], strlen(names[i]));
		free(p);
	}
	{
		char *p = join(out, "big");
		check_content(p, data, len);
		free(p);
	}
	assert_int_equal(st.files, NSMALL + 1);
	free(data);
	free(out);
}

static void test_restore__subpath(void **state)
{
	fx *f = *state;
	arca_error err = ARCA_ERROR_INIT;
	arca_restore_stats st;
	sample s;
	char *out = join(f->work, "sub"), *p;
	char buf[64];

	make_sample(f, &s);
	/* A directory: its contents go into the target. */
	if (restore_dir(f, &s.snap, "/a/b/", out, 2, &st, &err) < 0)
		fail_msg("restore: %s", err.msg);
	assert_int_equal(count_entries(out), 1);
	p = join(out, "c/deep.txt");
	check_content(p, deep_txt, strlen(deep_txt));
	free(p);
	assert_int_equal(st.dirs, 1);
	assert_int_equal(st.files, 1);
	free(out);

	/* A file goes to target/NAME. */
	out = join(f->work, "one");
	if (restore_dir(f, &s.snap, "a/b/c/deep.txt", out, 2, &st,
		&err) < 0)
		fail_msg("restore: %s", err.msg);
	assert_int_equal(count_entries(out), 1);
	p = join(out, "deep.txt");
	check_content(p, deep_txt, strlen(deep_txt));
	free(p);
	free(out);

	/* So does a symlink. */
	out = join(f->work, "ln");
	if (restore_dir(f, &s.snap, "link", out, 0, &st, &err) < 0)
		fail_msg("restore: %s", err.msg);
	p = join(out, "link");
	assert_int_equal(readlink(p, buf, sizeof(buf)), 14);
	assert_int_equal(st.symlinks, 1);
	free(p);
	free(out);

	/* Not there: nothing is created. */
	out = join(f->work, "missing");
	assert_int_equal(restore_dir(f, &s.snap, "a/nope", out, 0, &st,
		&err), ARCA_ENOTFOUND);
	assert_non_null(strstr(err.msg, "a/nope"));
	assert_int_equal(restore_dir(f, &s.snap, "run.sh/x", out, 0, &st,
		&err), ARCA_ENOTFOUND);
	assert_false(exists(out));
	free(out);
	free(s.big);
}

/* --- hostile trees --- */

/* A fresh parent dir: restoring into parent/out must create nothing. */
static void expect_refused(fx *f, const arca_id *tree, const char *sub,
	const char *want)
{
	arca_error err = ARCA_ERROR_INIT;
	arca_restore_stats st;
	arca_id snap = tu_put_snapshot(f->r, tree);
	char *parent = tu_mkdtemp(), *out = join(parent, "out");
	char *tarpath = join(parent, "x.tar");
	struct stat sb;
	int fd;

	assert_int_equal(restore_dir(f, &snap, sub, out, 2, &st, &err),
		ARCA_EINVALID);
	if (!strstr(err.msg, "refusing to restore") ||
		(want && !strstr(err.msg, want)))
		fail_msg("unexpected message: %s (want '%s')", err.msg, want);
	assert_int_equal(count_entries(parent), 0);

	/* The same for tar: not a byte is written. */
	fd = open(tarpath, O_WRONLY | O_CREAT | O_EXCL, 0644);
	assert_true(fd >= 0);
	arca_error_clear(&err);
	assert_int_equal(arca_restore_tar(&st, f->r, &snap, sub, fd, NULL,
		&err), ARCA_EINVALID);
	assert_non_null(strstr(err.msg, "refusing to restore"));
	assert_int_equal(fstat(fd, &sb), 0);
	assert_int_equal(sb.st_size, 0);
	close(fd);
	free(out);
	free(tarpath);
	tu_rmtree(parent);
}

static void test_restore__refuses_dotdot(void **state)
{
	fx *f = *state;
	arca_id c = tu_put_blob(f->r, "evil", 4), t;
	arca_node n[1];

	n[0] = tu_file("..", &c, 1, 4);
	t = tu_put_tree(f->r, n, 1);
	expect_refused(f, &t, NULL, "entry name '..' would escape");
}

static void test_restore__refuses_dotdot_dir(void **state)
{
	fx *f = *state;
	arca_id c = tu_put_blob(f->r, "evil", 4), inner, t;
	arca_node x[1], d[1];

	/* "../x" inside a directory named "..". */
	x[0] = tu_file("../x", &c, 1, 4);
	inner = tu_put_tree(f->r, x, 1);
	d[0] = tu_dir("..", &inner);
	t = tu_put_tree(f->r, d, 1);
	expect_refused(f, &t, NULL, "'../../x': entry name '..'");
}

static void test_restore__refuses_nested_dotdot(void **state)
{
	fx *f = *state;
	arca_id c = tu_put_blob(f->r, "evil", 4), t1, t2, t3;
	arca_node x[1], d1[1], d2[1], ok[2];

	/* a/../../x, as an archive reader would record it. */
	x[0] = tu_file("x", &c, 1, 4);
	t1 = tu_put_tree(f->r, x, 1);
	d1[0] = tu_dir("..", &t1);
	t2 = tu_put_tree(f->r, d1, 1);
	d2[0] = tu_dir("..", &t2);
	t3 = tu_put_tree(f->r, d2, 1);
	ok[0] = tu_dir("a", &t3);
	ok[1] = tu_file("fine", &c, 1, 4);
	t1 = tu_put_tree(f->r, ok, 2);
	expect_refused(f, &t1, NULL,
		"refusing to restore 'a/../../x': entry name '..' would "
		"escape the target");
	/* Below a subpath too. */
	expect_refused(f, &t1, "a", "'a/../../x'");
}

static void test_restore__refuses_slash(void **state)
{
	fx *f = *state;
	arca_id c = tu_put_blob(f->r, "evil", 4), t;
	arca_node n[1];

	n[0] = tu_file("/", &c, 1, 4);
	t = tu_put_tree(f->r, n, 1);
	expect_refused(f, &t, NULL, "contains '/'");
	n[0] = tu_file("a/b", &c, 1, 4);
	t = tu_put_tree(f->r, n, 1);
	expect_refused(f, &t, NULL, "entry name 'a/b' contains '/'");
	n[0] = tu_file("/etc/evil", &c, 1, 4);
	t = tu_put_tree(f->r, n, 1);
	expect_refused(f, &t, NULL, "'/etc/evil'");
}

static void test_restore__refuses_empty_and_dot(void **state)
{
	fx *f = *state;
	arca_id c = tu_put_blob(f->r, "evil", 4), inner, t;
	arca_node n[1], x[1];

	n[0] = tu_file("", &c, 1, 4);
	t = tu_put_tree(f->r, n, 1);
	expect_refused(f, &t, NULL, "empty name");
	x[0] = tu_file("x", &c, 1, 4);
	inner = tu_put_tree(f->r, x, 1);
	n[0] = tu_dir(".", &inner);
	t = tu_put_tree(f->r, n, 1);
	expect_refused(f, &t, NULL, "entry name '.'");
}

static void test_restore__refuses_nul(void **state)
{
	fx *f = *state;
	arca_id c = tu_put_blob(f->r, "evil", 4), t;
	arca_node n[2];

	n[0] = tu_file("a", &c, 1, 4);
	n[0].name = (char *)"a\0/../x";
	n[0].name_len = 7;
	n[1] = tu_file("b", &c, 1, 4);
	t = tu_put_tree(f->r, n, 2);
	expect_refused(f, &t, NULL, "NUL");
	n[0] = tu_link("l", "x");
	n[0].target = (char *)"x\0y";
	n[0].target_len = 3;
	t = tu_put_tree(f->r, n, 2);
	expect_refused(f, &t, NULL, "NUL");
}

/* A symlink 'a' to outside, and a directory 'a' with a file under it. */
static void test_restore__refuses_duplicate(void **state)
{
	fx *f = *state;
	char *outside = join(f->work, "outside"), *p;
	arca_id c = tu_put_blob(f->r, "evil", 4), inner, t;
	arca_node n[2], x[1];

	assert_int_equal(mkdir(outside, 0755), 0);
	x[0] = tu_file("f", &c, 1, 4);
	inner = tu_put_tree(f->r, x, 1);
	n[0] = tu_link("a", outside);
	n[1] = tu_dir("a", &inner);
	t = tu_put_tree(f->r, n, 2);
	expect_refused(f, &t, NULL, "appears twice");
	p = join(outside, "f");
	assert_false(exists(p));
	free(p);
	/* Two files of the same name. */
	n[1] = tu_file("a", &c, 1, 4);
	n[0] = tu_file("a", &c, 1, 4);
	t = tu_put_tree(f->r, n, 2);
	expect_refused(f, &t, NULL, "appears twice");
	/* A subpath through a duplicated name. */
	n[0] = tu_link("a", outside);
	n[1] = tu_dir("a", &inner);
	t = tu_put_tree(f->r, n, 2);
	expect_refused(f, &t, "a/f", "appears twice");
	free(outside);
}

/* A symlink to an outside dir, then a file through it. */
static void test_restore__refuses_link_then_file(void **state)
{
	fx *f = *state;
	char *outside = tu_mkdtemp(), *p, *target;
	arca_id c = tu_put_blob(f->r, "evil", 4), t;
	arca_node n[2];

	target = strdup(outside);
	n[0] = tu_link("link", target);
	n[1] = tu_file("link/file", &c, 1, 4);
	t = tu_put_tree(f->r, n, 2);
	expect_refused(f, &t, NULL, "'link/file'");
	p = join(outside, "file");
	assert_false(exists(p));
	assert_int_equal(count_entries(outside), 0);
	free(p);
	free(target);
	tu_rmtree(outside);
}

/* --- what is already in the target --- */

static void test_restore__replaces_symlink(void **state)
{
	fx *f = *state;
	char *victim = join(f->work, "victim"), *vdir = join(f->work, "vdir");
	char *out = join(f->work, "out"), *p;
	arca_id c = tu_put_blob(f->r, "new", 3), inner, t, snap;
	arca_error err = ARCA_ERROR_INIT;
	arca_restore_stats st;
	arca_node n[3], x[1];

	write_file(victim, "victim", 6);
	assert_int_equal(mkdir(vdir, 0755), 0);
	assert_int_equal(mkdir(out, 0755), 0);
	p = join(out, "f");
	assert_int_equal(symlink(victim, p), 0);
	free(p);
	p = join(out, "d");
	assert_int_equal(symlink(vdir, p), 0);
	free(p);
	p = join(out, "g"); /* a longer regular file */
	write_file(p, "old old old", 11);
	free(p);

	x[0] = tu_file("x", &c, 1, 3);
	inner = tu_put_tree(f->r, x, 1);
	n[0] = tu_file("f", &c, 1, 3);
	n[1] = tu_dir("d", &inner);
	n[2] = tu_file("g", &c, 1, 3);
	t = tu_put_tree(f->r, n, 3);
	snap = tu_put_snapshot(f->r, &t);
	if (restore_dir(f, &snap, NULL, out, 2, &st, &err) < 0)
		fail_msg("restore: %s", err.msg);

	check_content(victim, "victim", 6);
	assert_int_equal(count_entries(vdir), 0);
	p = join(out, "f");
	check_stat(p, S_IFREG, 0644, 1700000000LL * 1000000000LL);
	check_content(p, "new", 3);
	free(p);
	p = join(out, "d");
	check_stat(p, S_IFDIR, 0755, 1700000000LL * 1000000000LL);
	free(p);
	p = join(out, "d/x");
	check_content(p, "new", 3);
	free(p);
	p = join(out, "g");
	check_content(p, "new", 3);
	free(p);
	free(victim);
	free(vdir);
	free(out);
}

/* --- corrupt content --- */

static void overwrite_object(fx *f, const arca_id *id, const char *other)
{
	arca_error err = ARCA_ERROR_INIT;
	arca_buf frame = ARCA_BUF_INIT;
	char key[ARCA_KEY_MAX], *path, *rel;

	arca_repo__object_key(key, id);
	if (asprintf(&rel, "repo/%s", key) < 0)
		fail_msg("asprintf");
	path = join(f->dir, rel);
	assert_int_equal(arca_repo__object_encode(&frame, other,
		strlen(other), 3, NULL, &err), 0);
	assert_int_equal(unlink(path), 0);
	write_file(path, frame.data, frame.len);
	arca_buf_dispose(&frame);
	free(rel);
	free(path);
}

/* 1 if path reads as a whole tar stream (all data and the end marker). */
static int tar_is_complete(const char *path)
{
	struct archive *a = archive_read_new();
	struct archive_entry *e;
	char buf[65536];
	la_ssize_t n;
	int rc;

	archive_read_support_format_tar(a);
	if (archive_read_open_filename(a, path, 10240) != ARCHIVE_OK) {
		archive_read_free(a);
		return 0;
	}
	while ((rc = archive_read_next_header(a, &e)) == ARCHIVE_OK) {
		while ((n = archive_read_data(a, buf, sizeof(buf))) > 0)
			;
		if (n < 0)
			break;
	}
	archive_read_free(a);
	return rc == ARCHIVE_EOF;
}

static void test_restore__corrupt_chunk(void **state)
{
	fx *f = *state;
	unsigned char big[200000];
	arca_id ids[3], t, snap;
	arca_error err = ARCA_ERROR_INIT;
	arca_restore_stats st;
	char hex[ARCA_ID_HEXSZ + 1], *out = join(f->work, "out");
	char *tarpath = join(f->work, "c.tar");
	arca_node n[1];
	int fd;

	tu_fill_random(big, sizeof(big), 3);
	ids[0] = tu_put_blob(f->r, big, 100000);
	ids[1] = tu_put_blob(f->r, big + 100000, 50000);
	ids[2] = tu_put_blob(f->r, big + 150000, 50000);
	n[0] = tu_file("data.bin", ids, 3, sizeof(big));
	t = tu_put_tree(f->r, n, 1);
	snap = tu_put_snapshot(f->r, &t);
	overwrite_object(f, &ids[1], "something else entirely");

	assert_int_equal(restore_dir(f, &snap, NULL, out, 2, &st, &err),
		ARCA_ECORRUPT);
	arca_id_hex(hex, &ids[1]);
	if (!strstr(err.msg, hex) || !strstr(err.msg, "data.bin"))
		fail_msg("message should name object and file: %s", err.msg);

	fd = open(tarpath, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	arca_error_clear(&err);
	assert_int_equal(arca_restore_tar(&st, f->r, &snap, NULL, fd, NULL,
		&err), ARCA_ECORRUPT);
	assert_non_null(strstr(err.msg, hex));
	close(fd);
	assert_false(tar_is_complete(tarpath));
	free(tarpath);
	free(out);
}

static void test_restore__size_mismatch(void **state)
{
	fx *f = *state;
	arca_id c = tu_put_blob(f->r, "12345", 5), t, snap;
	arca_error err = ARCA_ERROR_INIT;
	arca_restore_stats st;
	char *out = join(f->work, "out");
	arca_node n[1];

	n[0] = tu_file("short", &c, 1, 10);
	t = tu_put_tree(f->r, n, 1);
	snap = tu_put_snapshot(f->r, &t);
	assert_int_equal(restore_dir(f, &snap, NULL, out, 2, &st, &err),
		ARCA_ECORRUPT);
	assert_non_null(strstr(err.msg, "short"));
	n[0] = tu_file("long", &c, 1, 3);
	t = tu_put_tree(f->r, n, 1);
	snap = tu_put_snapshot(f->r, &t);
	assert_int_equal(restore_dir(f, &snap, NULL, out, 2, &st, &err),
		ARCA_ECORRUPT);
	n[0] = tu_file("nochunks", NULL, 0, 3);
	t = tu_put_tree(f->r, n, 1);
	snap = tu_put_snapshot(f->r, &t);
	assert_int_equal(restore_dir(f, &snap, NULL, out, 2, &st, &err),
		ARCA_ECORRUPT);
	free(out);
}

static void test_restore__missing_chunk(void **state)
{
	fx *f = *state;
	arca_id c, t, snap;
	arca_error err = ARCA_ERROR_INIT;
	arca_restore_stats st;
	char *out = join(f->work, "out");
	arca_node n[1];

	memset(&c, 0xab, sizeof(c));
	n[0] = tu_file("gone", &c, 1, 3);
	t = tu_put_tree(f->r, n, 1);
	snap = tu_put_snapshot(f->r, &t);
	assert_int_equal(restore_dir(f, &snap, NULL, out, 2, &st, &err),
		ARCA_ENOTFOUND);
	assert_non_null(strstr(err.msg, "missing"));
	assert_non_null(strstr(err.msg, "gone"));
	free(out);
}

/* --- progress --- */

typedef struct prog {
	pthread_t self;
	int calls, other_thread;
	uint64_t files, bytes;
} prog;

static void on_progress(uint64_t files, uint64_t bytes, void *payload)
{
	prog *p = payload;

	p->calls++;
	if (!pthread_equal(p->self, pthread_self()))
		p->other_thread = 1;
	p->files = files;
	p->bytes = bytes;
}

static void test_restore__progress(void **state)
{
	fx *f = *state;
	arca_restore_opts o = ARCA_RESTORE_OPTS_INIT;
	arca_error err = ARCA_ERROR_INIT;
	arca_restore_stats st;
	prog p = { pthread_self(), 0, 0, 0, 0 };
	char *out = join(f->work, "out");
	sample s;

	make_sample(f, &s);
	o.threads = 2;
	o.progress = on_progress;
	o.payload = &p;
	if (arca_restore_dir(&st, f->r, &s.snap, NULL, out, &o, &err) < 0)
		fail_msg("restore: %s", err.msg);
	assert_true(p.calls >= 1);
	assert_false(p.other_thread);
	assert_int_equal(p.files, st.files);
	assert_int_equal(p.bytes, st.bytes);
	free(out);
	free(s.big);
}

/* --- tar --- */

typedef struct tar_want {
	const char *name;
	mode_t type;
	uint32_t mode;
	int64_t mtime_ns;
	const void *data;
	size_t len;
	const char *link;
} tar_want;

static void check_tar(const char *path, const tar_want *w, size_t n)
{
	struct archive *a = archive_read_new();
	struct archive_entry *e;
	size_t i = 0;

	archive_read_support_format_tar(a);
	if (archive_read_open_filename(a, path, 10240) != ARCHIVE_OK)
		fail_msg("open %s: %s", path, archive_error_string(a));
	while (archive_read_next_header(a, &e) == ARCHIVE_OK) {
		const char *name = archive_entry_pathname(e);
		size_t nl = strlen(name);
		int64_t mt = (int64_t)archive_entry_mtime(e) * 1000000000 +
			archive_entry_mtime_nsec(e);
		assert_true(i < n);
		if (nl && name[nl - 1] == '/')
			nl--;
		if (nl != strlen(w[i].name) || memcmp(name, w[i].name, nl))
			fail_msg("entry %zu is '%s', want '%s'", i, name,
				w[i].name);
		assert_int_equal(archive_entry_filetype(e), w[i].type);
		if (w[i].type != AE_IFLNK)
			assert_int_equal(archive_entry_perm(e), w[i].mode);
		assert_int_equal(mt, w[i].mtime_ns);
		if (w[i].type == AE_IFREG) {
			char *buf = malloc(w[i].len + 1);
			assert_int_equal(archive_entry_size(e), w[i].len);
			assert_int_equal(archive_read_data(a, buf,
				w[i].len + 1), w[i].len);
			assert_memory_equal(buf, w[i].data, w[i].len);
			free(buf);
		}
		if (w[i].link)
			assert_string_equal(archive_entry_symlink(e),
				w[i].link);
		i++;
	}
	assert_int_equal(i, n);
	archive_read_free(a);
}

static void test_restore__tar(void **state)
{
	fx *f = *state;
	arca_restore_opts o = ARCA_RESTORE_OPTS_INIT;
	arca_error err = ARCA_ERROR_INIT;
	arca_restore_stats st;
	char *path = join(f->work, "out.tar");
	int64_t d = 1700000000LL * 1000000000LL;
	sample s;
	int fd;

	make_sample(f, &s);
	{
		tar_want w[] = {
			{ "a", AE_IFDIR, 0750, T0 + 5, NULL, 0, NULL },
			{ "a/b", AE_IFDIR, 0755, d, NULL, 0, NULL },
			{ "a/b/c", AE_IFDIR, 0755, T0 + 3, NULL, 0, NULL },
			{ "a/b/c/deep.txt", AE_IFREG, 0644, d, deep_txt,
			  strlen(deep_txt), NULL },
			{ "big.bin", AE_IFREG, 0600, T0 + 123456789, s.big,
			  s.big_len, NULL },
			{ "empty", AE_IFREG, 0644, d, "", 0, NULL },
			{ "link", AE_IFLNK, 0777, T0 + 7, NULL, 0,
			  "a/b/c/deep.txt" },
			{ "run.sh", AE_IFREG, 0755, d, run_sh, strlen(run_sh),
			  NULL },
		};
		o.threads = 3;
		fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
		if (arca_restore_tar(&st, f->r, &s.snap, NULL, fd, &o,
			&err) < 0)
			fail_msg("tar: %s", err.msg);
		close(fd);
		check_tar(path, w, sizeof(w) / sizeof(w[0]));
		assert_true(tar_is_complete(path));
		assert_int_equal(st.files, 4);
		assert_int_equal(st.dirs, 3);
		assert_int_equal(st.symlinks, 1);
	}
	{
		/* A subpath: names relative to it; a file keeps its name. */
		tar_want w[] = {
			{ "c", AE_IFDIR, 0755, T0 + 3, NULL, 0, NULL },
			{ "c/deep.txt", AE_IFREG, 0644, d, deep_txt,
			  strlen(deep_txt), NULL },
		};
		tar_want w1[] = {
			{ "big.bin", AE_IFREG, 0600, T0 + 123456789, s.big,
			  s.big_len, NULL },
		};
		fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
		if (arca_restore_tar(&st, f->r, &s.snap, "a/b", fd, NULL,
			&err) < 0)
			fail_msg("tar: %s", err.msg);
		close(fd);
		check_tar(path, w, 2);
		fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
		if (arca_restore_tar(&st, f->r, &s.snap, "big.bin", fd, &o,
			&err) < 0)
			fail_msg("tar: %s", err.msg);
		close(fd);
		check_tar(path, w1, 1);
	}
	free(path);
	free(s.big);
}

/* Many files and chunks through a small ring. */
static void test_restore__tar_many(void **state)
{
	fx *f = *state;
	arca_restore_opts o = ARCA_RESTORE_OPTS_INIT;
	arca_error err = ARCA_ERROR_INIT;
	arca_restore_stats st;
	enum { N = 2000 };
	static arca_id ids[N];
	static arca_node nodes[N];
	static char names[N][16];
	char *path = join(f->work, "many.tar");
	struct archive *a;
	struct archive_entry *e;
	arca_id t, snap;
	int fd, i = 0;

	for (int k = 0; k < N; k++) {
		snprintf(names[k], sizeof(names[k]), "n%05d", k);
		ids[k] = tu_put_blob(f->r, names[k], strlen(names[k]));
	}
	for (int k = 0; k < N; k++)
		nodes[k] = tu_file(names[k], ids, (size_t)k % 7,
			6 * ((size_t)k % 7));
	t = tu_put_tree(f->r, nodes, N);
	snap = tu_put_snapshot(f->r, &t);
	o.threads = 2;
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (arca_restore_tar(&st, f->r, &snap, NULL, fd, &o, &err) < 0)
		fail_msg("tar: %s", err.msg);
	close(fd);
	a = archive_read_new();
	archive_read_support_format_tar(a);
	assert_int_equal(archive_read_open_filename(a, path, 10240), 0);
	while (archive_read_next_header(a, &e) == ARCHIVE_OK) {
		char buf[64] = { 0 }, want[64] = { 0 };
		int k = (int)strtol(archive_entry_pathname(e) + 1, NULL,
			10);
		for (int j = 0; j < k % 7; j++)
			memcpy(want + 6 * j, names[j], 6);
		assert_int_equal(archive_read_data(a, buf, sizeof(buf)),
			6 * (k % 7));
		assert_string_equal(buf, want);
		i++;
	}
	assert_int_equal(i, N);
	archive_read_free(a);
	free(path);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(name) cmocka_unit_test_setup_teardown(test_restore__##name, \
	setup, teardown)
		T(round_trip),
		T(many_chunks),
		T(subpath),
		T(refuses_dotdot),
		T(refuses_dotdot_dir),
		T(refuses_nested_dotdot),
		T(refuses_slash),
		T(refuses_empty_and_dot),
		T(refuses_nul),
		T(refuses_duplicate),
		T(refuses_link_then_file),
		T(replaces_symlink),
		T(corrupt_chunk),
		T(size_mismatch),
		T(missing_chunk),
		T(progress),
		T(tar),
		T(tar_many),
#undef T
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
