/*
 * A scripted HTTP/1.1 server on a loopback port for fault injection: a
 * thread answers each request through a callback (status, headers, body,
 * or dropping the connection without an answer). Requests are counted.
 */
#ifndef ARCA_TEST_S3FAULT_H
#define ARCA_TEST_S3FAULT_H

#include <pthread.h>
#include <stddef.h>

typedef struct ut_s3fault_req {
	char method[16];
	char target[2048]; /* path and query, as sent */
	char *body;        /* NUL-terminated */
	size_t body_len;
	int n;             /* 0-based index of this request */
} ut_s3fault_req;

typedef struct ut_s3fault_resp {
	int status;           /* 0: close the connection, no answer */
	char headers[512];    /* extra "Name: value\r\n" lines */
	char body[8192];
	size_t body_len;      /* SIZE_MAX: strlen(body) */
	int no_body;          /* a HEAD answer: Content-Length only */
	size_t length;        /* with no_body: the Content-Length sent */
} ut_s3fault_resp;

typedef void (*ut_s3fault_fn)(const ut_s3fault_req *req,
	ut_s3fault_resp *resp, void *payload);

typedef struct ut_s3fault {
	int fd;
	int port;
	char endpoint[64];
	pthread_t thread;
	pthread_mutex_t lock;
	ut_s3fault_fn fn;
	void *payload;
	int nreq;
	int active; /* connection threads */
	volatile int stop;
} ut_s3fault;

/* 0 or -1. */
int ut_s3fault_start(ut_s3fault *f, ut_s3fault_fn fn, void *payload);
void ut_s3fault_stop(ut_s3fault *f);
int ut_s3fault_count(ut_s3fault *f);

#endif
