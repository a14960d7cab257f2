#!/usr/bin/env bash
# Retraining templates from the command line: 'template validate' reports
# every problem as FILE:LINE:COL (or as JSON) with exit 1, 'template show'
# resolves -p overrides and substitutes argv; neither needs a repository.
. "$(dirname "$0")/lib.sh"
require python3
D="$ARCA_SOURCE_DIR/tests/unit/data/template"
cd "$T"

# jsonq FILE EXPR: evaluates a python expression over the JSON in FILE (j).
jsonq() {
	python3 -c 'import json,sys; j=json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' "$1" "$2"
}

test_case "validate: a valid template, no repository needed"
expect_exit 0 arca template validate "$D/churn.yaml"
assert_eq "$(cat "$T/stdout")" "$D/churn.yaml: valid template churn-logreg 1.0.0 (13 parameters, 3 stages)"
[ ! -e "$ARCA_REPO" ] || fail "validate created a repository"
expect_exit 0 arca -q template validate "$D/churn.yaml"
[ ! -s "$T/stdout" ] || fail "--quiet still printed: $(cat "$T/stdout")"

test_case "validate: every problem of a file, with line:col, exit 1"
cat >"$T/typos.yaml" <<'EOF'
arca_template: 1
name: typos
version: 1.0
parameters:
  training:
    epochs: {type: integer, default: 0, min: 1}
stage: []
stages:
  - name: train
    run: ["${code}/train", "--epochs", "${params.training.epoch}"]
    depends_on: [evaluate]
  - name: evaluate
    run: [eval]
    depends_on: [train]
gates:
  - evaluate.accuracy >= 0.8
EOF
expect_exit 1 arca template validate typos.yaml
assert_contains "$T/stderr" "^typos.yaml:3:10: invalid version '1.0' \(expected a semantic version"
assert_contains "$T/stderr" "^typos.yaml:6:38: parameter 'training.epochs': default '0' is below the minimum \(expected at least 1\)$"
assert_contains "$T/stderr" "^typos.yaml:7:1: unknown key 'stage' in the template \(did you mean 'stages'\?\)"
assert_contains "$T/stderr" "^typos.yaml:10:40: stage 'train', run\[2\]: unknown parameter 'training.epoch' in \\$\{params.training.epoch\} \(did you mean 'training.epochs'\?\)$"
assert_contains "$T/stderr" "^typos.yaml:11:17: dependency cycle: train -> evaluate -> train"
assert_contains "$T/stderr" "^typos.yaml:16:5: gate 'evaluate.accuracy >= 0.8': stage 'evaluate' declares no metrics file"
assert_contains "$T/stderr" "^arca: error: typos.yaml: 6 problems in the template$"
assert_eq "$(wc -l <"$T/stderr")" 7 "one line per problem plus the summary"
[ ! -s "$T/stdout" ] || fail "an invalid template printed to stdout"

test_case "validate: a YAML error has its position"
printf 'arca_template: 1\nname: x\nversion: 1.0.0\nname: y\n' >"$T/syntax.yaml"
expect_exit 1 arca template validate syntax.yaml
assert_contains "$T/stderr" "^syntax.yaml:4:1: duplicate key$"
printf 'arca_template: 1\nname: x\nstages: [a, b\n' >"$T/syntax.yaml"
expect_exit 1 arca template validate syntax.yaml
assert_contains "$T/stderr" "^syntax.yaml:4:1: flow sequence without a closing bracket$"

test_case "validate: each fixture's expected diagnostics"
n=0
for f in "$D"/bad-*.yaml; do
	expect_exit 1 arca template validate "$f"
	while IFS= read -r line; do
		pos=${line#\# expect }
		pos=${pos%% *}
		text=${line#\# expect "$pos" }
		grep -qF -- "$f:$pos: $text" "$T/stderr" ||
			fail "$f: no '$pos: $text' in: $(cat "$T/stderr")"
		n=$((n + 1))
	done < <(grep '^# expect ' "$f")
done
[ "$n" -ge 50 ] || fail "only $n expectations checked"

test_case "validate --json: the diagnostics as a list"
expect_exit 1 arca --json template validate typos.yaml
[ ! -s "$T/stderr" ] || fail "--json wrote to stderr: $(cat "$T/stderr")"
assert_eq "$(jsonq "$T/stdout" 'j["valid"]')" False
assert_eq "$(jsonq "$T/stdout" 'len(j["diagnostics"])')" 6
assert_eq "$(jsonq "$T/stdout" '[(d["line"], d["column"]) for d in j["diagnostics"] if "cycle" in d["message"]]')" "[(11, 17)]"
assert_eq "$(jsonq "$T/stdout" 'j["diagnostics"][0]["file"]')" typos.yaml
expect_exit 0 arca template validate --json "$D/churn.yaml"
assert_eq "$(jsonq "$T/stdout" '(j["valid"], j["name"], j["version"], j["parameters"], j["stages"], j["diagnostics"])')" \
	"(True, 'churn-logreg', '1.0.0', 13, 3, [])"

test_case "validate: unreadable file and usage errors"
expect_exit 1 arca template validate "$T/missing.yaml"
assert_contains "$T/stderr" "^arca: error: open '.*missing.yaml': No such file or directory$"
expect_exit 1 arca template validate "$T"
assert_contains "$T/stderr" "is not a regular file"
expect_exit 2 arca template validate
expect_exit 2 arca template validate a.yaml b.yaml
expect_exit 2 arca template validate --bogus a.yaml

test_case "show: parameters resolved, given and default"
expect_exit 0 arca template show "$D/churn.yaml" -p governance.owner=alice \
	-p training.epochs=20 -p training.epochs=50 -p training.timeout=1h30m
assert_contains "$T/stdout" "^churn-logreg 1.0.0: Logistic-regression churn adapter$"
assert_contains "$T/stdout" "^training.epochs = 50  \(integer, given\)$"
assert_contains "$T/stdout" "^training.timeout = 5400  \(duration in seconds, given\)$"
assert_contains "$T/stdout" "^training.cache = 67108864  \(size in bytes, default\)$"
assert_contains "$T/stdout" "^training.learning_rate = 0.1  \(decimal, default\)$"
assert_contains "$T/stdout" "^governance.owner = alice  \(string, given\)$"
assert_contains "$T/stdout" '^governance.require_hook = ""  \(string, default\)$'
assert_contains "$T/stdout" "^  2. train: '\\$\{code\}/churn-train' --features '\\$\{work\}/features' --out '\\$\{work\}/adapter' --epochs 50$"
[ ! -e "$ARCA_REPO" ] || fail "show created a repository"

test_case "show --json: the resolved object and argv, one element per argument"
cat >"$T/args.yaml" <<'EOF'
arca_template: 1
name: args
version: 0.1.0
parameters:
  training:
    msg: {type: string, default: hello}
    rate: {type: decimal, default: 0.10, min: 0, max: 1}
    on: {type: boolean, default: false}
stages:
  - name: echo
    run:
      - printf
      - "%s|"
      - ${params.training.msg}
      - x=${params.training.rate};${params.training.on}
      - $$HOME
EOF
expect_exit 0 arca --json template show args.yaml -p 'training.msg=two words; rm -rf / $(id)' -p training.on=true
assert_eq "$(jsonq "$T/stdout" 'j["stages"][0]["argv"]')" \
	"['printf', '%s|', 'two words; rm -rf / \$(id)', 'x=0.10;true', '\$HOME']"
assert_eq "$(jsonq "$T/stdout" '(j["name"], j["version"], j["given"])')" \
	"('args', '0.1.0', ['training.msg', 'training.on'])"
assert_eq "$(jsonq "$T/stdout" 'sorted(j["parameters"])')" "['data', 'governance', 'model', 'training']"
assert_eq "$(jsonq "$T/stdout" 'j["parameters"]["training"]')" \
	"{'msg': 'two words; rm -rf / \$(id)', 'on': True, 'rate': '0.10'}"
# what a run would execute: the same argv, run without a shell
python3 -c 'import json,subprocess,sys; a=json.load(open(sys.argv[1]))["stages"][0]["argv"]; sys.stdout.write(subprocess.run(a, capture_output=True, text=True, env={"PATH": "/usr/bin:/bin"}).stdout)' "$T/stdout" >"$T/ran"
assert_eq "$(cat "$T/ran")" 'two words; rm -rf / $(id)|x=0.10;true|$HOME|'

test_case "show: bad overrides fail with the parameter, the value and what was expected"
expect_exit 1 arca template show "$D/churn.yaml" -p governance.owner=a -p training.epoch=3
assert_contains "$T/stderr" "^arca: error: unknown parameter 'training.epoch' \(did you mean 'training.epochs'\?\)"
expect_exit 1 arca template show "$D/churn.yaml" -p governance.owner=a -p training.epochs=10001
assert_contains "$T/stderr" "^arca: error: invalid value '10001' for parameter 'training.epochs' \(integer\): out of range \(expected 1 to 10000\)$"
expect_exit 1 arca template show "$D/churn.yaml" -p governance.owner=a -p model.l2=1.0000000000000000001
assert_contains "$T/stderr" "'model.l2' \(decimal\): out of range \(expected 0 to 1\)"
expect_exit 1 arca template show "$D/churn.yaml" -p governance.owner=a -p training.optimizer=adam
assert_contains "$T/stderr" "not allowed \(expected one of: sgd, momentum\)"
expect_exit 1 arca template show "$D/churn.yaml" -p governance.owner=a -p training.shuffle=maybe
assert_contains "$T/stderr" "not a boolean \(expected true or false\)"
expect_exit 1 arca template show "$D/churn.yaml"
assert_contains "$T/stderr" "^arca: error: parameter 'governance.owner' is required and was not given \(expected -p governance.owner=VALUE"
[ ! -s "$T/stdout" ] || fail "a failed show printed: $(cat "$T/stdout")"

test_case "show: usage errors, and an invalid template"
expect_exit 2 arca template show "$D/churn.yaml" -p foo
assert_contains "$T/stderr" "^arca: error: -p needs NS.KEY=VALUE, not 'foo'$"
expect_exit 2 arca template show "$D/churn.yaml" -p
expect_exit 2 arca template show
expect_exit 1 arca template show typos.yaml -p governance.owner=a
assert_contains "$T/stderr" "^typos.yaml:11:17: dependency cycle"
assert_contains "$T/stderr" "^arca: error: typos.yaml: 6 problems in the template$"

test_case "--help and the command group"
expect_exit 0 arca template validate --help
assert_contains "$T/stdout" "^usage: arca template validate FILE$"
expect_exit 0 arca template show --help
assert_contains "$T/stdout" "^usage: arca template show \[-p NS.KEY=VALUE\]\.\.\. FILE$"
assert_contains "$T/stdout" "^  -p, --param NS.KEY=VALUE"
expect_exit 0 arca help template
assert_contains "$T/stdout" "^  template validate  check a retraining template"
assert_contains "$T/stdout" "^  template show      show a template"
expect_exit 2 arca template

done_testing
