#!/usr/bin/env bash
# t0500-qemu.sh - the qemu backend on a real QEMU VM (TCG): vCPU add, DIMM
# grow and shrink, PCI add/remove on root ports with the test-only GPU
# stand-in, the vfio-pci refusal, beyond-limits changes left pending, a
# watch daemon correcting (or with --no-self-heal reporting) a DIMM added
# behind its back on a second QMP monitor, a vCPU removal last, no-op
# second applies; the guest's own STATE lines on the serial console prove
# it sees the new vCPUs and memory.
#@ full-only: boots a VM under QEMU (TCG)
#@ no-san: mostly waits for a TCG guest to boot and to see its hot-plugged CPUs and memory
. "$(dirname "$0")/../lib.sh"
. "$VR_TOP/tests/watchdrift.sh"

# the VM's sockets and logs live under build/, away from /tmp cleaners
vm=$VR_TOP/build/vm/run.$$
A2="NVIDIA Corporation GA107GL [A2 / A16]"
export VMRECON_SYSFS_ROOT=$VR_TOP/tests/fixtures/sysfs-a2
export VMRECON_QEMU_VERBOSE=1
unset VMRECON_QEMU_GPU_STANDIN
B=(--backend "qemu:$vm/qmp.sock" --state-dir "$T/state")
trap '"$VR_TOP/tests/vm/stop.sh" "$vm"; if [ $_failed -eq 0 ]; then rm -rf "$T" "$vm"; else echo "# kept $T $vm"; fi' EXIT

# spec FILE NAME CPUS MEM [GPU-COUNT|none] [POLICY]
spec() {
	{
		printf 'apiVersion: vmrecon/v1\nkind: VirtualMachine\n'
		printf 'metadata:\n  name: %s\nspec:\n' "$2"
		printf '  cpuCount: %s\n  memoryInMB: %s\n' "$3" "$4"
		if [ "${5:-}" = none ]; then
			printf '  gpu: none\n'
		elif [ -n "${5:-}" ]; then
			printf '  gpu:\n    name: %s\n' "$A2"
			printf '    passthroughType: DirectDeviceAssignment\n'
			printf '    count: %s\n' "$5"
		fi
		[ -n "${6:-}" ] && printf '  restartPolicy: %s\n' "$6"
	} > "$1"
}

# last STATE line of the guest: "STATE up=.. cpus=.. ncpu=N mem=NkB pci=N"
guest() { grep -a '^STATE\|STATE up=' "$vm/serial.log" | tail -1 | tr -d '\r'; }
guest_field() { guest | sed -n "s/.* $1=\([0-9]*\).*/\1/p"; }

# wait_guest FIELD VALUE DESC: wait until the guest reports it.  Deadline:
# 5 times this run's measured boot (at least 30 s), as t0550 does: a
# hot-plug shows in the guest in well under a boot's time, and a loaded
# host slows both alike.
wait_guest() {
	local t0 v ms
	t0=$(date +%s%N)
	while :; do
		v=$(guest_field "$1")
		ms=$(( ($(date +%s%N) - t0) / 1000000 ))
		if [ "$v" = "$2" ]; then
			ok "$3 (guest $1=$2 after $ms ms)"
			return
		fi
		if [ $ms -gt $WAIT_MS ]; then
			notok "$3: guest $1=$v, wanted $2 ($ms ms, deadline $WAIT_MS ms)"
			return
		fi
		sleep 0.05
	done
}

timings() { grep -a ' in [0-9.]* s$' "$T/err" | sed 's/^/# /'; }

# ---- boot ---------------------------------------------------------------
# side.sock: a second QMP monitor, for changes behind vmrecon's back
if ! out=$("$VR_TOP/tests/vm/start.sh" "$vm" \
	-qmp "unix:$vm/side.sock,server=on,wait=off" 2>&1); then
	notok "the test VM boots: $out"
	exit 1
fi
ok "the test VM boots: $out"
boot_ms=$(sed -n 's/^booted in \([0-9]*\)\.\([0-9]\)[0-9]* s.*/\1\200/p' <<<"$out")
WAIT_MS=$(( 5 * ${boot_ms:-6000} ))
[ $WAIT_MS -lt 30000 ] && WAIT_MS=30000
echo "# guest waits: $WAIT_MS ms (5 times the boot, at least 30 s)"
t0=$(date +%s%N) # its first STATE line may follow BOOT-OK
until mem0=$(guest_field mem); [ -n "$mem0" ] ||
    [ $(( ($(date +%s%N) - t0) / 1000000 )) -gt $WAIT_MS ]; do
	sleep 0.1
done
[ -n "$mem0" ] || notok "the guest reports its STATE on the serial console"

# ---- names --------------------------------------------------------------
spec "$T/other.yaml" edge-99 1 1024
run "$VMRECON" diff -f "$T/other.yaml" "${B[@]}"
expect_rc 1 "a spec for another VM name"
expect_in "$T/err" "no VM 'edge-99'" "says which VM it did not find"
expect_in "$T/err" "'edge-01'" "and which VM QEMU is"

# ---- vCPU and memory add ------------------------------------------------
spec "$T/s1.yaml" edge-01 2 1280
run "$VMRECON" diff -f "$T/s1.yaml" "${B[@]}"
expect_rc 2 "diff: vCPU and memory changes pending"
expect_in "$T/out" "cpuCount    1 -> 2 (live)" "a vCPU add is live"
expect_in "$T/out" "memoryInMB  1024 -> 1280 (live)" "a memory add is live"
run "$VMRECON" apply -f "$T/s1.yaml" "${B[@]}"
expect_rc 0 "apply: add a vCPU and a 256 MB DIMM"
timings
wait_guest ncpu 2 "the guest onlined the new vCPU"
wait_guest mem $((mem0 + 262144)) "the guest sees 256 MB more"
run "$VMRECON" apply -f "$T/s1.yaml" "${B[@]}"
expect_rc 0 "second apply"
expect_not_in "$T/err" "qemu: add" "second apply changes nothing"
expect_in "$T/out" "in sync" "second apply says in sync"
# vmrecon get: the live VM as a file, and diff of that file is in sync
run "$VMRECON" get "${B[@]}"
expect_rc 0 "get (every VM the backend has)"
expect_in "$T/out" "name: edge-01" "get prints the VM"
expect_in "$T/out" "beyond them it needs another command line, which vmrecon cannot give it" \
	"get's comment: qemu cannot restart for what is beyond the VM's limits"
expect_not_in "$T/out" "IfNeeded lets apply restart" "and never promises a restart"
cp "$T/out" "$T/adopted.yaml"
run "$VMRECON" diff -f "$T/adopted.yaml" "${B[@]}"
expect_rc 0 "round trip: diff of get's output is in sync"

# ---- memory grow and shrink through DIMMs -------------------------------
spec "$T/s2.yaml" edge-01 2 1792
run "$VMRECON" apply -f "$T/s2.yaml" "${B[@]}"
expect_rc 0 "apply: grow memory by 512 MB"
timings
wait_guest mem $((mem0 + 262144 + 524288)) "the guest sees 768 MB more"
spec "$T/s3.yaml" edge-01 2 1280
run "$VMRECON" apply -f "$T/s3.yaml" "${B[@]}"
expect_rc 0 "apply: shrink memory by 512 MB"
expect_in "$T/err" "removed pc-dimm vrdimm-1" "the 512 MB DIMM went"
timings
wait_guest mem $((mem0 + 262144)) "the guest gave the 512 MB back"

# ---- GPU: PCI add/remove with the stand-in ------------------------------
pci0=$(guest_field pci)
spec "$T/g2.yaml" edge-01 2 1280 2
export VMRECON_QEMU_GPU_STANDIN=secondary-vga
run "$VMRECON" diff -f "$T/g2.yaml" "${B[@]}"
expect_rc 2 "diff: two GPUs to add"
expect_in "$T/out" "count 2) (live)" "adding GPUs on free root ports is live"
run "$VMRECON" apply -f "$T/g2.yaml" "${B[@]}"
expect_rc 0 "apply: two GPUs (stand-ins) on root ports"
expect_in "$T/err" "added GPU 0000:01:00.0" "by host address 01:00.0"
expect_in "$T/err" "added GPU 0000:02:00.0" "and 02:00.0"
timings
wait_guest pci $((pci0 + 2)) "the guest sees two new PCI devices"
run "$VMRECON" apply -f "$T/g2.yaml" "${B[@]}"
expect_rc 0 "restated GPU spec"
expect_not_in "$T/err" "GPU" "a restated GPU spec causes no churn"
spec "$T/g1.yaml" edge-01 2 1280 1
run "$VMRECON" apply -f "$T/g1.yaml" "${B[@]}"
expect_rc 0 "apply: one GPU fewer"
expect_in "$T/err" "removed GPU vrgpu-0000_02_00.0" "the higher address goes, 01:00.0 stays"
timings
wait_guest pci $((pci0 + 1)) "the guest lost one PCI device"
spec "$T/g0.yaml" edge-01 2 1280 none
run "$VMRECON" apply -f "$T/g0.yaml" "${B[@]}"
expect_rc 0 "apply: gpu none removes the last GPU"
wait_guest pci "$pci0" "the guest has its PCI devices of boot time"

# ---- vfio-pci refusal: QEMU's message, and what was applied -------------
unset VMRECON_QEMU_GPU_STANDIN
spec "$T/v.yaml" edge-01 2 1536 1
run "$VMRECON" apply -f "$T/v.yaml" "${B[@]}"
expect_rc 1 "apply: vfio-pci for a GPU this host cannot pass through"
expect_in "$T/err" "device_add vfio-pci,host=0000:01:00.0" "names the refused device_add"
expect_in "$T/err" "no such host device" "shows QEMU's own message"
expect_in "$T/err" "applied before the failure: memoryInMB" "reports what was applied"
wait_guest mem $((mem0 + 524288)) "the memory applied before the refusal is in the guest"

# ---- beyond the limits QEMU was started with -----------------------------
spec "$T/big.yaml" edge-01 2 6144
run "$VMRECON" diff -f "$T/big.yaml" "${B[@]}"
expect_rc 2 "diff: memory beyond maxmem"
expect_in "$T/out" "(restart)" "is a restart-mode change"
expect_in "$T/out" "maxmem" "whose reason names maxmem"
run "$VMRECON" apply -f "$T/big.yaml" "${B[@]}"
expect_rc 3 "apply: beyond maxmem stays pending"
# IfNeeded cannot help: diff says so up front, apply changes nothing of
# the VM, not even the vCPU it could add live (issue 25)
spec "$T/big2.yaml" edge-01 3 6144 "" IfNeeded
run "$VMRECON" diff -f "$T/big2.yaml" "${B[@]}"
expect_rc 2 "diff with IfNeeded and a change beyond maxmem"
expect_in "$T/out" "qemu cannot restart edge-01 this way, so apply changes nothing of edge-01" \
	"diff says no backend action can make it, so nothing of the VM will be applied"
expect_in "$T/out" "maxmem=6144M" "names the QEMU option that would make it possible"
expect_in "$T/out" "write restartPolicy: Never" "and the other way out"
run "$VMRECON" apply -f "$T/big2.yaml" "${B[@]}"
expect_rc 1 "apply with IfNeeded: refused"
expect_in "$T/err" "edge-01: nothing applied: memoryInMB needs what no qemu action can do" \
	"says nothing was applied, and why"
expect_not_in "$T/err" "qemu: add" "sends no hot-plug"
run "$VMRECON" get edge-01 -o json "${B[@]}"
expect_eq "$(json_get "$T/out" "d['spec']['cpuCount']")" 2 "the VM kept its 2 vCPUs: nothing of it changed"

# ---- watch: every drift check observes the VM -----------------------------
# side_qmp COMMAND-JSON...: run QMP commands on the second monitor, as
# another program would (vmrecon's daemon holds the first)
side_qmp() {
	/usr/bin/python3 - "$vm/side.sock" "$@" <<'PY'
import json, socket, sys
s = socket.socket(socket.AF_UNIX)
s.connect(sys.argv[1])
f = s.makefile("rw")
json.loads(f.readline())
def cmd(c):
    f.write(json.dumps(c) + "\n")
    f.flush()
    while True:
        r = json.loads(f.readline())
        if "event" in r:
            continue
        if "error" in r:
            sys.exit("qmp: %s: %s" % (c["execute"], r["error"]))
        return r
cmd({"execute": "qmp_capabilities"})
for a in sys.argv[2:]:
    cmd(json.loads(a))
PY
}
# side_dimm N: a 256 MB DIMM hot-added behind vmrecon's back
side_dimm() {
	side_qmp '{"execute": "object-add", "arguments": {"qom-type": "memory-backend-ram", "id": "sidemem'"$1"'", "size": 268435456}}' \
		'{"execute": "device_add", "arguments": {"driver": "pc-dimm", "id": "sidedimm'"$1"'", "memdev": "sidemem'"$1"'"}}'
}
side_in_sync() { "$VMRECON" diff -f "$T/w.yaml" --backend "qemu:$vm/side.sock" --state-dir "$T/side" >/dev/null 2>&1; }
mem_w=$(guest_field mem)
spec "$T/w.yaml" edge-01 2 1536
run "$VMRECON" diff -f "$T/w.yaml" "${B[@]}"
expect_rc 0 "the watch test's file is in sync (2 vCPUs, 1536 MB)"
wd_repo "$T/w.yaml" || notok "the repository"
WD_MS=$WAIT_MS
wd_start "$T/wstate" "$T/w.log" "${B[0]}" "${B[1]}"
expect_eq "$(wd_status "d['source']['conditions'][0]['reason']")" Succeeded \
	"watch on qemu: the daemon handled the file"
side_dimm 1 || notok "a DIMM added on the second monitor"
wait_guest mem $((mem_w + 262144)) "the guest sees the DIMM added behind vmrecon's back"
wd_until wd_log '"drift corrected" vm=edge-01' &&
	ok "watch on qemu: a DIMM added behind the daemon's back is corrected" ||
	notok "watch on qemu: no correction: $(tail -3 "$T/w.log")"
wait_guest mem "$mem_w" "and the guest gave the 256 MB back"
wd_until side_in_sync && ok "watch on qemu: the VM is as the file says again" ||
	notok "watch on qemu: still differs"
wd_stop
wd_start "$T/wstate" "$T/w-noheal.log" "${B[0]}" "${B[1]}" --no-self-heal
side_dimm 2 || notok "a second DIMM added on the second monitor"
wd_until wd_log '"drift detected" vm=edge-01' &&
	ok "watch on qemu --no-self-heal: the drift is reported" ||
	notok "watch on qemu --no-self-heal: no 'drift detected' line"
wd_stop
side_in_sync && notok "watch on qemu --no-self-heal corrected the drift" ||
	ok "watch on qemu --no-self-heal: and left alone"

# ---- vCPU removal last --------------------------------------------------
spec "$T/s4.yaml" edge-01 1 1024
run "$VMRECON" apply -f "$T/s4.yaml" "${B[@]}"
expect_rc 0 "apply: remove a vCPU and a DIMM"
timings
expect_order "$T/err" "removed pc-dimm" "removing vCPU" "the vCPU removal came last"
wait_guest ncpu 1 "the guest gave the vCPU back"
wait_guest mem "$mem0" "the guest has its boot memory"
run "$VMRECON" apply -f "$T/s4.yaml" "${B[@]}"
expect_rc 0 "second apply after the removal"
expect_in "$T/out" "in sync" "is a no-op"
# QEMU 7.2 (TCG) aborts on any hot-plug after a vCPU unplug: the backend
# sees the unplug in the CPU slot's ACPI status and leaves adds pending
spec "$T/after.yaml" edge-01 1 1280
run "$VMRECON" diff -f "$T/after.yaml" "${B[@]}"
expect_rc 2 "diff: a DIMM add after a vCPU unplug"
expect_in "$T/out" "restart QEMU first" "is restart mode on QEMU 7.2 TCG, with the reason"
run "$VMRECON" apply -f "$T/after.yaml" "${B[@]}"
expect_rc 3 "apply leaves it pending"
expect_not_in "$T/err" "adding" "and sends no device_add"
if kill -0 "$(cat "$vm/qemu.pid")" 2>/dev/null; then
	ok "QEMU is still running"
else
	notok "QEMU is still running: $(tail -3 "$vm/qemu.log")"
fi
