# t0185-plan.sh - saved plans, as terraform's: `diff --out PLAN` saves the
# plan with each VM's desired state and a digest of what was observed;
# `apply --plan PLAN` applies exactly that, and refuses with a clear
# message, changing nothing, if a VM changed since (optimistic
# concurrency), or if the plan is not one: edited by hand (its planDigest),
# an entry's digest moved onto another VM's desired state, a VM planned
# twice.  A plan made on another machine (another state dir) applies.
. "$(dirname "$0")/../lib.sh"
S=$T/state
SIM=$S/sim.json
ex=$VR_TOP/examples
set_cpu() { /usr/bin/python3 "$VR_TOP/tests/simset.py" "$SIM" cpu edge-01 "$1"; }
cpu() { json_get "$SIM" "d['vms']['edge-01']['cpuCount']"; }

run "$VMRECON" diff -f "$ex/a2-dda.yaml" --state-dir "$S" -o json --out "$T/plan"
expect_rc 2 "diff -o json --out PLAN: changes to make"
cmp -s "$T/out" "$T/plan" && ok "the saved plan is what -o json printed" || notok "plan differs from stdout"
expect_eq "$(json_get "$T/plan" "d['vms'][0]['observedDigest'][:5]")" "sha1:" "the plan has the observed digest"
expect_eq "$(json_get "$T/plan" "d['vms'][0]['desired']['spec']['cpuCount']")" 4 "and the desired state"

# the file changes after the plan: apply --plan applies the plan, not the file
cp "$ex/a2-dda.yaml" "$T/vm.yaml"
run "$VMRECON" diff -f "$T/vm.yaml" --state-dir "$S" --out "$T/plan2"
expect_rc 2 "diff --out with text output"
expect_in "$T/out" "Plan:" "text goes to stdout"
sed -i 's/cpuCount: .*/cpuCount: 6/' "$T/vm.yaml"
run "$VMRECON" apply --plan "$T/plan2" --state-dir "$S"
expect_rc 0 "apply --plan PLAN"
expect_eq "$(cpu)" 4 "applied the plan's cpuCount, not the edited file's"
expect_in "$S/status.json" "$(json_get "$T/plan2" "d['revision']")" "status records the plan's revision"

# the VM changes after the plan: refused, nothing applied
run "$VMRECON" diff -f "$ex/cpu-memory-only.yaml" --state-dir "$S" --out "$T/plan3"
expect_rc 2 "a new plan"
set_cpu 7
before=$(sha256sum <"$SIM")
run "$VMRECON" apply --plan "$T/plan3" --state-dir "$S"
expect_rc 1 "apply of a stale plan"
expect_in "$T/err" "vmrecon: edge-01 changed since the plan was made" "says which VM changed"
expect_in "$T/err" "nothing was applied: make a new plan with diff --out" "and what to do"
expect_eq "$(sha256sum <"$SIM")" "$before" "the VM is untouched"

# a plan made on another backend target, and files that are no plans
run "$VMRECON" diff -f "$ex/cpu-memory-only.yaml" --state-dir "$S" \
	--backend "sim:$T/elsewhere.json" --out "$T/plan4"
expect_rc 2 "a plan on another backend target"
run "$VMRECON" apply --plan "$T/plan4" --state-dir "$S"
expect_rc 1 "a plan made on another backend"
expect_in "$T/err" "the plan was made on sim:$T/elsewhere.json, not sim" "says so"
run "$VMRECON" apply --plan "$ex/a2-dda.yaml" --state-dir "$S"
expect_rc 1 "a YAML file is not a plan"
expect_in "$T/err" "is not JSON" "says so"
echo '{"formatVersion": 1, "vms": []}' >"$T/empty"
run "$VMRECON" apply --plan "$T/empty" --state-dir "$S"
expect_in "$T/err" "is not a saved plan: make one with 'vmrecon diff -f FILE -o json --out PLAN'" \
	"an empty plan: how to make one"
run "$VMRECON" apply --plan "$T/plan3" -f "$ex/a2-dda.yaml" --state-dir "$S"
expect_rc 1 "-f and --plan together"
expect_in "$T/err" "apply takes -f or --plan, not both" "refused"
run "$VMRECON" apply --state-dir "$S"
expect_in "$T/err" "apply needs -f FILE|DIR|URL or --plan PLAN" "apply with neither"

# a fresh plan of the same file applies
run "$VMRECON" diff -f "$ex/cpu-memory-only.yaml" --state-dir "$S" --out "$T/plan5"
run "$VMRECON" apply --plan "$T/plan5" --state-dir "$S"
expect_rc 0 "a fresh plan applies"

# ---- edited plans ----
# edit PLAN OUT PYTHON [reseal]: OUT is PLAN changed by PYTHON (on d, the
# plan); with reseal, planDigest is recomputed as vmrecon does (compact,
# sorted keys): anyone who can write a plan can, so the checks after the
# digest must hold on their own
edit() {
	/usr/bin/python3 - "$@" <<'PY'
import hashlib, json, sys
src, out, code = sys.argv[1:4]
d = json.load(open(src))
exec(code)
if sys.argv[4:] == ["reseal"]:
    rest = {k: v for k, v in d.items() if k != "planDigest"}
    text = json.dumps(rest, separators=(",", ":"), sort_keys=True,
                      ensure_ascii=False)
    d["planDigest"] = "sha1:" + hashlib.sha1(text.encode()).hexdigest()
json.dump(d, open(out, "w"), indent=2)
PY
}
cpu2() { json_get "$SIM" "d['vms']['edge-02']['cpuCount']"; }
cat >"$T/two.yaml" <<'Y'
apiVersion: vmrecon/v1
kind: VirtualMachine
metadata:
  name: edge-01
spec:
  cpuCount: 5
  restartPolicy: IfNeeded
---
apiVersion: vmrecon/v1
kind: VirtualMachine
metadata:
  name: edge-02
spec:
  cpuCount: 5
  restartPolicy: IfNeeded
Y
S=$T/state2
SIM=$S/sim.json
run "$VMRECON" get --record --state-dir "$S"
run "$VMRECON" diff -f "$T/two.yaml" --state-dir "$S" --out "$T/p2"
expect_rc 2 "a plan of two VMs"
expect_eq "$(json_get "$T/p2" "d['planDigest'][:5]")" "sha1:" "the plan carries its own digest"
/usr/bin/python3 "$VR_TOP/tests/simset.py" "$SIM" cpu edge-02 7
before=$(sha256sum <"$SIM")
# the issue's attack: edge-01's name and digest (unchanged since) copied
# onto edge-02's entry, whose VM drifted
take='d["vms"][1]["name"] = d["vms"][0]["name"]; d["vms"][1]["observedDigest"] = d["vms"][0]["observedDigest"]'
edit "$T/p2" "$T/p2-moved" "$take"
run "$VMRECON" apply --plan "$T/p2-moved" --state-dir "$S"
expect_rc 1 "a plan with a digest moved to another VM's entry"
expect_in "$T/err" "was edited after diff --out wrote it: its content does not match its planDigest; nothing was applied" \
	"is refused as an edited plan"
edit "$T/p2" "$T/p2-moved" "$take" reseal
run "$VMRECON" apply --plan "$T/p2-moved" --state-dir "$S"
expect_rc 1 "the same with its planDigest recomputed"
expect_in "$T/err" "vms[1] is VM edge-01, but its desired state is for VM edge-02; nothing was applied" \
	"is refused: the entry's name is not its desired VM's"
edit "$T/p2" "$T/p2-dup" 'd["vms"][1] = d["vms"][0]' reseal
run "$VMRECON" apply --plan "$T/p2-dup" --state-dir "$S"
expect_rc 1 "a plan with a VM twice"
expect_in "$T/err" "VM edge-01 is planned twice (vms[0] and vms[1]); nothing was applied" \
	"is refused, naming the VM and both entries"
edit "$T/p2" "$T/p2-cpu" 'd["vms"][0]["desired"]["spec"]["cpuCount"] = 6'
run "$VMRECON" apply --plan "$T/p2-cpu" --state-dir "$S"
expect_rc 1 "a plan whose desired state was edited"
expect_in "$T/err" "was edited after diff --out wrote it" "is refused as edited"
edit "$T/p2" "$T/p2-bare" 'del d["planDigest"]'
run "$VMRECON" apply --plan "$T/p2-bare" --state-dir "$S"
expect_rc 1 "a plan without planDigest"
expect_in "$T/err" "has no planDigest: it was not written by this vmrecon's diff --out; nothing was applied" \
	"is refused, saying so"
expect_eq "$(sha256sum <"$SIM")" "$before" "no edited plan changed a VM"
expect_eq "$(cpu2)" 7 "edge-02 kept its drift"
# re-indented, with its keys in another order: the same plan, applied
# where edge-02 drifted it is refused as changed, as it must be
edit "$T/p2" "$T/p2-indent" 'd = dict(reversed(list(d.items())))'
run "$VMRECON" apply --plan "$T/p2-indent" --state-dir "$S"
expect_rc 1 "a re-indented plan reaches the VM check"
expect_in "$T/err" "edge-02 changed since the plan was made" \
	"and is refused there for edge-02's drift, not as edited"

# a plan made on one machine applies on another of the same backend:
# here another state dir (and its sim) in the same state
run "$VMRECON" diff -f "$T/two.yaml" --state-dir "$T/m1" --out "$T/p-m1"
expect_rc 2 "a plan made on machine 1"
run "$VMRECON" apply --plan "$T/p-m1" --state-dir "$T/m2"
expect_rc 0 "applies on machine 2"
expect_eq "$(json_get "$T/m2/sim.json" "d['vms']['edge-02']['cpuCount']")" 5 \
	"with the plan's desired state"

# a plan given where a desired state goes: every command says use --plan
for c in apply diff validate; do
	run "$VMRECON" "$c" -f "$T/p-m1" --state-dir "$T/m3"
	[ "$c" = validate ] && run "$VMRECON" validate "$T/p-m1"
	expect_rc 1 "$c -f PLAN"
	expect_in "$T/err" "$T/p-m1:1:1: this is a saved plan (from diff --out), not a desired state: use --plan (vmrecon apply --plan $T/p-m1)" \
		"$c says it is a saved plan and to use --plan"
done
[ ! -e "$T/m3" ] && ok "and nothing was created" || notok "apply -f PLAN created its state dir"

# the example of examples/ runs as it is, and does what it says
run env VMRECON="$VMRECON" sh "$ex/saved-plan.sh" "$T/example"
expect_rc 0 "examples/saved-plan.sh runs to its end"
expect_in "$T/out" "Apply complete: 3 applied" "it applies its saved plan"
expect_in "$T/err" "edge-01 changed since the plan was made" "then a plan the VM outran is refused"
expect_in "$T/err" "this is a saved plan (from diff --out)" "and a plan given with -f is named"
expect_eq "$(json_get "$T/example/sim.json" "d['vms']['edge-01']['cpuCount']")" 6 \
	"the refused plan changed nothing"
