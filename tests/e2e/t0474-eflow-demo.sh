# t0474-eflow-demo.sh - `make demo-eflow` (tests/demo-eflow), the way to try
# the eflow backend without Windows: from the default emulated host it
# shows what a plain Set-EflowVM -gpuName does to the VM, what vmrecon
# sends instead (the set script decoded) and the VM after each, and the
# commands it prints at the end run as printed, with no environment
# variables.
. "$(dirname "$0")/../lib.sh"
trusted_tmp || skip_all "cannot make a directory under build/tmp"
D=$TT/demo
grep -q '^demo-eflow:' "$VR_TOP/Makefile" && ok "make has a demo-eflow target" ||
	notok "make has no demo-eflow target"
[ -x "$VR_TOP/tests/demo-eflow" ] || { notok "tests/demo-eflow is missing"; exit 0; }
run env VMRECON="$VMRECON" VR_DEMO_DIR="$D" NO_COLOR=1 "$VR_TOP/tests/demo-eflow"
expect_rc 0 "the demo runs"
cp "$T/out" "$T/demo.out"
expect_in "$T/demo.out" "before: VM EDGE01-EFLOW is Running with 4 CPU(s), 8192 MB, no GPU" \
	"it starts from the default host: 4 CPUs, 8192 MB, no GPU"
expect_in "$T/demo.out" "PS> Set-EflowVM -gpuName 'NVIDIA A2' -gpuPassthroughType 'DirectDeviceAssignment' -gpuCount 1 -headless" \
	"it shows the plain Set-EflowVM"
expect_in "$T/demo.out" "after: VM EDGE01-EFLOW is Running with 1 CPU(s), 1024 MB, GPU NVIDIA A2 by DirectDeviceAssignment" \
	"and what it did: CPUs and memory back to their defaults"
expect_in "$T/demo.out" "\$r = Set-EflowVM -cpuCount 4 -memoryInMB 8192 -gpuName 'NVIDIA A2' -gpuPassthroughType 'DirectDeviceAssignment' -gpuCount 1 -headless 6>&1" \
	"it shows the decoded set script vmrecon sent, with every parameter"
expect_in "$T/demo.out" "after: VM EDGE01-EFLOW is Running with 4 CPU(s), 8192 MB, GPU NVIDIA A2 by DirectDeviceAssignment" \
	"and the VM after vmrecon's apply: the A2, CPUs and memory kept"
expect_in "$T/demo.out" "EDGE01-EFLOW: in sync" "a last diff is in sync"
# the commands printed at the end, run as printed, in a clean environment
n=0
while read -r line; do
	n=$((n + 1))
	# shellcheck disable=SC2086 # the printed command's words
	run env -i PATH=/usr/bin:/bin $line
	case $line in
	*" get "*) expect_rc 0 "printed command $n (get) runs as printed"
		expect_in "$T/out" "name: NVIDIA A2" "get names the GPU vmrecon applied" ;;
	*) expect_rc 0 "printed command $n runs as printed (in sync)" ;;
	esac
done < <(grep -E '^  .*--backend eflow:' "$T/demo.out")
expect_eq "$n" 3 "the demo prints 3 commands to go on with"
