/* A set of object ids (open addressing). Not thread-safe by itself. */
#ifndef ARCA_UTIL_IDSET_H
#define ARCA_UTIL_IDSET_H

#include <stddef.h>
#include "arca/id.h"

typedef struct arca_idset {
	arca_id *slots;
	unsigned char *used;
	size_t cap, count;
} arca_idset;

#define ARCA_IDSET_INIT { NULL, NULL, 0, 0 }

/* 1 if added, 0 if already present, ARCA_ERROR on allocation failure. */
int arca_idset_add(arca_idset *s, const arca_id *id);
int arca_idset_has(const arca_idset *s, const arca_id *id);
void arca_idset_dispose(arca_idset *s);

#endif
