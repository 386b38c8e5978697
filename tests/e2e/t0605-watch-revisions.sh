#!/usr/bin/env bash
# t0605-watch-revisions.sh - `vmrecon watch` across revisions, on sim over
# file://, with commit statuses posted to tests/httpd.py (Gitea's API, TLS
# with a test CA).  A commit that does not change this host's file
# inherits the outcome of the revision that last changed it: failed stays
# failed, pending (restartPolicy: Never, or a restart window) stays
# pending, in status.json and in the commit status of the new commit.
# When a retry or a drift pass converges, watch.json advances to the
# newest revision holding that file and the log says so.  A restarted
# daemon never applies a revision older than the one it last converged or
# accepted (no rollback).  And the daemon says at start when its first
# poll comes.  Every wait is bounded by this machine's measured speed.
#@ full-only: watch against Git and a commit-status server, waiting out its intervals
. "$(dirname "$0")/../lib.sh"

SRV=$T/srv.git
W=$T/work
URL=file://$SRV
git_fixture "$SRV" "$W" || skip_all "git init failed"
git -C "$W" remote add origin "$SRV"

# hostfile HOST BODY-LINES...: hosts/HOST.yaml holding the documents given
# as lines (vm NAME CPU POLICY [WINDOW-START] per line)
hostfile() {
	local host=$1 line name cpu pol win
	shift
	mkdir -p "$W/hosts"
	: >"$W/hosts/$host.yaml"
	for line in "$@"; do
		read -r name cpu pol win <<<"$line"
		{
			printf -- '---\napiVersion: vmrecon/v1\nkind: VirtualMachine\n'
			printf 'metadata:\n  name: %s\nspec:\n  cpuCount: %s\n' "$name" "$cpu"
			printf '  restartPolicy: %s\n' "$pol"
			if [ -n "$win" ]; then
				printf '  restartWindows:\n    - start: "%s"\n' "$win"
				printf '      duration: 1h\n      timeZone: UTC\n'
			fi
		} >>"$W/hosts/$host.yaml"
	done
}
push() { # MESSAGE -> prints the new commit
	git -C "$W" add -A && git -C "$W" commit -qm "$1" &&
		git -C "$W" push -q origin HEAD:main && git -C "$SRV" rev-parse main
}
unrelated() { # MESSAGE: a commit touching no host's file
	echo "$1" >>"$W/README"
	push "$1"
}
# b_then_c HOST REASON WHAT LINES...: commit B, HOST's file as LINES say
# (see hostfile), and wait until the source says REASON; then C, touching
# no host's file: once it is fetched the source must still say REASON
b_then_c() {
	local host=$1 reason=$2 what=$3
	shift 3
	hostfile "$host" "$@"
	B=$(push "B: $host, $what")
	wait_for is "$reason" st "d['source']['conditions'][0]['reason']" ||
		notok "$host: B is not $reason"
	C=$(unrelated "C: after $host's B")
	wait_for is "main@sha1:$C" st "d['source']['lastFetchedRevision']" ||
		notok "$host: C was not fetched"
	expect_eq "$(st "d['source']['conditions'][0]['reason']")" "$reason" \
		"$host: after $what, a commit not changing the file: the source stays $reason"
}
# the sim file, status.json and watch.json of state dir $S
sim_cpu() { json_get "$S/sim.json" "d['vms']['$1']['cpuCount']" 2>/dev/null; }
st() { json_get "$S/status.json" "$1" 2>/dev/null; }
base() { json_get "$S/watch.json" "d['lastAppliedCommit']" 2>/dev/null; }
# wait_for CMD...: poll until CMD succeeds, at most $WAIT_S seconds
wait_for() {
	local end=$((SECONDS + WAIT_S))
	until "$@" >/dev/null 2>&1; do
		[ $SECONDS -ge $end ] && return 1
		sleep 0.05
	done
}
is() { [ "$("${@:2}")" = "$1" ]; } # is WANT CMD...: CMD prints WANT
log_has() { grep -qF -- "$1" "$LOG"; }
# cs_last SHA [KEY]: the state (or KEY) of the last commit status posted
# for SHA ("" before any)
cs_last() {
	/usr/bin/python3 - "$T/cs.log" "$1" "${2:-state}" <<'PY'
import json, os, sys
last = ""
for l in open(sys.argv[1]) if os.path.exists(sys.argv[1]) else []:
    r = json.loads(l)
    if r["path"] == "/api/v1/repos/ops/fleet/statuses/" + sys.argv[2]:
        last = json.loads(r["body"])[sys.argv[3]]
print(last)
PY
}
# start HOST LOG [ARGS...]: a daemon for hosts/HOST.yaml on state dir $S
start() {
	local host=$1
	LOG=$2
	shift 2
	"$VMRECON" watch --repo "$URL" --path 'hosts/{hostname}.yaml' \
		--hostname "$host" --state-dir "$S" --interval 1s \
		--max-backoff 1s "$@" 2>"$LOG" &
	WPID=$!
	PIDS="$PIDS $WPID"
	wait_for log_has "info watching" || notok "the daemon did not start"
}
stop() {
	kill -TERM "$WPID" 2>/dev/null
	wait "$WPID"
}
# restart_check HOST WANT-CPU DESC: a new daemon on $S reconciles on
# SIGHUP once it has resumed; it never took the VM edge-01 elsewhere
restart_check() {
	start "$1" "$T/$1-restart$2.log"
	kill -HUP "$WPID"
	wait_for log_has '"reconciling now"' || notok "$3: no SIGHUP pass"
	stop
	if grep -F " vm=edge-01 " "$LOG" | grep -E "cpuCount [0-9]+->" |
		grep -v -- "->$2" >/dev/null; then
		notok "$3: $(grep -F " vm=edge-01 " "$LOG" | head -2)"
	else
		ok "$3"
	fi
	expect_eq "$(sim_cpu edge-01)" "$2" "$3: the VM kept $2 CPUs"
}
CS=(--commit-status gitea --commit-status-url "https://localhost:@PORT@/api/v1"
	--commit-status-repo ops/fleet --commit-status-token-file "$T/cstoken"
	--ca-file "$T/ca.pem")

test_ca || skip_all "openssl cannot make a test CA"
printf 'cs-token\n' >"$T/cstoken"
/usr/bin/python3 "$VR_TOP/tests/httpd.py" --log "$T/cs.log" --port-file "$T/cs.port" \
	--cert "$T/srv.pem" --key "$T/srv.key" &
PIDS="$PIDS $!"
WAIT_S=60
wait_for test -s "$T/cs.port" || skip_all "tests/httpd.py did not start"
CS=("${CS[@]/@PORT@/$(cat "$T/cs.port")}")

echo "fleet" >"$W/README"
hostfile hf "edge-01 2 IfNeeded"
hostfile hn "edge-01 2 IfNeeded" "edge-02 1 Never"
hostfile hw "edge-01 2 IfNeeded"
A=$(push "A: every host's first file")

# every wait below: 10 s plus 20 times what a whole `watch --once`
# (start, clone, plan, apply) takes on this machine now
S=$T/s-hf
t0=$(date +%s%N)
run "$VMRECON" watch --once --repo "$URL" --path 'hosts/{hostname}.yaml' \
	--hostname hf --state-dir "$S"
ONCE_MS=$((($(date +%s%N) - t0) / 1000000))
expect_rc 0 "hf: A applied by watch --once"
WAIT_S=$((10 + 20 * ONCE_MS / 1000))
echo "# watch --once took $ONCE_MS ms: waits up to $WAIT_S s"

echo "# --- a failed revision, then a commit that does not touch the file"
/usr/bin/python3 "$VR_TOP/tests/simset.py" "$S/sim.json" fault "injected apply failure"
start hf "$T/hf.log" "${CS[@]}"
b_then_c hf ReconciliationFailed "a failed revision" "edge-01 3 IfNeeded"
case $(st "d['source']['conditions'][0]['message']") in
*"main@sha1:$B"*) ok "and its message names the revision that changed the file" ;;
*) notok "source message: $(st "d['source']['conditions'][0]['message']")" ;;
esac
expect_eq "$(st "d['vms']['edge-01']['conditions'][0]['status']")" False \
	"the VM is not Ready"
wait_for is failure cs_last "$C"
expect_eq "$(cs_last "$C")" failure "C's commit status is failure, not success"
grep -F '"new revision, file unchanged"' "$LOG" | grep -qF "main@sha1:$C" &&
	ok "the log names the new revision" || notok "no log line for C"
/usr/bin/python3 "$VR_TOP/tests/simset.py" "$S/sim.json" fault ""
wait_for is 3 sim_cpu edge-01 || notok "the retry did not apply 3 CPUs"
wait_for log_has "revision applied after a retry" &&
	ok "a retry that converges is logged as such" || notok "no 'applied after a retry'"
grep -F "revision applied after a retry" "$LOG" | grep -qF "main@sha1:$C" &&
	ok "naming the newest revision holding the file" ||
	notok "retry log: $(grep -F 'after a retry' "$LOG")"
wait_for is "$C" base
expect_eq "$(base)" "$C" "watch.json advances to C, the newest revision with that file"
wait_for is Succeeded st "d['source']['conditions'][0]['reason']"
expect_eq "$(st "d['source']['conditions'][0]['reason']")" Succeeded \
	"the source is Ready again"
wait_for is success cs_last "$C"
expect_eq "$(cs_last "$C")" success "C's commit status: success once applied"
expect_eq "$(cs_last "$B")" success "B's too"
stop
restart_check hf 3 "hf: a restarted daemon does not roll back to A"

echo "# --- pending by restartPolicy: Never (another VM of the file applied)"
S=$T/s-hn
run "$VMRECON" watch --once --repo "$URL" --path 'hosts/{hostname}.yaml' \
	--hostname hn --state-dir "$S"
expect_rc 0 "hn: A applied"
A=$(base) # the newest commit when it ran, with hn's first file
start hn "$T/hn.log" "${CS[@]}"
b_then_c hn RestartPending "a revision pending by restartPolicy: Never" \
	"edge-01 3 IfNeeded" "edge-02 2 Never"
expect_eq "$(sim_cpu edge-01)" 3 "the IfNeeded VM of B is applied"
wait_for is pending cs_last "$C"
expect_eq "$(cs_last "$C")" pending "C's commit status is pending, not success"
case $(cs_last "$C" description) in
*"restartPolicy: Never"*) ok "saying why" ;;
*) notok "C's commit status description: $(cs_last "$C" description)" ;;
esac
stop
restart_check hn 3 "hn: a restarted daemon does not roll back edge-01 to A"
expect_eq "$(base)" "$A" "watch.json still holds hn's first file: B is not applied"
start hn "$T/hn2.log"
wait_for log_has '"first poll' || notok "no first-poll line"
/usr/bin/python3 "$VR_TOP/tests/simset.py" "$S/sim.json" cpu edge-02 2 # restarted by hand
wait_for log_has "revision applied after a retry" &&
	ok "pending: a pass that finds it converged says it is applied" ||
	notok "no 'applied after a retry'"
wait_for is "$C" base
expect_eq "$(base)" "$C" "watch.json advances to C"
stop

echo "# --- pending by a restart window"
S=$T/s-hw
run "$VMRECON" watch --once --repo "$URL" --path 'hosts/{hostname}.yaml' \
	--hostname hw --state-dir "$S"
expect_rc 0 "hw: A applied"
start hw "$T/hw.log" "${CS[@]}"
# a window 12 hours away: closed now, whenever the test runs
b_then_c hw RestartPending "a revision waiting for its restart window" \
	"edge-01 3 IfNeeded $(date -u -d '+12 hours' +%H:00)"
case $(st "d['source']['conditions'][0]['message']") in
*"pending until"*) ok "until the window" ;;
*) notok "source message: $(st "d['source']['conditions'][0]['message']")" ;;
esac
wait_for is pending cs_last "$C"
expect_eq "$(cs_last "$C")" pending "C's commit status is pending"
/usr/bin/python3 "$VR_TOP/tests/simset.py" "$S/sim.json" cpu edge-01 3 # restarted by hand
wait_for log_has "revision applied after a retry" &&
	ok "the drift pass that finds it converged says it is applied" ||
	notok "no 'applied after a retry'"
wait_for is "$C" base
expect_eq "$(base)" "$C" "watch.json advances to C"
wait_for is success cs_last "$C"
expect_eq "$(cs_last "$C")" success "C's commit status: success"
stop
restart_check hw 3 "hw: a restarted daemon does not roll back to A"

echo "# --- when the first poll comes"
# first_poll: the first-poll line of $LOG, and its delay in ms in $ms
first_poll() {
	line=$(grep -F '"first poll' "$LOG" | head -1)
	ms=$(sed -n 's/.* in=\([0-9]*\)ms.*/\1/p; s/.* in=\([0-9]*\)s.*/\1000/p' <<<"$line")
}
LOG=$T/hw-restart3.log
first_poll
[ -n "$ms" ] && [ "$ms" -le 1000 ] &&
	ok "watch says at start when its first poll comes, within the interval ($line)" ||
	notok "no first-poll line in: $(head -3 "$LOG")"
S=$T/s-new
start hnew "$T/hnew.log" --interval 1h
stop
first_poll
[ -n "$ms" ] && [ "$ms" -le 30000 ] &&
	ok "on a new host within 30 s, whatever the interval ($line)" ||
	notok "no first-poll line in: $(head -3 "$LOG")"
