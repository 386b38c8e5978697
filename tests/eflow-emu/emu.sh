# tests/eflow-emu/emu.sh - shell helpers for the e2e scripts that drive the
# eflow backend against the EFLOW emulator (source after tests/lib.sh).
EMU=$VR_TOP/tests/eflow-emu/powershell
BK="eflow:$EMU"
# EFLOW_EMU_LOG: one line per script run (a worker's request, or a
# per-call start); EFLOW_EMU_STARTS: one line per launcher start
export EFLOW_EMU_STATE=$T/emu.json EFLOW_EMU_LOG=$T/emu.log
export EFLOW_EMU_STARTS=$T/emu-starts.log

# emu_reset [HOST-PYTHON]: a running VM with 4 CPUs, 8192 MB, no GPU, on
# an 8-processor Windows 10 19044.1620 host with an A2 and an Intel iGPU;
# HOST-PYTHON may then change `d` (the whole state).  Also fresh logs.
emu_reset() {
	/usr/bin/python3 - "$EFLOW_EMU_STATE" "${1:-pass}" <<'PY'
import json, sys
d = {"vm": {"name": "EDGE01-EFLOW", "power": "Running", "cpuCount": 4,
            "memoryInMB": 8192, "gpu": None},
     "host": {"logicalProcessors": 8, "freeMemoryInMB": 6000,
              "totalMemoryInMB": 16384, "model": "OptiPlex 7090",
              "buildNumber": "19044", "ubr": 1620,
              "productName": "Windows 10 Enterprise",
              "installationType": "Client",
              "videoControllers": ["NVIDIA A2", "Intel(R) UHD Graphics 630"]},
     "faults": {}}
exec(sys.argv[2])
json.dump(d, open(sys.argv[1], "w"), ensure_ascii=False)
PY
	: >"$EFLOW_EMU_LOG"
	: >"$EFLOW_EMU_STARTS"
}
# emu_edit PYTHON: change the state `d` in place (and start fresh logs)
emu_edit() {
	/usr/bin/python3 - "$EFLOW_EMU_STATE" "$1" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
exec(sys.argv[2])
json.dump(d, open(sys.argv[1], "w"), ensure_ascii=False)
PY
	: >"$EFLOW_EMU_LOG"
	: >"$EFLOW_EMU_STARTS"
}
vm() { json_get "$EFLOW_EMU_STATE" "d['vm']$1"; }
vmtuple() { echo "$(vm "['cpuCount']"),$(vm "['memoryInMB']"),$(vm "['gpu'] and d['vm']['gpu']['name']")"; }
nsets() { grep -c '"kind":"set"' "$EFLOW_EMU_LOG"; }
ncalls() { wc -l <"$EFLOW_EMU_LOG" | tr -d ' '; }
nstarts() { wc -l <"$EFLOW_EMU_STARTS" | tr -d ' '; }
# emu_logs_reset: empty both logs (the state stays)
emu_logs_reset() { : >"$EFLOW_EMU_LOG"; : >"$EFLOW_EMU_STARTS"; }
# spec FILE BODY...: a vmrecon/v1 document for EDGE01-EFLOW
spec() {
	local f=$1
	shift
	{
		printf 'apiVersion: vmrecon/v1\nkind: VirtualMachine\n'
		printf 'metadata:\n  name: EDGE01-EFLOW\nspec:\n'
		printf '  %s\n' "$@"
	} >"$f"
}
