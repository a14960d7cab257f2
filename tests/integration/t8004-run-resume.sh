#!/usr/bin/env bash
# kill -9 of the runner at random moments across stages, then
# 'arca run --resume': the run completes, records its interruptions, and
# its outputs equal those of an uninterrupted run. A finished run and a
# running one cannot be resumed; two resumes cannot both continue a run.
. "$(dirname "$0")/lib.sh"
require python3
EX="$ARCA_SOURCE_DIR/examples/churn"
arca init >/dev/null
arca dataset create churn --schema "$EX/schema.yaml" >/dev/null
arca dataset add churn "$EX/v1" >/dev/null
export ARCA_WORK_DIR="$T/work"

# Each stage sleeps a little (so kills land inside stages as well as
# between them) and derives its output from the previous one.
cat >"$T/slow.yaml" <<'EOF'
arca_template: 1
name: slow
version: 1.0.0
parameters:
  data:
    dataset: {type: dataset, default: churn@latest}
inputs:
  churn: {param: data.dataset}
stages:
  - name: s1
    run: ["sh", "-c", "sleep 0.3; mkdir -p o1; sort \"$$1\" | sha256sum > o1/d", "sh", "${inputs.churn}/customers.csv"]
    outputs: {o1: {kind: data, path: o1/}}
  - name: s2
    depends_on: [s1]
    run: ["sh", "-c", "sleep 0.3; mkdir -p o2; cat o1/d o1/d | sha256sum > o2/d; seq 1 20000 > o2/big"]
    outputs: {o2: {kind: data, path: o2/}}
  - name: s3
    depends_on: [s2]
    run: ["sh", "-c", "sleep 0.3; mkdir -p o3; cat o2/d o2/big | sha256sum > o3/d"]
    outputs: {o3: {kind: model, path: o3/}}
  - name: s4
    depends_on: [s3]
    run: ["sh", "-c", "sleep 0.3; mkdir -p o4; cat o3/d o1/d | sha256sum > o4/d; echo '{\"score\": 1}' > m.json"]
    outputs: {o4: {kind: adapter, path: o4/}}
    metrics: m.json
adapter: {name: slow, output: o4, version: patch}
EOF

digests() { # the outputs' digests of run $1, one per line
	arca runs show --json "$1" | python3 -c '
import json, sys
d = json.load(sys.stdin)
for s in d["stages"]:
    for n, o in sorted(s.get("outputs", {}).items()):
        print(n, o["digest"])'
}
newest_run() {
	arca runs ls --json | python3 -c '
import json, sys
r = json.load(sys.stdin)
print(r[0]["run"][7:] + " " + r[0]["status"] if r else "")'
}

test_case "an uninterrupted run, the reference"
expect_exit 0 arca run --json "$T/slow.yaml"
REF=$(json_field run | sed 's/sha256://')
digests "$REF" >"$T/ref"
[ "$(wc -l <"$T/ref")" -eq 4 ] || fail "expected 4 outputs"

test_case "a finished run cannot be resumed"
expect_exit 1 arca run --resume "${REF:0:12}"
assert_contains "$T/stderr" "succeeded, not interrupted"

test_case "kill -9 at random moments, resume until done"
kills=0 resumed=0
for i in 1 2 3 4 5 6; do
	before=$(newest_run)
	"$ARCA" run "$T/slow.yaml" >/dev/null 2>&1 &
	pid=$!
	sleep "0.$(( (RANDOM % 9) + 1 ))$(( RANDOM % 10 ))"
	kill -9 "$pid" 2>/dev/null && kills=$((kills + 1))
	wait "$pid" 2>/dev/null || true
	now=$(newest_run)
	[ "$now" != "$before" ] || continue # killed before its first record
	run=${now%% *}
	# Resume, and kill some resumes too, until the run finishes.
	for attempt in 1 2 3 4 5 6; do
		status=$(arca runs show --json "$run" | python3 -c 'import json,sys; print(json.load(sys.stdin)["status"])')
		[ "$status" = running ] || break
		if [ $((attempt % 2)) -eq 1 ] && [ "$attempt" -lt 5 ]; then
			"$ARCA" run --resume "$run" >/dev/null 2>&1 &
			pid=$!
			sleep "0.$(( (RANDOM % 9) + 1 ))"
			kill -9 "$pid" 2>/dev/null || true
			wait "$pid" 2>/dev/null || true
		else
			expect_exit 0 arca run --resume "$run"
			resumed=$((resumed + 1))
		fi
	done
	assert_eq "$(arca runs show --json "$run" | python3 -c 'import json,sys; print(json.load(sys.stdin)["status"])')" succeeded
	digests "$run" >"$T/got"
	cmp "$T/ref" "$T/got" || fail "run $run (iteration $i) differs from the reference: $(diff "$T/ref" "$T/got")"
done
[ "$kills" -ge 3 ] || fail "only $kills runs were killed"
[ "$resumed" -ge 1 ] || fail "no run needed a resume"

test_case "interruptions are recorded"
found=0
for r in $(arca runs ls --json | python3 -c 'import json,sys; [print(x["run"][7:]) for x in json.load(sys.stdin)]'); do
	if arca runs show --json "$r" | grep -q '"interruptions":\[{'; then
		found=1
		expect_exit 0 arca runs show "$r"
		assert_contains "$T/stdout" "^interrupted  "
		break
	fi
done
[ "$found" = 1 ] || fail "no run recorded an interruption"

test_case "a running run cannot be resumed by a second runner"
cat >"$T/long.yaml" <<'EOF'
arca_template: 1
name: long
version: 1.0.0
stages:
  - name: wait
    run: ["sleep", "30"]
EOF
"$ARCA" run "$T/long.yaml" >/dev/null 2>&1 &
pid=$!
now=
for _ in $(seq 1 200); do
	now=$(newest_run)
	[ "${now#* }" = running ] && [ "$(arca runs show --json "${now%% *}" | python3 -c 'import json,sys; print(json.load(sys.stdin)["template"]["name"])')" = long ] && break
	sleep 0.05
done
expect_exit 4 arca run --resume "${now%% *}"
assert_contains "$T/stderr" "still running"
kill -9 "$pid"
wait "$pid" 2>/dev/null || true
# Its runner is gone now: the run can be continued.
expect_exit 0 arca runs show "${now%% *}"
assert_contains "$T/stdout" "^status       running"

test_case "everything verifies"
expect_exit 0 arca verify
done_testing
