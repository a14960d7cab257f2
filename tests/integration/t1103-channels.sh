#!/usr/bin/env bash
# Adapter channels with real keys: promotion under a trust policy's
# per-channel rules (the runner's signature for staging, runner and
# release manager for stable), rollback (to the previous version, --to),
# resolve for deployment scripts, the history's listing, and a tampered
# history (an entry removed, reordered, cut off the end, replaced,
# moved from another channel) detected and named with exit 3.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib_gpg.sh"
require jq
EX="$ARCA_SOURCE_DIR/examples/churn"
BIN="$(dirname "$ARCA")/examples/bin"
RUN=$(gen_key "Runner <runner@example>")
REL=$(gen_key "Release Manager <release@example>")
ATT=$(gen_key "Attacker <attacker@example>")
cat >"$T/trust.yaml" <<EOF
trust: 1
roles:
  runner:
    kinds: [run, snapshot, dataset, dataset-schema, dataset-version, adapter,
            adapter-package, adapter-manifest, "channel:staging"]
    keys: [$RUN]
  release-manager:
    kinds: [channel, adapter, adapter-package, adapter-manifest]
    keys: [$REL]
channels:
  staging:
    roles: [runner]
  stable:
    min_signatures: 2
    roles: [runner, release-manager]
EOF
export ARCA_TRUST_POLICY="$T/trust.yaml"
: >"$T/all.out"
ex() {
	expect_exit "$@"
	cat "$T/stdout" "$T/stderr" >>"$T/all.out"
}
# package VERSION: the package id of churn@VERSION.
package() {
	arca adapter show --json "churn@$1" | jq -r .package
}
# tampered: a copy of the repository to break; ARCA_REPO points at it
# until untamper.
tamper() {
	rm -rf "$T/copy"
	cp -a "$T/repo" "$T/copy"
	export ARCA_REPO="$T/copy"
	H="$ARCA_REPO/refs/channels/churn/stable"
}
untamper() {
	export ARCA_REPO="$T/repo"
}

arca init >/dev/null
arca config set signing.key "$RUN" >/dev/null
arca dataset create churn --schema "$EX/schema.yaml" >/dev/null
arca dataset add churn "$EX/v1" >/dev/null
arca run --code "$BIN" "$EX/template.yaml" >/dev/null 2>&1 || fail "run 1"
arca run --code "$BIN" -p training.epochs=150 "$EX/template.yaml" >/dev/null 2>&1 || fail "run 2"
arca adapter show churn@1.0.1 >/dev/null || fail "no churn@1.0.1"

test_case "staging: the runner's signatures satisfy its rule"
ex 0 arca adapter promote churn@1.0.0 --channel staging --reason "first model"
assert_contains "$T/stdout" "^promoted churn@1.0.0 to staging \(entry 1\)"
ex 0 arca adapter resolve churn --channel staging
assert_eq "$(cat "$T/stdout")" "1.0.0 $(package 1.0.0)" "resolve"
ex 0 arca adapter resolve --json churn --channel staging
assert_eq "$(jq -r .seq "$T/stdout")" 1 "seq"
assert_eq "$(jq -r .signatures_checked "$T/stdout")" true "checked with the policy"
rec=$(jq -r .record "$T/stdout")
ex 0 arca verify-sig "$rec"
assert_contains "$T/stdout" "channel sha256:[0-9a-f]+: OK"

test_case "stable needs two signatures: refused with the runner's alone"
ARCA_SIGNING_KEY=$REL ex 6 arca adapter promote churn@1.0.0 --channel stable
assert_contains "$T/stderr" "churn@1.0.0 cannot go to channel stable: its record has 1 valid signature from the channel's roles, 2 required"
ARCA_SIGNING_KEY=$REL ex 0 arca sign churn@1.0.0
ARCA_SIGNING_KEY=$REL ex 0 arca adapter promote churn@1.0.0 --channel stable --reason "two sign-offs"
assert_contains "$T/stdout" "^promoted churn@1.0.0 to stable \(entry 1\)"

test_case "a change must be signed by a key the policy lets sign the channel"
ex 6 arca adapter promote churn@1.0.1 --channel stable
assert_contains "$T/stderr" "your signing key cannot sign this change: key $RUN \(role runner\) may not sign channel:stable records"
ARCA_SIGNING_KEY= ex 6 arca adapter promote churn@1.0.1 --channel staging
assert_contains "$T/stderr" "the trust policy needs channel:staging records signed and no signing key is configured"
ex 1 arca adapter promote churn@1.0.0 --channel staging
assert_contains "$T/stderr" "churn@1.0.0 is already the current version of channel staging"
ex 1 arca adapter promote churn@9.9.9 --channel staging
assert_contains "$T/stderr" "no adapter churn@9.9.9"
ex 1 arca adapter promote churn@1.0.0 --channel Stable
assert_contains "$T/stderr" "invalid channel 'Stable'"
ex 2 arca adapter promote churn@1.0.0

test_case "an unsigned adapter cannot be promoted while a policy is in force"
ARCA_SIGNING_KEY= arca run --code "$BIN" -p training.epochs=120 "$EX/template.yaml" >/dev/null 2>&1 || fail "run 3"
ex 6 arca adapter promote churn@1.0.2 --channel staging
assert_contains "$T/stderr" "churn@1.0.2 cannot go to channel staging: its record has 0 valid signatures from the channel's roles, 1 required"
# without a policy only the run's gates count
ARCA_TRUST_POLICY= ex 0 arca adapter promote churn@1.0.2 --channel canary
assert_contains "$T/stdout" "promoted churn@1.0.2 to canary"

test_case "promote a second version, roll back, roll back --to"
ARCA_SIGNING_KEY=$REL ex 0 arca sign churn@1.0.1
export ARCA_SIGNING_KEY=$REL
ex 0 arca adapter promote churn@1.0.1 --channel stable
assert_contains "$T/stdout" "promoted churn@1.0.1 to stable \(entry 2, was 1.0.0\)"
ex 0 arca adapter resolve churn --channel stable
assert_eq "$(cat "$T/stdout")" "1.0.1 $(package 1.0.1)" "after the promotion"
ex 0 arca adapter rollback churn --channel stable --reason "accuracy dropped"
assert_contains "$T/stdout" "rolled back churn@1.0.0 to stable \(entry 3, was 1.0.1\)"
ex 0 arca adapter resolve churn --channel stable
assert_eq "$(cat "$T/stdout")" "1.0.0 $(package 1.0.0)" "after the rollback"
ex 1 arca adapter rollback churn --channel stable
assert_contains "$T/stderr" "has nothing to roll back to: 1.0.0 is the only version promoted to it"
ex 0 arca adapter promote churn@1.0.1 --channel stable
ex 1 arca adapter rollback churn --channel stable --to 1.0.2
assert_contains "$T/stderr" "cannot roll channel stable of adapter churn back to 1.0.2: it is not a version promoted before the current one"
ex 0 arca adapter rollback --json churn --channel stable --to 1.0.0
assert_eq "$(jq -r '[.action, .version, .from, .seq] | join(" ")' "$T/stdout")" "rollback 1.0.0 1.0.1 5" "rollback entry"
ex 1 arca adapter rollback churn --channel nowhere
assert_contains "$T/stderr" "nothing was promoted to channel nowhere of adapter churn"
unset ARCA_SIGNING_KEY

test_case "the history: every channel, its current version, who and why"
ex 0 arca adapter channel --json churn
assert_eq "$(jq -r '[.channels[].channel] | join(" ")' "$T/stdout")" "canary stable staging" "channels"
assert_eq "$(jq -r '.channels[] | select(.channel == "stable") | [.history[].action] | join(" ")' "$T/stdout")" \
	"promote promote rollback promote rollback" "stable's history"
assert_eq "$(jq -r '.channels[] | select(.channel == "stable") | .version' "$T/stdout")" 1.0.0 "current"
assert_eq "$(jq -r '.channels[] | select(.channel == "stable") | .history[2].reason' "$T/stdout")" "accuracy dropped" "reason"
assert_eq "$(jq -r '.channels[] | select(.channel == "stable") | .history[0].signatures' "$T/stdout")" 1 "signed"
ex 0 arca adapter channel churn --channel stable
assert_contains "$T/stdout" "^channel stable: 1.0.0 \(entry 5\)"
assert_contains "$T/stdout" "rollback +1.0.0 \(from 1.0.1\) +by .*: accuracy dropped"
ex 0 arca adapter channel churn --channel stable --verify
assert_contains "$T/stdout" "history and signatures verified"
# canary's entry is signed by the runner, which may not sign it
ex 3 arca adapter channel churn --verify
assert_contains "$T/stderr" "channel canary of adapter churn: entry 1 \(sha256:[0-9a-f]+\): key $RUN \(role runner\) may not sign channel:canary records"
ex 0 arca verify
assert_contains "$T/stdout" "no problems found"

test_case "tampered: an entry removed"
tamper
rm "$H/000002"
ex 3 arca adapter channel churn --channel stable
assert_contains "$T/stderr" "channel stable of adapter churn: entry 2 is missing \(refs/channels/churn/stable/000002 was removed\)"
ex 3 arca adapter resolve churn --channel stable
ARCA_SIGNING_KEY=$REL ex 3 arca adapter promote churn@1.0.1 --channel stable
untamper

test_case "tampered: entries reordered"
tamper
cp "$H/000002" "$T/e2" && cp "$H/000003" "$H/000002" && cp "$T/e2" "$H/000003"
ex 3 arca adapter resolve churn --channel stable
assert_contains "$T/stderr" "entry 2 holds sha256:[0-9a-f]+, which is entry 3: the history was reordered or altered"
untamper

test_case "tampered: the newest entry cut off (a silent rollback)"
tamper
rm "$H/000005"
ex 3 arca adapter resolve churn --channel stable
assert_contains "$T/stderr" "record sha256:[0-9a-f]+ is entry 5 but no ref claims it: the newest entry was removed"
rm "$H/000004"
ex 3 arca adapter channel churn --channel stable
assert_contains "$T/stderr" "is entry [45] but the history ends at entry 3: later entries were removed|is entry 4 but no ref claims it"
untamper

test_case "tampered: an entry replaced by a forged one"
tamper
e5=$(cat "$H/000005")
# a promotion of the unsigned 1.0.2 in place of the rollback (a forged
# rollback to a version never promoted would not even parse as history)
obj "${e5#sha256:}" | jq -c --arg p "$(package 1.0.2)" \
	'.action = "promote" | .adapter_version = "1.0.2" | .package = $p | .reason = "looks legit"' |
	tr -d '\n' >"$T/forged.json"
fh=$(put_object "$T/forged.json")
echo "sha256:$fh" >"$ARCA_REPO/records/channel/$fh"
echo "sha256:$fh" >"$H/000005"
# its structure is right: only its signatures tell
ARCA_TRUST_POLICY= ex 0 arca adapter resolve churn --channel stable
assert_eq "$(cut -d' ' -f1 "$T/stdout")" 1.0.2 "what an unchecked reader sees"
ex 3 arca adapter resolve churn --channel stable
assert_contains "$T/stderr" "entry 5 \(sha256:$fh\): channel:stable record is not signed"
ARCA_SIGNING_KEY=$ATT ex 0 arca sign "sha256:$fh"
ex 3 arca adapter channel churn --channel stable --verify
assert_contains "$T/stderr" "entry 5 \(sha256:$fh\): signature by unknown key $ATT: it is in no role of the trust policy"
untamper

test_case "tampered: an entry moved from another channel"
tamper
cp "$ARCA_REPO/refs/channels/churn/staging/000001" "$H/000001"
ex 3 arca adapter channel churn --channel stable
assert_contains "$T/stderr" "entry 1 holds sha256:[0-9a-f]+, an entry of channel staging of adapter churn: it was moved here"
untamper

test_case "the untouched history still verifies; nothing printed showed armour"
ex 0 arca adapter channel churn --channel stable --verify
no_armour "$T/all.out"
done_testing
