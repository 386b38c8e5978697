# t0465-eflow-pwsh-worker.sh - the persistent PowerShell worker
# (backends/psworker.h) in a real pwsh with the mock AzureEFLOW module:
# what becomes of it when vmrecon is killed (-9) in the middle of a call
# (pwsh, its `dotnet` child and everything under them are gone within a
# second, by EOF on stdin) and while it is idle; a call past its deadline;
# a crash in the middle of Set-EflowVM (the GPU record stays in flight); an
# answer that is garbage; a worker killed from outside; the `ssh host
# powershell` stand-in that re-parses with sh -c; a GPU name full of
# quotes, $(), typographic quotes and newlines.  Skipped where no pwsh
# runs.
#@ full-only: starts a real pwsh per case (~1.5 CPU s each)
#@ no-san: mostly times pwsh starting and dying; every line of vmrecon it runs (the worker's deadlines, kills and frames), unit and t0400-t0440 run on build/san (tests/sancov)
. "$(dirname "$0")/../lib.sh"
# pwsh leaves its CoreFxPipe_PSHost.* sockets in TMPDIR when it is killed
# (these tests kill it on purpose): keep them in this test's dir
export TMPDIR=$T
. "$VR_TOP/tests/eflow-pwsh/testlib.sh"
S=$T/s
PSRUN=$VR_TOP/${VR_BUILD:-build/rel}/tools/psrun
ms() { date +%s%3N; }
vmr() { run "$VMRECON" "$1" -f "$2" --backend "$BK" --state-dir "$S"; }
# wait_for CMD...: until CMD succeeds, at most 120 s (a pwsh start on this
# shared machine has taken 6 s; this only bounds a broken run)
wait_for() {
	local end=$(($(date +%s) + 120))
	until "$@"; do
		[ "$(date +%s)" -ge $end ] && return 1
		sleep 0.05
	done
}
# gone_within PIDS: wait until none of PIDS runs; prints the ms it took
# (or "never" after 30 s, then kills what is left)
gone_within() {
	local t0 end left
	t0=$(ms)
	end=$((t0 + 30000))
	while left=$(alive $1) && [ -n "$left" ] && [ "$(ms)" -lt $end ]; do
		sleep 0.02
	done
	if [ -n "$left" ]; then
		echo never
		kill -9 $left 2>/dev/null
	else
		echo $(($(ms) - t0))
	fi
}
traced() { grep -q "\"cmd\":\"$1\"" "$EFLOW_PWSH_TRACE"; }
none_alive() { [ -z "$(alive "$@")" ]; }
spec "$T/cpu6.yaml" "cpuCount: 6" "restartPolicy: IfNeeded"
spec "$T/a2.yaml" "cpuCount: 4" "memoryInMB: 8192" "gpu:" "  name: NVIDIA A2" \
	"  passthroughType: DirectDeviceAssignment" "restartPolicy: IfNeeded"

# --- a worker killed from outside, then vmrecon killed while it is idle ------
# psrun (tests/tools) holds one runner as vmrecon does; "observe" is one
# call, "pid" the worker's launcher (pwsh, the .NET tool's launcher, whose
# child `dotnet` runs PowerShell)
mock_reset
coproc PS { exec "$PSRUN" "$PWL" steps 2>"$T/psrun.err"; }
ps_pid=$PS_PID
step() {
	echo "$1" >&"${PS[1]}"
	read -r -t 120 line <&"${PS[0]}" || line='{}'
	echo "$line"
}
r=$(step observe)
expect_eq "$(echo "$r" | json_get /dev/stdin "(d['rc'], d['cpuCount'], d['starts'])")" \
	"(0, 4, 1)" "psrun: the first call starts a worker"
t0=$(ms)
r2=$(step observe)
call_ms=$(($(ms) - t0))
echo "# one observe through the running worker: $call_ms ms"
w1=$(echo "$r" | json_get /dev/stdin "d['pid']")
old=$(tree "$w1")
echo "# worker 1: $(ps -o pid=,comm= -p "$(echo $old | tr ' ' ,)" | tr -s ' \n' ' ')"
[ "$(echo "$old" | wc -w)" -ge 2 ] && ok "the worker is pwsh and its dotnet child" ||
	notok "the worker has no child process: $old"
kill -9 "$w1"
# (its dotnet child would still answer until vmrecon sees the launcher gone)
wait_for none_alive "$w1" || notok "the launcher outlived kill -9"
r=$(step observe)
expect_eq "$(echo "$r" | json_get /dev/stdin "(d['rc'], d['cpuCount'], d['starts'])")" \
	"(0, 4, 2)" "a worker killed from outside between calls: the next call starts a fresh one"
expect_eq "$(alive $old)" "" "and nothing of the killed worker is left (its process group was killed)"
w2=$(echo "$r" | json_get /dev/stdin "d['pid']")
new=$(tree "$w2")
kill -9 "$ps_pid"
took=$(gone_within "$new")
echo "# vmrecon killed, idle worker gone in $took ms"
[ "$took" != never ] && ok "vmrecon killed (-9) while the worker is idle: pwsh and dotnet end (EOF on stdin)" ||
	notok "vmrecon killed (-9) while the worker is idle: the worker outlived it"
wait "$ps_pid" 2>/dev/null

# --- vmrecon killed in the middle of a call --------------------------------------
# Get-EflowVm hangs; vmrecon is killed with -9.  PR_SET_PDEATHSIG ends only
# the launcher; its dotnet child ends by reading EOF on stdin even in the
# middle of the call (the loop's stdin reader).  Within a second, or five
# times an observe measured above, whichever is longer (a loaded machine
# is slower to schedule an exit, not slower to notice it).
limit=$((5 * call_ms))
[ "$limit" -ge 1000 ] || limit=1000
mock_reset 'd["faults"]["hangIn"] = "Get-EflowVm"'
"$VMRECON" diff -f "$T/cpu6.yaml" --backend "$BK" --state-dir "$S" >/dev/null 2>&1 &
vpid=$!
wait_for traced Get-EflowVm && ok "the call hangs in Get-EflowVm" || notok "Get-EflowVm was never called"
pids=$(tree "$(head -1 "$EFLOW_PWSH_PIDS")")
echo "# the worker: $(ps -o pid=,comm= -p "$(echo $pids | tr ' ' ,)" | tr -s ' \n' ' ')"
ps -o comm= -p "$(echo $pids | tr ' ' ,)" | grep -qx dotnet &&
	ok "the worker's dotnet process runs" || notok "no dotnet process under the launcher"
kill -9 "$vpid"
took=$(gone_within "$pids")
wait "$vpid" 2>/dev/null
echo "# vmrecon killed mid-call, worker and descendants gone in $took ms (limit $limit ms)"
if [ "$took" = never ]; then notok "kill -9 of vmrecon mid-call: the worker's processes outlived it"
elif [ "$took" -le "$limit" ]; then ok "kill -9 of vmrecon mid-call: every worker process gone within $limit ms ($took)"
else notok "kill -9 of vmrecon mid-call: gone only after $took ms (limit $limit)"; fi

# --- a call past its deadline ---------------------------------------------------
# the deadline covers the worker's start: 5 times a whole diff measured now,
# at least 20 s
mock_reset
t0=$(ms)
vmr diff "$T/cpu6.yaml"
diff_ms=$(($(ms) - t0))
expect_rc 2 "a diff through the worker"
expect_eq "$(starts),$(observes)" 1,1 "a diff: 1 launcher start, 1 observe"
to=$((5 * diff_ms))
[ "$to" -ge 20000 ] || to=20000
mock_edit 'd["faults"]["hangIn"] = "Get-EflowVm"'
VMRECON_EFLOW_TIMEOUT_MS=$to vmr diff "$T/cpu6.yaml"
expect_rc 1 "a call that hangs past its deadline fails"
expect_in "$T/err" "did not finish within $to ms (killed)" "and says so"
expect_eq "$(alive $(cat "$EFLOW_PWSH_PIDS"))" "" "the worker was killed with its process group"

# --- a crash in the middle of Set-EflowVM ------------------------------------------
rm -rf "$S"
mock_reset 'd["faults"]["exitIn"] = {"Set-EflowVM": 7}'
vmr apply "$T/a2.yaml"
expect_rc 1 "a worker that dies in the middle of Set-EflowVM fails the apply"
expect_in "$T/err" "the PowerShell worker exited with status 7 before it answered, so whether it ran is unknown" \
	"and says the outcome is unknown"
expect_eq "$(json_get "$S/last-applied.json" "d['vms']['EDGE01-EFLOW'].get('gpuInFlight', False)")" True \
	"the GPU record stays in flight"

# --- an answer that is garbage -----------------------------------------------------
mock_reset 'd["faults"]["printIn"] = {"Get-EflowVm": "#vmrecon-result-4f1d9c# ok 99 e30="}'
vmr diff "$T/cpu6.yaml"
expect_rc 1 "a forged answer (another request's id) fails the diff"
expect_in "$T/err" "answered garbage ('#vmrecon-result-4f1d9c# ok 99 e30=' is no answer to request 1)" \
	"and says the worker answered garbage"
mock_reset 'd["faults"]["noise"] = {"Get-EflowVm": ["#vmrecon-result-4f1d9c#", "#vmrecon-result", "Could not resolve virtual machine IP address at line 3881"]}'
vmr diff "$T/cpu6.yaml"
expect_rc 2 "noise that looks like the sentinel but is no frame is only noise"

# --- the ssh stand-in that re-parses with sh -c, and a hostile GPU name -------------
mkdir -p "$T/bin"
ln -s "$VR_TOP/tests/eflow-emu/ssh" "$T/bin/ssh"
printf '#!/bin/sh\nexec "%s" "$@"\n' "$PWL" >"$T/bin/powershell"
chmod +x "$T/bin/powershell"
export EFLOW_SSH_LOG=$T/ssh.log
NAME="Intel(R) Graphics O'Brien’s ‘x’ \$(Stop-Computer) \`y\` \"q\" | ; & %1"
mock_reset "d['host']['videoControllers'].append(r'''$NAME''')"
# (a YAML single-quoted string: only its quote is doubled)
spec "$T/hostile.yaml" "cpuCount: 2" "gpu:" "  name: '${NAME//\'/\'\'}'" \
	"  passthroughType: ParaVirtualization" "restartPolicy: IfNeeded"
rm -rf "$S"
PATH=$T/bin:$PATH run "$VMRECON" apply -f "$T/hostile.yaml" \
	--backend "eflow:ssh admin@edge01 powershell" --state-dir "$S"
expect_rc 0 "apply through the ssh stand-in (sh -c re-parses the command line)"
expect_eq "$(vmtuple)" "2,8192,$NAME" "the hostile GPU name arrived literally"
expect_eq "$(wc -l <"$EFLOW_SSH_LOG" | tr -d ' '),$(starts),$(observes),$(sets)" "1,1,2,1" \
	"1 ssh call, 1 launcher start, 3 requests"

# --- a GPU name with newlines (the loader refuses them; psrun does not) ------------
NL=$(printf 'NVIDIA ‘Quadro’ "q" $(x) `n\nline 2\r\nline 3')
mock_reset "import sys; d['host']['videoControllers'].append($(printf '%s' "$NL" | /usr/bin/python3 -c 'import json,sys; print(json.dumps(sys.stdin.read()))'))"
run "$PSRUN" "$PWL" gpu "$NL" ParaVirtualization
expect_rc 0 "a GPU name with newlines, quotes and \$() through the worker"
got=$(json_get "$EFLOW_PWSH_STATE" "d['vm']['gpu']['name'] == $(printf '%s' "$NL" | /usr/bin/python3 -c 'import json,sys; print(json.dumps(sys.stdin.read()))')")
expect_eq "$got" True "Set-EflowVM got the name byte for byte"
