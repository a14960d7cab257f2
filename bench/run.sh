#!/usr/bin/env bash
# bench/run.sh: compare arca with restic, borg and tar|zstd on one machine,
# in one run, and write a Markdown report.  Run by hand; see bench/README.md.
#
# usage: bench/run.sh [--scale F] [--work DIR] [--arca PATH] [--out FILE]
#                     [--gen PATH] [--skip-arca] [--keep]
set -euo pipefail

src_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
scale=1
work=/tmp/arca-bench
arca=$src_root/build/arca
out=$src_root/docs/performance.md
gen=
skip_arca=0
keep=0

usage() {
	cat <<EOF
usage: bench/run.sh [options]
  --scale F     dataset scale (1 = about 2 GiB; 0.01 for a quick trial)
  --work DIR    scratch directory (default /tmp/arca-bench); the script
                only creates and deletes data, repo-*, cache-*, borg-base,
                restore, bench.log and *.txt files inside it
  --arca PATH   arca binary (default build/arca)
  --gen PATH    arca-bench-gen (default: next to arca, else from PATH)
  --out FILE    report (default docs/performance.md)
  --skip-arca   leave arca out (while it is not usable yet)
  --keep        keep the dataset and repositories at the end
EOF
	exit 2
}

die() {
	printf 'run.sh: %s\n' "$*" >&2
	exit 1
}

while [ $# -gt 0 ]; do
	case $1 in
	--scale) [ $# -ge 2 ] || usage; scale=$2; shift 2 ;;
	--work) [ $# -ge 2 ] || usage; work=$2; shift 2 ;;
	--arca) [ $# -ge 2 ] || usage; arca=$2; shift 2 ;;
	--gen) [ $# -ge 2 ] || usage; gen=$2; shift 2 ;;
	--out) [ $# -ge 2 ] || usage; out=$2; shift 2 ;;
	--skip-arca) skip_arca=1; shift ;;
	--keep) keep=1; shift ;;
	-h|--help) usage ;;
	*) usage ;;
	esac
done

awk -v s="$scale" 'BEGIN { exit !(s + 0 > 0 && s ~ /^[0-9.eE+-]+$/) }' ||
	die "bad --scale '$scale'"

# ------------------------------------------------------------ requirements

missing=
for t in restic borg zstd tar awk du find sort cksum; do
	command -v "$t" >/dev/null 2>&1 || missing="$missing $t"
done
[ -x /usr/bin/time ] || missing="$missing /usr/bin/time(package time)"
[ -z "$missing" ] || die "missing required tools:$missing"
case $(borg --version 2>/dev/null) in
"borg 1."*) ;;
*) die "need borg 1.x (borgbackup 1.2), found: $(borg --version 2>&1)" ;;
esac

abspath() {
	case $1 in
	/*) printf '%s\n' "$1" ;;
	*) printf '%s/%s\n' "$PWD" "$1" ;;
	esac
}
arca=$(abspath "$arca")
out=$(abspath "$out")
work=$(abspath "$work")

if [ "$skip_arca" = 0 ]; then
	[ -x "$arca" ] || die "arca binary '$arca' not found or not" \
		"executable (build it, pass --arca PATH, or --skip-arca)"
	arca_version=$("$arca" --version 2>&1) ||
		die "'$arca --version' failed: $arca_version"
else
	arca_version="skipped"
fi

if [ -z "$gen" ]; then
	if [ -x "$(dirname "$arca")/arca-bench-gen" ]; then
		gen=$(dirname "$arca")/arca-bench-gen
	elif command -v arca-bench-gen >/dev/null 2>&1; then
		gen=$(command -v arca-bench-gen)
	else
		die "arca-bench-gen not found next to $arca nor in PATH" \
			"(cmake --build build --target arca-bench-gen)"
	fi
fi
gen=$(abspath "$gen")
[ -x "$gen" ] || die "arca-bench-gen '$gen' is not executable"

tools="restic borg tarzstd"
[ "$skip_arca" = 1 ] || tools="arca $tools"

mkdir -p "$work" "$(dirname "$out")"
data=$work/data
restore=$work/restore
log=$work/bench.log
changes=$work/v2-changes.txt
manifest=$work/v1-manifest.txt
tfile=$work/time.txt
sfile=$work/stdout.txt
rm -rf "$data" "$restore" "$work"/repo-* "$work"/cache-* "$work"/borg-base
rm -f "$changes" "$manifest" "$tfile" "$sfile"
: >"$log"

export RESTIC_PASSWORD=bench
export RESTIC_CACHE_DIR=$work/cache-restic
export BORG_BASE_DIR=$work/borg-base
export BORG_UNKNOWN_UNENCRYPTED_REPO_ACCESS_IS_OK=yes
export BORG_RELOCATED_REPO_ACCESS_IS_OK=yes
export BORG_DELETE_I_KNOW_WHAT_I_AM_DOING=YES

on_exit() {
	local rc=$?
	if [ "$rc" != 0 ]; then
		echo "run.sh: failed (exit $rc); last lines of $log:" >&2
		tail -n 20 "$log" >&2 || true
	fi
}
trap on_exit EXIT

logmsg() {
	printf '%s %s\n' "$(date -u +%H:%M:%S)" "$*" >>"$log"
}

say() {
	printf '%s\n' "$*"
	logmsg "== $*"
}

# run CMD...: runs a command that is not measured, logging it.
run() {
	logmsg "\$ $(printf '%q ' "$@")"
	"$@" >>"$log" 2>&1 || die "command failed: $*"
}

# measure KEY CMD...: runs CMD under /usr/bin/time and stores its elapsed
# seconds in secs[KEY] and peak RSS (KiB) in rss[KEY].  CMD's stdout is
# kept in $sfile (and copied to the log), stderr goes to the log.
declare -A secs rss val
measure() {
	local key=$1 rc=0 e m
	shift
	logmsg "[$key] \$ $(printf '%q ' "$@")"
	/usr/bin/time -o "$tfile" -f '%e %M' "$@" >"$sfile" 2>>"$log" ||
		rc=$?
	head -c 65536 "$sfile" >>"$log"
	if [ "$rc" != 0 ]; then
		cat "$tfile" >>"$log" 2>/dev/null || true
		die "[$key] failed with exit status $rc: $*"
	fi
	read -r e m < <(tail -n 1 "$tfile")
	secs[$key]=$e
	rss[$key]=$m
	logmsg "[$key] elapsed ${e} s, peak RSS ${m} KiB"
}

dusize() {
	du -sb "$1" | awk '{ print $1 }'
}

# manifest DIR: one "crc size path" line per file (cksum), paths relative
# to DIR; enough to catch a wrong restore, and fast.
manifest() {
	(cd "$1" && find . -type f -print0 | LC_ALL=C sort -z |
		xargs -0 -r cksum)
}

# check_restore TOOL: compares what landed in $restore with the v1 tree.
check_restore() {
	local root
	root=$(find "$restore" -name records.jsonl -type f | head -n 1)
	if [ -z "$root" ]; then
		val[$1:restore_ok]="no records.jsonl in the restored tree"
	elif manifest "$(dirname "$root")" | cmp -s - "$manifest"; then
		val[$1:restore_ok]=ok
	else
		val[$1:restore_ok]="restored files differ from v1"
	fi
	logmsg "[$1] restore check: ${val[$1:restore_ok]}"
	[ "${val[$1:restore_ok]}" = ok ] ||
		echo "run.sh: warning: $1 restore: ${val[$1:restore_ok]}" >&2
}

# arca_id: the snapshot id from "arca snapshot --json" output in $sfile.
arca_id() {
	local id=
	if command -v jq >/dev/null 2>&1; then
		id=$(jq -r '.id // empty' <"$sfile" 2>/dev/null || true)
	fi
	if [ -z "$id" ]; then
		id=$(grep -o '"id"[[:space:]]*:[[:space:]]*"sha256:[0-9a-f]*"' \
			"$sfile" | head -n 1 |
			sed 's/.*"\(sha256:[0-9a-f]*\)"/\1/')
	fi
	[ -n "$id" ] || die "no \"id\" in arca snapshot --json output:" \
		"$(head -c 300 "$sfile")"
	printf '%s\n' "$id"
}

# Pipelines run under /usr/bin/time as "bash -c SCRIPT NAME ARGS...".
# shellcheck disable=SC2016
tar_c='set -o pipefail; tar -C "$1" -cf - data | zstd -q -T2 -3 -o "$2"'
# shellcheck disable=SC2016
tar_x='set -o pipefail; zstd -q -d -T2 -c "$1" | tar -C "$2" -xf -'
# shellcheck disable=SC2016
borg_x='cd "$1" && borg extract "$2"'

t_start=$(date +%s)

# ----------------------------------------------------------------- dataset

say "generating v1 dataset (scale $scale) in $data"
run "$gen" "$data" --scale "$scale"
data_bytes=$(dusize "$data")
data_files=$(find "$data" -type f | wc -l)
data_apparent=$(find "$data" -type f -printf '%s\n' |
	awk '{ s += $1 } END { printf "%.0f", s }')
say "dataset: $data_bytes bytes (du -sb), $data_files files"
# Hashing every file also reads the whole dataset into the page cache, so
# every tool starts from the same warm cache.
manifest "$data" >"$manifest"

# ------------------------------------------- phase 1: v1 snapshots (all)

for t in $tools; do
	r=$work/repo-$t
	if [ "$t" = tarzstd ]; then
		say "$t: initial backup of v1"
	else
		say "$t: initial and unchanged snapshots of v1"
	fi
	case $t in
	arca)
		run "$arca" init --repo "$r"
		measure arca:init1 "$arca" snapshot --repo "$r" --json "$data"
		val[arca:v1id]=$(arca_id)
		logmsg "arca v1 snapshot id ${val[arca:v1id]}"
		measure arca:snap2 "$arca" snapshot --repo "$r" --json "$data"
		;;
	restic)
		run restic -r "$r" init
		val[restic:repover]=$(restic -r "$r" cat config |
			sed -n 's/.*"version": *\([0-9]*\).*/\1/p')
		measure restic:init1 restic -r "$r" backup --tag v1 "$data"
		measure restic:snap2 restic -r "$r" backup --tag v1again \
			"$data"
		;;
	borg)
		run borg init --encryption=none "$r"
		measure borg:init1 borg create --compression zstd,3 \
			"$r::v1" "$data"
		measure borg:snap2 borg create --compression zstd,3 \
			"$r::v1again" "$data"
		;;
	tarzstd)
		mkdir -p "$r"
		measure tarzstd:init1 bash -c "$tar_c" tar "$work" \
			"$r/data.tar.zst"
		;;
	esac
	val[$t:repo1]=$(dusize "$r")
done

# ------------------------------------------------------------ apply v2

say "applying v2 to the dataset"
run "$gen" "$data" --v2 --scale "$scale" --changes "$changes"
data2_bytes=$(dusize "$data")
# Floor: the changed content alone, each piece compressed with zstd -3.
floor=0
while read -r kind path off; do
	case $kind in
	append)
		n=$(tail -c +"$((off + 1))" "$data/$path" | zstd -q -3 -c |
			wc -c) ;;
	modify|add)
		n=$(zstd -q -3 -c "$data/$path" | wc -c) ;;
	*)
		die "bad line in $changes: $kind $path" ;;
	esac
	floor=$((floor + n))
done <"$changes"
n_mod=$(grep -c '^modify ' "$changes" || true)
n_add=$(grep -c '^add ' "$changes" || true)
say "v2: dataset now $data2_bytes bytes; floor $floor bytes"

# ------------------------- phase 2: v2 snapshot, verify, restore (each)

for t in $tools; do
	r=$work/repo-$t
	before=$(dusize "$r")
	rm -rf "$restore"
	mkdir -p "$restore"
	if [ "$t" = tarzstd ]; then
		say "$t: restore"
	else
		say "$t: v2 snapshot, verify, restore v1"
	fi
	case $t in
	arca)
		measure arca:snapv2 "$arca" snapshot --repo "$r" --json "$data"
		val[arca:v2bytes]=$(($(dusize "$r") - before))
		measure arca:verify "$arca" verify --repo "$r"
		measure arca:restore "$arca" restore --repo "$r" \
			"${val[arca:v1id]}" "$restore"
		;;
	restic)
		measure restic:snapv2 restic -r "$r" backup --tag v2 "$data"
		val[restic:v2bytes]=$(($(dusize "$r") - before))
		measure restic:verify restic -r "$r" check --read-data
		measure restic:restore restic -r "$r" restore latest \
			--tag v1 --target "$restore"
		;;
	borg)
		measure borg:snapv2 borg create --compression zstd,3 \
			"$r::v2" "$data"
		val[borg:v2bytes]=$(($(dusize "$r") - before))
		measure borg:verify borg check --verify-data "$r"
		measure borg:restore bash -c "$borg_x" borg "$restore" \
			"$r::v1"
		;;
	tarzstd)
		measure tarzstd:restore bash -c "$tar_x" tar \
			"$r/data.tar.zst" "$restore"
		;;
	esac
	check_restore "$t"
	rm -rf "$restore"
	[ "$keep" = 1 ] || rm -rf "$r"
done
[ "$keep" = 1 ] || rm -rf "$data" "$work"/cache-* "$work/borg-base"
t_total=$(($(date +%s) - t_start))

# ------------------------------------------------------------------ report

cpu=$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo)
cpu=${cpu:-unknown}
sha_ni=no
grep -qw sha_ni /proc/cpuinfo && sha_ni=yes
mem=$(awk '/^MemTotal/ { printf "%.1f GiB", $2 / 1048576 }' /proc/meminfo)
fs=$(df -T "$work" | awk 'NR == 2 { print $2 }')

# Everything the report needs, as "key value" lines for awk.
facts() {
	local k
	printf 'data_bytes %s\n' "$data_bytes"
	printf 'floor %s\n' "$floor"
	for k in "${!secs[@]}"; do
		printf 'secs:%s %s\n' "$k" "${secs[$k]}"
		printf 'rss:%s %s\n' "$k" "${rss[$k]}"
	done
	for k in "${!val[@]}"; do
		printf 'val:%s %s\n' "$k" "${val[$k]// /_}"
	done
}

# The tables of the report, from the "key value" lines of facts().
# shellcheck disable=SC2016
report_awk='
{ v[$1] = $2 }

function has(k) { return (k in v) && v[k] != "" }
function s(t, step) { return v["secs:" t ":" step] + 0 }

# Dataset MB per second; 0.00 s (below the resolution) counts as 0.01.
function rate(t, step,   x) {
	x = s(t, step)
	return v["data_bytes"] / 1e6 / (x < 0.01 ? 0.01 : x)
}

function cell_rate(t, step) {
	if (!has("secs:" t ":" step))
		return "-"
	return sprintf("%.1f", rate(t, step))
}

function cell_secs(t, step) {
	if (!has("secs:" t ":" step))
		return "-"
	return sprintf("%.2f", s(t, step))
}

function cell_mb(k) {
	return has(k) ? sprintf("%.2f", v[k] / 1e6) : "-"
}

# Largest peak RSS of all steps of tool t, in MiB.
function peak(t,   k, m, p) {
	m = 0
	p = "rss:" t ":"
	for (k in v)
		if (index(k, p) == 1 && v[k] + 0 > m)
			m = v[k] + 0
	return m / 1024
}

function goal(what, measured, target, ok) {
	printf "| %s | %s | %s | %s |\n", what, measured, target,
	    ok ? "met" : "**missed**"
}

END {
	name["arca"] = "arca"
	name["restic"] = "restic"
	name["borg"] = "borg"
	name["tarzstd"] = "tar \\| zstd -3 -T2"
	printf "| tool | initial snapshot MB/s | unchanged re-snapshot s |"
	printf " bytes added by v2 (MB) | verify MB/s | restore MB/s |"
	printf " peak RSS MiB | repo after v1 (MB) |\n"
	printf "|---|---:|---:|---:|---:|---:|---:|---:|\n"
	if (skip_arca)
		printf "| arca | skipped | | | | | | |\n"
	n = split(tools, ts, " ")
	for (i = 1; i <= n; i++) {
		t = ts[i]
		r = cell_rate(t, "restore")
		if (has("val:" t ":restore_ok") &&
		    v["val:" t ":restore_ok"] != "ok")
			r = r " (WRONG OUTPUT)"
		printf "| %s | %s | %s | %s | %s | %s | %.1f | %s |\n",
		    name[t], cell_rate(t, "init1"), cell_secs(t, "snap2"),
		    cell_mb("val:" t ":v2bytes"), cell_rate(t, "verify"), r,
		    peak(t), cell_mb("val:" t ":repo1")
	}
	printf "| floor: changed content, zstd -3 | | | %.2f | | | | |\n",
	    v["floor"] / 1e6

	printf "\n## Goals\n\n"
	if (skip_arca) {
		printf "arca was skipped (`--skip-arca`): no goals evaluated.\n"
		exit
	}
	printf "| goal | measured | target | status |\n"
	printf "|---|---:|---:|---|\n"

	x = rate("arca", "init1") / rate("restic", "init1")
	goal("initial snapshot vs restic", sprintf("%.2fx", x), ">= 1.5x",
	    x >= 1.5)
	x = rate("arca", "init1") / rate("tarzstd", "init1")
	goal("initial snapshot vs tar \\| zstd", sprintf("%.2fx", x),
	    ">= 0.70x", x >= 0.70)

	a = s("arca", "snap2")
	goal("unchanged re-snapshot", sprintf("%.2f s", a), "< 0.3 s",
	    a < 0.3)
	x = s("restic", "snap2") / (a < 0.01 ? 0.01 : a)
	goal("unchanged re-snapshot vs restic",
	    sprintf("%.1fx faster", x), ">= 5x faster", x >= 5)

	a = v["val:arca:v2bytes"] + 0
	b = v["val:restic:v2bytes"] + 0
	x = b > 0 ? a / b : 0
	goal("bytes added by v2 vs restic", sprintf("%.2fx", x), "<= 1.0x",
	    b > 0 && x <= 1.0)
	b = v["floor"] + 0
	x = b > 0 ? a / b : 0
	goal("bytes added by v2 vs floor", sprintf("%.2fx", x), "<= 1.2x",
	    b > 0 && x <= 1.2)

	x = rate("arca", "verify") / rate("restic", "verify")
	goal("verify vs restic check --read-data", sprintf("%.2fx", x),
	    ">= 2x", x >= 2)

	x = rate("arca", "restore") / rate("restic", "restore")
	ok = v["val:arca:restore_ok"] == "ok"
	goal("restore vs restic", sprintf("%.2fx%s", x,
	    ok ? "" : " (output wrong)"), ">= 1.5x", ok && x >= 1.5)

	x = peak("arca")
	goal("peak RSS", sprintf("%.1f MiB", x), "< 64 MiB", x < 64)
}
'

tmp_out=$out.tmp.$$
{
	cat <<EOF
# Performance

Generated by \`bench/run.sh --scale $scale\` on
$(date -u '+%Y-%m-%d %H:%M UTC') (total run time $t_total s).  Do not edit
by hand; rerun the script (see bench/README.md).

## Machine

| | |
|---|---|
| CPUs (nproc) | $(nproc) |
| CPU model | $cpu |
| sha_ni in CPU flags | $sha_ni |
| memory | $mem |
| kernel | $(uname -sr) |
| filesystem of work dir | $fs ($work) |
| arca | $(printf '%s' "$arca_version" | head -n 1) |
| restic | $(restic version | head -n 1) |
| borg | $(borg --version) |
| zstd | $(zstd --version | sed 's/^[* ]*//; s/[* ]*$//') |

## Dataset

Made by \`arca-bench-gen --scale $scale\`: $data_files files,
$data_apparent bytes of file content, $data_bytes bytes by \`du -sb\`:
records.jsonl (JSONL churn events) plus small files in nested folders,
half text (CSV/JSON/Markdown) and half incompressible (.jpg/.png).
v2 (\`--v2\`) appends 1% more records, modifies $n_mod files and adds
$n_add ($data2_bytes bytes by \`du -sb\` after v2).

The dataset is in the page cache for every tool: hashing it after
generation reads all of it, and all tools read the same warm data.  The
page cache is not dropped (that needs root).  Repositories and restores
are on the same filesystem as the data.

## Results

Steps, in this order: every tool snapshots v1, then snapshots it again
unchanged; v2 is applied; then every tool snapshots v2, verifies its
repository and restores the v1 snapshot into an empty directory.

- arca: \`init\`, \`snapshot --json\`, \`verify\`, \`restore\`.
- restic: \`init\` (repository version ${val[restic:repover]:-?},
  compression auto), \`backup\`, \`check --read-data\`,
  \`restore --target\`.  It uses all CPUs.
- borg: \`init --encryption=none\`, \`create --compression zstd,3\`,
  \`check --verify-data\`, \`extract\`.
- tar | zstd: \`tar -cf - data | zstd -T2 -3\` and
  \`zstd -d -T2 | tar -xf -\`; initial backup and restore only.

MB = 10^6 bytes.  Rates are v1 dataset bytes (\`du -sb\`) per elapsed
second as reported by \`/usr/bin/time -f '%e %M'\` (0.01 s resolution).
"Bytes added by v2" is the growth of the repository directory
(\`du -sb\`) over the v2 snapshot; the floor is the changed content alone
(appended JSONL bytes, modified and added files), each piece compressed
with \`zstd -3\`.  Peak RSS is the largest of all steps of a tool (for a
pipeline, its largest process).  Every restore is compared with the v1
tree (size and CRC of every file, by \`cksum\`).  The full log is
\`bench.log\` in the work directory.

EOF
	facts | awk -v tools="$tools" -v skip_arca="$skip_arca" "$report_awk"
} >"$tmp_out"
# What follows the generated part survives a new run: notes written by
# hand (from a "<!-- notes" line) and other benchmarks' sections
# (bench/catalog.sh).
if [ -f "$out" ] && grep -q '^<!-- \(notes\|bench/catalog.sh\)' "$out"; then
	{ echo; sed -n '/^<!-- \(notes\|bench\/catalog.sh\)/,$p' "$out"; } >>"$tmp_out"
fi
mv "$tmp_out" "$out"
say "report written to $out (log: $log, total $t_total s)"
