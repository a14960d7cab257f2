#!/usr/bin/env bash
# A repository that lives directly on S3 (a real s3rver on loopback):
# every command works with --repo s3://BUCKET/PREFIX, with the endpoint,
# region and addressing style from the global options or from the
# environment; objects above the multipart threshold go up in parts;
# listings of more than one page (1,000 keys) are complete.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib_s3.sh"
require python3 cmp
EX="$ARCA_SOURCE_DIR/examples/churn"
s3_start arca-it
URL=s3://arca-it/team/repo
S3=(--repo "$URL" --endpoint "$S3_ENDPOINT" --path-style)
export ARCA_S3_MULTIPART_MB=5
# the repository must come from the options, never from here
export ARCA_REPO="$T/not-used"

# stored_keys PREFIX: how many keys s3rver holds under arca-it/PREFIX.
stored_keys() { s3_keys arca-it "$1" | wc -l; }

test_case "init creates the config under the prefix, and only that"
expect_exit 0 arca "${S3[@]}" init
assert_contains "$T/stdout" "^created repository [0-9a-f]{32} at $URL$"
assert_eq "$(s3_keys arca-it team)" "team/repo/config" "keys after init"
s3_get arca-it/team/repo/config >"$T/config"
assert_contains "$T/config" '"format":"arca-repository"'
expect_exit 1 arca "${S3[@]}" init
assert_contains "$T/stderr" "a repository already exists at '$URL'"
[ ! -e "$T/not-used" ] || fail "a local repository was made"

test_case "snapshot: small files, a 12 MiB file, a symlink, empty files"
make_dataset "$T/src"
head -c $((12 << 20)) /dev/urandom >"$T/src/large.bin"
backdate "$T/src"
expect_exit 0 arca "${S3[@]}" snapshot --json "$T/src"
snap1=$(json_field id)
assert_contains "$T/stdout" '"files":25,'
new1=$(sed -n 's/.*"objects_new":\([0-9]*\).*/\1/p' "$T/stdout")
# content and tree objects, plus the snapshot document itself
assert_eq "$(stored_keys team/repo/objects)" "$((new1 + 1))" "objects in the bucket"
assert_eq "$(stored_keys team/repo/records/snapshot)" 1 "snapshot records"
assert_eq "$(stored_keys team/repo/locks)" 0 "locks left behind"

test_case "snapshots, ls, cat and diff read it back"
expect_exit 0 arca "${S3[@]}" snapshots
assert_contains "$T/stdout" "^1 snapshot$"
expect_exit 0 arca "${S3[@]}" ls latest
assert_contains "$T/stdout" "^large.bin$"
assert_contains "$T/stdout" "^sub/$"
expect_exit 0 arca "${S3[@]}" ls --json "latest:sub/deeper"
assert_contains "$T/stdout" '"path":"sub/deeper/blob.bin"'
# cat: the snapshot document, its root tree, then run.sh's one chunk
expect_exit 0 arca "${S3[@]}" cat "$snap1"
tree=$(grep -o '"tree":"sha256:[0-9a-f]*"' "$T/stdout" | cut -d'"' -f4)
expect_exit 0 arca "${S3[@]}" cat "${tree:7:12}"
chunk=$(python3 -c 'import json,sys
for e in json.load(open(sys.argv[1]))["entries"]:
    if e["name"] == "run.sh": print(e["chunks"][0])' "$T/stdout")
[ -n "$chunk" ] || fail "no chunk id for run.sh"
expect_exit 0 arca "${S3[@]}" cat "$chunk"
cmp "$T/stdout" "$T/src/run.sh" || fail "cat of run.sh's chunk differs"
printf 'changed\n' >>"$T/src/sub/part-2.csv"
expect_exit 0 arca "${S3[@]}" snapshot --json "$T/src"
snap2=$(json_field id)
# one file changed: only its chunk and the trees above it are new
assert_contains "$T/stdout" '"files_cached":24,'
expect_exit 0 arca "${S3[@]}" diff "$snap1" "$snap2"
assert_contains "$T/stdout" "^M +sub/part-2.csv"
assert_contains "$T/stdout" "^0 added, 0 removed, 1 modified"

test_case "restore is byte-identical"
expect_exit 0 arca "${S3[@]}" restore "$snap2" "$T/out"
assert_same_tree "$T/src" "$T/out"
cmp "$T/src/large.bin" "$T/out/large.bin" || fail "large.bin differs"
expect_exit 0 arca "${S3[@]}" restore "$snap1:sub/deeper" "$T/out-sub"
cmp "$T/src/sub/deeper/blob.bin" "$T/out-sub/blob.bin" || fail "subtree restore differs"

test_case "a fresh cache on another machine stores nothing new"
expect_exit 0 env ARCA_CACHE_DIR="$T/cache2" "$ARCA" "${S3[@]}" snapshot --json "$T/src"
assert_contains "$T/stdout" '"files_cached":0,'
assert_contains "$T/stdout" '"objects_new":0,'

test_case "an object above the multipart threshold goes up in parts"
# A tree of 2,200 symlinks with 4,000 random characters each is one
# object of about 6 MiB even compressed: more than ARCA_S3_MULTIPART_MB.
# (Content chunks are at most 4 MiB, below S3's 5 MiB smallest part.)
mkdir -p "$T/links"
python3 - "$T/links" <<'EOF'
import base64, os, sys
for i in range(2200):
    target = base64.b64encode(os.urandom(3000), b"+-").decode()
    os.symlink(target, os.path.join(sys.argv[1], "l%04d" % i))
EOF
expect_exit 0 arca "${S3[@]}" snapshot --json "$T/links"
snap_links=$(json_field id)
big=$(cd "$S3_DIR/arca-it/team/repo/objects" &&
	find . -name '*._S3rver_object' -size +$((5 << 10))k | wc -l)
assert_eq "$big" 1 "objects above 5 MiB"
expect_exit 0 arca "${S3[@]}" restore "$snap_links" "$T/out-links"
assert_same_tree "$T/links" "$T/out-links"

test_case "verify checks every object"
expect_exit 0 arca "${S3[@]}" verify
n=$(stored_keys team/repo/objects)
assert_contains "$T/stdout" "^verified $n objects .*: no problems found$"

test_case "datasets and the catalog on S3"
expect_exit 0 arca "${S3[@]}" dataset create churn --schema "$EX/schema.yaml"
expect_exit 0 arca "${S3[@]}" dataset add -m "first export" churn "$EX/v1"
assert_contains "$T/stdout" '^churn@1  version [0-9a-f]{12}  snapshot [0-9a-f]{12}  500 rows  drift none$'
expect_exit 0 arca "${S3[@]}" dataset resolve --json churn
resolved=$(cat "$T/stdout")
assert_contains "$T/stdout" '"dataset":"churn".*"version":1'
# the catalog is a local cache of the records in the bucket
repo_id=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["id"])' "$T/config")
[ -s "$ARCA_CACHE_DIR/$repo_id-catalog.db" ] || fail "no catalog in the cache dir"
s3_keys arca-it team >"$T/keys"
assert_not_contains "$T/keys" "catalog\\.db"
expect_exit 0 arca "${S3[@]}" catalog rebuild
assert_eq "$(cat "$T/stdout")" "catalog rebuilt from the repository"
expect_exit 0 arca "${S3[@]}" dataset resolve --json churn
assert_eq "$(cat "$T/stdout")" "$resolved" "resolve after rebuild"
# another machine, another cache: the same answer from the records
expect_exit 0 env ARCA_CACHE_DIR="$T/cache3" XDG_CACHE_HOME= "$ARCA" "${S3[@]}" dataset resolve --json churn
assert_eq "$(cat "$T/stdout")" "$resolved" "resolve from a fresh cache"
expect_exit 0 env -u ARCA_CACHE_DIR XDG_CACHE_HOME="$T/xdg" "$ARCA" "${S3[@]}" dataset versions churn
assert_contains "$T/stdout" "^1 +20[0-9-]+T.* 500 none .*first export$"
[ -s "$T/xdg/arca/$repo_id-catalog.db" ] || fail "no catalog under XDG_CACHE_HOME"
expect_exit 0 arca "${S3[@]}" restore latest@churn "$T/out-churn"
cmp "$EX/v1/customers.csv" "$T/out-churn/customers.csv" || fail "dataset data differs"

test_case "the other dataset commands on S3: drift, ack, tags, log, diff"
expect_exit 0 arca "${S3[@]}" dataset add churn "$EX/v2"
assert_contains "$T/stdout" '^churn@2  .*  540 rows  drift fail \(needs acknowledgement\)$'
expect_exit 6 arca "${S3[@]}" dataset resolve churn
expect_exit 0 arca "${S3[@]}" dataset ack churn@2 --reason "reviewed"
expect_exit 0 arca "${S3[@]}" dataset tag churn@1 gold
expect_exit 0 arca "${S3[@]}" dataset resolve churn@gold
assert_contains "$T/stdout" '^churn@1 '
sed 's/max: 600/max: 700/' "$EX/schema.yaml" >"$T/schema2.yaml"
expect_exit 0 arca "${S3[@]}" dataset schema churn --schema "$T/schema2.yaml" -m wider
expect_exit 0 arca "${S3[@]}" dataset diff churn@1 churn@2
expect_exit 0 arca "${S3[@]}" dataset show --json churn
assert_contains "$T/stdout" '"name":"churn"'
expect_exit 0 arca "${S3[@]}" dataset log churn
assert_contains "$T/stdout" "ack"
expect_exit 0 arca "${S3[@]}" dataset ls --json
ls_before=$(cat "$T/stdout")
expect_exit 0 env ARCA_CACHE_DIR="$T/cache4" "$ARCA" "${S3[@]}" dataset ls --json
assert_eq "$(cat "$T/stdout")" "$ls_before" "dataset ls from a fresh cache"

test_case "ingest from a drop folder into a dataset on S3"
mkdir -p "$T/drop/batch1"
cp "$EX/v1/customers.csv" "$T/drop/batch1/"
cat >"$T/ingest.yaml" <<EOF
ingest: 1
sources:
  - name: drop
    dataset: churn
    folder: $T/drop
    settle: 0s
EOF
expect_exit 0 arca "${S3[@]}" ingest "$T/ingest.yaml"
expect_exit 0 arca "${S3[@]}" dataset versions --json churn
assert_contains "$T/stdout" '"version":3'

test_case "global options work after the command too, and with ="
expect_exit 0 arca snapshots --repo "$URL" --endpoint "$S3_ENDPOINT" --path-style
assert_contains "$T/stdout" "^7 snapshots$"
expect_exit 0 arca --repo="$URL" --endpoint="$S3_ENDPOINT" --region=eu-west-1 snapshots
assert_contains "$T/stdout" "^7 snapshots$"
expect_exit 2 arca "${S3[@]}" --virtual-hosted snapshots
assert_contains "$T/stderr" "exclude each other"

test_case "endpoint, region and path style from the environment"
export AWS_ENDPOINT_URL="$S3_ENDPOINT" AWS_REGION=us-east-1 ARCA_S3_PATH_STYLE=1
expect_exit 0 arca --repo s3://arca-it/env-repo init
expect_exit 0 arca --repo s3://arca-it/env-repo snapshot --json "$T/src"
expect_exit 0 env ARCA_REPO=s3://arca-it/env-repo "$ARCA" restore latest "$T/out-env"
assert_same_tree "$T/src" "$T/out-env"
expect_exit 0 env ARCA_REPO=s3://arca-it/env-repo "$ARCA" verify
assert_contains "$T/stdout" "no problems found"
# AWS_ENDPOINT_URL_S3 wins over AWS_ENDPOINT_URL; a flag over both
expect_exit 5 env AWS_ENDPOINT_URL_S3=http://127.0.0.1:1 ARCA_S3_RETRIES=0 "$ARCA" --repo s3://arca-it/env-repo snapshots
expect_exit 0 env AWS_ENDPOINT_URL_S3=http://127.0.0.1:1 "$ARCA" --repo s3://arca-it/env-repo --endpoint "$S3_ENDPOINT" snapshots
unset AWS_ENDPOINT_URL AWS_REGION ARCA_S3_PATH_STYLE

test_case "listings longer than a page (1,000 keys) are complete"
mkdir -p "$T/many"
python3 - "$T/many" <<'EOF'
import os, sys
for i in range(1100):
    with open(os.path.join(sys.argv[1], "f%05d" % i), "w") as f:
        f.write("small file %d\n" % i * 20)
EOF
R2=(--repo s3://arca-it/many --endpoint "$S3_ENDPOINT")
expect_exit 0 arca "${R2[@]}" init
expect_exit 0 arca "${R2[@]}" snapshot "$T/many"
n=$(stored_keys many/objects)
[ "$n" -gt 1000 ] || fail "only $n objects"
expect_exit 0 arca "${R2[@]}" verify
assert_contains "$T/stdout" "^verified $n objects .*: no problems found$"
# pages of 100 keys: 12 pages, the same count
expect_exit 0 env ARCA_S3_MAX_KEYS=100 "$ARCA" "${R2[@]}" verify
assert_contains "$T/stdout" "^verified $n objects .*: no problems found$"
# a snapshot has many objects: restoring it lists nothing but reads all
expect_exit 0 env ARCA_S3_MAX_KEYS=100 "$ARCA" "${R2[@]}" restore latest "$T/out-many"
diff -r "$T/many" "$T/out-many" >&2 || fail "restored files differ"
done_testing
