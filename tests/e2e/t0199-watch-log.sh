# t0199-watch-log.sh - watch's log says why a pass ran (why=new revision,
# drift, retry) and what happened to the VM (applied / drift corrected,
# pending a restart, failed), and the two never disagree: no "applied"
# line with result=pending, no why="new revision" for a drift pass.
. "$(dirname "$0")/../lib.sh"
HOST=$(uname -n)
S=$T/state
SIM=$S/sim.json
SRV=$T/srv.git
W=$T/work
git_fixture "$SRV" "$W"
mkdir -p "$W/hosts"
spec() { # CPU POLICY
	printf 'apiVersion: vmrecon/v1\nkind: VirtualMachine\nmetadata:\n  name: edge-01\nspec:\n  cpuCount: %s\n  restartPolicy: %s\n' "$1" "$2" >"$W/hosts/$HOST.yaml"
	git -C "$W" add -A && git -C "$W" commit -qm "cpu $1 $2" && git -C "$W" push -q "file://$SRV" HEAD:main
}
sim_set() { /usr/bin/python3 "$VR_TOP/tests/simset.py" "$SIM" "$@"; }
log_has() { grep -E "$1" "$T/w.err" >/dev/null; }
wait_for() { # SECONDS CMD...
	local end=$((SECONDS + $1))
	shift
	until "$@"; do [ $SECONDS -ge $end ] && return 1; sleep 0.05; done
}

spec 2 Never
"$VMRECON" watch --repo "file://$SRV" --path "hosts/$HOST.yaml" --interval 300ms \
	--state-dir "$S" 2>"$T/w.err" &
VPID=$!
PIDS="$PIDS $VPID"
wait_for 60 log_has 'warn "pending a restart" vm=edge-01 why="new revision" result=pending' &&
	ok "a new revision left pending: 'pending a restart', why=\"new revision\", result=pending" ||
	notok "pending line: $(grep edge-01 "$T/w.err" | tail -3)"

spec 3 IfNeeded
wait_for 60 log_has 'info applied vm=edge-01 why="new revision" result=converged' &&
	ok "a new revision applied: applied, why=\"new revision\"" ||
	notok "applied line: $(grep edge-01 "$T/w.err" | tail -3)"

sim_set cpu edge-01 9
wait_for 60 log_has 'info "drift corrected" vm=edge-01 why=drift result=converged' &&
	ok "drift corrected by hand: why=drift" || notok "drift line: $(grep edge-01 "$T/w.err" | tail -3)"

sim_set fault "injected failure"
spec 5 IfNeeded
wait_for 60 log_has 'error failed vm=edge-01 why="new revision" result=failed' &&
	ok "a failing revision: failed, why=\"new revision\"" ||
	notok "failed line: $(grep edge-01 "$T/w.err" | tail -3)"
sim_set fault ""
wait_for 60 log_has 'info applied vm=edge-01 why=retry result=converged' &&
	ok "applied on a later pass: why=retry" || notok "retry line: $(grep edge-01 "$T/w.err" | tail -3)"

kill -TERM "$VPID" && wait "$VPID"
# no line contradicts itself
if grep -E ' (applied|"drift corrected") .*result=(pending|failed)' "$T/w.err" >/dev/null ||
	grep -E ' (failed|"pending a restart") .*result=converged' "$T/w.err" >/dev/null ||
	grep -E 'why=drift.* result=' "$T/w.err" | grep -v '"drift corrected"\|"pending a restart"\|failed' >/dev/null; then
	notok "a contradicting line: $(grep -E 'result=' "$T/w.err" | head -5)"
else
	ok "what happened always matches result=, and why= the pass"
fi
