#!/usr/bin/env bash
# arca's main job on the embedded default (a local repository, no servers):
# the example dataset becomes a catalog dataset with a schema and version 1;
# the retraining template runs the example trainer on it (prepare, train,
# evaluate, a gate) and publishes an adapter; the adapter's lineage is
# shown and the run re-run from the archive alone, digest for digest.
# Then version 2 arrives with drift that must be acknowledged before use,
# the two versions are compared, the repository verified and the first
# version restored byte for byte.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
arca=${ARCA:-$here/../build/arca}
work=${1:-$(mktemp -d "${TMPDIR:-/tmp}/arca-demo.XXXXXX")}
export ARCA_REPO="$work/repo"
export ARCA_CACHE_DIR="$work/cache"
step() { printf '\n\033[1m$ %s\033[0m\n' "$*"; "$@"; }
snapshot_of() { "$arca" dataset resolve --json "$1" | sed 's/.*"snapshot":"\([^"]*\)".*/\1/'; }

run_field() { sed -n 's/.*"'"$1"'":"\([^"]*\)".*/\1/p'; }

ex="$here/churn"
code=$(dirname "$arca")/examples/bin
step "$arca" init
step "$arca" dataset create churn --schema "$ex/schema.yaml" \
	--description "customer churn, monthly export"
step "$arca" dataset add churn "$ex/v1" -m "first export"
# Retraining: the stages run the example trainer (examples/trainer), which
# is archived with the run as its code.
step "$arca" template validate "$ex/template.yaml"
printf '\n\033[1m$ %s\033[0m\n' "$arca run --json $ex/template.yaml --code $code"
run=$("$arca" run --json "$ex/template.yaml" --code "$code" | tee /dev/stderr | run_field run)
step "$arca" runs show "${run#sha256:}"
step "$arca" adapter show churn@1.0.0
step "$arca" rerun "${run#sha256:}"
step "$arca" dataset add churn "$ex/v2" -m "second export"
step "$arca" dataset versions churn
step "$arca" dataset diff churn@1 churn@2
# A run may not use a version whose drift nobody has acknowledged (exit 6).
if step "$arca" dataset resolve churn@latest; then
	echo "expected the unacknowledged version to be refused" >&2
	exit 1
fi
step "$arca" dataset ack churn@2 --reason "price change of 2025; APAC launch"
step "$arca" dataset resolve churn@latest
step "$arca" diff "$(snapshot_of churn@1)" "$(snapshot_of churn@2)"
step "$arca" verify
step "$arca" restore "$(snapshot_of churn@1)" "$work/restored-v1"
diff -r "$ex/v1" "$work/restored-v1" && echo "restored churn@1 matches the original"
echo
echo "repository: $ARCA_REPO"
