/* arca remote ls: the remotes of this repository. */
#include <stdlib.h>
#include <jansson.h>
#include "remote_out.h"

const arca_cli_spec cmd_remote_ls_spec = {
	"",
	"Lists this repository's remotes, by name: name, URL, and the\n"
	"endpoint, region and addressing saved with it (\"-\": from the\n"
	"environment at use). --json prints a JSON array of objects with\n"
	"\"name\", \"url\", \"endpoint\", \"region\" and \"path_style\" (null\n"
	"when not saved).",
	NULL, 0, 0, 0
};

static json_t *remote_json(const arca_remote *rm)
{
	return json_pack("{s:s, s:o, s:o, s:o, s:o}", "name", rm->name,
		"url", cli_json_text(rm->url), "endpoint", rm->endpoint ?
		cli_json_text(rm->endpoint) : json_null(), "region",
		rm->region ? cli_json_text(rm->region) : json_null(),
		"path_style", rm->path_style < 0 ? json_null() :
		json_boolean(rm->path_style));
}

int cmd_remote_ls(arca_cli *cli, void *optsp, int argc, char **argv)
{
	arca_error err = ARCA_ERROR_INIT;
	arca_remote_list l;
	json_t *arr;
	char *text;
	int rc;

	(void)optsp;
	(void)argc;
	(void)argv;
	if ((rc = arca_remote_list_load(&l, cli->repo, &err)) < 0)
		return cli_fail(cli, rc, &err);
	if (cli->json) {
		arr = json_array();
		for (size_t i = 0; i < l.n; i++)
			json_array_append_new(arr, remote_json(&l.v[i]));
		if ((text = json_dumps(arr, JSON_COMPACT | JSON_SORT_KEYS)))
			cli_json_print(text);
		free(text);
		json_decref(arr);
	} else {
		for (size_t i = 0; i < l.n; i++) {
			const arca_remote *rm = &l.v[i];
			printf("%-12s  ", rm->name);
			cli_quote(stdout, rm->url, 0);
			printf("  endpoint ");
			cli_quote(stdout, rm->endpoint ? rm->endpoint : "-", 0);
			printf("  region %s  %s\n", rm->region ? rm->region : "-",
				rm->path_style < 0 ? "-" : rm->path_style ?
				"path-style" : "virtual-hosted");
		}
	}
	arca_remote_list_dispose(&l);
	return EXIT_OK;
}
