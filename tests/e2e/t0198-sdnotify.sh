# t0198-sdnotify.sh - `watch` under systemd's Type=notify and WatchdogSec=:
# a local NOTIFY_SOCKET listener (an AF_UNIX datagram socket, a path and
# an @abstract name) receives READY=1 once, after the first pass has
# written status, WATCHDOG=1 keep-alives at half of WATCHDOG_USEC, none
# when WATCHDOG_PID names another process, and STOPPING=1 at SIGTERM.
# Waits are polls with deadlines; no timing is asserted.
. "$(dirname "$0")/../lib.sh"
HOST=$(uname -n)

SRV=$T/srv.git
W=$T/work
git_fixture "$SRV" "$W"
mkdir -p "$W/hosts" && cp "$VR_TOP/examples/a2-dda.yaml" "$W/hosts/$HOST.yaml"
git -C "$W" add -A && git -C "$W" commit -qm init && git -C "$W" push -q "file://$SRV" HEAD:main

# listen ADDR LOG STATUS: one JSON line per datagram; on READY=1 it also
# notes whether STATUS (status.json) already has the applied revision
listen() {
	/usr/bin/python3 - "$@" <<'PY' &
import json, os, socket, sys
addr, log, status = sys.argv[1:4]
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind("\0" + addr[1:] if addr.startswith("@") else addr)
open(log + ".up", "w").close()
while True:
    msg = s.recv(4096).decode()
    rec = {"msg": msg}
    if "READY=1" in msg:
        try:
            d = json.load(open(status))
            rec["applied"] = bool(d["source"].get("lastAppliedRevision"))
        except Exception as e:
            rec["applied"] = "no status: %s" % e
    with open(log, "a") as f:
        f.write(json.dumps(rec) + "\n")
PY
	PIDS="$PIDS $!"
}
count() { if [ -f "$1" ]; then grep -c "$2" "$1"; else echo 0; fi; }
wait_for() { # SECONDS CMD...
	local end=$((SECONDS + $1))
	shift
	until "$@"; do [ $SECONDS -ge $end ] && return 1; sleep 0.05; done
}
have() { [ "$(count "$1" "$2")" -ge "$3" ]; }

listen "$T/notify.sock" "$T/n.log" "$T/s1/status.json"
wait_for 20 test -e "$T/n.log.up" || notok "listener did not start"
NOTIFY_SOCKET=$T/notify.sock WATCHDOG_USEC=400000 "$VMRECON" watch --repo "file://$SRV" \
	--path "hosts/$HOST.yaml" --interval 1h --state-dir "$T/s1" 2>"$T/w.err" &
VPID=$!
PIDS="$PIDS $VPID"
wait_for 60 have "$T/n.log" READY=1 1 && ok "READY=1 arrives" || notok "no READY=1: $(cat "$T/n.log" 2>&1)"
expect_eq "$(json_get <(grep READY "$T/n.log" | head -1) "d['applied']")" True \
	"READY=1 is sent once the first pass has ended (status already has the applied revision)"
grep READY "$T/n.log" | head -1 | grep -q 'STATUS=first pass done' &&
	ok "with STATUS=first pass done" || notok "status: $(grep READY "$T/n.log")"
base=$(count "$T/n.log" WATCHDOG=1)
# keep-alives every 200 ms; 3 more within a generous deadline
wait_for 60 have "$T/n.log" WATCHDOG=1 $((base + 3)) &&
	ok "WATCHDOG=1 keep-alives keep coming while watch waits" ||
	notok "keep-alives: $(count "$T/n.log" WATCHDOG=1) after $base"
kill -TERM "$VPID"
wait "$VPID"
expect_eq "$?" 0 "SIGTERM: exit 0"
wait_for 20 have "$T/n.log" STOPPING=1 1 && ok "STOPPING=1 at the end" || notok "no STOPPING=1"
expect_eq "$(count "$T/n.log" READY=1)" 1 "READY=1 only once"

# an abstract socket, and a watchdog meant for another process
listen "@vmrecon-t0198-$$" "$T/a.log" "$T/s2/status.json"
wait_for 20 test -e "$T/a.log.up" || notok "listener 2 did not start"
NOTIFY_SOCKET=@vmrecon-t0198-$$ WATCHDOG_USEC=400000 WATCHDOG_PID=1 \
	"$VMRECON" watch --once --repo "file://$SRV" --path "hosts/$HOST.yaml" --state-dir "$T/s2" 2>/dev/null
expect_eq "$?" 0 "watch --once with an abstract NOTIFY_SOCKET"
wait_for 20 have "$T/a.log" STOPPING=1 1 || true
expect_eq "$(count "$T/a.log" READY=1),$(count "$T/a.log" WATCHDOG=1),$(count "$T/a.log" STOPPING=1)" "1,0,1" \
	"READY and STOPPING over @name; no WATCHDOG when WATCHDOG_PID is another process"

# a bad NOTIFY_SOCKET is a warning, not a failure
NOTIFY_SOCKET=relative.sock "$VMRECON" watch --once --repo "file://$SRV" --path "hosts/$HOST.yaml" \
	--state-dir "$T/s3" 2>"$T/b.err"
expect_eq "$?" 0 "a relative NOTIFY_SOCKET: watch still works"
expect_in "$T/b.err" "systemd notification off" "and says notification is off"
