#!/bin/sh
# Installs every Debian package arca's build, tests and benchmarks need.
# Idempotent and non-interactive; returns fast when everything is present.
set -eu

PKGS="build-essential cmake pkg-config git ca-certificates
libarchive-dev libarchive-tools libzstd-dev zstd libsqlite3-dev sqlite3
libgpgme-dev gnupg libcurl4-openssl-dev libssl-dev libfyaml-dev
libjansson-dev libcmocka-dev
python3 restic borgbackup time"

# Node.js and npm run the S3 test server (s3rver, installed from npm by
# the tests). A Node.js from elsewhere (NodeSource ships npm with it) is
# kept: Debian's npm would pull Debian's nodejs in beside it.
command -v node >/dev/null 2>&1 || PKGS="$PKGS nodejs"
command -v npm >/dev/null 2>&1 || PKGS="$PKGS npm"
# The AWS CLI is the standard S3 client the interoperability test
# (t9103) copies repositories with; one installed otherwise (AWS's own
# installer, pip) is kept.
command -v aws >/dev/null 2>&1 || PKGS="$PKGS awscli"

missing=""
for p in $PKGS; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed'; then
		missing="$missing $p"
	fi
done
[ -z "$missing" ] && exit 0

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
	command -v sudo >/dev/null 2>&1 || {
		echo "install-deps: need root (or sudo) to install:$missing" >&2
		exit 1
	}
	SUDO="sudo"
fi
echo "install-deps: installing:$missing" >&2
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
# shellcheck disable=SC2086
$SUDO apt-get install -y -qq --no-install-recommends $missing >/dev/null
