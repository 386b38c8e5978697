# t0150-honest.sh - a VM whose changes were left pending (restartPolicy:
# Never on sim, where every change needs a restart) is `pending`, never
# `converged`: in apply's text and JSON, status.json, the metrics file, the
# webhook and the commit statuses of watch; lastAppliedRevision moves only
# when every change of a revision was applied.  `get` writes restartPolicy
# with a comment saying what it means on that backend.
. "$(dirname "$0")/../lib.sh"
PY=/usr/bin/python3
S=$T/state

# ---- get: the adopted file says what restartPolicy does here ----
run "$VMRECON" get edge-01 --state-dir "$S"
expect_rc 0 "get edge-01"
expect_in "$T/out" "  restartPolicy: Never" "get writes restartPolicy explicitly"
expect_in "$T/out" "  # on sim a change of cpuCount and memoryInMB needs a restart" \
	"with a comment on what it means for the backend"
cp "$T/out" "$T/adopt.yaml"
run "$VMRECON" diff -f "$T/adopt.yaml" --state-dir "$S"
expect_rc 0 "the adopted file is still in sync"
run "$VMRECON" get edge-01 -o json --state-dir "$S"
expect_eq "$(json_get "$T/out" "d['spec']['restartPolicy']")" Never "get -o json has restartPolicy"

# ---- a test CA and a local HTTPS server for the webhook and statuses ----
test_ca || notok "openssl"
$PY "$VR_TOP/tests/httpd.py" --log "$T/http.log" --port-file "$T/port" \
	--cert "$T/srv.pem" --key "$T/srv.key" &
HPID=$!
PIDS="$PIDS $HPID"
for _ in $(seq 100); do [ -s "$T/port" ] && break; sleep 0.1; done
U=https://localhost:$(cat "$T/port")
touch "$T/http.log"

# ---- apply of an edited adopted file: every change needs a restart ----
sed 's/cpuCount: .*/cpuCount: 4/' "$T/adopt.yaml" >"$T/edit.yaml"
run "$VMRECON" apply -f "$T/edit.yaml" --state-dir "$S" --ca-file "$T/ca.pem" \
	--notify "$U/hook" --metrics-file "$T/m.prom"
expect_rc 3 "apply with a change left pending exits 3"
expect_not_in "$T/out" "converged" "the text never says converged"
expect_in "$T/out" "edge-01: pending: 1 change waits for a restart" "the text says pending"
expect_in "$T/out" "Apply incomplete: 0 applied, 1 pending" "the summary says incomplete"
expect_eq "$(json_get "$S/status.json" "d['vms']['edge-01']['result']")" pending "status.json: pending"
expect_eq "$(json_get "$S/status.json" "'converged' in d['vms']['edge-01']['message']")" False \
	"status.json's message does not say converged"
expect_eq "$(json_get "$S/status.json" "'lastAppliedRevision' in d['vms']['edge-01']")" False \
	"a revision left pending is not lastAppliedRevision"
grep -q '^vmrecon_reconcile_total{result="pending"} 1' "$T/m.prom" &&
	! grep -q '^vmrecon_applied_revision_info' "$T/m.prom" &&
	ok "metrics: one pending, no applied revision" ||
	notok "metrics: $(grep -v '^#' "$T/m.prom" | head -5)"
$PY - "$T/http.log" <<'PY' && ok "the webhook says pending, not converged" || notok "webhook: $(head -c 400 "$T/http.log")"
import json, sys
hooks = [json.loads(json.loads(l)["body"]) for l in open(sys.argv[1]) if '"/hook"' in l]
assert hooks and all(h["result"] == "pending" and "converged" not in h["message"] for h in hooks), hooks
PY
run "$VMRECON" apply -f "$T/edit.yaml" --state-dir "$S" -o json
expect_rc 3 "apply -o json exits 3 too"
expect_eq "$(json_get "$T/out" "d['vms'][0]['result'] + ' ' + str('converged' in d['vms'][0]['message'])")" \
	"pending False" "JSON: pending, and the message does not say converged"

# after a restart (IfNeeded) the revision is applied
sed 's/restartPolicy: Never/restartPolicy: IfNeeded/' "$T/edit.yaml" >"$T/edit2.yaml"
run "$VMRECON" apply -f "$T/edit2.yaml" --state-dir "$S"
expect_rc 0 "IfNeeded applies it"
expect_eq "$(json_get "$S/status.json" "d['vms']['edge-01'].get('lastAppliedRevision','').startswith('blob:')")" \
	True "now lastAppliedRevision is set"

# ---- watch: the commit status is pending, the source not applied ----
W=$T/work
SRV=$T/srv.git
git_fixture "$SRV" "$W"
git -C "$W" remote add origin "file://$SRV"
mkdir -p "$W/hosts"
sed 's/cpuCount: .*/cpuCount: 6/' "$T/adopt.yaml" >"$W/hosts/$(uname -n).yaml"
git -C "$W" add -A && git -C "$W" commit -qm pending && git -C "$W" push -q origin HEAD:main
sha=$(git -C "$SRV" rev-parse main)
printf 'tok\n' >"$T/cstoken"
S2=$T/state2
run "$VMRECON" watch --once --repo "file://$SRV" --path "hosts/$(uname -n).yaml" --state-dir "$S2" --ca-file "$T/ca.pem" \
	--commit-status gitea --commit-status-url "$U/api/v1" --commit-status-repo ops/fleet \
	--commit-status-token-file "$T/cstoken"
expect_rc 3 "watch --once with changes left pending exits 3"
$PY - "$T/http.log" "$sha" <<'PY' && ok "the last commit status is pending, not success" || notok "commit statuses: $(grep statuses "$T/http.log" | tail -2)"
import json, sys
st = [json.loads(json.loads(l)["body"]) for l in open(sys.argv[1])
      if "/statuses/" + sys.argv[2] in l]
assert st and st[-1]["state"] == "pending" and "restart" in st[-1]["description"], st
PY
expect_eq "$(json_get "$S2/status.json" "d['source'].get('lastAppliedRevision')")" None \
	"the source's lastAppliedRevision does not move"
expect_eq "$(json_get "$S2/status.json" "d['source']['conditions'][0]['reason']")" RestartPending \
	"the source says RestartPending"
