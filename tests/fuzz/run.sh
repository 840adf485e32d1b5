#!/bin/sh
# run.sh TARGET... - run each built fuzz target (build-fuzz/fuzz_TARGET) for
# FUZZ_SECONDS on a copy of its corpus, print one line per target and a
# summary line "fuzz: N targets, M executions, K crashes"; exit 1 on any
# crash. FUZZ_SEED, when set, is libFuzzer's -seed (else a random one).
# Called by `make fuzz`; see tests/fuzz/README.md.
set -u
B=${FUZZ_BUILD:-build-fuzz}
S=${FUZZ_SECONDS:-60}
here=$(cd "$(dirname "$0")" && pwd)
ntargets=0
total=0
crashes=0
mkdir -p "$B/corpus" "$B/artifacts" "$B/logs"
for t in "$@"; do
	bin="$B/fuzz_$t"
	if [ ! -x "$bin" ]; then
		echo "fuzz_$t: not built ($bin)" >&2
		crashes=$((crashes + 1))
		continue
	fi
	ntargets=$((ntargets + 1))
	corpus="$B/corpus/$t"
	mkdir -p "$corpus"
	# the repository's seeds, added to whatever earlier runs found
	if [ -d "$here/corpus/$t" ]; then
		for f in "$here/corpus/$t"/*; do
			[ -f "$f" ] && cp -p "$f" "$corpus/seed-$(basename "$f")"
		done
	fi
	dict=""
	seed=""
	[ -n "${FUZZ_SEED:-}" ] && seed="-seed=$FUZZ_SEED"
	[ -f "$here/dict/$t.dict" ] && dict="-dict=$here/dict/$t.dict"
	log="$B/logs/$t.log"
	# shellcheck disable=SC2086
	ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1} \
	UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1} \
	LSAN_OPTIONS=${LSAN_OPTIONS:-suppressions=$here/lsan.supp:print_suppressions=0} \
	"$bin" -max_total_time="$S" -timeout=20 -rss_limit_mb=2048 \
	    -print_final_stats=1 -artifact_prefix="$B/artifacts/$t-" \
	    $seed $dict "$corpus" >"$log" 2>&1 </dev/null
	rc=$?
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
	if [ -z "$execs" ]; then
		execs=$(sed -n 's/^#\([0-9][0-9]*\).*/\1/p' "$log" | tail -n 1)
	fi
	[ -z "$execs" ] && execs=0
	total=$((total + execs))
	units=$(ls "$corpus" | wc -l)
	if [ "$rc" -ne 0 ]; then
		crashes=$((crashes + 1))
		art=$(sed -n 's/.*Test unit written to \(.*\)$/\1/p' "$log" | tail -n 1)
		echo "fuzz_$t: $execs executions, CRASH (exit $rc; input ${art:-?}; log $log)"
		grep -m 3 -E '==fuzz==|ERROR: |runtime error:|SUMMARY:' "$log" | sed 's/^/    /'
	else
		echo "fuzz_$t: $execs executions in ${S}s, no crash ($units corpus files)"
	fi
done
echo "fuzz: $ntargets targets, $total executions, $crashes crashes"
[ "$crashes" -eq 0 ]
