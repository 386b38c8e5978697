# t0485-hyperv-pwsh.sh - the hyperv backend end to end, its scripts run by
# a real pwsh (tests/hyperv-pwsh/powershell) against the mock Hyper-V
# module: `get` adopts the host's VMs and the printed file diffs in sync;
# get -> edit -> apply for the processor count (a restart), memory live
# (static) and with a restart (Dynamic Memory, in the order that keeps
# Startup within [Minimum, Maximum]), GPU partitioning and DDA (recorded
# before the dismount, named after it), each verified, in one launcher
# start per command.  Skipped where no pwsh runs.
#@ full-only: starts a real pwsh per command (~1.5 CPU s each)
. "$(dirname "$0")/../lib.sh"
export TMPDIR=$T
. "$VR_TOP/tests/hyperv-pwsh/testlib.sh"
S=$T/s
vmr() { run "$VMRECON" "$1" -f "$2" --backend "$BK" --state-dir "$S" "${@:3}"; }
# sets: the mutating calls of the last command, in order
sets() { grep -v '"cmd":"Get-' "$HYPERV_PWSH_TRACE" | sed 's/.*"cmd":"\([^"]*\)".*/\1/' | paste -sd' '; }
# edit FILE SED: the adopted file, edited as a user would
edit() { sed -i "$2" "$1"; }

# --- get adopts the host --------------------------------------------------
hv_reset 'd["vms"].append(dict(d["vms"][0], name="legacy app (2012)", id="58356f03-7006-4715-9495-1b1a0517123f", state="Off", partitions=[], assigned=[]))'
run "$VMRECON" get --backend "$BK" --state-dir "$S"
expect_rc 0 "get: every VM of the host"
cp "$T/out" "$T/all.yaml"
expect_in "$T/all.yaml" "name: web01" "get: web01 by its name"
expect_in "$T/all.yaml" "name: 58356f03-7006-4715-9495-1b1a0517123f" \
	"get: a VM whose name cannot be a metadata.name by its Id"
expect_in "$T/all.yaml" "# on hyperv a change of cpuCount needs a restart" "get: says what needs a restart"
expect_eq "$(starts),$(ncalls Get-VM)" 1,1 "get: one launcher start, one observe"
run "$VMRECON" validate "$T/all.yaml"
expect_rc 0 "get's output validates"
vmr diff "$T/all.yaml"
expect_rc 0 "the adopted file diffs in sync"

# --- CPU: a restart -------------------------------------------------------
hv_reset
run "$VMRECON" get web01 --backend "$BK" --state-dir "$S"
cp "$T/out" "$T/web01.yaml"
edit "$T/web01.yaml" 's/cpuCount: 4/cpuCount: 8/'
vmr apply "$T/web01.yaml"
expect_rc 3 "cpuCount 8 with restartPolicy Never: pending"
expect_in "$T/out" "only while it is off" "the plan says why (Set-VMProcessor needs the VM off)"
expect_eq "$(vmt web01)" "4,4096,Running,[],[]" "nothing changed, the VM still runs"
edit "$T/web01.yaml" 's/restartPolicy: Never/restartPolicy: IfNeeded/'
hv_edit pass
vmr apply "$T/web01.yaml"
expect_rc 0 "cpuCount 8 with IfNeeded: applied"
expect_eq "$(sets)" "Stop-VM Set-VMProcessor Start-VM" "Stop-VM, Set-VMProcessor, Start-VM"
expect_eq "$(vmt web01)" "8,4096,Running,[],[]" "8 CPUs, running again"
expect_eq "$(starts),$(ncalls Get-VMHost)" 1,2 "one launcher start for observe, set and verify"

# --- memory: live (static), then a decrease below the guest's demand ------
edit "$T/web01.yaml" 's/restartPolicy: IfNeeded/restartPolicy: Never/; s/memoryInMB: 4096/memoryInMB: 6144/'
hv_edit pass
vmr apply "$T/web01.yaml"
expect_rc 0 "memoryInMB 6144 on the running VM with restartPolicy Never: applied"
expect_in "$T/out" "memoryInMB  4096 -> 6144 (live)" "live: a 2016+ host and a Windows Server 2022 guest"
expect_eq "$(sets)" "Set-VMMemory" "one Set-VMMemory, no restart"
expect_eq "$(vmt web01)" "8,6144,Running,[],[]" "6144 MB while running"
edit "$T/web01.yaml" 's/memoryInMB: 6144/memoryInMB: 1024/'
vmr diff "$T/web01.yaml"
expect_rc 2 "memoryInMB 1024, below the guest's 1500 MB demand: a change"
expect_in "$T/out" "memoryInMB  6144 -> 1024 (restart)" "it needs a restart"
expect_in "$T/out" "demand is 1500 MB" "because of the guest's demand (Runtime Memory Resize)"

# --- memory with Dynamic Memory: a restart, Maximum before Startup ---------
hv_reset 'd["vms"][1]["state"] = "Running"'
run "$VMRECON" get db01 --backend "$BK" --state-dir "$S"
cp "$T/out" "$T/db01.yaml"
edit "$T/db01.yaml" 's/memoryInMB: 2048/memoryInMB: 8192/; s/restartPolicy: Never/restartPolicy: IfNeeded/'
hv_edit pass
vmr apply "$T/db01.yaml"
expect_rc 0 "Dynamic Memory: memoryInMB 8192 (above its 4096 MB maximum) applied"
expect_in "$T/out" "only Minimum and Maximum change while the VM runs" "the restart's reason"
expect_eq "$(sets)" "Stop-VM Set-VMMemory Set-VMMemory Start-VM" "stopped, two Set-VMMemory, started"
expect_order "$HYPERV_PWSH_TRACE" '"MaximumBytes":8589934592' '"StartupBytes":8589934592' \
	"Maximum raised before Startup (hashicorp/vagrant#8033)"
expect_eq "$(hv_get "[v for v in d['vms'] if v['name'] == 'db01'][0]['maximumMB']"),$(vmt db01)" \
	"8192,2,8192,Running,[],[]" "Startup 8192 within [1024, 8192], running"

# --- GPU partitioning -----------------------------------------------------
hv_reset
edit "$T/web01.yaml" 's/memoryInMB: 1024/memoryInMB: 4096/; s/cpuCount: 8/cpuCount: 4/; s/restartPolicy: Never/restartPolicy: IfNeeded/'
sed -i 's/^  gpu: none$/  gpu:\n    name: NVIDIA A2\n    passthroughType: ParaVirtualization/' "$T/web01.yaml"
vmr apply "$T/web01.yaml"
expect_rc 0 "GPU-P: the A2 applied"
expect_eq "$(sets)" "Stop-VM Add-VMGpuPartitionAdapter Start-VM" "stopped, one partition added, started"
expect_in "$HYPERV_PWSH_TRACE" '"args":{"InstancePath":"\\\\?\\PCI#VEN_10DE&DEV_25B6&SUBSYS_157E10DE&REV_A1#4&2A5A9F4A&0&0010#{064092b3-625e-43bf-9eb5-dc845897dd59}"}' \
	"by the host's path, and no partition values (a full partition)"
run "$VMRECON" get web01 --backend "$BK" --state-dir "$S"
expect_in "$T/out" "name: NVIDIA A2" "get names the partition by the GPU's friendly name (the VM reports its path in lower case)"
cp "$T/out" "$T/gpup.yaml"
vmr diff "$T/gpup.yaml"
expect_rc 0 "in sync afterwards"
sed -i '/^  gpu:$/,/^    count: 1$/c\  gpu: none' "$T/gpup.yaml"
sed -i 's/restartPolicy: Never/restartPolicy: IfNeeded/' "$T/gpup.yaml"
hv_edit pass
vmr apply "$T/gpup.yaml"
expect_rc 0 "gpu: none removes it"
expect_eq "$(sets)" "Stop-VM Remove-VMGpuPartitionAdapter Start-VM" "stopped, removed, started"

# --- DDA: two T4s, named after they leave the host --------------------------
hv_reset 'd["vms"][0].update(stopAction="TurnOff", highMmioMB=33280)'
cp "$T/web01.yaml" "$T/dda.yaml"
sed -i 's/^    name: NVIDIA A2$/    name: NVIDIA Tesla T4/; s/passthroughType: ParaVirtualization/passthroughType: DirectDeviceAssignment\n    count: 2/' "$T/dda.yaml"
vmr apply "$T/dda.yaml"
expect_rc 0 "DDA: two T4s applied"
expect_eq "$(sets)" "Stop-VM Disable-PnpDevice Dismount-VMHostAssignableDevice Add-VMAssignableDevice Disable-PnpDevice Dismount-VMHostAssignableDevice Add-VMAssignableDevice Start-VM" \
	"each disabled, dismounted and assigned, with the VM off"
expect_in "$HYPERV_PWSH_TRACE" '"LocationPath":"PCIROOT(0)#PCI(0200)#PCI(0000)","Force":true' "dismounted by location path with -Force"
expect_eq "$(json_get "$S/hyperv-devices.json" "','.join(e['name'] for e in d['devices'])")" \
	"NVIDIA Tesla T4,NVIDIA Tesla T4" "the names recorded before the dismount"
expect_eq "$(vmt web01)" "4,4096,Running,[],['PCIROOT(0)#PCI(0200)#PCI(0000)', 'PCIROOT(0)#PCI(0400)#PCI(0000)']" \
	"both assigned, the VM running"
run "$VMRECON" get web01 --backend "$BK" --state-dir "$S"
expect_in "$T/out" "name: NVIDIA Tesla T4" "get names the dismounted devices from the record"
expect_in "$T/out" "count: 2" "both"
cp "$T/out" "$T/dda2.yaml"
vmr diff "$T/dda2.yaml"
expect_rc 0 "in sync afterwards"
sed -i 's/count: 2/count: 1/; s/restartPolicy: Never/restartPolicy: IfNeeded/' "$T/dda2.yaml"
hv_edit pass
vmr apply "$T/dda2.yaml"
expect_rc 0 "count 1: one given back"
expect_eq "$(sets)" "Stop-VM Remove-VMAssignableDevice Mount-VMHostAssignableDevice Enable-PnpDevice Start-VM" \
	"removed, mounted, enabled again (its recorded instance id)"
expect_eq "$(hv_get "len([g for g in d['host']['gpus'] if not g['dismounted'] and not g['disabled']])")" 2 \
	"the A2 and one T4 are the host's"
