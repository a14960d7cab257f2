#!/usr/bin/env bash
# Benchmark of push and pull against one local S3 server (s3rver, as the
# tests use it): `arca push` and `arca pull` of a repository made from
# arca-bench-gen's dataset, against `rclone copy` of the same repository
# files up and down, with the same concurrency (rclone --transfers N =
# arca --parallel N), each into a fresh prefix or directory. Writes a
# table to stdout (docs/performance.md).
#
# usage: bench/s3.sh [--scale F] [--parallel N] [--runs N] [--work DIR]
#                    [--arca PATH] [--out FILE]
# --out FILE: also write the table as the S3 section of FILE
# (docs/performance.md), replacing the section a previous run wrote.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
scale=1 parallel=8 runs=1 work="" arca="$here/../build/arca" out=""

die() { echo "bench/s3.sh: $*" >&2; exit 1; }
while [ $# -gt 0 ]; do
	case $1 in
	--scale) [ $# -ge 2 ] || die "--scale needs a value"; scale=$2; shift 2 ;;
	--parallel) [ $# -ge 2 ] || die "--parallel needs a value"; parallel=$2; shift 2 ;;
	--runs) [ $# -ge 2 ] || die "--runs needs a value"; runs=$2; shift 2 ;;
	--work) [ $# -ge 2 ] || die "--work needs a value"; work=$2; shift 2 ;;
	--arca) [ $# -ge 2 ] || die "--arca needs a value"; arca=$2; shift 2 ;;
	--out) [ $# -ge 2 ] || die "--out needs a value"; out=$2; shift 2 ;;
	*) die "unknown argument '$1'" ;;
	esac
done
case $parallel in ''|*[!0-9]*) die "bad --parallel '$parallel'" ;; esac
case $runs in ''|*[!0-9]*|0) die "bad --runs '$runs'" ;; esac
for t in rclone node npm /usr/bin/time; do
	command -v "$t" >/dev/null 2>&1 ||
		die "missing $t (apt-get install rclone nodejs npm time)"
done
[ -x "$arca" ] || die "no arca at '$arca' (build first)"
arca=$(cd "$(dirname "$arca")" && pwd)/$(basename "$arca")
gen="$(dirname "$arca")/arca-bench-gen"
[ -x "$gen" ] || die "no arca-bench-gen at '$gen' (build first)"
work=${work:-$(mktemp -d "${TMPDIR:-/tmp}/arca-bench-s3.XXXXXX")}
mkdir -p "$work"
work=$(cd "$work" && pwd)

# The tests' s3rver start and stop (tests/integration/lib_s3.sh), with
# what it expects of lib.sh; the server's data is in $T/s3.
T=$work
ARCA_SOURCE_DIR=$(cd "$here/.." && pwd)
fail() { die "$*"; }
require() { for t in "$@"; do command -v "$t" >/dev/null || die "missing $t"; done; }
cleanup() { rm -rf "$work/s3" "$work/pull-"* "$work/rclone-"*; }
. "$ARCA_SOURCE_DIR/tests/integration/lib_s3.sh"
s3_start bench
s3_env

data="$work/data" repo="$work/repo"
if [ ! -s "$data/records.jsonl" ]; then
	echo "generating the dataset (scale $scale) in $data" >&2
	rm -rf "$data"
	"$gen" "$data" --scale "$scale" >/dev/null
fi
if [ ! -f "$repo/config" ]; then
	echo "snapshotting it into $repo" >&2
	"$arca" --repo "$repo" init -q
	ARCA_CACHE_DIR="$work/cache" "$arca" --repo "$repo" snapshot -q --dataset bench "$data" >/dev/null
fi
# What both tools copy: the repository's keys (not its locks, not the
# client's catalog or remotes).
objects=$(cd "$repo" && find config objects records refs -type f | wc -l)
bytes=$(cd "$repo" && find config objects records refs -type f -printf '%s\n' |
	awk '{ s += $1 } END { print s }')

export RCLONE_CONFIG_S3R_TYPE=s3 RCLONE_CONFIG_S3R_PROVIDER=Other
export RCLONE_CONFIG_S3R_ENDPOINT="$S3_ENDPOINT" RCLONE_CONFIG_S3R_REGION=us-east-1
export RCLONE_CONFIG_S3R_ACCESS_KEY_ID=S3RVER RCLONE_CONFIG_S3R_SECRET_ACCESS_KEY=S3RVER
export RCLONE_CONFIG_S3R_FORCE_PATH_STYLE=true
# AWS_CA_BUNDLE is not for rclone (http here anyway). --fast-list: one
# recursive listing, as arca makes (s3rver 3.7 loses the common prefixes
# of a delimited listing that spans pages, so without it rclone copies
# down only the top-level files).
rclone_=(env -u AWS_CA_BUNDLE rclone --config /dev/null --transfers "$parallel"
	--checkers "$parallel" --fast-list --exclude 'locks/**'
	--exclude 'catalog.db*' --exclude 'remotes.json')

# seconds of the command, from /usr/bin/time
timed() {
	/usr/bin/time -f '%e %M' -o "$work/time" "$@" >"$work/out" 2>"$work/err" ||
		die "failed: $* ($(tail -3 "$work/err"))"
	cut -d' ' -f1 "$work/time"
}
best() { tr ' ' '\n' | grep . | sort -g | head -1; }

ap="" al="" rp="" rl=""
for r in $(seq 1 "$runs"); do
	ap="$ap $(timed "$arca" --repo "$repo" push -q --parallel "$parallel" "s3://bench/arca-$r")"
	rm -rf "$work/pull-$r"
	al="$al $(timed "$arca" --repo "$work/pull-$r" pull -q --parallel "$parallel" "s3://bench/arca-$r")"
	"$arca" --repo "$work/pull-$r" verify -q >/dev/null ||
		die "the pulled repository does not verify"
	rp="$rp $(timed "${rclone_[@]}" copy "$repo" "s3r:bench/rclone-$r")"
	rm -rf "$work/rclone-$r"
	rl="$rl $(timed "${rclone_[@]}" copy "s3r:bench/rclone-$r" "$work/rclone-$r")"
	[ "$(cd "$work/rclone-$r" && find . -type f | wc -l)" = "$objects" ] ||
		die "rclone copied back another number of files"
	rm -rf "$work/pull-$r" "$work/rclone-$r"
done
ap=$(echo "$ap" | best) al=$(echo "$al" | best)
rp=$(echo "$rp" | best) rl=$(echo "$rl" | best)

table() {
awk -v n="$objects" -v b="$bytes" -v ap="$ap" -v al="$al" -v rp="$rp" \
	-v rl="$rl" -v runs="$runs" -v p="$parallel" 'BEGIN {
	printf "| step (%d in flight) | seconds (best of %d) | objects/s | MB/s |\n", p, runs
	printf "|---|---:|---:|---:|\n"
	printf "| arca push | %.2f | %.0f | %.1f |\n", ap, n / ap, b / ap / 1e6
	printf "| rclone copy up | %.2f | %.0f | %.1f |\n", rp, n / rp, b / rp / 1e6
	printf "| arca pull | %.2f | %.0f | %.1f |\n", al, n / al, b / al / 1e6
	printf "| rclone copy down | %.2f | %.0f | %.1f |\n", rl, n / rl, b / rl / 1e6
	printf "\narca / rclone speed: push %.2f, pull %.2f; %d objects, %.1f MB stored\n",
		rp / ap, rl / al, n, b / 1e6
}'
}
table
echo "(dataset and repository kept in $work for the next run)" >&2
[ -n "$out" ] || exit 0
section() {
	echo '<!-- bench/s3.sh -->'
	echo '## Push and pull: arca against rclone on S3'
	echo
	echo "Generated by \`bench/s3.sh --scale $scale --parallel $parallel --runs $runs\`"
	echo "on $(date -u +%Y-%m-%d) ($(nproc) cores): one local s3rver $S3RVER_VERSION (Node.js,"
	echo "path-style, http on loopback) serves both tools. \`arca push\` copies"
	echo "a repository of arca-bench-gen's dataset (every object decoded and"
	echo "hashed on the way) to a fresh prefix and \`arca pull\` copies it into an"
	echo "empty directory (then \`arca verify\` checks it, untimed); \`rclone copy\`"
	echo "copies the same files (config, objects, records, refs) up to another"
	echo "prefix and back down, with \`--transfers\` and \`--checkers\` equal to"
	echo "arca's \`--parallel\` and \`--fast-list\` (one recursive listing, as arca"
	echo "lists). Objects/s and MB/s count those $objects files"
	echo "and their bytes. The server shares the machine's cores with the client."
	echo
	table
	echo '<!-- /bench/s3.sh -->'
}
{
	if [ -f "$out" ] && grep -q '^<!-- bench/s3.sh -->$' "$out"; then
		# replace our section where it is
		sed '/^<!-- bench\/s3.sh -->$/,$d' "$out"
		section
		sed '1,/^<!-- \/bench\/s3.sh -->$/d' "$out"
	elif [ -f "$out" ] && grep -q '^<!-- bench/catalog.sh -->$' "$out"; then
		# before the catalog's section, which runs to the end of the file
		sed '/^<!-- bench\/catalog.sh -->$/,$d' "$out"
		section
		echo
		sed -n '/^<!-- bench\/catalog.sh -->$/,$p' "$out"
	else
		[ -f "$out" ] && cat "$out" && echo
		section
	fi
} >"$out.tmp"
mv "$out.tmp" "$out"
