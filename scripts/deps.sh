#!/bin/sh
# Install what ritual needs to build and test, on Debian 12 (bookworm).
# As root: apt-get installs whatever is missing. Otherwise: print the one
# apt-get line to run and stop.
set -u
PKGS="gcc make pkg-config libc6-dev libcurl4-openssl-dev libconfig-dev libsqlite3-dev \
libjansson-dev libcmocka-dev libssl-dev python3 tzdata ca-certificates"
missing=""
for p in $PKGS; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" \
		|| missing="$missing $p"
done
[ -z "$missing" ] && exit 0
if [ "$(id -u)" -ne 0 ]; then
	echo "ritual needs these Debian packages:$missing" >&2
	echo "run: sudo apt-get install -y$missing" >&2
	exit 1
fi
echo "deps: installing$missing"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >/dev/null || { echo "deps: apt-get update failed" >&2; exit 1; }
# shellcheck disable=SC2086
apt-get install -y -qq --no-install-recommends $missing >/dev/null \
	|| { echo "deps: apt-get install failed:$missing" >&2; exit 1; }
