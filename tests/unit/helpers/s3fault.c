/* The scripted fault-injection HTTP server (s3fault.h). */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>
#include "s3fault.h"

static int send_all(int fd, const char *p, size_t n)
{
	while (n) {
		ssize_t w = send(fd, p, n, MSG_NOSIGNAL);

		if (w <= 0)
			return -1;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

/* Reads one request from fd into req (buf holds leftovers). 0, or -1
 * when the connection ended. */
/* recv that gives up when the server stops. */
static ssize_t recv_wait(ut_s3fault *f, int fd, char *p, size_t n)
{
	struct pollfd pf = { fd, POLLIN, 0 };

	while (!f->stop)
		if (poll(&pf, 1, 100) > 0)
			return recv(fd, p, n, 0);
	return -1;
}

static int read_request(ut_s3fault *f, int fd, char *buf, size_t *have,
	size_t cap, ut_s3fault_req *req)
{
	char *end, *cl;
	size_t hlen, blen = 0;
	ssize_t n;

	while (!(end = memmem(buf, *have, "\r\n\r\n", 4))) {
		if (*have == cap)
			return -1;
		if ((n = recv_wait(f, fd, buf + *have, cap - *have)) <= 0)
			return -1;
		*have += (size_t)n;
	}
	hlen = (size_t)(end - buf) + 4;
	*end = '\0';
	if (sscanf(buf, "%15s %2047s", req->method, req->target) != 2)
		return -1;
	for (cl = buf; (cl = strcasestr(cl, "\r\ncontent-length:")); cl++)
		blen = strtoul(cl + 17, NULL, 10);
	req->body = malloc(blen + 1);
	if (!req->body)
		return -1;
	req->body_len = blen;
	{
		size_t got = *have - hlen < blen ? *have - hlen : blen;

		memcpy(req->body, buf + hlen, got);
		memmove(buf, buf + hlen + got, *have - hlen - got);
		*have -= hlen + got;
		while (got < blen) {
			if ((n = recv_wait(f, fd, req->body + got,
					blen - got)) <= 0)
				return -1;
			got += (size_t)n;
		}
	}
	req->body[blen] = '\0';
	return 0;
}

static void serve(ut_s3fault *f, int fd)
{
	char *buf = malloc(1 << 16);
	size_t have = 0;
	ut_s3fault_req req;
	ut_s3fault_resp resp;
	char head[1024];

	for (;;) {
		memset(&req, 0, sizeof(req));
		if (read_request(f, fd, buf, &have, 1 << 16, &req) < 0) {
			free(req.body);
			break;
		}
		pthread_mutex_lock(&f->lock);
		req.n = f->nreq++;
		pthread_mutex_unlock(&f->lock);
		memset(&resp, 0, sizeof(resp));
		resp.body_len = SIZE_MAX;
		f->fn(&req, &resp, f->payload);
		free(req.body);
		if (!resp.status)
			break; /* drop: the client sees a reset / no reply */
		if (resp.body_len == SIZE_MAX)
			resp.body_len = strlen(resp.body);
		snprintf(head, sizeof(head), "HTTP/1.1 %d X\r\n%s"
			"Content-Length: %zu\r\n\r\n", resp.status,
			resp.headers, resp.no_body ? resp.length :
			resp.body_len);
		if (send_all(fd, head, strlen(head)) < 0 ||
		    (!resp.no_body && strcmp(req.method, "HEAD") &&
		     send_all(fd, resp.body, resp.body_len) < 0))
			break;
	}
	free(buf);
}

typedef struct conn {
	ut_s3fault *f;
	int fd;
} conn;

/* One thread per connection: clients may hold several at once. */
static void *conn_main(void *arg)
{
	conn *c = arg;

	serve(c->f, c->fd);
	close(c->fd);
	pthread_mutex_lock(&c->f->lock);
	c->f->active--;
	pthread_mutex_unlock(&c->f->lock);
	free(c);
	return NULL;
}

static void *loop(void *arg)
{
	ut_s3fault *f = arg;
	struct pollfd p = { f->fd, POLLIN, 0 };
	pthread_t t;
	conn *cn;
	int c;

	while (!f->stop) {
		if (poll(&p, 1, 100) <= 0)
			continue;
		if ((c = accept(f->fd, NULL, NULL)) < 0)
			continue;
		if (!(cn = malloc(sizeof(*cn)))) {
			close(c);
			continue;
		}
		*cn = (conn){ f, c };
		pthread_mutex_lock(&f->lock);
		f->active++;
		pthread_mutex_unlock(&f->lock);
		if (pthread_create(&t, NULL, conn_main, cn)) {
			conn_main(cn);
			continue;
		}
		pthread_detach(t);
	}
	return NULL;
}

int ut_s3fault_start(ut_s3fault *f, ut_s3fault_fn fn, void *payload)
{
	struct sockaddr_in a = { 0 };
	socklen_t len = sizeof(a);

	memset(f, 0, sizeof(*f));
	f->fn = fn;
	f->payload = payload;
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if ((f->fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0 ||
	    bind(f->fd, (struct sockaddr *)&a, sizeof(a)) < 0 ||
	    listen(f->fd, 16) < 0 ||
	    getsockname(f->fd, (struct sockaddr *)&a, &len) < 0)
		return -1;
	f->port = ntohs(a.sin_port);
	snprintf(f->endpoint, sizeof(f->endpoint), "http://127.0.0.1:%d",
		f->port);
	pthread_mutex_init(&f->lock, NULL);
	return pthread_create(&f->thread, NULL, loop, f) ? -1 : 0;
}

void ut_s3fault_stop(ut_s3fault *f)
{
	f->stop = 1;
	pthread_join(f->thread, NULL);
	for (int i = 0; i < 100; i++) {
		int active;

		pthread_mutex_lock(&f->lock);
		active = f->active;
		pthread_mutex_unlock(&f->lock);
		if (!active)
			break;
		usleep(20000);
	}
	close(f->fd);
	pthread_mutex_destroy(&f->lock);
}

int ut_s3fault_count(ut_s3fault *f)
{
	int n;

	pthread_mutex_lock(&f->lock);
	n = f->nreq;
	pthread_mutex_unlock(&f->lock);
	return n;
}
