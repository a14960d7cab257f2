#!/usr/bin/env bash
# Hostile archives: names that climb out ("../x", "a/../../x"), absolute
# names, and a symlink followed by a file through it. The test builds them
# itself with bsdtar (tar and zip), snapshots them in place (names are
# recorded as found), and checks that restore refuses each one before
# writing anything, to a directory and as a tar stream.
. "$(dirname "$0")/lib.sh"
require bsdtar
abs=/tmp/abs-evil-$$
trap 'rm -rf "$abs"; cleanup' EXIT
arca init >/dev/null

mkdir -p "$T/src" "$T/outside" "$T/ln1" "$T/ln2/link"
echo evil >"$T/src/evil.txt"
ln -s "$T/outside" "$T/ln1/link"
echo through >"$T/ln2/link/file"

# hostile NAME ARCHIVE-NAME: evil.txt stored under ARCHIVE-NAME.
hostile() {
	(cd "$T/src" && bsdtar -P -s ",^evil.txt\$,$2," -cf "$T/$1.tar" \
		evil.txt) || fail "bsdtar cannot build $1.tar"
	(cd "$T/src" && bsdtar --format zip -P -s ",^evil.txt\$,$2," \
		-cf "$T/$1.zip" evil.txt) || fail "bsdtar cannot build $1.zip"
	bsdtar -tf "$T/$1.tar" >"$T/list"
	assert_eq "$(cat "$T/list")" "$2" "name in $1.tar"
	bsdtar -tf "$T/$1.zip" >"$T/list"
	assert_eq "$(cat "$T/list")" "$2" "name in $1.zip"
}

test_case "building the hostile archives"
hostile dotdot ../evil.txt
hostile abs "$abs"
hostile nested a/../../evil2
# A symlink to outside, then a file through it: two appended runs.
(cd "$T/ln1" && bsdtar -cf "$T/linkfile.tar" link)
(cd "$T/ln2" && bsdtar -rf "$T/linkfile.tar" link/file)
bsdtar --format zip -cf "$T/linkfile.zip" @"$T/linkfile.tar"
for f in linkfile.tar linkfile.zip; do
	bsdtar -tvf "$T/$f" >"$T/list"
	assert_contains "$T/list" "^l.* link -> $T/outside\$"
	assert_contains "$T/list" " link/file\$"
done

# Nothing may exist outside the target, and the target must be empty or
# absent.
nothing_written() {
	[ ! -e "$T/evil.txt" ] || fail "$T/evil.txt was written"
	[ ! -e "$T/evil2" ] || fail "$T/evil2 was written"
	[ ! -e "$abs" ] || fail "$abs was written"
	[ ! -e "$T/outside/file" ] || fail "a file was written through the link"
	[ -z "$(ls -A "$T/outside")" ] || fail "$T/outside is not empty"
	if [ -e "$T/out" ]; then
		[ -z "$(ls -A "$T/out")" ] || fail "$T/out is not empty: $(ls -A "$T/out")"
	fi
	[ ! -e "$T/out.tar" ] && [ ! -e "$T/out.tar.tmp" ] ||
		fail "a refused tar restore left a file"
}

for a in dotdot.tar dotdot.zip abs.tar abs.zip nested.tar nested.zip \
	linkfile.tar linkfile.zip; do
	test_case "$a: recorded as found, restore refuses it"
	expect_exit 0 arca snapshot --json "$T/$a"
	id=$(json_field id)
	[ -n "$id" ] || fail "no snapshot id"
	expect_exit 1 arca restore "$id" "$T/out"
	assert_contains "$T/stderr" "^arca: error: refusing to restore '"
	nothing_written
	expect_exit 1 arca restore "$id" --format tar -o "$T/out.tar"
	assert_contains "$T/stderr" "refusing"
	nothing_written
	expect_exit 1 arca restore "$id" --format tar -o -
	assert_contains "$T/stderr" "refusing"
	[ ! -s "$T/stdout" ] || fail "a refused tar stream wrote bytes"
	# An existing, empty target stays empty.
	mkdir "$T/out"
	expect_exit 1 arca restore "$id" "$T/out"
	nothing_written
	rmdir "$T/out"
done

test_case "messages name the entry"
expect_exit 0 arca snapshot --json "$T/nested.tar"
expect_exit 1 arca restore "$(json_field id)" "$T/out"
assert_contains "$T/stderr" "'a/\.\./\.\./evil2': entry name '\.\.' would escape the target"
expect_exit 0 arca snapshot --json "$T/linkfile.tar"
expect_exit 1 arca restore "$(json_field id)" "$T/out"
assert_contains "$T/stderr" "'link': the name appears twice"

test_case "a subpath below a hostile name is refused too"
expect_exit 0 arca snapshot --json "$T/nested.tar"
expect_exit 1 arca restore "$(json_field id):a" "$T/out"
assert_contains "$T/stderr" "refusing"
nothing_written

test_case "a safe entry next to them still restores on its own"
mkdir -p "$T/mixed"
echo fine >"$T/mixed/fine.txt"
(cd "$T/mixed" && bsdtar -cf "$T/mixed.tar" fine.txt)
(cd "$T/src" && bsdtar -P -s ',^evil.txt$,../evil.txt,' -rf \
	"$T/mixed.tar" evil.txt)
expect_exit 0 arca snapshot --json "$T/mixed.tar"
id=$(json_field id)
expect_exit 1 arca restore "$id" "$T/out"
nothing_written
expect_exit 0 arca restore "$id:fine.txt" "$T/out"
assert_eq "$(cat "$T/out/fine.txt")" "fine"
[ ! -e "$T/evil.txt" ] || fail "$T/evil.txt was written"

done_testing
