/* arca sign: sign a stored record or object with your key. */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include "sign_out.h"

const arca_cli_spec cmd_sign_spec = {
	"REF",
	"Signs what REF names with your signing key (config signing.key or\n"
	"ARCA_SIGNING_KEY): a second signer's or an auditor's countersignature.\n"
	"REF is NAME@VERSION of an adapter (its record, package and manifest),\n"
	"a dataset reference (churn@3: its version record), a run id or prefix\n"
	"(its latest record), or any object id or prefix (a snapshot, any\n"
	"record); prefix it with adapter:, dataset:, run: or object: when it\n"
	"is ambiguous. Every signature is kept; signing again with a key that\n"
	"signed already adds nothing and succeeds.",
	NULL, 0, 1, 1
};

int cmd_sign(arca_cli *cli, void *optsp, int argc, char **argv)
{
	arca_error err = ARCA_ERROR_INIT;
	arca_sign_target *t = NULL;
	const char *fpr = arca_repo_signing_key(cli->repo);
	json_t *list = json_array();
	size_t n = 0;
	int rc, added;

	(void)optsp;
	(void)argc;
	if (!fpr) {
		json_decref(list);
		arca_error_set(&err, ARCA_EINVALID, "no signing key: set one "
			"with 'arca config set signing.key FINGERPRINT' or "
			"ARCA_SIGNING_KEY");
		return cli_fail(cli, ARCA_EINVALID, &err);
	}
	if ((rc = arca_sign_resolve(&t, &n, cli->catalog, argv[0],
		&err)) < 0) {
		json_decref(list);
		return cli_fail(cli, rc, &err);
	}
	for (size_t i = 0; i < n; i++) {
		char id[ARCA_ID_STRSZ];
		if ((rc = arca_sign_target_sign(cli->repo, &t[i], &added,
			&err)) < 0)
			break;
		arca_id_str(id, &t[i].id);
		json_array_append_new(list, json_pack("{s:s, s:s, s:s, s:b}",
			"target", t[i].label, "id", id, "kind", t[i].kind,
			"added", added));
		if (!cli->json && !cli->quiet)
			printf(added ? "signed %s (%s)\n" :
				"%s (%s) was signed by this key already\n",
				t[i].label, id);
	}
	free(t);
	if (rc < 0) {
		json_decref(list);
		return cli_fail(cli, rc, &err);
	}
	if (cli->json) {
		json_t *j = json_pack("{s:s, s:O}", "key", fpr, "signed", list);
		char *s = json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS);
		cli_json_print(s);
		free(s);
		json_decref(j);
	}
	json_decref(list);
	return EXIT_OK;
}
