# t0290-valgrind.sh - no leak and no invalid access on the CLI paths
# (validate, diff, apply, get, status; good and bad input) under memcheck.
#@ full-only: memcheck, the full suite's memory-checking pass
#@ no-san: valgrind cannot run an ASan binary
. "$(dirname "$0")/../lib.sh"
if [ "${SANITIZE:-}" = 1 ]; then
	skip_all "under SANITIZE=1 (ASan replaces memcheck there)"
fi
S=$T/state
ex=$VR_TOP/examples
printf 'apiVersion: vmrecon/v1\nkind: VirtualMachine\nmetadata:\n  name: edge-01\nspec:\n  memoryInMb: 3\n  cpuCount: "4"\n' >"$T/bad.yaml"
vg() { # DESC WANT-RC ARGS...
	local desc=$1 want=$2
	shift 2
	valgrind -q --leak-check=full --show-leak-kinds=definite,indirect \
		--errors-for-leak-kinds=definite,indirect --error-exitcode=99 \
		"$VMRECON" "$@" >"$T/out" 2>"$T/err"
	RC=$?
	if [ "$RC" -eq "$want" ]; then ok "memcheck clean: $desc"; else
		notok "memcheck: $desc exited $RC (want $want)"
		sed 's/^/#   /' "$T/err" | head -30
	fi
}
vg "validate examples" 0 validate "$ex"/*.yaml
vg "validate bad file" 1 validate "$T/bad.yaml"
vg "diff" 2 diff -f "$ex/a2-dda.yaml" --state-dir "$S"
vg "diff -o json" 2 diff -f "$ex/a2-dda.yaml" --state-dir "$S" -o json
vg "apply" 0 apply -f "$ex/a2-dda.yaml" --state-dir "$S"
vg "apply -o json in sync" 0 apply -f "$ex/a2-dda.yaml" --state-dir "$S" -o json
vg "apply with a backend that cannot open" 1 apply -f "$ex/iris-pv.yaml" --state-dir "$S" --backend sim:/nonexistent-dir/x.json
vg "get" 0 get --state-dir "$S"
vg "get -o json --record" 0 get -o json --record --state-dir "$S"
vg "status (iris-pv failed: not Ready, exit 2)" 2 status --state-dir "$S"
vg "unknown command" 1 frobnicate
