# A real S3 server for the integration tests and bench/s3.sh (sourced
# after lib.sh): s3rver at UT_S3RVER_VERSION of tests/unit/helpers/s3rver.h,
# installed as the unit tests install it (npm into $ARCA_TEST_NPM_CACHE,
# else ~/.cache/arca-test-npm; one installer at a time; an installed copy
# is reused), run on a loopback port with its data in a directory of the
# test. It is stopped when the test exits, and when the test shell dies
# without exiting (a watchdog in the server polls the shell's pid).
# Node.js, npm, flock and curl are required: without them the test fails
# (nothing is skipped).
#
#   s3_start [--tls] [BUCKET...]
#                     start with the buckets (default $S3_BUCKET; the
#                     first becomes S3_BUCKET) on the data in $S3_DIR.
#                     The first start picks a free port; a start after
#                     s3_stop or s3_kill is a restart on the same port
#                     and the data left there. --tls serves https with a
#                     certificate for 127.0.0.1 and localhost from a
#                     throwaway CA, whose certificate is $S3_CA.
#   s3_stop           SIGTERM, then SIGKILL
#   s3_kill           SIGKILL at once (a crash)
#   s3_env            the endpoint and region for arca in the environment
#                     (AWS_ENDPOINT_URL, AWS_REGION), and quick retries
#   s3_object KEY     the server's file holding KEY of $S3_BUCKET
#   s3_keys BUCKET PREFIX
#                     the keys under PREFIX, one a line, sorted: read from
#                     the data directory, not through arca's listing code
#   s3_curl ARGS... PATH   a request signed with the test credentials
#   s3_get BUCKET/KEY      the key's content on stdout
#   s3_put BUCKET/KEY FILE uploads FILE as the key
#   s3_exists BUCKET/KEY   whether the key exists
#
# Variables: S3RVER_VERSION; S3_BUCKET (default arca-it) and S3_DIR
# (default $T/s3), which may be set before s3_start; after it
# S3_ENDPOINT (http[s]://127.0.0.1:PORT), S3_PORT, S3_PID, S3_CA (empty
# without --tls). The server's output is in $T/s3rver.out and
# $T/s3rver.log.
#
# Sourcing this file isolates the environment: every AWS_* and ARCA_S3_*
# variable of the caller is unset, the credentials are s3rver's
# (S3RVER / S3RVER; s3rver checks the access key id, not signatures)
# and the AWS credentials and config files are files under $T that do
# not exist (a test may write them), so the user's ~/.aws never leaks in.
#
# s3rver is not crash-safe: killed while writing, it can leave the empty
# side files it keeps beside each object (metadata.json, .md5), which
# make it fail every listing with HTTP 500. A start first deletes such
# empty side files, as a server's recovery would; the object files
# themselves are left as they are.

S3RVER_VERSION=$(sed -n 's/^#define UT_S3RVER_VERSION "\(.*\)"$/\1/p' \
	"$ARCA_SOURCE_DIR/tests/unit/helpers/s3rver.h")
S3_NPM_CACHE=${ARCA_TEST_NPM_CACHE:-${HOME:-/tmp}/.cache/arca-test-npm}
S3_BUCKET=${S3_BUCKET:-arca-it}
S3_DIR=${S3_DIR:-$T/s3}
S3_PID=""
S3_PORT=0
S3_ENDPOINT=""
S3_CA=""

# shellcheck disable=SC2046 # names only: no spaces
unset $(compgen -e | grep -E '^(AWS|ARCA_S3)_')
export AWS_ACCESS_KEY_ID=S3RVER AWS_SECRET_ACCESS_KEY=S3RVER
export AWS_SHARED_CREDENTIALS_FILE="$T/no-aws-credentials"
export AWS_CONFIG_FILE="$T/no-aws-config"

s3_install() {
	local script="$S3_NPM_CACHE/node_modules/s3rver/bin/s3rver.js"
	local log="$S3_NPM_CACHE/npm-install.log"
	require node npm flock curl
	[ -n "$S3RVER_VERSION" ] || fail "no s3rver version in tests/unit/helpers/s3rver.h"
	[ -r "$script" ] && return 0
	mkdir -p "$S3_NPM_CACHE"
	(
		flock 9
		[ -r "$script" ] ||
			npm install --prefix "$S3_NPM_CACHE" --no-audit --no-fund \
				--no-save --loglevel=error "s3rver@$S3RVER_VERSION" \
				>"$log" 2>&1
	) 9>"$S3_NPM_CACHE/.install.lock" ||
		fail "'npm install s3rver@$S3RVER_VERSION' into '$S3_NPM_CACHE' failed: see $log"
	[ -r "$script" ] || fail "no $script after npm install: see $log"
}

# s3_tls_certs DIR: a throwaway CA (DIR/ca.pem) and a certificate it
# signed for 127.0.0.1 and localhost (DIR/server.pem, DIR/server.key).
s3_tls_certs() {
	local d=$1
	require openssl
	mkdir -p "$d"
	openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=arca test CA" \
		-keyout "$d/ca.key" -out "$d/ca.pem" 2>"$d/openssl.log" &&
	openssl req -newkey rsa:2048 -nodes -subj "/CN=127.0.0.1" \
		-keyout "$d/server.key" -out "$d/server.csr" 2>>"$d/openssl.log" &&
	printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\nbasicConstraints=CA:FALSE\n' >"$d/ext.cnf" &&
	openssl x509 -req -in "$d/server.csr" -CA "$d/ca.pem" -CAkey "$d/ca.key" \
		-CAcreateserial -days 2 -extfile "$d/ext.cnf" -out "$d/server.pem" \
		2>>"$d/openssl.log" || fail "openssl: $(cat "$d/openssl.log")"
}

s3_recover() {
	find "$S3_DIR" -type f \( -name '*._S3rver_metadata.json' -o \
		-name '*._S3rver_object.md5' \) -size 0 -delete
}

s3_start() {
	local args=() scheme=http tls="$T/s3-tls" b _
	S3_CA=""
	if [ "${1:-}" = --tls ]; then
		shift
		scheme=https
		# a restart keeps the CA its clients trust
		[ -s "$tls/server.pem" ] || s3_tls_certs "$tls"
		S3_CA="$tls/ca.pem"
		args+=(--key "$tls/server.key" --cert "$tls/server.pem")
	fi
	[ $# -gt 0 ] || set -- "$S3_BUCKET"
	S3_BUCKET=$1
	for b in "$@"; do args+=(--configure-bucket "$b"); done
	s3_install
	mkdir -p "$S3_DIR"
	s3_recover
	# The watchdog: the server exits when the test shell is gone.
	cat >"$T/s3rver-watch.js" <<-'EOF'
		'use strict';
		const shell = Number(process.env.S3_WATCH_SHELL);
		setInterval(() => {
		  try { process.kill(shell, 0); } catch (e) { process.exit(0); }
		}, 1000).unref();
		require(process.env.S3_WATCH_RUNNER);
	EOF
	: >"$T/s3rver.out"
	# --openssl-legacy-provider: s3rver 3.7 makes continuation tokens
	# with DES; run-s3rver.js fixes its listing order.
	S3_WATCH_SHELL=$$ \
	S3_WATCH_RUNNER="$ARCA_SOURCE_DIR/tests/unit/data/s3/run-s3rver.js" \
		node --openssl-legacy-provider "$T/s3rver-watch.js" \
		"$S3_NPM_CACHE/node_modules" -d "$S3_DIR" -a 127.0.0.1 \
		-p "$S3_PORT" --silent "${args[@]}" \
		>"$T/s3rver.out" 2>>"$T/s3rver.log" &
	S3_PID=$!
	for _ in $(seq 1 600); do
		grep -q 'listening on' "$T/s3rver.out" && break
		kill -0 "$S3_PID" 2>/dev/null ||
			fail "s3rver exited: $(tail -5 "$T/s3rver.log")"
		sleep 0.1
	done
	S3_PORT=$(sed -n 's/.*listening on 127\.0\.0\.1:\([0-9][0-9]*\).*/\1/p' "$T/s3rver.out")
	[ -n "$S3_PORT" ] ||
		fail "s3rver printed no port: $(cat "$T/s3rver.out") $(tail -5 "$T/s3rver.log")"
	S3_ENDPOINT="$scheme://127.0.0.1:$S3_PORT"
	for _ in $(seq 1 100); do
		curl -s -o /dev/null ${S3_CA:+--cacert "$S3_CA"} "$S3_ENDPOINT/" &&
			return 0
		sleep 0.1
	done
	fail "s3rver at $S3_ENDPOINT does not answer"
}

s3_stop() {
	local _
	[ -n "$S3_PID" ] || return 0
	kill "$S3_PID" 2>/dev/null || true
	for _ in $(seq 1 50); do
		kill -0 "$S3_PID" 2>/dev/null || break
		sleep 0.1
	done
	s3_kill
}

s3_kill() {
	[ -n "$S3_PID" ] || return 0
	kill -9 "$S3_PID" 2>/dev/null || true
	wait "$S3_PID" 2>/dev/null || true
	S3_PID=""
}

s3_env() {
	export AWS_REGION=us-east-1 AWS_ENDPOINT_URL="$S3_ENDPOINT"
	export ARCA_S3_RETRY_BASE_MS=${ARCA_S3_RETRY_BASE_MS:-50}
}

s3_object() {
	echo "$S3_DIR/$S3_BUCKET/$(dirname "$1")/$(basename "$1")._S3rver_object"
}

s3_keys() {
	[ -e "$S3_DIR/$1/$2" ] || return 0
	(cd "$S3_DIR/$1" && find "$2" -type f -name '*._S3rver_object' |
		sed 's/\._S3rver_object$//' | sort)
}

s3_curl() {
	local path=${*: -1}
	curl -sS --fail-with-body ${S3_CA:+--cacert "$S3_CA"} \
		--aws-sigv4 "aws:amz:us-east-1:s3" \
		-H "x-amz-content-sha256: UNSIGNED-PAYLOAD" \
		--user S3RVER:S3RVER "${@:1:$#-1}" "$S3_ENDPOINT/$path"
}
s3_get() { s3_curl "$1"; }
s3_put() { s3_curl -T "$2" "$1" >/dev/null; }
s3_exists() { s3_curl -I "$1" >/dev/null 2>&1; }

trap 's3_stop; cleanup' EXIT
trap 'exit 143' TERM INT
