# t0430-eflow-launcher.sh - the launcher side of the eflow backend
# (issue 13): `eflow:ssh admin@host powershell` works although the remote
# shell re-parses one joined command line (a stand-in ssh joins its
# arguments and hands them to sh -c, as sshd hands them to the remote
# user's shell, and passes stdin on, as ssh does: the worker's requests
# go that way), and a killed vmrecon leaves no launcher behind.
. "$(dirname "$0")/../lib.sh"
. "$VR_TOP/tests/eflow-emu/emu.sh"
S=$T/s
mkdir -p "$T/bin"
ln -s "$VR_TOP/tests/eflow-emu/ssh" "$T/bin/ssh"
ln -s "$EMU" "$T/bin/powershell"
export EFLOW_SSH_LOG=$T/ssh.log EFLOW_SSH_STDIN=$T/ssh.stdin

emu_reset
cat >"$T/gpu.yaml" <<'Y'
apiVersion: vmrecon/v1
kind: VirtualMachine
metadata:
  name: EDGE01-EFLOW
spec:
  cpuCount: 2
  gpu:
    name: "Intel(R) Graphics O'Brien\u2019s $(x) `y` \"q\" | ; & %1 ^ >nul"
    passthroughType: ParaVirtualization
  restartPolicy: IfNeeded
Y
NAME="Intel(R) Graphics O'Brien’s \$(x) \`y\` \"q\" | ; & %1 ^ >nul"
emu_edit "d['host']['videoControllers'].append(r'''$NAME''')"
PATH=$T/bin:$PATH run "$VMRECON" apply -f "$T/gpu.yaml" \
	--backend "eflow:ssh admin@edge01 powershell" --state-dir "$S"
expect_rc 0 "apply through 'ssh admin@edge01 powershell' (a re-parsing remote shell)"
expect_eq "$(json_get "$EFLOW_EMU_STATE" "d['vm']['gpu']['name']")" "$NAME" \
	"a GPU name full of shell and PowerShell syntax arrived literally"
expect_eq "$(vm "['cpuCount']")" 2 "and the CPU count"
/usr/bin/python3 - "$EFLOW_SSH_LOG" <<'PY' && ok "every word after 'powershell' is in [A-Za-z0-9+/=-]" || notok "a word a shell could re-parse was sent"
import re, sys
for line in open(sys.argv[1]):
    w = line.split()
    assert w[:2] == ["admin@edge01", "powershell"], w
    assert all(re.fullmatch(r"[A-Za-z0-9+/=-]+", x) for x in w[2:]), w
PY
expect_eq "$(wc -l <"$EFLOW_SSH_LOG" | tr -d ' ')" 1 "1 ssh call for the apply"
expect_eq "$(ncalls)" 3 "and 3 requests through it"
/usr/bin/python3 - "$EFLOW_SSH_STDIN" <<'PY' && ok "every request on stdin is ID BASE64, nothing a shell or code page could change" || notok "a request with other bytes went to stdin"
import re, sys
lines = open(sys.argv[1], "rb").read().split(b"\n")
assert lines[-1] == b"" and len(lines) == 4, lines
for i, l in enumerate(lines[:-1]):
    assert re.fullmatch(rb"%d [A-Za-z0-9+/]+={0,2}" % (i + 1), l), l[:80]
PY

# --- a killed vmrecon leaves no launcher behind ------------------------------
emu_reset "d['faults'] = {'hang': True}"
export EFLOW_EMU_PIDFILE=$T/emu.pid
"$VMRECON" diff -f "$T/gpu.yaml" --backend "$BK" --state-dir "$S" >/dev/null 2>&1 &
pid=$!
deadline=$(($(date +%s) + 60))
until [ -s "$EFLOW_EMU_PIDFILE" ] || [ "$(date +%s)" -ge $deadline ]; do sleep 0.1; done
epid=$(cat "$EFLOW_EMU_PIDFILE" 2>/dev/null)
[ -n "$epid" ] && kill -0 "$epid" 2>/dev/null && ok "the launcher runs (pid $epid)" ||
	notok "the launcher did not start"
kill -9 "$pid"
wait "$pid" 2>/dev/null
deadline=$(($(date +%s) + 30))
while [ -n "$epid" ] && kill -0 "$epid" 2>/dev/null && [ "$(date +%s)" -lt $deadline ]; do
	sleep 0.1
done
if [ -n "$epid" ] && kill -0 "$epid" 2>/dev/null; then
	notok "the launcher outlived kill -9 of vmrecon"
	kill -9 "$epid"
else
	ok "kill -9 of vmrecon also ended the launcher (PR_SET_PDEATHSIG)"
fi
