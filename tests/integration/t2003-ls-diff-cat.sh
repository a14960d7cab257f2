#!/usr/bin/env bash
# arca ls, diff and cat: output, JSON, errors.
. "$(dirname "$0")/lib.sh"
make_dataset "$T/data"
arca init >/dev/null
arca snapshot --json --dataset d "$T/data" >"$T/s1.json"
s1=$(json_field id "$T/s1.json")

echo changed >>"$T/data/sub/part-5.csv"
rm "$T/data/empty.txt"
echo hello >"$T/data/new.txt"
mkdir "$T/data/newdir" && echo x >"$T/data/newdir/x"
chmod 700 "$T/data/run.sh"
arca snapshot --json --dataset d "$T/data" >"$T/s2.json"
s2=$(json_field id "$T/s2.json")

test_case "diff reports added, removed, modified and mode changes"
expect_exit 0 arca diff "$s1" "$s2"
assert_eq "$(cat "$T/stdout")" "- empty.txt
+ new.txt
+ newdir/
+ newdir/x
m run.sh (0755 -> 0700)
M sub/part-5.csv
3 added, 1 removed, 1 modified, 1 mode changed"

test_case "diff --json and prefixes"
expect_exit 0 arca diff --json "${s1:7:10}" latest@d
assert_contains "$T/stdout" '^\{"change":"removed","path":"empty.txt"\}$'
assert_contains "$T/stdout" '^\{"change":"mode","new_mode":448,"old_mode":493,"path":"run.sh"\}$'
assert_contains "$T/stdout" '^\{"summary":\{"added":3,"mode":1,"modified":1,"removed":1\}\}$'
expect_exit 0 arca diff "$s1" "$s1"
assert_eq "$(cat "$T/stdout")" "0 added, 0 removed, 0 modified, 0 mode changed"

test_case "ls lists one level, -R everything, -l details, a subpath"
expect_exit 0 arca ls "$s1"
assert_eq "$(cat "$T/stdout" | tr '\n' ' ')" "big-text.txt empty-dir/ empty.txt link-to-part1 run.sh sub/ "
expect_exit 0 arca ls -R "$s1"
assert_eq "$(wc -l <"$T/stdout")" 28 "entries"
expect_exit 0 arca ls -l "$s1:sub/deeper"
assert_contains "$T/stdout" '^-0644 +716800 [0-9-]+ [0-9:]+  sub/deeper/blob.bin$'
expect_exit 0 arca ls -l "$s1"
assert_contains "$T/stdout" '^l0777 .* link-to-part1 -> sub/part-1.csv$'
assert_contains "$T/stdout" '^-0755 .* run.sh$'
expect_exit 0 arca ls --json "$s1:run.sh"
assert_contains "$T/stdout" '^\{"mode":493,"mtime_ns":[0-9]+,"path":"run.sh","size":18,"type":"file"\}$'

test_case "ls of a missing path or snapshot fails"
expect_exit 1 arca ls "$s1:nope"
assert_contains "$T/stderr" "arca: error: 'nope' is not in the snapshot"
expect_exit 1 arca ls 0000000000
assert_contains "$T/stderr" "no snapshot matches '0000000000'"
expect_exit 1 arca ls xyz
assert_contains "$T/stderr" "is not a snapshot"

test_case "cat writes an object's exact content"
tree=$(zstd -q -d <"$ARCA_REPO/objects/${s1:7:2}/${s1#sha256:}" | grep -o '"tree":"sha256:[0-9a-f]*"' | cut -d'"' -f4)
expect_exit 0 arca cat "$tree"
assert_contains "$T/stdout" '^\{"entries":\[\{"chunks":\["sha256:'
assert_eq "$(sha256sum <"$T/stdout" | cut -c1-64)" "${tree#sha256:}" "cat content hash"
expect_exit 0 arca cat "${s1:7:12}"
assert_contains "$T/stdout" '"type":"snapshot"'
expect_exit 1 arca cat abc
assert_contains "$T/stderr" "at least 4 hex digits"
expect_exit 1 arca cat ffffffffff
assert_contains "$T/stderr" "no object matches"

test_case "cat detects a damaged object"
obj="$ARCA_REPO/objects/${tree:7:2}/${tree#sha256:}"
zstd -q -c /etc/hostname >"$obj"
expect_exit 3 arca cat "$tree"
assert_contains "$T/stderr" "hash mismatch"

done_testing
