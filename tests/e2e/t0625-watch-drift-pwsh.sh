# t0625-watch-drift-pwsh.sh - every drift check of `vmrecon watch` on the
# eflow backend asks the host again, with vmrecon's PowerShell run by a
# real pwsh against the mock AzureEFLOW module (tests/eflow-pwsh/): the
# VM's CPU count changed on the "host" behind the daemon's back is
# corrected, and reported (not corrected) with --no-self-heal.  Skipped
# where no pwsh runs.  (sim and the emulator: t0620.)
#@ full-only: watch daemons with a real pwsh worker
#@ no-san: mostly times pwsh starting and the daemon's intervals; the same drift passes on build/san in t0620
. "$(dirname "$0")/../lib.sh"
# pwsh leaves its CoreFxPipe_PSHost.* sockets in TMPDIR when it is killed
export TMPDIR=$T
. "$VR_TOP/tests/eflow-pwsh/testlib.sh"
. "$VR_TOP/tests/watchdrift.sh"

# Get-EflowVm calls the mock saw (a persistent worker starts the launcher
# once; each observation is a request to it)
calls() { grep -c '"cmd":"Get-EflowVm"' "$EFLOW_PWSH_TRACE"; }
nsets() { grep -c '"cmd":"Set-EflowVM"' "$EFLOW_PWSH_TRACE"; }
mock_cpu() { mock_get "d['vm']['cpuCount']"; }
is_cpu() { [ "$(mock_cpu)" = "$1" ]; }

# every wait: 10 s plus 20 times a whole `vmrecon diff` through pwsh (one
# launcher call) as this machine runs it now
mock_reset
spec "$T/vm.yaml" "cpuCount: 4" "memoryInMB: 8192" "restartPolicy: IfNeeded"
t0=$(date +%s%N)
run "$VMRECON" diff -f "$T/vm.yaml" --backend "$BK" --state-dir "$T/probe"
DIFF_MS=$((($(date +%s%N) - t0) / 1000000))
expect_rc 0 "diff through pwsh: in sync"
WD_MS=$((10000 + 20 * DIFF_MS))
echo "# diff through pwsh: $DIFF_MS ms; waits up to $WD_MS ms"

wd_repo "$T/vm.yaml" || notok "the repository"
S=$T/state
wd_start "$S" "$T/w.log" --backend "$BK"
expect_eq "$(wd_status "d['source']['conditions'][0]['reason']")" Succeeded \
	"the daemon handled the file (in sync)"
mock_edit "d['vm']['cpuCount'] = 2" # and fresh launcher logs
wd_until is_cpu 4 && ok "a CPU count changed on the host behind the daemon's back is corrected" ||
	notok "not corrected: $(vmtuple)"
expect_eq "$(mock_get "d['vm']['memoryInMB']")" 8192 "with its memory kept"
wd_until wd_log '"drift corrected" vm=EDGE01-EFLOW' && ok "logged as drift corrected" ||
	notok "no 'drift corrected' line"
n=$(calls)
wd_until eval '[ "$(calls)" -ge $((n + 2)) ]' &&
	ok "each drift check asks the host again ($n Get-EflowVm calls, then 2 more)" ||
	notok "$(calls) Get-EflowVm calls, no new ones after $n"
expect_eq "$(wc -l <"$EFLOW_PWSH_LOG" | tr -d ' ')" 0 \
	"through the daemon's one PowerShell worker: no launcher start since"
wd_stop
expect_eq "$WD_RC" 0 "the daemon stops with exit 0"

wd_start "$S" "$T/noheal.log" --backend "$BK" --no-self-heal
mock_edit "d['vm']['cpuCount'] = 2"
wd_until wd_log '"drift detected" vm=EDGE01-EFLOW' &&
	ok "--no-self-heal: the drift is reported" || notok "--no-self-heal: no 'drift detected' line"
expect_eq "$(mock_cpu)" 2 "--no-self-heal: and left alone"
expect_eq "$(nsets)" 0 "--no-self-heal: no Set-EflowVM"
wd_stop
