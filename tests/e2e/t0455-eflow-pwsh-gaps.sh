# t0455-eflow-pwsh-gaps.sh - issue 28's observation gaps with vmrecon's
# scripts run by a real pwsh against the mock AzureEFLOW module: no
# gpucount after a recorded 'gpu: none' and a GPU attached outside
# vmrecon, a host that is a VMware guest (Win32_BIOS and Win32_BaseBoard
# read for real), an EFLOW whose Get-EflowVm has no VmPowerState (the
# module's version as Get-Module reads it), and a host with less free
# memory than the margin.  One launcher start per command.  Skipped where
# no pwsh runs.
#@ full-only: starts a real pwsh per command (~1.5 CPU s each)
#@ no-san: mostly times pwsh starting; every line of vmrecon it runs, t0400-t0430 (the same gaps on the emulator) run on build/san (tests/sancov)
. "$(dirname "$0")/../lib.sh"
export TMPDIR=$T
. "$VR_TOP/tests/eflow-pwsh/testlib.sh"
S=$T/s
vmr() { run "$VMRECON" "$1" -f "$2" --backend "$BK" --state-dir "$S"; }
A2='{"name": "NVIDIA A2", "type": "DirectDeviceAssignment", "count": 1}'

# --- no gpucount: a record is no observation ---------------------------------
mock_reset 'd["faults"]["noGpuCount"] = True'
spec "$T/none.yaml" "cpuCount: 2" "gpu: none" "restartPolicy: IfNeeded"
vmr apply "$T/none.yaml"
expect_rc 0 "no gpucount: gpu: none applies and is recorded"
mock_edit "d['vm']['gpu'] = $A2"
spec "$T/cpu3.yaml" "cpuCount: 3" "restartPolicy: IfNeeded"
vmr apply "$T/cpu3.yaml"
expect_rc 1 "a GPU attached outside vmrecon since: a CPU change without gpu is refused"
expect_in "$T/err" "reports no gpucount, so vmrecon cannot see whether VM 'EDGE01-EFLOW' has a GPU" \
	"saying the GPU cannot be seen"
expect_eq "$(sets)" 0 "no Set-EflowVM"
expect_eq "$(vmtuple)" "2,8192,NVIDIA A2" "the GPU stays"

# --- Windows in a VMware VM (#122, #126) ---------------------------------------
mock_reset 'd["host"].update(manufacturer="VMware, Inc.", model="VMware7,1", biosVendor="VMware, Inc.", boardProduct="440BX Desktop Reference Platform")'
spec "$T/a2.yaml" "gpu:" "  name: NVIDIA A2" "  passthroughType: DirectDeviceAssignment" \
	"restartPolicy: IfNeeded"
vmr diff "$T/a2.yaml"
expect_rc 1 "a VMware guest: a GPU is refused"
expect_in "$T/err" "the host is itself a VMware virtual machine (Win32_ComputerSystem Manufacturer 'VMware, Inc.')" \
	"naming the hypervisor and the string"

# --- EFLOW 1.1 of 2021-07: no VmPowerState (#49) --------------------------------
mock_reset 'd["faults"]["noPowerState"] = True'
vmr diff "$T/cpu3.yaml"
expect_rc 1 "no VmPowerState: refused"
expect_in "$T/err" "this host's EFLOW (AzureEFLOW module 1.4.0, IoT Edge 1.1.3) is older than vmrecon supports" \
	"naming the module version pwsh's Get-Module reads and IoT Edge's"
expect_in "$T/err" "vmrecon supports EFLOW 1.1.2110 and later" "and the oldest supported"

# --- less free memory than the margin ---------------------------------------
mock_reset 'd["host"]["freeMemoryInMB"] = 2046'
vmr diff "$T/cpu3.yaml"
expect_rc 1 "2046 MB free: a CPU change is refused (Set-EflowVM restarts the VM)"
expect_in "$T/err" "the host has only 2046 MB free" "saying how much is free"
expect_eq "$(starts)" 1 "one launcher start for the diff"
