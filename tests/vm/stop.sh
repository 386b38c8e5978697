#!/usr/bin/env bash
# tests/vm/stop.sh - stop the test VM started by start.sh DIR (by the pid in
# DIR/qemu.pid, never by name) and wait until it is gone.
#
#   tests/vm/stop.sh DIR
set -u
d=${1:?usage: stop.sh DIR}
[ -s "$d/qemu.pid" ] || exit 0
pid=$(cat "$d/qemu.pid")
case $pid in *[!0-9]*|'') exit 0 ;; esac
kill "$pid" 2>/dev/null || exit 0
for _ in $(seq 1 50); do
	kill -0 "$pid" 2>/dev/null || exit 0
	sleep 0.1
done
kill -9 "$pid" 2>/dev/null
exit 0
