# A real S3 server for integration tests (sourced after lib.sh): s3rver,
# installed with npm into the cache the unit tests use
# ($ARCA_TEST_NPM_CACHE, else ~/.cache/arca-test-npm; one installer at a
# time), started on a free loopback port with its data in a directory of
# the test, stopped when the test exits. Node.js and npm are required;
# without them the test fails (nothing is skipped).
#
#   s3_start [DIR]    start (again) with data in DIR (default $T/s3); the
#                     first start picks a free port, a restart reuses it
#   s3_stop           SIGTERM, then SIGKILL
#   s3_kill           SIGKILL at once (a crash)
#   s3_env            credentials and endpoint for arca in the environment
#   s3_object KEY     the server's file holding KEY of the bucket
#
# s3rver is not crash-safe: killed while writing, it can leave the empty
# side files it keeps beside each object (metadata.json, .md5), which
# make it fail every listing with HTTP 500. A restart (s3_start on data
# that is there) first deletes such empty side files, as a server's
# recovery would; the object files themselves are left as they are.
#
# After s3_start: S3_ENDPOINT (http://127.0.0.1:PORT), S3_BUCKET, S3_DIR.

S3_BUCKET=${S3_BUCKET:-arca-it}
S3_PID=""
S3_PORT=0
S3_DIR=""
S3RVER_VERSION=$(sed -n 's/^#define UT_S3RVER_VERSION "\(.*\)"$/\1/p' \
	"$ARCA_SOURCE_DIR/tests/unit/helpers/s3rver.h")
S3_NPM_CACHE=${ARCA_TEST_NPM_CACHE:-${HOME:-/tmp}/.cache/arca-test-npm}

s3_install() {
	local script="$S3_NPM_CACHE/node_modules/s3rver/bin/s3rver.js"
	require node npm flock
	[ -n "$S3RVER_VERSION" ] || fail "no s3rver version in tests/unit/helpers/s3rver.h"
	mkdir -p "$S3_NPM_CACHE"
	(
		flock 9
		if [ ! -r "$script" ]; then
			npm install --prefix "$S3_NPM_CACHE" --no-audit --no-fund \
				--no-save --loglevel=error "s3rver@$S3RVER_VERSION" \
				>"$S3_NPM_CACHE/npm-install.log" 2>&1 ||
				exit 1
		fi
	) 9>"$S3_NPM_CACHE/.install.lock" ||
		fail "npm install s3rver@$S3RVER_VERSION failed: see $S3_NPM_CACHE/npm-install.log"
}

s3_recover() {
	find "$S3_DIR" -type f \( -name '*._S3rver_metadata.json' -o \
		-name '*._S3rver_object.md5' \) -size 0 -delete
}

s3_start() {
	local i
	S3_DIR=${1:-${S3_DIR:-$T/s3}}
	mkdir -p "$S3_DIR"
	s3_recover
	s3_install
	: >"$T/s3rver.out"
	# s3rver 3.7 makes continuation tokens with DES (the legacy
	# provider); run-s3rver.js fixes its listing order.
	node --openssl-legacy-provider \
		"$ARCA_SOURCE_DIR/tests/unit/data/s3/run-s3rver.js" \
		"$S3_NPM_CACHE/node_modules" -d "$S3_DIR" -a 127.0.0.1 \
		-p "$S3_PORT" --silent --configure-bucket "$S3_BUCKET" \
		>"$T/s3rver.out" 2>>"$T/s3rver.log" &
	S3_PID=$!
	for i in $(seq 1 600); do
		if grep -q 'listening on' "$T/s3rver.out"; then
			break
		fi
		kill -0 "$S3_PID" 2>/dev/null ||
			fail "s3rver exited: $(tail -5 "$T/s3rver.log")"
		sleep 0.1
	done
	grep -q 'listening on' "$T/s3rver.out" ||
		fail "s3rver did not start: $(tail -5 "$T/s3rver.log")"
	S3_PORT=$(sed -n 's/.*listening on .*:\([0-9][0-9]*\).*/\1/p' "$T/s3rver.out" | head -1)
	[ -n "$S3_PORT" ] || fail "no port in s3rver's output: $(cat "$T/s3rver.out")"
	S3_ENDPOINT="http://127.0.0.1:$S3_PORT"
}

s3_stop() {
	local i
	[ -n "$S3_PID" ] || return 0
	kill "$S3_PID" 2>/dev/null || true
	for i in $(seq 1 50); do
		kill -0 "$S3_PID" 2>/dev/null || break
		sleep 0.1
	done
	kill -9 "$S3_PID" 2>/dev/null || true
	wait "$S3_PID" 2>/dev/null || true
	S3_PID=""
}

s3_kill() {
	[ -n "$S3_PID" ] || return 0
	kill -9 "$S3_PID" 2>/dev/null || true
	wait "$S3_PID" 2>/dev/null || true
	S3_PID=""
}

# The environment arca reaches s3rver with, and nothing of the user's.
s3_env() {
	unset AWS_PROFILE AWS_DEFAULT_PROFILE AWS_SESSION_TOKEN AWS_CA_BUNDLE \
		AWS_ENDPOINT_URL_S3 AWS_DEFAULT_REGION ARCA_S3_PATH_STYLE \
		ARCA_S3_MAX_KEYS ARCA_S3_MULTIPART_MB
	export AWS_ACCESS_KEY_ID=S3RVER AWS_SECRET_ACCESS_KEY=S3RVER
	export AWS_REGION=us-east-1 AWS_ENDPOINT_URL="$S3_ENDPOINT"
	export AWS_SHARED_CREDENTIALS_FILE=/nonexistent/credentials
	export AWS_CONFIG_FILE=/nonexistent/config
	export ARCA_S3_RETRY_BASE_MS=${ARCA_S3_RETRY_BASE_MS:-50}
}

s3_object() {
	echo "$S3_DIR/$S3_BUCKET/$(dirname "$1")/$(basename "$1")._S3rver_object"
}

trap 's3_stop; cleanup' EXIT
trap 'exit 143' TERM INT
