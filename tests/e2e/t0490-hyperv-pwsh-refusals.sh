# t0490-hyperv-pwsh-refusals.sh - what the hyperv backend refuses before
# it sends anything, and what it reports when the host fails in the
# middle, its scripts run by a real pwsh against the mock Hyper-V module:
# the preflight checks of Microsoft's documents (vCPUs per VM by
# generation and host version, GPU-P support, DDA's prerequisites, an
# ambiguous GPU name with its candidates, a VM neither running nor off),
# nested Hyper-V making memory a restart, two VMs of one name, and an
# apply that fails part-way: the change in flight unknown, those after it
# not sent, a stopped VM started again.  Windows PowerShell 5.1's JSON
# escapes and host noise are read as well.  Skipped where no pwsh runs.
#@ full-only: starts a real pwsh per command (~1.5 CPU s each)
. "$(dirname "$0")/../lib.sh"
export TMPDIR=$T
. "$VR_TOP/tests/hyperv-pwsh/testlib.sh"
S=$T/s
vmr() { run "$VMRECON" "$1" -f "$2" --backend "$BK" --state-dir "$S" "${@:3}"; }
sets() { grep -v '"cmd":"Get-' "$HYPERV_PWSH_TRACE" | sed 's/.*"cmd":"\([^"]*\)".*/\1/' | paste -sd' '; }
A2B='\\?\PCI#VEN_10DE&DEV_25B6&SUBSYS_157E10DE&REV_A1#4&77EE88FF&0&0020#{064092b3-625e-43bf-9eb5-dc845897dd59}'
doc() { spec "$T/d.yaml" "$@"; cat "$T/d.yaml"; echo ---; }

# --- preflight: all problems at once, nothing sent --------------------------
hv_reset 'd["host"]["gpus"].append(dict(d["host"]["gpus"][0], inst="4&77EE88FF&0&0020", location="PCIROOT(0)#PCI(0500)#PCI(0000)")); d["host"]["logicalProcessors"] = 128; d["vms"] += [dict(d["vms"][0], name="legacy1", id="11111111-1111-1111-1111-111111111111", generation=1, state="Off"), dict(d["vms"][0], name="paused1", id="22222222-2222-2222-2222-222222222222", state="Paused")]'
{
	doc web01 "gpu:" "  name: NVIDIA A2" "  passthroughType: ParaVirtualization"
	doc db01 "gpu:" "  name: NVIDIA Tesla T4" "  passthroughType: DirectDeviceAssignment"
	doc legacy1 "cpuCount: 80" "gpu:" "  name: NVIDIA Tesla T4" "  passthroughType: ParaVirtualization"
	doc paused1 "cpuCount: 2" "gpu:" "  name: NVIDIA Tesla T4" "  passthroughType: DirectDeviceAssignment" "  count: 2"
} >"$T/all.yaml"
vmr diff "$T/all.yaml"
expect_rc 1 "preflight: refused"
expect_in "$T/err" "'NVIDIA A2' names 2 partitionable GPUs on this host; write the path of the one to use as gpu.name: '\\\\?\\PCI#VEN_10DE&DEV_25B6&SUBSYS_157E10DE&REV_A1#4&2A5A9F4A&0&0010#{064092b3-625e-43bf-9eb5-dc845897dd59}', '$A2B'" \
	"an ambiguous friendly name, with its candidates"
expect_in "$T/err" "cannot be used with Dynamic Memory" "DDA and Dynamic Memory (db01)"
expect_in "$T/err" "cpuCount 80 is more than the 64 virtual processors a generation 1 VM may have" \
	"vCPUs by generation (legacy1)"
expect_in "$T/err" "'NVIDIA Tesla T4' does not support ParaVirtualization" "a T4 is not partitionable"
expect_in "$T/err" "VM 'paused1' is Paused: vmrecon changes a Hyper-V VM only while it is Running or Off" \
	"a paused VM"
expect_in "$T/err" "needs the VM's automatic stop action TurnOff" "DDA: AutomaticStopAction (paused1)"
expect_in "$T/err" "512 MB of high MMIO space, the default" "DDA: MMIO space (paused1)"
expect_eq "$(sets)" "" "nothing sent"
# the path the message gave names one
spec "$T/path.yaml" web01 "gpu:" "  name: '$A2B'" "  passthroughType: ParaVirtualization" "restartPolicy: IfNeeded"
hv_edit pass
vmr apply "$T/path.yaml"
expect_rc 0 "the second A2 by its path: applied"
expect_in "$HYPERV_PWSH_TRACE" "\"InstancePath\":\"\\\\\\\\?\\\\PCI#VEN_10DE&DEV_25B6&SUBSYS_157E10DE&REV_A1#4&77EE88FF" \
	"that A2's partition"
vmr diff "$T/path.yaml"
expect_rc 0 "in sync: the VM's lower-case path is that GPU, spelled as the file does"

# the host's own limits: its logical processors, its free memory plus what
# the VM holds (Get-VMHost, Win32_OperatingSystem)
hv_reset
spec "$T/big.yaml" web01 "cpuCount: 32" "memoryInMB: 65536" "restartPolicy: IfNeeded"
vmr apply "$T/big.yaml"
expect_rc 1 "more than the host has: refused"
expect_in "$T/err" "cpuCount 32 is more than the host's 16 logical processors" "logical processors"
expect_in "$T/err" "memoryInMB 65536 is more than the 36864 MB the host can give this VM" \
	"free memory (32768 MB) plus the VM's 4096 MB"
expect_eq "$(sets)" "" "nothing sent"

# --- hosts that cannot --------------------------------------------------------
spec "$T/pv.yaml" db01 "gpu:" "  name: NVIDIA A2" "  passthroughType: ParaVirtualization"
hv_reset 'd["host"].update(build="20348", productName="Windows Server 2022 Datacenter")'
vmr diff "$T/pv.yaml"
expect_rc 1 "GPU-P on Windows Server 2022: refused"
expect_in "$T/err" "needs Windows Server 2025 or Azure Local" "with Microsoft's reason"
spec "$T/dda.yaml" db01 "memoryInMB: 2048" "gpu:" "  name: NVIDIA Tesla T4" "  passthroughType: DirectDeviceAssignment"
hv_reset 'd["host"].update(build="22631", productName="Windows 11 Pro", installationType="Client", win10Cmdlets=True); d["vms"][1]["dynamic"] = False'
vmr diff "$T/dda.yaml"
expect_rc 1 "DDA on Windows 11: refused"
expect_in "$T/err" "DirectDeviceAssignment needs a Windows Server host" "DDA is for Windows Server"
vmr apply "$T/pv.yaml"
expect_rc 0 "GPU-PV on Windows 11 (Get-VMPartitionableGpu, \\GPUPARAV paths): applied to the Off VM"
expect_eq "$(sets)" "Add-VMGpuPartitionAdapter" "one call, no restart: the VM is off"

# --- nested Hyper-V: memory needs the VM off ------------------------------------
hv_reset 'd["vms"][0]["nested"] = True'
spec "$T/mem.yaml" web01 "memoryInMB: 6144"
vmr diff "$T/mem.yaml"
expect_rc 2 "ExposeVirtualizationExtensions: a memory change"
expect_in "$T/out" "memoryInMB  4096 -> 6144 (restart)" "needs a restart"
expect_in "$T/out" "What is Nested Virtualization?" "with Microsoft's reason"

# --- two VMs of one name ------------------------------------------------------
hv_reset 'd["vms"][1]["name"] = "WEB01"'
vmr diff "$T/mem.yaml"
expect_rc 1 "two VMs named web01: refused"
expect_in "$T/err" "2 Hyper-V VMs are named 'web01' (Ids 6144df79-b0fb-4f10-9c37-e36f134a22f6, 2bfc2b6d-bb10-4492-9c37-e36f134a22f6)" \
	"with their Ids"
spec "$T/id.yaml" 2bfc2b6d-bb10-4492-9c37-e36f134a22f6 "cpuCount: 3"
vmr apply "$T/id.yaml"
expect_rc 0 "one named by its Id: applied"
expect_eq "$(vmt WEB01)" "3,2048,Off,[],[]" "to that VM"

# --- an apply that fails part-way ----------------------------------------------
spec "$T/three.yaml" web01 "cpuCount: 6" "memoryInMB: 6144" "gpu:" "  name: NVIDIA A2" \
	"  passthroughType: ParaVirtualization" "restartPolicy: IfNeeded"
hv_reset 'd["faults"]["failIn"] = {"Set-VMMemory": "Failed to modify device Memory (0x80070057)"}'
vmr apply "$T/three.yaml"
expect_rc 1 "Set-VMMemory fails: apply fails"
expect_in "$T/err" "memoryInMB on 'web01' failed: Failed to modify device Memory (0x80070057)" "in the host's words"
expect_in "$T/err" "applied before the failure: cpuCount; outcome unknown (sent, not seen through; the next pass observes): memoryInMB; not applied: gpu" \
	"cpuCount applied, memoryInMB unknown, gpu never sent"
expect_eq "$(sets)" "Stop-VM Set-VMProcessor Set-VMMemory Start-VM" "the VM stopped for it was started again"
expect_eq "$(vmt web01)" "6,4096,Running,[],[]" "running, with 6 CPUs"
hv_reset 'd["faults"]["startFails"] = "Could not initialize memory: Ran out of memory (0x8007000E)"'
vmr apply "$T/three.yaml"
expect_rc 1 "Start-VM fails after the changes: apply fails"
expect_in "$T/err" "the changes were made, but Start-VM failed and 'web01' is Off: Could not initialize memory" \
	"says the VM is left off"
expect_in "$T/err" "applied before the failure: cpuCount, memoryInMB, gpu" "and that the changes were made"
hv_reset 'd["faults"]["exitIn"] = {"Set-VMProcessor": 9}'
vmr apply "$T/three.yaml"
expect_rc 1 "the PowerShell worker dies in Set-VMProcessor: apply fails"
expect_in "$T/err" "whether it ran is unknown" "the worker's death makes the call's outcome unknown"
expect_in "$T/err" "outcome unknown (sent, not seen through; the next pass observes): cpuCount, memoryInMB, gpu" \
	"every change of it unknown"
hv_reset 'd["vms"][0]["guest"] = None'
vmr apply "$T/three.yaml"
expect_rc 1 "Stop-VM fails (no shutdown integration service): apply fails"
expect_in "$T/err" "Stop-VM on 'web01' failed: 'web01' failed to shut down" "in the host's words"
expect_in "$T/err" "applied before the failure: nothing; not applied: cpuCount, memoryInMB, gpu" "nothing was sent"

# --- Windows PowerShell 5.1's escapes, noise, a GPU name with & and ' -----------
N="NVIDIA RTX A2000 'Ada' & <co>"
hv_reset "d['faults'].update(ps51Json=True, noise={'Get-VM': ['WARNING: the Hyper-V module is 2.0']}); d['host']['gpus'][0]['name'] = \"$N\"; d['vms'][0].update(state='Off', partitions=['\\\\\\\\?\\\\PCI#VEN_10DE&DEV_25B6&SUBSYS_157E10DE&REV_A1#4&2A5A9F4A&0&0010#{064092b3-625e-43bf-9eb5-dc845897dd59}'])"
run "$VMRECON" get web01 --backend "$BK" --state-dir "$S"
expect_rc 0 "get with 5.1's \\u0026-style escapes and noise before the result"
expect_in "$T/out" "name: $N" "the GPU's name, decoded"
cp "$T/out" "$T/ps51.yaml"
vmr diff "$T/ps51.yaml"
expect_rc 0 "in sync"
