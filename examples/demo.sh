#!/usr/bin/env bash
# arca's main job on the embedded default (a local repository, no servers):
# snapshot the example dataset, change it, snapshot again, show the diff,
# verify the repository and restore the first version.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
arca=${ARCA:-$here/../build/arca}
work=${1:-$(mktemp -d "${TMPDIR:-/tmp}/arca-demo.XXXXXX")}
export ARCA_REPO="$work/repo"
export ARCA_CACHE_DIR="$work/cache"
step() { printf '\n\033[1m$ %s\033[0m\n' "$*"; "$@"; }

cp -r "$here/churn" "$work/churn"
step "$arca" init
step "$arca" snapshot --dataset churn -m "three months of events" "$work/churn"
first=$("$arca" snapshots --json | grep -o '"id":"sha256:[0-9a-f]*"' | head -1 | cut -d'"' -f4)

# A new month arrives and a correction lands in January.
sed 's/2026-03/2026-04/' "$work/churn/events-2026-03.csv" >"$work/churn/events-2026-04.csv"
echo '1400,2026-01,basic,north,3,1999,4,true' >>"$work/churn/events-2026-01.csv"
step "$arca" snapshot --dataset churn -m "april added, january corrected" "$work/churn"
step "$arca" snapshots
step "$arca" diff "$first" latest@churn
step "$arca" verify
step "$arca" restore "$first" "$work/restored-v1"
diff -r "$here/churn" "$work/restored-v1" && echo "restored first version matches the original"
echo
echo "repository: $ARCA_REPO"
