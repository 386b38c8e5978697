#!/usr/bin/env bash
# tests/vm/build.sh - build, once, the guest the qemu tests boot: an
# uncompressed Debian kernel (vmlinux, booted directly through its PVH entry
# so there is no BIOS loader and no decompressor) and a busybox initramfs
# whose init onlines hot-added CPUs and memory and prints a STATE line on the
# serial port whenever what the guest sees changes.
#
#   tests/vm/build.sh [CACHE_DIR]     default: $VR_TOP/build/vm
#
# The kernel package is downloaded (apt-get download) and unpacked with
# dpkg-deb -x: nothing is installed.  Prints the cache dir on success.
set -eu
top=${VR_TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
cache=${1:-$top/build/vm}
# the cache is rebuilt when this script (and so the guest's init) changes
stamp=$(sha256sum < "$0" | cut -c1-16)
# suites run side by side (tests/run -j): one builds, the others wait for it
mkdir -p "$cache"
exec 9>"$cache/.lock"
flock 9
if [ -s "$cache/vmlinux" ] && [ -s "$cache/initrd.gz" ] &&
    [ "$(cat "$cache/stamp" 2>/dev/null)" = "$stamp" ]; then
	echo "$cache"
	exit 0
fi
for tool in apt-get dpkg-deb cpio gzip; do
	command -v $tool >/dev/null || { echo "build.sh: $tool missing" >&2; exit 1; }
done
[ -x /bin/busybox ] || { echo "build.sh: busybox-static missing" >&2; exit 1; }
work=$(mktemp -d "$cache/work.XXXXXX")
trap 'rm -rf "$work"' EXIT

# The cloud kernel is the smallest Debian amd64 kernel (27 MB .deb) and has
# ACPI CPU, memory and PCI hot-plug built in; the guest needs no module.
meta=linux-image-cloud-amd64
pkg=$(apt-cache depends "$meta" | awk '/Depends: linux-image-/ {print $2; exit}')
[ -n "$pkg" ] || { echo "build.sh: cannot resolve $meta" >&2; exit 1; }
(cd "$work" && apt-get download -q "$pkg" >/dev/null 2>&1) ||
	{ echo "build.sh: apt-get download $pkg failed" >&2; exit 1; }
dpkg-deb -x "$work"/"$pkg"_*.deb "$work/k"
vmlinuz=$(ls "$work"/k/boot/vmlinuz-* | head -1)

# bzImage = setup code + decompressor + a compressed vmlinux.  Find the
# payload's magic and decompress from there (Debian's cloud kernel uses lz4,
# its generic kernel xz).
for fmt in 'xz:\xfd7zXZ\x00' 'lz4:\x02\x21\x4c\x18' 'zstd:\x28\xb5\x2f\xfd' \
    'gzip:\x1f\x8b\x08\x00'; do
	tool=${fmt%%:*}
	command -v $tool >/dev/null || continue
	for off in $(LC_ALL=C grep -obUaP "${fmt#*:}" "$vmlinuz" | cut -d: -f1 | head -3); do
		tail -c +$((off + 1)) "$vmlinuz" | $tool -dc > "$work/vmlinux" 2>/dev/null || true
		if [ "$(head -c 4 "$work/vmlinux" | od -An -c | tr -d ' ')" = '177ELF' ]; then
			break 2
		fi
	done
	rm -f "$work/vmlinux"
done
[ -s "$work/vmlinux" ] || { echo "build.sh: cannot extract vmlinux from $vmlinuz" >&2; exit 1; }

r=$work/initrd
mkdir -p "$r/bin" "$r/proc" "$r/sys" "$r/dev"
cp /bin/busybox "$r/bin/busybox"
cat > "$r/init" <<'INIT'
#!/bin/busybox sh
/bin/busybox --install -s /bin
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev
# hot-added memory blocks come online by themselves, in ZONE_MOVABLE so
# they can be unplugged again
echo online_movable > /sys/devices/system/memory/auto_online_blocks
(
	last=
	while :; do
		for c in /sys/devices/system/cpu/cpu[0-9]*; do
			[ -f $c/online ] && [ "$(cat $c/online)" = 0 ] &&
				echo 1 > $c/online
		done
		cpus=$(cat /sys/devices/system/cpu/online)
		mem=$(awk '/^MemTotal/ {print $2}' /proc/meminfo)
		pci=$(ls /sys/bus/pci/devices | wc -l)
		st="cpus=$cpus ncpu=$(grep -c ^processor /proc/cpuinfo) mem=${mem}kB pci=$pci"
		if [ "$st" != "$last" ]; then
			echo "STATE up=$(cut -d' ' -f1 /proc/uptime) $st" > /dev/ttyS0
			last=$st
		fi
		sleep 0.2
	done
) &
echo "BOOT-OK uptime=$(cut -d' ' -f1 /proc/uptime)" > /dev/ttyS0
exec setsid cttyhack sh
INIT
chmod 755 "$r/init"
(cd "$r" && find . | cpio -o -H newc --quiet | gzip -1 > "$work/initrd.gz")
mv "$work/initrd.gz" "$cache/initrd.gz"
mv "$work/vmlinux" "$cache/vmlinux"
echo "$pkg" > "$cache/kernel-package"
echo "$stamp" > "$cache/stamp"
echo "$cache"
