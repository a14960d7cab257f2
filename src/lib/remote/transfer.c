/*
 * Transfers between two copies of one repository (push, pull): list both
 * sides, select what to copy, copy the objects the destination lacks with
 * a pool of workers (transfer_pool.c), make them durable, then write the
 * records whose objects all got there and the refs whose records are
 * there (transfer_write.c). A transfer killed at any instant leaves the
 * destination consistent; running it again completes it.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "remote/transfer.h"

#define DEFAULT_PARALLEL 8
#define MAX_PARALLEL 256
#define CONFIG_MAX (1u << 20)

static int parallel(const arca_transfer_opts *o)
{
	const char *v = getenv("ARCA_S3_PARALLEL");
	char *end;
	long n;

	if (o->parallel > 0)
		return o->parallel > MAX_PARALLEL ? MAX_PARALLEL : o->parallel;
	if (v && *v) {
		n = strtol(v, &end, 10);
		if (!*end && n > 0)
			return n > MAX_PARALLEL ? MAX_PARALLEL : (int)n;
	}
	return DEFAULT_PARALLEL;
}

/* "remote 'origin' (s3://b/p)" or "the local repository '/x'". */
static void side_name(char *out, size_t size, arca_repo *r, int remote,
	const arca_transfer_opts *o)
{
	const char *url = arca_repo_url(r);

	if (!remote)
		snprintf(out, size, "the local repository '%s'", url);
	else if (o->remote && strcmp(o->remote, url))
		snprintf(out, size, "remote '%s' (%s)", o->remote, url);
	else
		snprintf(out, size, "remote '%s'", url);
}

static int same_repository(arca_repo *dst, arca_repo *src,
	const arca_transfer_opts *o, arca_error *err)
{
	arca_repo *remote = o->pull ? src : dst, *local = o->pull ? dst : src;
	char name[300];

	if (!strcmp(arca_repo_id(dst), arca_repo_id(src)))
		return 0;
	side_name(name, sizeof(name), remote, 1, o);
	return arca_error_set(err, ARCA_EINVALID, "%s holds repository %s, "
		"this is %s: push and pull copy only between copies of one "
		"repository", name, arca_repo_id(remote), arca_repo_id(local));
}

int arca_transfer_open(arca_repo **dst, const char *url,
	const arca_store_opts *so, arca_repo *src, const arca_transfer_opts *o,
	arca_error *err)
{
	arca_transfer_opts defaults = ARCA_TRANSFER_OPTS_INIT;
	arca_buf cfg = ARCA_BUF_INIT;
	arca_repo *r = NULL;
	int rc;

	if (!o)
		o = &defaults;
	rc = arca_repo_open_with(&r, url, so, err);
	if (rc == ARCA_ENOTFOUND) {
		/* A new copy: the source's config first, like a clone. */
		arca_error_clear(err);
		if ((rc = arca_repo__key_get(src, &cfg, ARCA_KEY_CONFIG,
			CONFIG_MAX, err)) < 0)
			goto done;
		rc = arca_repo__config_create(url, so, cfg.data, cfg.len, err);
		if (rc < 0 && rc != ARCA_EEXISTS)
			goto done;
		arca_error_clear(err);
		rc = arca_repo_open_with(&r, url, so, err);
	}
	if (rc < 0)
		goto done;
	if ((rc = same_repository(r, src, o, err)) < 0) {
		arca_repo_free(r);
		goto done;
	}
	*dst = r;
done:
	arca_buf_dispose(&cfg);
	return rc;
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Objects of the source that nothing selected reached (everything mode:
 * unreferenced ones) and that the destination lacks. */
static int queue_missing(xfer *x, arca_error *err)
{
	int rc = 0;

	pthread_mutex_lock(&x->lock);
	for (size_t i = 0; i < x->nmissing && rc == 0; i++) {
		xnode *n = xfer__node(x, &x->missing[i]);
		if (!n || xfer__want(x, n, 0) < 0)
			rc = arca_error_set(err, ARCA_ERROR, "out of memory");
	}
	pthread_mutex_unlock(&x->lock);
	return rc;
}

static int run(xfer *x, const char *const *refs, size_t nrefs,
	arca_error *err)
{
	arca_error e = ARCA_ERROR_INIT;
	int rc;

	if ((rc = xfer__list(x, err)) < 0 ||
		(rc = xfer__select(x, refs, nrefs, err)) < 0)
		return rc;
	rc = xfer__run_pool(x);
	if (rc == 0 && x->everything && (rc = queue_missing(x, err)) == 0)
		rc = xfer__run_pool(x);
	if (rc < 0) {
		/* Keep what was copied for the next run. */
		arca_repo__flush(x->dst, NULL);
		return rc;
	}
	if ((rc = arca_repo__flush(x->dst, &e)) < 0) {
		*err = e;
		return arca_error_prefix(err, "%s", x->dst_name);
	}
	return xfer__write(x, err);
}

int arca_transfer(arca_repo *dst, arca_repo *src, const char *const *refs,
	size_t nrefs, const arca_transfer_opts *o, arca_transfer_stats *st,
	arca_error *err)
{
	arca_transfer_opts defaults = ARCA_TRANSFER_OPTS_INIT;
	arca_transfer_stats stats;
	arca_error e = ARCA_ERROR_INIT;
	int locked_src = 0, locked_dst = 0, rc;
	double start = now_s();
	xfer *x;

	if (!o)
		o = &defaults;
	memset(&stats, 0, sizeof(stats));
	if (!err)
		err = &e;
	if ((rc = same_repository(dst, src, o, err)) < 0)
		goto out;
	if (!(x = calloc(1, sizeof(*x)))) {
		rc = arca_error_set(err, ARCA_ERROR, "out of memory");
		goto out;
	}
	x->src = src;
	x->dst = dst;
	x->o = o;
	x->st = &stats;
	x->err = err;
	x->everything = nrefs == 0;
	x->threads = parallel(o);
	side_name(x->src_name, sizeof(x->src_name), src, o->pull, o);
	side_name(x->dst_name, sizeof(x->dst_name), dst, !o->pull, o);
	pthread_mutex_init(&x->lock, NULL);
	pthread_cond_init(&x->cond, NULL);
	pthread_cond_init(&x->idle, NULL);
	if (!src->lock_key) {
		if ((rc = arca_repo_lock(src, 0, err)) < 0)
			goto done;
		locked_src = 1;
	}
	if (!dst->lock_key) {
		if ((rc = arca_repo_lock(dst, 0, err)) < 0)
			goto done;
		locked_dst = 1;
	}
	rc = run(x, refs, nrefs, err);
done:
	if (locked_dst)
		arca_repo_unlock(dst, NULL);
	if (locked_src)
		arca_repo_unlock(src, NULL);
	xfer__graph_dispose(x);
	xfer__lists_dispose(x);
	pthread_cond_destroy(&x->idle);
	pthread_cond_destroy(&x->cond);
	pthread_mutex_destroy(&x->lock);
	stats.objects = atomic_load(&x->done);
	stats.bytes = atomic_load(&x->bytes);
	free(x);
out:
	stats.seconds = now_s() - start;
	if (st)
		*st = stats;
	return rc;
}
