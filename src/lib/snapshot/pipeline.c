#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <zstd.h>
#include "snapshot/pipeline.h"

typedef struct job {
	arca_id id;
	unsigned char *buf;
	size_t len;
} job;

struct arca_pipeline {
	arca_repo *r;
	pthread_mutex_t mu;
	pthread_cond_t has_job, has_buf, idle;
	unsigned char **free_bufs; /* stack */
	size_t nfree, nbuf, bufsize, allocated;
	job *jobs;                 /* ring of nbuf */
	size_t head, count, busy;
	int stop, failed;
	arca_error err;            /* the first worker error */
	arca_pipeline_stats st;
	pthread_t *threads;
	int nthreads;
};

static void *worker(void *arg)
{
	arca_pipeline *p = arg;
	ZSTD_CCtx *cctx = ZSTD_createCCtx();
	arca_buf frame = ARCA_BUF_INIT;
	arca_error err = ARCA_ERROR_INIT;

	for (;;) {
		uint64_t stored = 0;
		job j;
		int rc;

		pthread_mutex_lock(&p->mu);
		while (!p->count && !p->stop)
			pthread_cond_wait(&p->has_job, &p->mu);
		if (!p->count) {
			pthread_mutex_unlock(&p->mu);
			break;
		}
		j = p->jobs[p->head];
		p->head = (p->head + 1) % p->nbuf;
		p->count--;
		p->busy++;
		pthread_mutex_unlock(&p->mu);

		rc = !cctx ? arca_error_set(&err, ARCA_ERROR, "out of memory") :
			arca_repo__object_write(p->r, &stored, &j.id, j.buf,
				j.len, ARCA_REPO_PUT_DEFER |
				ARCA_REPO_PUT_IF_ABSENT, cctx, &frame, &err);

		pthread_mutex_lock(&p->mu);
		p->free_bufs[p->nfree++] = j.buf;
		p->busy--;
		if (rc < 0 && !p->failed) {
			p->failed = 1;
			p->err = err;
		} else if (rc == 0) {
			p->st.objects++;
			p->st.bytes += j.len;
			p->st.stored += stored;
		}
		pthread_cond_signal(&p->has_buf);
		if (!p->count && !p->busy)
			pthread_cond_broadcast(&p->idle);
		pthread_mutex_unlock(&p->mu);
	}
	arca_buf_dispose(&frame);
	ZSTD_freeCCtx(cctx);
	return NULL;
}

int arca_pipeline_new(arca_pipeline **out, arca_repo *r, int threads,
	size_t bufsize, arca_error *err)
{
	arca_pipeline *p = calloc(1, sizeof(*p));

	if (!p)
		return arca_error_set(err, ARCA_ERROR, "out of memory");
	p->r = r;
	p->nthreads = threads < 1 ? 1 : threads;
	/* Enough buffers to keep every worker busy while the walker fills
	 * the next ones. */
	p->nbuf = (size_t)p->nthreads * 4 + 2;
	p->bufsize = bufsize;
	p->free_bufs = calloc(p->nbuf, sizeof(*p->free_bufs));
	p->jobs = calloc(p->nbuf, sizeof(*p->jobs));
	p->threads = calloc((size_t)p->nthreads, sizeof(*p->threads));
	if (!p->free_bufs || !p->jobs || !p->threads)
		goto oom;
	pthread_mutex_init(&p->mu, NULL);
	pthread_cond_init(&p->has_job, NULL);
	pthread_cond_init(&p->has_buf, NULL);
	pthread_cond_init(&p->idle, NULL);
	for (int i = 0; i < p->nthreads; i++)
		if (pthread_create(&p->threads[i], NULL, worker, p)) {
			p->nthreads = i;
			arca_pipeline_free(p);
			return arca_error_set(err, ARCA_ERROR,
				"cannot start worker threads");
		}
	*out = p;
	return 0;
oom:
	free(p->free_bufs);
	free(p->jobs);
	free(p->threads);
	free(p);
	return arca_error_set(err, ARCA_ERROR, "out of memory");
}

unsigned char *arca_pipeline_buffer(arca_pipeline *p)
{
	unsigned char *b = NULL;

	pthread_mutex_lock(&p->mu);
	/* Buffers are made on first need, so small runs stay small. */
	if (!p->nfree && p->allocated < p->nbuf) {
		if ((b = malloc(p->bufsize)))
			p->allocated++;
	}
	while (!b && !p->nfree)
		pthread_cond_wait(&p->has_buf, &p->mu);
	if (!b)
		b = p->free_bufs[--p->nfree];
	pthread_mutex_unlock(&p->mu);
	return b;
}

void arca_pipeline_release(arca_pipeline *p, unsigned char *buf)
{
	pthread_mutex_lock(&p->mu);
	p->free_bufs[p->nfree++] = buf;
	pthread_cond_signal(&p->has_buf);
	pthread_mutex_unlock(&p->mu);
}

int arca_pipeline_submit(arca_pipeline *p, const arca_id *id,
	unsigned char *buf, size_t len, arca_error *err)
{
	int rc = 0;

	pthread_mutex_lock(&p->mu);
	if (p->failed) {
		p->free_bufs[p->nfree++] = buf;
		if (err)
			*err = p->err;
		rc = p->err.code ? p->err.code : ARCA_ERROR;
	} else {
		/* At most nbuf buffers exist, so the ring never overflows. */
		job *j = &p->jobs[(p->head + p->count) % p->nbuf];
		j->id = *id;
		j->buf = buf;
		j->len = len;
		p->count++;
		pthread_cond_signal(&p->has_job);
	}
	pthread_mutex_unlock(&p->mu);
	return rc;
}

int arca_pipeline_wait(arca_pipeline *p, arca_error *err)
{
	int rc = 0;

	pthread_mutex_lock(&p->mu);
	while (p->count || p->busy)
		pthread_cond_wait(&p->idle, &p->mu);
	if (p->failed) {
		if (err)
			*err = p->err;
		rc = p->err.code ? p->err.code : ARCA_ERROR;
	}
	pthread_mutex_unlock(&p->mu);
	return rc;
}

void arca_pipeline_stats_get(arca_pipeline *p, arca_pipeline_stats *st)
{
	pthread_mutex_lock(&p->mu);
	*st = p->st;
	pthread_mutex_unlock(&p->mu);
}

void arca_pipeline_free(arca_pipeline *p)
{
	if (!p)
		return;
	pthread_mutex_lock(&p->mu);
	p->stop = 1;
	pthread_cond_broadcast(&p->has_job);
	pthread_mutex_unlock(&p->mu);
	for (int i = 0; i < p->nthreads; i++)
		pthread_join(p->threads[i], NULL);
	for (size_t i = 0; i < p->nfree; i++)
		free(p->free_bufs[i]);
	pthread_mutex_destroy(&p->mu);
	pthread_cond_destroy(&p->has_job);
	pthread_cond_destroy(&p->has_buf);
	pthread_cond_destroy(&p->idle);
	free(p->free_bufs);
	free(p->jobs);
	free(p->threads);
	free(p);
}
