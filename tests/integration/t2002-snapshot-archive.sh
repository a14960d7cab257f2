#!/usr/bin/env bash
# Archives are read in place: tar, tar.gz, tar.zst, zip; --no-archive.
. "$(dirname "$0")/lib.sh"
require bsdtar zstd
make_dataset "$T/data"
arca init >/dev/null

list_of() { arca ls -R "$1" | sort; }

test_case "a directory and its archives record the same entries"
expect_exit 0 arca snapshot --json "$T/data"
list_of latest >"$T/dir.list"
(cd "$T/data" && bsdtar -cf "$T/d.tar" .)
(cd "$T/data" && bsdtar -czf "$T/d.tar.gz" .)
(cd "$T/data" && bsdtar --zstd -cf "$T/d.tar.zst" .)
(cd "$T/data" && bsdtar --format zip -cf "$T/d.zip" .)
for a in d.tar d.tar.gz d.tar.zst d.zip; do
	expect_exit 0 arca snapshot --json "$T/$a"
	id=$(json_field id)
	list_of "$id" >"$T/$a.list"
	diff -u "$T/dir.list" "$T/$a.list" >&2 || fail "$a lists differently"
	# The content is the same, so it deduplicates: only trees are new.
	assert_contains "$T/stdout" '"symlinks":1\}'
	zstd -q -d <"$ARCA_REPO/objects/${id:7:2}/${id#sha256:}" >"$T/s.json"
	assert_contains "$T/s.json" '"kind":"archive"'
done

test_case "archive content is stored once (dedup with the directory)"
expect_exit 0 arca snapshot --json "$T/d.tar.gz"
assert_contains "$T/stdout" '"objects_new":0,'

test_case "an archive snapshot restores to the original tree"
expect_exit 0 arca restore latest "$T/out"
assert_same_tree "$T/data" "$T/out"

test_case "--no-archive stores the archive file itself"
expect_exit 0 arca snapshot --no-archive --json "$T/d.tar.gz"
assert_eq "$(arca ls latest)" "d.tar.gz"

test_case "a damaged archive fails and records nothing"
count=$(ls "$ARCA_REPO/records/snapshot" | wc -l)
head -c 3000 "$T/d.tar.gz" >"$T/broken.tar.gz"
expect_exit 1 arca snapshot "$T/broken.tar.gz"
assert_contains "$T/stderr" "arca: error: .*broken.tar.gz"
assert_eq "$(ls "$ARCA_REPO/records/snapshot" | wc -l)" "$count" "record count"

test_case "unsafe names are recorded as found, with a warning"
mkdir -p "$T/h/x"
echo evil >"$T/h/x/evil.txt"
(cd "$T/h/x" && bsdtar -P -cf "$T/hostile.tar" ../x/evil.txt "$T/h/x/evil.txt")
expect_exit 0 arca snapshot "$T/hostile.tar"
assert_contains "$T/stderr" "unsafe name recorded as-is; restore will refuse it"
arca ls -R latest >"$T/hostile.list"
assert_contains "$T/hostile.list" '^\.\./'

done_testing
