# Shared harness for arca's integration tests (sourced by tNNNN-*.sh).
# Each script gets a fresh temp dir $T with ARCA_REPO=$T/repo and its own
# stat cache; it runs the real binary ($ARCA, set by CTest) and asserts
# exit codes, output and repository state. A missing tool fails the test:
# nothing is skipped.
set -euo pipefail

: "${ARCA:?ARCA must point at the arca binary (CTest sets it)}"
ARCA_SOURCE_DIR=${ARCA_SOURCE_DIR:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
T=$(mktemp -d "${TMPDIR:-/tmp}/arca-it.XXXXXX")
export ARCA_REPO="$T/repo"
export ARCA_CACHE_DIR="$T/cache"
# The developer's own arca config (a signing key, a trust policy) must
# not leak into the tests.
export XDG_CONFIG_HOME="$T/.xdg-config"
unset ARCA_SIGNING_KEY ARCA_TRUST_POLICY ARCA_WORK_DIR
export LC_ALL=C
TESTS_RUN=0
TESTS_FAILED=0
CURRENT="(setup)"

cleanup() {
	chmod -R u+rwX "$T" 2>/dev/null || true
	rm -rf "$T"
}
trap cleanup EXIT

fail() {
	echo "FAIL [$CURRENT]: $*" >&2
	if [ -s "$T/stderr" ]; then
		echo "--- stderr of the last command:" >&2
		head -c 4000 "$T/stderr" >&2
	fi
	exit 1
}

# test_case NAME: starts a named case (for messages and the summary).
test_case() {
	CURRENT=$1
	TESTS_RUN=$((TESTS_RUN + 1))
}

require() {
	for tool in "$@"; do
		command -v "$tool" >/dev/null 2>&1 ||
			fail "required tool '$tool' is missing (run packaging/install-deps.sh)"
	done
}

arca() {
	"$ARCA" "$@"
}

# expect_exit CODE CMD...: runs CMD with stdout in $T/stdout and stderr in
# $T/stderr; fails unless it exits with CODE.
expect_exit() {
	local want=$1 got=0
	shift
	"$@" >"$T/stdout" 2>"$T/stderr" || got=$?
	if [ "$got" -ne "$want" ]; then
		fail "expected exit $want, got $got from: $*"
	fi
}

# assert_contains FILE REGEX / assert_not_contains FILE REGEX
assert_contains() {
	grep -Eq -- "$2" "$1" || fail "'$1' does not match /$2/: $(head -c 2000 "$1")"
}
assert_not_contains() {
	if grep -Eq -- "$2" "$1"; then fail "'$1' matches /$2/: $(grep -E -- "$2" "$1" | head -5)"; fi
}
assert_eq() {
	[ "$1" = "$2" ] || fail "${3:-values differ}: '$1' != '$2'"
}

# Compares two trees: names, types, contents, modes and mtimes of files
# and dirs, symlink targets.
assert_same_tree() {
	local a=$1 b=$2
	(cd "$a" && find . -printf '%p %y %m %l\n' | sort) >"$T/tree.a"
	(cd "$b" && find . -printf '%p %y %m %l\n' | sort) >"$T/tree.b"
	diff -u "$T/tree.a" "$T/tree.b" >&2 || fail "trees differ: $a $b"
	(cd "$a" && find . -type f -o -type l | sort | while read -r f; do
		[ -L "$f" ] || echo "$(sha256sum <"$f" | cut -c1-64) $(stat -c %Y "$f") $f"
	done) >"$T/sum.a"
	(cd "$b" && find . -type f -o -type l | sort | while read -r f; do
		[ -L "$f" ] || echo "$(sha256sum <"$f" | cut -c1-64) $(stat -c %Y "$f") $f"
	done) >"$T/sum.b"
	diff -u "$T/sum.a" "$T/sum.b" >&2 || fail "file contents or mtimes differ: $a $b"
}

# make_dataset DIR: a small deterministic tree with text, binary, nested
# dirs, an empty file, an executable and a symlink.
make_dataset() {
	local d=$1
	mkdir -p "$d/sub/deeper" "$d/empty-dir"
	for i in $(seq 1 20); do
		printf 'row %d,value %d,label %s\n' $(seq 1 $((i * 50))) | head -c $((i * 700)) >"$d/sub/part-$i.csv"
	done
	head -c 300000 /dev/zero | tr '\0' 'x' >"$d/big-text.txt"
	dd if=/dev/urandom of="$d/sub/deeper/blob.bin" bs=1k count=700 status=none
	: >"$d/empty.txt"
	printf '#!/bin/sh\necho hi\n' >"$d/run.sh"
	chmod 755 "$d/run.sh"
	chmod 600 "$d/sub/part-3.csv"
	ln -s sub/part-1.csv "$d/link-to-part1"
	touch -d '2024-01-02 03:04:05' "$d/empty.txt"
}

# backdate DIR: every entry's mtime an hour ago, outside the stat cache's
# racy-clean window (files written within 2 s of a snapshot are read again
# by the next one).
backdate() {
	find "$1" -exec touch -h -d '1 hour ago' {} +
}

# snapshot_id: the id printed by the last `arca snapshot --json` in $T/stdout.
json_field() {
	sed -n 's/.*"'"$1"'":"\([^"]*\)".*/\1/p' "${2:-$T/stdout}" | head -1
}

# done_testing: prints the plain summary line CTest logs keep.
done_testing() {
	echo "$TESTS_RUN passed, 0 failed"
}
