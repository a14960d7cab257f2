#!/usr/bin/env bash
# arca verify: a clean repository, flipped bytes, a deleted chunk, --json,
# stray keys and unreferenced objects, standard-tools fixity, exit codes.
. "$(dirname "$0")/lib.sh"
require zstd sha256sum dd od stat
make_dataset "$T/data"
# The same small file in a second directory: one chunk, two paths.
mkdir -p "$T/data/copy"
cp "$T/data/sub/part-5.csv" "$T/data/copy/part-5-again.csv"
arca init >/dev/null

expect_exit 0 arca snapshot --json --dataset demo "$T/data"
snap=$(json_field id)
[ -n "$snap" ] || fail "no id in snapshot --json output"

objects() {
	find "$ARCA_REPO/objects" -type f | sort
}

# The object's id: its file name.
obj_id() {
	echo "sha256:$(basename "$1")"
}

# Every ERROR line of $T/stdout names object $1.
assert_errors_only_name() {
	local other
	other=$(grep '^ERROR ' "$T/stdout" |
		awk -v id="$1" '{ o = $3; sub(/:$/, "", o); if (o != id) print }' |
		head -3)
	[ -z "$other" ] || fail "ERROR lines naming another object: $other"
}

test_case "a clean repository has no problems"
expect_exit 0 arca verify
assert_contains "$T/stdout" '^verified [0-9]+ objects \([0-9.]+ MiB stored, [0-9.]+ MiB content\), 1 snapshot: no problems found$'
assert_not_contains "$T/stdout" '^(ERROR|WARNING|INFO) '
[ ! -s "$T/stderr" ] || fail "stderr is not empty: $(head -c 500 "$T/stderr")"
expect_exit 0 arca verify --no-read-data
assert_contains "$T/stdout" 'content not read\), 1 snapshot: no problems found$'
expect_exit 0 arca verify --read-data --threads 1
assert_contains "$T/stdout" 'no problems found$'

test_case "objects check out with zstd and sha256sum alone"
n=0
while read -r obj; do
	got=$(zstd -q -d <"$obj" | sha256sum | cut -c1-64)
	assert_eq "$got" "$(basename "$obj")" "object $obj"
	assert_eq "$(basename "$(dirname "$obj")")" "${got:0:2}" "prefix of $obj"
	n=$((n + 1))
done < <(objects)
[ "$n" -gt 20 ] || fail "only $n objects"
expect_exit 0 arca verify --json
assert_contains "$T/stdout" "\"objects\":$n,"

test_case "a flipped byte in any object is found and named"
mapfile -t all < <(objects)
RANDOM=4001
for trial in $(seq 1 30); do
	obj=${all[RANDOM % ${#all[@]}]}
	size=$(stat -c %s "$obj")
	off=$(( (RANDOM * 32768 + RANDOM) % size ))
	orig=$(od -An -tu1 -j "$off" -N1 "$obj" | tr -d ' ')
	mode=$(stat -c %a "$obj")
	chmod u+w "$obj"
	# Every bit of the byte flipped (a single bit could land on the one
	# bit of a zstd frame header that decoders ignore).
	printf "\\x$(printf %02x $((orig ^ 255)))" |
		dd of="$obj" bs=1 seek="$off" count=1 conv=notrunc status=none
	CURRENT="flipped byte, trial $trial: $obj offset $off"
	expect_exit 3 arca verify
	id=$(obj_id "$obj")
	assert_contains "$T/stdout" "^ERROR CORRUPT_OBJECT $id: "
	assert_errors_only_name "$id"
	assert_contains "$T/stdout" ': [1-9][0-9]* errors?, 0 warnings'
	printf "\\x$(printf %02x "$orig")" |
		dd of="$obj" bs=1 seek="$off" count=1 conv=notrunc status=none
	chmod "$mode" "$obj"
done
CURRENT="flipped bytes restored"
expect_exit 0 arca verify
assert_contains "$T/stdout" 'no problems found$'

test_case "a deleted chunk names the snapshot and every file using it"
sum=$(sha256sum <"$T/data/sub/part-5.csv" | cut -c1-64)
chunk="$ARCA_REPO/objects/${sum:0:2}/$sum"
[ -f "$chunk" ] || fail "no object for sub/part-5.csv ($sum)"
cp -p "$chunk" "$T/chunk.saved"
rm -f "$chunk"
expect_exit 3 arca verify
assert_contains "$T/stdout" "^ERROR MISSING_OBJECT sha256:$sum snapshot $snap path 'sub/part-5.csv': .* is missing$"
assert_contains "$T/stdout" "^ERROR MISSING_OBJECT sha256:$sum snapshot $snap path 'copy/part-5-again.csv': "
assert_eq "$(grep -c '^ERROR ' "$T/stdout")" 2 "number of ERROR lines"
assert_contains "$T/stdout" ': 2 errors, 0 warnings$'
expect_exit 3 arca verify --no-read-data
assert_eq "$(grep -c '^ERROR MISSING_OBJECT ' "$T/stdout")" 2 "without reading data"

test_case "--json gives one object per finding and a summary"
expect_exit 3 arca verify --json
assert_not_contains "$T/stdout" '^[^{]|[^}]$'
assert_eq "$(grep -c '"type":"finding"' "$T/stdout")" 2 "findings"
assert_contains "$T/stdout" "\"finding\":\"MISSING_OBJECT\""
assert_contains "$T/stdout" "\"object\":\"sha256:$sum\""
assert_contains "$T/stdout" "\"path\":\"copy/part-5-again.csv\""
assert_contains "$T/stdout" "\"snapshot\":\"$snap\""
assert_contains "$T/stdout" '"severity":"ERROR"'
tail -n 1 "$T/stdout" >"$T/last"
assert_contains "$T/last" '"type":"summary"'
assert_contains "$T/last" '"errors":2,'
assert_contains "$T/last" '"ok":false'
cp -p "$T/chunk.saved" "$chunk"
expect_exit 0 arca verify --json
assert_eq "$(wc -l <"$T/stdout" | tr -d ' ')" 1 "lines of a clean --json run"
assert_contains "$T/stdout" '^\{.*"errors":0,.*"ok":true.*"type":"summary".*\}$'

test_case "a stray key is a warning; unreferenced objects are INFO"
echo notes >"$ARCA_REPO/objects/zz-notes.txt"
printf 'not named by anything\n' >"$T/orphan"
osum=$(sha256sum <"$T/orphan" | cut -c1-64)
mkdir -p "$ARCA_REPO/objects/${osum:0:2}"
zstd -q --check -c "$T/orphan" >"$ARCA_REPO/objects/${osum:0:2}/$osum"
expect_exit 0 arca verify
assert_contains "$T/stdout" "^WARNING STRAY_KEY objects/zz-notes.txt: "
assert_not_contains "$T/stdout" '^INFO '
assert_contains "$T/stdout" ': 0 errors, 1 warning \(1 info\)$'
expect_exit 0 arca -v verify
assert_contains "$T/stdout" "^INFO UNREFERENCED_OBJECT sha256:$osum: "
rm -f "$ARCA_REPO/objects/zz-notes.txt" "$ARCA_REPO/objects/${osum:0:2}/$osum"
expect_exit 0 arca verify
assert_contains "$T/stdout" 'no problems found$'

test_case "a ref naming no record is an error"
cp "$ARCA_REPO/refs/datasets/demo" "$T/ref.saved"
echo "sha256:$sum" >"$ARCA_REPO/refs/datasets/demo"
expect_exit 3 arca verify
assert_contains "$T/stdout" "^ERROR BAD_REF refs/datasets/demo: ref 'datasets/demo' points at sha256:$sum, which is not a record$"
cp "$T/ref.saved" "$ARCA_REPO/refs/datasets/demo"

test_case "exit codes: no repository, usage"
expect_exit 1 arca --repo "$T/nothing-here" verify
assert_contains "$T/stderr" "^arca: error: no repository at"
expect_exit 2 arca verify --threads -1
expect_exit 2 arca verify --read-data --no-read-data
expect_exit 2 arca verify extra-argument
expect_exit 0 arca verify --help
assert_contains "$T/stdout" '^usage: arca verify'

done_testing
