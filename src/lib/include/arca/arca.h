/* arca — the public API of libarca. */
#ifndef ARCA_H
#define ARCA_H

#include "arca/error.h"
#include "arca/id.h"
#include "arca/repo.h"
#include "arca/snapshot.h"
#include "arca/restore.h"
#include "arca/verify.h"
#include "arca/catalog.h"
#include "arca/run.h"

/* The library's version string, e.g. "0.1.0". */
const char *arca_version(void);

#endif
