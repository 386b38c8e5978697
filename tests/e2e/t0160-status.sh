# t0160-status.sh - `vmrecon status` text as `flux get`: one line per VM
# and one for the Git source, Ready or not, the reason and message, the
# revisions, since when; exit 2 when any of them is not Ready, 0 when all
# are, for scripts.
. "$(dirname "$0")/../lib.sh"
S=$T/state
ex=$VR_TOP/examples
HOST=$(uname -n)

# a converged VM: Ready, exit 0
run "$VMRECON" apply -f "$ex/a2-dda.yaml" --state-dir "$S"
expect_rc 0 "apply the example"
run "$VMRECON" status --state-dir "$S"
expect_rc 0 "status of a converged VM"
expect_in "$T/out" "READY" "a header names the columns"
grep -Eq '^vm +edge-01 +True +ReconciliationSucceeded +blob:[0-9a-f]{12} ' "$T/out" &&
	ok "one line: kind, name, Ready, reason, applied revision" ||
	notok "status line: $(cat "$T/out")"

# a pending VM: not Ready, exit 2, in text and JSON
sed 's/cpuCount: .*/cpuCount: 3/; s/restartPolicy: IfNeeded/restartPolicy: Never/' \
	"$ex/a2-dda.yaml" >"$T/never.yaml"
run "$VMRECON" apply -f "$T/never.yaml" --state-dir "$S"
expect_rc 3 "a change left pending"
run "$VMRECON" status --state-dir "$S"
expect_rc 2 "status exits 2 when a VM is not Ready"
grep -Eq '^vm +edge-01 +False +RestartPending .*pending: 1 change waits for a restart' "$T/out" &&
	ok "the VM's line says False, RestartPending and why" || notok "pending line: $(cat "$T/out")"
run "$VMRECON" status --state-dir "$S" -o json
expect_rc 2 "status -o json exits 2 as well"

# watch --once failures: the source's line says why
SRV=$T/srv.git
W=$T/work
git_fixture "$SRV" "$W"
git -C "$W" remote add origin "file://$SRV"
echo x >"$W/README" && git -C "$W" add -A && git -C "$W" commit -qm init &&
	git -C "$W" push -q origin HEAD:main
sha=$(git -C "$SRV" rev-parse main)
S2=$T/state2
run "$VMRECON" watch --once --repo "file://$SRV" --path "hosts/$HOST.yaml" --state-dir "$S2"
expect_rc 1 "watch --once with a missing file fails"
run "$VMRECON" status --state-dir "$S2"
expect_rc 2 "status after the failed watch exits 2"
grep -Eq "^source +file://$SRV +False +ArtifactFailed +- +main@sha1:${sha:0:12} .*hosts/$HOST.yaml" "$T/out" &&
	ok "the source line: url, False, ArtifactFailed, nothing applied, the fetched revision, the message" ||
	notok "source line: $(cat "$T/out")"

S3=$T/state3
run "$VMRECON" watch --once --repo "file://$SRV" --ref nosuch --path "hosts/$HOST.yaml" --state-dir "$S3"
expect_rc 1 "watch --once of a missing branch fails"
run "$VMRECON" status --state-dir "$S3"
expect_rc 2 "status after it exits 2"
grep -Eq "^source +file://$SRV +False +FetchFailed +- +- .*nosuch" "$T/out" &&
	ok "the source line says FetchFailed and names the ref" || notok "source line: $(cat "$T/out")"

# a file that converges: everything Ready again, exit 0
mkdir -p "$W/hosts" && cp "$ex/a2-dda.yaml" "$W/hosts/$HOST.yaml"
git -C "$W" add -A && git -C "$W" commit -qm vm && git -C "$W" push -q origin HEAD:main
run "$VMRECON" watch --once --repo "file://$SRV" --path "hosts/$HOST.yaml" --state-dir "$S2"
expect_rc 0 "watch --once applies the file"
run "$VMRECON" status --state-dir "$S2"
expect_rc 0 "status exits 0 when the VM and the source are Ready"
grep -Eq "^source +file://$SRV +True +Succeeded +main@sha1:[0-9a-f]{12} +main@sha1:" "$T/out" &&
	ok "the source line: True, Succeeded, applied and fetched revisions" || notok "source line: $(cat "$T/out")"

# the columns stay aligned with a long URL, and say when each was last
# reconciled: every cell starts where its header does
cat >"$T/aligned.py" <<'PY'
import re, sys
lines = open(sys.argv[1]).read().splitlines()
head = lines[0]
starts = [m.start() for m in re.finditer(r"\S+", head)]
assert head.split()[6] == "RECONCILED", head
for line in lines[1:]:
    cells = [m.start() for m in re.finditer(r"(?:(?<=  )|^)\S", line)]
    assert cells[:len(starts) - 1] == starts[:-1], (line, cells, starts)
PY
/usr/bin/python3 "$T/aligned.py" "$T/out" &&
	ok "columns aligned under their headers, the long file:// URL included" ||
	notok "columns out of line: $(cat "$T/out")"
awk 'NR > 1 && $1 == "vm" { print $7 }' "$T/out" | grep -Eq '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]{8}Z$' &&
	ok "RECONCILED: the time of the VM's last reconcile" || notok "no reconcile time: $(cat "$T/out")"
