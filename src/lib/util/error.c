/* arca_error: a caller-owned message buffer, curl's way (no globals). */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include "arca/error.h"

static void vset(arca_error *err, int code, const char *fmt, va_list ap)
{
	err->code = code;
	vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
}

int arca_error_set(arca_error *err, int code, const char *fmt, ...)
{
	va_list ap;

	if (!err)
		return code;
	va_start(ap, fmt);
	vset(err, code, fmt, ap);
	va_end(ap);
	return code;
}

int arca_error_set_errno(arca_error *err, int code, int errnum,
	const char *fmt, ...)
{
	va_list ap;
	size_t n;

	if (!err)
		return code;
	va_start(ap, fmt);
	vset(err, code, fmt, ap);
	va_end(ap);
	n = strlen(err->msg);
	snprintf(err->msg + n, sizeof(err->msg) - n, ": %s", strerror(errnum));
	return code;
}

int arca_error_prefix(arca_error *err, const char *fmt, ...)
{
	char old[ARCA_ERROR_MSG_SIZE];
	va_list ap;
	size_t n;

	if (!err)
		return ARCA_ERROR;
	memcpy(old, err->msg, sizeof(old));
	va_start(ap, fmt);
	vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	va_end(ap);
	n = strlen(err->msg);
	if (old[0] && n + 2 < sizeof(err->msg)) {
		/* Truncating the old message is fine: copy what fits. */
		size_t room = sizeof(err->msg) - n - 3, k = strlen(old);
		if (k > room)
			k = room;
		memcpy(err->msg + n, ": ", 2);
		memcpy(err->msg + n + 2, old, k);
		err->msg[n + 2 + k] = '\0';
	}
	return err->code ? err->code : ARCA_ERROR;
}

void arca_error_clear(arca_error *err)
{
	if (err) {
		err->code = 0;
		err->msg[0] = '\0';
	}
}

const char *arca_error_name(int code)
{
	switch (code) {
	case ARCA_OK: return "ok";
	case ARCA_ENOTFOUND: return "not found";
	case ARCA_EEXISTS: return "already exists";
	case ARCA_EINVALID: return "invalid";
	case ARCA_ECORRUPT: return "corrupt";
	case ARCA_EVERIFY: return "verification failed";
	case ARCA_ELOCKED: return "locked";
	case ARCA_EREMOTE: return "remote unreachable";
	case ARCA_EPOLICY: return "refused by policy";
	case ARCA_EVERSION: return "unsupported version";
	case ARCA_EAMBIGUOUS: return "ambiguous";
	default: return "error";
	}
}
