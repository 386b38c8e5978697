# tests/hyperv-pwsh/testlib.sh - shared by the e2e scripts that run the
# hyperv backend's PowerShell in a real pwsh with the mock Hyper-V module
# (t0480-t0495).  Source it after tests/lib.sh.  It skips the whole script
# where no pwsh runs, and gives:
#   $HPL       the launcher, tests/hyperv-pwsh/powershell; $BK hyperv:$HPL
#   $PW        the pwsh it runs
#   hv_reset [PYTHON]  a fresh mock state in $HYPERV_PWSH_STATE, then
#              PYTHON may change `d`; empties the launcher log and trace.
#              The host: Windows Server 2025 (26100), 16 processors,
#              65536 MB (32768 free), a partitionable NVIDIA A2 and two
#              NVIDIA Tesla T4 (no mitigation driver, 16 GB of MMIO each).
#              The VMs: web01 (Running, generation 2, 4 CPUs, 4096 MB
#              static, demand 1500 MB, a Windows Server 2022 guest,
#              AutomaticStopAction Save, 512 MB high MMIO, no GPU) and
#              db01 (Off, 2 CPUs, Dynamic Memory 2048 MB in [1024, 4096],
#              an Ubuntu guest, TurnOff, 33280 MB high MMIO).
#   hv_edit PYTHON     change the state `d` in place (fresh log and trace)
#   hv_get EXPR        print EXPR of the state `d`
#   vmt NAME           NAME's "cpuCount,startupMB,state,partitions,assigned"
#   spec FILE NAME LINE...  a vmrecon/v1 document for VM NAME
#   starts             launcher starts since the last reset
#   ncalls CMD         calls of mock cmdlet CMD since the last reset
HPL=$VR_TOP/tests/hyperv-pwsh/powershell
BK="hyperv:$HPL"
export HYPERV_PWSH_STATE=$T/hv.json HYPERV_PWSH_LOG=$T/launcher.log
export HYPERV_PWSH_TRACE=$T/trace.log
PW=${HYPERV_PWSH:-$HOME/.dotnet/tools/pwsh}
[ -x "$PW" ] || PW=$(command -v pwsh) || PW=
if [ -z "$PW" ]; then
	skip_all "no pwsh: 'dotnet tool install --global PowerShell --version 7.6.9' did not give one (make test runs it)"
fi
if ! _v=$("$PW" -NoProfile -NonInteractive -Command '$PSVersionTable.PSVersion.ToString()' 2>&1); then
	skip_all "pwsh at $PW does not run: $(echo "$_v" | head -1)"
fi
echo "# pwsh $_v at $PW"

hv_reset() {
	/usr/bin/python3 - "$HYPERV_PWSH_STATE" "${1:-pass}" <<'PY'
import json, sys
def gpu(name, dev, inst, loc, part, mmio):
    return {"name": name, "hwid": "VEN_10DE&DEV_%s&SUBSYS_157E10DE&REV_A1" % dev,
            "inst": inst, "location": loc, "partitionable": part,
            "mitigationDriver": False, "mmioMB": mmio, "disabled": False,
            "dismounted": False}
def vm(name, vid, state, cpus, mb, **kw):
    v = {"name": name, "id": vid, "state": state, "generation": 2,
         "cpuCount": cpus, "startupMB": mb, "minimumMB": 512,
         "maximumMB": 1048576, "dynamic": False, "demandMB": 1500,
         "nested": False, "hypervInGuest": False, "stopAction": "Save",
         "highMmioMB": 512,
         "guest": {"os": "Windows Server 2022 Datacenter", "major": "10"},
         "partitions": [], "assigned": []}
    v.update(kw)
    return v
d = {"host": {"logicalProcessors": 16, "memoryMB": 65536,
              "freeMemoryMB": 32768, "build": "26100", "ubr": 1742,
              "productName": "Windows Server 2025 Datacenter",
              "installationType": "Server", "model": "PowerEdge R760",
              "win10Cmdlets": False,
              "gpus": [gpu("NVIDIA A2", "25B6", "4&2A5A9F4A&0&0010",
                           "PCIROOT(0)#PCI(0300)#PCI(0000)", True, 16384),
                       gpu("NVIDIA Tesla T4", "1EB8", "4&11AA22BB&0&0008",
                           "PCIROOT(0)#PCI(0200)#PCI(0000)", False, 16384),
                       gpu("NVIDIA Tesla T4", "1EB8", "4&33CC44DD&0&0018",
                           "PCIROOT(0)#PCI(0400)#PCI(0000)", False, 16384)]},
     "vms": [vm("web01", "6144df79-b0fb-4f10-9c37-e36f134a22f6", "Running",
                4, 4096),
             vm("db01", "2bfc2b6d-bb10-4492-9c37-e36f134a22f6", "Off", 2,
                2048, dynamic=True, minimumMB=1024, maximumMB=4096,
                stopAction="TurnOff", highMmioMB=33280,
                guest={"os": "Ubuntu 24.04 LTS", "major": "6"})],
     "faults": {}}
exec(sys.argv[2])
json.dump(d, open(sys.argv[1], "w"), ensure_ascii=False)
PY
	: >"$HYPERV_PWSH_LOG"
	: >"$HYPERV_PWSH_TRACE"
}
hv_edit() {
	/usr/bin/python3 - "$HYPERV_PWSH_STATE" "$1" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
exec(sys.argv[2])
json.dump(d, open(sys.argv[1], "w"), ensure_ascii=False)
PY
	: >"$HYPERV_PWSH_LOG"
	: >"$HYPERV_PWSH_TRACE"
}
hv_get() { json_get "$HYPERV_PWSH_STATE" "$1"; }
vmt() {
	hv_get "','.join(str(x) for x in [[v for v in d['vms'] if v['name'] == '$1'][0][k] for k in ('cpuCount', 'startupMB', 'state', 'partitions', 'assigned')])"
}
spec() {
	local f=$1 name=$2
	shift 2
	{
		printf 'apiVersion: vmrecon/v1\nkind: VirtualMachine\n'
		printf 'metadata:\n  name: %s\nspec:\n' "$name"
		printf '  %s\n' "$@"
	} >"$f"
}
starts() { wc -l <"$HYPERV_PWSH_LOG" | tr -d ' '; }
ncalls() { grep -c "\"cmd\":\"$1\"" "$HYPERV_PWSH_TRACE"; }
