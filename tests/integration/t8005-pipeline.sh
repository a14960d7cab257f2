#!/usr/bin/env bash
# The example pipeline end to end with the real trainer: a run publishes
# an adapter whose lineage names its dataset version, code and template;
# a re-run from the archive alone is identical; a re-run against a newer
# dataset version is a new run whose parent is the old one, and differs.
. "$(dirname "$0")/lib.sh"
require python3 tar zstd
EX="$ARCA_SOURCE_DIR/examples/churn"
BIN="$(dirname "$ARCA")/examples/bin"
[ -x "$BIN/churn-train" ] || fail "the example trainer is not built in $BIN"
export ARCA_WORK_DIR="$T/work"
arca init >/dev/null
arca dataset create churn --schema "$EX/schema.yaml" >/dev/null
arca dataset add churn "$EX/v1" >/dev/null
field() { python3 -c 'import json,sys; d=json.load(sys.stdin); print(eval(sys.argv[1]))' "$1"; }

test_case "the example template runs and publishes an adapter"
expect_exit 0 arca template validate "$EX/template.yaml"
expect_exit 0 arca run --json --code "$BIN" "$EX/template.yaml"
assert_contains "$T/stdout" '"status":"succeeded"'
assert_contains "$T/stdout" '"adapter":"churn@1.0.0"'
R=$(json_field run | sed 's/sha256://')

test_case "the run records what it needs to be re-run"
arca runs show --json "$R" >"$T/run.json"
assert_eq "$(field 'd["inputs"][0]["version_ref"]' <"$T/run.json")" "churn@1"
assert_eq "$(field 'd["params"]["training"]["epochs"]' <"$T/run.json")" "200"
assert_eq "$(field 'd["template"]["name"]' <"$T/run.json")" "churn-logreg"
[ -n "$(field 'd["code"]' <"$T/run.json")" ] || fail "no code snapshot"
[ -n "$(field 'd["environment"]["tools"]["cc"]' <"$T/run.json")" ] || fail "cc's version was not recorded"
[ -n "$(field 'd["environment"]["kernel"]' <"$T/run.json")" ] || fail "no kernel"
assert_eq "$(field '[s["status"] for s in d["stages"]]' <"$T/run.json")" "['succeeded', 'succeeded', 'succeeded']"
assert_eq "$(field 'd["stages"][0]["argv"][0].endswith("/code/churn-prepare")' <"$T/run.json")" "True"
# the template and the code are archived: what the run used, byte for byte
tobj=$(field 'd["template"]["object"]' <"$T/run.json")
arca cat "$tobj" >"$T/template.yaml"
cmp "$T/template.yaml" "$EX/template.yaml" || fail "archived template differs"
expect_exit 0 arca restore "$(field 'd["code"]' <"$T/run.json")" "$T/code"
cmp "$T/code/churn-train" "$BIN/churn-train" || fail "archived code differs"

test_case "the adapter's lineage: run, dataset version, metrics, files"
expect_exit 0 arca adapter show --json churn@1.0.0
assert_contains "$T/stdout" "\"run\":\"sha256:$R\""
assert_contains "$T/stdout" '"version":"churn@1"'
expect_exit 0 arca adapter get churn@1.0.0 -o "$T/churn.tar.zst"
mkdir "$T/pkg" && tar --zstd -xf "$T/churn.tar.zst" -C "$T/pkg"
[ -f "$T/pkg/ADAPTER.json" ] && [ -f "$T/pkg/files/weights.json" ] || fail "package layout: $(ls -R "$T/pkg")"
(cd "$T/pkg/files" && python3 -c '
import hashlib, json, sys
m = json.load(open("../ADAPTER.json"))
for f in m["files"]:
    h = hashlib.sha256(open(f["path"], "rb").read()).hexdigest()
    assert h == f["sha256"], f["path"]
print(len(m["files"]))') >"$T/nfiles" || fail "package files do not match ADAPTER.json"

test_case "a re-run from the archive is identical"
expect_exit 0 arca rerun --json "${R:0:12}"
assert_contains "$T/stdout" '"identical":true'
R2=$(json_field run | sed 's/sha256://')
arca runs show --json "$R2" >"$T/rerun.json"
assert_eq "$(field 'd["parent"]' <"$T/rerun.json")" "sha256:$R"
expect_exit 0 arca adapter ls churn
assert_not_contains "$T/stdout" "churn@1.0.1"
expect_exit 0 arca runs ls
assert_contains "$T/stdout" "${R2:0:12} .*re-run of ${R:0:12}"

test_case "rerun --into keeps the re-run's work dir"
expect_exit 0 arca rerun --into "$T/into" "${R:0:12}"
assert_contains "$T/stdout" "work dir: $T/into/run-"
ls "$T"/into/run-*/code/churn-train "$T"/into/run-*/inputs/churn/customers.csv "$T"/into/run-*/adapter/weights.json >/dev/null || fail "work dir incomplete"

test_case "a re-run against a newer dataset version differs, and says how"
arca dataset add churn "$EX/v2" >/dev/null 2>&1
arca dataset ack churn@2 --reason "reviewed" >/dev/null
expect_exit 3 arca rerun --with data.dataset=churn@2 "$R"
assert_contains "$T/stdout" "differs: features"
assert_contains "$T/stdout" "differs: metric:evaluate.accuracy"
expect_exit 0 arca runs ls --json
assert_contains "$T/stdout" '"version":"churn@2"'

test_case "a changed parameter in a re-run; unknown parameters refused"
expect_exit 1 arca rerun --with training.epoch=3 "$R"
assert_contains "$T/stderr" "training.epoch"
expect_exit 3 arca rerun --json --with training.epochs=50 "$R"
assert_contains "$T/stdout" '"identical":false'
assert_not_contains "$T/stdout" '"name":"features"'

test_case "verify and a rebuilt catalog keep the lineage"
expect_exit 0 arca verify
expect_exit 0 arca catalog rebuild
expect_exit 0 arca adapter ls --json
assert_contains "$T/stdout" '"template":"churn-logreg"'
done_testing
