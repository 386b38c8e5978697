# t0155-truth.sh - what apply tells people is true when it is interrupted
# or its lines share one pipe (issue 25), on sim:
#   - Ctrl-C while the first of two VMs restarts: one line on stderr, the
#     first VM `interrupted` after its apply returned (applied, not
#     verified), the second `interrupted` before it was started, in the
#     text, the summary and status.json; ended by SIGINT (130);
#   - stdout and stderr on one pipe (cron mail, CI logs): lines in the
#     order they happened, the VM's "applying" line before its failure.
. "$(dirname "$0")/../lib.sh"
S=$T/state SIM=$T/sim.json
doc() { # doc NAME CPU: a document that may restart the VM
	printf -- '---\napiVersion: vmrecon/v1\nkind: VirtualMachine\n'
	printf 'metadata:\n  name: %s\nspec:\n  cpuCount: %s\n' "$1" "$2"
	printf '  restartPolicy: IfNeeded\n'
}
{ doc edge-01 2; doc edge-02 2; } >"$T/two.yaml"
status_of() { json_get "$S/status.json" "d['vms']['$1']['$2']"; }

# --- an interrupt between VMs -------------------------------------------------
run "$VMRECON" diff -f "$T/two.yaml" --backend "sim:$SIM" --state-dir "$S"
expect_rc 2 "diff: both VMs to change"
t0=$(date +%s%N)
run "$VMRECON" apply -f "$T/two.yaml" --backend "sim:$SIM" --state-dir "$S"
unit_ms=$(( ($(date +%s%N) - t0) / 1000000 ))
expect_rc 0 "a first apply creates the sim file (${unit_ms} ms)"
wait_ms=$(( unit_ms * 50 > 30000 ? unit_ms * 50 : 30000 ))
{ doc edge-01 3; doc edge-02 3; } >"$T/three.yaml"
# edge-01's restart takes an hour: the interrupt comes during it
/usr/bin/python3 "$VR_TOP/tests/simset.py" "$SIM" restart edge-01 3600
# (env: a script's background job starts with SIGINT ignored, and vmrecon
# leaves an ignored signal ignored, as a shell expects)
env --default-signal=INT "$VMRECON" apply -f "$T/three.yaml" \
	--backend "sim:$SIM" --state-dir "$S" >"$T/out" 2>"$T/err" &
pid=$!
# its "applying" line is out as soon as it is written (stdout is a file)
t0=$(date +%s%N)
until grep -q 'edge-01: applying' "$T/out" || ! kill -0 "$pid" 2>/dev/null; do
	if [ $(( ($(date +%s%N) - t0) / 1000000 )) -gt "$wait_ms" ]; then
		notok "no 'edge-01: applying' line within $wait_ms ms"
		break
	fi
	sleep 0.05
done
kill -INT "$pid"
wait "$pid"
RC=$?
expect_rc 130 "SIGINT during edge-01's restart: ended by SIGINT"
expect_eq "$(grep -c 'interrupt received' "$T/err")" 1 "one line says the interrupt was received"
expect_in "$T/err" "interrupt received: stopping edge-01's apply on sim:$SIM (cpuCount;" \
	"naming what it stops"
expect_in "$T/err" "edge-01: interrupted after its apply returned, before the verify: applied (not verified): cpuCount" \
	"edge-01: applied, not verified"
expect_in "$T/err" "edge-02: interrupted before its apply: not started, nothing sent" \
	"edge-02: not started"
expect_in "$T/out" "Apply interrupted: 1 applied, 0 pending, 0 VMs failed, 2 interrupted." \
	"the summary says interrupted"
expect_eq "$(status_of edge-01 result),$(status_of edge-02 result)" \
	"interrupted,interrupted" "status.json records both VMs interrupted"
expect_in "$S/status.json" "not started, nothing sent" "status.json says edge-02 was not started"
run "$VMRECON" status --state-dir "$S"
expect_rc 2 "status: not Ready"
/usr/bin/python3 "$VR_TOP/tests/simset.py" "$SIM" restart edge-01 0
run "$VMRECON" apply -f "$T/three.yaml" --backend "sim:$SIM" --state-dir "$S"
expect_rc 0 "the next apply observes and converges"
expect_in "$T/out" "edge-01: in sync" "edge-01's change had been made"

# --- one pipe: lines in the order they happened ---------------------------------
/usr/bin/python3 "$VR_TOP/tests/simset.py" "$SIM" fault "injected: refused"
"$VMRECON" apply -f "$T/two.yaml" --backend "sim:$SIM" --state-dir "$S" \
	2>&1 | cat >"$T/both"
expect_order "$T/both" "edge-01: applying" "edge-01: apply failed" \
	"one pipe: edge-01's 'applying' line before its failure"
expect_order "$T/both" "edge-01: apply failed" "edge-02: applying" \
	"one pipe: edge-01's failure before edge-02's 'applying'"
