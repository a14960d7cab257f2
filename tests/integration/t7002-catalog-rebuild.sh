#!/usr/bin/env bash
# The catalog is an index over the repository's records: dropped, lost or
# left behind, it is rebuilt with exactly the same listings.
. "$(dirname "$0")/lib.sh"
require sqlite3
EX="$ARCA_SOURCE_DIR/examples/churn"
arca init >/dev/null
arca dataset create churn --schema "$EX/schema.yaml" --description "customer churn" >/dev/null
printf 'schema: 1\nformat: files\n' >"$T/files.yaml"
arca dataset create images --schema "$T/files.yaml" >/dev/null
arca dataset add -q -m one churn "$EX/v1" >/dev/null
arca dataset add -q churn "$EX/v2" >/dev/null 2>&1
arca dataset ack churn@2 --reason "reviewed" >/dev/null
arca dataset tag churn@1 gold >/dev/null
arca dataset tag churn@2 gold -m "moved" >/dev/null
arca dataset tag churn@2 silver >/dev/null
sed 's/max: 600/max: 700/' "$EX/schema.yaml" >"$T/schema2.yaml"
arca dataset schema churn --schema "$T/schema2.yaml" -m wider >/dev/null
arca dataset add -q churn "$EX/v1" >/dev/null 2>&1
make_dataset "$T/files"
arca dataset add -q images "$T/files" >/dev/null

# Every listing command's --json output, in one file.
listings() {
	{
		arca dataset ls --json
		for d in churn images; do
			arca dataset show --json "$d"
			arca dataset versions --json "$d"
			arca dataset log --json "$d"
		done
		arca dataset diff --json churn@1 churn@2
		arca dataset diff --json churn@2 churn@3
		arca dataset resolve --json churn@gold
		arca dataset resolve --json churn@silver
		arca dataset resolve --json images
	} >"$1"
}

test_case "listings before"
listings "$T/before.json"
assert_eq "$(wc -l <"$T/before.json")" 12 "listing lines"
assert_contains "$T/before.json" '"tag":"gold","version":2'
assert_contains "$T/before.json" '"event":"ack"'

test_case "catalog rebuild gives identical listings"
expect_exit 0 arca catalog rebuild
assert_eq "$(cat "$T/stdout")" "catalog rebuilt from the repository"
listings "$T/after.json"
diff -u "$T/before.json" "$T/after.json" >&2 || fail "listings differ after rebuild"

test_case "a deleted database is recreated from the repository"
rm -f "$ARCA_REPO"/catalog.db*
listings "$T/after2.json"
diff -u "$T/before.json" "$T/after2.json" >&2 || fail "listings differ after deleting the database"
[ -s "$ARCA_REPO/catalog.db" ] || fail "no database recreated"

test_case "a database left behind catches up on open"
cp "$ARCA_REPO/catalog.db" "$T/old.db"
arca dataset add -q churn "$EX/v2" >/dev/null 2>&1
arca dataset tag churn@4 latest-good >/dev/null
listings "$T/new.json"
rm -f "$ARCA_REPO"/catalog.db-wal "$ARCA_REPO"/catalog.db-shm
cp "$T/old.db" "$ARCA_REPO/catalog.db"
assert_eq "$(sqlite3 "$ARCA_REPO/catalog.db" 'SELECT COUNT(*) FROM versions')" 4 "old database"
listings "$T/caught-up.json"
diff -u "$T/new.json" "$T/caught-up.json" >&2 || fail "listings differ after catching up"
assert_eq "$(sqlite3 "$ARCA_REPO/catalog.db" 'SELECT COUNT(*) FROM versions')" 5 "caught up"

test_case "ARCA_CATALOG puts the database elsewhere, built from the same records"
ARCA_CATALOG="$T/elsewhere.db" listings "$T/elsewhere.json"
diff -u "$T/new.json" "$T/elsewhere.json" >&2 || fail "listings differ with ARCA_CATALOG"
[ -s "$T/elsewhere.db" ] || fail "ARCA_CATALOG not used"

test_case "a catalog of a newer schema version is refused"
sqlite3 "$T/elsewhere.db" 'PRAGMA user_version = 99'
ARCA_CATALOG="$T/elsewhere.db" expect_exit 1 arca dataset ls
assert_contains "$T/stderr" "schema version 99; this arca knows up to 2: upgrade arca"
done_testing
