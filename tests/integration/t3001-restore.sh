#!/usr/bin/env bash
# arca restore: to a directory, subpaths, tar streams, errors.
. "$(dirname "$0")/lib.sh"
require tar zstd
umask 022
make_dataset "$T/data"
arca init >/dev/null
expect_exit 0 arca snapshot --json "$T/data"
snap=$(json_field id)
[ -n "$snap" ] || fail "no snapshot id in: $(cat "$T/stdout")"

test_case "restore to an empty directory gives the same tree"
expect_exit 0 arca restore "$snap" "$T/out"
assert_same_tree "$T/data" "$T/out"
assert_contains "$T/stdout" '^restored 24 files, 3 dirs, 1 symlinks, [0-9.]+ [KM]iB to .*/out$'

test_case "a prefix, latest, and a target whose parents are missing"
expect_exit 0 arca restore "${snap:7:12}" "$T/new/deep/out"
assert_same_tree "$T/data" "$T/new/deep/out"
expect_exit 0 arca restore latest "$T/out-latest"
assert_same_tree "$T/data" "$T/out-latest"

test_case "restoring over a modified tree replaces files, not links' targets"
echo keep >"$T/victim"
echo changed >"$T/out/sub/part-1.csv"
rm "$T/out/empty.txt"
ln -s "$T/victim" "$T/out/empty.txt"
rm "$T/out/run.sh"
mkdir "$T/out/run.sh"
expect_exit 0 arca restore "$snap" "$T/out"
assert_same_tree "$T/data" "$T/out"
assert_eq "$(cat "$T/victim")" "keep" "the symlink's target"

test_case "SNAP:sub restores only sub's contents"
expect_exit 0 arca restore "$snap:sub" "$T/sub"
assert_same_tree "$T/data/sub" "$T/sub"
[ ! -e "$T/sub/sub" ] || fail "sub was nested"
expect_exit 0 arca restore "$snap:/sub/deeper/" "$T/deeper"
assert_same_tree "$T/data/sub/deeper" "$T/deeper"

test_case "SNAP:FILE restores the file as DIR/NAME"
expect_exit 0 arca restore "$snap:sub/deeper/blob.bin" "$T/one"
assert_eq "$(ls -A "$T/one")" "blob.bin"
cmp "$T/data/sub/deeper/blob.bin" "$T/one/blob.bin" || fail "content differs"
assert_eq "$(stat -c %Y "$T/one/blob.bin")" \
	"$(stat -c %Y "$T/data/sub/deeper/blob.bin")" "mtime"
expect_exit 0 arca restore "$snap:link-to-part1" "$T/ln"
assert_eq "$(readlink "$T/ln/link-to-part1")" "sub/part-1.csv"

test_case "--format tar -o FILE extracts to the same tree"
expect_exit 0 arca restore "$snap" --format tar -o "$T/f.tar"
[ ! -e "$T/f.tar.tmp" ] || fail "temp file left behind"
assert_contains "$T/stdout" '^restored 24 files, 3 dirs, 1 symlinks, .* to .*/f\.tar$'
mkdir "$T/x"
tar -C "$T/x" -xf "$T/f.tar" || fail "tar cannot extract it"
assert_same_tree "$T/data" "$T/x"

test_case "--format tar -o - streams to stdout (a pipe)"
arca restore "$snap" --format tar -o - 2>"$T/stderr" | tar -tf - |
	sed 's|/$||' | sort >"$T/tar.list"
(cd "$T/data" && find . -mindepth 1 | sed 's|^\./||' | sort) >"$T/find.list"
diff -u "$T/find.list" "$T/tar.list" >&2 || fail "tar lists other names"
assert_contains "$T/stderr" '^restored 24 files, .* to stdout$'
expect_exit 0 arca --quiet restore "$snap:sub" --format tar -o -
[ ! -s "$T/stderr" ] || fail "--quiet printed: $(cat "$T/stderr")"
tar -tf "$T/stdout" >"$T/sub.list" || fail "not a tar stream"
assert_contains "$T/sub.list" '^deeper/blob\.bin$'

test_case "--json and --threads"
expect_exit 0 arca --json restore --threads 1 "$snap" "$T/out-json"
assert_same_tree "$T/data" "$T/out-json"
assert_contains "$T/stdout" '"format":"dir"'
assert_contains "$T/stdout" '"summary":\{"bytes":[0-9]+,"dirs":3,"files":24,"symlinks":1\}'
expect_exit 0 arca restore --json "$snap" --format tar -o - --threads 3
assert_contains "$T/stderr" '"format":"tar"'

test_case "a missing snapshot or path fails with exit 1 and a clear message"
expect_exit 1 arca restore deadbeef "$T/nope"
assert_contains "$T/stderr" "^arca: error: no snapshot matches 'deadbeef'"
expect_exit 1 arca restore "$snap:no/such" "$T/nope"
assert_contains "$T/stderr" "^arca: error: 'no/such' is not in the snapshot"
expect_exit 1 arca restore latest@nosuchdataset "$T/nope"
assert_contains "$T/stderr" "no snapshot of dataset 'nosuchdataset'"
expect_exit 1 arca restore deadbeef --format tar -o "$T/nope.tar"
[ ! -e "$T/nope" ] || fail "a failed restore created the target"
[ ! -e "$T/nope.tar" ] && [ ! -e "$T/nope.tar.tmp" ] ||
	fail "a failed restore left a tar file"

test_case "usage errors exit 2"
expect_exit 2 arca restore
expect_exit 2 arca restore "$snap"
expect_exit 2 arca restore "$snap" "$T/a" "$T/b"
expect_exit 2 arca restore "$snap" "$T/a" --format zip
assert_contains "$T/stderr" "'dir' or 'tar'"
expect_exit 2 arca restore "$snap" "$T/a" --format tar -o "$T/a.tar"
expect_exit 2 arca restore "$snap" --format tar
assert_contains "$T/stderr" "needs -o FILE"
expect_exit 2 arca restore "$snap" "$T/a" -o "$T/a.tar"
expect_exit 2 arca restore "$snap" "$T/a" --threads -1
expect_exit 2 arca restore "$snap" "$T/a" --threads many
expect_exit 2 arca restore "$snap" "$T/a" --bogus
expect_exit 2 arca restore ":sub" "$T/a"
[ ! -e "$T/a" ] || fail "a usage error created the target"

test_case "a corrupted chunk fails with exit 3, naming object and file"
# blob.bin is random: its one large chunk is the largest object.
obj=$(find "$ARCA_REPO/objects" -type f -printf '%s %p\n' | sort -n |
	tail -1 | cut -d' ' -f2)
printf 'other content' >"$T/other"
zstd -q -f "$T/other" -o "$T/other.zst"
rm -f "$obj"
cp "$T/other.zst" "$obj"
expect_exit 3 arca restore "$snap:sub/deeper" "$T/bad"
assert_contains "$T/stderr" "restoring 'sub/deeper/blob.bin'"
assert_contains "$T/stderr" "$(basename "$obj")"
expect_exit 3 arca restore "$snap" --format tar -o "$T/bad.tar"
[ ! -e "$T/bad.tar" ] && [ ! -e "$T/bad.tar.tmp" ] ||
	fail "a failed tar restore left a file"

done_testing
