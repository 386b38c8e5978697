# t0165-json-shape.sh - one status shape and one JSON document: `status
# -o json` has the same keys per VM (a Ready condition with its reason
# among them) after `apply` as after `watch`, whatever the result; and
# every command that takes -o json prints exactly one JSON document on
# stdout, with "error" when it fails, so `| jq` never reads nothing.
. "$(dirname "$0")/../lib.sh"
HOST=$(uname -n)
ex=$VR_TOP/examples

# keys FILE VM: the key paths of that VM in a status document, sorted
keys() {
	/usr/bin/python3 - "$1" "$2" <<'PY'
import json, sys
vm = json.load(open(sys.argv[1]))["vms"][sys.argv[2]]
def walk(v, at):
    if isinstance(v, dict):
        for k in v:
            yield from walk(v[k], at + "." + k)
    elif isinstance(v, list):
        yield at + "[]"
        for x in v:
            yield from walk(x, at + "[]")
    else:
        yield at
print(" ".join(sorted(set(walk(vm, "")))))
PY
}
# one_doc FILE: exactly one JSON value in FILE (what jq would read)
one_doc() {
	/usr/bin/python3 - "$1" <<'PY'
import json, sys
text = open(sys.argv[1]).read()
dec = json.JSONDecoder()
doc, end = dec.raw_decode(text.lstrip())
assert text.lstrip()[end:].strip() == "", "more than one document"
print(json.dumps(doc))
PY
}
# expect_json_error DESC: the last run printed one document with "error"
expect_json_error() {
	local d
	if d=$(one_doc "$T/out" 2>/dev/null) &&
		[ "$(/usr/bin/python3 -c 'import json,sys; print(bool(json.loads(sys.argv[1]).get("error")))' "$d")" = True ]; then
		ok "$1: one JSON document with the error"
	else
		notok "$1: stdout is not one JSON document with \"error\": $(head -c 300 "$T/out")"
	fi
}

echo "# --- status after apply, after watch"
S1=$T/apply
run "$VMRECON" apply -f "$ex/a2-dda.yaml" --state-dir "$S1"
expect_rc 0 "apply the example"
run "$VMRECON" status -o json --state-dir "$S1"
expect_rc 0 "status -o json after apply"
cp "$T/out" "$T/st-apply.json"
expect_eq "$(json_get "$T/st-apply.json" "d['vms']['edge-01']['conditions'][0]['type']")" \
	Ready "after apply: a Ready condition"
expect_eq "$(json_get "$T/st-apply.json" "d['vms']['edge-01']['conditions'][0]['reason']")" \
	ReconciliationSucceeded "with its reason"

SRV=$T/srv.git
W=$T/work
git_fixture "$SRV" "$W"
git -C "$W" remote add origin "file://$SRV"
mkdir -p "$W/hosts" && cp "$ex/a2-dda.yaml" "$W/hosts/$HOST.yaml"
git -C "$W" add -A && git -C "$W" commit -qm vm && git -C "$W" push -q origin HEAD:main
S2=$T/watch
run "$VMRECON" watch --once --repo "file://$SRV" --path "hosts/$HOST.yaml" --state-dir "$S2"
expect_rc 0 "watch --once the same file"
run "$VMRECON" status -o json --state-dir "$S2"
cp "$T/out" "$T/st-watch.json"
a=$(keys "$T/st-apply.json" edge-01)
w=$(keys "$T/st-watch.json" edge-01)
expect_eq "$a" "$w" "a VM's status has the same keys after apply as after watch"
echo "# keys: $a"

# a pending and a failed result, recorded by apply: the same shape again
sed 's/cpuCount: .*/cpuCount: 3/; s/restartPolicy: IfNeeded/restartPolicy: Never/' \
	"$ex/a2-dda.yaml" >"$T/never.yaml"
run "$VMRECON" apply -f "$T/never.yaml" --state-dir "$S1"
expect_rc 3 "apply leaves a change pending"
run "$VMRECON" status -o json --state-dir "$S1"
expect_eq "$(json_get "$T/out" "d['vms']['edge-01']['conditions'][0]['reason']")" \
	RestartPending "status -o json after a pending apply: Ready False, RestartPending"
expect_eq "$(keys "$T/out" edge-01)" "$w" "the same keys"
run "$VMRECON" apply -f "$ex/a2-dda.yaml" --state-dir "$S1" -b "sim:$T/nosuchdir/sim.json"
expect_rc 1 "apply with a backend that cannot open"
run "$VMRECON" status -o json --state-dir "$S1"
expect_eq "$(json_get "$T/out" "d['vms']['edge-01']['conditions'][0]['reason']")" \
	ReconciliationFailed "status -o json after a failed apply: ReconciliationFailed"
expect_eq "$(keys "$T/out" edge-01)" "$w" "the same keys"

echo "# --- -o json: one document, also on failure"
run "$VMRECON" apply -f "$T/missing.yaml" -o json --state-dir "$S1"
expect_rc 1 "apply of a missing file"
expect_json_error "apply -o json of a missing file"
printf 'apiVersion: vmrecon/v1\nkind: VirtualMachine\nmetadata:\n  name: edge-01\nspec:\n  cpuCount: [\n' >"$T/bad.yaml"
run "$VMRECON" diff -f "$T/bad.yaml" -o json --state-dir "$S1"
expect_rc 1 "diff of a bad file"
expect_json_error "diff -o json of a bad file"
expect_in "$T/out" "bad.yaml" "naming the file"
run "$VMRECON" apply -f "$ex/a2-dda.yaml" -o json --state-dir "$S1" -b "sim:$T/nosuchdir/sim.json"
expect_rc 1 "apply with a backend that cannot open"
expect_json_error "apply -o json with a backend that cannot open"
sed 's/cpuCount: .*/cpuCount: 999/' "$ex/a2-dda.yaml" >"$T/big.yaml"
run "$VMRECON" apply -f "$T/big.yaml" -o json --state-dir "$S1"
expect_rc 1 "apply refused by preflight"
expect_json_error "apply -o json refused by preflight"
/usr/bin/python3 "$VR_TOP/tests/simset.py" "$S1/sim.json" fault "injected apply failure"
run "$VMRECON" apply -f "$ex/a2-dda.yaml" -f "$T/never.yaml" -o json --state-dir "$S1"
expect_rc 1 "two files naming one VM"
expect_json_error "apply -o json of two files naming one VM"
sed 's/cpuCount: .*/cpuCount: 2/' "$ex/a2-dda.yaml" >"$T/two.yaml"
run "$VMRECON" apply -f "$T/two.yaml" -o json --state-dir "$S1"
expect_rc 1 "apply whose backend fails"
expect_json_error "apply -o json whose backend fails"
expect_eq "$(json_get "$T/out" "d['vms'][0]['result']")" failed \
	"the plan's document, with the VM's result and the error"
/usr/bin/python3 "$VR_TOP/tests/simset.py" "$S1/sim.json" fault ""
run "$VMRECON" apply --no-such-option -o json -f "$T/two.yaml" --state-dir "$S1"
expect_rc 1 "a usage error"
expect_json_error "apply: a usage error before -o json"
run "$VMRECON" status -o json --state-dir "$T/nosuchdir"
expect_rc 1 "status of a missing state dir"
expect_json_error "status -o json of a missing state dir"
mkdir -m 700 "$T/empty"
run "$VMRECON" status -o json --state-dir "$T/empty"
expect_rc 0 "status of a state dir with nothing recorded"
one_doc "$T/out" >/dev/null 2>&1 &&
	expect_eq "$(json_get "$T/out" "len(d['vms'])")" 0 "status -o json: an empty document, not a sentence" ||
	notok "status -o json of an empty state dir: $(cat "$T/out")"
run "$VMRECON" get nosuchvm -o json --state-dir "$S1"
expect_rc 1 "get of a VM that does not exist"
expect_json_error "get -o json of a VM that does not exist"
run "$VMRECON" diff -f "$ex/a2-dda.yaml" -o json --state-dir "$S1"
one_doc "$T/out" >/dev/null 2>&1 && ! grep -q '"error"' "$T/out" &&
	ok "a diff that works: its plan, without \"error\"" || notok "diff -o json: $(head -c 300 "$T/out")"
