#!/usr/bin/env bash
# arca ingest from http URLs, against a local server (the fetch tests'
# tests/unit/data/fetch/server.py): the first fetch ingests, the next is a
# conditional 304 and ingests nothing, a changed file is a new version;
# validator-less servers, expected SHA-256, hooks on the download; an
# unreachable URL, a 404 and secrets in URLs.
. "$(dirname "$0")/lib.sh"
require python3
D="$ARCA_SOURCE_DIR/tests/integration/data/ingest"
arca init >/dev/null
arca dataset create churn --schema "$D/schema.yaml" >/dev/null
mkdir -p "$T/www"

python3 "$ARCA_SOURCE_DIR/tests/unit/data/fetch/server.py" --dir "$T/www" \
	--port-file "$T/port" &
server=$!
trap 'kill "$server" 2>/dev/null || true; cleanup' EXIT
for _ in $(seq 1 100); do [ -s "$T/port" ] && break; sleep 0.1; done
[ -s "$T/port" ] || fail "the test server did not start"
port=$(cut -d' ' -f1 "$T/port")
base="http://127.0.0.1:$port"
# a port nothing listens on: bound and released again
closed=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()')

versions() {
	arca dataset versions churn --json | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))'
}
last_record() {
	arca cat "$(arca dataset versions churn --json | python3 -c 'import json,sys; print(json.load(sys.stdin)[-1]["record"])')"
}
csv() { printf 'id,name\n'; for i in $(seq "$2" "$3"); do printf '%d,%s-%d\n' "$i" "$1" "$i"; done; }

good_sha() { sha256sum "$T/www/churn.csv" | cut -c1-64; }
csv u 1 4 >"$T/www/churn.csv"
touch -d '2024-03-01 10:00:00' "$T/www/churn.csv"
cat >"$T/ingest.yaml" <<EOF
ingest: 1
sources:
  - name: web
    dataset: churn
    url: $base/churn.csv
  - name: plain
    dataset: churn
    url: $base/churn.csv?noetag=1&nolm=1
  - name: masked
    dataset: churn
    url: $base/masked/churn.csv
    hooks:
      - run: ["$D/mask.sh", "\${staged}"]
  - name: down
    dataset: churn
    url: http://127.0.0.1:$closed/churn.csv
  - name: missing
    dataset: churn
    url: http://reader:s3cretpw@127.0.0.1:$port/nope.csv?token=t0psecret
EOF

test_case "the first fetch ingests"
expect_exit 0 arca ingest --source web "$T/ingest.yaml"
assert_eq "$(cat "$T/stdout")" "web: $base/churn.csv: added churn@1 (4 rows)
ingest: 1 added, 0 unchanged, 0 skipped, 0 failed"
last_record >"$T/rec.json"
python3 - "$T/rec.json" "$base" "$(good_sha)" <<'PY' || fail "provenance: $(cat "$T/rec.json")"
import json, sys
ing = json.load(open(sys.argv[1]))["ingest"]
base, sha = sys.argv[2], sys.argv[3]
assert ing["source"] == "web" and ing["kind"] == "url", ing
assert ing["item"] == base + "/churn.csv", ing["item"]
fp = ing["fingerprint"]
assert fp["sha256"] == sha and fp["etag"].startswith('"'), fp
assert fp["last_modified"] == "Fri, 01 Mar 2024 10:00:00 GMT", fp
f = ing["fetched"]
assert f["url"] == base + "/churn.csv" and f["status"] == 200, f
assert f["bytes"] > 0 and f["sha256"] == sha, f
assert "hooks" not in ing
PY
assert_eq "$(ls "$ARCA_CACHE_DIR/ingest-staging" | wc -l)" 0 "staging dirs left"

test_case "the second is a conditional request: 304, nothing ingested"
expect_exit 0 arca ingest -v --source web "$T/ingest.yaml"
assert_eq "$(cat "$T/stdout")" "web: $base/churn.csv: unchanged: not modified (HTTP 304)
ingest: 0 added, 1 unchanged, 0 skipped, 0 failed"
expect_exit 0 arca ingest --json --source web "$T/ingest.yaml"
assert_eq "$(cat "$T/stdout")" "{\"dataset\":\"churn\",\"item\":\"$base/churn.csv\",\"kind\":\"url\",\"message\":\"not modified (HTTP 304)\",\"source\":\"web\",\"status\":\"unchanged\",\"version\":null}"
assert_eq "$(versions)" 1

test_case "a changed file is a new version"
csv v 1 6 >"$T/www/churn.csv"
touch -d '2024-03-02 10:00:00' "$T/www/churn.csv"
expect_exit 0 arca ingest --source web "$T/ingest.yaml"
assert_contains "$T/stdout" "^web: $base/churn.csv: added churn@2 \(6 rows\)$"
expect_exit 0 arca ingest -v --source web "$T/ingest.yaml"
assert_contains "$T/stdout" "unchanged: not modified \(HTTP 304\)"
assert_eq "$(versions)" 2

test_case "without validators, the same bytes are not ingested again"
expect_exit 0 arca ingest --source plain "$T/ingest.yaml"
assert_contains "$T/stdout" "^plain: $base/churn.csv: added churn@3 \(6 rows\)$"
last_record >"$T/rec.json"
assert_contains "$T/rec.json" '"fingerprint":\{"etag":null,"last_modified":null,"sha256":"[0-9a-f]{64}"\}'
# the query string (it may hold secrets) is never recorded
assert_not_contains "$T/rec.json" "noetag"
expect_exit 0 arca ingest -v --source plain "$T/ingest.yaml"
assert_contains "$T/stdout" "^plain: $base/churn.csv: unchanged: content unchanged$"
assert_eq "$(versions)" 3

test_case "an expected SHA-256 is checked"
pinned=$(good_sha)
printf 'ingest: 1\nsources:\n  - name: pinned\n    dataset: churn\n    url: %s\n    sha256: %s\n' "$base/churn.csv" "$pinned" >"$T/pinned.yaml"
expect_exit 0 arca ingest "$T/pinned.yaml"
assert_contains "$T/stdout" "added churn@4"
csv w 1 2 >"$T/www/churn.csv"
expect_exit 1 arca ingest "$T/pinned.yaml"
assert_eq "$(cat "$T/stderr")" "arca: error: source pinned: fetch $base/churn.csv: SHA-256 mismatch: expected $pinned, got $(good_sha) (20 bytes) (gave up after 2 attempts)"
assert_eq "$(versions)" 4

test_case "hooks run on the download, which keeps its name"
mkdir -p "$T/www/masked"
csv secret 1 3 >"$T/www/masked/churn.csv"
expect_exit 0 arca ingest --source masked "$T/ingest.yaml"
assert_contains "$T/stdout" "^masked: $base/masked/churn.csv: added churn@5 \(3 rows\)$"
snap=$(arca dataset versions churn --json | python3 -c 'import json,sys; print(json.load(sys.stdin)[-1]["snapshot"])')
expect_exit 0 arca restore "$snap" "$T/out"
assert_eq "$(cat "$T/out/churn.csv")" "id,name
1,masked
2,masked
3,masked"
last_record >"$T/rec.json"
assert_contains "$T/rec.json" '"hooks":\[\{"argv":\["[^"]*/mask.sh","[^"]*/ingest-staging/[^"]*/churn.csv"\],"duration_ms":[0-9]+,"exit":0,"stderr":"","stdout":"masked churn.csv\\n"\}\]'
expect_exit 0 arca ingest --source masked "$T/ingest.yaml"
assert_eq "$(versions)" 5

test_case "an unreachable URL fails clearly and changes nothing"
expect_exit 1 arca ingest --source down "$T/ingest.yaml"
assert_contains "$T/stderr" "^arca: error: source down: fetch http://127.0.0.1:$closed/churn.csv: .*(refused|connect).*\(gave up after [0-9]+ attempts\)"
assert_eq "$(versions)" 5

test_case "a 404 fails, and secrets in the URL are never shown or stored"
expect_exit 1 arca ingest --source missing "$T/ingest.yaml"
assert_eq "$(cat "$T/stderr")" "arca: error: source missing: fetch http://127.0.0.1:$port/nope.csv: HTTP 404 (not found)"
expect_exit 1 arca ingest --json --source missing "$T/ingest.yaml"
assert_contains "$T/stdout" '"item":"http://127.0.0.1:[0-9]+/nope.csv"'
assert_not_contains "$T/stdout" "s3cretpw|t0psecret|reader"
assert_not_contains "$T/stderr" "s3cretpw|t0psecret|reader"
assert_eq "$(versions)" 5

test_case "all sources at once: failures do not stop the others"
csv x 1 9 >"$T/www/churn.csv"
expect_exit 1 arca ingest "$T/ingest.yaml"
assert_contains "$T/stdout" "^web: .*added churn@6 \(9 rows\)$"
assert_contains "$T/stdout" "^plain: .*added churn@7 \(9 rows\)$"
assert_contains "$T/stdout" "^ingest: 2 added, 1 unchanged, 0 skipped, 2 failed$"
assert_eq "$(grep -c '^arca: error: source ' "$T/stderr")" 2
assert_eq "$(versions)" 7
assert_eq "$(ls "$ARCA_CACHE_DIR/ingest-staging" | wc -l)" 0 "staging dirs left"
expect_exit 0 arca verify
assert_contains "$T/stdout" "no problems found"

done_testing
