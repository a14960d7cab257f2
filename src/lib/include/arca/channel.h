/*
 * arca — adapter channels (formats/channel.md): which version of an
 * adapter a channel ("staging", "stable") deploys, as an append-only,
 * hash-chained history of signed "channel" records. Promotion and
 * rollback check the adapter's run (succeeded, every gate passed) and,
 * with a trust policy, its signatures against the channel's rule.
 */
#ifndef ARCA_CHANNEL_H
#define ARCA_CHANNEL_H

#include "arca/error.h"
#include "arca/repo.h"
#include "arca/sign.h"

typedef struct arca_channel_opts {
	const char *reason;              /* why (UTF-8); NULL: none */
	const char *to;                  /* rollback: the version to go back
	                                    to; NULL: the one before */
	const arca_trust_policy *policy; /* NULL: no signature rules */
} arca_channel_opts;

#define ARCA_CHANNEL_OPTS_INIT { NULL, NULL, NULL }

/*
 * Makes NAME@VERSION the current version of channel, appending a
 * promotion to the channel's history. Refused (ARCA_EPOLICY) when the
 * run that made the adapter did not succeed with every gate passed,
 * when with a policy its record, package and manifest lack the
 * signatures the channel's rule needs or any of them is bad, or when the
 * repository requires signatures and there is no key or no policy.
 * ARCA_EVERIFY when the channel's history is broken. *out: the new
 * entry as JSON (free()).
 */
int arca_adapter_promote(char **out, arca_repo *r, const char *spec,
	const char *channel, const arca_channel_opts *o, arca_error *err);

/*
 * Goes back to the version promoted before the current one (o->to: to
 * that earlier version, which must still be below the current one in
 * the channel's stack of promotions), with the same checks as a
 * promotion, as a new entry in the history.
 */
int arca_adapter_rollback(char **out, arca_repo *r, const char *name,
	const char *channel, const arca_channel_opts *o, arca_error *err);

/*
 * Checks channel's history (every channel of name when channel is
 * NULL): every entry from 1 on is there, in order, each naming the one
 * before; no entry was cut off the end; with a policy, every entry's
 * signatures satisfy it. ARCA_EVERIFY naming the first bad entry.
 * *out (may be NULL): all channels of name, each with its current
 * version and history, as JSON.
 */
int arca_adapter_channels(char **out, arca_repo *r, const char *name,
	const char *channel, const arca_trust_policy *policy,
	arca_error *err);

/*
 * The current version of channel after checking its history as above:
 * JSON {adapter, channel, version, package, record, seq}. ARCA_ENOTFOUND
 * when nothing was promoted to it.
 */
int arca_adapter_resolve(char **out, arca_repo *r, const char *name,
	const char *channel, const arca_trust_policy *policy,
	arca_error *err);

#endif
