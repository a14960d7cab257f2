#!/usr/bin/env bash
# The example trainer (examples/trainer) that examples/churn/template.yaml
# runs: churn-prepare, churn-train and churn-eval on examples/churn/v1 give
# the same bytes twice, the model clearly beats the majority baseline there
# and on other data from churn-gen (which made v1 and v2), and bad input
# fails with the file and line. The programs are built with arca, into
# examples/bin beside the binary.
. "$(dirname "$0")/lib.sh"
BIN=$(dirname "$ARCA")/examples/bin
EX="$ARCA_SOURCE_DIR/examples/churn"
for p in churn-gen churn-prepare churn-train churn-eval; do
	[ -x "$BIN/$p" ] || fail "missing $BIN/$p (built with arca by CMake)"
done

# pipeline CSV DIR [churn-train options...]: the template's three stages
pipeline() {
	local csv=$1 d=$2
	shift 2
	expect_exit 0 "$BIN/churn-prepare" --in "$csv" --out "$d/features" --holdout 0.2 --seed 7
	expect_exit 0 "$BIN/churn-train" --features "$d/features" --out "$d/adapter" \
		--epochs 200 --learning-rate 0.1 --l2 0.001 --seed 7 \
		--metrics "$d/train-metrics.json" "$@"
	cp "$T/stdout" "$d.train.out"
	expect_exit 0 "$BIN/churn-eval" --weights "$d/adapter" --features "$d/features" \
		--report "$d/eval/report.json" --metrics "$d/eval-metrics.json"
}
# metric KEY FILE: a number from one of the programs' JSON files
metric() {
	sed -n 's/.*"'"$1"'": \(-\{0,1\}[0-9][-0-9.eE+]*\).*/\1/p' "$2" | head -1
}
# holds A OP B: a numeric comparison of number texts (awk, as doubles)
holds() {
	awk "BEGIN { exit !(($1) $2 ($3)) }" || fail "expected $1 $2 $3"
}
digests() {
	(cd "$1" && find . -type f | sort | xargs sha256sum)
}

test_case "two runs on churn v1 give the same bytes"
pipeline "$EX/v1/customers.csv" "$T/a"
pipeline "$EX/v1/customers.csv" "$T/b"
for f in features/train.tsv features/holdout.tsv features/features.json \
	adapter/weights.json adapter/adapter.json eval/report.json \
	train-metrics.json eval-metrics.json; do
	[ -s "$T/a/$f" ] || fail "no $f"
done
digests "$T/a" >"$T/a.sums"
digests "$T/b" >"$T/b.sums"
diff -u "$T/a.sums" "$T/b.sums" >&2 || fail "two runs differ"
# nothing in the outputs depends on where they were written
grep -rq "$T" "$T/a" && fail "an output holds its path"
assert_eq "$(wc -l <"$T/a/features/train.tsv")" \
	"$(($(metric train "$T/a/features/features.json") + 1))" "train.tsv rows"
assert_eq "$(($(wc -l <"$T/a/features/train.tsv") + $(wc -l <"$T/a/features/holdout.tsv") - 2))" \
	500 "every customer on one side"
assert_contains "$T/a/adapter/weights.json" '"features": \["tenure_months", "monthly_charges", "plan=basic", "plan=plus", "plan=pro", "region=amer", "region=emea"\]'
assert_contains "$T/a/train-metrics.json" '^\{"loss": [0-9.]+, "logloss": [0-9.]+, "epochs": 200\}$'
assert_contains "$T/a/eval-metrics.json" '^\{"accuracy": [0-9.]+, "auc": [0-9.]+, "logloss": [0-9.]+, '

test_case "on churn v1 the model learns and clearly beats the baseline"
# v1's labels depend on tenure, price, plan and region (churn-gen), so at
# the template's defaults the model is well above the majority answer.
loss=$(sed -n 's/.*loss \([0-9.]*\) -> \([0-9.]*\)$/\1 \2/p' "$T/a.train.out")
holds "${loss#* }" "<" "${loss% *}"
m=$T/a/eval-metrics.json
acc=$(metric accuracy "$m")
holds "$acc" ">" "$(metric baseline_accuracy "$m") + 0.05"
holds "$(metric auc "$m")" ">" 0.75
holds "$(metric logloss "$m")" "<" "$(metric baseline_logloss "$m")"
holds "$acc" ">=" 0.70 # the template's gate
r=$T/a/eval/report.json
assert_eq "$(($(metric true_positive "$r") + $(metric false_positive "$r") + \
	$(metric false_negative "$r") + $(metric true_negative "$r")))" \
	"$(metric rows "$r")" "confusion matrix total"

test_case "on more data from churn-gen it clearly beats the baseline too"
expect_exit 0 "$BIN/churn-gen" --rows 3000 --seed 3 --out "$T/gen/customers.csv"
pipeline "$T/gen/customers.csv" "$T/g"
m=$T/g/eval-metrics.json
holds "$(metric accuracy "$m")" ">" "$(metric baseline_accuracy "$m") + 0.05"
holds "$(metric auc "$m")" ">" 0.75
holds "$(metric logloss "$m")" "<" "$(metric baseline_logloss "$m")"
# with a pairwise factorization term too, reproducibly
pipeline "$T/gen/customers.csv" "$T/r1" --rank 3
pipeline "$T/gen/customers.csv" "$T/r2" --rank 3
assert_contains "$T/r1/adapter/weights.json" '"model": "factorization-machine"'
assert_contains "$T/r1/adapter/weights.json" '"factors": \['
cmp "$T/r1/adapter/weights.json" "$T/r2/adapter/weights.json" || fail "rank 3 differs"
cmp -s "$T/r1/adapter/weights.json" "$T/g/adapter/weights.json" && fail "rank ignored"
holds "$(metric auc "$T/r1/eval-metrics.json")" ">" 0.75

test_case "churn-gen is deterministic and --drift shifts the data"
expect_exit 0 "$BIN/churn-gen" --rows 3000 --seed 3 --out "$T/gen2.csv"
cmp "$T/gen/customers.csv" "$T/gen2.csv" || fail "same seed, different data"
expect_exit 0 "$BIN/churn-gen" --rows 3000 --seed 4 --out "$T/gen3.csv"
cmp -s "$T/gen/customers.csv" "$T/gen3.csv" && fail "the seed is ignored"
assert_eq "$(wc -l <"$T/gen3.csv")" 3001 "rows"
assert_eq "$(head -1 "$T/gen3.csv")" "$(head -1 "$EX/v1/customers.csv")" "header"
expect_exit 0 "$BIN/churn-gen" --rows 600 --seed 3 --drift --out "$T/drift.csv"
assert_contains "$T/drift.csv" ',apac,'
assert_contains "$T/drift.csv" ',(true|false),$'
assert_not_contains "$T/gen/customers.csv" ',apac,'
expect_exit 0 "$BIN/churn-gen" --rows 2 --seed 3 --out -
assert_eq "$(wc -l <"$T/stdout")" 3 "rows on stdout"
# the example data is churn-gen's, made as examples/churn/README.md says
expect_exit 0 "$BIN/churn-gen" --rows 500 --seed 7 --out "$T/v1.csv"
cmp "$T/v1.csv" "$EX/v1/customers.csv" || fail "churn-gen does not remake examples/churn/v1"
expect_exit 0 "$BIN/churn-gen" --rows 540 --seed 10 --drift --out "$T/v2.csv"
cmp "$T/v2.csv" "$EX/v2/customers.csv" || fail "churn-gen does not remake examples/churn/v2"

test_case "quoted CSV fields read like plain ones"
mkdir -p "$T/quoted"
sed '2,$s/,\(emea\|amer\),/,"\1",/' "$EX/v1/customers.csv" >"$T/quoted/customers.csv"
assert_contains "$T/quoted/customers.csv" ',"emea",'
expect_exit 0 "$BIN/churn-prepare" --in "$T/quoted/customers.csv" --out "$T/q" --seed 7
cmp "$T/q/train.tsv" "$T/a/features/train.tsv" || fail "quoting changed the features"
cmp "$T/q/features.json" "$T/a/features/features.json" || fail "quoting changed features.json"

test_case "a malformed CSV fails with the file and line; nothing written"
bad() { # NAME EXPECTED-MESSAGE-REGEX: CSV text on stdin
	cat >"$T/$1"
	expect_exit 1 "$BIN/churn-prepare" --in "$T/$1" --out "$T/out-$1" --seed 7
	assert_contains "$T/stderr" "^churn-prepare: $T/$1$2"
	[ ! -e "$T/out-$1" ] || fail "output written for $1"
}
head -3 "$EX/v1/customers.csv" >"$T/good3"
{ cat "$T/good3"; echo "c-9,12,basic,emea,20.00,false"; } |
	bad fields.csv ':4: expected 7 fields like the header, found 6$'
{ head -1 "$T/good3"; echo "c-9,twelve,basic,emea,20.00,false,"; } |
	bad tenure.csv ":2: tenure_months: 'twelve' is not an integer$"
{ cat "$T/good3"; echo "c-9,12,basic,emea,20.00,maybe,"; } |
	bad label.csv ":4: churned: 'maybe' is not true or false$"
{ cat "$T/good3"; echo "c-9,12,basic,emea,-3,true,"; } |
	bad range.csv ':4: monthly_charges: -3 is out of range'
{ cat "$T/good3"; echo 'c-9,12,basic,"emea,20.00,true,'; } |
	bad quote.csv ':4: field 4: quoted field not closed on this line'
{ cat "$T/good3"; echo "c-9,12,,emea,20.00,true,"; } |
	bad empty.csv ':4: plan: empty$'
sed 's/^customer_id,tenure_months,plan,/customer_id,tenure_months,tier,/' "$T/good3" |
	bad header.csv ":1: missing column 'plan'"
printf '' | bad nothing.csv ': empty file'
head -1 "$T/good3" | bad norows.csv ': no data rows after the header$'
expect_exit 1 "$BIN/churn-prepare" --in "$T/missing.csv" --out "$T/out"
assert_contains "$T/stderr" "^churn-prepare: cannot open '$T/missing.csv': No such file or directory$"

test_case "bad intermediate files fail with the file"
mkdir -p "$T/broken"
cp -r "$T/a/features" "$T/broken/features"
printf 'churned\ttenure_months\n1\tx\n' >"$T/broken/features/train.tsv"
expect_exit 1 "$BIN/churn-train" --features "$T/broken/features" --out "$T/broken/adapter"
assert_contains "$T/stderr" "train.tsv:2: field 2 \('tenure_months'\): 'x' is not a finite number$"
cp -r "$T/a/adapter" "$T/broken/adapter"
printf '{"weights": [1,\n 2' >"$T/broken/adapter/weights.json"
expect_exit 1 "$BIN/churn-eval" --weights "$T/broken/adapter" --features "$T/a/features" \
	--report "$T/broken/report.json"
assert_contains "$T/stderr" "weights.json:2:3: bad JSON: expected ',' or '\]'$"
expect_exit 0 "$BIN/churn-prepare" --in "$T/drift.csv" --out "$T/d" --seed 7
expect_exit 1 "$BIN/churn-eval" --weights "$T/a/adapter" --features "$T/d" \
	--report "$T/broken/report.json"
assert_contains "$T/stderr" "holdout.tsv: its features differ from those in .*weights.json"

test_case "usage errors exit 2, --help exits 0"
for p in churn-gen churn-prepare churn-train churn-eval; do
	expect_exit 0 "$BIN/$p" --help
	assert_contains "$T/stdout" "^Usage: $p "
	expect_exit 2 "$BIN/$p"
	assert_contains "$T/stderr" "^$p: missing required option"
	expect_exit 2 "$BIN/$p" --no-such-option
	assert_contains "$T/stderr" "^$p: unknown option '--no-such-option'"
done
expect_exit 2 "$BIN/churn-train" --features "$T/a/features" --out "$T/x" --epochs many
assert_contains "$T/stderr" "^churn-train: --epochs: 'many' is not an integer from 1 to 1000000$"
expect_exit 2 "$BIN/churn-prepare" --in x --out y --holdout 1
assert_contains "$T/stderr" "must be over 0 and under 1"
expect_exit 2 "$BIN/churn-gen" --rows 10 --out "$T/x.csv" stray
assert_contains "$T/stderr" "unexpected argument 'stray'"

done_testing
