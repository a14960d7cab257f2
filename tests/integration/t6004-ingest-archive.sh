#!/usr/bin/env bash
# arca ingest from archive files: read in place, a new version only when
# the archive's content changes; a truncated archive fails clearly and
# registers nothing; hooks get a staged copy of the archive.
. "$(dirname "$0")/lib.sh"
require python3 tar gzip
D="$ARCA_SOURCE_DIR/tests/integration/data/ingest"
arca init >/dev/null
arca dataset create churn --schema "$D/schema.yaml" >/dev/null
mkdir -p "$T/src/part" "$T/exports"

versions() {
	arca dataset versions churn --json | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))'
}
csv() { printf 'id,name\n'; for i in $(seq "$2" "$3"); do printf '%d,%s-%d\n' "$i" "$1" "$i"; done; }
# pack NAME: $T/src as $T/exports/NAME (a tar.gz), atomically
pack() {
	tar -C "$T/src" -czf "$T/exports/.$1.tmp" . && mv "$T/exports/.$1.tmp" "$T/exports/$1"
}

csv a 1 10 >"$T/src/one.csv"
csv b 1 5 >"$T/src/part/two.csv"
pack churn.tar.gz
cat >"$T/ingest.yaml" <<EOF
ingest: 1
sources:
  - name: export
    dataset: churn
    archive: exports/churn.tar.gz
  - name: export-hooked
    dataset: churn
    archive: $T/exports/hooked.tar.gz
    settle: 0s
    hooks:
      - run: [sh, -c, 'tar -tzf "\$0" | sort', "\${staged}"]
EOF

test_case "an archive is ingested in place"
expect_exit 0 arca ingest --source export "$T/ingest.yaml"
assert_eq "$(cat "$T/stdout")" "export: $T/exports/churn.tar.gz: added churn@1 (15 rows)
ingest: 1 added, 0 unchanged, 0 skipped, 0 failed"
rec=$(arca dataset versions churn --json | python3 -c 'import json,sys; print(json.load(sys.stdin)[-1]["record"])')
arca cat "$rec" >"$T/rec.json"
assert_contains "$T/rec.json" "\"ingest\":\\{\"fingerprint\":\\{\"mtime_ns\":[0-9]+,\"sha256\":\"$(sha256sum "$T/exports/churn.tar.gz" | cut -c1-64)\",\"size\":[0-9]+\\},\"item\":\"$T/exports/churn.tar.gz\",\"kind\":\"archive\",\"source\":\"export\"\\}"
expect_exit 0 arca ingest -v --source export "$T/ingest.yaml"
assert_contains "$T/stdout" "unchanged: already ingested$"
assert_eq "$(versions)" 1

test_case "the same content rewritten is not a new version"
cp "$T/exports/churn.tar.gz" "$T/copy.tar.gz"
cp "$T/copy.tar.gz" "$T/exports/churn.tar.gz"   # new mtime, same bytes
touch -d '2030-01-01' "$T/exports/churn.tar.gz"
expect_exit 0 arca ingest -v --source export "$T/ingest.yaml"
assert_contains "$T/stdout" "unchanged: content unchanged$"
assert_eq "$(versions)" 1

test_case "new content is a new version"
csv c 1 3 >"$T/src/part/three.csv"
pack churn.tar.gz
expect_exit 0 arca ingest --source export "$T/ingest.yaml"
assert_contains "$T/stdout" "added churn@2 \(18 rows\)$"
assert_eq "$(versions)" 2

test_case "a truncated archive fails clearly and registers nothing"
csv d 1 3000 >"$T/src/big.csv"
pack full.tar.gz
head -c $(( $(stat -c %s "$T/exports/full.tar.gz") / 2 )) "$T/exports/full.tar.gz" >"$T/exports/churn.tar.gz"
expect_exit 1 arca ingest --source export "$T/ingest.yaml"
assert_contains "$T/stderr" "^arca: error: source export: .*archive '$T/exports/churn.tar.gz'.*(truncated|damaged)"
assert_eq "$(versions)" 2
expect_exit 1 arca ingest --source export "$T/ingest.yaml"
assert_eq "$(versions)" 2
cp "$T/exports/full.tar.gz" "$T/exports/churn.tar.gz"
expect_exit 0 arca ingest --source export "$T/ingest.yaml"
assert_contains "$T/stdout" "added churn@3 \(3018 rows\)$"

test_case "a missing archive fails clearly"
expect_exit 1 arca ingest --source export-hooked "$T/ingest.yaml"
assert_eq "$(cat "$T/stderr")" "arca: error: source export-hooked: archive '$T/exports/hooked.tar.gz': No such file or directory"
assert_eq "$(versions)" 3

test_case "hooks see a staged copy of the archive"
cp "$T/exports/full.tar.gz" "$T/exports/hooked.tar.gz"
expect_exit 0 arca ingest --source export-hooked "$T/ingest.yaml"
assert_contains "$T/stdout" "added churn@4 \(3018 rows\)$"
rec=$(arca dataset versions churn --json | python3 -c 'import json,sys; print(json.load(sys.stdin)[-1]["record"])')
arca cat "$rec" >"$T/rec.json"
python3 - "$T/rec.json" <<'PY' || fail "hook record: $(cat "$T/rec.json")"
import json, sys
h = json.load(open(sys.argv[1]))["ingest"]["hooks"][0]
assert h["argv"][3].endswith("/hooked.tar.gz") and "/ingest-staging/" in h["argv"][3], h
assert h["stdout"] == "./\n./big.csv\n./one.csv\n./part/\n./part/three.csv\n./part/two.csv\n", h["stdout"]
PY
expect_exit 0 arca verify
assert_contains "$T/stdout" "no problems found"

done_testing
