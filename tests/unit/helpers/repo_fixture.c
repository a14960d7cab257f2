#include <stdlib.h>
#include <string.h>
#include "repo_fixture.h"
#include "util/json.h"
#include "util/sys.h"

arca_repo *tu_repo_new(char **dir)
{
	arca_error err = ARCA_ERROR_INIT;
	arca_repo *r = NULL;
	char *path;

	*dir = tu_mkdtemp();
	if (asprintf(&path, "%s/repo", *dir) < 0)
		fail_msg("asprintf");
	if (arca_repo_init(&r, path, NULL, &err) < 0)
		fail_msg("arca_repo_init: %s", err.msg);
	free(path);
	return r;
}

arca_id tu_put_blob(arca_repo *r, const void *data, size_t len)
{
	arca_error err = ARCA_ERROR_INIT;
	arca_put_result res;

	if (arca_repo__object_put(r, &res, data, len, 0, NULL, &err) < 0)
		fail_msg("object put: %s", err.msg);
	return res.id;
}

arca_id tu_put_tree(arca_repo *r, arca_node *nodes, size_t n)
{
	arca_error err = ARCA_ERROR_INIT;
	arca_buf b = ARCA_BUF_INIT;
	arca_id id;

	if (arca_tree_serialize(&b, nodes, n, &err) < 0)
		fail_msg("tree serialize: %s", err.msg);
	id = tu_put_blob(r, b.data, b.len);
	arca_buf_dispose(&b);
	return id;
}

arca_id tu_put_snapshot(arca_repo *r, const arca_id *tree)
{
	arca_error err = ARCA_ERROR_INIT;
	char now[ARCA_TIME_STRSZ];
	json_t *doc;
	arca_id id;

	arca_time_format(now, arca_time_now_ns());
	doc = json_pack("{s:s, s:i, s:o, s:s, s:s, s:s, s:{s:s, s:s}}",
		"type", "snapshot", "version", 1, "tree", arca_json_id(tree),
		"time", now, "hostname", "test", "username", "test",
		"source", "kind", "directory", "path", "/fixture");
	if (!doc || arca_repo__json_put(r, &id, doc, 0, &err) < 0 ||
		arca_repo__flush(r, &err) < 0 ||
		arca_repo__record_add(r, "snapshot", &id, &err) < 0)
		fail_msg("snapshot: %s", err.msg);
	json_decref(doc);
	return id;
}

arca_node tu_file(const char *name, const arca_id *chunks, size_t n,
	uint64_t size)
{
	arca_node node;

	memset(&node, 0, sizeof(node));
	node.name = (char *)name;
	node.name_len = strlen(name);
	node.type = ARCA_ENTRY_FILE;
	node.mode = 0644;
	node.mtime_ns = 1700000000LL * 1000000000LL;
	node.chunks = (arca_id *)chunks;
	node.nchunks = n;
	node.size = size;
	return node;
}

arca_node tu_dir(const char *name, const arca_id *tree)
{
	arca_node node;

	memset(&node, 0, sizeof(node));
	node.name = (char *)name;
	node.name_len = strlen(name);
	node.type = ARCA_ENTRY_DIR;
	node.mode = 0755;
	node.mtime_ns = 1700000000LL * 1000000000LL;
	node.tree = *tree;
	return node;
}

arca_node tu_link(const char *name, const char *target)
{
	arca_node node;

	memset(&node, 0, sizeof(node));
	node.name = (char *)name;
	node.name_len = strlen(name);
	node.type = ARCA_ENTRY_SYMLINK;
	node.mode = 0777;
	node.mtime_ns = 1700000000LL * 1000000000LL;
	node.target = (char *)target;
	node.target_len = strlen(target);
	return node;
}
