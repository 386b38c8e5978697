# t0200-core.sh - the binary end to end on the sim backend: exit codes
# 0/1/2/3, the JSON README.md shows for -o json, absent fields untouched, the lock,
# status, and no state written by diff.
. "$(dirname "$0")/../lib.sh"
S=$T/state
SIM=$T/state/sim.json
ex=$VR_TOP/examples
sim_vm() { json_get "$SIM" "d['vms']['edge-01']$1"; }

run "$VMRECON" diff -f "$ex/a2-dda.yaml" --state-dir "$S" -o json
expect_rc 2 "diff of the A2 example against a fresh sim"
/usr/bin/python3 - "$T/out" <<'PY' && ok "diff -o json has the shape README.md shows" || notok "diff -o json shape"
import json, sys
d = json.load(open(sys.argv[1]))
assert d["formatVersion"] == 1, d
vm, = d["vms"]
assert vm["name"] == "edge-01" and vm["backend"] == "sim" and vm["inSync"] is False, vm
ch = {c["field"]: c for c in vm["changes"]}
assert list(ch) == ["cpuCount", "memoryInMB", "gpu"], list(ch)
assert ch["cpuCount"]["action"] == "update" and ch["cpuCount"]["from"] == 1 and ch["cpuCount"]["to"] == 4
assert ch["memoryInMB"]["from"] == 1024 and ch["memoryInMB"]["to"] == 16384
assert ch["gpu"]["action"] == "create" and ch["gpu"]["from"] is None
assert ch["gpu"]["to"] == {"name": "NVIDIA A2", "passthroughType": "DirectDeviceAssignment", "count": 1}, ch["gpu"]
assert all(c["mode"] == "restart" for c in vm["changes"])
PY
[ ! -e "$S/status.json" ] && [ ! -e "$S/last-applied.json" ] && ok "diff writes no state" || notok "diff wrote state"

run "$VMRECON" diff -f "$ex/a2-dda.yaml" --state-dir "$S"
expect_rc 2 "text diff"
expect_in "$T/out" "~ cpuCount    1 -> 4 (restart)" "text plan shows the cpu change"
expect_in "$T/out" "+ gpu         NVIDIA A2 (DirectDeviceAssignment, count 1) (restart)" "text plan shows the gpu create"
expect_in "$T/out" "Plan: 3 changes to 1 VM (cpuCount, memoryInMB, gpu): 3 with a restart." "text plan ends with a summary of what changes, and how"

run "$VMRECON" apply -f "$ex/a2-dda.yaml" --state-dir "$S"
expect_rc 0 "apply converges"
expect_eq "$(sim_vm "['cpuCount']")" 4 "sim has 4 CPUs"
expect_eq "$(sim_vm "['gpu']['name']")" "NVIDIA A2" "sim has the A2"
run "$VMRECON" diff -f "$ex/a2-dda.yaml" --state-dir "$S"
expect_rc 0 "diff after apply is in sync"
restarts=$(sim_vm ".get('restarts', 0)")
run "$VMRECON" apply -f "$ex/a2-dda.yaml" --state-dir "$S"
expect_rc 0 "second apply"
expect_eq "$(sim_vm ".get('restarts', 0)")" "$restarts" "second apply is a no-op (no restart)"

# the pitfall: a spec with only memoryInMB changes only memory
cat >"$T/mem.yaml" <<'Y'
apiVersion: vmrecon/v1
kind: VirtualMachine
metadata:
  name: edge-01
spec:
  memoryInMB: 8192
  restartPolicy: IfNeeded
Y
run "$VMRECON" apply -f "$T/mem.yaml" --state-dir "$S"
expect_rc 0 "memory-only apply"
expect_eq "$(sim_vm "['memoryInMB']"),$(sim_vm "['cpuCount']"),$(sim_vm "['gpu']['name']")" \
	"8192,4,NVIDIA A2" "memory-only spec kept CPU and GPU"

# restartPolicy Never: restart-mode changes stay pending, exit 3
sed 's/IfNeeded/Never/; s/8192/2048/' "$T/mem.yaml" >"$T/never.yaml"
run "$VMRECON" apply -f "$T/never.yaml" --state-dir "$S"
expect_rc 3 "Never leaves restart changes pending"
expect_eq "$(sim_vm "['memoryInMB']")" 8192 "pending change not applied"
expect_in "$T/out" "pending: 1 change waits for a restart" "apply says what is pending"

# status
run "$VMRECON" status --state-dir "$S" -o json
expect_rc 2 "status -o json (a pending VM is not Ready: exit 2)"
expect_eq "$(json_get "$T/out" "d['vms']['edge-01']['result']")" pending "status records the pending result"
expect_eq "$(json_get "$T/out" "d['vms']['edge-01']['lastAttemptedRevision'][:5]")" "blob:" "status has a revision"
run "$VMRECON" status --state-dir "$S"
expect_in "$T/out" "edge-01" "status text lists the VM"

# gpu: none removes only the GPU
run "$VMRECON" apply -f "$ex/remove-gpu.yaml" --state-dir "$S"
expect_rc 0 "gpu: none"
expect_eq "$(sim_vm "['gpu']"),$(sim_vm "['memoryInMB']")" "None,8192" "only the GPU was removed"

# preflight: nothing applied, all problems listed
cat >"$T/big.yaml" <<'Y'
apiVersion: vmrecon/v1
kind: VirtualMachine
metadata:
  name: edge-01
spec:
  cpuCount: 64
  memoryInMB: 1048576
  gpu:
    name: NVIDIA T4
    passthroughType: DirectDeviceAssignment
  restartPolicy: IfNeeded
Y
cp "$SIM" "$T/before.json"
run "$VMRECON" apply -f "$T/big.yaml" --state-dir "$S"
expect_rc 1 "preflight failure"
expect_in "$T/err" "big.yaml:6:13: cpuCount 64 is more than the host's 16 logical processors" "cpu problem at file:line:col"
expect_in "$T/err" "big.yaml:7:15: memoryInMB 1048576" "memory problem"
expect_in "$T/err" "big.yaml:9:11: the host has no GPU named 'NVIDIA T4'" "gpu problem lists"
expect_in "$T/err" "nothing was applied" "says nothing was applied"
cmp -s "$SIM" "$T/before.json" && ok "preflight failure changed nothing" || notok "sim changed"

# a typo: file:line:col and a suggestion, exit 1, backend never contacted
sed 's/memoryInMB/memoryInMb/' "$T/mem.yaml" >"$T/typo.yaml"
run "$VMRECON" apply -f "$T/typo.yaml" --state-dir "$T/fresh"
expect_rc 1 "typo'd key"
expect_in "$T/err" "typo.yaml:6:3:" "typo at line:col"
expect_in "$T/err" "memoryInMB" "typo gets a suggestion"
[ ! -e "$T/fresh/sim.json" ] && ok "backend not contacted for a bad file" || notok "sim.json was created"
run "$VMRECON" validate "$T/typo.yaml"
expect_rc 1 "validate rejects the typo"
run "$VMRECON" validate "$ex"/*.yaml
expect_rc 0 "every example validates"

# stdin
run "$VMRECON" diff -f - --state-dir "$S" <"$ex/remove-gpu.yaml"
expect_rc 0 "diff -f - reads stdin"

# apply failure reported with what was applied
/usr/bin/python3 - "$SIM" <<'PY'
import json, sys
d = json.load(open(sys.argv[1])); d["faults"] = {"applyError": "hypervisor said no"}
json.dump(d, open(sys.argv[1], "w"))
PY
run "$VMRECON" apply -f "$ex/a2-dda.yaml" --state-dir "$S"
expect_rc 1 "backend refusal"
expect_in "$T/err" "hypervisor said no" "refusal in the backend's words"
expect_in "$T/err" "applied before the failure: nothing" "says what was applied"
run "$VMRECON" status --state-dir "$S" -o json
expect_eq "$(json_get "$T/out" "d['vms']['edge-01']['result']")" failed "status records the failure"

# the lock: a second apply on the same state dir fails at once, while the
# holder (which says when it has the lock) still holds it
/usr/bin/python3 -c 'import fcntl,sys,time; f=open(sys.argv[1],"a"); fcntl.flock(f, fcntl.LOCK_EX); open(sys.argv[2],"w").close(); time.sleep(120)' \
	"$S/lock" "$T/locked" &
holder=$!
for _ in $(seq 1 600); do [ -e "$T/locked" ] && break; sleep 0.05; done
run "$VMRECON" apply -f "$ex/remove-gpu.yaml" --state-dir "$S"
expect_rc 1 "apply while another holds the lock"
expect_in "$T/err" "another vmrecon" "lock message is clear"
kill -0 $holder 2>/dev/null && ok "lock refusal is immediate (the holder still holds it)" ||
	notok "lock refusal waited for the holder to exit"
kill $holder 2>/dev/null; wait $holder 2>/dev/null

# usage errors
run "$VMRECON" diff
expect_rc 1 "diff without -f"
expect_in "$T/err" "usage: vmrecon diff" "usage on stderr"
run "$VMRECON" diff -f "$ex/a2-dda.yaml" -o yaml --state-dir "$S"
expect_rc 1 "bad -o"
run "$VMRECON" diff --help
expect_rc 0 "diff --help"
expect_in "$T/out" "usage: vmrecon diff" "help on stdout"
run "$VMRECON" frobnicate
expect_rc 1 "unknown command"
run "$VMRECON" version
expect_in "$T/out" "backends: sim" "version lists backends"
run "$VMRECON" diff -f "$ex/a2-dda.yaml" --backend nosuch --state-dir "$S"
expect_rc 1 "unknown backend"
expect_in "$T/err" "unknown backend 'nosuch'" "unknown backend named"
