# t0420-eflow-gpu-record.sh - the GPU record is written ahead (issue 13):
# an A2 applied by DDA, then an Intel iGPU by ParaVirtualization whose
# verify hangs past the timeout, then a spec with only cpuCount must not
# send the old -gpuName 'NVIDIA A2' (before the fix it swapped the GPU
# back with a plan that showed only the CPU).  Also a vmrecon killed while
# the GPU changes, and a failed GPU Set-EflowVM.
. "$(dirname "$0")/../lib.sh"
. "$VR_TOP/tests/eflow-emu/emu.sh"
S=$T/s
vmr() { run "$VMRECON" "$1" -f "$2" --backend "$BK" --state-dir "$S"; }
inflight() { json_get "$S/last-applied.json" "d['vms']['EDGE01-EFLOW'].get('gpuInFlight', False)"; }
recgpu() { json_get "$S/last-applied.json" "(d['vms']['EDGE01-EFLOW'].get('gpu') or {}).get('name')"; }

spec "$T/a2.yaml" "gpu:" "  name: NVIDIA A2" \
	"  passthroughType: DirectDeviceAssignment" "restartPolicy: IfNeeded"
spec "$T/igpu.yaml" "gpu:" "  name: Intel(R) UHD Graphics 630" \
	"  passthroughType: ParaVirtualization" "restartPolicy: IfNeeded"
spec "$T/cpu.yaml" "cpuCount: 2" "restartPolicy: IfNeeded"

emu_reset
vmr apply "$T/a2.yaml"
expect_rc 0 "the A2 applied by DirectDeviceAssignment"
expect_eq "$(recgpu)/$(inflight)" "NVIDIA A2/False" "recorded as the A2"

# the verify after the Intel Set-EflowVM hangs past the timeout
emu_edit "d['setsDone'] = 0; d['faults'] = {'match': 'observe', 'afterSet': True, 'hang': True}"
VMRECON_EFLOW_TIMEOUT_MS=1500 run "$VMRECON" apply -f "$T/igpu.yaml" \
	--backend "$BK" --state-dir "$S"
expect_rc 1 "the Intel iGPU apply fails: its verify timed out"
expect_in "$T/err" "cannot observe after apply" "says the verify failed"
expect_eq "$(vmtuple)" "4,8192,Intel(R) UHD Graphics 630" "the host did switch to the iGPU"
expect_eq "$(recgpu)/$(inflight)" "None/True" "the record knows no GPU: in flight, not the A2"

# the host answers again; a spec with only cpuCount
emu_edit "d['faults'] = {}"
vmr diff "$T/cpu.yaml"
expect_rc 1 "diff of a cpuCount-only spec is refused"
vmr apply "$T/cpu.yaml"
expect_rc 1 "apply of a cpuCount-only spec is refused"
expect_in "$T/err" "has 1 GPU whose name and passthrough type vmrecon has no record of" \
	"because the GPU is unknown"
expect_in "$T/err" "declare the GPU in the spec" "with the fix"
expect_eq "$(nsets)" 0 "no Set-EflowVM was sent"
expect_not_in "$EFLOW_EMU_LOG" "NVIDIA A2" "-gpuName 'NVIDIA A2' never sent"
expect_eq "$(vmtuple)" "4,8192,Intel(R) UHD Graphics 630" "the iGPU stays"

# declaring the GPU the VM uses heals it
vmr apply "$T/igpu.yaml"
expect_rc 0 "declaring the iGPU converges"
expect_eq "$(recgpu)/$(inflight)" "Intel(R) UHD Graphics 630/False" "recorded as the iGPU once seen through"
vmr apply "$T/cpu.yaml"
expect_rc 0 "then a cpuCount-only spec applies"
expect_eq "$(vmtuple)" "2,8192,Intel(R) UHD Graphics 630" "and keeps the iGPU"
expect_in "$EFLOW_EMU_LOG" "-gpuName 'Intel(R) UHD Graphics 630' -gpuPassthroughType 'ParaVirtualization' -gpuCount 1" \
	"with the iGPU's parameters"

# a Set-EflowVM for a GPU change that fails (AzureEFLOW style, exit 0):
# the record stays unknown, never the old GPU
emu_edit "d['faults'] = {'setFails': 'GPU assignment failed'}"
vmr apply "$T/a2.yaml"
expect_rc 1 "a failed GPU Set-EflowVM fails apply"
expect_in "$T/err" "GPU assignment failed" "in the host's words"
expect_eq "$(recgpu)/$(inflight)" "None/True" "the record is in flight, not the iGPU"
emu_edit "d['faults'] = {}"
spec "$T/cpu3.yaml" "cpuCount: 3" "restartPolicy: IfNeeded"
vmr apply "$T/cpu3.yaml"
expect_rc 1 "so a cpuCount-only spec is refused again"
expect_eq "$(nsets)" 0 "and nothing is sent"

# vmrecon killed while Set-EflowVM changes the GPU
emu_edit "d['faults'] = {'match': 'set', 'hang': True}"
"$VMRECON" apply -f "$T/a2.yaml" --backend "$BK" --state-dir "$S" >/dev/null 2>&1 &
pid=$!
deadline=$(($(date +%s) + 60))
until grep -q '"kind":"set"' "$EFLOW_EMU_LOG" 2>/dev/null || [ "$(date +%s)" -ge $deadline ]; do
	sleep 0.1
done
kill -9 "$pid"
wait "$pid" 2>/dev/null
expect_eq "$(recgpu)/$(inflight)" "None/True" "killed mid-Set-EflowVM: the record is in flight"
emu_edit "d['faults'] = {}"
vmr apply "$T/a2.yaml"
expect_rc 0 "the next apply of the A2 converges"
expect_eq "$(vmtuple)/$(recgpu)/$(inflight)" "2,8192,NVIDIA A2/NVIDIA A2/False" "and records it"
