#!/usr/bin/env bash
# tests/vm/start.sh - boot the test VM under QEMU (TCG) in the background and
# wait until its init says BOOT-OK on the serial port.
#
#   tests/vm/start.sh DIR [QEMU-ARG...]
#
# DIR receives qmp.sock (the QMP socket vmrecon drives), serial.sock and
# serial.log (the guest's console; its STATE lines say what the guest sees),
# qemu.pid and qemu.log (QEMU's own stderr).  Extra arguments are appended to
# QEMU's command line.  VM_NAME (edge-01), VM_SMP (1,maxcpus=4) and VM_MEM
# (1G,slots=4,maxmem=4G) override the defaults.  Stop it with stop.sh DIR.
#
# The machine is the shape vmrecon can change live: spare vCPU slots
# (maxcpus), spare memory slots below maxmem, and four empty pcie-root-ports.
# accel=tcg on purpose: /dev/kvm on the project's hosts is a nested PVM
# that cannot run an unmodified kernel at a usable speed.
#
# The boot's deadline is in QEMU's CPU time, not wall time (cputime.sh):
# BOOT_CPU_S (default 120) CPU seconds without BOOT-OK is a failed boot,
# however loaded the machine is; an idle boot takes a few.  A wall-clock
# cap of BOOT_WALL_S (default 1800) only ends a QEMU that gets no CPU.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
. "$here/cputime.sh"
d=${1:?usage: start.sh DIR [QEMU-ARG...]}
shift
cache=$("$here/build.sh")
mkdir -p "$d"
d=$(cd "$d" && pwd)
rm -f "$d/qmp.sock" "$d/serial.sock" "$d/serial.log" "$d/qemu.pid"
start=$(date +%s.%N)
setsid qemu-system-x86_64 \
	-name "${VM_NAME:-edge-01}" \
	-machine q35,accel=tcg -cpu max \
	-smp "${VM_SMP:-1,maxcpus=4}" -m "${VM_MEM:-1G,slots=4,maxmem=4G}" \
	-nodefaults -no-user-config -display none \
	-chardev "socket,id=ser0,path=$d/serial.sock,server=on,wait=off,logfile=$d/serial.log" \
	-serial chardev:ser0 \
	-qmp "unix:$d/qmp.sock,server=on,wait=off" -pidfile "$d/qemu.pid" \
	-kernel "$cache/vmlinux" -initrd "$cache/initrd.gz" \
	-append "console=ttyS0 quiet panic=-1" \
	-device pcie-root-port,id=rp1,bus=pcie.0,chassis=1,slot=1 \
	-device pcie-root-port,id=rp2,bus=pcie.0,chassis=2,slot=2 \
	-device pcie-root-port,id=rp3,bus=pcie.0,chassis=3,slot=3 \
	-device pcie-root-port,id=rp4,bus=pcie.0,chassis=4,slot=4 \
	"$@" </dev/null >"$d/qemu.log" 2>&1 &
qpid=$!
cpu_limit=$(( ${BOOT_CPU_S:-120} * 1000 ))
wall_limit=$(( ${BOOT_WALL_S:-1800} ))
t0=$(date +%s)
while :; do
	if grep -q BOOT-OK "$d/serial.log" 2>/dev/null; then
		end=$(date +%s.%N)
		awk -v a="$start" -v b="$end" -v c="$(cpu_ms $qpid)" \
		    'BEGIN { printf "booted in %.2f s (QEMU CPU %.2f s)\n", b - a, c / 1000 }'
		exit 0
	fi
	if ! kill -0 $qpid 2>/dev/null; then
		echo "start.sh: qemu exited:" >&2
		cat "$d/qemu.log" >&2
		exit 1
	fi
	c=$(cpu_ms $qpid)
	if [ "${c:-0}" -gt $cpu_limit ] || [ $(( $(date +%s) - t0 )) -gt $wall_limit ]; then
		echo "start.sh: no BOOT-OK after $((${c:-0} / 1000)) s of QEMU CPU time ($(( $(date +%s) - t0 )) s wall)" >&2
		kill $qpid 2>/dev/null || true
		exit 1
	fi
	sleep 0.1
done
