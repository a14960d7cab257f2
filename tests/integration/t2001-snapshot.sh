#!/usr/bin/env bash
# arca snapshot of directories and files; incremental; standard-tools fixity.
. "$(dirname "$0")/lib.sh"
require zstd sha256sum
make_dataset "$T/data"
backdate "$T/data"
arca init >/dev/null

test_case "first snapshot records everything"
expect_exit 0 arca snapshot --json --dataset demo -m "first" "$T/data"
snap1=$(json_field id)
[ -n "$snap1" ] || fail "no id in --json output"
assert_contains "$T/stdout" '"files":24,'
assert_contains "$T/stdout" '"symlinks":1\}'
assert_contains "$T/stdout" '"files_cached":0,'
[ -f "$ARCA_REPO/records/snapshot/${snap1#sha256:}" ] || fail "no record"
assert_eq "$(cat "$ARCA_REPO/refs/datasets/demo")" "$snap1" "dataset ref"

test_case "objects check out with zstd and sha256sum alone"
n=0
for obj in "$ARCA_REPO"/objects/*/*; do
	got=$(zstd -q -d <"$obj" | sha256sum | cut -c1-64)
	assert_eq "$got" "$(basename "$obj")" "object $obj"
	n=$((n + 1))
done
[ "$n" -gt 20 ] || fail "only $n objects"
zstd -q -d <"$ARCA_REPO/objects/${snap1:7:2}/${snap1#sha256:}" >"$T/snap.json"
assert_contains "$T/snap.json" '^\{"arca_version":"[^"]+","dataset":"demo",'
assert_contains "$T/snap.json" '"message":"first"'

test_case "unchanged re-snapshot reads no file content"
expect_exit 0 arca snapshot --json --dataset demo "$T/data"
assert_contains "$T/stdout" '"bytes_read":0,'
assert_contains "$T/stdout" '"files_cached":24,'
assert_contains "$T/stdout" '"objects_new":0,'
snap2=$(json_field id)
zstd -q -d <"$ARCA_REPO/objects/${snap2:7:2}/${snap2#sha256:}" >"$T/snap2.json"
assert_contains "$T/snap2.json" "\"parent\":\"$snap1\""

test_case "a file written just before a snapshot is read again next time"
echo fresh >"$T/data/fresh.txt"
expect_exit 0 arca snapshot --json "$T/data"
expect_exit 0 arca snapshot --json "$T/data"
assert_contains "$T/stdout" '"bytes_read":6,'
assert_contains "$T/stdout" '"files_cached":24,'
rm "$T/data/fresh.txt"

test_case "a changed file stores only its new chunks"
dd if=/dev/urandom of="$T/data/large.bin" bs=1M count=12 status=none
expect_exit 0 arca snapshot --json "$T/data"
before=$(du -sb "$ARCA_REPO/objects" | cut -f1)
printf 'XXXX' | dd of="$T/data/large.bin" bs=1 seek=100 conv=notrunc status=none
expect_exit 0 arca snapshot --json "$T/data"
after=$(du -sb "$ARCA_REPO/objects" | cut -f1)
grown=$((after - before))
[ "$grown" -lt $((5 * 1024 * 1024)) ] || fail "a 4-byte change stored $grown bytes"
assert_contains "$T/stdout" '"files_cached":24,'

test_case "a single file"
expect_exit 0 arca snapshot --json "$T/data/sub/part-2.csv"
expect_exit 0 arca ls latest
assert_eq "$(cat "$T/stdout")" "part-2.csv"

test_case "special files are skipped with a warning"
mkfifo "$T/data/a-fifo"
expect_exit 0 arca snapshot "$T/data"
assert_contains "$T/stderr" "arca: warning: .*a-fifo: skipped: not a regular file"
assert_contains "$T/stdout" "1 skipped"
rm "$T/data/a-fifo"

test_case "a missing path fails and records nothing"
count=$(ls "$ARCA_REPO/records/snapshot" | wc -l)
expect_exit 1 arca snapshot "$T/no-such-dir"
assert_contains "$T/stderr" "arca: error: cannot snapshot '$T/no-such-dir': No such file"
assert_eq "$(ls "$ARCA_REPO/records/snapshot" | wc -l)" "$count" "record count"

test_case "a bad dataset name is refused before anything is written"
expect_exit 1 arca snapshot --dataset '../x' "$T/data"
assert_contains "$T/stderr" "invalid dataset name"
assert_eq "$(ls "$ARCA_REPO/records/snapshot" | wc -l)" "$count" "record count"

test_case "snapshots lists them, oldest first, and filters by dataset"
expect_exit 0 arca snapshots
assert_contains "$T/stdout" "^ID +TIME +HOST"
assert_contains "$T/stdout" "^$count snapshots$"
expect_exit 0 arca snapshots --dataset demo --json
assert_eq "$(grep -o '"id":"sha256:[0-9a-f]*"' "$T/stdout" | wc -l)" 2 "demo snapshots"
assert_eq "$(grep -o '"id":"sha256:[0-9a-f]*"' "$T/stdout" | head -1 | cut -d'"' -f4)" "$snap1"

done_testing
