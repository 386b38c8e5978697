#!/usr/bin/env bash
# t0550-libvirt.sh - the libvirt backend on a real libvirtd with a QEMU
# (TCG) domain booting the test VM: a vCPU and a DIMM added live (the guest
# sees them), the persistent definition holding them, a second apply that
# does nothing, memory beyond <maxMemory> left pending under Never and
# applied by one restart under IfNeeded, and a GPU <hostdev> libvirt refuses
# to start ("host doesn't support passthrough of host PCI devices": its
# words, what was applied before, the previous definition restored).
#
# Starts virtlogd and libvirtd (no systemd here) when none is running, and
# stops only those it started.  Needs root (qemu:///system).
. "$(dirname "$0")/../lib.sh"

URI=qemu:///system
dom=vr-t0550-$$
A2="NVIDIA Corporation GA107GL [A2 / A16]"
export VMRECON_SYSFS_ROOT=$VR_TOP/tests/fixtures/sysfs-a2
export VMRECON_LIBVIRT_VERBOSE=1
# the test guest has no ACPI power-button handler: every graceful shutdown
# runs into this timeout, then the domain is destroyed
export VMRECON_LIBVIRT_SHUTDOWN_TIMEOUT_MS=2000
B=(--backend "libvirt:$URI" --state-dir "$T/state")
started=()

skip() { ok "skipped: $*"; exit 0; }
virsh_() { timeout 60 virsh -q -c "$URI" "$@"; }

cleanup() {
	local p i
	if [ -n "${have_dom:-}" ]; then
		virsh_ destroy "$dom" >/dev/null 2>&1
		virsh_ undefine "$dom" >/dev/null 2>&1
	fi
	for p in "${started[@]}"; do # only the daemons this script started
		kill "$p" 2>/dev/null
		for i in $(seq 1 50); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
	done
	[ $_failed -eq 0 ] && rm -rf "$T" || echo "# kept $T"
}
trap cleanup EXIT

"$VMRECON" version | grep -q '^backends:.* libvirt' ||
	skip "this vmrecon was built without libvirt (libvirt-dev missing)"
[ "$(id -u)" = 0 ] || skip "qemu:///system needs root"
for c in libvirtd virtlogd virsh qemu-system-x86_64; do
	command -v $c >/dev/null || skip "$c is not installed"
done
getent passwd libvirt-qemu >/dev/null ||
	skip "libvirt-daemon-system is not installed (no libvirt-qemu user)"

# ---- daemons -------------------------------------------------------------
# daemon NAME PIDFILE: start it with -d unless one runs; remember its pid
daemon() {
	local p i
	p=$(cat "$2" 2>/dev/null)
	if [ -n "$p" ] && kill -0 "$p" 2>/dev/null; then return 0; fi
	mkdir -p /var/log/libvirt
	"$1" -d || return 1
	for i in $(seq 1 50); do
		p=$(cat "$2" 2>/dev/null)
		[ -n "$p" ] && kill -0 "$p" 2>/dev/null && { started+=("$p"); return 0; }
		sleep 0.1
	done
	return 1
}
daemon virtlogd /run/virtlogd.pid || skip "virtlogd -d does not start"
daemon libvirtd /run/libvirtd.pid ||
	skip "libvirtd -d does not start: $(tail -2 /var/log/libvirt/libvirtd.log 2>/dev/null | tr '\n' ' ')"
for _ in $(seq 1 100); do
	virsh_ version >/dev/null 2>&1 && break
	sleep 0.2
done
virsh_ version >"$T/ver" 2>&1 ||
	skip "libvirtd does not answer on $URI: $(tail -1 "$T/ver")"
ok "libvirtd answers: $(grep -i 'running hypervisor' "$T/ver" | sed 's/ *Running hypervisor: *//')"

# ---- the domain -----------------------------------------------------------
cache=$("$VR_TOP/tests/vm/build.sh") || { notok "tests/vm/build.sh"; exit 1; }
chmod 755 "$T"
cat > "$T/dom.xml" <<EOF
<domain type='qemu'>
  <name>$dom</name>
  <maxMemory slots='4' unit='MiB'>2048</maxMemory>
  <memory unit='MiB'>1024</memory>
  <currentMemory unit='MiB'>1024</currentMemory>
  <vcpu placement='static' current='1'>4</vcpu>
  <os>
    <type arch='x86_64' machine='q35'>hvm</type>
    <kernel>$cache/vmlinux</kernel>
    <initrd>$cache/initrd.gz</initrd>
    <cmdline>console=ttyS0 quiet panic=-1 memhp_default_state=online_movable</cmdline>
  </os>
  <features><acpi/><apic/></features>
  <cpu mode='custom' match='exact'>
    <model fallback='allow'>qemu64</model>
    <numa><cell id='0' cpus='0-3' memory='1024' unit='MiB'/></numa>
  </cpu>
  <on_poweroff>destroy</on_poweroff>
  <on_reboot>restart</on_reboot>
  <on_crash>destroy</on_crash>
  <devices>
    <controller type='pci' model='pcie-root'/>
    <controller type='pci' model='pcie-root-port'/>
    <controller type='pci' model='pcie-root-port'/>
    <controller type='pci' model='pcie-root-port'/>
    <serial type='file'><source path='$T/serial.log'/><target port='0'/></serial>
    <memballoon model='virtio'/>
  </devices>
  <seclabel type='static' model='dac' relabel='no'><label>+0:+0</label></seclabel>
</domain>
EOF

# spec FILE CPUS MEM [GPU-COUNT] [POLICY]
spec() {
	{
		printf 'apiVersion: vmrecon/v1\nkind: VirtualMachine\n'
		printf 'metadata:\n  name: %s\nspec:\n' "$dom"
		printf '  cpuCount: %s\n  memoryInMB: %s\n' "$2" "$3"
		if [ -n "${4:-}" ]; then
			printf '  gpu:\n    name: %s\n' "$A2"
			printf '    passthroughType: DirectDeviceAssignment\n'
			printf '    count: %s\n' "$4"
		fi
		[ -n "${5:-}" ] && printf '  restartPolicy: %s\n' "$5"
	} > "$1"
}

guest() { grep -a 'STATE up=' "$T/serial.log" 2>/dev/null | tail -1 | tr -d '\r'; }
guest_field() { guest | sed -n "s/.* $1=\([0-9]*\).*/\1/p"; }

# wait_guest FIELD OP VALUE DESC: wait (20 s) until the guest's FIELD OP VALUE
wait_guest() {
	local t0 v
	t0=$(date +%s%N)
	while [ $(( $(date +%s%N) - t0 )) -lt 20000000000 ]; do
		v=$(guest_field "$1")
		if [ -n "$v" ] && [ "$v" "$2" "$3" ]; then
			ok "$4 (guest $1=$v after $(( ($(date +%s%N) - t0) / 1000000 )) ms)"
			return 0
		fi
		sleep 0.1
	done
	notok "$4: guest $1=$v, wanted $2 $3"
	return 1
}

# boot_wait T0 DESC: until the guest's first STATE line (60 s at most)
boot_wait() {
	local t0=$1
	while [ $(( $(date +%s%N) - t0 )) -lt 60000000000 ]; do
		[ -n "$(guest_field mem)" ] && {
			ok "$2 ($(( ($(date +%s%N) - t0) / 1000000 )) ms to the guest's first STATE line)"
			return 0
		}
		sleep 0.2
	done
	notok "$2: no STATE line on the serial console in 60 s"
	return 1
}

timings() { grep -a '^libvirt: ' "$T/err" | sed 's/^/# /'; }
inactive() { virsh_ dumpxml --inactive "$dom"; }

run virsh_ define "$T/dom.xml"
expect_rc 0 "define the test domain"
have_dom=1
t0=$(date +%s%N)
run virsh_ start "$dom"
expect_rc 0 "start it (virsh start: $(( ($(date +%s%N) - t0) / 1000000 )) ms)"
boot_wait "$t0" "the guest boots" || exit 1
mem0=$(guest_field mem)

# ---- vCPU and memory live -------------------------------------------------
spec "$T/s1.yaml" 2 1280
run "$VMRECON" diff -f "$T/s1.yaml" "${B[@]}"
expect_rc 2 "diff: a vCPU and 256 MB pending"
expect_in "$T/out" "cpuCount    1 -> 2 (live)" "a vCPU add is live"
expect_in "$T/out" "memoryInMB  1024 -> 1280 (live)" "a memory add is live"
run "$VMRECON" apply -f "$T/s1.yaml" "${B[@]}"
expect_rc 0 "apply: a vCPU and a 256 MB DIMM, live"
timings
wait_guest ncpu = 2 "the guest onlined the new vCPU"
wait_guest mem = $((mem0 + 262144)) "the guest sees 256 MB more"
inactive > "$T/def1.xml"
expect_in "$T/def1.xml" "current='2'>4</vcpu>" "the definition holds 2 vCPUs"
expect_in "$T/def1.xml" "<memory unit='KiB'>1310720</memory>" "the definition holds 1280 MB"
expect_in "$T/def1.xml" "<memory model='dimm'>" "and the DIMM"
run "$VMRECON" apply -f "$T/s1.yaml" "${B[@]}"
expect_rc 0 "second apply"
expect_in "$T/out" "in sync" "second apply says in sync"
expect_not_in "$T/err" "libvirt: " "second apply calls nothing in libvirt"
# vmrecon get: the live VM as a file, and diff of that file is in sync
run "$VMRECON" get "${B[@]}"
expect_rc 0 "get (every VM the backend has)"
expect_in "$T/out" "name: $dom" "get prints the domain"
cp "$T/out" "$T/adopted.yaml"
run "$VMRECON" diff -f "$T/adopted.yaml" "${B[@]}"
expect_rc 0 "round trip: diff of get's output is in sync"
if command -v valgrind >/dev/null && [ "${SANITIZE:-}" != 1 ]; then
	valgrind -q --leak-check=full --show-leak-kinds=definite,indirect \
		--errors-for-leak-kinds=definite,indirect --error-exitcode=99 \
		"$VMRECON" apply -f "$T/s1.yaml" "${B[@]}" >"$T/out" 2>"$T/err"
	RC=$?
	expect_rc 0 "memcheck clean: apply in sync through libvirtd"
fi

# ---- memory down: the DIMM leaves (waited for), then comes back ------------
spec "$T/s0.yaml" 2 1024
run "$VMRECON" apply -f "$T/s0.yaml" "${B[@]}"
expect_rc 0 "apply: 256 MB less"
expect_in "$T/err" "removed a 256 MB DIMM" "by unplugging the DIMM"
timings
wait_guest mem = "$mem0" "the guest gave the 256 MB back"
inactive > "$T/def0.xml"
expect_not_in "$T/def0.xml" "<memory model='dimm'>" "the DIMM left the definition"
expect_in "$T/def0.xml" "<memory unit='KiB'>1048576</memory>" "which holds 1024 MB again"
run "$VMRECON" apply -f "$T/s1.yaml" "${B[@]}"
expect_rc 0 "apply: the 256 MB again"
wait_guest mem = $((mem0 + 262144)) "the guest sees them again"

# ---- beyond <maxMemory>: pending under Never, a restart under IfNeeded ----
id0=$(virsh_ domid "$dom")
spec "$T/big.yaml" 2 2304
run "$VMRECON" diff -f "$T/big.yaml" "${B[@]}"
expect_rc 2 "diff: memory beyond <maxMemory>"
expect_in "$T/out" "memoryInMB  1280 -> 2304 (restart)" "is a restart-mode change"
expect_in "$T/out" "beyond <maxMemory> (2048 MB)" "whose reason names <maxMemory>"
run "$VMRECON" apply -f "$T/big.yaml" "${B[@]}"
expect_rc 3 "apply under restartPolicy Never: left pending"
expect_eq "$(virsh_ domid "$dom")" "$id0" "the domain was not restarted"
spec "$T/big2.yaml" 2 2304 "" IfNeeded
mem1=$(guest_field mem)
mv "$T/serial.log" "$T/serial.0.log"
t0=$(date +%s%N)
run "$VMRECON" apply -f "$T/big2.yaml" "${B[@]}"
expect_rc 0 "apply under IfNeeded: one restart ($(( ($(date +%s%N) - t0) / 1000000 )) ms)"
timings
[ "$(virsh_ domid "$dom")" != "$id0" ] && ok "the domain was restarted" ||
	notok "the domain was restarted (same id $id0)"
boot_wait "$t0" "the guest boots again"
wait_guest ncpu = 2 "the guest boots with the 2 vCPUs of the definition"
# 1 GB more boot RAM (the kernel keeps a little of it); the DIMM is back,
# onlined at boot (memhp_default_state)
wait_guest mem -gt $((mem1 + 950 * 1024)) "the guest has about 1 GB more"
inactive > "$T/def2.xml"
expect_in "$T/def2.xml" "<memory unit='KiB'>2359296</memory>" "the definition holds 2304 MB"
expect_in "$T/def2.xml" "current='2'>4</vcpu>" "and still 2 vCPUs"
run "$VMRECON" apply -f "$T/big2.yaml" "${B[@]}"
expect_rc 0 "apply again after the restart"
expect_in "$T/out" "in sync" "is a no-op"
expect_not_in "$T/err" "libvirt: " "and calls nothing in libvirt"

# ---- a GPU libvirt will not start: its words, the old definition back ------
id1=$(virsh_ domid "$dom")
spec "$T/gpu.yaml" 2 2560 1 IfNeeded
run "$VMRECON" diff -f "$T/gpu.yaml" "${B[@]}"
expect_rc 2 "diff: 256 MB more and an A2"
expect_in "$T/out" "(restart)" "the GPU needs a restart"
run "$VMRECON" apply -f "$T/gpu.yaml" "${B[@]}"
expect_rc 1 "apply: the <hostdev> is refused"
expect_in "$T/err" "host doesn't support passthrough of host PCI devices" "in libvirt's own words"
expect_in "$T/err" "applied before the failure: memoryInMB" "says the memory was applied before"
expect_in "$T/err" "previous definition was restored" "says the old definition is back"
grep -a '^vmrecon: ' "$T/err" | sed 's/^/# /'
timings
inactive > "$T/def3.xml"
expect_not_in "$T/def3.xml" "<hostdev" "the definition has no <hostdev>"
expect_in "$T/def3.xml" "<memory unit='KiB'>2621440</memory>" "and keeps the live memory change"
[ "$(virsh_ domstate "$dom")" = running ] && ok "the domain runs again" ||
	notok "the domain runs again: $(virsh_ domstate "$dom")"
[ "$(virsh_ domid "$dom")" != "$id1" ] && ok "after one more power cycle" ||
	notok "after one more power cycle"
spec "$T/mem.yaml" 2 2560
run "$VMRECON" diff -f "$T/mem.yaml" "${B[@]}"
expect_rc 0 "without the GPU the domain is in sync"
