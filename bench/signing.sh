#!/usr/bin/env bash
# What signing costs: the example retraining template
# (examples/churn/template.yaml, code from build/<dir>/examples/bin, on
# examples/churn/v1) run N times without a signing key and N times with
# one (ed25519, no passphrase, in a throwaway GNUPGHOME, gpg-agent warm),
# alternating, each run into a fresh repository. Reports the median and
# best wall time of each, the ratio (goal: at most 10 % overhead), how
# many signatures a run makes and what one costs, and what signing every
# journal state of the run as well would add.
#
# usage: bench/signing.sh [--arca PATH] [--runs N] [--work DIR] [--out FILE]
# --out FILE: also write the table as the signing section of FILE
# (docs/performance.md), replacing the section a previous run wrote.
set -euo pipefail
export LC_ALL=C # a decimal point in times and EPOCHREALTIME
here=$(cd "$(dirname "$0")" && pwd)
arca="$here/../build/arca" runs=10 work="" out=""

die() { echo "bench/signing.sh: $*" >&2; exit 1; }
while [ $# -gt 0 ]; do
	case $1 in
	--arca) [ $# -ge 2 ] || die "--arca needs a value"; arca=$2; shift 2 ;;
	--runs) [ $# -ge 2 ] || die "--runs needs a value"; runs=$2; shift 2 ;;
	--work) [ $# -ge 2 ] || die "--work needs a value"; work=$2; shift 2 ;;
	--out) [ $# -ge 2 ] || die "--out needs a value"; out=$2; shift 2 ;;
	*) die "unknown argument '$1'" ;;
	esac
done
[ -x "$arca" ] || die "no arca at '$arca' (build first)"
bin="$(dirname "$arca")/examples/bin"
[ -x "$bin/churn-train" ] || die "no example trainer in '$bin' (build first)"
for t in gpg gpgconf jq /usr/bin/time; do
	command -v "$t" >/dev/null || die "$t is needed"
done
ex="$here/../examples/churn"
work=${work:-$(mktemp -d "${TMPDIR:-/tmp}/arca-bench-sign.XXXXXX")}
mkdir -p "$work"
export GNUPGHOME="$work/gnupg" XDG_CONFIG_HOME="$work/config"
export ARCA_CACHE_DIR="$work/cache" ARCA_WORK_DIR="$work/runs"
unset ARCA_TRUST_POLICY
rm -rf "$GNUPGHOME" && mkdir -m 700 "$GNUPGHOME"
trap 'gpgconf --kill gpg-agent >/dev/null 2>&1 || true' EXIT
gpg --batch --pinentry-mode loopback --passphrase '' --quick-gen-key \
	"arca bench <bench@example>" ed25519 sign 1d >/dev/null 2>&1 ||
	die "cannot make a key"
key=$(gpg --batch --with-colons --list-keys bench@example 2>/dev/null |
	awk -F: '/^fpr/ { print $10; exit }')

# one run into a fresh repository; prints its wall seconds and the CPU
# seconds (user + system) of arca and what it waited for (stages, gpg)
one() { # one KEY REPO
	export ARCA_SIGNING_KEY=$1
	# a fresh repository and cache, but for the key lookup cache, which
	# a user's later commands find warm as well
	rm -rf "$2" "$ARCA_WORK_DIR"
	[ ! -d "$ARCA_CACHE_DIR" ] || find "$ARCA_CACHE_DIR" -mindepth 1 \
		-maxdepth 1 ! -name keys -exec rm -rf {} +
	"$arca" --repo "$2" init -q >/dev/null
	"$arca" --repo "$2" dataset create -q churn --schema "$ex/schema.yaml" >/dev/null
	"$arca" --repo "$2" dataset add -q churn "$ex/v1" >/dev/null
	# wall time to the microsecond, CPU (arca and what it waited for)
	# to the millisecond: /usr/bin/time's hundredths are too coarse for
	# runs of a fifth of a second
	local t0=$EPOCHREALTIME t1
	( "$arca" --repo "$2" run -q --code "$bin" "$ex/template.yaml" \
		>/dev/null 2>"$work/err" && times >"$work/times" ) ||
		die "run failed: $(tail -3 "$work/err")"
	t1=$EPOCHREALTIME
	sed -n 2p "$work/times" | awk -v w="$t0 $t1" '{
		split(w, t, " ")
		for (i = 1; i <= 2; i++) {
			m = $i; sub(/m.*/, "", m); s = $i; sub(/^[0-9]+m/, "", s)
			sub(/s$/, "", s); c += m * 60 + s
		}
		printf "%.4f %.4f\n", t[2] - t[1], c }'
}
median() { tr ' ' '\n' | grep . | sort -g | awk '{ v[NR] = $1 } END {
	print NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
best() { tr ' ' '\n' | grep . | sort -g | head -1; }

load=$(cut -d' ' -f1-3 /proc/loadavg)
one "$key" "$work/warm" >/dev/null # starts gpg-agent, warms the caches
plain="" signed="" plain_cpu="" signed_cpu="" pairs=""
for r in $(seq 1 "$runs"); do
	read -r w c < <(one "" "$work/plain")
	plain="$plain $w" plain_cpu="$plain_cpu $c"
	read -r w c < <(one "$key" "$work/signed")
	signed="$signed $w" signed_cpu="$signed_cpu $c"
	# each signed run against the unsigned run just before it: the
	# machine's slow drifts cancel out of the pair
	pairs="$pairs $(awk -v s="$w" -v p="${plain##* }" 'BEGIN { printf "%.4f", s / p }')"
done
# what one signed run made: signatures during the run itself, and the
# journal states it left unsigned
before=$(ls "$work/warm/records/signature" | wc -l)
run_sigs=$(ls "$work/signed/records/signature" | wc -l)
setup_sigs=3 # dataset, dataset-version and its snapshot, made before
run_sigs=$((run_sigs - setup_sigs))
states=0 state=""
for f in "$work/signed/records/run"/*; do
	h=${f##*/}
	s=$(zstd -q -d <"$work/signed/objects/${h:0:2}/$h" | jq -r .status)
	case $s in
	succeeded|failed|gated) ;;
	*) states=$((states + 1)) state=$h ;;
	esac
done
[ "$before" -gt 0 ] || die "the warm-up run made no signature"
# one signature as a whole command: arca sign of an unsigned journal state
/usr/bin/time -f '%e' -o "$work/time" "$arca" --repo "$work/signed" sign -q \
	"object:$state" >/dev/null 2>"$work/err" || die "arca sign: $(cat "$work/err")"
sign_t=$(cut -d' ' -f1 "$work/time")
mp=$(echo "$plain" | median) ms=$(echo "$signed" | median)
pr=$(echo "$pairs" | median)
bp=$(echo "$plain" | best) bs=$(echo "$signed" | best)
cp=$(echo "$plain_cpu" | median) cs=$(echo "$signed_cpu" | median)
table() {
awk -v mp="$mp" -v ms="$ms" -v bp="$bp" -v bs="$bs" -v runs="$runs" -v pr="$pr" \
	-v cp="$cp" -v cs="$cs" \
	-v n="$run_sigs" -v st="$states" -v one="$sign_t" 'BEGIN {
	printf "| run of examples/churn/template.yaml | median wall s (%d runs) | best wall s | median CPU s |\n", runs
	printf "|---|---|---|---|\n"
	printf "| without a signing key | %.3f | %.3f | %.3f |\n", mp, bp, cp
	printf "| with a signing key (%d signatures) | %.3f | %.3f | %.3f |\n", n, ms, bs, cs
	o = (ms / mp - 1) * 100
	printf "\nsigned / unsigned: %.3f (median wall), %.3f (best wall), %.3f (median CPU), %.3f (median of the %d pairs): %+.1f %% (goal: at most +10 %%)\n", ms / mp, bs / bp, cp ? cs / cp : 0, pr, runs, o
	per = n ? (ms - mp) / n : 0
	printf "\none signature inside a run: about %.0f ms (median difference / %d);\n", per * 1000, n
	printf "a whole `arca sign` command (process start, key lookup, one signature): %.2f s.\n", one
	printf "Signing the run'"'"'s %d journal states as well would add %d signatures,\n", st, st
	printf "about %.2f s (%+.1f %% more) for states that the signed manifest supersedes.\n", st * per, st * per / mp * 100
}'
}
table
[ -n "$out" ] || exit 0
section() {
	echo '<!-- bench/signing.sh -->'
	echo '## Signing'
	echo
	echo "Generated by \`bench/signing.sh --runs $runs\` on $(date -u +%Y-%m-%d) ($(nproc) cores,"
	echo "$(gpg --version | head -1)): the example template"
	echo "(\`examples/churn/template.yaml\`, \`--code build/<dir>/examples/bin\`, on"
	echo "\`examples/churn/v1\`), each run into a fresh repository, with and"
	echo "without a signing key (ed25519, no passphrase, gpg-agent running),"
	echo "alternating. What a signed run signs: its code and output snapshots,"
	echo "its manifest, and the adapter's record, package and manifest. Load"
	echo "average when it started: $load (the machine is shared: compare the"
	echo "two rows, not the absolute times)."
	echo
	table
	cat <<'EOF2'

Where the time goes (strace -T and perf on the same machine): the key
lookup costs nothing after the first command, whose answer is cached
under `<cache dir>/keys/` until the keyring changes (one
`gpg --list-secret-keys`, 25-55 ms, before); gpg-agent makes each
signature (three commands in one round trip, under 1 ms). The rest is
durability: a signed record is written in two steps, each durable
before the next (its object with its signatures' objects, listings and
refs, as one flush of two syncfs; then its own listing, so that no
record is ever listed unsigned), like an unsigned one (its object, then
its listing), but a flush costs more than one file's fsync on this
machine's disk. The adapter's record, package and manifest share one
flush.
Signing the run's journal states too would add a signature to each of
them for states the signed manifest supersedes: only the manifest is
signed.

The run is a fifth of a second, so the machine's noise (other tenants'
disk and CPU) moves the ratio by several points from one invocation to
the next: compare several. On a run of a few seconds or more (any real
training) the fixed cost of about 20 ms is a fraction of a percent.
EOF2
}
section >"$work/section"
{
	if [ -f "$out" ] && grep -q '^<!-- bench/signing.sh -->$' "$out"; then
		# replace this section, up to the next generated one or the end
		awk -v f="$work/section" '/^<!-- bench\/signing.sh -->$/ { skip = 1; while ((getline l < f) > 0) print l; print ""; next }
			skip && /^<!-- / { skip = 0 } !skip' "$out"
	elif [ -f "$out" ] && grep -q '^<!-- bench/' "$out"; then
		# before the first generated section: bench/catalog.sh rewrites
		# from its own marker to the end
		awk -v f="$work/section" '!done && /^<!-- bench\// { while ((getline l < f) > 0) print l; print ""; done = 1 } 1' "$out"
	else
		[ -f "$out" ] && cat "$out"
		cat "$work/section"
	fi
} >"$out.tmp"
mv "$out.tmp" "$out"
