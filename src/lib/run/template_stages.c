/*
 * Template stages: each stage's members, outputs that are unique and
 * never overlap, depends_on checked and sorted topologically (ties in
 * file order), a cycle reported with its path.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "repo/repo.h"
#include "run/template_int.h"

void arca_template__stage_free(arca_template_stage *s)
{
	free(s->name);
	arca_template__strv_free(s->run);
	arca_template__strv_free(s->env);
	arca_template__strv_free(s->depends_on);
	for (size_t i = 0; i < s->noutputs; i++) {
		free(s->outputs[i].name);
		free(s->outputs[i].path);
	}
	free(s->outputs);
	free(s->metrics);
}

/* A relative path inside the work dir: why not, or NULL when fine. */
static const char *path_problem(const char *p, int dir_ok)
{
	size_t n = strlen(p);
	const char *c = p;

	if (!n)
		return "it is empty";
	if (p[0] == '/')
		return "it is absolute";
	if (n > 1024)
		return "it is longer than 1024 bytes";
	if (p[n - 1] == '/' && !dir_ok)
		return "it names a directory";
	while (*c) {
		size_t len = strcspn(c, "/");
		if (!len && c[len])
			return "it has an empty component ('//')";
		if ((len == 1 && c[0] == '.') || (len == 2 && !strncmp(c, "..", 2)))
			return "it has a '.' or '..' component";
		c += len + (c[len] == '/');
	}
	if (!strncmp(p, "inputs", 6) && (!p[6] || p[6] == '/'))
		return "inputs/ is where the dataset inputs are restored";
	return NULL;
}

/* One output; 0 when it was not kept. */
static int load_output(arca_tpl_ld *ld, arca_template_output *o,
	const char *stage, struct fy_node *kn, struct fy_node *v)
{
	static const char *const keys[] = { "kind", "path", NULL };
	static const char *const kinds[] = { "adapter", "report", "model",
		"data", NULL };
	const char *name = arca_template__scalar(kn), *why;
	char what[192], *kind = NULL;
	int i;

	if (!name || !arca_template__ident_valid(name)) {
		arca_template__diag(ld, kn, "stage '%s': invalid output name "
			"'%s' (expected " ARCA_TEMPLATE_IDENT_RULE ")", stage,
			name ? name : "");
		return 0;
	}
	snprintf(what, sizeof(what), "output '%s' of stage '%s'", name, stage);
	if (arca_yaml__map(&ld->y, v, what) < 0) {
		arca_template__diag_yaml(ld);
		return 0;
	}
	arca_template__keys(ld, v, keys, what);
	if (arca_template__str(ld, v, "kind", what, 1, &kind) > 0) {
		for (i = 0; kinds[i] && strcmp(kinds[i], kind); i++)
			;
		if (kinds[i])
			o->kind = (arca_output_kind)(i + 1);
		else
			arca_template__diag(ld, arca_yaml__get(v, "kind"), "%s: "
				"unknown kind '%s' (expected adapter, report, "
				"model or data)", what, kind);
	}
	free(kind);
	if (arca_template__str(ld, v, "path", what, 1, &o->path) > 0 &&
		(why = path_problem(o->path, 1)))
		arca_template__diag(ld, arca_yaml__get(v, "path"), "%s: path "
			"'%s' is not allowed: %s (expected a relative path inside "
			"the work directory)", what, o->path, why);
	if (!o->path)
		o->path = strdup("");
	o->dir = o->path[0] && o->path[strlen(o->path) - 1] == '/';
	o->name = strdup(name);
	return 1;
}

static void load_outputs(arca_tpl_ld *ld, arca_template_stage *s,
	struct fy_node *n, const char *stage)
{
	struct fy_node_pair *pr;
	void *it = NULL;
	char what[160];

	snprintf(what, sizeof(what), "the outputs of stage '%s'", stage);
	if (arca_yaml__map(&ld->y, n, what) < 0) {
		arca_template__diag_yaml(ld);
		return;
	}
	s->outputs = calloc((size_t)fy_node_mapping_item_count(n) + 1,
		sizeof(*s->outputs));
	while (s->outputs && (pr = fy_node_mapping_iterate(n, &it)))
		s->noutputs += (size_t)load_output(ld, &s->outputs[s->noutputs],
			stage, fy_node_pair_key(pr), fy_node_pair_value(pr));
}

static void load_env(arca_tpl_ld *ld, arca_template_stage *s,
	struct fy_node *n, const char *stage)
{
	struct fy_node *item;
	void *it = NULL;
	size_t k = 0;

	if (!(s->env = arca_template__strlist(ld, n, "env",
		"an env name")))
		return;
	while ((item = fy_node_sequence_iterate(n, &it))) {
		const char *v = arca_template__scalar(item);
		if (!v)
			continue;
		if (!arca_template__env_name_valid(v))
			arca_template__diag(ld, item, "stage '%s': invalid "
				"environment variable name '%s' (expected "
				"letters, digits and '_', not starting with a "
				"digit)", stage, v);
		for (size_t j = 0; j < k; j++)
			if (!strcmp(s->env[j], v)) {
				arca_template__diag(ld, item, "stage '%s': env "
					"lists '%s' twice", stage, v);
				break;
			}
		k++;
	}
}

static void load_stage(arca_tpl_ld *ld, arca_template_stage *s,
	struct fy_node *n, size_t index)
{
	static const char *const keys[] = { "name", "run", "env",
		"depends_on", "outputs", "metrics", "budget", NULL };
	struct fy_node *v;
	char what[160], label[128];
	const char *why;
	int col;

	arca_yaml__pos(&ld->y, n, &s->line, &col);
	snprintf(what, sizeof(what), "stage %zu", index + 1);
	if (arca_template__str(ld, n, "name", what, 1, &s->name) > 0 &&
		!arca_repo__dataset_name_valid(s->name))
		arca_template__diag(ld, arca_yaml__get(n, "name"), "invalid "
			"stage name '%s' (expected " ARCA_DATASET_NAME_RULE ")",
			s->name);
	snprintf(label, sizeof(label), "%.100s", s->name ? s->name : what);
	if (s->name)
		snprintf(what, sizeof(what), "stage '%s'", label);
	arca_template__keys(ld, n, keys, what);
	if (!(v = arca_yaml__get(n, "run")))
		arca_template__diag(ld, n, "%s is missing its required member "
			"'run' (expected a list: the program and its arguments)",
			what);
	else if ((s->run = arca_template__strlist(ld, v, "run",
		"a run element"))) {
		while (s->run[s->nrun])
			s->nrun++;
		if (!fy_node_sequence_item_count(v))
			arca_template__diag(ld, v, "%s: run is empty (expected "
				"at least the program to run)", what);
	}
	if ((v = arca_yaml__get(n, "env")))
		load_env(ld, s, v, label);
	if ((v = arca_yaml__get(n, "depends_on")))
		s->depends_on = arca_template__strlist(ld, v,
			"depends_on", "a depends_on entry");
	if ((v = arca_yaml__get(n, "outputs")))
		load_outputs(ld, s, v, label);
	if (arca_template__str(ld, n, "metrics", what, 0, &s->metrics) > 0 &&
		(why = path_problem(s->metrics, 0)))
		arca_template__diag(ld, arca_yaml__get(n, "metrics"), "%s: "
			"metrics file '%s' is not allowed: %s (expected a file "
			"path relative to the work directory)", what, s->metrics,
			why);
	if ((v = arca_yaml__get(n, "budget")))
		arca_template__load_budget(ld, v, &s->budget, what);
	if (!s->env)
		s->env = calloc(1, sizeof(*s->env));
	if (!s->depends_on)
		s->depends_on = calloc(1, sizeof(*s->depends_on));
	if (!s->run)
		s->run = calloc(1, sizeof(*s->run));
}

static int overlap(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);

	la -= la && a[la - 1] == '/';
	lb -= lb && b[lb - 1] == '/';
	if (la > lb)
		return overlap(b, a);
	return !strncmp(a, b, la) && (la == lb || b[la] == '/');
}

/* Names unique; outputs unique and apart. */
static void check_names(arca_tpl_ld *ld)
{
	arca_template *t = ld->t;

	for (size_t i = 0; i < t->nstages; i++) {
		arca_template_stage *s = &t->stages[i];
		struct fy_node *outs = arca_yaml__get(ld->stage_nodes[i],
			"outputs");

		for (size_t j = 0; s->name && j < i; j++)
			if (t->stages[j].name &&
				!strcmp(t->stages[j].name, s->name)) {
				arca_template__diag(ld, arca_yaml__get(
					ld->stage_nodes[i], "name"), "stage name "
					"'%s' is used twice (first on line %d; "
					"expected unique stage names)", s->name,
					t->stages[j].line);
				break;
			}
		for (size_t k = 0; k < s->noutputs; k++) {
			arca_template_output *o = &s->outputs[k];
			struct fy_node *on = arca_yaml__get(outs, o->name);
			int dup = 0;
			for (size_t j = 0; j <= i && !dup; j++)
				for (size_t m = 0; m < (j < i ?
					t->stages[j].noutputs : k) && !dup; m++) {
					arca_template_output *q =
						&t->stages[j].outputs[m];
					if (!strcmp(q->name, o->name)) {
						arca_template__diag(ld, on, "output "
							"name '%s' is used twice (also "
							"in stage '%s'; expected names "
							"unique across all stages)",
							o->name, t->stages[j].name ?
							t->stages[j].name : "?");
						dup = 1;
					} else if (*o->path && *q->path &&
						overlap(o->path, q->path)) {
						arca_template__diag(ld,
							arca_yaml__get(on, "path"),
							"output '%s' path '%s' "
							"overlaps output '%s' path "
							"'%s' (expected paths that "
							"are not inside one another)",
							o->name, o->path, q->name,
							q->path);
						dup = 1;
					}
				}
		}
	}
}

static size_t stage_index(const arca_template *t, const char *name)
{
	for (size_t i = 0; i < t->nstages; i++)
		if (t->stages[i].name && !strcmp(t->stages[i].name, name))
			return i;
	return (size_t)-1;
}

/* dep[a*n+b]: stage a lists stage b in depends_on (file order). */
static unsigned char *direct_deps(arca_tpl_ld *ld, int report)
{
	arca_template *t = ld->t;
	size_t n = t->nstages;
	unsigned char *dep = calloc(n * n + 1, 1);
	const char **names = calloc(n + 1, sizeof(*names));

	for (size_t i = 0; dep && names && i < n; i++)
		names[i] = t->stages[i].name ? t->stages[i].name : "";
	for (size_t a = 0; dep && names && a < n; a++) {
		arca_template_stage *s = &t->stages[a];
		struct fy_node *dn = arca_yaml__get(ld->stage_nodes[a],
			"depends_on");
		for (size_t k = 0; s->depends_on[k]; k++) {
			size_t b = stage_index(t, s->depends_on[k]);
			struct fy_node *item = dn ?
				fy_node_sequence_get_by_index(dn, (int)k) : NULL;
			const char *near;

			if (b == (size_t)-1) {
				near = arca_template__suggest(s->depends_on[k],
					names, n);
				if (report)
					arca_template__diag(ld, item, "stage '%s' "
						"depends on '%s', which is no "
						"stage%s%s%s", names[a],
						s->depends_on[k], near ?
						" (did you mean '" : "", near ?
						near : "", near ? "'?)" : "");
				continue;
			}
			if (dep[a * n + b] && report)
				arca_template__diag(ld, item, "stage '%s' lists "
					"'%s' twice in depends_on", names[a],
					s->depends_on[k]);
			dep[a * n + b] = 1;
		}
	}
	free(names);
	return dep;
}

/* Reports the cycle through stage start among the unplaced stages, and
 * marks its stages placed. */
static void report_cycle(arca_tpl_ld *ld, const unsigned char *dep,
	unsigned char *placed, size_t start)
{
	arca_template *t = ld->t;
	size_t n = t->nstages, *path = calloc(n + 1, sizeof(*path)), len = 0;
	size_t cur = start, first = 0;
	char msg[768];
	size_t used = 0;

	if (!path)
		return;
	/* walk unplaced dependencies until a stage repeats */
	for (;;) {
		size_t k, next = (size_t)-1;
		for (k = 0; k < len && path[k] != cur; k++)
			;
		if (k < len) {
			first = k;
			break;
		}
		path[len++] = cur;
		for (size_t b = 0; b < n; b++)
			if (dep[cur * n + b] && !placed[b]) {
				next = b;
				break;
			}
		if (next == (size_t)-1 || len > n) { /* cannot happen */
			free(path);
			return;
		}
		cur = next;
	}
	msg[0] = '\0';
	for (size_t k = first; k < len && used < sizeof(msg); k++) {
		int w = snprintf(msg + used, sizeof(msg) - used, "%s -> ",
			t->stages[path[k]].name);
		used += w > 0 ? (size_t)w : 0;
	}
	if (used < sizeof(msg))
		snprintf(msg + used, sizeof(msg) - used, "%s",
			t->stages[path[first]].name);
	arca_template__diag(ld, arca_yaml__get(ld->stage_nodes[path[first]],
		"depends_on"), "dependency cycle: %s (expected stages that "
		"do not depend on themselves)", msg);
	for (size_t k = first; k < len; k++)
		placed[path[k]] = 1;
	free(path);
}

/* Kahn's algorithm; ties go to the stage first in the file. */
static void sort_stages(arca_tpl_ld *ld)
{
	arca_template *t = ld->t;
	size_t n = t->nstages, *order, done = 0;
	unsigned char *dep = direct_deps(ld, 1), *placed;
	int cycle = 0;

	order = calloc(n + 1, sizeof(*order));
	placed = calloc(n + 1, 1);
	while (dep && order && placed && done < n) {
		size_t a, b;
		for (a = 0; a < n; a++) {
			if (placed[a])
				continue;
			for (b = 0; b < n && !(dep[a * n + b] && !placed[b]); b++)
				;
			if (b == n)
				break;
		}
		if (a < n) {
			placed[a] = 1;
			order[done++] = a;
			continue;
		}
		for (a = 0; placed[a]; a++)
			;
		report_cycle(ld, dep, placed, a);
		cycle = 1;
		for (done = 0, a = 0; a < n; a++)
			done += placed[a];
	}
	if (dep && order && placed && !cycle) {
		arca_template_stage *sorted = calloc(n + 1, sizeof(*sorted));
		struct fy_node **nodes = calloc(n + 1, sizeof(*nodes));
		if (sorted && nodes) {
			for (size_t i = 0; i < n; i++) {
				sorted[i] = t->stages[order[i]];
				nodes[i] = ld->stage_nodes[order[i]];
			}
			free(t->stages);
			free(ld->stage_nodes);
			t->stages = sorted;
			ld->stage_nodes = nodes;
			sorted = NULL;
			nodes = NULL;
			ld->sorted = 1;
		}
		free(sorted);
		free(nodes);
	}
	free(dep);
	free(order);
	free(placed);
	if (!ld->sorted)
		return;
	/* reach: the transitive closure, in execution order */
	dep = direct_deps(ld, 0);
	ld->reach = calloc(n * n + 1, 1);
	for (size_t a = 0; dep && ld->reach && a < n; a++)
		for (size_t b = 0; b < a; b++)
			if (dep[a * n + b]) {
				ld->reach[a * n + b] = 1;
				for (size_t c = 0; c < b; c++)
					ld->reach[a * n + c] |=
						ld->reach[b * n + c];
			}
	if (!dep || !ld->reach)
		ld->sorted = 0;
	free(dep);
}

void arca_template__load_stages(arca_tpl_ld *ld, struct fy_node *n)
{
	arca_template *t = ld->t;
	struct fy_node *item;
	void *it = NULL;
	size_t count;

	if (arca_yaml__seq(&ld->y, n, "stages") < 0) {
		arca_template__diag_yaml(ld);
		return;
	}
	count = (size_t)fy_node_sequence_item_count(n);
	if (!count) {
		arca_template__diag(ld, n, "the template has no stages "
			"(expected at least one)");
		return;
	}
	t->stages = calloc(count + 1, sizeof(*t->stages));
	ld->stage_nodes = calloc(count + 1, sizeof(*ld->stage_nodes));
	if (!t->stages || !ld->stage_nodes) {
		arca_template__diag(ld, n, "out of memory");
		return;
	}
	for (size_t i = 0; (item = fy_node_sequence_iterate(n, &it)); i++) {
		char what[32];
		snprintf(what, sizeof(what), "stage %zu", i + 1);
		if (arca_yaml__map(&ld->y, item, what) < 0) {
			arca_template__diag_yaml(ld);
			continue;
		}
		ld->stage_nodes[t->nstages] = item;
		load_stage(ld, &t->stages[t->nstages++], item, i);
	}
	check_names(ld);
	sort_stages(ld);
}
