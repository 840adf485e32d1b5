#!/bin/sh
# fuzz-smoke.sh - a short run of every fuzz target, for CI:
#   make fuzz FUZZ_SECONDS=5 FUZZ_SEED=1
# The fixed seed makes the pass repeatable: the same code and corpus try
# the same inputs, so a red CI is the change's doing and can be replayed.
# Exploring goes on in `make fuzz`, which picks a fresh seed every run.
# Needs clang with libFuzzer and the sanitizer runtimes (Debian bookworm:
# clang and libclang-rt-14-dev). As root, missing packages are installed
# with apt-get; otherwise the apt-get line to run is printed and the script
# stops. The build dependencies themselves come from scripts/deps.sh.
# Exit status: make's (non-zero when a target crashed or did not build).
set -u
cd "$(dirname "$0")/.." || exit 1

sh scripts/deps.sh || exit 1

fuzzer_links() {
	command -v "${FUZZ_CC:-clang}" >/dev/null 2>&1 || return 1
	d=$(mktemp -d) || return 1
	printf 'int LLVMFuzzerTestOneInput(const char *d, unsigned long n);\n%s\n' \
	    'int LLVMFuzzerTestOneInput(const char *d, unsigned long n) { (void)d; (void)n; return 0; }' \
	    > "$d/t.c"
	"${FUZZ_CC:-clang}" -fsanitize=fuzzer,address,undefined "$d/t.c" -o "$d/t" \
	    >/dev/null 2>&1
	rc=$?
	rm -rf "$d"
	return $rc
}

if ! fuzzer_links; then
	pkgs="clang libclang-rt-14-dev"
	if [ "$(id -u)" -ne 0 ]; then
		echo "fuzz-smoke: clang with libFuzzer is missing" >&2
		echo "run: sudo apt-get install -y $pkgs" >&2
		exit 1
	fi
	echo "fuzz-smoke: installing $pkgs"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq >/dev/null || { echo "fuzz-smoke: apt-get update failed" >&2; exit 1; }
	# shellcheck disable=SC2086
	apt-get install -y -qq --no-install-recommends $pkgs >/dev/null ||
	    { echo "fuzz-smoke: apt-get install failed: $pkgs" >&2; exit 1; }
	fuzzer_links || { echo "fuzz-smoke: clang still cannot link -fsanitize=fuzzer" >&2; exit 1; }
fi

exec make --no-print-directory fuzz FUZZ_SECONDS="${FUZZ_SECONDS:-5}" \
    FUZZ_SEED="${FUZZ_SEED:-1}"
