# t0330-state-scale.sh - 10,000 VMs: status.json has no size cliff.  A
# status.json of more than 4 MiB (10,000 VMs with five long results each)
# is read, every VM keeps its latest result through an apply of all 10,000
# on sim, the history is what gets cut to keep the file bounded, and
# `vmrecon status` lists every VM.  (How the time grows with the number of
# VMs is measured by `make bench`, not here.)
. "$(dirname "$0")/../lib.sh"
N=${VR_SCALE_VMS:-10000}
S=$T/s
SIM=$T/sim.json
mkdir -m 700 "$S"
/usr/bin/python3 - "$N" "$T" "$S/status.json" <<'PY'
import json, sys
n, t, status = int(sys.argv[1]), sys.argv[2], sys.argv[3]
names = ["vm-%05d" % i for i in range(n)]
json.dump({"host": {"logicalProcessors": 64, "memoryInMB": 1 << 30},
           "vms": {v: {"cpuCount": 1, "memoryInMB": 1024} for v in names}},
          open(t + "/sim.json", "w"))
with open(t + "/vms.yaml", "w") as f:
    for v in names:
        f.write("---\napiVersion: vmrecon/v1\nkind: VirtualMachine\n"
                "metadata:\n  name: %s\nspec:\n  cpuCount: 2\n"
                "  restartPolicy: IfNeeded\n" % v)
msg = "apply failed: an earlier result with a long message " + "x" * 60
hist = [{"time": "2026-01-0%dT00:00:00Z" % (k + 1), "result": "failed",
         "message": msg, "revision": "blob:%064d" % k} for k in range(5)]
json.dump({"formatVersion": 1,
           "vms": {v: {"result": "failed", "message": msg,
                       "lastHandledAt": "2026-01-05T00:00:00Z",
                       "lastAttemptedRevision": "blob:0", "history": hist}
                   for v in names}}, open(status, "w"), indent=2)
PY
size=$(stat -c %s "$S/status.json")
[ "$size" -gt $((4 * 1024 * 1024)) ] && ok "status.json of $N VMs is $size bytes (over 4 MiB)" ||
	notok "the crafted status.json is only $size bytes"

run "$VMRECON" status --state-dir "$S" -o json
expect_rc 2 "status reads a status.json over 4 MiB (every VM failed: exit 2)"

run "$VMRECON" apply -f "$T/vms.yaml" --state-dir "$S" --backend "sim:$SIM"
expect_rc 0 "apply of $N VMs converges"
expect_not_in "$T/err" "starting it over" "status.json is not started over"
/usr/bin/python3 - "$S/status.json" "$SIM" "$S/last-applied.json" "$N" <<'PY' >"$T/why"
import json, os, sys
st, sim, la, n = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
d = json.load(open(st))
bad = []
if len(d["vms"]) != n:
    bad.append("status has %d VMs" % len(d["vms"]))
c = sum(1 for v in d["vms"].values() if v.get("result") == "converged"
        and v.get("message", "").startswith("converged")
        and v["history"] and v["history"][0]["result"] == "converged")
if c != n:
    bad.append("%d of %d VMs have their latest result" % (c, n))
if os.path.getsize(st) > 32 * 1024 * 1024:
    bad.append("status.json is %d bytes" % os.path.getsize(st))
s = json.load(open(sim))
if sum(1 for v in s["vms"].values() if v["cpuCount"] == 2) != n:
    bad.append("not every VM has 2 CPUs in the sim file")
if len(json.load(open(la))["vms"]) != n:
    bad.append("last-applied.json lacks records")
print("; ".join(bad))
PY
expect_eq "$(cat "$T/why")" "" "every VM's latest result is kept, the sim file and records hold all $N"
run "$VMRECON" status --state-dir "$S"
expect_rc 0 "status lists them"
expect_eq "$(grep -cE '^vm +vm-[0-9]+ +True ' "$T/out")" "$N" "status prints a Ready line for each of the $N VMs"
run "$VMRECON" apply -f "$T/vms.yaml" --state-dir "$S" --backend "sim:$SIM"
expect_rc 0 "a second apply of $N VMs (in sync)"
expect_in "$T/out" "0 applied" "applies nothing"
