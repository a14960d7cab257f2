#!/usr/bin/env bash
# arca ingest from drop folders: new complete items become versions once,
# settle time and marker files, hooks (masking, rejecting), bad data,
# --source, --json, busy sources, bad configurations.
. "$(dirname "$0")/lib.sh"
require flock python3
D="$ARCA_SOURCE_DIR/tests/integration/data/ingest"
arca init >/dev/null
arca dataset create churn --schema "$D/schema.yaml" >/dev/null
mkdir -p "$T/drop" "$T/slow" "$T/marked" "$T/hooked"

# versions: the number of versions of dataset $1
versions() {
	arca dataset versions "$1" --json | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))'
}
# record N: the version record of churn@N as JSON (arca cat)
record() {
	local id
	id=$(arca dataset versions churn --json | python3 -c "import json,sys; print([v['record'] for v in json.load(sys.stdin) if v['version'] == $1][0])")
	arca cat "$id"
}
csv() { printf 'id,name\n'; for i in $(seq "$2" "$3"); do printf '%d,%s-%d\n' "$i" "$1" "$i"; done; }

cat >"$T/ingest.yaml" <<EOF
ingest: 1
sources:
  - name: drop
    dataset: churn
    folder: drop            # relative to this file
    settle: 0s
  - name: slow
    dataset: churn
    folder: $T/slow
    settle: 1h
  - name: marked
    dataset: churn
    folder: $T/marked
    marker: .ready
EOF

test_case "a new file in a drop folder becomes a version"
csv a 1 5 >"$T/drop/2024-01-01.csv"
expect_exit 0 arca ingest --source drop "$T/ingest.yaml"
assert_eq "$(cat "$T/stdout")" "drop: 2024-01-01.csv: added churn@1 (5 rows)
ingest: 1 added, 0 unchanged, 0 skipped, 0 failed"
assert_eq "$(versions churn)" 1
record 1 >"$T/rec.json"
assert_contains "$T/rec.json" '"ingest":\{"fingerprint":\{"mtime_ns":[0-9]+,"size":[0-9]+,"type":"file"\},"item":"2024-01-01.csv","kind":"folder","source":"drop"\}'
assert_contains "$T/rec.json" '"message":"ingest drop: 2024-01-01.csv"'

test_case "a second pass registers nothing"
expect_exit 0 arca ingest -v --source drop "$T/ingest.yaml"
assert_eq "$(cat "$T/stdout")" "drop: 2024-01-01.csv: unchanged: already ingested
ingest: 0 added, 1 unchanged, 0 skipped, 0 failed"
expect_exit 0 arca ingest --once --source drop "$T/ingest.yaml"
assert_eq "$(versions churn)" 1

test_case "directories are items; temporary and hidden names are not"
mkdir -p "$T/drop/batch-2/part"
csv b 1 3 >"$T/drop/batch-2/one.csv"
csv b 4 6 >"$T/drop/batch-2/part/two.csv"
csv x 1 2 >"$T/drop/upload.csv.part"
csv x 1 2 >"$T/drop/upload2.csv.tmp"
csv x 1 2 >"$T/drop/.hidden.csv"
expect_exit 0 arca ingest --source drop "$T/ingest.yaml"
assert_eq "$(cat "$T/stdout")" "drop: batch-2: added churn@2 (6 rows)
ingest: 1 added, 1 unchanged, 0 skipped, 0 failed"
expect_exit 0 arca ingest --source drop "$T/ingest.yaml"
assert_contains "$T/stdout" "^ingest: 0 added, 2 unchanged"
record 2 >"$T/rec.json"
assert_contains "$T/rec.json" '"fingerprint":\{"bytes":[0-9]+,"files":2,"tree":"[0-9a-f]{64}","type":"dir"\}'

test_case "a changed item is a new version; an unchanged rewrite is not"
csv a 1 7 >"$T/drop/2024-01-01.csv"
expect_exit 0 arca ingest --source drop "$T/ingest.yaml"
assert_contains "$T/stdout" "^drop: 2024-01-01.csv: added churn@3 \(7 rows\)$"
cp -p "$T/drop/2024-01-01.csv" "$T/copy.csv"
cp -p "$T/copy.csv" "$T/drop/2024-01-01.csv"   # same bytes, size, mtime
expect_exit 0 arca ingest --source drop "$T/ingest.yaml"
assert_contains "$T/stdout" "^ingest: 0 added, 2 unchanged"
touch -d '2020-01-01' "$T/drop/batch-2/part"   # mtime of a dir inside
expect_exit 0 arca ingest --source drop "$T/ingest.yaml"
assert_contains "$T/stdout" "^drop: batch-2: added churn@4 \(6 rows\)$"
assert_eq "$(versions churn)" 4

test_case "items that have not settled yet are skipped"
csv s 1 2 >"$T/slow/new.csv"
expect_exit 0 arca ingest --source slow "$T/ingest.yaml"
assert_contains "$T/stdout" "^slow: new.csv: skipped: still changing \(changed [0-9]+s ago, settle 1h\)$"
assert_eq "$(versions churn)" 4
# an old mtime set back (cp -p, touch -d) is still a recent change
touch -d '2001-01-01' "$T/slow/new.csv"
expect_exit 0 arca ingest --source slow "$T/ingest.yaml"
assert_contains "$T/stdout" "skipped: still changing"
assert_eq "$(versions churn)" 4

test_case "with a marker, an item waits for ITEM.ready or DIR/.ready"
csv m 1 2 >"$T/marked/m.csv"
mkdir "$T/marked/mdir"
csv n 1 3 >"$T/marked/mdir/x.csv"
expect_exit 0 arca ingest --source marked "$T/ingest.yaml"
assert_eq "$(cat "$T/stdout")" "marked: m.csv: skipped: waiting for its marker .ready
marked: mdir: skipped: waiting for its marker file inside it, .ready
ingest: 0 added, 0 unchanged, 2 skipped, 0 failed"
: >"$T/marked/m.csv.ready"
: >"$T/marked/mdir/.ready"
expect_exit 0 arca ingest --source marked "$T/ingest.yaml"
assert_eq "$(cat "$T/stdout")" "marked: m.csv: added churn@5 (2 rows)
marked: mdir: added churn@6 (3 rows)
ingest: 2 added, 0 unchanged, 0 skipped, 0 failed"
expect_exit 0 arca ingest --source marked "$T/ingest.yaml"
assert_eq "$(versions churn)" 6

test_case "--json: one line per outcome"
csv j 1 1 >"$T/drop/j.csv"
expect_exit 0 arca ingest --json --source drop,marked "$T/ingest.yaml"
assert_eq "$(wc -l <"$T/stdout")" 5
assert_contains "$T/stdout" '^\{"dataset":"churn","item":"j.csv","kind":"folder","message":null,"rows":1,"snapshot":"sha256:[0-9a-f]{64}","source":"drop","status":"added","version":7\}$'
assert_contains "$T/stdout" '^\{"dataset":"churn","item":"2024-01-01.csv","kind":"folder","message":"already ingested","source":"drop","status":"unchanged","version":null\}$'
assert_contains "$T/stdout" '"item":"mdir",.*"status":"unchanged"'

cat >"$T/hooks.yaml" <<EOF
ingest: 1
sources:
  - name: hooked
    dataset: churn
    folder: $T/hooked
    settle: 0s
    hooks:
      - run: [sh, "$D/reject.sh", "\${staged}"]
        timeout: 30s
      - run: ["$D/mask.sh", "\${staged}"]
    message: "hooked \${item} for \${dataset}"
EOF

test_case "hooks run on a staged copy before registration, recorded"
csv person 1 3 >"$T/hooked/people.csv"
expect_exit 0 arca ingest "$T/hooks.yaml"
assert_contains "$T/stdout" "^hooked: people.csv: added churn@8 \(3 rows\)$"
# the source is untouched, the version holds the masked copy
assert_contains "$T/hooked/people.csv" "^1,person-1$"
snap=$(arca dataset versions churn --json | python3 -c 'import json,sys; print(json.load(sys.stdin)[-1]["snapshot"])')
expect_exit 0 arca restore "$snap" "$T/out8"
assert_eq "$(cat "$T/out8/people.csv")" "id,name
1,masked
2,masked
3,masked"
record 8 >"$T/rec.json"
python3 - "$T/rec.json" "$D" <<'PY' || fail "hooks not recorded as expected: $(cat "$T/rec.json")"
import json, sys
rec = json.load(open(sys.argv[1]))
d = sys.argv[2]
ing = rec["ingest"]
assert rec["message"] == "hooked people.csv for churn", rec["message"]
h = ing["hooks"]
assert len(h) == 2, h
assert h[0]["argv"][:2] == ["sh", d + "/reject.sh"], h[0]["argv"]
assert h[0]["argv"][2].endswith("/people.csv") and "ingest-staging" in h[0]["argv"][2]
assert h[0]["exit"] == 0 and h[0]["stdout"] == "ok people.csv\n" and h[0]["stderr"] == ""
assert h[1]["argv"][0] == d + "/mask.sh" and h[1]["stdout"] == "masked people.csv\n"
assert isinstance(h[1]["duration_ms"], int)
PY
assert_eq "$(ls "$ARCA_CACHE_DIR/ingest-staging" | wc -l)" 0 "staging dirs left"

test_case "a failing hook registers nothing, the others go on"
csv ok 1 2 >"$T/hooked/fine.csv"
{ printf 'id,name\n'; printf '1,bob@example.com\n'; } >"$T/hooked/leaky.csv"
expect_exit 1 arca ingest "$T/hooks.yaml"
assert_eq "$(cat "$T/stderr")" "arca: error: source hooked: leaky.csv: hook 1 (sh) exited with status 3: rejected: e-mail address found; nothing registered"
assert_contains "$T/stdout" "^hooked: fine.csv: added churn@9 \(2 rows\)$"
assert_contains "$T/stdout" "^ingest: 1 added, 1 unchanged, 0 skipped, 1 failed$"
assert_eq "$(versions churn)" 9
assert_eq "$(ls "$ARCA_CACHE_DIR/ingest-staging" | wc -l)" 0 "staging dirs left"
# still refused on the next pass: nothing was recorded as done
expect_exit 1 arca ingest "$T/hooks.yaml"
assert_contains "$T/stderr" "leaky.csv: hook 1 \(sh\) exited with status 3"

test_case "data the schema refuses registers nothing"
printf 'id,name\n1,a\nnot-a-number,b\n' >"$T/drop/bad.csv"
expect_exit 1 arca ingest --source drop "$T/ingest.yaml"
assert_contains "$T/stderr" "^arca: error: source drop: bad.csv: 1 of 2 rows of '$T/drop/bad.csv' violate its schema"
assert_contains "$T/stderr" "^  bad.csv:3: field \"id\": value \"not-a-number\" is not an integer$"
assert_eq "$(versions churn)" 9
rm "$T/drop/bad.csv"

test_case "a busy source is skipped with exit 4"
mkdir -p "$ARCA_CACHE_DIR/ingest-locks"
csv busy 1 1 >"$T/drop/busy.csv"
flock -o "$ARCA_CACHE_DIR/ingest-locks/drop.lock" sleep 30 &
holder=$!
for _ in $(seq 1 50); do
	flock -n "$ARCA_CACHE_DIR/ingest-locks/drop.lock" true || break
	sleep 0.1
done
expect_exit 4 arca ingest --source drop "$T/ingest.yaml"
assert_eq "$(cat "$T/stderr")" "arca: warning: source drop: busy: another ingest is running this source"
assert_eq "$(versions churn)" 9
kill "$holder"; wait "$holder" 2>/dev/null || true
expect_exit 0 arca ingest --source drop "$T/ingest.yaml"
assert_contains "$T/stdout" "busy.csv: added churn@10"

test_case "bad configurations are refused before anything starts"
csv z 1 1 >"$T/drop/z.csv"
printf 'ingest: 1\nsources:\n  - name: drop\n    dataset: churn\n    folder: %s\n    settle: 5 minutes\n' "$T/drop" >"$T/bad1.yaml"
expect_exit 1 arca ingest "$T/bad1.yaml"
assert_eq "$(cat "$T/stderr")" "arca: error: $T/bad1.yaml:6:13: settle: bad duration \"5 minutes\" (expected a number with a unit ms, s, m, h or d, such as 30s, 5m or 1h30m)"
printf 'ingest: 1\nsources:\n  - name: drop\n    dataset: churn\n    folder: [unclosed\n' >"$T/bad2.yaml"
expect_exit 1 arca ingest "$T/bad2.yaml"
assert_contains "$T/stderr" "^arca: error: $T/bad2.yaml:[0-9]+:[0-9]+: "
printf 'ingest: 1\nsources:\n  - name: drop\n    dataset: nope\n    folder: %s\n' "$T/drop" >"$T/bad3.yaml"
expect_exit 1 arca ingest "$T/bad3.yaml"
assert_eq "$(cat "$T/stderr")" "arca: error: $T/bad3.yaml:4:14: dataset \"nope\" of source \"drop\" does not exist (create it with 'arca dataset create')"
printf 'ingest: 1\nsources:\n  - name: a\n    dataset: churn\n    folder: /x\n  - name: a\n    dataset: churn\n    folder: /y\n' >"$T/bad4.yaml"
expect_exit 1 arca ingest "$T/bad4.yaml"
assert_eq "$(cat "$T/stderr")" "arca: error: $T/bad4.yaml:6:11: duplicate source name \"a\" (first used at line 3)"
expect_exit 1 arca ingest "$T/missing.yaml"
assert_contains "$T/stderr" "^arca: error: open '$T/missing.yaml': No such file or directory$"
assert_eq "$(versions churn)" 10
assert_eq "$(ls "$ARCA_CACHE_DIR/ingest-staging" | wc -l)" 0 "staging dirs left"

test_case "usage errors"
expect_exit 2 arca ingest --source nosuch "$T/ingest.yaml"
assert_contains "$T/stderr" "no source named 'nosuch'"
expect_exit 2 arca ingest --once --watch "$T/ingest.yaml"
expect_exit 2 arca ingest --interval 10s "$T/ingest.yaml"
expect_exit 2 arca ingest --watch --interval 10 "$T/ingest.yaml"
expect_exit 2 arca ingest
assert_eq "$(versions churn)" 10

test_case "--watch makes passes until SIGTERM, then exits 0"
"$ARCA" ingest --watch --interval 1s --source drop "$T/ingest.yaml" >"$T/watch.out" 2>"$T/watch.err" &
w=$!
for _ in $(seq 1 100); do grep -q "z.csv: added" "$T/watch.out" 2>/dev/null && break; sleep 0.1; done
assert_contains "$T/watch.out" "^drop: z.csv: added churn@11"
csv late 1 2 >"$T/drop/late.csv"
for _ in $(seq 1 100); do grep -q "late.csv: added" "$T/watch.out" 2>/dev/null && break; sleep 0.1; done
assert_contains "$T/watch.out" "^drop: late.csv: added churn@12"
kill -TERM "$w"
rc=0; wait "$w" || rc=$?
assert_eq "$rc" 0 "exit status of --watch after SIGTERM"
assert_eq "$(versions churn)" 12

test_case "the repository stays clean"
expect_exit 0 arca verify
assert_contains "$T/stdout" "no problems found"

done_testing
