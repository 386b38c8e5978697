# t0480-hyperv-pwsh-mock.sh - the mock Hyper-V module
# (tests/hyperv-pwsh/modules) under a real pwsh, run through the test
# launcher as vmrecon runs powershell.exe: that it is as pessimistic as
# Microsoft's documentation says a host is (memory alignment, Startup
# within [Minimum, Maximum], what a running VM refuses, GPU paths in
# either case, DDA's steps and a dismounted device vanishing), and that
# its fault knobs work.  One pwsh start runs every check
# (tests/hyperv-pwsh/check-mock.ps1).  Skipped where no pwsh runs.
#@ full-only: starts a real pwsh (~1.5 CPU s)
#@ no-san: checks the mock module in pwsh and never runs vmrecon
. "$(dirname "$0")/../lib.sh"
export TMPDIR=$T
. "$VR_TOP/tests/hyperv-pwsh/testlib.sh"

hv_reset
run "$HPL" -NoProfile -NonInteractive -OutputFormat Text -File "$VR_TOP/tests/hyperv-pwsh/check-mock.ps1"
expect_rc 0 "the mock's checks ran to the end"
tr -d '\r' <"$T/out" | grep -E '^(not )?ok - '
n=$(grep -c '^ok - ' "$T/out")
[ "$n" -ge 40 ] && ok "all $n checks reported" || notok "only $n checks reported: $(head -c 2000 "$T/err")"
expect_eq "$(starts)" 1 "one launcher start for all of them"
expect_in "$HYPERV_PWSH_LOG" '"-File"' "the launcher logs its argv unchanged"
