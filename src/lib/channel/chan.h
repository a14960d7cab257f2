/*
 * Channels' internals (formats/channel.md): a channel's history is the
 * records claimed by refs/channels/<adapter>/<channel>/<seq, 6 digits>,
 * each naming the one before ("previous"), like a run's journal.
 */
#ifndef ARCA_CHANNEL_CHAN_H
#define ARCA_CHANNEL_CHAN_H

#include <jansson.h>
#include "arca/channel.h"
#include "repo/repo.h"

#define CHAN_KIND "channel"
#define CHAN_PROMOTE "promote"
#define CHAN_ROLLBACK "rollback"

typedef struct chan_entry {
	int64_t seq;
	arca_id record;
	json_t *doc;
} chan_entry;

typedef struct chan {
	char name[128], channel[72];
	chan_entry *v;          /* v[i].seq == i + 1 */
	size_t n;
	/* The promotion stack after the last entry: versions, newest last
	 * (promote pushes, rollback pops down to its target). */
	char **stack;
	size_t depth;
	/* A record of this channel that claims the next seq but that no ref
	 * claims: cut off the end, or left by a crash before its claim. */
	int dangling;
	arca_id dangling_record;
} chan;

/* Names: an adapter name is a dataset-style name; a channel a-z 0-9
 * . _ -, starting with a letter or digit, at most 64. */
int chan__name_valid(const char *channel);

/*
 * Loads channel's history and checks its structure: ARCA_EVERIFY naming
 * the entry that is missing, out of order, altered or not a channel
 * record. strict: a dangling record (above) is an ARCA_EVERIFY too;
 * else it is only noted (a writer may go on: its entry supersedes it).
 */
int chan__load(chan *c, arca_repo *r, const char *name, const char *channel,
	int strict, arca_error *err);
void chan__dispose(chan *c);
/* The current version, or NULL. */
const char *chan__current(const chan *c);

/* Every channel of name, sorted; free with chan__names_free. */
int chan__names(char ***out, size_t *n, arca_repo *r, const char *name,
	arca_error *err);
void chan__names_free(char **v, size_t n);

/* With a policy, every entry's signatures must satisfy it for kind
 * channel:<channel>: ARCA_EVERIFY naming the entry. */
int chan__verify_signatures(const chan *c, arca_repo *r,
	const arca_trust_policy *p, arca_error *err);

#endif
