# t0185-plan.sh - saved plans, as terraform's: `diff --out PLAN` saves the
# plan with each VM's desired state and a digest of what was observed;
# `apply --plan PLAN` applies exactly that, and refuses with a clear
# message, changing nothing, if a VM changed since (optimistic
# concurrency), or if the plan is not one.
. "$(dirname "$0")/../lib.sh"
S=$T/state
SIM=$S/sim.json
ex=$VR_TOP/examples
set_cpu() { python3 "$VR_TOP/tests/simset.py" "$SIM" cpu edge-01 "$1"; }
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
sed 's/"backendTarget": "sim"/"backendTarget": "sim:\/elsewhere.json"/' "$T/plan3" >"$T/plan4"
run "$VMRECON" apply --plan "$T/plan4" --state-dir "$S"
expect_rc 1 "a plan made on another backend"
expect_in "$T/err" "the plan was made on sim:/elsewhere.json, not sim" "says so"
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
expect_rc 3 "a fresh plan applies (restartPolicy: Never leaves its changes pending: exit 3)"
