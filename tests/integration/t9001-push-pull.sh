#!/usr/bin/env bash
# push and pull through a real S3 server (s3rver, started here): remotes,
# a repository with snapshots and catalog datasets pushed, pulled into an
# empty directory and restored byte-identical, verify on both sides, a
# second push and pull that copy nothing, push by ref, bad credentials
# (exit 5, no secret in the message), another repository refused, and
# verify --remote finding a damaged object and what was not pushed.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib_s3.sh"
require cmp find sed
s3_start
s3_env
url="s3://$S3_BUCKET/backups/one"
EX="$ARCA_SOURCE_DIR/examples/churn"

make_dataset "$T/data"
arca init -q
expect_exit 0 arca snapshot --json --dataset demo "$T/data"
snap=$(json_field id)
[ -n "$snap" ] || fail "no snapshot id"
expect_exit 0 arca dataset create churn --schema "$EX/schema.yaml"
expect_exit 0 arca dataset add -m "first export" churn "$EX/v1"
expect_exit 0 arca dataset add -m "second export" churn "$EX/v2"
expect_exit 0 arca dataset tag churn@1 gold

local_objects() { find "$ARCA_REPO/objects" -type f | wc -l; }
remote_objects() {
	find "$S3_DIR/$S3_BUCKET/backups/one/objects" -name '*._S3rver_object' | wc -l
}
keys_of() { # a repository's records and refs, with their values
	(cd "$1" && for k in $(find records refs -type f | sort); do
		echo "$k $(cat "$k")"
	done)
}

test_case "remote add, ls, rm"
expect_exit 0 arca remote add origin "$url" --endpoint "$S3_ENDPOINT" --path-style
assert_eq "$(cat "$T/stdout")" "added remote 'origin': $url"
expect_exit 0 arca remote add scratch ./somewhere/else
expect_exit 0 arca remote ls
assert_contains "$T/stdout" "^origin +$url +endpoint $S3_ENDPOINT +region - +path-style$"
assert_contains "$T/stdout" "^scratch +$PWD/somewhere/else "
expect_exit 0 arca remote ls --json
assert_contains "$T/stdout" "^\[\{\"endpoint\":\"$S3_ENDPOINT\",\"name\":\"origin\",\"path_style\":true,\"region\":null,\"url\":\"$url\"\},"
expect_exit 1 arca remote add origin s3://other/place
assert_contains "$T/stderr" "remote 'origin' exists already"
expect_exit 1 arca remote add 'bad/name' "$url"
assert_contains "$T/stderr" "invalid remote name 'bad/name'"
expect_exit 1 arca remote add leaky "s3://AKIAEXAMPLEKEY:Sup3rS3cretValue@$S3_BUCKET/x"
assert_contains "$T/stderr" "holds credentials"
assert_not_contains "$T/stderr" "Sup3rS3cretValue"
assert_not_contains "$T/stderr" "AKIAEXAMPLEKEY"
assert_not_contains "$ARCA_REPO/remotes.json" "Sup3rS3cretValue"
expect_exit 0 arca remote rm scratch
expect_exit 1 arca remote rm scratch
assert_contains "$T/stderr" "no remote named 'scratch'"
expect_exit 0 arca remote ls
assert_not_contains "$T/stdout" scratch

test_case "push everything to an empty prefix"
n=$(local_objects)
expect_exit 0 arca push origin --json
assert_contains "$T/stdout" "\"objects\":$n,\"objects_skipped\":0,"
assert_contains "$T/stdout" '"ok":true'
assert_contains "$T/stdout" '"conflicts":0,'
assert_eq "$(remote_objects)" "$n" "objects on the server"
[ -f "$(s3_object backups/one/config)" ] || fail "no config on the server"
cmp "$ARCA_REPO/config" "$(s3_object backups/one/config)" || fail "config differs"

test_case "a second push copies nothing"
expect_exit 0 arca push origin
assert_contains "$T/stdout" "^pushed 0 objects \($n skipped\), 0 records, 0 refs: 0 B in [0-9.]+ s, 0 B/s$"

test_case "verify --remote: sound and complete"
expect_exit 0 arca verify --remote origin
assert_contains "$T/stdout" "^remote 'origin': verified $n objects .*no problems found$"
assert_contains "$T/stdout" "^remote 'origin' has every record and ref of this repository$"
expect_exit 0 arca verify --remote origin --json
assert_contains "$T/stdout" '"not_pushed":0,'
assert_contains "$T/stdout" '"ok":true'

test_case "pull into a directory that does not exist; restore is byte-identical"
# the URL, with the endpoint given on the command line only
expect_exit 0 env -u AWS_ENDPOINT_URL "$ARCA" --repo "$T/copy" pull "$url" \
	--endpoint "$S3_ENDPOINT" --path-style
assert_contains "$T/stdout" "^pulled $n objects \(0 skipped\), [0-9]+ records, [0-9]+ refs: "
cmp "$ARCA_REPO/config" "$T/copy/config" || fail "the copy has another config"
assert_eq "$(keys_of "$T/copy")" "$(keys_of "$ARCA_REPO")" "records and refs"
expect_exit 0 arca --repo "$T/copy" verify
assert_contains "$T/stdout" "no problems found$"
expect_exit 0 arca verify
expect_exit 0 arca --repo "$T/copy" restore "$snap" "$T/restored"
assert_same_tree "$T/data" "$T/restored"
expect_exit 0 arca --repo "$T/copy" dataset versions churn --json
copy_versions=$(cat "$T/stdout")
expect_exit 0 arca dataset versions churn --json
assert_eq "$copy_versions" "$(cat "$T/stdout")" "dataset versions in the copy"
expect_exit 0 arca --repo "$T/copy" dataset resolve churn@gold
assert_contains "$T/stdout" "churn@1"

test_case "a second pull copies nothing"
expect_exit 0 arca --repo "$T/copy" pull "$url"
assert_contains "$T/stdout" "^pulled 0 objects \($n skipped\), 0 records, 0 refs"

test_case "the remotes of a repository on S3 live in the user's config"
export XDG_CONFIG_HOME="$T/xdg"
id=$(sed 's/.*"id":"\([0-9a-f]*\)".*/\1/' "$ARCA_REPO/config")
expect_exit 0 arca --repo "$url" remote add back "$T/copy"
[ -f "$T/xdg/arca/remotes-$id.json" ] || fail "no remotes-$id.json in XDG_CONFIG_HOME"
assert_contains "$T/xdg/arca/remotes-$id.json" "\"url\": \"$T/copy\""
expect_exit 0 arca --repo "$url" remote ls
assert_contains "$T/stdout" "^back +$T/copy "
# from S3 to a directory, with push: nothing to do
expect_exit 0 arca --repo "$url" push back
assert_contains "$T/stdout" "^pushed 0 objects \($n skipped\), 0 records, 0 refs"
unset XDG_CONFIG_HOME

test_case "push by ref copies only what it reaches"
mkdir -p "$T/more"
head -c 200000 /dev/urandom >"$T/more/new.bin"
expect_exit 0 arca snapshot --json --dataset other "$T/more"
other=$(json_field id)
expect_exit 0 arca snapshot --json "$T/more/new.bin"
loose=$(json_field id)
expect_exit 0 arca push origin datasets/other
assert_contains "$T/stdout" "^pushed [1-9][0-9]* objects .*, 1 record, 1 ref: "
expect_exit 3 arca verify --remote origin
assert_contains "$T/stdout" "^NOT-PUSHED record snapshot/${loose#sha256:}: "
assert_not_contains "$T/stdout" "^NOT-PUSHED record snapshot/${other#sha256:}"
assert_not_contains "$T/stdout" '^ERROR '
assert_contains "$T/stdout" "^not pushed: 1 record\(s\) or ref\(s\) of this repository are not on remote 'origin'"
expect_exit 0 arca push origin "${loose:7:12}"
assert_contains "$T/stdout" ", 1 record, 0 refs: "
expect_exit 0 arca verify --remote origin
expect_exit 1 arca push origin datasets/nothing-here
assert_contains "$T/stderr" "no ref, ref prefix or record 'datasets/nothing-here'"

test_case "wrong credentials: exit 5, and the secret is never shown"
expect_exit 5 env AWS_ACCESS_KEY_ID=AKIAWRONGKEY AWS_SECRET_ACCESS_KEY=Wr0ngS3cretValue \
	"$ARCA" push origin
assert_contains "$T/stderr" "^arca: error: .*(403|InvalidAccessKeyId|denied|credentials)"
assert_not_contains "$T/stderr" "Wr0ngS3cretValue"
assert_not_contains "$T/stdout" "Wr0ngS3cretValue"
expect_exit 5 env AWS_ACCESS_KEY_ID=AKIAWRONGKEY AWS_SECRET_ACCESS_KEY=Wr0ngS3cretValue \
	"$ARCA" --repo "$T/never" pull "$url"
[ ! -e "$T/never/config" ] || fail "a pull that could not start made a repository"

test_case "an unreachable remote: exit 5"
expect_exit 5 env ARCA_S3_RETRIES=1 "$ARCA" push "s3://$S3_BUCKET/x" --endpoint http://127.0.0.1:1
assert_contains "$T/stderr" "cannot reach"

test_case "another repository is refused"
expect_exit 0 arca --repo "$T/other" init
expect_exit 1 arca --repo "$T/other" push "$url"
assert_contains "$T/stderr" "holds repository [0-9a-f]{32}, this is [0-9a-f]{32}"
expect_exit 1 arca --repo "$T/other" pull "$url"
assert_contains "$T/stderr" "holds repository"

test_case "verify --remote finds a damaged object on the server"
victim=$(find "$S3_DIR/$S3_BUCKET/backups/one/objects" -name '*._S3rver_object' -size +100k | head -1)
[ -n "$victim" ] || fail "no large object on the server"
id=$(basename "$victim" ._S3rver_object)
printf '\x55' | dd of="$victim" bs=1 seek=5000 conv=notrunc status=none
expect_exit 3 arca verify --remote origin
assert_contains "$T/stdout" "^ERROR CORRUPT_OBJECT sha256:$id"
assert_contains "$T/stdout" "^remote 'origin': verified .* [1-9][0-9]* errors?"
expect_exit 3 arca verify --remote origin --json
assert_contains "$T/stdout" "\"finding\":\"CORRUPT_OBJECT\",\"message\":\"[^\"]*\",\"object\":\"sha256:$id\""
# the local repository is not the damaged one
expect_exit 0 arca verify
done_testing
