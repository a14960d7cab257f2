# A real S3 server for the S3 integration tests (sourced after lib.sh).
# s3srv_start installs s3rver the way tests/unit/helpers/s3rver.c does
# (npm into $ARCA_TEST_NPM_CACHE, default ~/.cache/arca-test-npm, one
# installer at a time; an installed copy is reused), starts it on a free
# loopback port with a fresh data directory under $T and the buckets
# given, and stops it when the test exits (and when the test shell dies:
# a watchdog in the server polls the shell's pid). It sets:
#   S3SRV_ENDPOINT  http://127.0.0.1:PORT
#   AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY  S3RVER / S3RVER
# and points the AWS credential and config files at nothing, so the
# user's ~/.aws never leaks in. s3rver checks the access key id only,
# not signatures (tests/unit/data/s3/README.md lists what it does).
S3SRV_VERSION=3.7.1 # as UT_S3RVER_VERSION in tests/unit/helpers/s3rver.h
S3SRV_PID=
S3SRV_ENDPOINT=
S3SRV_CA=

s3srv_stop() {
	local i
	if [ -n "$S3SRV_PID" ]; then
		kill "$S3SRV_PID" 2>/dev/null || true
		for i in $(seq 1 50); do
			kill -0 "$S3SRV_PID" 2>/dev/null || break
			sleep 0.1
		done
		kill -9 "$S3SRV_PID" 2>/dev/null || true
		wait "$S3SRV_PID" 2>/dev/null || true
		S3SRV_PID=
	fi
}

s3srv_install() {
	local cache=${ARCA_TEST_NPM_CACHE:-${HOME:-/tmp}/.cache/arca-test-npm}
	require node npm flock curl
	S3SRV_MODULES="$cache/node_modules"
	[ -r "$S3SRV_MODULES/s3rver/bin/s3rver.js" ] && return 0
	mkdir -p "$cache"
	flock "$cache/.install.lock" sh -c '
		[ -r "$1/node_modules/s3rver/bin/s3rver.js" ] ||
		npm install --prefix "$1" --no-audit --no-fund --no-save \
			--loglevel=error "s3rver@$2" >"$1/npm-install.log" 2>&1' \
		sh "$cache" "$S3SRV_VERSION" ||
		fail "'npm install s3rver@$S3SRV_VERSION' into '$cache' failed: see $cache/npm-install.log"
	[ -r "$S3SRV_MODULES/s3rver/bin/s3rver.js" ] ||
		fail "s3rver is missing from '$cache' after npm install"
}

# s3srv_tls_certs DIR: a throwaway CA (DIR/ca.pem) and a certificate it
# signed for 127.0.0.1 and localhost (DIR/server.pem, DIR/server.key).
s3srv_tls_certs() {
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

# s3srv_start [--tls] BUCKET...: starts the server with those buckets;
# with --tls it serves https with a certificate from a throwaway CA,
# whose certificate is then in $S3SRV_CA.
s3srv_start() {
	local dir="$T/s3rver" args=() b i port="" scheme=http
	S3SRV_CA=
	if [ "${1:-}" = --tls ]; then
		shift
		scheme=https
		s3srv_tls_certs "$dir/tls"
		S3SRV_CA="$dir/tls/ca.pem"
		args+=(--key "$dir/tls/server.key" --cert "$dir/tls/server.pem")
	fi
	s3srv_install
	rm -rf "$dir/data"
	mkdir -p "$dir/data"
	for b in "$@"; do args+=(--configure-bucket "$b"); done
	# The watchdog: the server exits when the test shell is gone.
	cat >"$dir/watch.js" <<-'EOF'
		'use strict';
		const shell = Number(process.env.S3SRV_SHELL_PID);
		setInterval(() => {
		  try { process.kill(shell, 0); } catch (e) { process.exit(0); }
		}, 1000).unref();
		require(process.env.S3SRV_RUNNER);
	EOF
	# --openssl-legacy-provider: s3rver 3.7 makes continuation tokens
	# with DES; run-s3rver.js fixes its listing order.
	S3SRV_SHELL_PID=$$ \
	S3SRV_RUNNER="$ARCA_SOURCE_DIR/tests/unit/data/s3/run-s3rver.js" \
		node --openssl-legacy-provider "$dir/watch.js" "$S3SRV_MODULES" \
		-d "$dir/data" -a 127.0.0.1 -p 0 --silent "${args[@]}" \
		>"$dir/out.log" 2>"$dir/err.log" &
	S3SRV_PID=$!
	trap 's3srv_stop; cleanup' EXIT
	for i in $(seq 1 600); do
		port=$(sed -n 's/.*listening on 127\.0\.0\.1:\([0-9]*\).*/\1/p' "$dir/out.log")
		[ -n "$port" ] && break
		kill -0 "$S3SRV_PID" 2>/dev/null ||
			fail "s3rver exited: $(cat "$dir/err.log")"
		sleep 0.1
	done
	[ -n "$port" ] || fail "s3rver printed no port: $(cat "$dir/err.log")"
	S3SRV_ENDPOINT="$scheme://127.0.0.1:$port"
	export AWS_ACCESS_KEY_ID=S3RVER AWS_SECRET_ACCESS_KEY=S3RVER
	export AWS_SHARED_CREDENTIALS_FILE="$T/no-aws-credentials"
	export AWS_CONFIG_FILE="$T/no-aws-config"
	unset AWS_PROFILE AWS_DEFAULT_PROFILE AWS_SESSION_TOKEN \
		AWS_ENDPOINT_URL AWS_ENDPOINT_URL_S3 AWS_REGION \
		AWS_DEFAULT_REGION AWS_CA_BUNDLE ARCA_S3_PATH_STYLE \
		ARCA_S3_ALLOW_HTTP
	for i in $(seq 1 100); do
		curl -s -o /dev/null ${S3SRV_CA:+--cacert "$S3SRV_CA"} \
			"$S3SRV_ENDPOINT/" && return 0
		sleep 0.1
	done
	fail "s3rver at $S3SRV_ENDPOINT does not answer"
}

# s3srv_curl ARGS... PATH: a request signed with the test credentials.
s3srv_curl() {
	local path=${*: -1}
	curl -sS --fail-with-body ${S3SRV_CA:+--cacert "$S3SRV_CA"} \
		--aws-sigv4 "aws:amz:us-east-1:s3" \
		-H "x-amz-content-sha256: UNSIGNED-PAYLOAD" \
		--user "$AWS_ACCESS_KEY_ID:$AWS_SECRET_ACCESS_KEY" \
		"${@:1:$#-1}" "$S3SRV_ENDPOINT/$path"
}

# s3srv_mb BUCKET: creates a bucket.
s3srv_mb() { s3srv_curl -X PUT "$1" >/dev/null; }
# s3srv_put BUCKET/KEY FILE: uploads FILE as the key.
s3srv_put() { s3srv_curl -T "$2" "$1" >/dev/null; }
# s3srv_get BUCKET/KEY: the key's content on stdout.
s3srv_get() { s3srv_curl "$1"; }
# s3srv_exists BUCKET/KEY: whether the key exists.
s3srv_exists() { s3srv_curl -I "$1" >/dev/null 2>&1; }
# s3srv_keys BUCKET PREFIX: the keys under PREFIX, one a line, sorted:
# read from s3rver's data directory (KEY._S3rver_object per key), not
# through arca's own listing code.
s3srv_keys() {
	[ -e "$T/s3rver/data/$1/$2" ] || return 0
	(cd "$T/s3rver/data/$1" && find "$2" -type f -name '*._S3rver_object' |
		sed 's/\._S3rver_object$//' | sort)
}
