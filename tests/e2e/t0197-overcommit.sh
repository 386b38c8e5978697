# t0197-overcommit.sh - more vCPUs than the host's logical processors: on
# libvirt (its in-process test driver, test:///default: no daemon) a
# warning with the numbers, and the plan goes on; on sim (like EFLOW,
# whose docs forbid it) still an error, nothing applied.
. "$(dirname "$0")/../lib.sh"
S=$T/state
vm() { # NAME CPU
	printf 'apiVersion: vmrecon/v1\nkind: VirtualMachine\nmetadata:\n  name: %s\nspec:\n  cpuCount: %s\n  restartPolicy: IfNeeded\n' "$1" "$2" >"$T/$1-$2.yaml"
}
run "$VMRECON" version
if grep -q libvirt "$T/out"; then
	B=libvirt:test:///default
	run "$VMRECON" get test -b "$B" -o json --state-dir "$S"
	expect_rc 0 "the libvirt test driver has its VM"
	# the test driver's node has 16 logical processors (its fixed
	# node info; the overcommit check below would say otherwise)
	host=16
	over=$((host + 4))
	vm test "$over"
	run "$VMRECON" diff -f "$T/test-$over.yaml" -b "$B" --state-dir "$S"
	expect_rc 2 "diff of an overcommitted cpuCount on libvirt plans it"
	expect_in "$T/err" "vmrecon: warning: $T/test-$over.yaml:6:13: cpuCount $over is more than the host's $host logical processors: 4 vCPUs overcommitted, which libvirt allows" \
		"a warning with the numbers, at the file's line"
	run "$VMRECON" apply -f "$T/test-$over.yaml" -b "$B" --state-dir "$S"
	expect_rc 0 "apply goes on"
	expect_in "$T/out" "converged" "and converges"
else
	skip "libvirt is not built in"
fi

vm edge-01 512
run "$VMRECON" apply -f "$T/edge-01-512.yaml" --state-dir "$S"
expect_rc 1 "on sim (like EFLOW) overcommit is an error"
expect_in "$T/err" "cpuCount 512 is more than the host's" "named"
expect_not_in "$T/err" "warning" "not a warning"
