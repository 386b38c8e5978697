# t0620-watch-drift.sh - every drift check of `vmrecon watch` observes the
# live VM afresh, on sim and on eflow (the EFLOW emulator,
# tests/eflow-emu/): a VM changed behind the daemon's back is corrected
# within a few intervals, or reported with --no-self-heal and left alone.
# The daemon keeps its backend for its whole life, so a backend that kept
# an observation from one pass to the next would never see the change.
# (Real pwsh: t0625; QEMU: t0500; libvirt: t0550.)
#@ full-only: watch daemons waiting out their intervals
. "$(dirname "$0")/../lib.sh"
. "$VR_TOP/tests/watchdrift.sh"
. "$VR_TOP/tests/eflow-emu/emu.sh"

# every wait: 10 s plus 20 times a whole `vmrecon diff` on the emulator
# (a launcher call: a Python start) as this machine runs it now
emu_reset
spec "$T/probe.yaml" "cpuCount: 4"
t0=$(date +%s%N)
"$VMRECON" diff -f "$T/probe.yaml" --backend "$BK" --state-dir "$T/probe" >/dev/null 2>&1
DIFF_MS=$((($(date +%s%N) - t0) / 1000000))
WD_MS=$((10000 + 20 * DIFF_MS))
echo "# diff on the emulator: $DIFF_MS ms; waits up to $WD_MS ms"

echo "# --- sim"
cat >"$T/sim.yaml" <<'Y'
apiVersion: vmrecon/v1
kind: VirtualMachine
metadata:
  name: edge-01
spec:
  cpuCount: 2
  restartPolicy: IfNeeded
Y
wd_repo "$T/sim.yaml" || notok "the repository"
S=$T/sim-state
sim_cpu() { json_get "$S/sim.json" "d['vms']['edge-01']['cpuCount']"; }
is_cpu() { [ "$(sim_cpu)" = "$1" ]; }
wd_start "$S" "$T/sim.log"
expect_eq "$(sim_cpu)" 2 "sim: the daemon applied the file"
/usr/bin/python3 "$VR_TOP/tests/simset.py" "$S/sim.json" cpu edge-01 5
wd_until is_cpu 2 && ok "sim: a CPU count changed behind the daemon's back is corrected" ||
	notok "sim: not corrected: cpuCount $(sim_cpu)"
wd_until wd_log '"drift corrected" vm=edge-01' && ok "sim: logged as drift corrected" ||
	notok "sim: no 'drift corrected' line"
wd_stop
wd_start "$S" "$T/sim-noheal.log" --no-self-heal
/usr/bin/python3 "$VR_TOP/tests/simset.py" "$S/sim.json" cpu edge-01 5
wd_until wd_log '"drift detected" vm=edge-01' && ok "sim --no-self-heal: the drift is reported" ||
	notok "sim --no-self-heal: no 'drift detected' line"
wd_until eval '[ "$(wd_status "d['"'vms'"']['"'edge-01'"']['"'result'"']")" = drifted ]' &&
	ok "sim --no-self-heal: status says drifted" || notok "sim: status $(wd_status "d['vms']['edge-01']['result']")"
expect_eq "$(sim_cpu)" 5 "sim --no-self-heal: and left alone"
wd_stop

echo "# --- eflow, on the EFLOW emulator"
emu_reset
spec "$T/eflow.yaml" "cpuCount: 4" "memoryInMB: 8192" "restartPolicy: IfNeeded"
rm -rf "$T/wd-srv.git" "$T/wd-work"
wd_repo "$T/eflow.yaml" || notok "the repository"
S=$T/eflow-state
emu_cpu() { vm "['cpuCount']"; }
is_emu_cpu() { [ "$(emu_cpu)" = "$1" ]; }
nobserve() { grep -c '"kind": *"observe"' "$EFLOW_EMU_LOG"; }
wd_start "$S" "$T/eflow.log" --backend "$BK"
expect_eq "$(wd_status "d['source']['conditions'][0]['reason']")" Succeeded \
	"eflow: the daemon handled the file (in sync)"
emu_edit "d['vm']['cpuCount'] = 2" # and a fresh emulator log
wd_until is_emu_cpu 4 && ok "eflow: a CPU count changed on the host behind the daemon's back is corrected" ||
	notok "eflow: not corrected: $(vmtuple)"
expect_eq "$(vm "['memoryInMB']")" 8192 "eflow: with its memory kept"
wd_until wd_log '"drift corrected" vm=EDGE01-EFLOW' && ok "eflow: logged as drift corrected" ||
	notok "eflow: no 'drift corrected' line"
n=$(nobserve)
wd_until eval '[ "$(nobserve)" -ge $((n + 3)) ]' &&
	ok "eflow: every drift check asks the host again (Get-EflowVm; $n observes, then 3 more)" ||
	notok "eflow: $(nobserve) observes, no new ones after $n"
wd_stop
wd_start "$S" "$T/eflow-noheal.log" --backend "$BK" --no-self-heal
emu_edit "d['vm']['cpuCount'] = 2"
wd_until wd_log '"drift detected" vm=EDGE01-EFLOW' &&
	ok "eflow --no-self-heal: the drift is reported" || notok "eflow --no-self-heal: no 'drift detected' line"
expect_eq "$(emu_cpu)" 2 "eflow --no-self-heal: and left alone"
expect_eq "$(nsets)" 0 "eflow --no-self-heal: no Set-EflowVM"
wd_stop
