#!/usr/bin/env bash
# An interrupted push leaves the remote consistent, and running it again
# completes it: a repository with a 40 MB file (multipart uploads: the
# chunker makes objects over the 5 MiB threshold) and over 1,000 small
# objects (listings of many pages), the S3 server killed (SIGKILL) while
# the push runs, restarted on the same data, the push re-run; then the
# arca process itself killed with SIGKILL mid-push, and re-run. At the
# end a pull elsewhere restores byte-identical data.
#
# s3rver writes an object's file as the bytes arrive (real S3 PUTs are
# atomic), so a server killed mid-upload may keep a truncated object:
# nothing may name it, and the next push copies it again.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib_s3.sh"
require find head sed sort xargs sha256sum diff
s3_start
s3_env
export ARCA_S3_MULTIPART_MB=5 ARCA_S3_MAX_KEYS=100 ARCA_S3_RETRIES=2
url="s3://$S3_BUCKET/big"

arca init -q
# Large chunks (4-16 MiB) so that objects go up in multipart uploads; a
# config written by another writer, valid by formats/chunking.md.
sed -i 's/"avg_size":1048576,"max_size":4194304,"min_size":262144/"avg_size":8388608,"max_size":16777216,"min_size":4194304/' \
	"$ARCA_REPO/config"
grep -q '"max_size":16777216' "$ARCA_REPO/config" || fail "config not changed"
mkdir -p "$T/data/small"
head -c 41943040 /dev/urandom >"$T/data/large.bin"
for d in $(seq 0 39); do
	mkdir -p "$T/data/small/d$d"
	for i in $(seq 0 29); do
		echo "small file $d/$i $RANDOM" >"$T/data/small/d$d/f$i.txt"
	done
done
expect_exit 0 arca snapshot --json --dataset big "$T/data"
snap=$(json_field id)
n=$(find "$ARCA_REPO/objects" -type f | wc -l)
[ "$n" -gt 1100 ] || fail "only $n objects"
large=0
for f in $(find "$ARCA_REPO/objects" -type f -size +5120k); do large=$((large + 1)); done
[ "$large" -ge 1 ] || fail "no object over the 5 MiB multipart threshold"

on_server() {
	find "$S3_DIR/$S3_BUCKET/big/objects" -name '*._S3rver_object' 2>/dev/null | wc -l
}
# waits until at least $1 objects are on the server, or the push (job
# $2 of this shell: pids are reused too soon to poll them) ended; fails
# when it ended first
wait_objects() {
	while [ "$(on_server)" -lt "$1" ]; do
		jobs -rp | grep -qx "$2" ||
			fail "the push ended before $1 objects were on the server"
		sleep 0.05
	done
}
# assert_same_tree's checks (names, types, modes, mtimes, contents) with
# one process per tree rather than several per file: there are 2,000.
manifest() {
	(cd "$1" && find . -printf '%p %y %m %l\n' | sort &&
		find . -type f -printf '%p %s %T@\n' | sed 's/\.[0-9]*$//' | sort &&
		find . -type f -print0 | sort -z | xargs -0 sha256sum)
}
same_tree() {
	manifest "$1" >"$T/tree.a"
	manifest "$2" >"$T/tree.b"
	diff -u "$T/tree.a" "$T/tree.b" >&2 || fail "trees differ: $1 $2"
}
# The remote's copy names nothing it lacks: no finding but a corrupt
# object nothing names (a truncated upload), and nothing pushed is
# listed as not pushed only because it is missing.
assert_remote_consistent() {
	assert_not_contains "$T/stdout" '^ERROR (MISSING_OBJECT|BAD_RECORD|BAD_REF|BAD_TREE|SIZE_MISMATCH) '
	assert_not_contains "$T/stdout" '^ERROR [A-Z_]+ [^ ]+ snapshot '
	assert_not_contains "$T/stdout" '^WARNING '
}

test_case "the server killed mid-push: exit 5, the remote consistent"
"$ARCA" push "$url" >"$T/push.out" 2>"$T/push.err" &
pid=$!
wait_objects 150 "$pid"
s3_kill
got=0
wait "$pid" || got=$?
[ "$got" = 5 ] || fail "push exited $got, not 5: $(cat "$T/push.err")"
assert_contains "$T/push.err" "push stopped \(run it again"
s3_start
landed=$(on_server)
[ "$landed" -lt "$n" ] || fail "every object landed before the kill"
expect_exit 3 arca verify --remote "$url"
assert_remote_consistent
# No record or ref was written: the snapshot is listed as not pushed.
assert_contains "$T/stdout" "^NOT-PUSHED record snapshot/${snap#sha256:}: "
assert_contains "$T/stdout" "^NOT-PUSHED ref datasets/big: "

test_case "the push run again completes"
expect_exit 0 arca push "$url"
assert_contains "$T/stdout" "^pushed [0-9]+ objects \([0-9]+ skipped\), 1 record, 1 ref: "
expect_exit 0 arca verify --remote "$url"
assert_contains "$T/stdout" "no problems found$"
assert_contains "$T/stdout" "has every record and ref of this repository$"
assert_eq "$(on_server)" "$n" "objects on the server"

test_case "arca killed mid-push (SIGKILL), then run again"
head -c 20971520 /dev/urandom >"$T/data/large2.bin"
for i in $(seq 0 599); do echo "more $i $RANDOM" >"$T/data/small/d0/m$i.txt"; done
expect_exit 0 arca snapshot --json --dataset big "$T/data"
snap2=$(json_field id)
n2=$(find "$ARCA_REPO/objects" -type f | wc -l)
before=$(on_server)
"$ARCA" push --parallel 2 "$url" >"$T/push.out" 2>"$T/push.err" &
pid=$!
wait_objects $((before + 100)) "$pid"
kill -9 "$pid"
wait "$pid" 2>/dev/null || true
[ "$(on_server)" -lt "$n2" ] || fail "every object landed before the kill"
expect_exit 3 arca verify --remote "$url"
assert_remote_consistent
assert_contains "$T/stdout" "^NOT-PUSHED record snapshot/${snap2#sha256:}: "
expect_exit 0 arca push "$url"
assert_contains "$T/stdout" ", 1 record, 1 ref: "
expect_exit 0 arca verify --remote "$url"
assert_contains "$T/stdout" "has every record and ref of this repository$"
assert_eq "$(on_server)" "$n2" "objects on the server"
expect_exit 0 arca push "$url"
assert_contains "$T/stdout" "^pushed 0 objects \($n2 skipped\), 0 records, 0 refs"

test_case "pull elsewhere and restore byte-identical"
expect_exit 0 arca --repo "$T/copy" pull --parallel 4 "$url"
assert_contains "$T/stdout" "^pulled $n2 objects \(0 skipped\), 2 records, 1 ref: "
expect_exit 0 arca --repo "$T/copy" verify
expect_exit 0 arca --repo "$T/copy" restore "$snap2" "$T/restored"
same_tree "$T/data" "$T/restored"
expect_exit 0 arca --repo "$T/copy" restore "$snap" "$T/restored1"
cmp "$T/data/large.bin" "$T/restored1/large.bin" || fail "large.bin differs"
done_testing
