#!/usr/bin/env bash
# Signing with real keys (a throwaway GNUPGHOME): the user config, every
# record kind signed as it is written (a run's manifest, not its journal
# states), the adapter's package and manifest, plain gpg --verify on
# exported bytes, arca sign (countersignatures, idempotent), and
# --require-signatures refusing unsigned writes before writing anything.
# No output ever shows armoured PGP data.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib_gpg.sh"
require python3 jq
EX="$ARCA_SOURCE_DIR/examples/churn"
BIN="$(dirname "$ARCA")/examples/bin"
K=$(gen_key "Signer <signer@example>")
A=$(gen_key "Auditor <auditor@example>")
cat >"$T/trust.yaml" <<EOF
trust: 1
roles:
  everyone:
    kinds: ["*"]
    keys: [$K, $A]
EOF
export ARCA_TRUST_POLICY="$T/trust.yaml"
: >"$T/all.out"
# the example template with governance asking for an approval
sed '/approval:/s/default: none/default: required/' "$EX/template.yaml" >"$T/approval.yaml"
grep -q 'default: required' "$T/approval.yaml" || fail "no approval template"

# ex CODE CMD...: expect_exit, keeping everything printed for the final
# check that no armour leaked.
ex() {
	expect_exit "$@"
	cat "$T/stdout" "$T/stderr" >>"$T/all.out"
}
# keys: the repository's objects, records and refs, sorted (what a write
# would change).
keys() {
	(cd "$1" && { find objects records refs -type f ! -name '.tmp-*' 2>/dev/null || true; } | sort)
}
# signed HEX: the number of signature records of object HEX.
nsigs() {
	sig_records "$1" | wc -l
}
# status HEX: a run record's status.
status() {
	obj "$1" | jq -r .status
}

test_case "config: set, get, list, unset; unknown keys and keys not in the keyring are refused"
ex 2 arca config set user.name someone
assert_contains "$T/stderr" "unknown config key 'user.name'"
ex 1 arca config set signing.key ABCDEF
assert_contains "$T/stderr" "not a key fingerprint"
ex 1 arca config set signing.key 0123456789ABCDEF0123456789ABCDEF01234567
assert_contains "$T/stderr" "no key 0123456789ABCDEF0123456789ABCDEF01234567"
[ ! -e "$XDG_CONFIG_HOME/arca/config.json" ] || fail "a refused set wrote the config"
ex 1 arca config get signing.key
# gpg's display form: lower case, spaces
spaced=$(echo "$K" | tr 'A-F' 'a-f' | sed 's/\(....\)/\1 /g')
ex 0 arca config set signing.key "$spaced"
ex 0 arca config get signing.key
assert_eq "$(cat "$T/stdout")" "$K" "stored normalized"
ex 0 arca config set trust.policy "$T/trust.yaml"
ex 0 arca config list --json
assert_eq "$(jq -r '.config["signing.key"]' "$T/stdout")" "$K" "list"
assert_eq "$(jq -r '.overridden["trust.policy"]' "$T/stdout")" "ARCA_TRUST_POLICY" "env override shown"
ex 0 arca config unset trust.policy
ex 1 arca config get trust.policy
ex 0 arca config unset trust.policy
assert_contains "$T/stdout" "was not set"
[ "$(stat -c %a "$XDG_CONFIG_HOME/arca")" = 700 ] || fail "config dir is not private"

test_case "a bad configured key fails every command at once, naming where it is set"
ex 0 arca init
ARCA_SIGNING_KEY=89ABCDEF0123456789ABCDEF0123456789ABCDEF ex 1 arca snapshots
assert_contains "$T/stderr" "no key 89ABCDEF0123456789ABCDEF0123456789ABCDEF in the keyring; it is set by ARCA_SIGNING_KEY"

test_case "every record kind is signed as it is written"
mkdir -p "$T/data" && echo hello >"$T/data/f"
ex 0 arca snapshot --json "$T/data"
snap=$(json_field id)
ex 0 arca dataset create churn --schema "$EX/schema.yaml"
sed 's/max_length: 16/max_length: 20/' "$EX/schema.yaml" >"$T/schema2.yaml"
ex 0 arca dataset schema churn --schema "$T/schema2.yaml"
ex 0 arca dataset add churn "$EX/v1"
ex 0 arca dataset tag churn@1 gold
ex 0 arca dataset add churn "$EX/v2"
ex 0 arca dataset ack churn@2 --reason "reviewed"
ex 0 arca run --json --code "$BIN" -p data.dataset=churn@1 "$EX/template.yaml"
run1=$(json_field run)
ex 0 arca run --json --code "$BIN" -p data.dataset=churn@1 "$T/approval.yaml"
run2=$(json_field run)
ex 0 arca approve "$run2" --reason "looked at the metrics"
for kind in snapshot dataset dataset-schema dataset-version dataset-tag dataset-ack run-approval adapter; do
	n=0
	for rec in "$ARCA_REPO/records/$kind"/*; do
		hex=${rec##*/}
		[ "$(nsigs "$hex")" -ge 1 ] || fail "$kind record $hex is not signed"
		n=$((n + 1))
	done
	[ "$n" -ge 1 ] || fail "no $kind record was made"
done
for ad in "$ARCA_REPO/records/adapter"/*; do
	for what in package manifest; do
		id=$(obj "${ad##*/}" | jq -r ".$what")
		[ "$(nsigs "${id#sha256:}")" = 1 ] || fail "adapter $what $id is not signed"
	done
done
ex 0 arca verify
assert_contains "$T/stdout" "no problems found"

test_case "a run's manifest is signed, its journal states are not"
terminal=0
for rec in "$ARCA_REPO/records/run"/*; do
	hex=${rec##*/}
	case $(status "$hex") in
	succeeded|failed|gated)
		[ "$(nsigs "$hex")" = 1 ] || fail "run manifest $hex is not signed"
		terminal=$((terminal + 1)) ;;
	*)	[ "$(nsigs "$hex")" = 0 ] || fail "journal state $hex ($(status "$hex")) is signed" ;;
	esac
done
assert_eq "$terminal" 2 "manifests"
ex 0 arca verify-sig "$run1"
assert_contains "$T/stdout" "record [0-9]+ \(succeeded\): OK"
ex 0 arca verify-sig "${run2:7:10}"
ex 0 arca verify-sig churn@1.0.0
assert_eq "$(grep -c ': OK' "$T/stdout")" 3 "record, package and manifest"
ex 0 arca verify-sig churn@gold
assert_contains "$T/stdout" "dataset churn@1 version record: OK"

test_case "the signature record names the object, the key and the signature"
sigrec=$(sig_records "${snap#sha256:}")
obj "$sigrec" >"$T/sigrec.json"
assert_eq "$(jq -r .type "$T/sigrec.json")" signature "type"
assert_eq "$(jq -r .signs "$T/sigrec.json")" "$snap" "signs"
assert_eq "$(jq -r .kind "$T/sigrec.json")" snapshot "kind"
assert_eq "$(jq -r .primary_fingerprint "$T/sigrec.json")" "$K" "primary_fingerprint"
assert_eq "$(jq -r .fingerprint "$T/sigrec.json")" "$K" "fingerprint"
[ -f "$ARCA_REPO/records/signature/$sigrec" ] || fail "not listed as a signature record"

test_case "an auditor checks with gpg alone: arca cat ID > x; arca cat SIGID > x.sig; gpg --verify x.sig x"
gpg_home "$T/auditor"
export_keys "$T/auditor" "$K"
sigid=$(jq -r .signature "$T/sigrec.json")
arca cat "$snap" >"$T/x"
arca cat "$sigid" >"$T/x.sig"
GNUPGHOME="$T/auditor" ex 0 gpg --batch --verify "$T/x.sig" "$T/x"
assert_contains "$T/stderr" "Good signature from \"Signer <signer@example>\""
# the same from the files alone, with zstd (docs/signing.md)
obj "${sigid#sha256:}" >"$T/y.sig"
obj "${snap#sha256:}" >"$T/y"
GNUPGHOME="$T/auditor" ex 0 gpg --batch --verify "$T/y.sig" "$T/y"
sed 's/"dirs":1/"dirs":2/' "$T/x" >"$T/x.bad"
cmp -s "$T/x" "$T/x.bad" && fail "the tampered copy is the same"
GNUPGHOME="$T/auditor" ex 1 gpg --batch --verify "$T/x.sig" "$T/x.bad"
assert_contains "$T/stderr" "BAD signature"

test_case "arca sign: a countersignature is kept beside the first; signing again adds nothing"
ARCA_SIGNING_KEY=$A ex 0 arca sign "$snap"
assert_contains "$T/stdout" "^signed snapshot $snap"
assert_eq "$(nsigs "${snap#sha256:}")" 2 "signatures"
ARCA_SIGNING_KEY=$A ex 0 arca sign --json "${snap:7:12}"
assert_eq "$(jq -r '.signed[0].added' "$T/stdout")" false "second time"
assert_eq "$(nsigs "${snap#sha256:}")" 2 "signatures after signing twice"
ex 0 arca sign "$snap"
assert_contains "$T/stdout" "was signed by this key already"
ex 0 arca verify-sig --json "$snap"
assert_eq "$(jq -r '.targets[0].counted' "$T/stdout")" 2 "both count"
ARCA_SIGNING_KEY=$A ex 0 arca sign churn@1.0.0
assert_eq "$(grep -c '^signed adapter churn@1.0.0' "$T/stdout")" 3 "record, package, manifest"
ARCA_SIGNING_KEY=$A ex 0 arca sign --json churn@2
assert_eq "$(jq -r '.signed[0].kind' "$T/stdout")" dataset-version "kind"
ARCA_SIGNING_KEY=$A ex 0 arca sign "${run1:7:8}"
assert_contains "$T/stdout" "^signed run ${run1:7:12} record [0-9]+ \(succeeded\)"
ARCA_SIGNING_KEY= ex 1 arca sign "$snap"
assert_contains "$T/stderr" "no signing key"
ex 1 arca sign nosuch@1
ex 1 arca sign 0000ffff

test_case "a reference that names two things is refused"
ex 0 arca dataset tag churn@1 1.0.0
ex 1 arca sign churn@1.0.0
assert_contains "$T/stderr" "is an adapter and a dataset version: write adapter:churn@1.0.0 or dataset:churn@1.0.0"
ex 0 arca sign dataset:churn@1.0.0
assert_contains "$T/stdout" "dataset churn@1 version record"

test_case "--require-signatures: unsigned writes are refused before anything is written"
S="$T/strict"
ex 0 arca --repo "$S" init --require-signatures
assert_contains "$S/config" '"require_signatures":true'
assert_contains "$S/config" '"version":\{"major":1,"minor":2\}'
export ARCA_SIGNING_KEY=
keys "$S" >"$T/keys.before"
ex 6 arca --repo "$S" snapshot "$T/data"
assert_contains "$T/stderr" "requires signatures and no signing key is configured: set one with 'arca config set signing.key FINGERPRINT' or ARCA_SIGNING_KEY"
ex 6 arca --repo "$S" dataset create churn --schema "$EX/schema.yaml"
ex 6 arca --repo "$S" run --code "$BIN" "$EX/template.yaml"
keys "$S" >"$T/keys.after"
diff "$T/keys.before" "$T/keys.after" >&2 || fail "a refused write changed the repository"
# with the key: the same writes work, signed; then each write refused without
ARCA_SIGNING_KEY=$K ex 0 arca --repo "$S" dataset create churn --schema "$EX/schema.yaml"
ARCA_SIGNING_KEY=$K ex 0 arca --repo "$S" dataset add churn "$EX/v1"
ARCA_SIGNING_KEY=$K ex 0 arca --repo "$S" run --json --code "$BIN" "$T/approval.yaml"
srun=$(json_field run)
ARCA_SIGNING_KEY=$K ex 0 arca --repo "$S" dataset add churn "$EX/v2"
keys "$S" >"$T/keys.before"
ex 6 arca --repo "$S" dataset add churn "$EX/v1"
ex 6 arca --repo "$S" dataset schema churn --schema "$T/schema2.yaml"
ex 6 arca --repo "$S" dataset tag churn@1 gold
ex 6 arca --repo "$S" dataset ack churn@2 --reason "reviewed"
ex 6 arca --repo "$S" approve "$srun" --reason "ok"
ex 6 arca --repo "$S" rerun "$srun"
ex 6 arca --repo "$S" adapter promote churn@1.0.0 --channel stable
mkdir -p "$T/drop/item1" && cp "$EX/v1/customers.csv" "$T/drop/item1/"
printf 'ingest: 1\nsources:\n  - name: drop\n    dataset: churn\n    folder: %s\n    settle: 0s\n' "$T/drop" >"$T/ingest.yaml"
ex 6 arca --repo "$S" ingest "$T/ingest.yaml"
assert_contains "$T/stderr" "requires signatures"
keys "$S" >"$T/keys.after"
diff "$T/keys.before" "$T/keys.after" >&2 || fail "a refused write changed the repository"
# reading needs no key
ex 0 arca --repo "$S" dataset versions churn
ARCA_SIGNING_KEY=$K ex 0 arca --repo "$S" approve "$srun" --reason "ok"
ex 0 arca --repo "$S" verify-sig "$srun"
ex 0 arca --repo "$S" verify
unset ARCA_SIGNING_KEY

test_case "nothing printed showed armoured PGP data"
no_armour "$T/all.out"
done_testing
