/* Signing for the commands (sign_out.c): the user's config file, the
 * signing key every command sets, the trust policy in force, and
 * signature reports. */
#ifndef ARCA_CLI_SIGN_OUT_H
#define ARCA_CLI_SIGN_OUT_H

#include "cli.h"
#include "arca/channel.h"
#include "arca/sign.h"

/* The user's config: ${XDG_CONFIG_HOME:-~/.config}/arca/config.json, a
 * JSON object of "key": "value" strings. Keys it knows: */
typedef struct cli_config_key {
	const char *name, *help;
} cli_config_key;
extern const cli_config_key cli_config_keys[];

/* The file's path into out; -1 when neither XDG_CONFIG_HOME nor HOME is
 * set. */
int cli_config_path(char *out, size_t size);
/* Loads it (no file: an empty object); *out is a new reference. */
int cli_config_load(json_t **out, arca_error *err);
/* Writes it whole: temp file, fsync, rename, fsync of the directory. */
int cli_config_save(json_t *cfg, arca_error *err);
/* Known key? Its entry, or NULL. */
const cli_config_key *cli_config_find(const char *key);
/* A key's value: the file's, as a string (NULL when unset). */
const char *cli_config_get(json_t *cfg, const char *key);

/*
 * Sets the repository's signing key for every command: $ARCA_SIGNING_KEY
 * (empty: none) wins over the config's signing.key. -1 on success, else
 * the error is printed and the exit code returned.
 */
int cli_signing_setup(arca_cli *cli);

/*
 * The trust policy in force: opt (--trust FILE), else $ARCA_TRUST_POLICY,
 * else the config's trust.policy, else
 * ${XDG_CONFIG_HOME:-~/.config}/arca/trust.yaml when it exists. None:
 * *out NULL, and with required an error. -1 on success, else the exit
 * code (the error printed).
 */
int cli_trust_policy(arca_cli *cli, const char *opt, int required,
	arca_trust_policy **out);

/* A signature report as JSON (target, ok, kind, required, counted,
 * signatures with fingerprint, status, role, reason). */
json_t *cli_sig_report_json(const arca_sign_target *t,
	const arca_sig_report *rep);
/* The same for people, on stdout. */
void cli_sig_report_print(const arca_sign_target *t,
	const arca_sig_report *rep);

/* A channel change (promote, rollback) made by change() with the trust
 * policy of --trust (NULL: the configured one) and printed: the entry's
 * JSON text with --json, else a line. Returns the exit code. In
 * cmd_adapter_promote.c. */
typedef int (*cli_channel_change_fn)(char **out, arca_repo *r,
	const char *spec, const char *channel, const arca_channel_opts *o,
	arca_error *err);
int cli_channel_change(arca_cli *cli, cli_channel_change_fn change,
	const char *spec, const char *channel, const char *trust,
	arca_channel_opts *co);

#endif
