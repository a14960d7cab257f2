#!/usr/bin/env bash
# The runner with real processes: parameters checked before anything
# starts, the drift refusal, budgets (memory, wall clock), a stage that
# fails, one that writes no declared output, gates, approval, listings,
# logs and comparisons; every failure clear and recorded.
. "$(dirname "$0")/lib.sh"
require python3 tar zstd
EX="$ARCA_SOURCE_DIR/examples/churn"
arca init >/dev/null
arca dataset create churn --schema "$EX/schema.yaml" >/dev/null
arca dataset add churn "$EX/v1" >/dev/null
export ARCA_WORK_DIR="$T/work"
runs_count() { find "$ARCA_REPO/records" -path '*/run/*' -type f 2>/dev/null | wc -l; }

# tpl FILE STAGE2_RUN [EXTRA]: a three-stage template whose middle stage
# runs STAGE2_RUN (a YAML flow sequence) with the given budget.
tpl() {
	local budget=${3:-"{wall: 1m}"}
	cat >"$1" <<EOF
arca_template: 1
name: t
version: 1.0.0
parameters:
  data:
    dataset: {type: dataset, default: churn@latest}
  training:
    epochs: {type: integer, default: 3, min: 1, max: 10}
    label: {type: string, default: churned}
  governance:
    approval: {type: enum, values: [required, none], default: ${4:-none}}
budget: {wall: 2m, memory: 1GiB}
inputs:
  churn: {param: data.dataset}
stages:
  - name: prepare
    run: ["sh", "-c", "mkdir -p \"\$\$1\" && wc -l < \"\$\$2\" > \"\$\$1/rows\"", "sh", "\${outputs.features}", "\${inputs.churn}/customers.csv"]
    outputs:
      features: {kind: data, path: features/}
  - name: train
    depends_on: [prepare]
    run: $2
    outputs:
      weights: {kind: adapter, path: adapter/}
    budget: $budget
  - name: evaluate
    depends_on: [train]
    run: ["sh", "-c", "echo '{\"accuracy\": 0.91, \"n\": 500}' > eval.json; echo evaluated; echo note >&2"]
    metrics: eval.json
gates:
  - evaluate.accuracy >= \${GATE:-0.80}
adapter: {name: t, output: weights, version: patch}
EOF
	sed -i "s/\${GATE:-0.80}/${GATE:-0.80}/" "$1"
}
GOOD='["sh", "-c", "mkdir -p \"$$1\" && echo epochs=$$2 > \"$$1/w\"", "sh", "${outputs.weights}", "${params.training.epochs}"]'

test_case "bad parameters stop the run before anything happens"
tpl "$T/ok.yaml" "$GOOD"
before=$(runs_count)
expect_exit 1 arca run -p training.epoch=5 "$T/ok.yaml"
assert_contains "$T/stderr" "training.epoch"
expect_exit 1 arca run -p training.epochs=lots "$T/ok.yaml"
assert_contains "$T/stderr" "training.epochs"
expect_exit 1 arca run -p training.epochs=11 "$T/ok.yaml"
assert_contains "$T/stderr" "training.epochs"
expect_exit 2 arca run -p training.epochs "$T/ok.yaml"
expect_exit 2 arca run
expect_exit 1 arca run "$T/missing.yaml"
assert_eq "$(runs_count)" "$before"
[ ! -d "$T/work" ] || [ -z "$(ls "$T/work")" ] || fail "a work dir was made for a refused run"

test_case "a run: stages, outputs, metrics, gates, adapter"
expect_exit 0 arca run --json -p training.epochs=5 "$T/ok.yaml"
assert_contains "$T/stdout" '"status":"succeeded"'
assert_contains "$T/stdout" '"adapter":"t@1.0.0"'
R1=$(json_field run | sed 's/sha256://')
expect_exit 0 arca runs show "${R1:0:12}"
assert_contains "$T/stdout" "training.epochs = 5"
assert_contains "$T/stdout" "churn@1 \(churn@latest\)"
assert_contains "$T/stdout" "metric accuracy = 0.91"
assert_contains "$T/stdout" "evaluate.accuracy >= 0.80: pass"
expect_exit 0 arca runs show --json "$R1"
assert_contains "$T/stdout" '"argv":\["sh","-c",'
assert_contains "$T/stdout" '"max_rss":[1-9]'
expect_exit 0 arca runs log --stage evaluate "$R1"
assert_contains "$T/stdout" "^evaluated$"
assert_contains "$T/stdout" "^note$"
expect_exit 0 arca runs log --stage evaluate --stderr "$R1"
assert_not_contains "$T/stdout" "evaluated"
expect_exit 1 arca runs log --stage nope "$R1"
expect_exit 0 arca adapter get t@1.0.0 -o "$T/t.tar.zst"
tar --zstd -xOf "$T/t.tar.zst" files/w >"$T/w"
assert_contains "$T/w" "^epochs=5$"
tar --zstd -xOf "$T/t.tar.zst" ADAPTER.json >"$T/adapter.json"
assert_contains "$T/adapter.json" '"adapter_version":"1.0.0"'
[ -z "$(ls "$T/work")" ] || fail "a successful run left its work dir"
expect_exit 0 arca verify

test_case "the next run bumps the adapter version; runs compare"
expect_exit 0 arca run --json -p training.epochs=7 "$T/ok.yaml"
assert_contains "$T/stdout" '"adapter":"t@1.0.1"'
R2=$(json_field run | sed 's/sha256://')
expect_exit 0 arca runs compare "$R1" "$R2"
assert_contains "$T/stdout" "params   training.epochs: 5 -> 7"
assert_contains "$T/stdout" "outputs  weights: "
assert_not_contains "$T/stdout" "features"
expect_exit 0 arca runs ls
assert_contains "$T/stdout" "${R2:0:12}  succeeded .*-> t@1.0.1"
expect_exit 0 arca adapter ls t
assert_contains "$T/stdout" "t@1.0.1"

test_case "a stage that exits non-zero"
tpl "$T/exit.yaml" '["sh", "-c", "echo dying >&2; exit 3"]'
expect_exit 1 arca run --json "$T/exit.yaml"
assert_contains "$T/stdout" '"status":"failed"'
assert_contains "$T/stdout" "stage 'train' exit status 3"
R=$(json_field run | sed 's/sha256://')
expect_exit 0 arca runs show --json "$R"
assert_contains "$T/stdout" '"exit_code":3'
assert_contains "$T/stdout" '"name":"evaluate","status":"pending"'
expect_exit 0 arca runs log --stage train "$R"
assert_contains "$T/stdout" "dying"
[ -n "$(ls "$T/work")" ] || fail "a failed run's work dir was removed"

test_case "a stage over its memory budget"
tpl "$T/mem.yaml" '["python3", "-c", "import time; b = bytearray(400 << 20); b[::4096] = b\"x\" * len(b[::4096]); time.sleep(20)"]' '{wall: 1m, memory: 64MiB}'
expect_exit 1 arca run --json "$T/mem.yaml"
assert_contains "$T/stdout" '"status":"failed"'
assert_contains "$T/stdout" "memory budget"
R=$(json_field run | sed 's/sha256://')
expect_exit 0 arca runs show --json "$R"
assert_contains "$T/stdout" '"end":"memory"'

test_case "a stage over its wall-clock budget"
tpl "$T/slow.yaml" '["sleep", "60"]' '{wall: 1s}'
start=$(date +%s)
expect_exit 1 arca run --json "$T/slow.yaml"
[ $(( $(date +%s) - start )) -lt 50 ] || fail "the stage was not stopped"
assert_contains "$T/stdout" "wall-clock budget"
R=$(json_field run | sed 's/sha256://')
expect_exit 0 arca runs show --json "$R"
assert_contains "$T/stdout" '"end":"timeout"'

test_case "a stage that writes no declared output"
tpl "$T/noout.yaml" '["true"]'
expect_exit 1 arca run --json "$T/noout.yaml"
assert_contains "$T/stdout" "stage 'train' did not write its declared output 'weights' \(adapter/\)"

test_case "gates that fail: gated, nothing published"
GATE=0.95 tpl "$T/gate.yaml" "$GOOD"
expect_exit 1 arca run --json "$T/gate.yaml"
assert_contains "$T/stdout" '"status":"gated"'
assert_contains "$T/stdout" "gate 'evaluate.accuracy >= 0.95' failed"
assert_not_contains "$T/stdout" '"adapter"'
expect_exit 0 arca adapter ls t
assert_not_contains "$T/stdout" "t@1.0.2"

test_case "governance: approval required before publishing"
tpl "$T/appr.yaml" "$GOOD" "" required
expect_exit 0 arca run --json "$T/appr.yaml"
assert_contains "$T/stdout" '"status":"awaiting-approval"'
R=$(json_field run | sed 's/sha256://')
expect_exit 0 arca adapter ls t
assert_not_contains "$T/stdout" "t@1.0.2"
expect_exit 2 arca approve "$R"
expect_exit 0 arca approve --json --reason "reviewed by the model board" "$R"
assert_contains "$T/stdout" '"status":"succeeded"'
assert_contains "$T/stdout" '"adapter":"t@1.0.2"'
expect_exit 0 arca runs show "$R"
assert_contains "$T/stdout" "approved     by .*: reviewed by the model board"
expect_exit 1 arca approve --reason again "$R"
assert_contains "$T/stderr" "not awaiting approval"

test_case "refused up front: governance overrides, \${code} without code, a published explicit version"
before=$(runs_count)
expect_exit 6 arca run -p governance.approval=none "$T/appr.yaml"
assert_contains "$T/stderr" "governance parameters are set by the template"
sed 's|"sh", "-c", "echo dying|"${code}/x", "-c", "echo dying|' "$T/exit.yaml" >"$T/code.yaml"
expect_exit 1 arca run "$T/code.yaml"
assert_contains "$T/stderr" "runs \\\$\{code\}, and no code was given"
sed 's/version: patch}/version: 1.0.0}/' "$T/ok.yaml" >"$T/fixed.yaml"
expect_exit 1 arca run "$T/fixed.yaml"
assert_contains "$T/stderr" "adapter t@1.0.0 is already published"
assert_eq "$(runs_count)" "$before"

test_case "a relative work root"
(cd "$T" && "$ARCA" run --work relwork "$T/ok.yaml" >"$T/stdout" 2>"$T/stderr") || fail "relative --work failed"
assert_contains "$T/stdout" "succeeded"

test_case "drift that nobody acknowledged refuses the run (exit 6)"
arca dataset add churn "$EX/v2" >/dev/null
before=$(runs_count)
expect_exit 6 arca run "$T/ok.yaml"
assert_contains "$T/stderr" "acknowledged"
assert_eq "$(runs_count)" "$before"
arca dataset ack churn@2 --reason "reviewed" >/dev/null
expect_exit 0 arca run --json "$T/ok.yaml"
R=$(json_field run | sed 's/sha256://')
expect_exit 0 arca runs show --json "$R"
assert_contains "$T/stdout" '"version_ref":"churn@2"'
assert_contains "$T/stdout" '"acks":\["sha256:'

test_case "governance.require_hook: inputs must have passed an ingest hook"
mkdir -p "$T/bin" "$T/drop/batch1"
cp "$EX/v1/customers.csv" "$T/drop/batch1/"
touch "$T/drop/batch1/.done"
printf '#!/bin/sh\nexit 0\n' >"$T/bin/mask-pii"
chmod +x "$T/bin/mask-pii"
cat >"$T/ingest.yaml" <<EOF
ingest: 1
sources:
  - name: drop
    dataset: hooked
    folder: $T/drop
    marker: .done
    hooks:
      - run: [$T/bin/mask-pii, "\${staged}"]
EOF
arca dataset create hooked --schema "$EX/schema.yaml" >/dev/null
arca dataset create plain --schema "$EX/schema.yaml" >/dev/null
arca dataset add plain "$EX/v1" >/dev/null
expect_exit 0 arca ingest --once "$T/ingest.yaml"
cat >"$T/hook.yaml" <<'EOF'
arca_template: 1
name: hooked
version: 1.0.0
parameters:
  data:
    dataset: {type: dataset, default: hooked@latest}
  governance:
    require_hook: {type: string, default: mask-pii}
inputs:
  d: {param: data.dataset}
stages:
  - name: count
    run: ["wc", "-l", "${inputs.d}/customers.csv"]
EOF
expect_exit 0 arca run "$T/hook.yaml"
assert_contains "$T/stdout" "succeeded"
expect_exit 6 arca run -p data.dataset=plain "$T/hook.yaml"
assert_contains "$T/stderr" "plain@1 did not pass the ingest hook 'mask-pii'"

test_case "the catalog is rebuilt with the runs and adapters"
arca runs ls --json >"$T/before.json"
arca adapter ls --json >"$T/abefore.json"
expect_exit 0 arca catalog rebuild
arca runs ls --json >"$T/after.json"
arca adapter ls --json >"$T/aafter.json"
cmp "$T/before.json" "$T/after.json" || fail "runs differ after a rebuild"
cmp "$T/abefore.json" "$T/aafter.json" || fail "adapters differ after a rebuild"
expect_exit 0 arca verify
done_testing
