#!/usr/bin/env bash
# arca verify-sig against a trust policy, with real keys: each failure
# has its own message and exit 3 — a bad (tampered) signature, an
# unknown key (in no role; not in the keyring), a key not allowed for the
# kind, a key expired at signing time (gpg's expiry and the policy's
# window), a revoked key, a missing signature, too few signatures — and
# --json lists every signature with its fingerprint, status, role and
# reason. No output shows armoured PGP data.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib_gpg.sh"
require jq
now=$(date +%s)
K=$(gen_key "Runner <runner@example>")
K2=$(gen_key "Runner Two <runner2@example>")
U=$(gen_key "Stranger <stranger@example>")
N=$(gen_key "Reader <reader@example>")
W=$(gen_key "Old <old@example>")
R=$(gen_key "Revoked <revoked@example>")
# made ten days ago (gpg's own clock option), no expiry yet: it signs
# now, and then its expiry is set nine days back, before that signature
E=$(gen_key "Expired <expired@example>" never --faked-system-time $((now - 864000)))
policy() { # policy FILE [SIGNATURES...]
	cat >"$1" <<EOF
trust: 1
roles:
  runner:
    kinds: [snapshot, run]
    keys:
      - $K
      - $K2
      - $E
      - $R
      - {fingerprint: $W, until: 2020-01-01}
  reader:
    kinds: [run]
    keys: [$N]
EOF
	if [ $# -gt 1 ]; then
		printf 'signatures:\n  %s\n' "$2" >>"$1"
	fi
}
policy "$T/trust.yaml"
policy "$T/two.yaml" "snapshot: 2"
export ARCA_TRUST_POLICY="$T/trust.yaml"
: >"$T/all.out"
ex() {
	expect_exit "$@"
	cat "$T/stdout" "$T/stderr" >>"$T/all.out"
}
# snap KEY NAME: a snapshot of a small directory signed by KEY ("" for
# none); prints its id.
snap() {
	mkdir -p "$T/src/$2"
	echo "$2" >"$T/src/$2/f"
	ARCA_SIGNING_KEY=$1 arca snapshot --json "$T/src/$2" >"$T/snap.json" ||
		fail "snapshot $2"
	json_field id "$T/snap.json"
}

arca init >/dev/null
good=$(snap "$K" good)
missing=$(snap "" missing)
stranger=$(snap "$U" stranger)
reader=$(snap "$N" reader)
old=$(snap "$W" old)
revoked=$(snap "$R" revoked)
expired=$(snap "$E" expired)
other=$(snap "$K" other)
gpg --batch --pinentry-mode loopback --passphrase '' \
	--faked-system-time $((now - 777600)) --quick-set-expire "$E" seconds=1 \
	>/dev/null 2>&1 || fail "setting the expiry of $E"
revoke_key "$R"

test_case "a good signature from an allowed key: exit 0"
ex 0 arca verify-sig "$good"
assert_contains "$T/stdout" "^snapshot $good: OK \(1 valid signature, 1 required\)"
assert_contains "$T/stdout" "counts +$K .* runner"

test_case "signature missing"
ex 3 arca verify-sig "$missing"
assert_contains "$T/stderr" "snapshot record is not signed \(1 signature required\)"
ex 3 arca verify-sig --json "$missing"
assert_eq "$(jq -r '.targets[0].reason' "$T/stdout")" signature-missing "reason"
assert_eq "$(jq -r '.ok' "$T/stdout")" false "ok"

test_case "unknown key: in no role of the policy"
ex 3 arca verify-sig "$stranger"
assert_contains "$T/stderr" "signature by unknown key $U: it is in no role of the trust policy"

test_case "unknown key: not in the verifier's keyring"
gpg_home "$T/verifier"
export_keys "$T/verifier" "$K"
GNUPGHOME="$T/verifier" ex 3 arca verify-sig --json "$stranger"
assert_eq "$(jq -r '.targets[0].signatures[0].status' "$T/stdout")" "no key" "status"
assert_eq "$(jq -r '.targets[0].signatures[0].reason' "$T/stdout")" unknown-key "reason"
assert_contains "$T/stdout" "it is not in the keyring"
GNUPGHOME="$T/verifier" ex 0 arca verify-sig "$good"

test_case "key not allowed to sign the kind"
ex 3 arca verify-sig "$reader"
assert_contains "$T/stderr" "key $N \(role reader\) may not sign snapshot records"

test_case "key expired at signing time: gpg's expiry"
ex 3 arca verify-sig --json "$expired"
assert_eq "$(jq -r '.targets[0].signatures[0].reason' "$T/stdout")" key-expired "reason"
assert_eq "$(jq -r '.targets[0].signatures[0].status' "$T/stdout")" "expired key" "status"
assert_contains "$T/stdout" "key $E had expired \\([0-9T:-]+Z\\) when it signed"

test_case "key expired at signing time: outside its window in the policy"
ex 3 arca verify-sig "$old"
assert_contains "$T/stderr" "key $W signed at [0-9T:-]+Z, outside its validity window in the trust policy"

test_case "revoked key"
ex 3 arca verify-sig --json "$revoked"
assert_eq "$(jq -r '.targets[0].signatures[0].reason' "$T/stdout")" key-revoked "reason"
assert_contains "$T/stdout" "signature by key $R, which is revoked"

test_case "fewer signatures than the policy requires; a second signer makes it"
ex 3 arca verify-sig --trust "$T/two.yaml" "$good"
assert_contains "$T/stdout" "too-few-signatures: 1 valid, 2 required"
assert_contains "$T/stderr" "snapshot record has 1 valid signature, 2 required"
ARCA_SIGNING_KEY=$K2 ex 0 arca sign "$good"
ex 0 arca verify-sig --trust "$T/two.yaml" "$good"
# the same key twice is one
ARCA_SIGNING_KEY=$K ex 0 arca sign "$other"
ex 3 arca verify-sig --trust "$T/two.yaml" "$other"

test_case "bad signature: a signature of other bytes filed for this object"
# What someone with write access can do: a signature record for $other
# whose signature is a real one by K, but over another object's bytes.
sigrec=$(sig_records "${good#sha256:}" | head -1)
sigobj=$(obj "$sigrec" | jq -r .signature)
jq -c --arg s "$other" '.signs = $s' <(obj "$sigrec") | tr -d '\n' >"$T/forged.json"
fh=$(put_object "$T/forged.json")
mkdir -p "$ARCA_REPO/records/signature" "$ARCA_REPO/refs/signatures/${other#sha256:}"
echo "sha256:$fh" >"$ARCA_REPO/records/signature/$fh"
echo "sha256:$fh" >"$ARCA_REPO/refs/signatures/${other#sha256:}/$fh"
ex 3 arca verify-sig --json "$other"
assert_eq "$(jq -r "[.targets[0].signatures[] | select(.record == \"sha256:$fh\")][0].reason" "$T/stdout")" bad-signature "forged record"
assert_eq "$(jq -r "[.targets[0].signatures[] | select(.record == \"sha256:$fh\")][0].status" "$T/stdout")" bad "gpg's verdict"
ex 3 arca verify-sig "$other"
assert_contains "$T/stdout" "bad signature by key [0-9A-F]+: the signed bytes or the signature were changed"
[ "$(jq -r .signature "$T/forged.json")" = "$sigobj" ] || fail "the forged record names another signature"

test_case "bad signature: a record that signs another object, filed here"
jq -c --arg s "$good" '.signs = $s' <(obj "$sigrec") | tr -d '\n' >"$T/moved.json"
mh=$(put_object "$T/moved.json")
echo "sha256:$mh" >"$ARCA_REPO/records/signature/$mh"
mkdir -p "$ARCA_REPO/refs/signatures/${missing#sha256:}"
echo "sha256:$mh" >"$ARCA_REPO/refs/signatures/${missing#sha256:}/$mh"
ex 3 arca verify-sig "$missing"
assert_contains "$T/stdout" "signature record sha256:$mh signs another object \\($good\\)"

test_case "--json lists every signature with fingerprint, status, role and reason"
multi=$(snap "$K" multi)
ARCA_SIGNING_KEY=$N ex 0 arca sign "$multi"
ARCA_SIGNING_KEY=$U ex 0 arca sign "$multi"
ex 3 arca verify-sig --json "$multi"
jq -c '.targets[0].signatures[] | [.fingerprint, .status, .role, .reason]' "$T/stdout" | sort >"$T/got"
printf '%s\n' "[\"$K\",\"good\",\"runner\",null]" "[\"$N\",\"good\",\"reader\",\"key-not-allowed\"]" \
	"[\"$U\",\"good\",null,\"unknown-key\"]" | sort >"$T/want"
diff "$T/want" "$T/got" >&2 || fail "signature list"
assert_eq "$(jq -r '.targets[0].counted' "$T/stdout")" 1 "counted"
assert_eq "$(jq -r '.targets[0].judged_as' "$T/stdout")" snapshot "kind"
jq -e '.targets[0].signatures[] | select(.signature | startswith("sha256:"))' "$T/stdout" >/dev/null ||
	fail "no signature object ids"

test_case "the trust policy comes from the caller, never the repository"
cp "$T/trust.yaml" "$ARCA_REPO/trust.yaml"
ARCA_TRUST_POLICY= ex 1 arca verify-sig "$good"
assert_contains "$T/stderr" "no trust policy: give --trust FILE"
ex 1 arca verify-sig --trust "$T/nonexistent.yaml" "$good"
mkdir -p "$XDG_CONFIG_HOME/arca" && cp "$T/trust.yaml" "$XDG_CONFIG_HOME/arca/trust.yaml"
ARCA_TRUST_POLICY= ex 0 arca verify-sig "$good"
rm "$XDG_CONFIG_HOME/arca/trust.yaml"
ex 0 arca config set trust.policy "$T/two.yaml"
ARCA_TRUST_POLICY= ex 0 arca verify-sig "$good"
ARCA_TRUST_POLICY= ex 3 arca verify-sig "$other"

test_case "nothing printed showed armoured PGP data"
no_armour "$T/all.out"
done_testing
