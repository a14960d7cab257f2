#!/usr/bin/env bash
# Crash safety: kill -9 `arca snapshot` at many random points; after each,
# `arca verify` is clean, and a re-run completes and restores exactly.
. "$(dirname "$0")/lib.sh"
arca init >/dev/null
TRIALS=${ARCA_CRASH_TRIALS:-12}
RANDOM=4242

mkdir -p "$T/data"
for i in $(seq 1 40); do
	mkdir -p "$T/data/d$((i % 5))"
	head -c $((i * 40000)) /dev/urandom >"$T/data/d$((i % 5))/r$i.bin"
	seq $((i * 3000)) >"$T/data/d$((i % 5))/t$i.txt"
done
head -c 20000000 /dev/urandom >"$T/data/big.bin"

ms_now() { date +%s%3N; }

test_case "an uninterrupted snapshot, then an incremental one, timed"
expect_exit 0 arca snapshot "$T/data"
head -c 3000000 /dev/urandom >"$T/data/d0/warm.bin"
t0=$(ms_now)
expect_exit 0 arca snapshot "$T/data"
span=$(( $(ms_now) - t0 + 20 ))

test_case "kill -9 at random points leaves a consistent repository"
killed=0
for trial in $(seq 1 "$TRIALS"); do
	# New content every trial, so each run has objects to write.
	head -c 3000000 /dev/urandom >"$T/data/d$((trial % 5))/new-$trial.bin"
	printf 'x%.0s' $(seq 1 $trial) >>"$T/data/big.bin"
	"$ARCA" snapshot "$T/data" >/dev/null 2>&1 &
	pid=$!
	delay=$(( RANDOM % span ))
	sleep "$(printf '%d.%03d' $((delay / 1000)) $((delay % 1000)))"
	if kill -9 "$pid" 2>/dev/null; then killed=$((killed + 1)); fi
	wait "$pid" 2>/dev/null || true
	expect_exit 0 arca verify
	assert_contains "$T/stdout" "no problems found"
done
[ "$killed" -ge 2 ] || fail "only $killed of $TRIALS runs were killed mid-way"

test_case "a re-run completes, and restores byte for byte"
expect_exit 0 arca snapshot --json "$T/data"
id=$(json_field id)
expect_exit 0 arca verify
expect_exit 0 arca restore "$id" "$T/out"
assert_same_tree "$T/data" "$T/out"

test_case "no lock is left behind by the killed runs"
assert_eq "$(ls "$ARCA_REPO/locks" | wc -l)" 0 "locks left"

done_testing
