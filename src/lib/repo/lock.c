/*
 * Repository locks, restic's protocol over any store: a lock is an object
 * in locks/ with owner, host, pid and expiry. To lock: remove stale locks,
 * check for conflicts, create ours, wait for the store to settle, check
 * again. Writers and readers share; garbage collection is exclusive.
 */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "repo/repo.h"
#include "store/store.h"
#include "util/json.h"
#include "util/sys.h"

#define LOCK_TTL_S (30 * 60)     /* stale after this without a refresh */
#define LOCK_REFRESH_S 60        /* refresh at most this often */
#define LOCK_RETRIES 6

typedef struct lock_info {
	int exclusive;
	char host[256];
	int64_t pid;
	uint64_t pid_start;
	int64_t time, expires;
} lock_info;

static int lock_doc(arca_buf *out, const arca_repo *r, int64_t now,
	arca_error *err)
{
	char host[256], user[128];
	json_t *doc;
	int rc;

	arca_hostname(host, sizeof(host));
	arca_username(user, sizeof(user));
	doc = json_pack("{s:b, s:s, s:s, s:I, s:I, s:I, s:I}",
		"exclusive", r->lock_exclusive, "hostname", host, "username",
		user, "pid", (json_int_t)getpid(), "pid_start",
		(json_int_t)arca_process_start(getpid()), "time",
		(json_int_t)r->lock_since, "expires",
		(json_int_t)(now + LOCK_TTL_S));
	if (!doc)
		return arca_error_set(err, ARCA_ERROR, "out of memory");
	rc = arca_json_canonical(out, doc, err);
	json_decref(doc);
	return rc;
}

static int parse_lock(lock_info *li, const arca_buf *b)
{
	json_t *doc = NULL, *v;
	int rc = -1;

	memset(li, 0, sizeof(*li));
	if (arca_json_parse(&doc, b->data, b->len, "lock", NULL) < 0)
		return -1;
	li->exclusive = json_is_true(json_object_get(doc, "exclusive"));
	v = json_object_get(doc, "hostname");
	snprintf(li->host, sizeof(li->host), "%s",
		json_is_string(v) ? json_string_value(v) : "?");
	li->pid = json_integer_value(json_object_get(doc, "pid"));
	li->pid_start = (uint64_t)json_integer_value(
		json_object_get(doc, "pid_start"));
	li->time = json_integer_value(json_object_get(doc, "time"));
	li->expires = json_integer_value(json_object_get(doc, "expires"));
	if (li->pid > 0 && li->expires > 0)
		rc = 0;
	json_decref(doc);
	return rc;
}

/* A lock is stale when it expired, or when it was taken on this host by
 * a process that no longer runs (kill -9, crash). */
static int is_stale(const lock_info *li, int64_t now)
{
	char host[256];
	uint64_t start;

	if (li->expires < now)
		return 1;
	arca_hostname(host, sizeof(host));
	if (strcmp(host, li->host))
		return 0;
	if (kill((pid_t)li->pid, 0) < 0 && errno == ESRCH)
		return 1;
	start = arca_process_start((pid_t)li->pid);
	return li->pid_start && start && start != li->pid_start;
}

struct scan_ctx {
	arca_repo *r;
	int exclusive;
	int64_t now;
	arca_error *err;
	int conflict;
	char holder[512];
};

static int scan_entry(const char *key, const arca_store_info *st,
	void *payload)
{
	struct scan_ctx *c = payload;
	arca_buf b = ARCA_BUF_INIT;
	char when[ARCA_TIME_STRSZ];
	lock_info li;
	int rc;

	if (c->r->lock_key && !strcmp(key, c->r->lock_key))
		return 0;
	rc = arca_store_get(c->r->store, &b, key, 0, 4096, NULL);
	if (rc == ARCA_ENOTFOUND)
		return 0; /* released meanwhile */
	if (rc < 0 || parse_lock(&li, &b) < 0) {
		/* Unreadable: treat it as held until its file is old. */
		memset(&li, 0, sizeof(li));
		li.exclusive = 1;
		li.expires = st ? st->mtime_ns / 1000000000 + LOCK_TTL_S : 0;
		snprintf(li.host, sizeof(li.host), "?");
		li.pid = 0;
	}
	arca_buf_dispose(&b);
	if (li.pid > 0 ? is_stale(&li, c->now) : li.expires < c->now) {
		rc = arca_store_del(c->r->store, key, NULL);
		(void)rc; /* someone else may have removed it first */
		return 0;
	}
	if (!c->exclusive && !li.exclusive)
		return 0;
	c->conflict = 1;
	/* Lock files come from other hosts: keep the product in range. */
	arca_time_format(when, li.time > 0 && li.time < (INT64_C(1) << 33) ?
		li.time * 1000000000 : 0);
	snprintf(c->holder, sizeof(c->holder),
		"%s lock held by pid %lld on host '%s' since %.19sZ (%s)",
		li.exclusive ? "an exclusive" : "a shared", (long long)li.pid,
		li.host, when, key);
	return 0;
}

static int scan(arca_repo *r, int exclusive, struct scan_ctx *c,
	arca_error *err)
{
	memset(c, 0, sizeof(*c));
	c->r = r;
	c->exclusive = exclusive;
	c->now = arca_time_now_ns() / 1000000000;
	c->err = err;
	return arca_store_list(r->store, ARCA_KEY_LOCKS, scan_entry, c, err);
}

static void settle(unsigned ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000 };

	while (ms && nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

static int try_lock(arca_repo *r, int exclusive, arca_error *err)
{
	struct scan_ctx c;
	arca_buf doc = ARCA_BUF_INIT;
	char key[ARCA_KEY_MAX], name[33];
	int rc;

	if ((rc = scan(r, exclusive, &c, err)) < 0)
		return rc;
	if (c.conflict)
		return arca_error_set(err, ARCA_ELOCKED,
			"repository '%s' is locked: %s", r->url, c.holder);
	if (arca_random_hex(name, 16) < 0)
		return arca_error_set(err, ARCA_ERROR, "no random bytes");
	snprintf(key, sizeof(key), ARCA_KEY_LOCKS "%s", name);
	r->lock_exclusive = exclusive;
	r->lock_refreshed = arca_time_now_ns() / 1000000000;
	r->lock_since = r->lock_refreshed;
	if ((rc = lock_doc(&doc, r, r->lock_refreshed, err)) < 0 ||
		(rc = arca_store_put(r->store, key, doc.data, doc.len,
			ARCA_STORE_PUT_EXCLUSIVE, err)) < 0)
		goto done;
	if (!(r->lock_key = strdup(key))) {
		arca_store_del(r->store, key, NULL);
		rc = arca_error_set(err, ARCA_ERROR, "out of memory");
		goto done;
	}
	settle(r->store->lock_settle_ms);
	if ((rc = scan(r, exclusive, &c, err)) >= 0 && c.conflict)
		rc = arca_error_set(err, ARCA_ELOCKED,
			"repository '%s' is locked: %s", r->url, c.holder);
	if (rc < 0)
		arca_repo_unlock(r, NULL);
done:
	arca_buf_dispose(&doc);
	return rc;
}

int arca_repo_lock(arca_repo *r, int exclusive, arca_error *err)
{
	int rc = 0;

	if (r->lock_key)
		return arca_error_set(err, ARCA_EINVALID,
			"repository handle is already locked");
	/* Two lockers that raced may both back off: retry a few times with
	 * a random delay before reporting the repository busy. */
	for (int i = 0; i < LOCK_RETRIES; i++) {
		unsigned char j;
		if ((rc = try_lock(r, exclusive, err)) != ARCA_ELOCKED)
			return rc;
		if (arca_random(&j, 1) < 0)
			j = 0;
		settle(50u + j);
	}
	return rc;
}

int arca_repo_lock_refresh(arca_repo *r, arca_error *err)
{
	int64_t now = arca_time_now_ns() / 1000000000;
	arca_buf doc = ARCA_BUF_INIT;
	int rc;

	if (!r->lock_key || now - r->lock_refreshed < LOCK_REFRESH_S)
		return 0;
	if ((rc = lock_doc(&doc, r, now, err)) == 0 &&
		(rc = arca_store_put(r->store, r->lock_key, doc.data, doc.len,
			0, err)) == 0)
		r->lock_refreshed = now;
	arca_buf_dispose(&doc);
	return rc;
}

int arca_repo_unlock(arca_repo *r, arca_error *err)
{
	int rc;

	if (!r->lock_key)
		return 0;
	rc = arca_store_del(r->store, r->lock_key, err);
	if (rc == ARCA_ENOTFOUND)
		rc = 0;
	free(r->lock_key);
	r->lock_key = NULL;
	return rc;
}
