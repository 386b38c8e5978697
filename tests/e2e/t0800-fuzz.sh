# t0800-fuzz.sh - run every libFuzzer target (build/fuzz/fuzz_*, from
# tests/fuzz/fuzz_*.c): first each file under tests/fuzz/regress/TARGET/
# (inputs that once crashed) once, then fuzzing from the seeds in
# tests/fuzz/corpus/TARGET plus what earlier runs found
# (build/fuzz/corpus/TARGET).  One ok/not ok line per target with
# executions per second and corpus size; a crash leaves its input in
# build/fuzz/crash/TARGET/ (copy it into regress/ once the bug is fixed).
#
# How long: in make test a smoke run, which must show that each target
# replays its regression inputs and every input of its corpus and then
# survives FUZZ_RUNS (default 10000) new inputs: a fixed amount of work,
# the same on a loaded machine (a few CPU seconds per target).
# Finding new bugs takes longer: FUZZ_SECONDS=N fuzzes N s per target
# (`make fuzz` runs this script with 60), VR_LONG=1 300 s.
#@ full-only: fuzzing (make fuzz runs it longer)
#@ no-san: the fuzz targets are built with ASan + UBSan already
. "$(dirname "$0")/../lib.sh"
top=$VR_TOP
FB=$top/build/fuzz
SECS=${FUZZ_SECONDS:-}
[ -z "$SECS" ] && [ "${VR_LONG:-}" = 1 ] && SECS=300
RUNS=${FUZZ_RUNS:-10000}

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
	# the corpus is run first, then mutated: -runs counts both
	if [ -n "$SECS" ]; then how=(-max_total_time="$SECS") what="${SECS}s"
	else
		how=(-runs=$((RUNS + $(find "$work" "$seeds" -type f | wc -l))))
		what="$RUNS new inputs"
	fi
	"$bin" "${how[@]}" -timeout=10 -rss_limit_mb=2048 \
	    -close_fd_mask=3 -print_final_stats=1 \
	    -artifact_prefix="$crash/" "$work" "$seeds" >"$T/log-$name" 2>&1
	rc=$?
	runs=$(sed -n 's/^stat::number_of_executed_units: *//p' \
	    "$T/log-$name")
	speed=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$T/log-$name")
	size=$(ls "$work" | wc -l)
	if [ "$rc" -eq 0 ] && [ -n "$runs" ]; then
		ok "fuzz_$name: $what, $runs runs, $speed exec/s," \
		    "corpus $size inputs"
	else
		notok "fuzz_$name: exit $rc after ${runs:-?} runs; input in" \
		    "$crash/"
		grep -E -A12 'ERROR|==ABORT|deadly signal|SUMMARY' \
		    "$T/log-$name" | sed 's/^/#   /' | head -40
	fi
done
[ "$n" -gt 0 ] || notok "no fuzz targets in $FB (make fuzz-build)"
