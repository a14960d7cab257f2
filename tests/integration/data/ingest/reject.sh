#!/bin/sh
# An ingest hook for the tests: refuses data whose name column holds an
# e-mail address (exit 3, reason on stderr), accepts the rest.
if grep -rq '@' "$1"; then
	echo "checking $(basename "$1")"
	echo "rejected: e-mail address found" >&2
	exit 3
fi
echo "ok $(basename "$1")"
