/* arca verify-sig: check the signatures of a record or object against a
 * trust policy. */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include "sign_out.h"

struct verify_sig_opts {
	const char *trust;
};

static const arca_cli_opt opts[] = {
	{ "trust", 0, OPT_STRING, offsetof(struct verify_sig_opts, trust),
	  "FILE", "trust policy (default: $ARCA_TRUST_POLICY, then config "
	  "trust.policy, then ~/.config/arca/trust.yaml)" },
	{ NULL, 0, 0, 0, NULL, NULL }
};

const arca_cli_spec cmd_verify_sig_spec = {
	"[--trust FILE] REF",
	"Checks every signature of what REF names (as for 'arca sign': an\n"
	"adapter's record, package and manifest; a dataset version; a run's\n"
	"latest record; any object) with gpg, over the exact stored bytes,\n"
	"and judges them with the trust policy: exit 0 only when each has\n"
	"enough valid signatures from keys allowed to sign its kind and none\n"
	"that fails (bad, unknown key, key not allowed, expired or revoked),\n"
	"else 3. The policy comes from your side, never from the repository.",
	opts, sizeof(struct verify_sig_opts), 1, 1
};

int cmd_verify_sig(arca_cli *cli, void *optsp, int argc, char **argv)
{
	struct verify_sig_opts *o = optsp;
	arca_error err = ARCA_ERROR_INIT;
	arca_trust_policy *p = NULL;
	arca_sign_target *t = NULL;
	json_t *list = json_array();
	size_t n = 0;
	int rc, ok = 1, code;

	(void)argc;
	if ((code = cli_trust_policy(cli, o->trust, 1, &p)) >= 0) {
		json_decref(list);
		return code;
	}
	if ((rc = arca_sign_resolve(&t, &n, cli->catalog, argv[0],
		&err)) < 0)
		goto done;
	for (size_t i = 0; i < n; i++) {
		arca_sig_report *rep = NULL;
		if ((rc = arca_sig_check(&rep, cli->repo, &t[i], p, &err)) < 0)
			break;
		ok &= rep->ok;
		if (cli->json)
			json_array_append_new(list, cli_sig_report_json(&t[i],
				rep));
		else if (!cli->quiet || !rep->ok)
			cli_sig_report_print(&t[i], rep);
		if (!rep->ok && !cli->json)
			fprintf(stderr, "arca: error: %s: %s\n", t[i].label,
				rep->message);
		arca_sig_report_free(rep);
	}
done:
	free(t);
	arca_trust_policy_free(p);
	if (rc < 0) {
		json_decref(list);
		return cli_fail(cli, rc, &err);
	}
	if (cli->json) {
		json_t *j = json_pack("{s:b, s:O}", "ok", ok, "targets", list);
		char *s = json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS);
		cli_json_print(s);
		free(s);
		json_decref(j);
	}
	json_decref(list);
	return ok ? EXIT_OK : EXIT_VERIFY;
}
