/*
 * Before the first stage: a private work dir, the code and the inputs
 * restored into it from the repository (so a run, its resume and its
 * re-run all see exactly what was recorded, never the live directory).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "arca/restore.h"
#include "run/runner.h"
#include "util/buf.h"
#include "util/fs.h"
#include "util/json.h"

int run__work_create(run_ctx *x, arca_error *err)
{
	arca_buf root = ARCA_BUF_INIT, p = ARCA_BUF_INIT;
	const char *v = getenv("ARCA_WORK_DIR");
	int rc;

	if (x->o && x->o->work_root)
		rc = arca_fs_cache_path(&root, x->o->work_root, NULL, err);
	else if (v && *v)
		rc = arca_fs_cache_path(&root, v, NULL, err);
	else
		rc = arca_fs_cache_path(&root, NULL, "work", err);
	if (rc < 0)
		return rc;
	/* A fresh directory per attempt: a killed attempt's leftovers never
	 * leak into the next one. */
	if (arca_buf_printf(&p, "%s/run-XXXXXX", arca_buf_cstr(&root)) < 0) {
		rc = arca_error_set(err, ARCA_ERROR, "out of memory");
		goto done;
	}
	if (!mkdtemp((char *)p.data)) {
		rc = arca_error_set_errno(err, ARCA_ERROR, errno, "cannot create "
			"a work directory under '%s'", arca_buf_cstr(&root));
		goto done;
	}
	/* Absolute: stages run inside it and get paths under it. */
	if (!(x->work = realpath(arca_buf_cstr(&p), NULL))) {
		rc = arca_error_set(err, ARCA_ERROR, "out of memory");
		goto done;
	}
	arca_buf_clear(&p);
	arca_buf_printf(&p, "%s/tmp", x->work);
	if (mkdir(arca_buf_cstr(&p), 0700) < 0)
		rc = arca_error_set_errno(err, ARCA_ERROR, errno, "cannot "
			"create '%s'", arca_buf_cstr(&p));
done:
	arca_buf_dispose(&root);
	arca_buf_dispose(&p);
	return rc;
}

static int restore_into(run_ctx *x, const char *snapshot, const char *dir,
	const char *what, arca_error *err)
{
	arca_restore_opts ro = ARCA_RESTORE_OPTS_INIT;
	arca_restore_stats st;
	arca_id id;
	int rc;

	if ((rc = arca_id_parse(&id, snapshot)) < 0)
		return arca_error_set(err, ARCA_ECORRUPT, "the run names an "
			"invalid snapshot for %s", what);
	if ((rc = arca_restore_dir(&st, x->r, &id, "", dir, &ro, err)) < 0)
		return arca_error_prefix(err, "restoring %s", what);
	return 0;
}

int run__materialize(run_ctx *x, arca_error *err)
{
	json_t *inputs = json_object_get(x->doc, "inputs"), *in;
	const char *code = run__str(x->doc, "code");
	char path[4200], what[200];
	size_t i;
	int rc;

	if (code) {
		snprintf(path, sizeof(path), "%s/code", x->work);
		if (!(x->code = strdup(path)))
			return arca_error_set(err, ARCA_ERROR, "out of memory");
		if ((rc = restore_into(x, code, path, "the code", err)) < 0)
			return rc;
	}
	x->ninputs = json_array_size(inputs);
	x->input_names = calloc(x->ninputs + 1, sizeof(char *));
	x->input_paths = calloc(x->ninputs + 1, sizeof(char *));
	if (!x->input_names || !x->input_paths)
		return arca_error_set(err, ARCA_ERROR, "out of memory");
	snprintf(path, sizeof(path), "%s/inputs", x->work);
	if (x->ninputs && mkdir(path, 0700) < 0 && errno != EEXIST)
		return arca_error_set_errno(err, ARCA_ERROR, errno, "cannot "
			"create '%s'", path);
	json_array_foreach(inputs, i, in) {
		const char *name = run__str(in, "name");
		const char *snap = run__str(in, "snapshot");
		if (!name || !snap)
			return arca_error_set(err, ARCA_ECORRUPT, "the run's "
				"input %zu has no name or snapshot", i + 1);
		snprintf(path, sizeof(path), "%s/inputs/%s", x->work, name);
		snprintf(what, sizeof(what), "input '%s' (%s)", name,
			run__str(in, "version_ref") ? run__str(in,
			"version_ref") : snap);
		x->input_names[i] = strdup(name);
		x->input_paths[i] = strdup(path);
		if (!x->input_names[i] || !x->input_paths[i])
			return arca_error_set(err, ARCA_ERROR, "out of memory");
		if ((rc = restore_into(x, snap, path, what, err)) < 0)
			return rc;
	}
	return 0;
}

int run__template_restore(run_ctx *x, const arca_id *object,
	const char *file, arca_error *err)
{
	unsigned char *data = NULL;
	char path[4200];
	size_t len;
	int fd, rc;

	if ((rc = arca_repo_object_read(x->r, &data, &len, object, err)) < 0)
		return arca_error_prefix(err, "reading the run's template");
	snprintf(path, sizeof(path), "%s/%s", x->work, file);
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0) {
		free(data);
		return arca_error_set_errno(err, ARCA_ERROR, errno, "cannot "
			"create '%s'", path);
	}
	rc = write(fd, data, len) == (ssize_t)len ? 0 : -1;
	if (close(fd) < 0)
		rc = -1;
	free(data);
	if (rc < 0)
		return arca_error_set_errno(err, ARCA_ERROR, errno, "cannot "
			"write '%s'", path);
	rc = arca_template_load(&x->t, path, NULL, NULL, err);
	return rc < 0 ? arca_error_prefix(err, "the run's template") : 0;
}
