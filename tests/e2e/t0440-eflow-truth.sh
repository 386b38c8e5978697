# t0440-eflow-truth.sh - what apply says about an EFLOW VM is true when
# things go wrong (issue 25), on the EFLOW emulator:
#   - a Set-EflowVM that resets what it was not given (the emulator's
#     setDrops fault: what a partial call from a faulty build does) fails
#     the verify, naming each managed field that moved;
#   - a launcher killed (timeout) or an output cut after Set-EflowVM was
#     sent, or a VM left off: the change is reported unknown, never "not
#     applied", in the message, status.json and -o json; the next pass
#     observes;
#   - Ctrl-C (SIGINT) or SIGTERM while Set-EflowVM hangs: one line on
#     stderr naming what is stopped, the launcher killed, the VM recorded
#     `interrupted` (in flight, unknown), the GPU record left in flight,
#     the process ended by the signal (130, 143); while observing, the VM
#     is recorded not started; a second interrupt exits at once.
. "$(dirname "$0")/../lib.sh"
. "$VR_TOP/tests/eflow-emu/emu.sh"
S=$T/s
st() { json_get "$S/status.json" "d['vms']['EDGE01-EFLOW']$1"; }

spec "$T/gpu.yaml" "cpuCount: 4" "memoryInMB: 8192" "gpu:" \
	"  name: NVIDIA A2" "  passthroughType: DirectDeviceAssignment" \
	"restartPolicy: IfNeeded"
spec "$T/cpu2.yaml" "cpuCount: 2" "restartPolicy: IfNeeded"

# one launcher call's time here, now: the deadlines below are multiples
emu_reset
t0=$(date +%s%N)
run "$VMRECON" diff -f "$T/cpu2.yaml" --backend "$BK" --state-dir "$S"
unit_ms=$(( ($(date +%s%N) - t0) / 1000000 ))
expect_rc 2 "diff (one launcher call: ${unit_ms} ms)"
tmo=$(( unit_ms * 10 > 2000 ? unit_ms * 10 : 2000 ))
wait_ms=$(( unit_ms * 50 > 30000 ? unit_ms * 50 : 30000 ))

# --- the verify compares every managed field --------------------------------
emu_reset "d['faults'] = {'setDrops': ['cpucount', 'memoryinmb']}"
run "$VMRECON" apply -f "$T/gpu.yaml" --backend "$BK" --state-dir "$S"
expect_rc 1 "a Set-EflowVM that drops CPU and memory to defaults: apply fails"
expect_eq "$(vmtuple)" "1,1024,NVIDIA A2" "(the emulator did reset them)"
expect_in "$T/err" "did not converge: cpuCount 4 -> 1, memoryInMB 8192 -> 1024 moved" \
	"the verify names each field that moved"
expect_not_in "$T/out" "converged in" "nothing says converged"
expect_eq "$(st "['result']")" failed "status.json: failed"
emu_reset "d['faults'] = {'setDrops': ['cpucount', 'memoryinmb']}"
run "$VMRECON" apply -f "$T/gpu.yaml" --backend "$BK" --state-dir "$T/s2" -o json
expect_rc 1 "the same with -o json"
expect_eq "$(json_get "$T/out" "d['vms'][0]['result']")" failed "-o json: failed"

# --- partial failures: what was sent is unknown -----------------------------
# unknown_case DESC FAULTS [OPTIONS]: Set-EflowVM was sent, its outcome lost
unknown_case() {
	local desc=$1
	emu_reset "d['faults'] = $2"
	run "$VMRECON" apply -f "$T/cpu2.yaml" --backend "$BK" --state-dir "$T/sj" -o json ${3:-}
	expect_eq "$(json_get "$T/out" "d['vms'][0]['changes'][0]['applied']")" None \
		"$desc: -o json has applied: null"
	rm -rf "$T/sj" "$S"
	emu_reset "d['faults'] = $2"
	run "$VMRECON" apply -f "$T/cpu2.yaml" --backend "$BK" --state-dir "$S" ${3:-}
	expect_rc 1 "$desc: apply fails"
	expect_in "$T/err" "outcome unknown (sent, not seen through; the next pass observes): cpuCount" \
		"$desc: the change is unknown"
	expect_not_in "$T/err" "not applied: cpuCount" "$desc: never 'not applied'"
	expect_in "$S/status.json" "outcome unknown" "$desc: status.json says unknown"
}
unknown_case "output cut after Set-EflowVM" "{'match': 'set', 'cut': 10}"
expect_eq "$(vm "['cpuCount']")" 2 "(the host did apply it)"
run "$VMRECON" diff -f "$T/cpu2.yaml" --backend "$BK" --state-dir "$S"
expect_rc 0 "the next pass observes: in sync"
unknown_case "Set-EflowVM leaves the VM off" "{'setLeavesOff': 'could not start the VM'}"
unknown_case "Set-EflowVM hangs past --backend-timeout" "{'hang': True, 'match': 'set'}" \
	"--backend-timeout ${tmo}ms"

# --- interrupts ---------------------------------------------------------------
# start_hung [OPTIONS]: apply the GPU spec in the background ($pid) and
# wait until its Set-EflowVM (or the script $MATCH names) hangs in the
# emulator ($T/hang.pid)
start_hung() {
	local t0
	emu_reset "d['faults'] = {'hang': True, 'match': '${MATCH:-set}'}"
	rm -rf "$S" "$T/hang.pid"
	# (env: a script's background job starts with SIGINT ignored, and
	# vmrecon leaves an ignored signal ignored, as a shell expects)
	EFLOW_EMU_PIDFILE=$T/hang.pid env --default-signal=INT,TERM \
		"$VMRECON" apply -f "$T/gpu.yaml" \
		--backend "$BK" --state-dir "$S" "$@" >"$T/out" 2>"$T/err" &
	pid=$!
	t0=$(date +%s%N)
	until [ -s "$T/hang.pid" ]; do
		if [ $(( ($(date +%s%N) - t0) / 1000000 )) -gt "$wait_ms" ] ||
		    ! kill -0 "$pid" 2>/dev/null; then
			notok "Set-EflowVM never started hanging"
			return 1
		fi
		sleep 0.05
	done
}
# interrupted SIG CODE: one signal while Set-EflowVM hangs
interrupted() {
	start_hung || return
	kill -"$1" "$pid"
	wait "$pid"
	RC=$?
	expect_rc "$2" "SIG$1 while Set-EflowVM hangs: ended by the signal"
	expect_eq "$(grep -c 'interrupt received' "$T/err")" 1 "SIG$1: one line says so"
	expect_in "$T/err" "interrupt received: stopping EDGE01-EFLOW's apply on $BK (gpu;" \
		"SIG$1: the line names what is stopped"
	if kill -0 "$(cat "$T/hang.pid")" 2>/dev/null; then
		notok "SIG$1: the launcher still runs"
	else
		ok "SIG$1: the launcher was killed"
	fi
	expect_eq "$(st "['result']")" interrupted "SIG$1: status.json records the VM interrupted"
	expect_eq "$(st "['conditions'][0]['reason']")" Interrupted \
		"SIG$1: its Ready condition says Interrupted"
	expect_in "$S/status.json" "interrupted while its apply was in flight" "SIG$1: in flight"
	expect_in "$S/status.json" "outcome unknown (sent, not seen through; the next pass observes): gpu" \
		"SIG$1: the GPU change unknown"
	expect_eq "$(json_get "$S/last-applied.json" "d['vms']['EDGE01-EFLOW'].get('gpuInFlight')")" \
		True "SIG$1: the GPU record stays in flight"
	run "$VMRECON" status --state-dir "$S"
	expect_rc 2 "SIG$1: status: not Ready"
	expect_in "$T/out" "interrupted" "SIG$1: status says interrupted"
}
interrupted INT 130
interrupted TERM 143

# while the VM is observed, before anything is sent: not started
MATCH=observe start_hung && {
	kill -INT "$pid"
	wait "$pid"
	RC=$?
	expect_rc 130 "SIGINT while observing: ended by the signal"
	expect_in "$T/err" "interrupt received: stopping the observation of the VMs (nothing was sent to them)" \
		"SIGINT while observing: the line says nothing was sent"
	expect_eq "$(st "['result']")" interrupted "SIGINT while observing: recorded interrupted"
	expect_in "$S/status.json" "interrupted while observing the VMs: not started, nothing sent" \
		"SIGINT while observing: not started"
	expect_eq "$(nsets)" 0 "SIGINT while observing: no Set-EflowVM was sent"
}

# a second interrupt while the first one's work still runs: the exit wait
# for a webhook that never answers (at most 2 s, reconciler/report/README.md, "Notifications")
/usr/bin/python3 -c 'import socket,sys,time
s = socket.socket(); s.bind(("127.0.0.1", 0)); s.listen(8)
print(s.getsockname()[1]); sys.stdout.flush()
c = []
while True: c.append(s.accept()[0])' >"$T/port" &
PIDS="$PIDS $!"
until [ -s "$T/port" ]; do sleep 0.05; done
landed=0
for try in 1 2 3; do
	start_hung --notify "https://127.0.0.1:$(cat "$T/port")/hook" || break
	kill -INT "$pid"
	until grep -q 'interrupt received' "$T/err" || ! kill -0 "$pid" 2>/dev/null; do
		sleep 0.02
	done
	if kill -INT "$pid" 2>/dev/null; then
		landed=1
		wait "$pid"
		RC=$?
		break
	fi
	wait "$pid"
	echo "# try $try: vmrecon ended before the second interrupt was sent"
done
if [ "$landed" = 1 ]; then
	expect_rc 130 "a second SIGINT: ended by it at once"
	expect_in "$T/err" "second interrupt: exiting now" "the second one says so"
	# it recorded what it had made durable before, if anything: the
	# state dir is whole and the next apply converges
	emu_reset
	run "$VMRECON" apply -f "$T/gpu.yaml" --backend "$BK" --state-dir "$S"
	expect_rc 0 "after a second interrupt the next apply converges"
	expect_eq "$(vmtuple)" "4,8192,NVIDIA A2" "(and the VM is as the file says)"
else
	notok "a second SIGINT could not be sent while vmrecon ran (3 tries)"
fi
