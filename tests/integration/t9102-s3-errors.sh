#!/usr/bin/env bash
# What goes wrong with a repository on S3, and how arca says so: a missing
# bucket or refused credentials or an unreachable or untrusted endpoint is
# a remote error (exit 5) with a clear message that never holds the
# secret; no repository under the prefix is exit 1; locks held on S3 by
# other writers give exit 4 naming the holder, stale ones are cleared;
# concurrent writers share the repository.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib_s3.sh"
require python3 mkfifo hostname
s3_start arca-err
E=$S3_ENDPOINT
URL=s3://arca-err/repo
S3=(--repo "$URL" --endpoint "$E")
export ARCA_REPO="$T/not-used"
make_dataset "$T/src"
expect_exit 0 arca "${S3[@]}" init
expect_exit 0 arca "${S3[@]}" snapshot "$T/src"

test_case "a missing bucket is a remote error (exit 5), for every command"
for cmd in snapshots verify init "snapshot $T/src"; do
	# shellcheck disable=SC2086
	expect_exit 5 arca --repo s3://no-such-bucket/repo --endpoint "$E" $cmd
	assert_eq "$(cat "$T/stderr")" "arca: error: s3 bucket 'no-such-bucket' does not exist at $E (arca does not create buckets: make it first, e.g. 'aws s3 mb s3://no-such-bucket')" "$cmd"
done

test_case "no repository under the prefix is exit 1"
expect_exit 1 arca --repo s3://arca-err/elsewhere --endpoint "$E" snapshots
assert_eq "$(cat "$T/stderr")" "arca: error: no repository at 's3://arca-err/elsewhere' (create one with 'arca init')"
expect_exit 1 arca --repo s3://arca-err --endpoint "$E" verify
assert_contains "$T/stderr" "no repository at 's3://arca-err'"
[ -z "$(s3_keys arca-err elsewhere)" ] || fail "keys written under elsewhere/"

test_case "a bad URL or endpoint is a usage-level failure (exit 1)"
expect_exit 1 arca --repo s3://Bad_Bucket/x --endpoint "$E" snapshots
assert_contains "$T/stderr" "invalid S3 URL 's3://Bad_Bucket/x'"
expect_exit 1 arca "${S3[@]}" --endpoint "ftp://$E" snapshots
assert_contains "$T/stderr" "invalid S3 endpoint"
expect_exit 1 arca --repo "$URL" --endpoint http://s3.example.com snapshots
assert_contains "$T/stderr" "refusing plain http to S3 endpoint host 's3.example.com'"
# allowed, it is tried (and this name cannot resolve)
expect_exit 5 env ARCA_S3_ALLOW_HTTP=1 ARCA_S3_RETRIES=0 "$ARCA" --repo "$URL" --endpoint http://s3.invalid snapshots
assert_contains "$T/stderr" "cannot reach 'http://s3.invalid'"

SECRET="arca-TEST-secret-$RANDOM$RANDOM-do-not-print"
TOKEN="arca-TEST-token-$RANDOM$RANDOM-do-not-print"
# no_secret: the secret and the token appear nowhere in the output
no_secret() {
	for f in "$T/stdout" "$T/stderr"; do
		assert_not_contains "$f" "$SECRET"
		assert_not_contains "$f" "$TOKEN"
		assert_not_contains "$f" "Authorization|Signature=|AWS4-HMAC"
	done
}

test_case "refused credentials: exit 5 naming the bucket and S3's code, never the secret"
for v in "" -v -vv; do
	expect_exit 5 env AWS_ACCESS_KEY_ID=AKIAWRONGKEY AWS_SECRET_ACCESS_KEY="$SECRET" \
		AWS_SESSION_TOKEN="$TOKEN" "$ARCA" $v "${S3[@]}" snapshots
	assert_contains "$T/stderr" "^arca: error: s3 GET 's3://arca-err/repo': HTTP 403 InvalidAccessKeyId: .*\(are the credentials right, and does the bucket's policy allow this\?\)$"
	no_secret
done
expect_exit 5 env AWS_ACCESS_KEY_ID=AKIAWRONGKEY AWS_SECRET_ACCESS_KEY="$SECRET" "$ARCA" -vv "${S3[@]}" snapshot "$T/src"
no_secret
expect_exit 5 env AWS_ACCESS_KEY_ID=AKIAWRONGKEY AWS_SECRET_ACCESS_KEY="$SECRET" "$ARCA" -vv --repo s3://arca-err/new --endpoint "$E" init
no_secret

test_case "credentials from a profile in the shared credentials file"
printf '[ci]\naws_access_key_id = AKIAWRONGKEY\naws_secret_access_key = %s\n' "$SECRET" >"$T/aws-credentials"
expect_exit 5 env -u AWS_ACCESS_KEY_ID -u AWS_SECRET_ACCESS_KEY AWS_PROFILE=ci \
	AWS_SHARED_CREDENTIALS_FILE="$T/aws-credentials" "$ARCA" -vv "${S3[@]}" verify
assert_contains "$T/stderr" "InvalidAccessKeyId"
no_secret
printf '[ci]\naws_access_key_id = S3RVER\naws_secret_access_key = %s\n' "$SECRET" >"$T/aws-credentials"
expect_exit 0 env -u AWS_ACCESS_KEY_ID -u AWS_SECRET_ACCESS_KEY AWS_PROFILE=ci \
	AWS_SHARED_CREDENTIALS_FILE="$T/aws-credentials" "$ARCA" -vv "${S3[@]}" verify
no_secret
expect_exit 1 env -u AWS_ACCESS_KEY_ID -u AWS_SECRET_ACCESS_KEY AWS_PROFILE=nobody \
	AWS_SHARED_CREDENTIALS_FILE="$T/aws-credentials" "$ARCA" "${S3[@]}" verify
assert_contains "$T/stderr" "AWS profile 'nobody' not found in '$T/aws-credentials'"
expect_exit 1 env -u AWS_ACCESS_KEY_ID -u AWS_SECRET_ACCESS_KEY "$ARCA" "${S3[@]}" verify
assert_contains "$T/stderr" "no AWS credentials: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY"

test_case "accepted credentials: the secret is never printed either (-vv, every command)"
for cmd in "snapshot $T/src" snapshots "ls latest" verify "restore latest $T/out-ok" "diff latest latest"; do
	# shellcheck disable=SC2086
	expect_exit 0 env AWS_SECRET_ACCESS_KEY="$SECRET" AWS_SESSION_TOKEN="$TOKEN" "$ARCA" -vv "${S3[@]}" $cmd
	no_secret
done
assert_same_tree "$T/src" "$T/out-ok"

test_case "an unreachable endpoint is exit 5 after the retries"
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
expect_exit 5 env ARCA_S3_RETRIES=1 ARCA_S3_RETRY_BASE_MS=10 "$ARCA" --repo "$URL" --endpoint "http://127.0.0.1:$port" snapshots
assert_eq "$(cat "$T/stderr")" "arca: error: s3 GET 's3://arca-err/repo': cannot reach 'http://127.0.0.1:$port': Failed to connect to 127.0.0.1 port $port after 0 ms: Couldn't connect to server (2 attempts)" "message"
expect_exit 5 env ARCA_S3_RETRIES=0 "$ARCA" --repo "$URL" --endpoint "http://127.0.0.1:$port" init
assert_contains "$T/stderr" "cannot reach 'http://127.0.0.1:$port'.*\(1 attempts\)"

host=$(hostname)
now=$(date +%s)
# lock_object FILE EXCLUSIVE HOST PID EXPIRES: a lock document as
# src/lib/repo/lock.c writes it.
lock_object() {
	printf '{"exclusive":%s,"expires":%d,"hostname":"%s","pid":%d,"pid_start":1,"time":%d,"username":"other"}' \
		"$2" "$5" "$3" "$4" "$((now - 100))" >"$1"
}
records() { s3_keys arca-err repo/records/snapshot | wc -l; }

test_case "a live shared lock held by arca itself is a lock object on S3"
mkfifo "$T/fifo"
exec 7<>"$T/fifo" # a reader that never reads: the pipe fills up
# a tar stream into it: arca blocks in write(), holding its shared lock
"$ARCA" "${S3[@]}" restore latest --format tar -o - >"$T/fifo" 2>"$T/holder.err" &
holder=$!
for i in $(seq 1 300); do
	[ -n "$(s3_keys arca-err repo/locks)" ] && break
	sleep 0.1
done
key=$(s3_keys arca-err repo/locks)
[ -n "$key" ] || fail "no lock object while arca runs"
s3_get "arca-err/$key" >"$T/lock.json"
assert_contains "$T/lock.json" "^\{\"exclusive\":false,\"expires\":[0-9]+,\"hostname\":\"$host\",\"pid\":$holder,\"pid_start\":[0-9]+,\"time\":[0-9]+,\"username\":\"[^\"]*\"\}$"
# shared locks share: another writer proceeds
before=$(records)
expect_exit 0 arca "${S3[@]}" snapshot "$T/src"
assert_eq "$(records)" "$((before + 1))" "records"
s3_exists "arca-err/$key" || fail "the holder's lock was removed"

test_case "the lock of a killed arca on this host is cleared by the next command"
kill -9 "$holder"
wait "$holder" 2>/dev/null || true
exec 7<&-
s3_exists "arca-err/$key" || fail "the lock went away with the process"
expect_exit 0 arca "${S3[@]}" snapshots
! s3_exists "arca-err/$key" || fail "stale lock of a dead process not removed"

test_case "an exclusive lock from another host blocks writers and readers (exit 4)"
lock_object "$T/excl" true gc-host.example 4242 $((now + 600))
s3_put arca-err/repo/locks/held-by-gc "$T/excl"
before=$(records)
expect_exit 4 arca "${S3[@]}" snapshot "$T/src"
assert_contains "$T/stderr" "^arca: error: repository 's3://arca-err/repo' is locked: an exclusive lock held by pid 4242 on host 'gc-host.example' since [0-9T:-]+Z \(locks/held-by-gc\)$"
assert_eq "$(records)" "$before" "records while locked"
expect_exit 4 arca "${S3[@]}" snapshots
expect_exit 4 arca "${S3[@]}" dataset ls
s3_exists arca-err/repo/locks/held-by-gc || fail "a live foreign lock was removed"
assert_eq "$(s3_keys arca-err repo/locks)" "repo/locks/held-by-gc" "only the foreign lock is left"

test_case "an expired lock is removed and the command proceeds"
lock_object "$T/excl" true gc-host.example 4242 $((now - 10))
s3_put arca-err/repo/locks/held-by-gc "$T/excl"
expect_exit 0 arca "${S3[@]}" snapshot "$T/src"
! s3_exists arca-err/repo/locks/held-by-gc || fail "expired lock not removed"
assert_eq "$(records)" "$((before + 1))" "records"

test_case "a shared lock from another host does not block a writer"
lock_object "$T/shared" false ci-runner.example 777 $((now + 600))
s3_put arca-err/repo/locks/ci-runner "$T/shared"
expect_exit 0 arca "${S3[@]}" snapshot "$T/src"
s3_exists arca-err/repo/locks/ci-runner || fail "a live shared lock was removed"
lock_object "$T/shared" false ci-runner.example 777 $((now - 1))
s3_put arca-err/repo/locks/ci-runner "$T/shared"

test_case "concurrent snapshots on the same S3 repository all succeed"
for d in a b c; do
	mkdir -p "$T/$d"
	for i in $(seq 1 15); do
		head -c $((i * 30000)) /dev/urandom >"$T/$d/f$i.bin"
		seq $((i * 700)) >"$T/$d/shared-$i.txt" # the same in a, b and c
	done
done
before=$(records)
pids=()
for d in a b c; do
	"$ARCA" "${S3[@]}" snapshot --json --dataset "$d" "$T/$d" >"$T/$d.out" 2>"$T/$d.err" &
	pids+=($!)
done
for p in "${pids[@]}"; do
	wait "$p" || fail "a concurrent snapshot failed: $(cat "$T"/[abc].err)"
done
assert_eq "$(records)" "$((before + 3))" "records"
expect_exit 0 arca "${S3[@]}" verify
assert_contains "$T/stdout" "no problems found"
for d in a b c; do
	expect_exit 0 arca "${S3[@]}" restore "latest@$d" "$T/out-$d"
	assert_same_tree "$T/$d" "$T/out-$d"
done
assert_eq "$(s3_keys arca-err repo/locks)" "" "locks left behind"

test_case "TLS: an untrusted certificate is exit 5; AWS_CA_BUNDLE makes it trusted"
s3_stop
s3_start --tls arca-tls
case $S3_ENDPOINT in https://127.0.0.1:*) ;; *) fail "not https: $S3_ENDPOINT" ;; esac
TLS=(--repo s3://arca-tls/repo --endpoint "$S3_ENDPOINT")
expect_exit 5 env ARCA_S3_RETRIES=1 ARCA_S3_RETRY_BASE_MS=10 "$ARCA" "${TLS[@]}" init
assert_contains "$T/stderr" "^arca: error: s3 GET 's3://arca-tls/repo': cannot reach '$S3_ENDPOINT': SSL certificate problem"
[ -z "$(s3_keys arca-tls repo)" ] || fail "written through an untrusted connection"
# the system's CAs do not vouch for it either
expect_exit 5 env AWS_CA_BUNDLE=/etc/ssl/certs/ca-certificates.crt ARCA_S3_RETRIES=0 "$ARCA" "${TLS[@]}" init
assert_contains "$T/stderr" "SSL certificate problem"
export AWS_CA_BUNDLE="$S3_CA"
expect_exit 0 arca "${TLS[@]}" init
expect_exit 0 arca "${TLS[@]}" snapshot "$T/src"
# the certificate names 127.0.0.1 and localhost: both verify
expect_exit 0 arca --repo s3://arca-tls/repo --endpoint "https://localhost:${S3_ENDPOINT##*:}" restore latest "$T/out-tls"
assert_same_tree "$T/src" "$T/out-tls"
expect_exit 5 env AWS_CA_BUNDLE="$T/no-such-ca.pem" ARCA_S3_RETRIES=0 "$ARCA" "${TLS[@]}" snapshots
unset AWS_CA_BUNDLE
done_testing
