#!/usr/bin/env bash
# Crash safety of arca ingest: kill -9 at random moments while several
# items (some with hooks) are being ingested; after each kill `arca
# verify` is clean and no item has been registered twice; a re-run then
# registers each item exactly once, and a further run nothing.
. "$(dirname "$0")/lib.sh"
require python3
D="$ARCA_SOURCE_DIR/tests/integration/data/ingest"
TRIALS=${ARCA_CRASH_TRIALS:-12}
RANDOM=6003
arca init >/dev/null
arca dataset create churn --schema "$D/schema.yaml" >/dev/null
mkdir -p "$T/plain" "$T/hooked"

# item DIR NAME N: a CSV file (or, for names without .csv, a directory of
# two) of about N rows
item() {
	local path="$1/$2" i
	if [ "${2%.csv}" = "$2" ]; then
		mkdir -p "$path"
		item "$path" a.csv "$3"
		item "$path" b.csv "$3"
		return
	fi
	{ echo id,name; for i in $(seq 1 "$3"); do echo "$i,n$RANDOM$i"; done; } >"$path"
}

cat >"$T/ingest.yaml" <<EOF
ingest: 1
sources:
  - name: plain
    dataset: churn
    folder: $T/plain
    settle: 0s
  - name: hooked
    dataset: churn
    folder: $T/hooked
    settle: 0s
    hooks:
      - run: ["$D/mask.sh", "\${staged}"]
      - run: [sh, "$D/reject.sh", "\${staged}"]
EOF

# items: "source/item" of every version of churn, one a line, sorted
items() {
	arca dataset versions churn --json | python3 -c '
import json, sys
for v in json.load(sys.stdin):
    print(v["ingest"]["source"] + "/" + v["ingest"]["item"])' | sort
}
ms_now() { date +%s%3N; }

for i in 1 2 3; do
	item "$T/plain" "p$i.csv" 20000
	item "$T/hooked" "h$i" 8000
done

test_case "how long an uninterrupted pass takes (on a scratch repository)"
t0=$(ms_now)
(
	export ARCA_REPO="$T/scratch" ARCA_CACHE_DIR="$T/scratch-cache"
	arca init >/dev/null
	arca dataset create churn --schema "$D/schema.yaml" >/dev/null
	arca ingest "$T/ingest.yaml" >/dev/null
) || fail "the uninterrupted pass failed"
span=$(( $(ms_now) - t0 + 50 ))

test_case "kill -9 at random moments leaves nothing half-registered"
killed=0
for trial in $(seq 1 "$TRIALS"); do
	# new items every trial, so each run has something to do
	item "$T/plain" "t$trial.csv" 15000
	item "$T/hooked" "u$trial" 5000
	"$ARCA" ingest "$T/ingest.yaml" >/dev/null 2>&1 &
	pid=$!
	delay=$(( RANDOM % span ))
	sleep "$(printf '%d.%03d' $((delay / 1000)) $((delay % 1000)))"
	if kill -9 "$pid" 2>/dev/null; then killed=$((killed + 1)); fi
	wait "$pid" 2>/dev/null || true
	expect_exit 0 arca verify
	assert_contains "$T/stdout" "no problems found"
	dups=$(items | uniq -d)
	[ -z "$dups" ] || fail "registered twice after trial $trial: $dups"
done
echo "killed $killed of $TRIALS runs mid-way"
[ "$killed" -ge 2 ] || fail "only $killed of $TRIALS runs were killed mid-way"

test_case "a re-run registers every item exactly once"
expect_exit 0 arca ingest "$T/ingest.yaml"
expect_exit 0 arca verify
assert_contains "$T/stdout" "no problems found"
(cd "$T" && ls -d plain/* hooked/* | sort) >"$T/want"
items >"$T/got"
diff -u "$T/want" "$T/got" >&2 || fail "versions do not match the items"
assert_eq "$(wc -l <"$T/got")" $((6 + 2 * TRIALS)) "versions"

test_case "hooked items were registered masked, with their hook records"
snap=$(arca dataset versions churn --json | python3 -c '
import json, sys
print([v for v in json.load(sys.stdin) if v["ingest"]["item"] == "h1"][0]["snapshot"])')
expect_exit 0 arca restore "$snap" "$T/out"
assert_eq "$(sort -u <(cut -d, -f2 "$T/out/a.csv"))" "masked
name"

test_case "a further run registers nothing; nothing is left behind"
expect_exit 0 arca ingest --json "$T/ingest.yaml"
assert_not_contains "$T/stdout" '"status":"(added|failed|skipped)"'
assert_eq "$(items | wc -l)" $((6 + 2 * TRIALS)) "versions"
assert_eq "$(ls "$ARCA_CACHE_DIR/ingest-staging" | wc -l)" 0 "staging dirs left"
assert_eq "$(ls "$ARCA_REPO/locks" | wc -l)" 0 "repository locks left"

done_testing
