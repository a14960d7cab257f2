#!/usr/bin/env bash
# A repository on S3 is plain objects under a prefix: a standard S3 client
# (the AWS CLI) copies one that arca wrote on S3 to a directory, and one
# that arca wrote in a directory to S3, and arca uses each where it lands.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib_s3.sh"
require aws zstd sha256sum cmp
EX="$ARCA_SOURCE_DIR/examples/churn"
s3_start arca-interop
# The AWS CLI against s3rver: path-style addressing, credentials from the
# environment (set by lib_s3.sh), nothing from the user's ~/.aws.
cat >"$AWS_CONFIG_FILE" <<EOF
[default]
region = us-east-1
s3 =
    addressing_style = path
EOF
export AWS_EC2_METADATA_DISABLED=true AWS_PAGER=
awss3() { aws --endpoint-url "$S3_ENDPOINT" s3 "$@"; }
S3=(--endpoint "$S3_ENDPOINT")
export ARCA_REPO="$T/not-used"
make_dataset "$T/src"
head -c 3000000 /dev/urandom >"$T/src/random.bin"

# ids SNAPSHOTS-OUTPUT: the snapshot ids of 'snapshots --json', sorted.
ids() { grep -o '"id":"sha256:[0-9a-f]*"' "$1" | sort; }

test_case "the AWS CLI sees arca's keys as plain objects"
expect_exit 0 arca --repo s3://arca-interop/on-s3 "${S3[@]}" init
expect_exit 0 arca --repo s3://arca-interop/on-s3 "${S3[@]}" snapshot --json "$T/src"
snap=$(json_field id)
expect_exit 0 arca --repo s3://arca-interop/on-s3 "${S3[@]}" dataset create churn --schema "$EX/schema.yaml"
expect_exit 0 arca --repo s3://arca-interop/on-s3 "${S3[@]}" dataset add churn "$EX/v1"
expect_exit 0 arca --repo s3://arca-interop/on-s3 "${S3[@]}" snapshots --json
ids "$T/stdout" >"$T/ids-s3"
[ "$(wc -l <"$T/ids-s3")" -eq 2 ] || fail "expected 2 snapshots"
awss3 ls --recursive s3://arca-interop/on-s3/ >"$T/aws-ls" 2>"$T/stderr" || fail "aws s3 ls failed"
assert_contains "$T/aws-ls" " on-s3/config$"
assert_not_contains "$T/aws-ls" " on-s3/locks/"
awk '{ print $4 }' "$T/aws-ls" | sort >"$T/aws-keys"
s3_keys arca-interop on-s3 >"$T/srv-keys"
diff -u "$T/srv-keys" "$T/aws-keys" >&2 || fail "the AWS CLI lists other keys"
# an object checks out with zstd and sha256sum alone
obj=$(grep -m1 ' on-s3/objects/' "$T/aws-ls" | awk '{ print $4 }')
awss3 cp "s3://arca-interop/$obj" - 2>"$T/stderr" | zstd -dq >"$T/obj" || fail "aws s3 cp | zstd -d failed"
assert_eq "$(sha256sum <"$T/obj" | cut -c1-64)" "$(basename "$obj")" "object hash"

test_case "copied down with 'aws s3 sync', it is a local repository"
awss3 sync --only-show-errors s3://arca-interop/on-s3 "$T/copy" >"$T/stdout" 2>"$T/stderr" || fail "aws s3 sync down failed"
expect_exit 0 arca --repo "$T/copy" verify
assert_contains "$T/stdout" "no problems found"
expect_exit 0 arca --repo "$T/copy" snapshots --json
ids "$T/stdout" >"$T/ids-copy"
diff -u "$T/ids-s3" "$T/ids-copy" >&2 || fail "snapshot ids differ"
expect_exit 0 arca --repo "$T/copy" restore "$snap" "$T/out-copy"
assert_same_tree "$T/src" "$T/out-copy"
cmp "$T/src/random.bin" "$T/out-copy/random.bin" || fail "random.bin differs"
expect_exit 0 arca --repo "$T/copy" dataset resolve churn
assert_contains "$T/stdout" "^churn@1 "
expect_exit 0 arca --repo "$T/copy" restore latest@churn "$T/out-churn"
cmp "$EX/v1/customers.csv" "$T/out-churn/customers.csv" || fail "dataset data differs"

test_case "a local repository uploaded with 'aws s3 sync' is used on S3"
expect_exit 0 arca --repo "$T/local" init
expect_exit 0 arca --repo "$T/local" snapshot --json "$T/src"
snap=$(json_field id)
expect_exit 0 arca --repo "$T/local" dataset create churn --schema "$EX/schema.yaml"
expect_exit 0 arca --repo "$T/local" dataset add churn "$EX/v1"
expect_exit 0 arca --repo "$T/local" snapshots --json
ids "$T/stdout" >"$T/ids-local"
# the whole directory, catalog.db included: arca on S3 ignores it
awss3 sync --only-show-errors "$T/local" s3://arca-interop/other >"$T/stdout" 2>"$T/stderr" || fail "aws s3 sync up failed"
expect_exit 0 arca --repo s3://arca-interop/other "${S3[@]}" verify
assert_contains "$T/stdout" "no problems found"
expect_exit 0 arca --repo s3://arca-interop/other "${S3[@]}" snapshots --json
ids "$T/stdout" >"$T/ids-other"
diff -u "$T/ids-local" "$T/ids-other" >&2 || fail "snapshot ids differ"
expect_exit 0 arca --repo s3://arca-interop/other "${S3[@]}" restore "$snap" "$T/out-other"
assert_same_tree "$T/src" "$T/out-other"
expect_exit 0 arca --repo s3://arca-interop/other "${S3[@]}" dataset resolve churn
assert_contains "$T/stdout" "^churn@1 "
# and it takes new snapshots there, which sync back down
printf 'new\n' >"$T/src/new.txt"
expect_exit 0 arca --repo s3://arca-interop/other "${S3[@]}" snapshot "$T/src"
awss3 sync --only-show-errors s3://arca-interop/other "$T/local" >"$T/stdout" 2>"$T/stderr" || fail "aws s3 sync down failed"
expect_exit 0 arca --repo "$T/local" verify
assert_contains "$T/stdout" "3 snapshots: no problems found"
done_testing
