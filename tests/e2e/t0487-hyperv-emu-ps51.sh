# t0487-hyperv-emu-ps51.sh - the hyperv backend reading what Windows
# PowerShell 5.1 prints, where the real pwsh of t0485 cannot produce it:
# tests/hyperv-emu/powershell answers the observe script (per call) in
# 5.1's bytes: CR LF after host noise, < > & ' as \u00XX, one-element lists
# unrolled, others as {"value": [...], "Count": N}, the OEM code page
# when setting the output encoding did not take.  `get` must print the
# same file from every shape, and that file must diff in sync.  Needs only
# Python, so it always runs.
. "$(dirname "$0")/../lib.sh"
EMU=$VR_TOP/tests/hyperv-emu/powershell
BK="hyperv:per-call:$EMU"
S=$T/s
export HYPERV_EMU_STATE=$T/emu.json HYPERV_EMU_LOG=$T/emu.log
A2='\\?\PCI#VEN_10DE&DEV_25B6&SUBSYS_157E10DE&REV_A1#4&2A5A9F4A&0&0010#{064092b3-625e-43bf-9eb5-dc845897dd59}'
# state FAULTS-JSON: the observe result of a Windows Server 2025 host with
# web01 (running, a partition of an A2 whose name has & ' < >), and
# "Büro 1", a VM whose name cannot be a metadata.name
state() {
	/usr/bin/python3 - "$HYPERV_EMU_STATE" "$A2" "$1" <<'PY'
import json, sys
path, a2, faults = sys.argv[1], sys.argv[2], json.loads(sys.argv[3])
MB = 1024 * 1024
def vm(name, vid, state, cpus, mb, **kw):
    v = {"name": name, "id": vid, "state": state, "generation": 2,
         "cpuCount": cpus, "nested": False, "startupBytes": mb * MB,
         "minimumBytes": 512 * MB, "maximumBytes": 1048576 * MB,
         "dynamic": False, "demandBytes": 1500 * MB,
         "assignedBytes": mb * MB, "stopAction": "Save",
         "highMmioBytes": 512 * MB, "guestOs": "Windows Server 2022 Datacenter",
         "guestMajor": "10", "gpuPartitions": [], "assigned": []}
    v.update(kw)
    return v
d = {"vms": [vm("web01", "6144df79-b0fb-4f10-9c37-e36f134a22f6", "Running", 4,
                4096, gpuPartitions=[a2.lower()]),
             vm("Büro 1", "2bfc2b6d-bb10-4492-9c37-e36f134a22f6", "Off", 2, 2048)],
     "logicalProcessors": 16, "memoryBytes": 65536 * MB,
     "freeMemoryKB": 32768 * 1024, "build": "26100", "ubr": 1742,
     "productName": "Windows Server 2025 Datacenter",
     "installationType": "Server", "model": "PowerEdge R760",
     "partitionableGpus": [a2],
     "displays": [{"name": "NVIDIA RTX A2000 'Ada' & <co>",
                   "instanceId": "PCI\\VEN_10DE&DEV_25B6&SUBSYS_157E10DE&REV_A1\\4&2A5A9F4A&0&0010",
                   "present": True,
                   "locationPaths": ["PCIROOT(0)#PCI(0300)#PCI(0000)", "ACPI(_SB_)#ACPI(PCI0)"]}],
     "dismounted": [], "faults": faults}
json.dump(d, open(path, "w"), ensure_ascii=False)
PY
}
# get: the file printed, its observation times masked
get() {
	run "$VMRECON" get --backend "$BK" --state-dir "$S"
	sed -i 's/, observed [0-9T:-]*Z by /, observed TIME by /' "$T/out"
}

state '{}'
get
expect_rc 0 "get: 5.1's escapes"
cp "$T/out" "$T/plain.yaml"
expect_in "$T/plain.yaml" "name: web01" "web01 by its name"
expect_in "$T/plain.yaml" "name: 2bfc2b6d-bb10-4492-9c37-e36f134a22f6" "'Büro 1' by its Id"
expect_in "$T/plain.yaml" "NVIDIA RTX A2000 'Ada' & <co>" "the partition by its GPU's friendly name, decoded"
run "$VMRECON" diff -f "$T/plain.yaml" --backend "$BK" --state-dir "$S"
expect_rc 0 "the adopted file diffs in sync"

for f in '{"unroll": true, "noise": ["WARNING: the Hyper-V module is 2.0"]}' \
    '{"wrap": true}' '{"unroll": true, "wrap": true}' \
    '{"oem": true, "noise": ["Bürocomputer: Warnung"]}'; do
	state "$f"
	get
	expect_rc 0 "get with $f"
	if cmp -s "$T/out" "$T/plain.yaml"; then ok "$f: the same file as from plain JSON"; else
		notok "$f: another file"
		diff "$T/plain.yaml" "$T/out" | head -10 | sed 's/^/#   /'
	fi
	run "$VMRECON" diff -f "$T/plain.yaml" --backend "$BK" --state-dir "$S"
	expect_rc 0 "$f: in sync"
done

# a host that prints nothing and fails: a clear error, nothing adopted
state '{"exit": 3}'
get
expect_rc 1 "get from a failing host"
expect_in "$T/err" "failed (exit status 3): (no error output)" "says how it ended"
expect_eq "$(wc -l <"$HYPERV_EMU_LOG" | tr -d ' ')" 11 "one launcher start per command (6 gets, 5 diffs: one observe each)"
