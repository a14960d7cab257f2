#!/usr/bin/env bash
# Benchmark of the catalog: `arca dataset add` of the JSONL records file
# (validation against bench/records.schema.yaml and statistics included)
# against a plain `arca snapshot` of the same file, in the same run, each
# into a fresh repository with a cold stat cache and a warm page cache.
# Writes a table to stdout (bench/README.md, docs/performance.md).
#
# usage: bench/catalog.sh [--scale F] [--work DIR] [--arca PATH] [--runs N]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
scale=1 work="" arca="$here/../build/arca" runs=2

die() { echo "bench/catalog.sh: $*" >&2; exit 1; }
while [ $# -gt 0 ]; do
	case $1 in
	--scale) [ $# -ge 2 ] || die "--scale needs a value"; scale=$2; shift 2 ;;
	--work) [ $# -ge 2 ] || die "--work needs a value"; work=$2; shift 2 ;;
	--arca) [ $# -ge 2 ] || die "--arca needs a value"; arca=$2; shift 2 ;;
	--runs) [ $# -ge 2 ] || die "--runs needs a value"; runs=$2; shift 2 ;;
	*) die "unknown argument '$1'" ;;
	esac
done
[ -x "$arca" ] || die "no arca at '$arca' (build first)"
gen="$(dirname "$arca")/arca-bench-gen"
[ -x "$gen" ] || die "no arca-bench-gen at '$gen' (build first)"
work=${work:-$(mktemp -d "${TMPDIR:-/tmp}/arca-bench-cat.XXXXXX")}
mkdir -p "$work"
data="$work/data"
if [ ! -s "$data/records.jsonl" ]; then
	echo "generating the dataset (scale $scale) in $data" >&2
	"$gen" "$data" --scale "$scale" >/dev/null
fi
rec="$data/records.jsonl"
bytes=$(stat -c %s "$rec")
cat "$rec" >/dev/null # warm the page cache for both

# seconds of the command, from /usr/bin/time
timed() {
	/usr/bin/time -f '%e %M' -o "$work/time" "$@" >/dev/null 2>"$work/err" ||
		die "failed: $* ($(tail -3 "$work/err"))"
	cut -d' ' -f1 "$work/time"
}
best() { tr ' ' '\n' | grep . | sort -g | head -1; }

snap_t="" add_t=""
for r in $(seq 1 "$runs"); do
	rm -rf "$work/r-snap" "$work/r-add" "$work/cache"
	export ARCA_CACHE_DIR="$work/cache"
	"$arca" --repo "$work/r-snap" init -q >/dev/null
	snap_t="$snap_t $(timed "$arca" --repo "$work/r-snap" snapshot -q "$rec")"
	rm -rf "$work/cache"
	"$arca" --repo "$work/r-add" init -q >/dev/null
	"$arca" --repo "$work/r-add" dataset create -q events \
		--schema "$here/records.schema.yaml" >/dev/null
	add_t="$add_t $(timed "$arca" --repo "$work/r-add" dataset add -q events "$rec")"
done
rows=$("$arca" --repo "$work/r-add" dataset versions --json events |
	sed 's/.*"rows":\([0-9]*\).*/\1/')
s=$(echo "$snap_t" | best) a=$(echo "$add_t" | best)
awk -v b="$bytes" -v s="$s" -v a="$a" -v rows="$rows" -v runs="$runs" 'BEGIN {
	printf "| step | seconds (best of %d) | MB/s |\n|---|---|---|\n", runs
	printf "| arca snapshot records.jsonl | %.2f | %.1f |\n", s, b / s / 1e6
	printf "| arca dataset add (validate %d rows + statistics + snapshot) | %.2f | %.1f |\n", rows, a, b / a / 1e6
	printf "\ndataset add / snapshot speed: %.2f (goal >= 0.5); file %.0f MB\n", s / a, b / 1e6
}'
