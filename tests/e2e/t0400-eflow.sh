# t0400-eflow.sh - the eflow backend end to end, with the EFLOW emulator
# (tests/eflow-emu/powershell) standing in for powershell.exe: the
# Set-EflowVM pitfall reproduced and avoided, every preflight rule, the VM
# off under both restart policies, the launcher starts and requests each
# command makes (one worker per command, or one start per call with
# `per-call:` and when the launcher cannot keep stdin open), and a worker
# that hangs, dies, fails or answers garbage.  The emulator decodes every
# script (-EncodedCommand, or a worker's request) and logs it (kind, the
# Set-EflowVM call, whether Start-EflowVm was in it) and every launcher
# start; the logs are how we check what vmrecon sent.
. "$(dirname "$0")/../lib.sh"
. "$VR_TOP/tests/eflow-emu/emu.sh"
S=$T/s
vmr() { run "$VMRECON" "$1" -f "$2" --backend "$BK" --state-dir "$S"; }

# --- the pitfall, reproduced on the emulator directly -----------------------
emu_reset
"$EMU" -NoProfile -NonInteractive -OutputFormat Text -EncodedCommand "$(echo "\$r = Set-EflowVM \
-gpuName 'NVIDIA A2' -gpuPassthroughType 'DirectDeviceAssignment' -gpuCount 1 \
-headless 6>&1" | "$EMU" --wrap)" >/dev/null
expect_eq "$(vmtuple)" "1,1024,NVIDIA A2" \
	"naive Set-EflowVM -gpuName resets CPU and memory (the pitfall)"

# --- GPU-only spec: vmrecon keeps CPU and memory ----------------------------
emu_reset
spec "$T/gpu.yaml" "gpu:" "  name: NVIDIA A2" \
	"  passthroughType: DirectDeviceAssignment" "restartPolicy: IfNeeded"
vmr diff "$T/gpu.yaml"
expect_rc 2 "diff of a GPU-only spec"
expect_in "$T/out" "+ gpu" "the plan adds the GPU"
expect_eq "$(nsets)" 0 "diff sends no Set-EflowVM"
emu_logs_reset
vmr apply "$T/gpu.yaml"
expect_rc 0 "apply of a GPU-only spec"
expect_eq "$(vmtuple)" "4,8192,NVIDIA A2" "GPU-only apply kept CPU and memory"
expect_eq "$(nsets)" 1 "exactly one Set-EflowVM"
expect_in "$EFLOW_EMU_LOG" "\"call\":\"Set-EflowVM -cpuCount 4 -memoryInMB 8192 -gpuName 'NVIDIA A2' -gpuPassthroughType 'DirectDeviceAssignment' -gpuCount 1 -headless\"" \
	"Set-EflowVM carries every parameter"
calls_gpu_apply=$(ncalls)
echo "# an apply that changes something: $(nstarts) launcher start(s), $calls_gpu_apply requests"
expect_eq "$calls_gpu_apply" 3 "an apply that changes something: 3 requests (observe, set, verify)"
expect_eq "$(nstarts)" 1 "an apply that changes something: 1 launcher start"
expect_not_in "$EFLOW_EMU_LOG" "Start-EflowVm" "a running VM is not started"

# --- in sync: no Set-EflowVM ------------------------------------------------
emu_logs_reset
vmr diff "$T/gpu.yaml"
expect_rc 0 "diff after apply: in sync (GPU name from the record)"
echo "# a diff: $(nstarts) launcher start(s), $(ncalls) request(s)"
expect_eq "$(ncalls)" 1 "a diff: 1 request"
expect_eq "$(nstarts)" 1 "a diff: 1 launcher start"
emu_logs_reset
vmr apply "$T/gpu.yaml"
expect_rc 0 "apply of an in-sync spec"
expect_eq "$(nsets)" 0 "an in-sync spec sends no Set-EflowVM"
echo "# an in-sync apply: $(nstarts) launcher start(s), $(ncalls) request(s)"
expect_eq "$(ncalls)" 1 "an in-sync apply: 1 request"
expect_eq "$(nstarts)" 1 "an in-sync apply: 1 launcher start"

# --- CPU-only spec keeps the GPU, twice (the record carries the name) -------
spec "$T/cpu2.yaml" "cpuCount: 2" "restartPolicy: IfNeeded"
emu_logs_reset
vmr apply "$T/cpu2.yaml"
expect_rc 0 "apply of a CPU-only spec"
expect_eq "$(vmtuple)" "2,8192,NVIDIA A2" "CPU-only apply kept memory and the GPU"
expect_in "$EFLOW_EMU_LOG" "\"call\":\"Set-EflowVM -cpuCount 2 -memoryInMB 8192 -gpuName 'NVIDIA A2' -gpuPassthroughType 'DirectDeviceAssignment' -gpuCount 1 -headless\"" \
	"CPU-only Set-EflowVM passes the recorded GPU"
spec "$T/cpu3.yaml" "cpuCount: 3" "restartPolicy: IfNeeded"
vmr apply "$T/cpu3.yaml"
expect_rc 0 "a second CPU-only apply"
expect_eq "$(vmtuple)" "3,8192,NVIDIA A2" "the GPU survives a second CPU-only apply"

# --- gpu: none removes only the GPU -----------------------------------------
spec "$T/nogpu.yaml" "gpu: none" "restartPolicy: IfNeeded"
emu_logs_reset
vmr apply "$T/nogpu.yaml"
expect_rc 0 "apply of gpu: none"
expect_eq "$(vmtuple)" "3,8192,None" "gpu: none removed only the GPU"
expect_in "$EFLOW_EMU_LOG" "\"call\":\"Set-EflowVM -cpuCount 3 -memoryInMB 8192 -headless\"" \
	"no GPU parameters when the VM must have no GPU"

# --- ParaVirtualization: no -gpuCount ---------------------------------------
spec "$T/pv.yaml" "gpu:" "  name: Intel(R) UHD Graphics 630" \
	"  passthroughType: ParaVirtualization" "restartPolicy: IfNeeded"
emu_logs_reset
vmr apply "$T/pv.yaml"
expect_rc 0 "apply of a ParaVirtualization GPU"
expect_in "$EFLOW_EMU_LOG" "-gpuName 'Intel(R) UHD Graphics 630' -gpuPassthroughType 'ParaVirtualization' -gpuCount 1 -headless\"" \
	"ParaVirtualization is sent with -gpuCount 1 (as Microsoft's example)"

# --- hostile GPU names arrive literally -------------------------------------
# (the loader refuses control characters such as newlines in names; the unit
# test eflow_hostile_gpu_names_arrive_literally sends those through apply)
HOSTILE_PY='"Intel(R) Graphics O\u0027Brien\u2019s \u0027; Stop-Computer -Force; $(Remove-Item C:\\ -Recurse) `whoami` \"q\" | % {x} ¦ done"'
emu_reset "d['host']['videoControllers'].append($HOSTILE_PY)"
cat >"$T/hostile.yaml" <<'Y'
apiVersion: vmrecon/v1
kind: VirtualMachine
metadata:
  name: EDGE01-EFLOW
spec:
  gpu:
    name: "Intel(R) Graphics O'Brien\u2019s '; Stop-Computer -Force; $(Remove-Item C:\\ -Recurse) `whoami` \"q\" | % {x} ¦ done"
    passthroughType: ParaVirtualization
  restartPolicy: IfNeeded
Y
rm -rf "$S"
vmr apply "$T/hostile.yaml"
expect_rc 0 "apply of a hostile GPU name"
got=$(json_get "$EFLOW_EMU_STATE" "d['vm']['gpu']['name'] == $HOSTILE_PY")
expect_eq "$got" True "the hostile GPU name arrived literally"
expect_eq "$(vm "['cpuCount']"),$(vm "['memoryInMB']")" "4,8192" "and CPU and memory were kept"
vmr diff "$T/hostile.yaml"
expect_rc 0 "in sync afterwards"

# --- preflight: each rule refuses before anything is sent -------------------
# preflight_case DESC EXPECTED-TEXT SPEC-LINES...: apply fails with exit 1,
# says EXPECTED-TEXT, sends no Set-EflowVM and changes nothing.
preflight_case() {
	local desc=$1 want=$2
	shift 2
	spec "$T/pf.yaml" "$@" "restartPolicy: IfNeeded"
	cp "$EFLOW_EMU_STATE" "$T/before.json"
	emu_logs_reset
	vmr apply "$T/pf.yaml"
	expect_rc 1 "preflight: $desc"
	expect_in "$T/err" "$want" "preflight: $desc: says '$want'"
	expect_eq "$(nsets)" 0 "preflight: $desc: no Set-EflowVM sent"
	cmp -s "$EFLOW_EMU_STATE" "$T/before.json" && ok "preflight: $desc: nothing changed" ||
		notok "preflight: $desc: the VM changed"
}
emu_reset
rm -rf "$S"
preflight_case "CPUs over the logical processors" \
	"cpuCount 16 is more than the host's 8 logical processors" "cpuCount: 16"
preflight_case "memory over free plus current" \
	"memoryInMB 16384 is more than the 14192 MB" "memoryInMB: 16384"
preflight_case "memory within the 2048 MB safety margin" \
	"memoryInMB 14000 leaves less than the 2048 MB vmrecon keeps free on an EFLOW host (6000 MB free plus the VM's 8192 MB; at most 12144)" \
	"memoryInMB: 14000"
expect_in "$T/err" "Azure/iotedge-eflow #164" "the margin's reason is cited"
# the boundary (issue 28): free 6000 + the VM's 8192 - 2048 = 12144
spec "$T/pf.yaml" "memoryInMB: 12144" "restartPolicy: IfNeeded"
vmr diff "$T/pf.yaml"
expect_rc 2 "memoryInMB at free + current - 2048 exactly is planned"
spec "$T/pf.yaml" "memoryInMB: 12146" "restartPolicy: IfNeeded"
vmr diff "$T/pf.yaml"
expect_rc 1 "2 MB more is refused"
# every Set-EflowVM restarts the VM with the memory it carries: with less
# free than the margin, a CPU change alone is refused too (#164, #273)
emu_edit "d['host']['freeMemoryInMB'] = 2046"
preflight_case "a CPU change with 2046 MB free" \
	"Set-EflowVM restarts VM 'EDGE01-EFLOW' with its 8192 MB, and the host has only 2046 MB free, less than the 2048 MB vmrecon keeps spare when an EFLOW VM starts" \
	"cpuCount: 2"
expect_in "$T/err" "set memoryInMB to 8190 or less" "saying how low the memory must go"
emu_edit "d['host']['freeMemoryInMB'] = 2048"
spec "$T/pf.yaml" "cpuCount: 2" "restartPolicy: IfNeeded"
vmr apply "$T/pf.yaml"
expect_rc 0 "with 2048 MB free the CPU change applies"
expect_eq "$(vmtuple)" "2,8192,None" "and the VM has it"
emu_reset
preflight_case "a GPU the host does not have (listing its GPUs)" \
	"the host has no GPU named 'NVIDIA T4' (it has: 'NVIDIA A2', 'Intel(R) UHD Graphics 630')" \
	"gpu:" "  name: NVIDIA T4" "  passthroughType: DirectDeviceAssignment"
preflight_case "A2 is DirectDeviceAssignment only" \
	"'NVIDIA A2' does not support ParaVirtualization (it supports DirectDeviceAssignment only)" \
	"gpu:" "  name: NVIDIA A2" "  passthroughType: ParaVirtualization"
preflight_case "Intel iGPU is ParaVirtualization only" \
	"does not support DirectDeviceAssignment (it supports ParaVirtualization only)" \
	"gpu:" "  name: Intel(R) UHD Graphics 630" "  passthroughType: DirectDeviceAssignment"
preflight_case "ParaVirtualization with count > 1" "ParaVirtualization" \
	"gpu:" "  name: Intel(R) UHD Graphics 630" "  passthroughType: ParaVirtualization" "  count: 2"
emu_edit "d['host']['videoControllers'].append('AMD Radeon RX 6800')"
preflight_case "a GPU outside the support matrix" \
	"'AMD Radeon RX 6800' does not support DirectDeviceAssignment (it supports no passthrough at all)" \
	"gpu:" "  name: AMD Radeon RX 6800" "  passthroughType: DirectDeviceAssignment"
emu_edit "d['host'].update(manufacturer='Microsoft Corporation', model='Virtual Machine')"
preflight_case "GPU on a Hyper-V guest" \
	"the host is itself a Hyper-V virtual machine (Win32_ComputerSystem Model 'Virtual Machine') and EFLOW does not support GPU passthrough with nested virtualization" \
	"gpu:" "  name: NVIDIA A2" "  passthroughType: DirectDeviceAssignment"
# issue 28: Windows Server on VMware (Azure/iotedge-eflow #122, #126) was
# taken as bare metal; the other rows of eflow_nested.c: unit test
# eflow_nested_table
emu_edit "d['host'].update(manufacturer='VMware, Inc.', model='VMware7,1', biosVendor='VMware, Inc.', boardProduct='440BX Desktop Reference Platform')"
preflight_case "GPU on a VMware guest" \
	"the host is itself a VMware virtual machine (Win32_ComputerSystem Manufacturer 'VMware, Inc.')" \
	"gpu:" "  name: NVIDIA A2" "  passthroughType: DirectDeviceAssignment"
# a Hyper-V root partition on Microsoft hardware (every EFLOW host runs
# Hyper-V) is no guest
emu_edit "d['host'].update(manufacturer='Microsoft Corporation', model='Surface Laptop Studio', biosVendor='Microsoft Corporation', boardProduct='Surface Laptop Studio')"
spec "$T/pf.yaml" "gpu:" "  name: NVIDIA A2" "  passthroughType: DirectDeviceAssignment"
vmr diff "$T/pf.yaml"
expect_rc 2 "a GPU on a Surface (Microsoft Corporation, a Hyper-V root) is planned"
emu_edit "d['host'].update(manufacturer='Dell Inc.', model='OptiPlex', biosVendor='Dell Inc.', boardProduct='0J37VM', ubr=1619)"
preflight_case "Windows 10 below 19044.1620" "Windows 10 needs build 19044.1620 or later" \
	"gpu:" "  name: NVIDIA A2" "  passthroughType: DirectDeviceAssignment"
emu_edit "d['host'].update(buildNumber='17134', ubr=1, productName='Windows Server 2016', installationType='Server')"
preflight_case "Windows Server below 17763" "Windows Server 2019 needs build 17763 or later" \
	"gpu:" "  name: NVIDIA A2" "  passthroughType: DirectDeviceAssignment"
# all problems listed together
emu_reset
preflight_case "several problems at once" "3 problems" "cpuCount: 16" "memoryInMB: 14000" \
	"gpu:" "  name: NVIDIA T4" "  passthroughType: DirectDeviceAssignment"
expect_in "$T/err" "pf.yaml:6:13: cpuCount 16" "each problem at file:line:col"

# a live GPU vmrecon has no record of: a spec leaving gpu out is refused
emu_reset "d['vm']['gpu'] = {'name': 'NVIDIA A2', 'type': 'DirectDeviceAssignment', 'count': 1}"
rm -rf "$S"
preflight_case "a GPU of unknown name, spec without gpu" \
	"Set-EflowVM removes a GPU it is not given: declare the GPU in the spec" "cpuCount: 2"
expect_in "$T/err" "this host lists 'Intel(R) UHD Graphics 630'; EFLOW assigns NVIDIA T4 and A2 by DirectDeviceAssignment only" \
	"and lists the host's GPUs (the A2 the VM holds by DDA is dismounted)"
expect_in "$T/err" "'Get-PnpDevice -Class Display' (without -PresentOnly)" \
	"and where the name of the one it holds can be read"
vmr diff "$T/gpu.yaml"
expect_rc 2 "a spec that declares it plans an update"
vmr apply "$T/gpu.yaml"
expect_rc 0 "and applies it"
vmr apply "$T/cpu2.yaml"
expect_rc 0 "after which a CPU-only spec is accepted"
expect_eq "$(vmtuple)" "2,8192,NVIDIA A2" "and keeps the GPU"

# --- the VM's name ----------------------------------------------------------
sed 's/EDGE01-EFLOW/edge-01/' "$T/cpu2.yaml" >"$T/wrongname.yaml"
vmr diff "$T/wrongname.yaml"
expect_rc 1 "a spec naming another VM"
expect_in "$T/err" "its EFLOW VM is 'EDGE01-EFLOW'" "the error names the EFLOW VM"
sed 's/EDGE01-EFLOW/edge01-eflow/' "$T/cpu2.yaml" >"$T/lower.yaml"
vmr diff "$T/lower.yaml"
expect_rc 0 "the name matches case-insensitively"

# --- the VM off, under both restart policies --------------------------------
emu_reset "d['vm']['power'] = 'Off'"
rm -rf "$S"
spec "$T/never.yaml" "cpuCount: 2" "restartPolicy: Never"
vmr apply "$T/never.yaml"
expect_rc 3 "VM off, restartPolicy Never: pending"
expect_eq "$(nsets)$(grep -c Start-EflowVm "$EFLOW_EMU_LOG")" "00" "Never: nothing sent"
expect_eq "$(vm "['power']"),$(vm "['cpuCount']")" "Off,4" "Never: the VM is untouched"
emu_logs_reset
vmr apply "$T/cpu2.yaml"
expect_rc 0 "VM off, restartPolicy IfNeeded: applied"
expect_in "$EFLOW_EMU_LOG" '"kind":"set","call":"Set-EflowVM -cpuCount 2 -memoryInMB 8192 -headless","start":true' \
	"IfNeeded: Start-EflowVm, then Set-EflowVM, in one call"
echo "# an apply that starts the VM: $(nstarts) launcher start(s), $(ncalls) requests"
expect_eq "$(ncalls)" 3 "an apply that starts the VM: 3 requests"
expect_eq "$(nstarts)" 1 "an apply that starts the VM: 1 launcher start"
expect_eq "$(vm "['power']"),$(vmtuple)" "Running,2,8192,None" "IfNeeded: the VM runs with 2 CPUs"
emu_reset "d['vm']['power'] = 'Off'; d['vm']['powerAsNumber'] = True"
emu_logs_reset
vmr apply "$T/cpu2.yaml"
expect_rc 0 "VmPowerState as moc's number (2 = Off)"
expect_in "$EFLOW_EMU_LOG" '"start":true' "a numeric Off is started too"

# --- a worker that hangs, dies, fails or answers garbage ---------------------
# fault_case DESC EXPECTED-TEXT FAULTS-PYTHON: apply fails (exit 1), says it,
# and the VM is unchanged.  Hangs get a 2 s timeout (VMRECON_EFLOW_TIMEOUT_MS
# in $TMO, the fallback for --backend-timeout), the rest the default.
fault_case() {
	local desc=$1 want=$2 start took
	emu_reset "d['faults'] = $3"
	cp "$EFLOW_EMU_STATE" "$T/before.json"
	start=$(date +%s%N)
	VMRECON_EFLOW_TIMEOUT_MS=${TMO:-} run "$VMRECON" apply -f "$T/cpu2.yaml" \
		--backend "${FBK:-$BK}" --state-dir "$S"
	took=$(( ($(date +%s%N) - start) / 1000000 ))
	expect_rc 1 "launcher $desc"
	expect_in "$T/err" "$want" "launcher $desc: says '$want'"
	cmp -s "$EFLOW_EMU_STATE" "$T/before.json" && ok "launcher $desc: nothing changed" ||
		notok "launcher $desc: the VM changed"
	[ "$took" -lt 20000 ] && ok "launcher $desc: failed in ${took} ms" ||
		notok "launcher $desc: took ${took} ms"
}
UNKNOWN="before it answered, so whether it ran is unknown"
TMO=2000 fault_case "hangs" "did not finish within 2000 ms (killed)" "{'hang': True}"
TMO=2000 fault_case "hangs in Set-EflowVM" \
	"Set-EflowVM via '$EMU' did not finish within 2000 ms" \
	"{'hang': True, 'match': 'set'}"
expect_in "$T/err" "applied before the failure: nothing; outcome unknown (sent, not seen through; the next pass observes): cpuCount" \
	"a hang in Set-EflowVM: nothing marked applied, the change sent is unknown"
fault_case "dies (exit 5)" \
	"the PowerShell worker exited with status 5 $UNKNOWN: Get-EflowVm : The term 'Get-EflowVm' is not recognized as the name of a cmdlet" \
	"{'exit': 5, 'stderr': \"Get-EflowVm : The term 'Get-EflowVm' is not recognized as the name of a cmdlet\\r\\n\"}"
fault_case "dies in Set-EflowVM" "Set-EflowVM via '$EMU': the PowerShell worker exited with status 9 $UNKNOWN" \
	"{'exit': 9, 'match': 'set'}"
expect_in "$T/err" "applied before the failure: nothing; outcome unknown (sent, not seen through; the next pass observes): cpuCount" \
	"a worker dying in Set-EflowVM: nothing marked applied, the change sent is unknown"
fault_case "prints garbage and exits" "exited with status 0 $UNKNOWN; it printed: <html>502 Bad Gateway</html>" \
	"{'match': 'observe', 'garbage': '<html>502 Bad Gateway</html>'}"
fault_case "answers with a frame of another request" \
	"answered garbage ('#vmrecon-result-4f1d9c# ok 7 e30=' is no answer to request 1)" \
	"{'match': 'observe', 'frame': '#vmrecon-result-4f1d9c# ok 7 e30='}"
fault_case "answers with a frame that is not base64" "answered garbage" \
	"{'match': 'observe', 'frame': '#vmrecon-result-4f1d9c# ok 1 <html>'}"
fault_case "answers JSON of the wrong shape" "unexpected JSON: cpuCount: expected an integer" \
	"{'match': 'observe', 'result': '{\"name\":\"EDGE01-EFLOW\",\"power\":\"Running\",\"cpuCount\":\"4\",\"memoryMB\":8192}'}"
fault_case "cuts its answer short" "$UNKNOWN" "{'match': 'observe', 'cut': 40}"
fault_case "fails in the AzureEFLOW style (stdout, exit 0)" \
	"Set-EflowVM failed: [" "{'setFails': 'The virtual machine could not be reconfigured'}"
expect_in "$T/err" "Exception caught!!! - The virtual machine could not be reconfigured at line 4242" \
	"a failed Set-EflowVM that exits 0: apply exits 1 with the host's words"
# the same through per-call launcher starts (eflow:per-call:LAUNCHER)
FBK="eflow:per-call:$EMU" fault_case "per call, exits non-zero" \
	"failed (exit status 5): Get-EflowVm : The term 'Get-EflowVm' is not recognized as the name of a cmdlet" \
	"{'exit': 5, 'stderr': \"Get-EflowVm : The term 'Get-EflowVm' is not recognized as the name of a cmdlet\\r\\n\"}"
FBK="eflow:per-call:$EMU" fault_case "per call, prints garbage" \
	"exited 0 without a result; it printed: <html>502 Bad Gateway</html>" \
	"{'match': 'observe', 'garbage': '<html>502 Bad Gateway</html>'}"
FBK="eflow:per-call:$EMU" fault_case "per call, cuts its output before the result" \
	"exited 0 without a result" "{'match': 'observe', 'cut': 10}"

# --- one launcher start per call: asked for, or when stdin cannot stay open ---
emu_reset
vmr() { run "$VMRECON" "$1" -f "$2" --backend "${3:-$BK}" --state-dir "$S"; }
vmr apply "$T/cpu3.yaml" "eflow:per-call:$EMU"
expect_rc 0 "per-call: an apply that changes something"
expect_eq "$(nstarts),$(ncalls)" "3,3" "per-call: 3 launcher starts for its 3 requests"
expect_eq "$(/usr/bin/python3 -c 'import json,sys; print(sorted({json.loads(l)["mode"] for l in open(sys.argv[1])}))' "$EFLOW_EMU_STARTS")" \
	"['call']" "per-call: no worker was started"
printf '#!/bin/sh\n# a launcher that gives PowerShell no stdin, as ssh -n does\nexec "%s" "$@" </dev/null\n' "$EMU" >"$T/nostdin"
chmod +x "$T/nostdin"
emu_reset
vmr apply "$T/cpu2.yaml" "eflow:$T/nostdin"
expect_rc 0 "no stdin: an apply that changes something still works"
expect_eq "$(vmtuple)" "2,8192,None" "no stdin: applied"
expect_in "$T/err" "does not keep stdin open, so each call starts PowerShell anew" "no stdin: says it falls back"
expect_eq "$(nstarts),$(ncalls)" "4,3" "no stdin: the worker's start, then 3 starts for 3 requests"
vmr() { run "$VMRECON" "$1" -f "$2" --backend "$BK" --state-dir "$S"; }
# --backend-timeout is the setting; the variable only a fallback
emu_reset "d['faults'] = {'hang': True}"
VMRECON_EFLOW_TIMEOUT_MS=600000 run "$VMRECON" apply -f "$T/cpu2.yaml" \
	--backend "$BK" --state-dir "$S" --backend-timeout 2s
expect_rc 1 "a hang with --backend-timeout 2s"
expect_in "$T/err" "did not finish within 2000 ms (killed)" \
	"--backend-timeout 2s wins over VMRECON_EFLOW_TIMEOUT_MS=600000"
emu_reset ""
run "$VMRECON" diff -f "$T/cpu2.yaml" --backend "$BK" --state-dir "$S" --backend-timeout 50ms
expect_rc 1 "a --backend-timeout below its bound"
expect_in "$T/err" "--backend-timeout: '50ms' is out of range, 100ms to 24h" "says the bounds"
VMRECON_EFLOW_TIMEOUT_MS=soon run "$VMRECON" diff -f "$T/cpu2.yaml" --backend "$BK" --state-dir "$S"
expect_rc 1 "a bad VMRECON_EFLOW_TIMEOUT_MS"
expect_in "$T/err" "VMRECON_EFLOW_TIMEOUT_MS: 'soon' is not a count" "is named"
VMRECON_EFLOW_TIMEOUT_MS=0 run "$VMRECON" diff -f "$T/cpu2.yaml" --backend "$BK" --state-dir "$S"
expect_rc 1 "VMRECON_EFLOW_TIMEOUT_MS=0"
expect_in "$T/err" "VMRECON_EFLOW_TIMEOUT_MS: '0' is out of range, 1 to 86400000" "says the bounds"
run "$VMRECON" diff -f "$T/cpu2.yaml" --backend "eflow:$T/no-such-powershell" --state-dir "$S"
expect_rc 1 "a launcher that does not exist"
expect_in "$T/err" "cannot run PowerShell launcher '$T/no-such-powershell'" "is named"

# --- nothing but the two scripts was ever sent -------------------------------
# (the emulator refuses anything else; this checks the last log's shapes)
/usr/bin/python3 - "$EFLOW_EMU_LOG" <<'PY' && ok "every logged launcher start is -NoProfile -NonInteractive -OutputFormat Text -EncodedCommand BASE64" || notok "unexpected call shape"
import json, sys
for line in open(sys.argv[1]):
    a = json.loads(line)
    assert a["argv"] == ["-NoProfile", "-NonInteractive", "-OutputFormat", "Text", "-EncodedCommand"], a
    assert a["kind"] in ("observe", "set"), a
PY

# --- memcheck: the eflow paths (host, observe, preflight, apply, a failure)
if [ "${SANITIZE:-}" != 1 ] && command -v valgrind >/dev/null; then
	for f in gpu.yaml cpu2.yaml nogpu.yaml; do
		emu_reset "d['vm']['gpu'] = {'name': 'NVIDIA A2', 'type': 'DirectDeviceAssignment', 'count': 1}"
		[ "$f" = nogpu.yaml ] && emu_edit "d['faults'] = {'setFails': 'Cannot process request, EFLOW VM is OFF!'}"
		valgrind -q --leak-check=full --errors-for-leak-kinds=definite,indirect \
			--error-exitcode=99 "$VMRECON" apply -f "$T/$f" --backend "$BK" \
			--state-dir "$T/vg" >"$T/out" 2>"$T/err"
		RC=$?
		[ "$RC" -ne 99 ] && ok "memcheck clean: eflow apply $f (exit $RC)" ||
			{ notok "memcheck: eflow apply $f"; sed 's/^/#   /' "$T/err" | head -30; }
	done
	expect_in "$T/err" "Cannot process request, EFLOW VM is OFF!" "a Set-EflowVM refusal is quoted"
else
	skip "memcheck: SANITIZE=1 or no valgrind"
fi
