#!/bin/sh
# Install what ritual needs on Debian 12 (bookworm).
#   sh scripts/deps.sh         to build and run it (make, make demo)
#   sh scripts/deps.sh test    and to run every test (make check): cmocka,
#                              faketime, systemd-analyze, Chromium and
#                              Selenium, tmux, vips, npm and a real S3 server
#   sh scripts/deps.sh bench   and the peers and tools of make bench
# As root: apt-get installs whatever is missing. Otherwise: print the one
# apt-get line to run and stop.
set -u
PKGS="gcc make pkg-config libc6-dev libcurl4-openssl-dev libconfig-dev libsqlite3-dev \
libjansson-dev libsystemd-dev libssl-dev libvips-dev libunistring-dev zlib1g-dev python3 tzdata \
ca-certificates"
TEST_PKGS="libcmocka-dev faketime systemd libvips-tools chromium chromium-driver \
python3-selenium tmux clang libclang-rt-14-dev groff gdb python3-aiosmtpd valgrind"
BENCH_PKGS="python3-apscheduler python3-sqlalchemy cron curl strace wrk util-linux"
mode=${1:-build}
[ "$mode" = test ] && PKGS="$PKGS $TEST_PKGS"
[ "$mode" = bench ] && PKGS="$PKGS $BENCH_PKGS"
missing=""
for p in $PKGS; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" \
		|| missing="$missing $p"
done
# npm (for the tests' real S3 server) may come from NodeSource, not dpkg.
[ "$mode" = test ] && ! command -v npm >/dev/null 2>&1 && missing="$missing nodejs npm"
# The real SigV4-verifying S3 server of tests/e2e/test_s3.py, installed in
# build/node/ (git-ignored). Bounded: without network it fails, not hangs.
S3RVER_VERSION=4.0.4
s3rver() {
	[ "$mode" = test ] || return 0
	dir="$(dirname "$0")/../build/node"
	[ -f "$dir/node_modules/@20minutes/s3rver/lib/cli.js" ] && return 0
	echo "deps: installing @20minutes/s3rver@$S3RVER_VERSION into build/node/"
	mkdir -p "$dir" || return 1
	if ! timeout 300 npm install --prefix "$dir" "@20minutes/s3rver@$S3RVER_VERSION" \
		--no-audit --no-fund --loglevel=error --fetch-retries=1 \
		--fetch-timeout=30000 >"$dir/npm.log" 2>&1; then
		echo "deps: npm could not install @20minutes/s3rver@$S3RVER_VERSION" \
			"(no network, or the npm registry unreachable?); see" \
			"build/node/npm.log" >&2
		return 1
	fi
}
[ -z "$missing" ] && { s3rver; exit; }
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
s3rver
