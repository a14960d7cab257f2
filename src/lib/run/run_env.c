/*
 * What a run records about where it ran, and the environment its stages
 * get: a fixed base (so a re-run sees the same one) plus the variables
 * each stage allowlists, whose values are recorded.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>
#include "run/runner.h"
#include "util/utf8.h"

#define RUN_BASE_PATH "/usr/local/bin:/usr/bin:/bin"

/* The value of KEY=... in a file of such lines (os-release), unquoted. */
static void file_value(char *out, size_t n, const char *path,
	const char *key, char sep)
{
	char line[512];
	size_t klen = strlen(key);
	FILE *f = fopen(path, "re");

	*out = '\0';
	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		char *v, *end;
		if (strncmp(line, key, klen))
			continue;
		v = line + klen;
		while (*v == ' ' || *v == '\t')
			v++;
		if (*v != sep)
			continue;
		v++;
		while (*v == ' ' || *v == '\t' || *v == '"')
			v++;
		end = v + strcspn(v, "\"\n");
		*end = '\0';
		snprintf(out, n, "%s", v);
		break;
	}
	fclose(f);
	arca_utf8_sanitize(out);
}

/* First line of `tool --version`, run like a stage (argv, no shell). */
static json_t *tool_version(const char *tool)
{
	char dir[] = "/tmp/arca-tool.XXXXXX", out[4200], errp[4200];
	char line[256] = "";
	char *const argv[] = { (char *)tool, (char *)"--version", NULL };
	char pathenv[] = "PATH=" RUN_BASE_PATH;
	char *const envp[] = { pathenv, NULL };
	arca_exec_opts o = { 0 };
	arca_exec_result res;
	arca_error err = ARCA_ERROR_INIT;
	FILE *f;

	if (!mkdtemp(dir))
		return json_null();
	snprintf(out, sizeof(out), "%s/out", dir);
	snprintf(errp, sizeof(errp), "%s/err", dir);
	o.argv = argv;
	o.envp = envp;
	o.cwd = dir;
	o.stdout_path = out;
	o.stderr_path = errp;
	o.wall_ms = 10000;
	o.term_grace_ms = 1000;
	if (arca_exec_run(&res, &o, &err) == 0 && res.end == ARCA_EXEC_EXITED &&
		res.exit_code == 0 && (f = fopen(out, "re"))) {
		if (!fgets(line, sizeof(line), f))
			line[0] = '\0';
		fclose(f);
		line[strcspn(line, "\r\n")] = '\0';
	}
	unlink(out);
	unlink(errp);
	rmdir(dir);
	arca_utf8_sanitize(line);
	return *line ? json_string(line) : json_null();
}

json_t *run__environment(const arca_template *t)
{
	char os[256], cpu[256];
	struct utsname u;
	json_t *env = json_object(), *tools = json_object();

	file_value(os, sizeof(os), "/etc/os-release", "PRETTY_NAME", '=');
	file_value(cpu, sizeof(cpu), "/proc/cpuinfo", "model name", ':');
	json_object_set_new(env, "arca_version", json_string(ARCA_VERSION));
	json_object_set_new(env, "os", json_string(os));
	if (uname(&u) == 0) {
		arca_utf8_sanitize(u.release);
		arca_utf8_sanitize(u.machine);
		json_object_set_new(env, "kernel", json_string(u.release));
		json_object_set_new(env, "machine", json_string(u.machine));
	}
	json_object_set_new(env, "cpu", json_string(cpu));
	json_object_set_new(env, "cpus", json_integer(sysconf(
		_SC_NPROCESSORS_ONLN)));
	for (size_t i = 0; t->tools && t->tools[i]; i++)
		json_object_set_new(tools, t->tools[i],
			tool_version(t->tools[i]));
	json_object_set_new(env, "tools", tools);
	json_object_set_new(env, "variables", json_object());
	return env;
}

void run__strv_free(char **v)
{
	for (size_t i = 0; v && v[i]; i++)
		free(v[i]);
	free(v);
}

static int strv_add(char ***v, size_t *n, const char *name,
	const char *value)
{
	char **nv = realloc(*v, (*n + 2) * sizeof(**v));
	size_t len = strlen(name) + strlen(value) + 2;

	if (!nv)
		return -1;
	*v = nv;
	if (!(nv[*n] = malloc(len)))
		return -1;
	snprintf(nv[*n], len, "%s=%s", name, value);
	nv[++*n] = NULL;
	return 0;
}

/* Replaces NAME in v when present (an allowlisted PATH wins). */
static int strv_set(char ***v, size_t *n, const char *name,
	const char *value)
{
	size_t len = strlen(name);

	for (size_t i = 0; i < *n; i++)
		if (!strncmp((*v)[i], name, len) && (*v)[i][len] == '=') {
			free((*v)[i]);
			memmove(&(*v)[i], &(*v)[i + 1],
				(*n - i) * sizeof(**v));
			(*n)--;
			break;
		}
	return strv_add(v, n, name, value);
}

char **run__child_env(const arca_template_stage *s, const char *work,
	json_t *recorded, json_t *replay)
{
	char **v = calloc(1, sizeof(*v)), tmp[4200];
	size_t n = 0;
	int bad = !v;

	snprintf(tmp, sizeof(tmp), "%s/tmp", work);
	bad = bad || strv_add(&v, &n, "PATH", RUN_BASE_PATH) ||
		strv_add(&v, &n, "HOME", work) ||
		strv_add(&v, &n, "TMPDIR", tmp) ||
		strv_add(&v, &n, "LC_ALL", "C.UTF-8") ||
		strv_add(&v, &n, "TZ", "UTC");
	for (size_t i = 0; !bad && s->env && s->env[i]; i++) {
		/* A re-run gets the values the original recorded. */
		const char *val = replay ? json_string_value(json_object_get(
			replay, s->env[i])) : getenv(s->env[i]);
		if (!val)
			continue;
		bad = strv_set(&v, &n, s->env[i], val) < 0;
		/* Recorded so a re-run can be given the same values. */
		if (!bad && recorded && arca_utf8_valid(val, strlen(val)))
			json_object_set_new(recorded, s->env[i],
				json_string(val));
	}
	if (bad) {
		run__strv_free(v);
		return NULL;
	}
	return v;
}
