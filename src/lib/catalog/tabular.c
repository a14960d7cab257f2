/* The validator's frame: files, issues, name lookup, the carry buffer. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "catalog/stats_int.h"
#include "catalog/tabular_int.h"

static int build_names(arca_tab *t)
{
	const arca_schema *s = t->s;
	uint32_t size = 8;

	while (size < 2 * s->field_count)
		size *= 2;
	if (!(t->name_slots = calloc(size, sizeof(uint32_t))))
		return -1;
	t->name_mask = size - 1;
	for (size_t i = 0; i < s->field_count; i++) {
		const char *n = s->fields[i].name;
		uint32_t h;
		t->fields[i].name_len = strlen(n);
		h = (uint32_t)arca_stats__hash(n, t->fields[i].name_len);
		while (t->name_slots[h & t->name_mask])
			h++;
		t->name_slots[h & t->name_mask] = (uint32_t)i + 1;
	}
	return 0;
}

long arca_tab__lookup(const arca_tab *t, const char *p, size_t len)
{
	uint32_t h = (uint32_t)arca_stats__hash(p, len), k;

	for (; (k = t->name_slots[h & t->name_mask]); h++)
		if (t->fields[k - 1].name_len == len &&
			!memcmp(t->s->fields[k - 1].name, p, len))
			return (long)k - 1;
	return -1;
}

static int build_enums(arca_tab *t)
{
	for (size_t i = 0; i < t->s->field_count; i++) {
		const arca_schema_field *f = &t->s->fields[i];
		tab_field *tf = &t->fields[i];
		if (!f->enum_count)
			continue;
		tf->enum_hash = calloc(f->enum_count, sizeof(uint64_t));
		tf->enum_len = calloc(f->enum_count, sizeof(size_t));
		if (!tf->enum_hash || !tf->enum_len)
			return -1;
		for (size_t k = 0; k < f->enum_count; k++) {
			tf->enum_len[k] = strlen(f->enum_values[k]);
			tf->enum_hash[k] = arca_stats__hash(f->enum_values[k],
				tf->enum_len[k]);
		}
	}
	return 0;
}

arca_tab *arca_tab_new(const arca_schema *s, arca_stats *stats,
	size_t max_errors)
{
	arca_tab *t;

	if (s->format == ARCA_SCHEMA_FILES || (stats && (stats->summary ||
		stats->nfields != s->field_count)))
		return NULL;
	if (!(t = calloc(1, sizeof(*t))))
		return NULL;
	t->s = s;
	t->stats = stats;
	t->csv = s->format == ARCA_SCHEMA_CSV;
	t->max_errors = max_errors;
	if (!(t->fields = calloc(s->field_count, sizeof(*t->fields))) ||
		build_names(t) < 0 || build_enums(t) < 0 ||
		(t->csv ? arca_tab__csv_init(t) : arca_tab__jsonl_init(t)) < 0) {
		arca_tab_free(t);
		return NULL;
	}
	return t;
}

void arca_tab_free(arca_tab *t)
{
	if (!t)
		return;
	for (size_t i = 0; i < t->s->field_count && t->fields; i++) {
		free(t->fields[i].enum_hash);
		free(t->fields[i].enum_len);
	}
	for (size_t i = 0; i < t->nissues; i++) {
		free((char *)t->issues[i].message);
		free((char *)t->issues[i].text);
	}
	for (size_t i = 0; i < t->nnames; i++)
		free(t->names[i]);
	free(t->names);
	free(t->issues);
	free(t->fields);
	free(t->name_slots);
	free(t->colmap);
	free(t->mapped);
	free(t->cells);
	free(t->vals);
	free(t->seen);
	free(t->unknown);
	arca_buf_dispose(&t->carry);
	arca_buf_dispose(&t->scratch);
	arca_buf_dispose(&t->scratch2);
	free(t);
}

int arca_tab_begin_file(arca_tab *t, const char *display_name)
{
	char **names, *copy;

	if (t->open || t->fatal)
		return ARCA_ERROR;
	if (!(copy = strdup(display_name)))
		return ARCA_ERROR;
	if (!(names = realloc(t->names, (t->nnames + 1) * sizeof(*names)))) {
		free(copy);
		return ARCA_ERROR;
	}
	t->names = names;
	t->names[t->nnames++] = copy;
	t->file = copy;
	t->open = true;
	t->line = 1;
	t->bytes = 0;
	t->bom = 0;
	t->header_done = !(t->csv && t->s->csv_header);
	arca_buf_clear(&t->carry);
	t->scan = 0;
	return 0;
}

static int feed_data(arca_tab *t, const char *p, size_t len, arca_error *err)
{
	int rc = t->csv ? arca_tab__csv_feed(t, p, len, err) :
		arca_tab__jsonl_feed(t, p, len, err);

	if (rc < 0)
		t->fatal = rc;
	return rc;
}

int arca_tab_feed(arca_tab *t, const void *data, size_t len,
	arca_error *err)
{
	static const char bom[3] = { '\xEF', '\xBB', '\xBF' };
	const char *p = data;
	int rc;

	if (!t->open || t->fatal)
		return arca_error_set(err, t->fatal ? t->fatal : ARCA_ERROR,
			"%s: validator %s", t->file ? t->file : "?",
			t->fatal ? "stopped by an earlier error" :
			"has no open file");
	t->bytes += len;
	/* a UTF-8 byte order mark may start a file (Excel writes one) */
	while (t->bom >= 0 && len) {
		if (*p != bom[t->bom]) {
			int matched = t->bom;
			t->bom = -1;
			if (matched && (rc = feed_data(t, bom, (size_t)matched,
				err)) < 0)
				return rc;
			break;
		}
		p++, len--;
		if (++t->bom == 3)
			t->bom = -1;
	}
	return len ? feed_data(t, p, len, err) : 0;
}

int arca_tab_end_file(arca_tab *t, arca_error *err)
{
	static const char bom[3] = { '\xEF', '\xBB', '\xBF' };
	int rc = 0;

	if (!t->open)
		return arca_error_set(err, ARCA_ERROR, "validator has no open "
			"file");
	if (t->fatal) {
		t->open = false;
		return arca_error_set(err, t->fatal, "%s: validation stopped "
			"by an earlier error", t->file);
	}
	if (t->bom > 0)
		rc = feed_data(t, bom, (size_t)t->bom, err);
	if (rc == 0)
		rc = t->csv ? arca_tab__csv_end(t, err) :
			arca_tab__jsonl_end(t, err);
	if (rc < 0)
		t->fatal = rc;
	else if (t->stats)
		arca_stats_add_file(t->stats, t->bytes);
	t->open = false;
	arca_buf_clear(&t->carry);
	return rc;
}

uint64_t arca_tab_rows(const arca_tab *t)
{
	return t->rows;
}

uint64_t arca_tab_invalid_rows(const arca_tab *t)
{
	return t->invalid_rows;
}

uint64_t arca_tab_error_count(const arca_tab *t)
{
	return t->errors;
}

size_t arca_tab_issue_count(const arca_tab *t)
{
	return t->nissues;
}

const arca_tab_issue *arca_tab_issue_at(const arca_tab *t, size_t i)
{
	return i < t->nissues ? &t->issues[i] : NULL;
}

void arca_tab__row_begin(arca_tab *t)
{
	t->rows++;
	t->row_bad = false;
}

void arca_tab__row_end(arca_tab *t)
{
	t->invalid_rows += t->row_bad;
	if (t->stats)
		arca_stats__row(t->stats, !t->row_bad);
}

int arca_tab__carry(arca_tab *t, const char *p, size_t len,
	arca_error *err)
{
	if (t->carry.len + len > ARCA_TAB_MAX_RECORD)
		return arca_error_set(err, ARCA_EINVALID, "%s:%llu: record is "
			"longer than %u MiB%s", t->file,
			(unsigned long long)t->line, ARCA_TAB_MAX_RECORD >> 20,
			t->csv ? " (an unterminated quoted field?)" : "");
	if (arca_buf_put(&t->carry, p, len) < 0)
		return arca_error_set(err, ARCA_ERROR, "out of memory");
	return 0;
}

/* ---- issues ---- */

static void keep_issue(arca_tab *t, const arca_schema_field *f,
	const char *msg)
{
	arca_tab_issue *is;
	char *m, *text;
	size_t n;

	if (t->nissues == t->issues_cap) {
		/* grown as needed: max_errors may be large */
		size_t cap = t->issues_cap ? 2 * t->issues_cap : 16;
		if (cap > t->max_errors)
			cap = t->max_errors;
		if (!(is = realloc(t->issues, cap * sizeof(*is))))
			return; /* out of memory: the count stays right */
		t->issues = is;
		t->issues_cap = cap;
	}
	n = strlen(t->file) + strlen(msg) + (f ? strlen(f->name) : 0) + 48;
	m = strdup(msg);
	text = malloc(n);
	if (!m || !text) {
		free(m);
		free(text);
		return; /* out of memory: the count stays right */
	}
	if (f)
		snprintf(text, n, "%s:%llu: field \"%s\": %s", t->file,
			(unsigned long long)t->rec_line, f->name, msg);
	else
		snprintf(text, n, "%s:%llu: %s", t->file,
			(unsigned long long)t->rec_line, msg);
	is = &t->issues[t->nissues++];
	is->file = t->file;
	is->line = t->rec_line;
	is->field = f ? f->name : NULL;
	is->message = m;
	is->text = text;
}

void arca_tab__issue(arca_tab *t, const arca_schema_field *f,
	const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	t->errors++;
	t->row_bad = true;
	if (t->nissues >= t->max_errors)
		return; /* counted, not described: keep errors cheap */
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	keep_issue(t, f, msg);
}

void arca_tab__bad_value(arca_tab *t, const arca_schema_field *f,
	const char *p, size_t len, const char *fmt, ...)
{
	char msg[512], q[128];
	va_list ap;
	int n;

	t->errors++;
	t->row_bad = true;
	if (t->nissues >= t->max_errors)
		return;
	if (f && f->pii) /* personal data stays out of reports */
		snprintf(q, sizeof(q), "<pii, %zu bytes>", len);
	else
		arca_tab__quote(q, sizeof(q), p, len);
	n = snprintf(msg, sizeof(msg), "value %s ", q);
	va_start(ap, fmt);
	vsnprintf(msg + n, sizeof(msg) - (size_t)n, fmt, ap);
	va_end(ap);
	keep_issue(t, f, msg);
}

void arca_tab__quote(char *out, size_t size, const char *p, size_t len)
{
	const unsigned char *s = (const unsigned char *)p;
	size_t o = 0, i = 0, limit = size - 8;

	out[o++] = '"';
	while (i < len && o < limit) {
		int n = s[i] >= 0x80 ? arca_tab__utf8_seq(s + i, s + len) : 1;
		if (s[i] >= 0x80 && n && o + (size_t)n < limit) {
			memcpy(out + o, s + i, (size_t)n);
			o += (size_t)n;
			i += (size_t)n;
		} else if (s[i] < 0x20 || s[i] >= 0x7F || s[i] == '"' ||
			s[i] == '\\') {
			if (o + 4 >= limit)
				break;
			if (s[i] == '"' || s[i] == '\\')
				o += (size_t)snprintf(out + o, size - o, "\\%c",
					s[i]);
			else
				o += (size_t)snprintf(out + o, size - o,
					"\\x%02X", s[i]);
			i++;
		} else {
			out[o++] = (char)s[i++];
		}
	}
	if (i < len) {
		memcpy(out + o, "...", 3);
		o += 3;
	}
	out[o++] = '"';
	out[o] = '\0';
}
