#!/usr/bin/env bash
# arca init, --repo resolution, format version refusal, usage errors.
. "$(dirname "$0")/lib.sh"

test_case "init creates a repository with a config"
expect_exit 0 arca init
assert_contains "$T/stdout" "created repository [0-9a-f]{32} at $ARCA_REPO"
[ -f "$ARCA_REPO/config" ] || fail "no config file"
assert_contains "$ARCA_REPO/config" '"format":"arca-repository"'
assert_contains "$ARCA_REPO/config" '"version":\{"major":1,"minor":2\}'
assert_contains "$ARCA_REPO/config" '"level":3'

test_case "init twice fails and changes nothing"
cp "$ARCA_REPO/config" "$T/config.before"
expect_exit 1 arca init
assert_contains "$T/stderr" "arca: error: a repository already exists at"
cmp -s "$ARCA_REPO/config" "$T/config.before" || fail "config changed"

test_case "--repo beats ARCA_REPO; default is ./.arca"
expect_exit 0 arca --repo "$T/other" init --json
assert_contains "$T/stdout" '"repository":"'"$T"'/other"'
(cd "$T" && env -u ARCA_REPO "$ARCA" init >/dev/null) || fail "init in cwd"
[ -f "$T/.arca/config" ] || fail "no ./.arca"
expect_exit 0 arca snapshots --repo "$T/other"

test_case "compression level is validated"
expect_exit 1 arca --repo "$T/bad" init --compression-level 40
assert_contains "$T/stderr" "out of range"
[ ! -e "$T/bad/config" ] || fail "bad init wrote a config"

test_case "a newer major format version is refused"
sed 's/"major":1/"major":2/' "$ARCA_REPO/config" >"$T/cfg" && cp "$T/cfg" "$ARCA_REPO/config"
expect_exit 1 arca snapshots
assert_contains "$T/stderr" "format version 2.2; this arca reads format 1.x only: upgrade arca"

test_case "no repository"
expect_exit 1 arca --repo "$T/nothing-here" snapshots
assert_contains "$T/stderr" "no repository at '$T/nothing-here' \(create one with 'arca init'\)"

test_case "usage errors exit 2"
expect_exit 2 arca
expect_exit 2 arca no-such-command
assert_contains "$T/stderr" "'no-such-command' is not an arca command"
expect_exit 2 arca snapshot
expect_exit 2 arca snapshot --bogus x
assert_contains "$T/stderr" "unknown option '--bogus'"
expect_exit 2 arca snapshot --threads many x
expect_exit 0 arca --version
assert_contains "$T/stdout" '^arca [0-9]+\.[0-9]+\.[0-9]+$'

test_case "every command has --help"
for cmd in init snapshot snapshots ls cat diff restore verify; do
	expect_exit 0 arca "$cmd" --help
	assert_contains "$T/stdout" "^usage: arca $cmd"
done
expect_exit 0 arca --help
assert_contains "$T/stdout" "^commands:"

done_testing
