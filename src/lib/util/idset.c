#include <stdlib.h>
#include <string.h>
#include "util/idset.h"
#include "arca/error.h"

/* Ids are SHA-256 digests: their first bytes are already uniform. */
static size_t slot_of(const arca_id *id, size_t cap)
{
	size_t h;

	memcpy(&h, id->raw, sizeof(h));
	return h & (cap - 1);
}

static int rehash(arca_idset *s, size_t cap)
{
	arca_idset n = { calloc(cap, sizeof(arca_id)), calloc(cap, 1), cap, 0 };

	if (!n.slots || !n.used) {
		free(n.slots);
		free(n.used);
		return ARCA_ERROR;
	}
	for (size_t i = 0; i < s->cap; i++)
		if (s->used[i])
			arca_idset_add(&n, &s->slots[i]);
	arca_idset_dispose(s);
	*s = n;
	return 0;
}

int arca_idset_add(arca_idset *s, const arca_id *id)
{
	size_t i;

	if ((s->count + 1) * 4 > s->cap * 3 &&
		rehash(s, s->cap ? s->cap * 2 : 1024) < 0)
		return ARCA_ERROR;
	for (i = slot_of(id, s->cap); s->used[i]; i = (i + 1) & (s->cap - 1))
		if (!memcmp(&s->slots[i], id, sizeof(*id)))
			return 0;
	s->slots[i] = *id;
	s->used[i] = 1;
	s->count++;
	return 1;
}

int arca_idset_has(const arca_idset *s, const arca_id *id)
{
	if (!s->cap)
		return 0;
	for (size_t i = slot_of(id, s->cap); s->used[i];
		i = (i + 1) & (s->cap - 1))
		if (!memcmp(&s->slots[i], id, sizeof(*id)))
			return 1;
	return 0;
}

void arca_idset_dispose(arca_idset *s)
{
	free(s->slots);
	free(s->used);
	s->slots = NULL;
	s->used = NULL;
	s->cap = s->count = 0;
}
