#!/usr/bin/env bash
# kill -9 of a signing writer at random moments, in a repository that
# requires signatures: no record is ever listed without a good
# signature (a listed snapshot always passes verify-sig), nothing a
# killed writer left behind breaks verify, and the next writer works.
# Two signing writers at once each sign their own records.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib_gpg.sh"
require jq
K=$(gen_key "Signer <signer@example>")
cat >"$T/trust.yaml" <<EOF
trust: 1
roles:
  runner:
    kinds: ["*"]
    keys: [$K]
EOF
export ARCA_TRUST_POLICY="$T/trust.yaml" ARCA_SIGNING_KEY=$K
arca init --require-signatures >/dev/null
mkdir -p "$T/src"
for i in $(seq 1 200); do echo "row $i" >"$T/src/f$i.csv"; done

# every listed snapshot and dataset record has a good signature
check_all() {
	local n=0 h
	for f in "$ARCA_REPO"/records/snapshot/* "$ARCA_REPO"/records/dataset*/*; do
		[ -e "$f" ] || continue
		h=${f##*/}
		expect_exit 0 arca verify-sig "object:$h"
		n=$((n + 1))
	done
	echo "$n"
}

test_case "kill -9 while snapshots are signed"
kills=0
for i in $(seq 1 12); do
	echo "change $i" >"$T/src/f$((i % 7)).csv"
	"$ARCA" snapshot -q "$T/src" >/dev/null 2>&1 &
	pid=$!
	sleep "0.0$((RANDOM % 10))$((RANDOM % 10))"
	kill -9 "$pid" 2>/dev/null && kills=$((kills + 1))
	wait "$pid" 2>/dev/null || true
	check_all >/dev/null
done
[ "$kills" -ge 3 ] || fail "only $kills writers were killed"
expect_exit 0 arca verify
expect_exit 0 arca snapshot -q "$T/src"
n=$(check_all)
[ "$n" -ge 1 ] || fail "no snapshot was listed"

test_case "kill -9 while dataset versions are signed"
EX="$ARCA_SOURCE_DIR/examples/churn"
cp -r "$EX/v1" "$T/churn"
arca dataset create -q churn --schema "$EX/schema.yaml" >/dev/null
for i in $(seq 1 8); do
	sed -i '$d' "$T/churn/customers.csv" # one customer fewer
	"$ARCA" dataset add -q churn "$T/churn" >/dev/null 2>&1 &
	pid=$!
	sleep "0.0$((RANDOM % 10))$((RANDOM % 10))"
	kill -9 "$pid" 2>/dev/null || true
	wait "$pid" 2>/dev/null || true
	check_all >/dev/null
done
expect_exit 0 arca verify
sed -i '$d' "$T/churn/customers.csv"
expect_exit 0 arca dataset add -q churn "$T/churn"
check_all >/dev/null

test_case "two signing writers at once"
mkdir -p "$T/a" "$T/b"
for i in $(seq 1 50); do echo "a $i" >"$T/a/$i"; echo "b $i" >"$T/b/$i"; done
before=$(ls "$ARCA_REPO/records/signature" | wc -l)
"$ARCA" snapshot -q "$T/a" >"$T/a.out" 2>&1 &
p1=$!
"$ARCA" snapshot -q "$T/b" >"$T/b.out" 2>&1 &
p2=$!
wait "$p1" || fail "first writer: $(cat "$T/a.out")"
wait "$p2" || fail "second writer: $(cat "$T/b.out")"
after=$(ls "$ARCA_REPO/records/signature" | wc -l)
[ "$after" -eq $((before + 2)) ] || fail "expected 2 new signatures, got $((after - before))"
check_all >/dev/null
expect_exit 0 arca verify
