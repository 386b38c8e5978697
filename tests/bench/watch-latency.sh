#!/usr/bin/env bash
# tests/bench/watch-latency.sh - time from `git push` to the sim VM
# converged under `vmrecon watch --interval 1s` over file://.
#
#   tests/bench/watch-latency.sh [RUNS]     (default 15)
#
# Prints each time in ms, then min, median and max, and the load average
# (the figure depends on how busy the machine is).
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
VMRECON=${VMRECON:-$top/build/rel/vmrecon}
runs=${1:-15}
T=$(mktemp -d "${TMPDIR:-/tmp}/vr-bench-XXXXXX")
export GIT_CONFIG_NOSYSTEM=1 GIT_CONFIG_GLOBAL=/dev/null
export GIT_AUTHOR_NAME=bench GIT_AUTHOR_EMAIL=b@example.com
export GIT_COMMITTER_NAME=bench GIT_COMMITTER_EMAIL=b@example.com
git init -q --bare -b main "$T/srv.git"
git init -q -b main "$T/w"
git -C "$T/w" remote add origin "$T/srv.git"
mkdir -p "$T/w/hosts"
spec() {
	printf 'apiVersion: vmrecon/v1\nkind: VirtualMachine\nmetadata:\n  name: edge-01\nspec:\n  cpuCount: %s\n  restartPolicy: IfNeeded\n' "$1" \
		>"$T/w/hosts/a.yaml"
}
spec 2
git -C "$T/w" add -A && git -C "$T/w" commit -qm init && git -C "$T/w" push -q origin HEAD:main
"$VMRECON" watch --repo "file://$T/srv.git" --path hosts/a.yaml \
	--state-dir "$T/s" --backend "sim:$T/s/sim.json" --interval 1s \
	2>"$T/log" &
pid=$!
trap 'kill $pid 2>/dev/null; wait $pid 2>/dev/null; rm -rf "$T"' EXIT
# the sim file's cpuCount without starting an interpreter per poll
cpu() { tr -d ' \n' <"$T/s/sim.json" 2>/dev/null | grep -o '"edge-01":{[^}]*' | grep -o '"cpuCount":[0-9]*' | grep -o '[0-9]*$'; }
for i in $(seq 1 100); do [ "$(cpu)" = 2 ] && break; sleep 0.05; done
total=()
after=()
for i in $(seq 1 "$runs"); do
	n=$((3 + i % 8))
	[ "$(cpu)" = "$n" ] && n=$((n + 1))
	spec $n
	git -C "$T/w" commit -qam "cpu $n"
	sleep "0.$((RANDOM % 10))"   # push at a random point of the interval
	t0=$(date +%s%N)
	git -C "$T/w" push -q origin HEAD:main
	t1=$(date +%s%N)
	while [ "$(cpu)" != "$n" ]; do
		[ $((($(date +%s%N) - t0) / 1000000)) -gt 10000 ] && break
		sleep 0.01
	done
	t2=$(date +%s%N)
	total+=("$(((t2 - t0) / 1000000))")
	after+=("$(((t2 - t1) / 1000000))")
	echo "run $i: $(((t2 - t0) / 1000000)) ms from push start," \
		"$(((t2 - t1) / 1000000)) ms after the push returned"
done
stats() { # LABEL VALUES...
	local label=$1 sorted
	shift
	sorted=$(printf '%s\n' "$@" | sort -n)
	echo "$label: min $(echo "$sorted" | head -1) ms, median" \
		"$(echo "$sorted" | sed -n "$((($# + 1) / 2))p") ms, max" \
		"$(echo "$sorted" | tail -1) ms"
}
stats "from git push start to converged" "${total[@]}"
stats "from git push returned to converged" "${after[@]}"
echo "$runs pushes, interval 1s; load average $(cut -d' ' -f1-3 /proc/loadavg) on $(nproc) CPUs"
