# t0335-sim-lock.sh - two vmrecons on one sim file (each with its own state
# dir) never lose each other's updates: the sim backend serializes writers
# with flock(2) on FILE.lock.  Each round starts both applies at once, one
# changing VM "a" and one VM "b"; after the round both changes are in the
# file, and every apply that said it applied a change left that change and
# its restart in the file.
#
# How many rounds: enough to catch writers that do not serialize.  With
# the flock made a no-op, one round in three lost an update (21 of 60
# rounds, three runs); 40 rounds all miss that with odds of (2/3)^40,
# about 1e-7.  VR_ROUNDS=N runs N rounds, VR_LONG=1 200.
. "$(dirname "$0")/../lib.sh"
N=${VR_ROUNDS:-40}
[ -z "${VR_ROUNDS:-}" ] && [ "${VR_LONG:-}" = 1 ] && N=200
SIM=$T/sim.json
cat >"$SIM" <<'J'
{"host": {"logicalProcessors": 16, "memoryInMB": 65536},
 "vms": {"a": {"cpuCount": 1, "memoryInMB": 1024},
         "b": {"cpuCount": 1, "memoryInMB": 1024}}}
J
for v in a b; do for c in 2 3; do vm_yaml "$T/$v$c.yaml" "$v" "$c"; done; done
# state: "cpu-a/restarts-a cpu-b/restarts-b"
state() {
	json_get "$SIM" "'%d/%d %d/%d' % tuple(x for v in 'ab' for x in (d['vms'][v]['cpuCount'], d['vms'][v].get('restarts', 0)))"
}

lost=0 lied=0 failed=0 ra=0 rb=0
for i in $(seq 1 "$N"); do
	c=$((2 + i % 2))
	"$VMRECON" apply -f "$T/a$c.yaml" --state-dir "$T/sa" --backend "sim:$SIM" \
		>"$T/oa" 2>&1 &
	pa=$!
	"$VMRECON" apply -f "$T/b$c.yaml" --state-dir "$T/sb" --backend "sim:$SIM" \
		>"$T/ob" 2>&1 &
	pb=$!
	wait $pa || { failed=$((failed + 1)); sed 's/^/#   a: /' "$T/oa" | tail -2; }
	wait $pb || { failed=$((failed + 1)); sed 's/^/#   b: /' "$T/ob" | tail -2; }
	grep -q 'converged.*(1 change applied)' "$T/oa" && ra=$((ra + 1))
	grep -q 'converged.*(1 change applied)' "$T/ob" && rb=$((rb + 1))
	st=$(state)
	if [ "$st" != "$c/$ra $c/$rb" ]; then
		# both said converged: a value or a restart missing is a lost
		# update and a lie
		lost=$((lost + 1))
		[ $lost -le 5 ] && echo "# round $i: file has '$st', wanted '$c/$ra $c/$rb'"
		ra=$(echo "$st" | sed 's|^[0-9]*/\([0-9]*\) .*|\1|')
		rb=$(echo "$st" | sed 's|.*/||')
		lied=$((lied + 1))
	fi
done
expect_eq "$failed" 0 "every apply of $N rounds x 2 succeeded"
expect_eq "$lost" 0 "no update was lost in $N rounds of two concurrent applies on one sim file"
expect_eq "$lied" 0 "every 'converged (1 change applied)' is in the file"
