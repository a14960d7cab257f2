/* Canonical JSON (formats/repository.md "Canonical JSON") over jansson. */
#ifndef ARCA_UTIL_JSON_H
#define ARCA_UTIL_JSON_H

#include <jansson.h>
#include "arca/error.h"
#include "arca/id.h"
#include "util/buf.h"

/*
 * Serializes j into out (replacing its contents): keys sorted by their
 * UTF-8 bytes, no insignificant whitespace, integers only. A real number
 * anywhere in j is refused with ARCA_EINVALID.
 */
int arca_json_canonical(arca_buf *out, json_t *j, arca_error *err);

/* Parses a JSON document; what names it in errors ("tree sha256:..").
 * *out is a new reference the caller json_decref()s. */
int arca_json_parse(json_t **out, const void *data, size_t len,
	const char *what, arca_error *err);

/* Accessors that set a clear error naming what and key when the member
 * is missing or of the wrong type. */
int arca_json_get_str(const char **out, json_t *obj, const char *key,
	const char *what, arca_error *err);
int arca_json_get_int(int64_t *out, json_t *obj, const char *key,
	const char *what, arca_error *err);
int arca_json_get_id(arca_id *out, json_t *obj, const char *key,
	const char *what, arca_error *err);

/* A new JSON string "sha256:<hex>". */
json_t *arca_json_id(const arca_id *id);

/* Bytes that may not be valid UTF-8 (file names, link targets): sets
 * obj[key] to the string if valid UTF-8, else obj[key + "_b64"] to its
 * base64. The reverse fills out with the raw bytes. */
int arca_json_set_bytes(json_t *obj, const char *key, const char *data,
	size_t len);
int arca_json_get_bytes(arca_buf *out, json_t *obj, const char *key,
	const char *what, arca_error *err);

#endif
