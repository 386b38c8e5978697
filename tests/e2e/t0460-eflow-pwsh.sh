# t0460-eflow-pwsh.sh - vmrecon's eflow backend end to end with its scripts
# run by a real pwsh (tests/eflow-pwsh/powershell) against the mock
# AzureEFLOW module: a GPU name with typographic quotes round-trips, a
# Set-EflowVM that fails but exits 0 makes apply fail with the host's
# words, a two-socket host diffs, the GPU is never swapped after a lost
# verify, and the launcher starts and requests per command are counted.
# Skipped where no pwsh runs.
#@ full-only: starts a real pwsh per backend call (~1.5 CPU s each)
#@ no-san: mostly times pwsh starting; every line of vmrecon it runs, unit and t0400-t0430 run on build/san (tests/sancov)
. "$(dirname "$0")/../lib.sh"
# pwsh leaves its CoreFxPipe_PSHost.* sockets in TMPDIR when it is killed
# (the verify deadline kills it on purpose): keep them in this test's dir
export TMPDIR=$T
. "$VR_TOP/tests/eflow-pwsh/testlib.sh"
S=$T/s

nsets() { sets; }
vmr() { run "$VMRECON" "$1" -f "$2" --backend "$BK" --state-dir "$S"; }
ms() { date +%s%3N; }

# --- a two-socket host diffs, in one launcher start ---------------------------
mock_reset 'd["host"]["logicalProcessors"] = [4, 4]'
spec "$T/cpu6.yaml" "cpuCount: 6" "restartPolicy: IfNeeded"
t0=$(ms)
vmr diff "$T/cpu6.yaml"
t1=$(ms)
expect_rc 2 "two sockets: diff of cpuCount 6 (> one socket's 4) shows a change"
expect_in "$T/out" "cpuCount    4 -> 6" "two sockets: the plan"
expect_eq "$(starts),$(observes)" 1,1 "diff makes 1 launcher start, 1 observe"
echo "# one diff through real pwsh: $((t1 - t0)) ms"
spec "$T/cpu9.yaml" "cpuCount: 9" "restartPolicy: IfNeeded"
vmr diff "$T/cpu9.yaml"
expect_rc 1 "two sockets: cpuCount 9 on 4+4 processors is refused"
expect_in "$T/err" "8" "two sockets: the refusal counts all 8"
mock_edit pass
vmr apply "$T/cpu6.yaml"
expect_rc 0 "two sockets: apply cpuCount 6"
expect_eq "$(vmtuple)" "6,8192,None" "two sockets: applied, memory kept"
expect_eq "$(starts),$(observes),$(sets)" 1,2,1 \
	"an apply that changes something makes 1 launcher start for its 3 requests (observe, set, verify)"
mock_edit pass
vmr apply "$T/cpu6.yaml"
expect_rc 0 "in-sync apply"
expect_eq "$(starts),$(observes)" 1,1 "an in-sync apply makes 1 launcher start, 1 observe"
expect_eq "$(nsets)" 0 "and no Set-EflowVM"

# --- the evidence's other shapes: noise, lowercase keys, numbers --------------
mock_reset 'd["faults"].update(noise={"Get-EflowVm": ["Could not resolve virtual machine IP address at line 3881"], "Get-EflowHostConfiguration": ["WARNING: something"]}, lowercaseKeys=True, powerAsNumber=True, noGpuCount=True)'
vmr diff "$T/cpu6.yaml"
expect_rc 2 "noise, lowercase keys, numeric power, no gpucount: diff still works"
expect_in "$T/out" "cpuCount    4 -> 6" "and reads the CPU count"

# --- a GPU name with typographic quotes, round trip ---------------------------
Q='NVIDIA ‘Quadro’ RTX 4000'
mock_reset "d['host']['videoControllers'].append('$Q')"
spec "$T/quadro.yaml" "cpuCount: 4" "memoryInMB: 8192" "gpu:" "  name: \"$Q\"" \
    "  passthroughType: ParaVirtualization" "restartPolicy: IfNeeded"
vmr apply "$T/quadro.yaml"
expect_rc 0 "typographic quotes: apply"
expect_eq "$(vmtuple)" "4,8192,$Q" "typographic quotes: the mock got the exact name"
expect_in "$EFLOW_PWSH_TRACE" "\"gpuName\":\"$Q\"" "typographic quotes: Set-EflowVM bound the exact name"
mock_edit pass
vmr diff "$T/quadro.yaml"
expect_rc 0 "typographic quotes: in sync afterwards"

# --- a failed Set-EflowVM that exits 0 ----------------------------------------
mock_reset 'd["faults"]["setFails"] = "Failed to resize the virtual machine EDGE01-EFLOW (0x8007000e)"'
vmr apply "$T/cpu6.yaml"
expect_rc 1 "a Set-EflowVM that fails but exits 0 makes apply fail"
expect_in "$T/err" "Failed to resize the virtual machine EDGE01-EFLOW (0x8007000e)" "with the host's words"
expect_not_in "$T/err" "CLIXML" "and no CLIXML in the message"
expect_eq "$(vmtuple)" "4,8192,None" "nothing changed"
expect_eq "$(starts),$(observes),$(sets)" 1,1,1 "no verify after a failed set (1 start, 2 requests)"

mock_reset 'd["faults"]["setStopsVm"] = True'
vmr apply "$T/cpu6.yaml"
expect_rc 1 "a Set-EflowVM that stops the VM and cannot restart it makes apply fail"
expect_in "$T/err" "Not enough memory in the system to start the virtual machine" "with the host's words"

# --- an Off VM: started first; a failed start stops the apply ----------------
mock_reset 'd["vm"]["power"] = "Off"'
vmr apply "$T/cpu6.yaml"
expect_rc 0 "an Off VM with IfNeeded: started, then set"
expect_eq "$(vmtuple),$(mock_get "d['vm']['power']")" "6,8192,None,Running" "applied and running"
mock_reset 'd["vm"]["power"] = "Off"; d["faults"]["startFails"] = "Not enough memory in the system to start the virtual machine EDGE01-EFLOW with ram size 8192 megabytes"'
vmr apply "$T/cpu6.yaml"
expect_rc 1 "a Start-EflowVm that fails but exits 0 makes apply fail"
expect_in "$T/err" "ram size 8192 megabytes" "with the host's words"
expect_eq "$(nsets)" 0 "and no Set-EflowVM after it"

# --- DDA takes the GPU out of Windows' list: keeping it still works ----------
rm -rf "$S"
mock_reset 'd["faults"]["ddaHidesGpu"] = True'
spec "$T/a2.yaml" "cpuCount: 4" "memoryInMB: 8192" "gpu:" "  name: NVIDIA A2" \
    "  passthroughType: DirectDeviceAssignment" "restartPolicy: IfNeeded"
vmr apply "$T/a2.yaml"
expect_rc 0 "DDA: apply the A2"
spec "$T/a2cpu2.yaml" "cpuCount: 2" "memoryInMB: 8192" "gpu:" "  name: NVIDIA A2" \
    "  passthroughType: DirectDeviceAssignment" "restartPolicy: IfNeeded"
mock_edit pass
vmr apply "$T/a2cpu2.yaml"
expect_rc 0 "DDA: a CPU change that keeps the A2, now gone from Win32_VideoController"
expect_eq "$(vmtuple)" "2,8192,NVIDIA A2" "DDA: the A2 is kept"

# --- the GPU is never swapped after a lost verify -----------------------------
# Every call gets a timeout of 5 times the diff measured above (at least
# 20 s); the verify after the Set-EflowVM hangs until it is killed.
to=$((5 * (t1 - t0)))
[ "$to" -ge 20000 ] || to=20000
rm -rf "$S"
mock_reset
vmr apply "$T/a2.yaml"
expect_rc 0 "swap: apply the A2 (DDA)"
spec "$T/igpu.yaml" "cpuCount: 4" "memoryInMB: 8192" "gpu:" \
    "  name: Intel(R) UHD Graphics 630" "  passthroughType: ParaVirtualization" \
    "restartPolicy: IfNeeded"
mock_edit 'd["faults"]["hangAfterSet"] = True'
VMRECON_EFLOW_TIMEOUT_MS=$to vmr apply "$T/igpu.yaml"
expect_rc 1 "swap: apply the iGPU while the verify hangs fails"
expect_eq "$(vmtuple)" "4,8192,Intel(R) UHD Graphics 630" "swap: the iGPU is on the VM"
spec "$T/cpu3.yaml" "cpuCount: 3" "restartPolicy: IfNeeded"
mock_edit 'd["faults"] = {}'
vmr apply "$T/cpu3.yaml"
expect_rc 1 "swap: a spec without gpu is refused while the record is unknown"
expect_eq "$(nsets)" 0 "swap: no Set-EflowVM"
expect_eq "$(vmtuple)" "4,8192,Intel(R) UHD Graphics 630" "swap: the iGPU stays"
expect_not_in "$EFLOW_PWSH_TRACE" "NVIDIA A2" "swap: the A2 is never sent"
echo "# the refusal: $(head -3 "$T/err" | tr '\n' ' ')"

# --- get on a VM with a GPU vmrecon does not know -----------------------------
rm -rf "$S"
mock_reset 'd["vm"]["gpu"] = {"name": "NVIDIA A2", "type": "DirectDeviceAssignment", "count": 1}'
run "$VMRECON" get --backend "$BK" --state-dir "$S"
expect_rc 0 "get through real pwsh"
expect_in "$T/out" "name: EDGE01-EFLOW" "get: the VM's name"
expect_in "$T/out" "cpuCount: 4" "get: the CPU count"
if grep -q '^ *gpu:' "$T/out"; then notok "get: an unknown GPU is written as a gpu: key"
else ok "get: an unknown GPU is left out (a comment says why)"; fi
expect_in "$T/out" "'NVIDIA A2', 'Intel(R) UHD Graphics 630'" "get: the comment lists the host's GPUs"
expect_eq "$(starts),$(observes)" 1,1 "get makes 1 launcher start, 1 observe"
