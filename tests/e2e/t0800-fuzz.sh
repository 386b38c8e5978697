# t0800-fuzz.sh - run every libFuzzer target (build/fuzz/fuzz_*, from
# tests/fuzz/fuzz_*.c) for a while: first each file under
# tests/fuzz/regress/TARGET/ (inputs that once crashed) once, then fuzzing
# for FUZZ_SECONDS (default 20) from the seeds in tests/fuzz/corpus/TARGET
# plus what earlier runs found (build/fuzz/corpus/TARGET).  One ok/not ok
# line per target with executions per second and corpus size; a crash
# leaves its input in build/fuzz/crash/TARGET/ (copy it into regress/ once
# the bug is fixed).  `make fuzz FUZZ_SECONDS=N` runs this script.
#@ full-only: fuzzing (make fuzz runs it longer)
#@ no-san: the fuzz targets are built with ASan + UBSan already
. "$(dirname "$0")/../lib.sh"
top=$VR_TOP
FB=$top/build/fuzz
SECS=${FUZZ_SECONDS:-20}

n=0
for bin in "$FB"/fuzz_*; do
	[ -x "$bin" ] || continue
	n=$((n + 1))
	name=${bin##*/fuzz_}
	seeds=$top/tests/fuzz/corpus/$name
	work=$FB/corpus/$name
	crash=$FB/crash/$name
	reg=$top/tests/fuzz/regress/$name
	mkdir -p "$work" "$crash"

	if [ -d "$reg" ] && [ -n "$(ls -A "$reg")" ]; then
		if "$bin" -runs=1 "$reg"/* >"$T/reg-$name" 2>&1; then
			ok "fuzz_$name: $(ls "$reg" | wc -l) regression inputs"
		else
			notok "fuzz_$name: a regression input fails again"
			grep -E 'ERROR|SUMMARY|Running' "$T/reg-$name" |
			    sed 's/^/#   /' | head -20
		fi
	fi

	# -close_fd_mask=3: the code under test may print (warnings); the
	# fuzzer's own report and sanitizer reports still get through
	"$bin" -max_total_time="$SECS" -timeout=10 -rss_limit_mb=2048 \
	    -close_fd_mask=3 -print_final_stats=1 \
	    -artifact_prefix="$crash/" "$work" "$seeds" >"$T/log-$name" 2>&1
	rc=$?
	runs=$(sed -n 's/^stat::number_of_executed_units: *//p' \
	    "$T/log-$name")
	speed=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$T/log-$name")
	size=$(ls "$work" | wc -l)
	if [ "$rc" -eq 0 ] && [ -n "$runs" ]; then
		ok "fuzz_$name: ${SECS}s, $runs runs, $speed exec/s," \
		    "corpus $size inputs"
	else
		notok "fuzz_$name: exit $rc after ${runs:-?} runs; input in" \
		    "$crash/"
		grep -E -A12 'ERROR|==ABORT|deadly signal|SUMMARY' \
		    "$T/log-$name" | sed 's/^/#   /' | head -40
	fi
done
[ "$n" -gt 0 ] || notok "no fuzz targets in $FB (make fuzz-build)"
