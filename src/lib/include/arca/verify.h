/* arca — repository verification: fixity of every object, completeness of
 * every reference. Reports findings the way git fsck does. */
#ifndef ARCA_VERIFY_H
#define ARCA_VERIFY_H

#include <stdint.h>
#include "arca/snapshot.h"

typedef enum arca_severity {
	ARCA_SEV_INFO = 0,
	ARCA_SEV_WARNING = 1,
	ARCA_SEV_ERROR = 2
} arca_severity;

/* Finding ids and their severity; docs/cli/verify.md documents each. */
#define ARCA_FINDINGS(X)                         \
	X(CORRUPT_OBJECT, ARCA_SEV_ERROR)        \
	X(MISSING_OBJECT, ARCA_SEV_ERROR)        \
	X(BAD_RECORD, ARCA_SEV_ERROR)            \
	X(BAD_TREE, ARCA_SEV_ERROR)              \
	X(BAD_REF, ARCA_SEV_ERROR)               \
	X(SIZE_MISMATCH, ARCA_SEV_ERROR)         \
	X(STRAY_KEY, ARCA_SEV_WARNING)           \
	X(UNREFERENCED_OBJECT, ARCA_SEV_INFO)

typedef enum arca_finding_id {
#define ARCA_FINDING_ENUM(name, sev) ARCA_FINDING_##name,
	ARCA_FINDINGS(ARCA_FINDING_ENUM)
#undef ARCA_FINDING_ENUM
	ARCA_FINDING__COUNT
} arca_finding_id;

typedef struct arca_finding {
	arca_finding_id id;
	arca_severity severity;
	const char *name;      /* "MISSING_OBJECT" */
	const char *object;    /* "sha256:..." or a store key; may be NULL */
	const char *snapshot;  /* "sha256:..." or NULL */
	const char *path;      /* path in the snapshot, or NULL */
	const char *message;   /* one line, no trailing newline */
} arca_finding;

typedef int (*arca_finding_cb)(const arca_finding *f, void *payload);

typedef struct arca_verify_opts {
	int threads;            /* 0: one per CPU */
	int read_data;          /* 1: re-hash every object (default) */
	arca_finding_cb finding;
	arca_progress_cb progress; /* (objects, stored bytes) so far */
	void *payload;
} arca_verify_opts;

#define ARCA_VERIFY_OPTS_INIT { 0, 1, NULL, NULL, NULL }

typedef struct arca_verify_stats {
	uint64_t objects, stored_bytes, content_bytes;
	uint64_t snapshots, trees, files;
	uint64_t findings[3];   /* by severity */
} arca_verify_stats;

/* Returns 0 when there is no ERROR finding, ARCA_EVERIFY when there is
 * one or more, other codes when verification itself could not run. */
int arca_verify(arca_verify_stats *stats, arca_repo *r,
	const arca_verify_opts *opts, arca_error *err);

/* What a repository holds that a copy of it (a remote) lacks. */
typedef struct arca_unpushed {
	const char *kind;    /* "record" or "ref" */
	const char *name;    /* "snapshot/<64 hex>", "datasets/churn" */
	const char *message; /* one line */
} arca_unpushed;

typedef int (*arca_unpushed_cb)(const arca_unpushed *u, void *payload);

/*
 * Completeness of copy (a remote) against local: every record of local
 * must be in copy, every ref of local in copy with the same value. Each
 * one that is not goes to cb (a nonzero return stops, and is returned);
 * *missing counts them. 0 when complete, ARCA_EVERIFY when not.
 */
int arca_verify_pushed(uint64_t *missing, arca_repo *copy, arca_repo *local,
	arca_unpushed_cb cb, void *payload, arca_error *err);

const char *arca_finding_name(arca_finding_id id);
arca_severity arca_finding_severity(arca_finding_id id);

#endif
