# tests/vm/cputime.sh - the CPU time a process has used, for deadlines that
# do not depend on what else the machine runs: QEMU under TCG needs the same
# CPU seconds to boot or to answer a hot-plug on an idle host and on a loaded
# one; only the wall time stretches.  Sourced by start.sh and the VM tests.

# cpu_ms PID: user+system CPU milliseconds of PID; empty when PID is gone.
cpu_ms() {
	local f
	f=$(cat "/proc/$1/stat" 2>/dev/null) || return 0
	f=${f##*) } # the command name may hold spaces: cut after its ')'
	# after ')': field 12 is utime and 13 stime, in clock ticks
	awk -v t="$(getconf CLK_TCK)" '{ printf "%d\n", ($12 + $13) * 1000 / t }' <<<"$f"
}
