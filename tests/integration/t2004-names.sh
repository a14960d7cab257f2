#!/usr/bin/env bash
# Names that are not plain text: file names with control bytes or not
# UTF-8, a source path that is not UTF-8, dataset names on the edge.
. "$(dirname "$0")/lib.sh"
arca init >/dev/null

bad=$'latin1-\xe9t\xe9'
ctl=$'bell\aand\ttab'
mkdir -p "$T/src/$bad"
echo one >"$T/src/$bad/f"
echo two >"$T/src/$ctl"
echo three >"$T/src/plain"

test_case "a source path that is not UTF-8 is snapshotted and listed"
expect_exit 0 arca snapshot --json "$T/src/$bad"
id=$(json_field id "$T/stdout")
expect_exit 0 arca snapshots --json
assert_contains "$T/stdout" '"path_b64":"'
expect_exit 0 arca ls "$id"
assert_eq "$(cat "$T/stdout")" "f"

test_case "ls and diff escape control bytes and bytes that are not UTF-8"
expect_exit 0 arca snapshot --json "$T/src"
all=$(json_field id "$T/stdout")
expect_exit 0 arca ls "$all"
assert_contains "$T/stdout" '^bell\\x07and\\x09tab$'
assert_contains "$T/stdout" '^latin1-\\xe9t\\xe9/$'
assert_not_contains "$T/stdout" $'\a'
expect_exit 0 arca ls --json "$all"
assert_contains "$T/stdout" '"path":"latin1-\\\\xe9t\\\\xe9","path_b64":"bGF0aW4xLel06Q==","size"'
assert_contains "$T/stdout" '"path":"bell\\u0007and\\ttab"'
assert_eq "$(grep -c . "$T/stdout")" 3 "every entry is listed"
rm "$T/src/plain"
expect_exit 0 arca snapshot --json "$T/src"
expect_exit 0 arca diff --json "$all" latest
assert_contains "$T/stdout" '"change":"removed","path":"plain"'
echo four >>"$T/src/$bad/f"
expect_exit 0 arca snapshot --json "$T/src"
expect_exit 0 arca diff "$all" latest
assert_contains "$T/stdout" '^M latin1-\\xe9t\\xe9/f$'

test_case "dataset names: edge cases are refused before anything is written"
before=$(find "$ARCA_REPO" -type f | sort | sha256sum)
for name in 'v1.' 'a..b' '.hidden' '-x' 'a/b' 'a@1' '' "$(printf 'x%.0s' {1..101})"; do
	expect_exit 1 arca snapshot --dataset "$name" "$T/src"
	assert_contains "$T/stderr" "invalid dataset name"
done
assert_eq "$(find "$ARCA_REPO" -type f | sort | sha256sum)" "$before" "repository unchanged"
for name in 'v1.2' 'a.b-c_d' '9lives'; do
	expect_exit 0 arca snapshot --quiet --dataset "$name" "$T/src"
	expect_exit 0 arca ls "latest@$name"
done

test_case "a message that is not UTF-8 is refused"
expect_exit 1 arca snapshot -m $'caf\xe9' "$T/src"
assert_contains "$T/stderr" "not valid UTF-8"

test_case "global -h before a command prints that command's help"
expect_exit 0 arca -h init
assert_contains "$T/stdout" '^usage: arca init'
[ ! -e "$T/h-repo" ] || fail "init ran"
expect_exit 0 arca -vv --help snapshot
assert_contains "$T/stdout" '^usage: arca snapshot'
expect_exit 2 arca -x init
assert_contains "$T/stderr" "unknown option '-x'"
done_testing
