# t0470-eflow-pwsh-ps51.sh - vmrecon's PowerShell must also run on Windows
# PowerShell 5.1, so no script it sends may use 7-only syntax.  The checker
# (tests/eflow-pwsh/check-ps51.ps1) uses pwsh's own parser; it is first
# proven on a script with one 7-only construct per line and on a clean one
# full of look-alikes.  Skipped where no pwsh runs.
#@ full-only: starts a real pwsh per check (~1.5 CPU s each)
#@ no-san: mostly times pwsh parsing scripts; every line of vmrecon it runs, the suites that stay run on build/san (tests/sancov)
. "$(dirname "$0")/../lib.sh"
# pwsh leaves its CoreFxPipe_PSHost.* sockets in TMPDIR when it is killed
# (the verify deadline kills it on purpose): keep them in this test's dir
export TMPDIR=$T
. "$VR_TOP/tests/eflow-pwsh/testlib.sh"
CHECK51=$VR_TOP/tests/eflow-pwsh/check-ps51.ps1
check51() { run "$_pw" -NoProfile -NonInteractive -File "$CHECK51" "$@"; }

# --- the checker, proven ------------------------------------------------------
cat >"$T/bad.ps1" <<'PS'
Get-EflowVm && Start-EflowVm
Get-EflowVm || exit 1
$a = $x ? 1 : 2
$b = $y ?? 'none'
$c ??= 3
$f = ${g}?.Name
$h = $j | ConvertFrom-Json -AsHashtable
1..3 | ForEach-Object -Parallel { $_ }
1..3 | % -Parallel { $_ }
'a','b' | Join-String -Separator ','
function k { process { 1 } clean { 2 } }
Set-Content -Path x -Value y -Encoding utf8NoBOM
"`e[0m"
if ($IsWindows) { 1 }
$o | ConvertTo-Json -EscapeHandling EscapeNonAscii
$v = ${w}?[0]
PS
check51 "$T/bad.ps1"
expect_rc 1 "checker: a 7-only script fails"
for l in $(seq 1 16); do
	if grep -q "^$T/bad.ps1:$l:" "$T/out"; then ok "checker: line $l ($(sed -n "${l}p" "$T/bad.ps1")) found"
	else notok "checker: line $l ($(sed -n "${l}p" "$T/bad.ps1")) not found"; fi
done
cat >"$T/good.ps1" <<'PS'
$ErrorActionPreference = 'Stop'
try {
	Import-Module AzureEFLOW
	$v = Get-EflowVm
	$s = '&& || ?? ?. a ? b : c `e $IsWindows'
	if ($v -and -not $null) { $x = 1 } else { $x = 2 }
	$g = 1..3 | Group-Object -AsHashTable
	1..3 | ForEach-Object -Process { $_ }
	$o = @{ a = 1 } | ConvertTo-Json -Depth 3 -Compress
	[Console]::OutputEncoding = New-Object System.Text.UTF8Encoding $false
	"escaped `$e and `n"
	$q = $e?.Name   # 5.1 and 7 both read the variable "e?"
} catch { [Console]::Error.WriteLine($_.Exception.Message); exit 1 }
PS
check51 "$T/good.ps1"
expect_rc 0 "checker: a 5.1 script with look-alikes passes"
expect_eq "$(wc -l <"$T/out")" 0 "checker: and reports nothing"
printf 'if ( {\n' >"$T/broken.ps1"
check51 "$T/broken.ps1"
expect_rc 1 "checker: a parse error fails"
expect_in "$T/out" "parse error" "checker: and says so"

# --- every script vmrecon sends ------------------------------------------------
# diff, get, and applies that start an Off VM, add a GPU, keep it and
# remove it: every kind of script the eflow backend builds: the worker's
# loop, decoded from -EncodedCommand in the launcher's log, and each
# request, decoded from what the launcher passed on to pwsh's stdin; and,
# once, the per-call script of `eflow:per-call:`.
S=$T/s
mkdir -p "$T/all"
export EFLOW_PWSH_STDIN=$T/stdin.log
collect() {
	/usr/bin/python3 "$VR_TOP/tests/eflow-pwsh/collect-scripts.py" \
		"$EFLOW_PWSH_LOG" "$EFLOW_PWSH_STDIN" "$T/all"
}
spec "$T/a2.yaml" "cpuCount: 2" "memoryInMB: 4096" "gpu:" "  name: NVIDIA A2" \
    "  passthroughType: DirectDeviceAssignment" "restartPolicy: IfNeeded"
spec "$T/cpu3.yaml" "cpuCount: 3" "restartPolicy: IfNeeded"
spec "$T/none.yaml" "gpu: none" "restartPolicy: IfNeeded"
mock_reset 'd["vm"]["power"] = "Off"'
for step in "diff $T/a2.yaml" "apply $T/a2.yaml" "apply $T/cpu3.yaml" "apply $T/none.yaml"; do
	set -- $step
	run "$VMRECON" "$1" -f "$2" --backend "$BK" --state-dir "$S"
	case $1 in diff) want=2 ;; *) want=0 ;; esac
	expect_rc $want "scripts: vmrecon $1 $(basename "$2")"
	collect
done
run "$VMRECON" get --backend "$BK" --state-dir "$S"
expect_rc 0 "scripts: vmrecon get"
collect
run "$VMRECON" get --backend "eflow:per-call:$PWL" --state-dir "$S"
expect_rc 0 "scripts: vmrecon get, one launcher start per call"
collect
n=$(ls "$T/all" | wc -l)
[ "$n" -ge 5 ] && ok "scripts: $n distinct scripts collected (the loop; observe, set, start and set; per call)" ||
	notok "scripts: only $n distinct scripts collected"
grep -l 'OpenStandardInput' "$T"/all/*.ps1 >/dev/null && ok "scripts: the worker's loop was among them" ||
	notok "scripts: no worker loop collected"
grep -l '^exit 0$' "$T"/all/*.ps1 >/dev/null && ok "scripts: a per-call script was among them" ||
	notok "scripts: no per-call script collected"
check51 "$T"/all/*.ps1
expect_rc 0 "every script vmrecon sent is free of 7-only syntax"
grep -l 'Start-EflowVm' "$T"/all/*.ps1 >/dev/null && ok "scripts: the start path was among them" ||
	notok "scripts: no script started the VM"
