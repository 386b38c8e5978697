# tests/eflow-pwsh/testlib.sh - shared by the e2e scripts that run
# PowerShell in a real pwsh with the mock AzureEFLOW module (t045x-t047x).
# Source it after tests/lib.sh.  It skips the whole script (a "skip - "
# line, exit 0) where no pwsh runs, and gives:
#   $PWL        the launcher, tests/eflow-pwsh/powershell; $BK eflow:$PWL
#   mock_reset [PYTHON]   a fresh mock state in $EFLOW_PWSH_STATE (a running
#               VM, 4 CPUs, 8192 MB, no GPU, on an 8-processor host with an
#               NVIDIA A2 and an Intel iGPU); PYTHON may then change `d`;
#               also empties $EFLOW_PWSH_LOG (one line per launcher start),
#               $EFLOW_PWSH_PIDS (their process ids) and $EFLOW_PWSH_TRACE
#   mock_edit PYTHON      change the state `d` in place
#   mock_get EXPR         print EXPR of the state `d`
#   vmtuple, spec         from tests/eflow-emu/emu.sh
#   ps_enc SCRIPT         SCRIPT as -EncodedCommand wants it (UTF-16LE,
#               base64)
#   starts                launcher starts since the last reset
#   observes, sets        observe and set scripts run (from the trace:
#               Get-EflowHostConfiguration and Set-EflowVM calls)
#   tree PID              PID and every process descended from it
#   alive PID...          those of the PIDs still running (not zombies)
PWL=$VR_TOP/tests/eflow-pwsh/powershell
export EFLOW_PWSH_LOG=$T/launcher.log EFLOW_PWSH_TRACE=$T/trace.log
export EFLOW_PWSH_PIDS=$T/launcher.pids

# The pwsh the launcher will use (same order as the launcher).
pwsh_find() {
	if [ -n "${EFLOW_PWSH:-}" ]; then echo "$EFLOW_PWSH"
	elif [ -x "$HOME/.dotnet/tools/pwsh" ]; then echo "$HOME/.dotnet/tools/pwsh"
	else command -v pwsh; fi
}
_pw=$(pwsh_find)
if [ -z "$_pw" ]; then
	if command -v dotnet >/dev/null; then
		skip "no pwsh: 'dotnet tool install --global PowerShell --version 7.6.9' did not give one (make test runs it)"
	else
		skip "no pwsh: dotnet is not installed, so make test cannot install the PowerShell global tool"
	fi
	exit 0
fi
if ! _v=$("$_pw" -NoProfile -NonInteractive -Command '$PSVersionTable.PSVersion.ToString()' 2>&1); then
	skip "pwsh at $_pw does not run: $(echo "$_v" | head -1)"
	exit 0
fi
echo "# pwsh $_v at $_pw"

# The state has the emulator's format (tests/eflow-emu/powershell), so its
# helpers make it: emu_reset, emu_edit, vmtuple and spec from emu.sh.
. "$VR_TOP/tests/eflow-emu/emu.sh"
export EFLOW_PWSH_STATE=$EFLOW_EMU_STATE
BK="eflow:$PWL"
mock_reset() {
	emu_reset "$@"
	: >"$EFLOW_PWSH_LOG"
	: >"$EFLOW_PWSH_PIDS"
	: >"$EFLOW_PWSH_TRACE"
}
mock_edit() {
	emu_edit "$@"
	: >"$EFLOW_PWSH_LOG"
	: >"$EFLOW_PWSH_PIDS"
	: >"$EFLOW_PWSH_TRACE"
}
starts() { wc -l <"$EFLOW_PWSH_LOG" | tr -d ' '; }
observes() { grep -c '"cmd":"Get-EflowHostConfiguration"' "$EFLOW_PWSH_TRACE"; }
sets() { grep -c '"cmd":"Set-EflowVM"' "$EFLOW_PWSH_TRACE"; }
tree() {
	local p c
	for p in "$@"; do
		echo "$p"
		for c in $(ps -o pid= --ppid "$p" 2>/dev/null); do tree "$c"; done
	done
}
alive() {
	local p s
	for p in "$@"; do
		s=$(awk '{print $3}' "/proc/$p/stat" 2>/dev/null)
		[ -n "$s" ] && [ "$s" != Z ] && echo "$p"
	done
	return 0
}
mock_get() { json_get "$EFLOW_PWSH_STATE" "$1"; }
ps_enc() {
	/usr/bin/python3 -c 'import base64, sys
print(base64.b64encode(sys.argv[1].encode("utf-16-le")).decode())' "$1"
}
