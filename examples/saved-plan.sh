#!/bin/sh
# saved-plan.sh - a saved plan, as terraform's `plan -out` and `apply
# PLAN`, on the simulated host: save the plan, read it, apply exactly it;
# then a plan made before the VM changed, refused with nothing applied.
#
#   sh examples/saved-plan.sh [DIR]      (VMRECON=path/to/vmrecon to pick one)
#
# Everything it writes goes to DIR (default: a new temporary directory):
# the simulated host (sim.json), the state dir and the plans.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
vmrecon=${VMRECON:-vmrecon}
dir=${1:-$(mktemp -d)}
mkdir -p "$dir"
sim="sim:$dir/sim.json"       # name the simulated host: no implicit default
st="$dir/state"
say() { printf '\n$ %s\n' "$*"; }

# 1. Save the plan (exit 2: there are changes to make).
say vmrecon diff -f a2-dda.yaml --out plan.json
rc=0
"$vmrecon" diff -f "$here/a2-dda.yaml" -b "$sim" --state-dir "$st" \
	--out "$dir/plan.json" || rc=$?
[ "$rc" -eq 2 ] || { echo "diff: exit $rc, wanted 2" >&2; exit 1; }

# 2. Read what it will do: each VM's desired state, and the digest of the
#    VM as diff saw it; it holds no file name, so the file may change now.
say grep observedDigest plan.json
grep -o '"observedDigest": "[^"]*"' "$dir/plan.json"

# 3. Apply exactly that plan.
say vmrecon apply --plan plan.json
"$vmrecon" apply --plan "$dir/plan.json" -b "$sim" --state-dir "$st"

# 4. A plan made, then the VM changed by someone else before it was
#    applied: nothing is applied, and the message says to plan again.
say vmrecon diff -f cpu-memory-only.yaml --out plan2.json
rc=0
"$vmrecon" diff -f "$here/cpu-memory-only.yaml" -b "$sim" --state-dir "$st" \
	--out "$dir/plan2.json" || rc=$?
[ "$rc" -eq 2 ] || { echo "diff: exit $rc, wanted 2" >&2; exit 1; }
say "(meanwhile someone gives edge-01 6 CPUs)"
cat >"$dir/six.yaml" <<'YAML'
apiVersion: vmrecon/v1
kind: VirtualMachine
metadata:
  name: edge-01
spec:
  cpuCount: 6
  restartPolicy: IfNeeded
YAML
"$vmrecon" apply -f "$dir/six.yaml" -b "$sim" --state-dir "$st" >/dev/null
say vmrecon apply --plan plan2.json
rc=0
"$vmrecon" apply --plan "$dir/plan2.json" -b "$sim" --state-dir "$st" || rc=$?
[ "$rc" -eq 1 ] || { echo "apply --plan: exit $rc, wanted 1" >&2; exit 1; }

# 5. A plan given where a desired-state file goes is named for what it is.
say vmrecon apply -f plan.json
rc=0
"$vmrecon" apply -f "$dir/plan.json" -b "$sim" --state-dir "$st" || rc=$?
[ "$rc" -eq 1 ] || { echo "apply -f PLAN: exit $rc, wanted 1" >&2; exit 1; }
printf '\nsaved-plan.sh: done; its files are in %s\n' "$dir"
