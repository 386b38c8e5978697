# t0495-hyperv-pwsh-ps51.sh - the hyperv backend's PowerShell must run on
# Windows PowerShell 5.1 too, so no script it sends may use 7-only
# syntax: every script of a diff, a get (also per call) and applies that
# restart a VM, move Dynamic Memory's bounds, add and remove a GPU
# partition, assign and give back DDA devices is collected from what the
# launcher got (the worker's loop from -EncodedCommand, each request from
# stdin) and checked by tests/eflow-pwsh/check-ps51.ps1 (pwsh's own
# parser; t0470 proves the checker); and the hyperv guide (backends/hyperv.md) shows
# the observe script exactly as it was sent.  Skipped where no pwsh runs.
#@ full-only: starts a real pwsh per command (~1.5 CPU s each)
. "$(dirname "$0")/../lib.sh"
export TMPDIR=$T
. "$VR_TOP/tests/hyperv-pwsh/testlib.sh"
S=$T/s
export HYPERV_PWSH_STDIN=$T/stdin.log
mkdir -p "$T/all"
collect() {
	/usr/bin/python3 "$VR_TOP/tests/eflow-pwsh/collect-scripts.py" \
		"$HYPERV_PWSH_LOG" "$HYPERV_PWSH_STDIN" "$T/all"
}
step() {
	run "$VMRECON" "$@" --backend "$BK" --state-dir "$S"
	collect
}

hv_reset 'd["vms"][0].update(stopAction="TurnOff", highMmioMB=33280); d["vms"][1].update(startupMB=8192, minimumMB=4096, maximumMB=16384)'
spec "$T/a.yaml" web01 "cpuCount: 6" "gpu:" "  name: NVIDIA A2" "  passthroughType: ParaVirtualization" \
	"restartPolicy: IfNeeded"
spec "$T/b.yaml" web01 "gpu:" "  name: NVIDIA Tesla T4" "  passthroughType: DirectDeviceAssignment" \
	"restartPolicy: IfNeeded"
spec "$T/c.yaml" web01 "gpu: none" "restartPolicy: IfNeeded"
spec "$T/d.yaml" db01 "memoryInMB: 2048"
step diff -f "$T/a.yaml"
expect_rc 2 "scripts: diff"
step apply -f "$T/a.yaml"
expect_rc 0 "scripts: apply that stops the VM, sets CPUs, adds a partition"
step apply -f "$T/b.yaml"
expect_rc 0 "scripts: apply that swaps the partition for a DDA device"
step apply -f "$T/c.yaml"
expect_rc 0 "scripts: apply that gives the device back"
step apply -f "$T/d.yaml"
expect_rc 0 "scripts: apply that lowers Dynamic Memory's minimum before Startup"
expect_order "$HYPERV_PWSH_TRACE" '"MinimumBytes":2147483648' '"StartupBytes":2147483648' \
	"(Minimum first)"
step get
expect_rc 0 "scripts: get"
run "$VMRECON" get --backend "hyperv:per-call:$HPL" --state-dir "$S"
expect_rc 0 "scripts: get, one launcher start per call"
collect
n=$(ls "$T/all" | wc -l)
[ "$n" -ge 7 ] && ok "scripts: $n distinct scripts collected" || notok "scripts: only $n distinct scripts collected"
grep -l 'OpenStandardInput' "$T"/all/*.ps1 >/dev/null && ok "scripts: the worker's loop was among them" ||
	notok "scripts: no worker loop collected"
grep -l '^exit 0$' "$T"/all/*.ps1 >/dev/null && ok "scripts: a per-call script was among them" ||
	notok "scripts: no per-call script collected"
for c in Stop-VM Set-VMProcessor Add-VMGpuPartitionAdapter Remove-VMGpuPartitionAdapter \
    Dismount-VMHostAssignableDevice Mount-VMHostAssignableDevice Get-VMHostPartitionableGpu; do
	grep -l -- "$c" "$T"/all/*.ps1 >/dev/null && ok "scripts: one calls $c" || notok "scripts: none calls $c"
done
run "$PW" -NoProfile -NonInteractive -File "$VR_TOP/tests/eflow-pwsh/check-ps51.ps1" "$T"/all/*.ps1
expect_rc 0 "every script vmrecon sent is free of 7-only syntax"

# the hyperv guide (backends/hyperv.md) shows the observe script exactly as it is sent
awk '/\*\*Observe\*\*, once per command \(every VM/ { o = 1 } o && /^```powershell$/ { b = 1; next }
	b && /^```$/ { exit } b' "$VR_TOP/backends/hyperv.md" >"$T/readme-observe.ps1"
/usr/bin/python3 - "$T/readme-observe.ps1" "$T"/all/*.ps1 <<'PY' >"$T/cmp" 2>&1
import sys
want = open(sys.argv[1], encoding="utf-8").read()
sent = [open(f, encoding="utf-8").read() for f in sys.argv[2:]]
ok = len(want) > 2000 and "Get-VMHost" in want and any(want in s for s in sent)
print("same" if ok else "differs: %d bytes in backends/hyperv.md" % len(want))
PY
expect_eq "$(cat "$T/cmp")" same "backends/hyperv.md's observe script is the one vmrecon sends"
