# Real OpenPGP keys for the signing tests (sourced after lib.sh): a
# throwaway GNUPGHOME under $T, keys made with gpg --quick-gen-key and no
# passphrase, and the user config under $T so nothing outside is read or
# written. The gpg-agents the tests start are killed on exit.
require gpg gpgconf zstd sha256sum

export GNUPGHOME="$T/gnupg"
export XDG_CONFIG_HOME="$T/config"
unset ARCA_SIGNING_KEY ARCA_TRUST_POLICY
mkdir -m 700 "$GNUPGHOME"
GPG_HOMES="$GNUPGHOME"

gpg_cleanup() {
	local h
	for h in $GPG_HOMES; do
		GNUPGHOME="$h" gpgconf --kill gpg-agent >/dev/null 2>&1 || true
	done
}
trap 'gpg_cleanup; cleanup' EXIT

# gpg_home DIR: another keyring (a verifier's); killed at exit too.
gpg_home() {
	mkdir -m 700 -p "$1"
	GPG_HOMES="$GPG_HOMES $1"
}

# fpr_of UID: the primary key's fingerprint.
fpr_of() {
	gpg --batch --with-colons --list-keys "$1" 2>/dev/null | awk -F: '/^fpr/ { print $10; exit }'
}

# gen_key UID [EXPIRE [GPG OPTION...]]: a signing key; prints its
# fingerprint.
gen_key() {
	local uid=$1 expire=${2:-1d}
	shift 2 2>/dev/null || shift $#
	gpg --batch --pinentry-mode loopback --passphrase '' "$@" \
		--quick-gen-key "$uid" ed25519 sign "$expire" >/dev/null 2>&1 ||
		fail "gpg --quick-gen-key $uid failed"
	fpr_of "$uid"
}

# revoke_key FPR: imports the revocation certificate gpg made with it.
revoke_key() {
	sed 's/^:-----BEGIN/-----BEGIN/' "$GNUPGHOME/openpgp-revocs.d/$1.rev" >"$T/revoke.asc"
	gpg --batch --import "$T/revoke.asc" >/dev/null 2>&1 || fail "revoking $1"
}

# export_keys DIR FPR...: imports those public keys into keyring DIR.
export_keys() {
	local dir=$1
	shift
	gpg --batch --armor --export "$@" >"$T/pub.asc"
	GNUPGHOME="$dir" gpg --batch --import "$T/pub.asc" >/dev/null 2>&1 ||
		fail "importing public keys into $dir"
}

# put_object FILE: stores FILE's bytes as an object of $ARCA_REPO the way
# the format says (what an attacker with write access can do); prints
# its id's hex.
put_object() {
	local sum hex
	sum=$(sha256sum <"$1")
	hex=${sum%% *}
	mkdir -p "$ARCA_REPO/objects/${hex:0:2}"
	zstd -q -f --check "$1" -o "$ARCA_REPO/objects/${hex:0:2}/$hex"
	echo "$hex"
}

# obj HEX: an object's content.
obj() {
	zstd -q -d <"$ARCA_REPO/objects/${1:0:2}/$1"
}

# sig_records HEX: the signature records of object HEX, one per line.
sig_records() {
	ls "$ARCA_REPO/refs/signatures/$1" 2>/dev/null || true
}

# no_armour FILE...: nothing printed holds a signature or key block.
no_armour() {
	local f
	for f in "$@"; do
		if grep -q "BEGIN PGP" "$f"; then fail "$f shows armoured PGP data"; fi
	done
}
