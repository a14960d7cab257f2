/* arca — error codes and the caller-owned error context. */
#ifndef ARCA_ERROR_H
#define ARCA_ERROR_H

#include <stddef.h>

/*
 * Every libarca function that can fail returns an int: 0 on success or one
 * of these negative codes. The message, with context, goes into the
 * caller-owned arca_error passed as the last argument (may be NULL).
 */
enum {
	ARCA_OK = 0,
	ARCA_ERROR = -1,     /* anything not listed below (I/O, memory, ...) */
	ARCA_ENOTFOUND = -3, /* object, record, ref, path or key not found */
	ARCA_EEXISTS = -4,   /* already exists */
	ARCA_EINVALID = -5,  /* bad input: arguments, file contents, format */
	ARCA_ECORRUPT = -6,  /* stored data does not match its id or format */
	ARCA_EVERIFY = -7,   /* verification found problems */
	ARCA_ELOCKED = -8,   /* repository locked by someone else */
	ARCA_EREMOTE = -9,   /* remote store unreachable or refused */
	ARCA_EPOLICY = -10,  /* refused by policy */
	ARCA_EVERSION = -11, /* repository format too new */
	ARCA_EAMBIGUOUS = -12 /* a prefix matches more than one thing */
};

#define ARCA_ERROR_MSG_SIZE 1024

typedef struct arca_error {
	int code;
	char msg[ARCA_ERROR_MSG_SIZE];
} arca_error;

#define ARCA_ERROR_INIT { 0, { 0 } }

/* Sets err (if not NULL) to code and the formatted message; returns code. */
int arca_error_set(arca_error *err, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Like arca_error_set, appending ": strerror(errnum)". */
int arca_error_set_errno(arca_error *err, int code, int errnum,
	const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/*
 * Prepends context to an existing message: "context: old message".
 * Returns err->code (or ARCA_ERROR when err is NULL).
 */
int arca_error_prefix(arca_error *err, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

void arca_error_clear(arca_error *err);

/* A short name for a code, e.g. "not found". */
const char *arca_error_name(int code);

#endif
