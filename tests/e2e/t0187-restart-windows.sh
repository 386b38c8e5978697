#!/usr/bin/env bash
# t0187-restart-windows.sh - spec.restartWindows on the sim backend, with
# the clock moved from outside vmrecon by libfaketime (Debian's faketime):
# apply leaves restart changes pending outside a window (exit 3, "pending
# until" in the window's zone and in UTC) and applies them inside one;
# windows crossing midnight, several windows, days, Europe/Berlin's
# spring-forward and fall-back, --restart-now, a restart refused because
# the last measured one would overrun the window, and watch applying by
# itself when a window opens.  TZ=UTC so faketime's dates read as UTC.
. "$(dirname "$0")/../lib.sh"
command -v faketime >/dev/null || skip_all "no faketime (apt-get install faketime)"
# the library itself, for the daemon: the faketime wrapper would stand
# between the test and vmrecon's pid (and its SIGTERM)
FTLIB=$(ls /usr/lib/*/faketime/libfaketime.so.1 2>/dev/null | head -1)
[ -n "$FTLIB" ] || skip_all "no libfaketime.so.1 (apt-get install libfaketime)"
export TZ=UTC
# libfaketime comes by LD_PRELOAD; ASan wants to be first, and may not be
if [ "${SANITIZE:-}" = 1 ]; then
	export ASAN_OPTIONS="verify_asan_link_order=0${ASAN_OPTIONS:+:$ASAN_OPTIONS}"
fi
S=$T/state
SIM=$S/sim.json
mkdir -m 700 "$S"

# sim VM edge-01 with CPU count $1 and restartSeconds $2
sim() {
	printf '{"host": {"logicalProcessors": 16, "memoryInMB": 65536},
 "vms": {"edge-01": {"cpuCount": %s, "memoryInMB": 2048, "restartSeconds": %s}}}\n' \
		"$1" "${2:-0}" >"$SIM"
}
sim_cpu() { json_get "$SIM" "d['vms']['edge-01']['cpuCount']"; }
# spec CPU WINDOW-YAML...: edge-01 with those restart windows
spec() {
	local cpu=$1
	shift
	{
		printf 'apiVersion: vmrecon/v1\nkind: VirtualMachine\n'
		printf 'metadata:\n  name: edge-01\nspec:\n  cpuCount: %s\n' "$cpu"
		printf '  restartPolicy: IfNeeded\n  restartWindows:\n'
		printf '%s\n' "$@"
	} >"$T/vm.yaml"
}
# at 'YYYY-MM-DD HH:MM:SS' CMD...: run CMD with the wall clock standing
# there (frozen: however slow the machine, it is that second); the
# monotonic clock, which deadlines use, stays real
at() {
	local when=$1
	shift
	run env FAKETIME_DONT_FAKE_MONOTONIC=1 faketime -f "$when" "$@"
}
status_msg() { json_get "$S/status.json" "d['vms']['edge-01']['message']"; }

BERLIN_SAT=('    - days: [Sat]' '      start: "22:00"' '      duration: 5h' \
	'      timeZone: Europe/Berlin')

echo "# outside and inside a window; crossing midnight"
sim 1
spec 4 "${BERLIN_SAT[@]}"
at '2026-12-01 10:00:00' "$VMRECON" diff -f "$T/vm.yaml" --state-dir "$S"
expect_rc 2 "diff outside the window: changes"
expect_in "$T/out" "cpuCount: pending until Sat 2026-12-05 22:00 CET (Europe/Berlin) = 2026-12-05 21:00 UTC" \
	"diff says per change when the next window opens, in its zone and in UTC"
at '2026-12-01 10:00:00' "$VMRECON" diff -f "$T/vm.yaml" --state-dir "$S" -o json \
	--out "$T/plan.json"
expect_eq "$(json_get "$T/out" "d['vms'][0]['changes'][0]['pendingUntil']")" \
	2026-12-05T21:00:00Z "diff -o json: pendingUntil, in UTC"
at '2026-12-01 10:00:00' "$VMRECON" apply --plan "$T/plan.json" --state-dir "$S"
expect_rc 3 "a saved plan keeps the windows: apply --plan waits too"
at '2026-12-01 10:00:00' "$VMRECON" apply -f "$T/vm.yaml" --state-dir "$S"
expect_rc 3 "apply outside the window leaves the restart pending"
expect_in "$T/out" "edge-01: pending until Sat 2026-12-05 22:00 CET (Europe/Berlin) = 2026-12-05 21:00 UTC (outside every restart window)" \
	"apply says until when"
expect_eq "$(sim_cpu)" 1 "nothing was restarted"
expect_eq "$(json_get "$S/status.json" "d['vms']['edge-01']['result']")" pending "status: pending"
case $(status_msg) in "pending until Sat 2026-12-05 22:00 CET"*) ok "status says pending until the window" ;;
*) notok "status message: $(status_msg)" ;; esac
run "$VMRECON" status --state-dir "$S"
expect_in "$T/out" "pending until Sat 2026-12-05 22:00" "vmrecon status shows it"
# a webhook (tests/httpd.py over TLS with a test CA) hears the same; the
# certificates are issued the day before the faked time, as a real
# clock-independent run needs (made now, they are not yet valid then)
if test_ca '2026-11-30 10:00:00'; then
	/usr/bin/python3 "$VR_TOP/tests/httpd.py" --dir "$T" --log "$T/hook.log" \
		--port-file "$T/hook.port" --cert "$T/srv.pem" --key "$T/srv.key" &
	PIDS="$PIDS $!"
	end=$((SECONDS + 60))
	until [ -s "$T/hook.port" ] || [ $SECONDS -ge $end ]; do sleep 0.1; done
	at '2026-12-01 10:00:00' "$VMRECON" apply -f "$T/vm.yaml" --state-dir "$S" \
		--notify "https://localhost:$(cat "$T/hook.port")/hook" --ca-file "$T/ca.pem"
	expect_rc 3 "apply with a webhook: pending"
	hook=$(/usr/bin/python3 -c 'import json,sys
posts = [json.loads(l) for l in open(sys.argv[1]) if "\"POST\"" in l]
ev = json.loads(posts[-1]["body"]) if posts else {}
print(ev.get("pendingUntil"), ev.get("result"), ev.get("message"))' "$T/hook.log")
	case $hook in "2026-12-05T21:00:00Z pending pending until Sat 2026-12-05 22:00 CET (Europe/Berlin) = 2026-12-05 21:00 UTC"*)
		ok "the webhook says pending until the window, and pendingUntil in UTC" ;;
	*) notok "webhook: $hook" ;; esac
else
	skip "openssl could not make a test CA"
fi
at '2026-12-01 10:00:00' "$VMRECON" apply -f "$T/vm.yaml" --state-dir "$S" \
	--metrics-file "$T/m.prom"
expect_in "$T/m.prom" 'vmrecon_restart_pending{vm="edge-01"} 1' "metrics: one change pending"
# 2026-12-05T21:00:00Z
expect_in "$T/m.prom" 'vmrecon_restart_window_next_start_timestamp_seconds{vm="edge-01"} 1796504400' \
	"metrics: when the next window opens"
/usr/bin/python3 "$VR_TOP/tests/promcheck.py" "$T/m.prom" >"$T/pc" 2>&1 &&
	ok "the metrics file is valid text format" || { notok "promcheck"; cat "$T/pc"; }
at '2026-12-05 20:59:59' "$VMRECON" apply -f "$T/vm.yaml" --state-dir "$S"
expect_rc 3 "a second before the window: still pending"
at '2026-12-05 21:00:00' "$VMRECON" apply -f "$T/vm.yaml" --state-dir "$S"
expect_rc 0 "when the window opens: applied"
expect_eq "$(sim_cpu)" 4 "the VM has the new CPU count"
sim 1
at '2026-12-06 01:30:00' "$VMRECON" apply -f "$T/vm.yaml" --state-dir "$S"
expect_rc 0 "Sunday 02:30 CET: still Saturday's window (it crosses midnight)"
sim 1
at '2026-12-06 02:00:00' "$VMRECON" apply -f "$T/vm.yaml" --state-dir "$S"
expect_rc 3 "Sunday 03:00 CET: the window has closed"
expect_in "$T/out" "pending until Sat 2026-12-12 22:00 CET" "the next one is a week on"
at '2026-12-06 21:30:00' "$VMRECON" apply -f "$T/vm.yaml" --state-dir "$S"
expect_rc 3 "Sunday 22:30 CET: Sunday is not one of the window's days"

echo "# several windows; days in the window's zone"
spec 4 "${BERLIN_SAT[@]}" '    - days: [Mon, Tue]' '      start: "12:00"' \
	'      duration: 30m'
sim 1
at '2026-12-01 10:00:00' "$VMRECON" apply -f "$T/vm.yaml" --state-dir "$S"
expect_rc 3 "Tuesday 10:00 UTC: pending"
expect_in "$T/out" "pending until Tue 2026-12-01 12:00 UTC" "the nearest of the windows"
at '2026-12-01 12:10:00' "$VMRECON" apply -f "$T/vm.yaml" --state-dir "$S"
expect_rc 0 "Tuesday 12:10 UTC: inside the second window"
spec 4 '    - days: [Mon]' '      start: "00:30"' '      duration: 1h' \
	'      timeZone: Asia/Tokyo'
sim 1
at '2026-12-06 15:45:00' "$VMRECON" apply -f "$T/vm.yaml" --state-dir "$S"
expect_rc 0 "Sunday 15:45 UTC is Monday 00:45 in Tokyo: inside"

echo "# Europe/Berlin spring forward: Sun 29 March 2026, 02:00 CET -> 03:00 CEST"
spec 4 '    - days: [Sun]' '      start: "02:30"' '      duration: 1h' \
	'      timeZone: Europe/Berlin'
sim 1
at '2026-03-29 00:59:00' "$VMRECON" apply -f "$T/vm.yaml" --state-dir "$S"
expect_rc 3 "01:59 CET: pending"
expect_in "$T/out" "pending until Sun 2026-03-29 03:00 CEST (Europe/Berlin) = 2026-03-29 01:00 UTC" \
	"02:30 does not exist that night: the window opens at 03:00 CEST"
at '2026-03-29 01:00:00' "$VMRECON" apply -f "$T/vm.yaml" --state-dir "$S"
expect_rc 0 "03:00 CEST: applied"
sim 1
at '2026-03-29 02:00:00' "$VMRECON" apply -f "$T/vm.yaml" --state-dir "$S"
expect_rc 3 "04:00 CEST: an hour on, the window has closed"

echo "# Europe/Berlin fall back: Sun 25 October 2026, 03:00 CEST -> 02:00 CET"
spec 4 '    - days: [Sun]' '      start: "02:30"' '      duration: 45m' \
	'      timeZone: Europe/Berlin'
sim 1
at '2026-10-25 00:20:00' "$VMRECON" apply -f "$T/vm.yaml" --state-dir "$S"
expect_rc 3 "02:20 CEST: pending"
expect_in "$T/out" "pending until Sun 2026-10-25 02:30 CEST (Europe/Berlin) = 2026-10-25 00:30 UTC" \
	"02:30 comes twice that night: the window opens at the first"
at '2026-10-25 01:00:00' "$VMRECON" apply -f "$T/vm.yaml" --state-dir "$S"
expect_rc 0 "02:00 CET (after the first 02:30 CEST): inside"
sim 1
at '2026-10-25 01:35:00' "$VMRECON" apply -f "$T/vm.yaml" --state-dir "$S"
expect_rc 3 "the second 02:35 (CET): the window opened once, not again"
expect_in "$T/out" "pending until Sun 2026-11-01 02:30 CET (Europe/Berlin) = 2026-11-01 01:30 UTC" \
	"the next is a week on"

echo "# --restart-now"
spec 4 "${BERLIN_SAT[@]}"
sim 1
at '2026-12-01 10:00:00' "$VMRECON" apply -f "$T/vm.yaml" --state-dir "$S" --restart-now
expect_rc 0 "apply --restart-now outside the window applies"
expect_in "$T/err" "edge-01: --restart-now: restarting although outside every restart window" \
	"and says so"
expect_eq "$(sim_cpu)" 4 "the VM was restarted"
case $(status_msg) in *"--restart-now: restarted outside the restart windows"*)
	ok "status records the override" ;; *) notok "status message: $(status_msg)" ;; esac
sim 1
at '2026-12-01 10:00:00' "$VMRECON" apply -f "$T/vm.yaml" --state-dir "$S"
expect_rc 3 "for that run only: the next apply waits again"

echo "# a restart that would overrun the window"
# a real restart of 20 minutes on a clock running 600 times fast (2 s)
sim 1 1200
spec 4 '    - days: [Sat]' '      start: "21:00"' '      duration: 1h'
run faketime -f '@2026-12-05 21:00:30 x600' "$VMRECON" apply -f "$T/vm.yaml" --state-dir "$S"
expect_rc 0 "a restart inside the window"
m=$(json_get "$S/restart-times.json" "d['vms']['edge-01']['restartSeconds']")
if [ "$m" -ge 1200 ] && [ "$m" -lt 1800 ]; then ok "its time was measured ($m s)"
else notok "measured restart time $m s, wanted 1200 to 1800"; fi
sim 1 0
at '2026-12-05 21:45:00' "$VMRECON" apply -f "$T/vm.yaml" --state-dir "$S"
expect_rc 3 "15 minutes left, a restart takes 20: not started"
expect_in "$T/out" "only 15m of this restart window is left" "says why"
expect_in "$T/out" "pending until Sat 2026-12-12 21:00 UTC" "and when it can be done"
expect_eq "$(sim_cpu)" 1 "nothing was restarted"
at '2026-12-05 21:30:00' "$VMRECON" apply -f "$T/vm.yaml" --state-dir "$S"
expect_rc 0 "30 minutes left: restarted"

echo "# a zone database that lacks the zone"
spec 4 "${BERLIN_SAT[@]}"
mkdir "$T/tzdb"
TZDIR=$T/tzdb run "$VMRECON" validate -f "$T/vm.yaml"
expect_rc 1 "an unknown zone is invalid"
expect_in "$T/err" "unknown time zone 'Europe/Berlin' (not in the zone database $T/tzdb, from \$TZDIR)" \
	"names the database searched"

echo "# watch: the restart waits for the window, then happens by itself"
HOST=$(uname -n)
SRV=$T/srv.git
W=$T/work
git_fixture "$SRV" "$W"
mkdir -p "$W/hosts"
spec 4 '    - days: [Sat]' '      start: "22:00"' '      duration: 1h' \
	'      timeZone: Europe/Berlin'
cp "$T/vm.yaml" "$W/hosts/$HOST.yaml"
git -C "$W" add -A && git -C "$W" commit -qm windows && git -C "$W" push -q "$SRV" HEAD:main
sim 1
rm -f "$S/status.json" "$S/restart-times.json"
# 3 minutes before the window on a clock 20 times fast: 9 s; drift checks
# only every hour, so only the window can wake it
LD_PRELOAD=$FTLIB FAKETIME='@2026-12-05 20:57:00 x20' "$VMRECON" watch --repo "file://$SRV" \
	--path "hosts/$HOST.yaml" --interval 1h --state-dir "$S" 2>"$T/watch.log" &
WPID=$!
PIDS="$PIDS $WPID"
wait_for() { # SECONDS CMD...
	local end=$((SECONDS + $1))
	shift
	until "$@"; do [ $SECONDS -ge $end ] && return 1; sleep 0.1; done
}
result_is() { [ -f "$S/status.json" ] && [ "$(json_get "$S/status.json" "d['vms'].get('edge-01', {}).get('result')")" = "$1" ]; }
if wait_for 60 result_is pending; then ok "watch: the commit's restart is pending"
else notok "watch never recorded pending"; sed 's/^/#   /' "$T/watch.log" | tail -5; fi
expect_in "$T/watch.log" "restart pending until a window opens" "the log says it waits"
expect_in "$T/watch.log" "2026-12-05T21:00:00Z" "and until when"
expect_eq "$(sim_cpu)" 1 "nothing restarted before the window"
if wait_for 120 result_is converged; then ok "watch applied it when the window opened, without a commit"
else notok "watch did not apply at the window"; sed 's/^/#   /' "$T/watch.log" | tail -5; fi
expect_eq "$(sim_cpu)" 4 "the VM has the new CPU count"
when=$(json_get "$S/status.json" "d['vms']['edge-01']['lastHandledAt']")
if [[ "$when" > "2026-12-05T21:00:00Z" || "$when" == "2026-12-05T21:00:00Z" ]] &&
	[[ "$when" < "2026-12-05T22:00:00Z" ]]; then ok "at $when, inside the window"
else notok "applied at $when, not inside the window"; fi
kill -TERM "$WPID"
wait "$WPID"
expect_eq "$?" 0 "watch stops on SIGTERM"

echo "# watch: a restart that would overrun is not started"
printf '{"formatVersion": 1, "vms": {"edge-01": {"restartSeconds": 1800, "at": "2026-12-05T21:00:00Z"}}}\n' \
	>"$S/restart-times.json"
spec 6 '    - days: [Sat]' '      start: "22:00"' '      duration: 1h' \
	'      timeZone: Europe/Berlin'
cp "$T/vm.yaml" "$W/hosts/$HOST.yaml"
git -C "$W" commit -qam six && git -C "$W" push -q "$SRV" HEAD:main
at '2026-12-05 21:40:00' "$VMRECON" watch --once --repo "file://$SRV" \
	--path "hosts/$HOST.yaml" --state-dir "$S"
expect_rc 3 "watch --once 20 minutes before the end, a restart takes 30"
expect_in "$T/err" "only 20m of this restart window is left" "the log says why"
expect_eq "$(sim_cpu)" 4 "not restarted"

echo "# live changes apply at once, outside any window (a real QEMU)"
if ! command -v qemu-system-x86_64 >/dev/null; then
	skip "qemu-system-x86_64 is not installed (make test installs it)"
else
	# paused before its first instruction: QMP hot-plugs memory without
	# a guest; one CPU and no room for more, so cpuCount needs a restart
	SOCK=$T/edge-01.qmp
	qemu_paused "$SOCK" -name edge-01 -smp 1,maxcpus=1 \
		-m 1G,slots=4,maxmem=4G ||
		notok "QEMU did not listen: $(tail -3 "$T/qemu.log")"
	spec 2 "${BERLIN_SAT[@]}"
	printf '  memoryInMB: 2048\n' >>"$T/vm.yaml"
	at '2026-12-01 10:00:00' "$VMRECON" apply -f "$T/vm.yaml" \
		-b "qemu:$SOCK" --state-dir "$T/qs"
	expect_rc 3 "qemu, outside the window: the restart change waits"
	expect_in "$T/out" "pending until Sat 2026-12-05 22:00 CET (Europe/Berlin) = 2026-12-05 21:00 UTC (outside every restart window): 1 change waits for a restart, 1 applied" \
		"the live change was applied, the restart one is pending"
	at '2026-12-01 10:00:00' "$VMRECON" diff -f "$T/vm.yaml" \
		-b "qemu:$SOCK" --state-dir "$T/qs"
	expect_in "$T/out" "cpuCount: pending until Sat 2026-12-05 22:00 CET" \
		"diff: only cpuCount waits"
	expect_not_in "$T/out" "memoryInMB" "memory is in place"
fi
