/*
 * Objects: content named by its SHA-256, stored as one zstd frame with
 * the content size and checksum, so `zstd -d < obj | sha256sum` gives
 * the id with no arca at all.
 */
#include <stdlib.h>
#include <string.h>
#include <zstd.h>
#include "repo/repo.h"
#include "store/store.h"

_Static_assert(ARCA_REPO_PUT_DEFER == ARCA_STORE_PUT_DEFER,
	"repository put flags are the store's");
#include "hash/sha256.h"
#include "util/json.h"

void arca_repo__object_key(char out[ARCA_KEY_MAX], const arca_id *id)
{
	char hex[ARCA_ID_HEXSZ + 1];

	arca_id_hex(hex, id);
	snprintf(out, ARCA_KEY_MAX, ARCA_KEY_OBJECTS "%.2s/%s", hex, hex);
}

int arca_repo__object_encode(arca_buf *out, const void *data, size_t len,
	int level, void *cctx, arca_error *err)
{
	ZSTD_CCtx *c = cctx ? cctx : ZSTD_createCCtx();
	size_t bound = ZSTD_compressBound(len), n;
	int rc = 0;

	if (!c)
		return arca_error_set(err, ARCA_ERROR, "out of memory");
	arca_buf_clear(out);
	if (arca_buf_grow(out, bound) < 0) {
		rc = arca_error_set(err, ARCA_ERROR, "out of memory");
		goto done;
	}
	ZSTD_CCtx_reset(c, ZSTD_reset_session_and_parameters);
	ZSTD_CCtx_setParameter(c, ZSTD_c_compressionLevel, level);
	ZSTD_CCtx_setParameter(c, ZSTD_c_checksumFlag, 1);
	ZSTD_CCtx_setParameter(c, ZSTD_c_contentSizeFlag, 1);
	n = ZSTD_compress2(c, out->data, bound, data, len);
	if (ZSTD_isError(n)) {
		rc = arca_error_set(err, ARCA_ERROR, "zstd: %s",
			ZSTD_getErrorName(n));
		goto done;
	}
	out->len = n;
done:
	if (!cctx)
		ZSTD_freeCCtx(c);
	return rc;
}

static int corrupt(arca_error *err, const arca_id *id, const char *why)
{
	char s[ARCA_ID_STRSZ];

	if (!id)
		return arca_error_set(err, ARCA_ECORRUPT, "object: %s", why);
	arca_id_str(s, id);
	return arca_error_set(err, ARCA_ECORRUPT, "object %s: %s", s, why);
}

int arca_repo__object_decode(arca_buf *out, const void *frame, size_t len,
	const arca_id *id, void *dctx, arca_error *err)
{
	const unsigned char *f = frame;
	unsigned long long size;
	ZSTD_DCtx *d;
	arca_id got;
	size_t n;
	int rc = 0;

	/* RFC 8878: 4-byte magic, then the frame header descriptor, whose
	 * bit 2 is the content checksum flag. */
	if (len < 5 ||
		f[0] != 0x28 || f[1] != 0xb5 || f[2] != 0x2f || f[3] != 0xfd)
		return corrupt(err, id, "not a zstd frame");
	if (!(f[4] & 0x04))
		return corrupt(err, id, "zstd frame has no content checksum");
	size = ZSTD_getFrameContentSize(frame, len);
	if (size == ZSTD_CONTENTSIZE_UNKNOWN || size == ZSTD_CONTENTSIZE_ERROR ||
		size > (1ull << 34))
		return corrupt(err, id, "zstd frame has no valid content size");
	if (ZSTD_findFrameCompressedSize(frame, len) != len)
		return corrupt(err, id, "trailing or missing bytes after frame");
	arca_buf_clear(out);
	if (arca_buf_grow(out, (size_t)size) < 0)
		return arca_error_set(err, ARCA_ERROR, "out of memory");
	d = dctx ? dctx : ZSTD_createDCtx();
	if (!d)
		return arca_error_set(err, ARCA_ERROR, "out of memory");
	n = ZSTD_decompressDCtx(d, out->data, (size_t)size,
		frame, len);
	if (ZSTD_isError(n) || n != size) {
		rc = corrupt(err, id, ZSTD_isError(n) ? ZSTD_getErrorName(n) :
			"content size mismatch");
		goto done;
	}
	out->len = n;
	out->data[n] = '\0';
	if (id) {
		if ((rc = arca_sha256(&got, out->data, n, err)) < 0)
			goto done;
		if (arca_id_cmp(&got, id)) {
			char s[ARCA_ID_STRSZ];
			arca_id_str(s, &got);
			rc = corrupt(err, id, "content hashes to a different id");
			arca_error_prefix(err, "hash mismatch (got %s)", s);
		}
	}
done:
	if (!dctx)
		ZSTD_freeDCtx(d);
	return rc;
}

int arca_repo__object_exists(arca_repo *r, const arca_id *id,
	arca_error *err)
{
	char key[ARCA_KEY_MAX];
	int known, rc;

	pthread_mutex_lock(&r->known_lock);
	known = arca_idset_has(&r->known, id);
	pthread_mutex_unlock(&r->known_lock);
	if (known)
		return 1;
	arca_repo__object_key(key, id);
	rc = arca_store_stat(r->store, key, NULL, err);
	if (rc == ARCA_ENOTFOUND) {
		arca_error_clear(err);
		return 0;
	}
	if (rc < 0)
		return rc;
	pthread_mutex_lock(&r->known_lock);
	arca_idset_add(&r->known, id);
	pthread_mutex_unlock(&r->known_lock);
	return 1;
}

int arca_repo__object_claim(arca_repo *r, const arca_id *id,
	arca_error *err)
{
	char key[ARCA_KEY_MAX];
	int rc = ARCA_ENOTFOUND, added;

	pthread_mutex_lock(&r->known_lock);
	added = arca_idset_has(&r->known, id);
	pthread_mutex_unlock(&r->known_lock);
	if (added)
		return 0;
	/* A stat on a remote store is a network round trip: one per chunk,
	 * in the walker's thread, would serialize a snapshot on latency.
	 * The writer threads ask instead (ARCA_REPO_PUT_IF_ABSENT). */
	if (arca_repo__local_dir(r)) {
		arca_repo__object_key(key, id);
		rc = arca_store_stat(r->store, key, NULL, err);
		if (rc < 0 && rc != ARCA_ENOTFOUND)
			return rc;
		arca_error_clear(err);
	}
	pthread_mutex_lock(&r->known_lock);
	added = arca_idset_add(&r->known, id);
	pthread_mutex_unlock(&r->known_lock);
	if (added < 0) /* unmarked, it must not count as written */
		return arca_error_set(err, ARCA_ERROR, "out of memory");
	return added == 1 && rc == ARCA_ENOTFOUND;
}

int arca_repo__object_write(arca_repo *r, uint64_t *stored_size,
	const arca_id *id, const void *data, size_t len, unsigned flags,
	void *cctx, arca_buf *frame, arca_error *err)
{
	char key[ARCA_KEY_MAX];
	int rc;

	arca_repo__object_key(key, id);
	*stored_size = 0;
	if ((flags & ARCA_REPO_PUT_IF_ABSENT) && !arca_repo__local_dir(r)) {
		rc = arca_store_stat(r->store, key, NULL, err);
		if (rc == 0)
			return 1; /* stored before: nothing to write */
		if (rc != ARCA_ENOTFOUND) {
			arca_repo__forget(r); /* as for a failed put, below */
			return rc;
		}
		arca_error_clear(err);
	}
	if ((rc = arca_repo__object_encode(frame, data, len, r->zstd_level,
		cctx, err)) < 0)
		return rc;
	if ((rc = arca_store_put(r->store, key, frame->data, frame->len,
		flags & ARCA_REPO_PUT_DEFER, err)) < 0) {
		/* The id was claimed but not written: forget every claim (the
		 * set is only a cache of the store) so that a retry on this
		 * handle writes it instead of naming a missing object. */
		arca_repo__forget(r);
		return rc;
	}
	*stored_size = frame->len;
	return 0;
}

int arca_repo__object_put_id(arca_repo *r, arca_put_result *res,
	const arca_id *id, const void *data, size_t len, unsigned flags,
	void *cctx, arca_error *err)
{
	arca_buf frame = ARCA_BUF_INIT;
	int rc;

	memset(res, 0, sizeof(*res));
	res->id = *id;
	if ((rc = arca_repo__object_claim(r, id, err)) > 0 &&
		(rc = arca_repo__object_write(r, &res->stored_size, id, data,
			len, flags | ARCA_REPO_PUT_IF_ABSENT, cctx, &frame,
			err)) == 0)
		res->stored = 1;
	arca_buf_dispose(&frame);
	return rc < 0 ? rc : 0;
}

int arca_repo__object_put(arca_repo *r, arca_put_result *res,
	const void *data, size_t len, unsigned flags, void *cctx,
	arca_error *err)
{
	arca_id id;
	int rc;

	if ((rc = arca_sha256(&id, data, len, err)) < 0)
		return rc;
	return arca_repo__object_put_id(r, res, &id, data, len, flags, cctx,
		err);
}

void arca_repo__forget(arca_repo *r)
{
	pthread_mutex_lock(&r->known_lock);
	arca_idset_dispose(&r->known);
	pthread_mutex_unlock(&r->known_lock);
}

int arca_repo__flush(arca_repo *r, arca_error *err)
{
	return arca_store_flush(r->store, err);
}

int arca_repo_object_read(arca_repo *r, unsigned char **data, size_t *len,
	const arca_id *id, arca_error *err)
{
	arca_buf raw = ARCA_BUF_INIT, out = ARCA_BUF_INIT;
	char key[ARCA_KEY_MAX], s[ARCA_ID_STRSZ];
	int rc;

	arca_repo__object_key(key, id);
	if ((rc = arca_store_get(r->store, &raw, key, 0, UINT64_MAX,
		err)) < 0) {
		arca_id_str(s, id);
		if (rc == ARCA_ENOTFOUND)
			arca_error_set(err, rc, "object %s is missing", s);
		goto done;
	}
	if ((rc = arca_repo__object_decode(&out, raw.data, raw.len, id, NULL,
		err)) < 0)
		goto done;
	*data = arca_buf_detach(&out, len);
done:
	arca_buf_dispose(&raw);
	arca_buf_dispose(&out);
	return rc;
}

int arca_repo__json_put(arca_repo *r, arca_id *out, json_t *doc,
	unsigned flags, arca_error *err)
{
	arca_buf b = ARCA_BUF_INIT;
	arca_put_result res;
	int rc;

	if ((rc = arca_json_canonical(&b, doc, err)) == 0 &&
		(rc = arca_repo__object_put(r, &res, b.data, b.len, flags, NULL,
			err)) == 0)
		*out = res.id;
	arca_buf_dispose(&b);
	return rc;
}

int arca_repo__json_get(arca_repo *r, json_t **out, const arca_id *id,
	const char *what, arca_error *err)
{
	unsigned char *data = NULL;
	char desc[160], s[ARCA_ID_STRSZ];
	size_t len;
	int rc;

	if ((rc = arca_repo_object_read(r, &data, &len, id, err)) < 0)
		return rc;
	arca_id_str(s, id);
	snprintf(desc, sizeof(desc), "%s %s", what, s);
	rc = arca_json_parse(out, data, len, desc, err);
	free(data);
	return rc;
}

int arca_repo__frame_get(arca_repo *r, arca_buf *frame, const arca_id *id,
	arca_error *err)
{
	char key[ARCA_KEY_MAX];

	arca_repo__object_key(key, id);
	arca_buf_clear(frame);
	return arca_store_get(r->store, frame, key, 0, UINT64_MAX, err);
}

int arca_repo__key_get(arca_repo *r, arca_buf *out, const char *key,
	uint64_t max, arca_error *err)
{
	arca_buf_clear(out);
	return arca_store_get(r->store, out, key, 0, max, err);
}

struct keys_ctx {
	arca_repo_key_cb cb;
	void *payload;
};

static int key_entry(const char *key, const arca_store_info *st,
	void *payload)
{
	struct keys_ctx *c = payload;

	return c->cb(key, st ? st->size : 0, c->payload);
}

int arca_repo__keys_list(arca_repo *r, const char *prefix,
	arca_repo_key_cb cb, void *payload, arca_error *err)
{
	struct keys_ctx c = { cb, payload };

	return arca_store_list(r->store, prefix, key_entry, &c, err);
}
