/*
 * Copies between repositories: objects stored as the frames another
 * repository holds (no re-compression), and a new repository made with
 * another's config (same id and parameters: a clone). Callers (remote/)
 * check every frame against its id before it reaches this file.
 */
#include "repo/repo.h"
#include "store/store.h"

int arca_repo__frame_put(arca_repo *r, const arca_id *id, const void *frame,
	size_t len, unsigned flags, arca_error *err)
{
	char key[ARCA_KEY_MAX];
	int rc;

	arca_repo__object_key(key, id);
	if ((rc = arca_store_put(r->store, key, frame, len,
		flags & ARCA_REPO_PUT_DEFER, err)) < 0)
		return rc;
	pthread_mutex_lock(&r->known_lock);
	rc = arca_idset_add(&r->known, id);
	pthread_mutex_unlock(&r->known_lock);
	(void)rc; /* the set is only a cache: a failed add costs a stat */
	return 0;
}

int arca_repo__config_create(const char *url, const arca_store_opts *so,
	const void *config, size_t len, arca_error *err)
{
	arca_store *store = NULL;
	int rc;

	if ((rc = arca_store_open_with(&store, url, 1, so, err)) < 0)
		return rc;
	rc = arca_store_put(store, ARCA_KEY_CONFIG, config, len,
		ARCA_STORE_PUT_EXCLUSIVE, err);
	if (rc == ARCA_EEXISTS)
		arca_error_set(err, rc, "a repository already exists at '%s'",
			url);
	arca_store_free(store);
	return rc;
}
