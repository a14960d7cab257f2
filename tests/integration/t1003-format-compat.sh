#!/usr/bin/env bash
# A repository of an older format version (1.0, tests/fixtures) is
# read, verified, restored and extended by this arca (with catalog
# records, and with 1.2's signatures); new ones are 1.2.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib_gpg.sh"
FX="$ARCA_SOURCE_DIR/tests/fixtures/repo-1.0"
cp -r "$FX" "$ARCA_REPO"
chmod -R u+w "$ARCA_REPO"
s1=sha256:a7992d390afd97e76f8b8edf0a2c7354a3079faf9b232d88a8dea59dd5bbce72
s2=sha256:6f352963980c3858a3af8e499a14667cd80415527514b7edbcff71a38b2869ab

test_case "a 1.0 repository verifies and lists its snapshots"
expect_exit 0 arca verify
assert_contains "$T/stdout" "2 snapshots: no problems found"
expect_exit 0 arca snapshots --json
assert_contains "$T/stdout" "\"id\":\"$s1\""
assert_contains "$T/stdout" "\"id\":\"$s2\""
expect_exit 0 arca ls -R latest@demo
assert_eq "$(cat "$T/stdout" | tr '\n' ' ')" "data.csv link sub/ sub/readme.txt " "entries"

test_case "its snapshots restore and diff"
expect_exit 0 arca restore "$s1" "$T/out"
assert_eq "$(cat "$T/out/data.csv")" "$(printf 'id,name\n1,alpha\n2,beta')" "data.csv of the first snapshot"
assert_eq "$(readlink "$T/out/link")" "data.csv" "symlink"
assert_eq "$(stat -c %Y "$T/out/sub/readme.txt")" "$(date -d '2025-01-02 03:04:05' +%s)" "mtime"
expect_exit 0 arca diff "$s1" "$s2"
assert_contains "$T/stdout" "^M data.csv$"

test_case "this arca extends it: a snapshot and a catalog dataset"
mkdir -p "$T/more"
echo more >"$T/more/f"
expect_exit 0 arca snapshot --dataset demo "$T/more"
printf 'schema: 1\nformat: csv\nfields:\n  - {name: id, type: integer}\n  - {name: name, type: string}\n' >"$T/s.yaml"
expect_exit 0 arca dataset create names --schema "$T/s.yaml"
expect_exit 0 arca dataset add names "$T/out/data.csv"
assert_contains "$T/stdout" "^names@1 .* 2 rows"
expect_exit 0 arca verify
assert_contains "$T/stdout" "4 snapshots: no problems found"
assert_contains "$ARCA_REPO/config" '"version":\{"major":1,"minor":0\}'

test_case "this arca signs in it: an old snapshot countersigned, a new one signed as written"
K=$(gen_key "Signer <signer@example>")
printf 'trust: 1\nroles:\n  r:\n    kinds: ["*"]\n    keys: [%s]\n' "$K" >"$T/trust.yaml"
export ARCA_TRUST_POLICY="$T/trust.yaml"
expect_exit 3 arca verify-sig "$s1"
assert_contains "$T/stderr" "snapshot record is not signed"
ARCA_SIGNING_KEY=$K expect_exit 0 arca sign "$s1"
expect_exit 0 arca verify-sig "$s1"
echo signed >"$T/more/g"
ARCA_SIGNING_KEY=$K expect_exit 0 arca snapshot --json --dataset demo "$T/more"
expect_exit 0 arca verify-sig "$(json_field id)"
expect_exit 0 arca verify
assert_contains "$T/stdout" "5 snapshots: no problems found"
assert_contains "$ARCA_REPO/config" '"version":\{"major":1,"minor":0\}'
assert_not_contains "$ARCA_REPO/config" 'require_signatures'

test_case "a new repository is format 1.2"
expect_exit 0 arca --repo "$T/new" init
assert_contains "$T/new/config" '"version":\{"major":1,"minor":2\}'
assert_not_contains "$T/new/config" 'require_signatures'
expect_exit 0 arca --repo "$T/strict" init --require-signatures
assert_contains "$T/strict/config" '"require_signatures":true'
done_testing
