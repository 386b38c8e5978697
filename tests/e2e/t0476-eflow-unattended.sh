# t0476-eflow-unattended.sh - the route from a Linux box to a fleet of
# Windows hosts: examples/vmrecon-watch@.service, one watch daemon per
# host over ssh.  systemd-analyze verify accepts an instance of it; its
# ExecStart, with the instance name and its credentials directory filled
# in as systemd does and only the paths pointed at this test (vmrecon, the
# repository, the state dir, the stand-in ssh), runs a pass against the
# EFLOW emulator: the instance name is the host's --hostname (its file in
# the repository) and its state dir, and ssh gets key-only options.
#@ full-only: watch against a Git repository, and a real pwsh parses the task script
. "$(dirname "$0")/../lib.sh"
. "$VR_TOP/tests/eflow-emu/emu.sh"
U="$VR_TOP/examples/vmrecon-watch@.service"
[ -f "$U" ] || { notok "examples/vmrecon-watch@.service is missing"; exit 0; }
I=EDGE01
mkdir -p "$T/units"
sed "s|/usr/local/bin/vmrecon|$VMRECON|" "$U" >"$T/units/vmrecon-watch@$I.service"
if command -v systemd-analyze >/dev/null; then
	run timeout 120 systemd-analyze verify "$T/units/vmrecon-watch@$I.service"
	expect_rc 0 "systemd-analyze verify accepts an instance of vmrecon-watch@.service"
	# it exits 0 on a line it ignores, but says so
	expect_eq "$(grep -c . "$T/err")" 0 "and warns about nothing: $(head -3 "$T/err")"
else
	skip "systemd-analyze verify: systemd-analyze is not installed"
fi

# ExecStart as one line, %i and ${CREDENTIALS_DIRECTORY} as systemd fills them
cmd=$(sed -n '/^ExecStart=/,/[^\\]$/p' "$U" | sed 's/\\$//' | tr -d '\n' |
	sed -e 's/^ExecStart=//' -e 's/\t/ /g')
case $cmd in
*"--hostname %i"*) ok "--hostname is the instance name" ;;
*) notok "--hostname is not the instance name: $cmd" ;;
esac
case $cmd in
*"--state-dir /var/lib/vmrecon/%i "*) ok "the state dir is per instance" ;;
*) notok "the state dir is not per instance: $cmd" ;;
esac
grep -qx 'StateDirectory=vmrecon/%i' "$U" && ok "StateDirectory= is per instance" ||
	notok "StateDirectory= is not the instance's"
for o in BatchMode=yes PasswordAuthentication=no KbdInteractiveAuthentication=no \
	StrictHostKeyChecking=yes IdentitiesOnly=yes; do
	case $cmd in
	*"-o $o "*) ok "ssh gets -o $o" ;;
	*) notok "ssh does not get -o $o" ;;
	esac
done

# the repository the daemon follows: hosts/EDGE01.yaml for EDGE01-EFLOW
SRV=$T/srv.git
W=$T/work
git_fixture "$SRV" "$W" main
mkdir -p "$W/hosts"
spec "$W/hosts/$I.yaml" "cpuCount: 2" "gpu:" "  name: NVIDIA A2" \
	"  passthroughType: DirectDeviceAssignment" "restartPolicy: IfNeeded"
git -C "$W" add -A && git -C "$W" commit -qm init && git -C "$W" push -q "file://$SRV" HEAD:main
mkdir -p "$T/creds" && echo unused-by-file-urls >"$T/creds/git-token"
export EFLOW_SSH_LOG=$T/ssh.log
emu_reset
run_cmd=$(printf '%s' "$cmd" | sed \
	-e "s|/usr/local/bin/vmrecon|$VMRECON|" \
	-e "s|https://git.example.com/infra/fleet.git|file://$SRV|" \
	-e "s|/usr/bin/ssh |$VR_TOP/tests/eflow-emu/ssh |" \
	-e "s| powershell\"| $EMU\"|" \
	-e "s|/var/lib/vmrecon/|$T/state/|" \
	-e "s|%i|$I|g" \
	-e "s|\${CREDENTIALS_DIRECTORY}|$T/creds|")
eval "set -- $run_cmd"
run "$@" --once
expect_rc 0 "the unit's ExecStart (watch --once) converges the host's VM"
expect_eq "$(vmtuple)" "2,8192,NVIDIA A2" "the VM has the host's file"
expect_eq "$(json_get "$T/state/$I/status.json" "d['source']['path']")" "hosts/$I.yaml" \
	"the instance's state dir has its status: it followed the instance's file"
expect_in "$EFLOW_SSH_LOG" "-o BatchMode=yes" "ssh was started with BatchMode"
expect_in "$EFLOW_SSH_LOG" "admin@$I " "to the instance's host"
expect_eq "$(wc -l <"$EFLOW_SSH_LOG" | tr -d ' ')" 1 "one ssh for the pass (the worker)"

# --- the WSL route (backends/eflow.md, "Unattended"): the scheduled task's script
# parses in a real pwsh (with only 5.1 syntax), and the vmrecon command line wsl.exe runs is one
# vmrecon accepts, with powershell.exe found on PATH as WSL interop finds
# it (here the emulator) ---------------------------------------------------
awk '/^## Unattended/ { u = 1 } u && /^```powershell/ { p = 1; next }
	p && /^```/ { exit } p { print }' "$VR_TOP/backends/eflow.md" >"$T/task.ps1"
grep -q 'Register-ScheduledTask' "$T/task.ps1" && ok "backends/eflow.md has the task's script" ||
	notok "backends/eflow.md's Unattended section has no scheduled task script"
PWSH=${VR_PWSH:-$HOME/.dotnet/tools/pwsh}
if [ -x "$PWSH" ]; then
	run "$PWSH" -NoProfile -File "$VR_TOP/tests/eflow-pwsh/check-ps51.ps1" "$T/task.ps1"
	expect_rc 0 "pwsh parses the task's script, with nothing Windows PowerShell 5.1 lacks"
else
	skip "parse the task's script: no pwsh ($PWSH)"
fi
wsl=$(sed -n "s/.*-Argument '-d [^ ]* -u root -- \([^']*\)'.*/\1/p" "$T/task.ps1")
case $wsl in
/usr/local/bin/vmrecon\ watch\ *"--backend eflow "*) ok "wsl.exe runs vmrecon watch with --backend eflow" ;;
*) notok "the task does not run vmrecon watch --backend eflow: '$wsl'" ;;
esac
mkdir -p "$T/winpath"
ln -s "$EMU" "$T/winpath/powershell.exe"
emu_reset
set -- $(printf '%s' "$wsl" | sed -e "s|/usr/local/bin/vmrecon|$VMRECON|" \
	-e "s|https://git.example.com/infra/fleet.git|file://$SRV|" \
	-e "s|/var/lib/vmrecon|$T/wsl-state|")
run env PATH="$T/winpath:$PATH" "$@" --hostname "$I" --once
expect_rc 0 "the task's vmrecon command line (with --hostname, --once) converges the VM"
expect_eq "$(vmtuple)" "2,8192,NVIDIA A2" "through powershell.exe on PATH"
