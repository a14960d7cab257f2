#!/usr/bin/env bash
# Concurrent writers share the repository; an exclusive lock held by a live
# process blocks them (exit 4); a stale one is cleared.
. "$(dirname "$0")/lib.sh"
arca init >/dev/null
for d in a b c; do
	mkdir -p "$T/$d"
	for i in $(seq 1 30); do
		head -c $((i * 20000)) /dev/urandom >"$T/$d/f$i.bin"
		seq $((i * 500)) >"$T/$d/shared-$i.txt"   # same in a, b and c
	done
done

test_case "three concurrent snapshots all succeed"
pids=()
for d in a b c; do
	"$ARCA" snapshot --json --dataset "$d" "$T/$d" >"$T/$d.out" 2>"$T/$d.err" &
	pids+=($!)
done
"$ARCA" snapshot --json "$T/a" >"$T/a2.out" 2>"$T/a2.err" &
pids+=($!)
for p in "${pids[@]}"; do
	wait "$p" || fail "a concurrent snapshot failed: $(cat "$T"/*.err)"
done
expect_exit 0 arca snapshots
assert_contains "$T/stdout" "^4 snapshots$"
expect_exit 0 arca verify
assert_contains "$T/stdout" "no problems found"
for d in a b c; do
	expect_exit 0 arca restore "latest@$d" "$T/out-$d"
	assert_same_tree "$T/$d" "$T/out-$d"
done

host=$(hostname)
start=$(awk '{ sub(/.*\) /, ""); split($0, f, " "); print f[20] }' /proc/$$/stat)
now=$(date +%s)

test_case "a live exclusive lock blocks writers and readers with exit 4"
mkdir -p "$ARCA_REPO/locks"
printf '{"exclusive":true,"expires":%d,"hostname":"%s","pid":%d,"pid_start":%s,"time":%d,"username":"gc"}' \
	$((now + 600)) "$host" $$ "$start" "$now" >"$ARCA_REPO/locks/held-by-gc"
count=$(ls "$ARCA_REPO/records/snapshot" | wc -l)
expect_exit 4 arca snapshot "$T/a"
assert_contains "$T/stderr" "arca: error: repository '.*' is locked: an exclusive lock held by pid $$ on host '$host'"
expect_exit 4 arca snapshots
assert_eq "$(ls "$ARCA_REPO/records/snapshot" | wc -l)" "$count" "record count"

test_case "a lock from another host blocks until it expires"
sed -i "s/\"hostname\":\"$host\"/\"hostname\":\"elsewhere\"/" "$ARCA_REPO/locks/held-by-gc"
expect_exit 4 arca snapshots
printf '{"exclusive":true,"expires":%d,"hostname":"elsewhere","pid":1,"pid_start":1,"time":%d}' \
	$((now - 10)) $((now - 4000)) >"$ARCA_REPO/locks/held-by-gc"
expect_exit 0 arca snapshots
[ ! -e "$ARCA_REPO/locks/held-by-gc" ] || fail "expired lock not removed"

test_case "a stale lock of a dead process on this host is cleared"
sh -c 'exit 0' & dead=$!; wait $dead
printf '{"exclusive":true,"expires":%d,"hostname":"%s","pid":%d,"pid_start":5,"time":%d}' \
	$((now + 600)) "$host" "$dead" "$now" >"$ARCA_REPO/locks/stale"
expect_exit 0 arca snapshot "$T/b"
[ ! -e "$ARCA_REPO/locks/stale" ] || fail "stale lock not removed"
assert_eq "$(ls "$ARCA_REPO/locks" | wc -l)" 0 "locks left"

done_testing
