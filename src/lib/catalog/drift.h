/*
 * Drift between two versions of a dataset: schema changes and changes in
 * the statistics, each given a severity by a policy (policies/drift.yaml,
 * formats/dataset-stats.md "Drift report").
 */
#ifndef ARCA_CATALOG_DRIFT_H
#define ARCA_CATALOG_DRIFT_H

#include <stdbool.h>
#include <stddef.h>
#include <jansson.h>
#include "arca/error.h"
#include "catalog/schema.h"

#define ARCA_DRIFT_VERSION 1

typedef enum arca_drift_severity {
	ARCA_DRIFT_INFO,
	ARCA_DRIFT_WARN,
	ARCA_DRIFT_FAIL,
	ARCA_DRIFT_NEVER /* acknowledge_at only: nothing needs one */
} arca_drift_severity;

/* Measures compared between the statistics of two versions. */
typedef enum arca_drift_measure {
	ARCA_DRIFT_ROW_COUNT_CHANGE,    /* |new - old| / old rows (files) */
	ARCA_DRIFT_NULL_RATE_CHANGE,    /* |new - old| null fraction */
	ARCA_DRIFT_MEAN_SHIFT_SD,       /* |new - old| mean / old sd */
	ARCA_DRIFT_DISTINCT_CHANGE,     /* |new - old| / old distinct */
	ARCA_DRIFT_CATEGORY_SHIFT,      /* total variation distance */
	ARCA_DRIFT_NEW_CATEGORIES,      /* count of categories not seen */
	ARCA_DRIFT_VANISHED_CATEGORIES, /* count of categories gone */
	ARCA_DRIFT_MEASURES
} arca_drift_measure;

/* Schema changes, as arca_schema_diff names them. */
typedef enum arca_drift_change {
	ARCA_DRIFT_FIELD_ADDED,
	ARCA_DRIFT_FIELD_REMOVED,
	ARCA_DRIFT_TYPE_CHANGED,
	ARCA_DRIFT_CONSTRAINT_CHANGED,
	ARCA_DRIFT_PII_CHANGED,
	ARCA_DRIFT_FORMAT_CHANGED,
	ARCA_DRIFT_OPTION_CHANGED,
	ARCA_DRIFT_CHANGES
} arca_drift_change;

/* A measure reaching warn (fail) is a warning (failure). */
typedef struct arca_drift_threshold {
	bool has_warn, has_fail;
	double warn, fail;
} arca_drift_threshold;

/* Thresholds for one field, replacing the global ones where set. */
typedef struct arca_drift_override {
	char *field;
	bool set[ARCA_DRIFT_MEASURES];
	arca_drift_threshold t[ARCA_DRIFT_MEASURES];
} arca_drift_override;

typedef struct arca_drift_policy {
	arca_drift_threshold thresholds[ARCA_DRIFT_MEASURES];
	arca_drift_severity schema_changes[ARCA_DRIFT_CHANGES];
	arca_drift_severity acknowledge_at;
	arca_drift_override *fields;
	size_t field_count;
} arca_drift_policy;

/*
 * Loads a policy from YAML (every threshold and schema change must be
 * stated). ARCA_EINVALID "name:line:col: ..." for a bad policy.
 */
int arca_drift_policy_load_yaml(arca_drift_policy **out, const char *text,
	size_t len, const char *name, arca_error *err);
int arca_drift_policy_load_file(arca_drift_policy **out, const char *path,
	arca_error *err);
/* The built-in policy: the values of the shipped policies/drift.yaml.
 * Static; arca_drift_policy_free ignores it. */
const arca_drift_policy *arca_drift_policy_default(void);
void arca_drift_policy_free(arca_drift_policy *p);
/* Canonical JSON of a policy (thresholds as decimal strings), to record
 * which policy judged a version. NULL when out of memory. */
json_t *arca_drift_policy_to_json(const arca_drift_policy *p);

/*
 * Compares version old with version new: schemas (either may be NULL:
 * no schema findings) and statistics documents from arca_stats_to_json
 * (either may be NULL: no statistics findings). Returns the report, a
 * new reference, or NULL when out of memory:
 *   {"drift": 1, "severity": "info"|"warn"|"fail", "needs_ack": bool,
 *    "counts": {"info": n, "warn": n, "fail": n}, "findings": [...]}
 * Findings come in a fixed order: schema changes, then the row count,
 * then per field (new schema order) per measure (enum order). A measure
 * appears only when it changed (value > 0).
 */
json_t *arca_drift_compare(const arca_schema *old_s, json_t *old_stats,
	const arca_schema *new_s, json_t *new_stats,
	const arca_drift_policy *p);

/*
 * One finding as a line for people, e.g.
 *   warn  null_rate_change  field "plan": 0.01 -> 0.05 (0.04 >= 0.02)
 * snprintf-like: the length it needs (excluding the NUL), or -1 if
 * finding is not a finding object.
 */
int arca_drift_finding_format(json_t *finding, char *buf, size_t n);

const char *arca_drift_severity_name(arca_drift_severity s);
const char *arca_drift_measure_name(arca_drift_measure m);
const char *arca_drift_change_name(arca_drift_change c);
/* Reverse lookups: 0, or -1 for an unknown name. */
int arca_drift_severity_parse(arca_drift_severity *out, const char *name);
int arca_drift_measure_parse(arca_drift_measure *out, const char *name);
int arca_drift_change_parse(arca_drift_change *out, const char *name);

#endif
