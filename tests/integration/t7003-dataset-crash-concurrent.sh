#!/usr/bin/env bash
# Concurrent adds to one dataset get distinct, gapless version numbers;
# kill -9 of `dataset add` at random points never leaves a half-registered
# version: the repository verifies and the catalog lists only whole ones.
. "$(dirname "$0")/lib.sh"
require sqlite3 awk
EX="$ARCA_SOURCE_DIR/examples/churn"
TRIALS=${ARCA_CRASH_TRIALS:-10}
RANDOM=777
arca init >/dev/null
arca dataset create churn --schema "$EX/schema.yaml" >/dev/null

# A bigger version so that an add takes long enough to be cut: v1's rows
# repeated, with one column varied per copy (new content every trial).
big() { # big DIR SALT
	mkdir -p "$1"
	awk -F, -v OFS=, -v salt="$2" 'NR == 1 { print; next }
		{ for (k = 0; k < 300; k++) { $2 = (NR + k + salt) % 600; print } }' \
		"$EX/v1/customers.csv" >"$1/customers.csv"
}
ms_now() { date +%s%3N; }

test_case "four concurrent adds get versions 1 to 4"
for i in 1 2 3 4; do big "$T/c$i" "$i"; done
pids=""
for i in 1 2 3 4; do
	"$ARCA" dataset add -q -m "writer $i" churn "$T/c$i" >"$T/w$i.out" 2>"$T/w$i.err" &
	pids="$pids $!"
done
for p in $pids; do wait "$p" || fail "a concurrent add failed: $(cat "$T"/w*.err)"; done
expect_exit 0 arca dataset versions --json churn
for n in 1 2 3 4; do assert_contains "$T/stdout" "\"version\":$n[,}]"; done
assert_eq "$(cat "$T"/w*.out | sort | tr '\n' ' ')" "churn@1 churn@2 churn@3 churn@4 " "each writer got its own number"
assert_eq "$(grep -o '"message":"writer [1-4]"' "$T/stdout" | sort -u | wc -l)" 4 "four distinct writers"
expect_exit 0 arca verify

test_case "an uninterrupted add, timed"
big "$T/data" 1000
t0=$(ms_now)
expect_exit 0 arca dataset add -q churn "$T/data"
span=$(( $(ms_now) - t0 + 20 ))

test_case "kill -9 at random points leaves no half-registered version"
killed=0
for trial in $(seq 1 "$TRIALS"); do
	big "$T/data" "$((trial + 2000))"
	"$ARCA" dataset add -q churn "$T/data" >/dev/null 2>&1 &
	pid=$!
	delay=$(( RANDOM % span ))
	sleep "$(printf '%d.%03d' $((delay / 1000)) $((delay % 1000)))"
	if kill -9 "$pid" 2>/dev/null; then killed=$((killed + 1)); fi
	wait "$pid" 2>/dev/null || true
	expect_exit 0 arca verify
	expect_exit 0 arca dataset versions --json churn
	n=$(grep -o '"version":[0-9]*' "$T/stdout" | wc -l)
	# gapless 1..n, each with its rows and a snapshot that exists
	assert_eq "$(grep -o '"version":[0-9]*' "$T/stdout" | cut -d: -f2 | tr '\n' ' ')" "$(seq 1 "$n" | tr '\n' ' ')" "version numbers"
	assert_not_contains "$T/stdout" '"rows":0,'
done
[ "$killed" -ge 2 ] || fail "only $killed of $TRIALS adds were killed mid-way"

test_case "after the crashes, a rebuilt catalog lists the same versions"
arca dataset versions --json churn >"$T/v.json"
expect_exit 0 arca catalog rebuild
arca dataset versions --json churn >"$T/v2.json"
diff -u "$T/v.json" "$T/v2.json" >&2 || fail "rebuild differs"
# every listed version restores to data with its row count
last=$(grep -o '"version":[0-9]*' "$T/v.json" | tail -1 | cut -d: -f2)
expect_exit 0 arca dataset resolve --json "churn@$last"
snap=$(json_field snapshot)
expect_exit 0 arca restore "$snap" "$T/out"
assert_eq "$(($(wc -l <"$T/out/customers.csv") - 1))" 150000 "rows restored"
done_testing
