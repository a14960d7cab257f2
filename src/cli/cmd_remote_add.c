/* arca remote add: name a place for push and pull. */
#include <stdlib.h>
#include <string.h>
#include <jansson.h>
#include "remote_out.h"

const arca_cli_spec cmd_remote_add_spec = {
	"NAME URL",
	"Adds remote NAME at URL: s3://BUCKET[/PREFIX], file:///PATH or a\n"
	"directory path (saved absolute). The global options --endpoint,\n"
	"--region and --path-style or --virtual-hosted given here are saved\n"
	"with it. Remotes are kept beside the local repository in\n"
	"remotes.json (elsewhere: ~/.config/arca/remotes-ID.json), never\n"
	"with credentials: a URL holding KEY:SECRET@ is refused. Names: 1 to\n"
	"64 letters, digits, '-', '_' or '.', starting with a letter or digit.",
	NULL, 0, 2, 2
};

int cmd_remote_add(arca_cli *cli, void *optsp, int argc, char **argv)
{
	arca_error err = ARCA_ERROR_INIT;
	arca_remote_list l;
	json_t *j;
	char *text;
	int rc;

	(void)optsp;
	(void)argc;
	if ((rc = arca_remote_add(cli->repo, argv[0], argv[1], &cli->store,
		&err)) < 0 ||
		(rc = arca_remote_list_load(&l, cli->repo, &err)) < 0)
		return cli_fail(cli, rc, &err);
	for (size_t i = 0; i < l.n; i++) {
		const arca_remote *rm = &l.v[i];
		if (strcmp(rm->name, argv[0]))
			continue;
		if (cli->json) {
			j = json_pack("{s:s, s:o, s:o, s:o, s:o}", "name",
				rm->name, "url", cli_json_text(rm->url),
				"endpoint", rm->endpoint ?
				cli_json_text(rm->endpoint) : json_null(),
				"region", rm->region ? cli_json_text(rm->region) :
				json_null(), "path_style", rm->path_style < 0 ?
				json_null() : json_boolean(rm->path_style));
			if ((text = json_dumps(j, JSON_COMPACT |
				JSON_SORT_KEYS)))
				cli_json_print(text);
			free(text);
			json_decref(j);
		} else if (!cli->quiet) {
			printf("added remote '%s': ", rm->name);
			cli_quote(stdout, rm->url, 0);
			putchar('\n');
		}
	}
	arca_remote_list_dispose(&l);
	return EXIT_OK;
}
