# t0425-eflow-host-shapes.sh - what real EFLOW hosts print, end to end
# (issue 13): a two-socket host (NumberOfLogicalProcessors {64, 64}), host
# noise before the result, bytes in an OEM code page, moc's numeric power
# state, no gpucount in Get-EflowVm, VM names in another case, and host
# strings with control characters.
. "$(dirname "$0")/../lib.sh"
. "$VR_TOP/tests/eflow-emu/emu.sh"
S=$T/s
vmr() { run "$VMRECON" "$1" -f "$2" --backend "$BK" --state-dir "$S"; }

# --- a two-socket server with every pessimistic shape at once ---------------
emu_reset "d['host'].update(logicalProcessors=128, sockets=2, freeMemoryInMB=60000,
    totalMemoryInMB=131072, model='PowerEdge R750 \u00e4', oem=True,
    productName='Windows Server 2022', installationType='Server',
    buildNumber='20348', ubr=2, videoControllers=['NVIDIA A2', 'Matrox G200eR2'],
    noise=['Could not resolve virtual machine IP address at line 3881'])
d['vm'].update(powerAsNumber=True)"
spec "$T/big.yaml" "cpuCount: 96" "memoryInMB: 32768" "restartPolicy: IfNeeded"
vmr diff "$T/big.yaml"
expect_rc 2 "a two-socket host diffs (128 logical processors)"
expect_eq "$(ncalls)" 1 "in one launcher call"
vmr apply "$T/big.yaml"
expect_rc 0 "and applies 96 CPUs despite noise, OEM bytes and a numeric power state"
expect_eq "$(vmtuple)" "96,32768,None" "the VM has them"
spec "$T/toomany.yaml" "cpuCount: 129" "restartPolicy: IfNeeded"
vmr apply "$T/toomany.yaml"
expect_rc 1 "129 CPUs are refused"
expect_in "$T/err" "more than the host's 128 logical processors" "against the summed count"

# --- Get-EflowVm without gpucount ----------------------------------------------
emu_reset "d['vm'].update(noGpuCount=True, gpu={'name': 'NVIDIA A2', 'type': 'DirectDeviceAssignment', 'count': 1})"
rm -rf "$S"
spec "$T/cpu2.yaml" "cpuCount: 2" "restartPolicy: IfNeeded"
vmr apply "$T/cpu2.yaml"
expect_rc 1 "no gpucount, no record: a spec without gpu is refused"
expect_in "$T/err" "reports no gpucount, so vmrecon cannot see whether VM 'EDGE01-EFLOW' has a GPU" "saying why"
expect_eq "$(nsets)" 0 "nothing sent"
run "$VMRECON" get --backend "$BK" --state-dir "$S"
expect_rc 0 "get with no gpucount"
expect_in "$T/out" "# gpu: this backend cannot see whether the VM has a GPU" "get says so"
grep -qx '  gpu: none' "$T/out" && notok "get claims gpu: none" || ok "get does not claim gpu: none"
run "$VMRECON" get --record --backend "$BK" --state-dir "$S"
expect_rc 0 "get --record with no gpucount"
expect_eq "$(json_get "$S/last-applied.json" "'gpu' in d['vms']['EDGE01-EFLOW']")" False \
	"get --record records no GPU claim"
spec "$T/a2cpu.yaml" "cpuCount: 2" "gpu:" "  name: NVIDIA A2" \
	"  passthroughType: DirectDeviceAssignment" "restartPolicy: IfNeeded"
vmr apply "$T/a2cpu.yaml"
expect_rc 0 "declaring the A2 (dismounted from the host) applies"
expect_eq "$(vmtuple)" "2,8192,NVIDIA A2" "the VM keeps it"
vmr diff "$T/a2cpu.yaml"
expect_rc 0 "the declared A2 is in sync with the record"
spec "$T/cpu3.yaml" "cpuCount: 3" "restartPolicy: IfNeeded"
emu_logs_reset
vmr apply "$T/cpu3.yaml"
expect_rc 1 "then a spec without gpu is refused all the same: a record can be stale"
expect_in "$T/err" "vmrecon's record of its last apply says 1 'NVIDIA A2' by DirectDeviceAssignment, but a GPU may have been changed since without vmrecon: declare the GPU in the spec" \
	"saying what the record says and the fix"
expect_eq "$(nsets)" 0 "nothing sent"
expect_eq "$(vmtuple)" "2,8192,NVIDIA A2" "and the A2 stays"

# issue 28: a record of 'gpu: none', then a GPU attached outside vmrecon;
# an unrelated CPU change sent Set-EflowVM without -gpuName and removed it
emu_reset "d['vm'].update(noGpuCount=True)"
rm -rf "$S"
spec "$T/none.yaml" "cpuCount: 2" "gpu: none" "restartPolicy: IfNeeded"
vmr apply "$T/none.yaml"
expect_rc 0 "gpu: none applies where gpucount cannot be seen"
expect_eq "$(json_get "$S/last-applied.json" "d['vms']['EDGE01-EFLOW']['gpu']")" None \
	"and records gpu: none (null)"
emu_edit "d['vm']['gpu'] = {'name': 'NVIDIA A2', 'type': 'DirectDeviceAssignment', 'count': 1}"
vmr diff "$T/cpu3.yaml"
expect_rc 1 "a GPU attached since: diff of a CPU change is refused"
expect_in "$T/err" "reports no gpucount, so vmrecon cannot see whether VM 'EDGE01-EFLOW' has a GPU" "saying why"
expect_in "$T/err" "says 'gpu: none', but a GPU may have been added since without vmrecon" \
	"and why the record does not settle it"
vmr apply "$T/cpu3.yaml"
expect_rc 1 "apply of it is refused"
expect_eq "$(nsets)" 0 "nothing sent"
expect_eq "$(vmtuple)" "2,8192,NVIDIA A2" "the GPU attached outside vmrecon stays"
spec "$T/a2cpu3.yaml" "cpuCount: 3" "gpu:" "  name: NVIDIA A2" \
	"  passthroughType: DirectDeviceAssignment" "restartPolicy: IfNeeded"
vmr apply "$T/a2cpu3.yaml"
expect_rc 0 "declaring the GPU applies the CPU change"
expect_eq "$(vmtuple)" "3,8192,NVIDIA A2" "and Set-EflowVM kept the GPU"

# --- names without regard to case ------------------------------------------------
emu_reset
rm -rf "$S"
sed 's/EDGE01-EFLOW/edge01-eflow/' "$T/a2cpu.yaml" >"$T/lower.yaml"
vmr apply "$T/lower.yaml"
expect_rc 0 "a spec naming the VM in lower case applies"
expect_eq "$(json_get "$S/last-applied.json" "sorted(d['vms'])")" "['EDGE01-EFLOW']" \
	"the record is kept under the VM's own name"
expect_eq "$(json_get "$S/status.json" "sorted(d['vms'])")" "['EDGE01-EFLOW']" \
	"and so is its status"
vmr diff "$T/a2cpu.yaml"
expect_rc 0 "the upper-case spec finds that record: in sync"
{ cat "$T/a2cpu.yaml"; echo ---; cat "$T/lower.yaml"; } >"$T/twice.yaml"
: >"$EFLOW_EMU_LOG"
vmr apply "$T/twice.yaml"
expect_rc 1 "two documents naming one VM in different case"
expect_in "$T/err" "'EDGE01-EFLOW' and 'edge01-eflow' name one VM" "are refused as one VM"
expect_eq "$(nsets)" 0 "and nothing is sent"

# --- host strings with control characters -----------------------------------
emu_reset "d['host']['videoControllers'].append('Evil\nname: injected\n- x')
d['vm']['gpu'] = {'name': 'Intel(R) UHD Graphics 630', 'type': 'ParaVirtualization', 'count': 1}"
rm -rf "$S"
run "$VMRECON" get --backend "$BK" --state-dir "$S"
expect_rc 0 "get with a GPU name holding newlines"
expect_in "$T/out" "'Evil\\x0aname: injected\\x0a- x'" "the name is escaped in the note"
grep -q '^name: injected' "$T/out" && notok "a host string became YAML" ||
	ok "no host string became YAML"
cp "$T/out" "$T/adopt.yaml"
run "$VMRECON" validate "$T/adopt.yaml"
expect_rc 0 "get's output still validates"
emu_reset "d['vm']['name'] = 'EDGE01\n-EFLOW'"
vmr diff "$T/cpu2.yaml"
expect_rc 1 "a VM name with a control character"
expect_in "$T/err" "has control characters; vmrecon refuses to manage it" "is refused"

# --- EFLOW 1.1 of 2021-07: Get-EflowVm without VmPowerState (#49) -----------
# issue 28: every command failed with "power: expected 1 to 1024 characters"
emu_reset "d['vm'].update(noPowerState=True, edgeVersion='1.1.3'); d['host']['eflowVersion'] = '1.1.2106.1'"
rm -rf "$S"
for cmd in diff apply; do
	vmr "$cmd" "$T/cpu2.yaml"
	expect_rc 1 "$cmd on an EFLOW without VmPowerState"
	expect_in "$T/err" "this host's EFLOW (AzureEFLOW module 1.1.2106.1, IoT Edge 1.1.3) is older than vmrecon supports" \
		"$cmd names the EFLOW found"
	expect_in "$T/err" "vmrecon supports EFLOW 1.1.2110 and later" "$cmd names the oldest supported"
	expect_eq "$(grep -c . "$T/err")" 1 "$cmd says it in one line"
done
run "$VMRECON" get --backend "$BK" --state-dir "$S"
expect_rc 1 "get on it"
expect_in "$T/err" "older than vmrecon supports" "get says the same"
expect_eq "$(nsets)" 0 "nothing sent"
