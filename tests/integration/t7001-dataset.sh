#!/usr/bin/env bash
# The dataset catalog end to end: schema-first datasets, validated
# versions, references, drift and its acknowledgement, tags, listings,
# and bad input that changes nothing.
. "$(dirname "$0")/lib.sh"
require sqlite3 tar
EX="$ARCA_SOURCE_DIR/examples/churn"
arca init >/dev/null
state() { # the repository's keys and the catalog's rows
	(cd "$ARCA_REPO" && find config objects records refs -type f | sort | sha256sum)
	sqlite3 "$ARCA_REPO/catalog.db" "SELECT COUNT(*) FROM datasets; SELECT COUNT(*) FROM versions; SELECT COUNT(*) FROM tags; SELECT COUNT(*) FROM acks" 2>/dev/null | tr '\n' ' '
}

test_case "a dataset needs a valid schema first"
expect_exit 1 arca dataset add churn "$EX/v1"
assert_contains "$T/stderr" "no dataset 'churn' \(create it with 'arca dataset create'\)"
printf 'schema: 1\nformat: csv\nfields:\n  - name: a\n    type: integr\n' >"$T/bad.yaml"
expect_exit 1 arca dataset create churn --schema "$T/bad.yaml"
assert_contains "$T/stderr" "bad.yaml:5:11: .*integr"
printf 'schema: 1\nformat: csv\nfields: [ {name: a, type: string\n' >"$T/broken.yaml"
expect_exit 1 arca dataset create churn --schema "$T/broken.yaml"
assert_contains "$T/stderr" "broken.yaml:[0-9]+:[0-9]+: "
expect_exit 2 arca dataset create churn
assert_contains "$T/stderr" "needs --schema"
expect_exit 1 arca dataset create 'bad..name' --schema "$EX/schema.yaml"
assert_contains "$T/stderr" "invalid dataset name"
[ -z "$(ls "$ARCA_REPO/records" 2>/dev/null)" ] || fail "records written for a refused dataset"

test_case "create, then the name is taken"
expect_exit 0 arca dataset create churn --schema "$EX/schema.yaml" --description "customer churn" --owner ml-team
assert_eq "$(cat "$T/stdout")" "created dataset 'churn'"
expect_exit 1 arca dataset create churn --schema "$EX/schema.yaml"
assert_contains "$T/stderr" "dataset 'churn' already exists"
expect_exit 0 arca dataset ls --json
assert_contains "$T/stdout" '^\[\{"created":"[^"]+","created_by":"[^"]+","description":"customer churn","format":"csv","latest":null,"name":"churn","owner":"ml-team","record":"sha256:[0-9a-f]{64}","schema_version":1,"versions":0\}\]$'
expect_exit 1 arca dataset resolve churn
assert_contains "$T/stderr" "has no version yet"

test_case "invalid data is refused with file, line and field; nothing recorded"
mkdir -p "$T/bad"
cp "$EX/v1/customers.csv" "$T/bad/customers.csv"
awk -F, -v OFS=, 'NR == 5 { $2 = -3 } NR == 9 { $3 = "gold" } { print }' "$EX/v1/customers.csv" >"$T/bad/customers.csv"
before=$(state)
expect_exit 1 arca dataset add churn "$T/bad"
assert_contains "$T/stderr" "2 of 500 rows of '.*bad' violate its schema \(2 errors\); nothing was recorded"
assert_contains "$T/stderr" '^  customers.csv:5: field "tenure_months": value "-3" below min 0$'
assert_contains "$T/stderr" '^  customers.csv:9: field "plan": '
assert_eq "$(state)" "$before" "repository and catalog unchanged"
expect_exit 1 arca dataset add --allow-invalid 1 churn "$T/bad"
assert_eq "$(state)" "$before" "repository and catalog unchanged"

test_case "a truncated archive is refused and changes nothing"
tar -C "$EX/v1" -czf "$T/v1.tar.gz" customers.csv
head -c $(($(stat -c %s "$T/v1.tar.gz") / 2)) "$T/v1.tar.gz" >"$T/cut.tar.gz"
expect_exit 1 arca dataset add churn "$T/cut.tar.gz"
assert_contains "$T/stderr" "cut.tar.gz"
assert_eq "$(state)" "$before" "repository and catalog unchanged"

test_case "add v1 and v2; v2's drift needs an acknowledgement"
expect_exit 0 arca dataset add -m "first export" churn "$EX/v1"
assert_contains "$T/stdout" '^churn@1  version [0-9a-f]{12}  snapshot [0-9a-f]{12}  500 rows  drift none$'
expect_exit 0 arca dataset add --json -m "second export" churn "$T/v1.tar.gz"
assert_contains "$T/stdout" '"dataset":"churn".*"rows":500.*"severity":"none","snapshot":"sha256:[0-9a-f]{64}","version":2'
expect_exit 0 arca dataset add churn "$EX/v2"
assert_contains "$T/stdout" '^churn@3  .*  540 rows  drift fail \(needs acknowledgement\)$'
assert_contains "$T/stderr" "^arca: warning: churn@3 drifted from the version before it \(fail\)"
expect_exit 6 arca dataset resolve churn
assert_contains "$T/stderr" "churn@3 drifted from the version before it \(severity fail\) and nobody has acknowledged it"
expect_exit 0 arca dataset add --json churn "$EX/v2"
assert_contains "$T/stdout" '"needs_ack":false,.*"rows":540,.*"severity":"none",.*"version":4' 

test_case "the version records name their snapshot, schema and statistics"
rec=$(arca dataset versions churn --json | grep -o '"record":"sha256:[0-9a-f]*"' | sed -n 3p | cut -d'"' -f4)
expect_exit 0 arca cat "$rec"
assert_contains "$T/stdout" '"number":3'
assert_contains "$T/stdout" '"type":"dataset-version"'
assert_contains "$T/stdout" '"drift":\{"against":"sha256:[0-9a-f]{64}","needs_ack":true,"report":"sha256:[0-9a-f]{64}","severity":"fail"\}'
snap=$(sed -n 's/.*"snapshot":"\(sha256:[0-9a-f]*\)".*/\1/p' "$T/stdout")
expect_exit 0 arca restore "$snap" "$T/out3"
cmp "$T/out3/customers.csv" "$EX/v2/customers.csv" || fail "restored data differs"
[ "$(cat "$ARCA_REPO/refs/catalog/churn/versions/3")" = "$rec" ] || fail "claim ref"

test_case "resolving a drifted version for use is refused (exit 6) until acknowledged"
expect_exit 6 arca dataset resolve churn@3
assert_contains "$T/stderr" "churn@3 drifted from the version before it \(severity fail\) and nobody has acknowledged it"
expect_exit 0 arca dataset resolve churn@2
assert_contains "$T/stdout" '^churn@2 '
expect_exit 1 arca dataset ack churn@2 --reason "x"
assert_contains "$T/stderr" "no drift that needs an acknowledgement"
expect_exit 2 arca dataset ack churn@3
expect_exit 0 arca dataset ack churn@3 --reason "prices rose in 2025; APAC launch"
expect_exit 0 arca dataset resolve --json churn@latest
assert_contains "$T/stdout" '^\{"dataset":"churn","record":"sha256:[0-9a-f]{64}","snapshot":"sha256:[0-9a-f]{64}","version":4\}$'
expect_exit 0 arca dataset resolve churn@3

test_case "references: numbers, tags, ids and prefixes"
expect_exit 0 arca dataset tag -m "reviewed" churn@3 gold
expect_exit 0 arca dataset resolve churn@gold
assert_contains "$T/stdout" '^churn@3 '
expect_exit 0 arca dataset tag churn@1 gold
expect_exit 0 arca dataset resolve churn@gold
assert_contains "$T/stdout" '^churn@1 '
expect_exit 0 arca dataset resolve "churn@${rec:0:14}"
assert_contains "$T/stdout" '^churn@3 '
expect_exit 0 arca dataset resolve "churn@${snap}"
assert_contains "$T/stdout" '^churn@(3|4) '
expect_exit 1 arca dataset resolve churn@9
assert_contains "$T/stderr" "dataset 'churn' has no version '9'"
expect_exit 1 arca dataset resolve churn@nosuchtag
expect_exit 1 arca dataset resolve nope@1
expect_exit 1 arca dataset tag churn@1 latest
assert_contains "$T/stderr" "invalid tag 'latest'"
expect_exit 1 arca dataset tag churn@1 42

test_case "listings"
expect_exit 0 arca dataset versions churn
assert_contains "$T/stdout" '^1 .* 500 none +- +\[gold\] first export$'
assert_contains "$T/stdout" '^3 .* 540 fail +acked$'
assert_contains "$T/stdout" '^4 .* 540 none'
expect_exit 0 arca dataset log churn
assert_eq "$(grep -c . "$T/stdout")" 8 "events: created, 4 versions, ack, 2 tags"
assert_contains "$T/stdout" 'acknowledged churn@3: prices rose in 2025; APAC launch$'
assert_contains "$T/stdout" 'tagged churn@1 as gold$'
expect_exit 0 arca dataset show churn
assert_contains "$T/stdout" '^tag +gold -> churn@1$'
assert_contains "$T/stdout" '^  customer_id +string +required pii$'
expect_exit 0 arca dataset diff churn@1 churn@3
assert_contains "$T/stdout" '^churn@1 -> churn@3: drift fail \(needs acknowledgement\)$'
assert_contains "$T/stdout" '^  warn +new_categories region'
assert_contains "$T/stdout" '^  fail +null_rate_change signup_at: 0 -> 0\.17'
expect_exit 0 arca dataset diff --json churn@1 churn@2
assert_contains "$T/stdout" '"from":"churn@1"'
assert_contains "$T/stdout" '"severity":"none"'

test_case "a new schema version applies to later versions"
sed 's/max: 600/max: 50/' "$EX/schema.yaml" >"$T/schema2.yaml"
expect_exit 1 arca dataset schema churn --schema "$EX/schema.yaml"
assert_contains "$T/stderr" "is the same as schema version 1"
expect_exit 0 arca dataset schema -m "tenure capped" churn --schema "$T/schema2.yaml"
expect_exit 1 arca dataset add churn "$EX/v1"
assert_contains "$T/stderr" 'field "tenure_months": value "[0-9]+" above max 50'
expect_exit 0 arca dataset diff churn@1 churn@2
expect_exit 0 arca dataset show --json churn
assert_contains "$T/stdout" '"schema_version":2'

test_case "verify is clean and the catalog database is a real SQLite file"
expect_exit 0 arca verify
assert_eq "$(sqlite3 "$ARCA_REPO/catalog.db" 'PRAGMA journal_mode; PRAGMA user_version; SELECT COUNT(*) FROM versions' | tr '\n' ' ')" "wal 2 4 " "catalog state"
test_case "--json of the writing commands"
expect_exit 0 arca dataset tag --json churn@4 silver
assert_contains "$T/stdout" '^\{"dataset":"churn",.*"version":4\}$'
expect_exit 0 arca dataset show churn
assert_contains "$T/stdout" '^schema 2 +.* by [^:]+: tenure capped$'

test_case "a damaged database is replaced by catalog rebuild"
arca dataset versions --json churn >"$T/v-before.json"
head -c 8192 /dev/urandom >"$ARCA_REPO/catalog.db"
rm -f "$ARCA_REPO/catalog.db-wal" "$ARCA_REPO/catalog.db-shm"
expect_exit 1 arca dataset ls
expect_exit 0 arca catalog rebuild --json
assert_eq "$(cat "$T/stdout")" '{"rebuilt":true,"skipped":0}'
arca dataset versions --json churn >"$T/v-after.json"
cmp "$T/v-before.json" "$T/v-after.json" || fail "versions differ after rebuild"

test_case "a damaged catalog record is left out with a warning, the rest works"
ack=$(ls "$ARCA_REPO/records/dataset-ack/")
obj="$ARCA_REPO/objects/${ack:0:2}/$ack"
cp "$obj" "$T/ack.obj"
chmod u+w "$obj"
printf 'garbage' >"$obj"
expect_exit 0 arca catalog rebuild
assert_contains "$T/stderr" "1 records could not be read and are left out: run 'arca verify'"
expect_exit 0 arca dataset versions churn
assert_contains "$T/stderr" "1 catalog records could not be read"
assert_contains "$T/stdout" '^3 .* 540 fail +NEEDED'
expect_exit 3 arca verify
cp "$T/ack.obj" "$obj"
expect_exit 0 arca catalog rebuild

test_case "verify follows what catalog records name"
stats=$(arca cat "$rec" | grep -o '"stats":"sha256:[0-9a-f]*"' | cut -d'"' -f4)
mv "$ARCA_REPO/objects/${stats:7:2}/${stats#sha256:}" "$T/stats.obj"
expect_exit 3 arca verify
assert_contains "$T/stdout" "^ERROR MISSING_OBJECT $stats: record 'records/dataset-version/${rec#sha256:}': object $stats it names is missing$"
mv "$T/stats.obj" "$ARCA_REPO/objects/${stats:7:2}/${stats#sha256:}"
expect_exit 0 arca verify
expect_exit 0 arca -v verify
assert_not_contains "$T/stdout" "unreferenced"
done_testing
