/*
 * arca — remotes and transfers. A remote is a named place another copy of
 * the repository lives (an S3 prefix, a directory), kept beside the local
 * repository like git's remotes (formats/remotes.md); push and pull copy
 * what one side lacks to the other with arca_transfer.
 */
#ifndef ARCA_REMOTE_H
#define ARCA_REMOTE_H

#include <stddef.h>
#include <stdint.h>
#include "arca/error.h"
#include "arca/id.h"
#include "arca/repo.h"

/* ------------------------------------------------------------- remotes */

#define ARCA_REMOTE_NAME_RULE "1 to 64 letters, digits, '-', '_' or '.', " \
	"starting with a letter or digit"

typedef struct arca_remote {
	char *name;
	char *url;       /* s3://BUCKET[/PREFIX], file:///PATH or /PATH */
	char *endpoint;  /* NULL: from the environment */
	char *region;    /* NULL: from the environment */
	int path_style;  /* 1 path-style, 0 virtual-hosted, -1 default */
} arca_remote;

typedef struct arca_remote_list {
	arca_remote *v;  /* sorted by name */
	size_t n;
} arca_remote_list;

/* 1 if name follows ARCA_REMOTE_NAME_RULE. */
int arca_remote_name_valid(const char *name);
/* Refuses a URL that holds credentials ("s3://KEY:SECRET@...") or is not
 * a store URL, with a message that never repeats the credentials.
 * ARCA_EINVALID. */
int arca_remote_url_check(const char *url, arca_error *err);

/* Where r's remotes are kept: REPO_DIR/remotes.json for a local
 * repository, else ${XDG_CONFIG_HOME:-~/.config}/arca/remotes-<id>.json.
 * *out is malloc'd. */
int arca_remote_file(char **out, arca_repo *r, arca_error *err);
/* The remotes of r (none when the file does not exist). */
int arca_remote_list_load(arca_remote_list *out, arca_repo *r,
	arca_error *err);
void arca_remote_list_dispose(arca_remote_list *l);
/* Adds remote name at url, with how to reach it (so: NULL members and
 * -1 are not saved). ARCA_EEXISTS for a name in use, ARCA_EINVALID for a
 * bad name or URL. A relative local path is saved absolute. */
int arca_remote_add(arca_repo *r, const char *name, const char *url,
	const arca_store_opts *so, arca_error *err);
/* ARCA_ENOTFOUND when there is no such remote. */
int arca_remote_remove(arca_repo *r, const char *name, arca_error *err);

/*
 * What "REMOTE" on a command line means: the remote of r with that name
 * (r may be NULL: no names), else a URL (s3://..., file://..., or a path
 * holding a '/'). The remote's saved settings win; what it does not set
 * comes from flags (may be NULL). ARCA_ENOTFOUND names the spec.
 */
int arca_remote_resolve(arca_remote *out, arca_repo *r, const char *spec,
	const arca_store_opts *flags, arca_error *err);
/* The store options of rm (borrowing its strings). */
arca_store_opts arca_remote_store_opts(const arca_remote *rm);
void arca_remote_dispose(arca_remote *rm);

/* ----------------------------------------------------------- transfers */

/* Something a transfer could not copy, reported once each. */
typedef struct arca_transfer_problem {
	int code;            /* ARCA_ECORRUPT (corrupt or missing data),
			      * ARCA_EEXISTS (a claim ref conflicts) */
	const char *kind;    /* "object", "record" or "ref" */
	const char *name;    /* "sha256:...", "snapshot/<hex>", ref name */
	const char *message; /* one line */
} arca_transfer_problem;

typedef void (*arca_transfer_problem_cb)(const arca_transfer_problem *p,
	void *payload);
/* Objects copied so far, of how many (known so far), and their bytes.
 * Called from the calling thread. */
typedef void (*arca_transfer_progress_cb)(uint64_t done, uint64_t total,
	uint64_t bytes, void *payload);

typedef struct arca_transfer_opts {
	int parallel;        /* threads; 0: $ARCA_S3_PARALLEL, else 8 */
	const char *remote;  /* the remote's name or URL, for messages */
	int pull;            /* 1: the source is the remote; 0: the dest */
	arca_transfer_progress_cb progress;
	arca_transfer_problem_cb problem;
	void *payload;
} arca_transfer_opts;

#define ARCA_TRANSFER_OPTS_INIT { 0, NULL, 0, NULL, NULL, NULL }

typedef struct arca_transfer_stats {
	uint64_t objects;          /* copied */
	uint64_t objects_skipped;  /* the destination had them */
	uint64_t bytes;            /* stored (compressed) bytes copied */
	uint64_t records, records_skipped;
	uint64_t refs, refs_skipped;
	uint64_t not_copied;       /* objects, records, refs held back */
	uint64_t conflicts;        /* claim refs that differ */
	double seconds;
} arca_transfer_stats;

/*
 * Opens the repository at url as the destination of a transfer from src.
 * When there is none (no config), it is created as a copy of src's
 * config (same repository id: a clone). A repository with another id is
 * refused (ARCA_EINVALID, naming both ids).
 */
int arca_transfer_open(arca_repo **dst, const char *url,
	const arca_store_opts *so, arca_repo *src, const arca_transfer_opts *o,
	arca_error *err);

/*
 * Copies to dst what it lacks of src: with no refs, everything; else
 * what the given refs (a ref name, a ref prefix such as "catalog/churn",
 * or a record id or prefix) reach. Objects first (copied as stored,
 * each decoded and checked against its id on the way), then records
 * whose objects are all there, then refs whose records are there, so
 * dst is consistent at every instant. Claim refs (catalog/, runs/; not
 * catalog tags) are created only if absent; a different value is a
 * conflict. Both repositories are locked (shared) unless the handles
 * hold a lock already.
 *
 * Returns 0; ARCA_ECORRUPT when data could not be copied (corrupt or
 * missing in src: everything else was copied), else ARCA_EEXISTS when
 * claim refs conflict; each problem went to o->problem first. Other
 * errors (ARCA_EREMOTE, ...) stop the transfer: objects may have been
 * copied, no record or ref naming a missing one was.
 */
int arca_transfer(arca_repo *dst, arca_repo *src, const char *const *refs,
	size_t nrefs, const arca_transfer_opts *o, arca_transfer_stats *st,
	arca_error *err);

#endif
