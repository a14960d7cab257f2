/* Canonical JSON: sorted keys, compact, integers only (jansson). */
#include <string.h>
#include "util/json.h"
#include "util/base64.h"

static int check_no_reals(json_t *j, arca_error *err)
{
	const char *k;
	json_t *v;
	size_t i;

	switch (json_typeof(j)) {
	case JSON_REAL:
		return arca_error_set(err, ARCA_EINVALID,
			"floating-point number in a canonical document");
	case JSON_OBJECT:
		json_object_foreach(j, k, v)
			if (check_no_reals(v, err) < 0)
				return ARCA_EINVALID;
		return 0;
	case JSON_ARRAY:
		json_array_foreach(j, i, v)
			if (check_no_reals(v, err) < 0)
				return ARCA_EINVALID;
		return 0;
	default:
		return 0;
	}
}

static int dump_cb(const char *buffer, size_t size, void *data)
{
	return arca_buf_put(data, buffer, size) < 0 ? -1 : 0;
}

int arca_json_canonical(arca_buf *out, json_t *j, arca_error *err)
{
	int rc;

	if ((rc = check_no_reals(j, err)) < 0)
		return rc;
	arca_buf_clear(out);
	if (json_dump_callback(j, dump_cb, out,
		JSON_COMPACT | JSON_SORT_KEYS | JSON_ENCODE_ANY) < 0)
		return arca_error_set(err, ARCA_ERROR,
			"cannot serialize JSON document");
	return 0;
}

int arca_json_parse(json_t **out, const void *data, size_t len,
	const char *what, arca_error *err)
{
	json_error_t je;
	json_t *j;

	j = json_loadb(data, len, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY,
		&je);
	if (!j)
		return arca_error_set(err, ARCA_ECORRUPT,
			"%s: invalid JSON at line %d column %d: %s", what,
			je.line, je.column, je.text);
	*out = j;
	return 0;
}

static json_t *member(json_t *obj, const char *key, json_type type,
	const char *what, const char *tname, arca_error *err)
{
	json_t *v = json_is_object(obj) ? json_object_get(obj, key) : NULL;

	if (!v) {
		arca_error_set(err, ARCA_ECORRUPT, "%s: missing member '%s'",
			what, key);
		return NULL;
	}
	if (json_typeof(v) != type) {
		arca_error_set(err, ARCA_ECORRUPT,
			"%s: member '%s' is not %s", what, key, tname);
		return NULL;
	}
	return v;
}

int arca_json_get_str(const char **out, json_t *obj, const char *key,
	const char *what, arca_error *err)
{
	json_t *v = member(obj, key, JSON_STRING, what, "a string", err);

	if (!v)
		return ARCA_ECORRUPT;
	*out = json_string_value(v);
	return 0;
}

int arca_json_get_int(int64_t *out, json_t *obj, const char *key,
	const char *what, arca_error *err)
{
	json_t *v = member(obj, key, JSON_INTEGER, what, "an integer", err);

	if (!v)
		return ARCA_ECORRUPT;
	*out = json_integer_value(v);
	return 0;
}

int arca_json_get_id(arca_id *out, json_t *obj, const char *key,
	const char *what, arca_error *err)
{
	const char *s;
	int rc;

	if ((rc = arca_json_get_str(&s, obj, key, what, err)) < 0)
		return rc;
	if (arca_id_parse(out, s) < 0)
		return arca_error_set(err, ARCA_ECORRUPT,
			"%s: member '%s' is not an object id", what, key);
	return 0;
}

json_t *arca_json_id(const arca_id *id)
{
	char s[ARCA_ID_STRSZ];

	arca_id_str(s, id);
	return json_string(s);
}

int arca_json_set_bytes(json_t *obj, const char *key, const char *data,
	size_t len)
{
	arca_buf b = ARCA_BUF_INIT;
	char k[128];
	json_t *v = json_stringn(data, len); /* NULL unless valid UTF-8 */
	int rc;

	if (v && !memchr(data, '\0', len))
		return json_object_set_new(obj, key, v) < 0 ? ARCA_ERROR : 0;
	json_decref(v);
	snprintf(k, sizeof(k), "%s_b64", key);
	if (arca_base64_encode(&b, data, len) < 0)
		return ARCA_ERROR;
	rc = json_object_set_new(obj, k, json_string(arca_buf_cstr(&b)));
	arca_buf_dispose(&b);
	return rc < 0 ? ARCA_ERROR : 0;
}

int arca_json_get_bytes(arca_buf *out, json_t *obj, const char *key,
	const char *what, arca_error *err)
{
	json_t *v = json_object_get(obj, key);
	char k[128];

	arca_buf_clear(out);
	if (json_is_string(v))
		return arca_buf_put(out, json_string_value(v),
			json_string_length(v));
	snprintf(k, sizeof(k), "%s_b64", key);
	v = json_object_get(obj, k);
	if (!json_is_string(v))
		return arca_error_set(err, ARCA_ECORRUPT, "%s: missing '%s'",
			what, key);
	if (arca_base64_decode(out, json_string_value(v)) < 0)
		return arca_error_set(err, ARCA_ECORRUPT,
			"%s: '%s' is not valid base64", what, k);
	return 0;
}
