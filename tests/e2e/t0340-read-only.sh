# t0340-read-only.sh - diff, status and get (without --record) create and
# write nothing: not the state dir, not the sim file (a missing one is the
# default, in memory), not the lock.  status of a missing dir says so and
# never prints "(null)"; what a killed pass left in the journal is shown by
# status and folded in by the next apply.
. "$(dirname "$0")/../lib.sh"

vm_yaml "$T/vm.yaml" edge-01 2
# snap DIR: every entry under DIR with its inode, size, mtime and hash
snap() {
	[ -e "$1" ] || { echo "absent"; return; }
	find "$1" -printf '%p %i %s %T@\n' | sort
	find "$1" -type f -exec sha256sum {} + | sort
}

# 1. a state dir that does not exist
N=$T/new/a/b
run "$VMRECON" diff -f "$T/vm.yaml" --state-dir "$N"
expect_rc 2 "diff with a missing state dir reads the default sim in memory"
expect_in "$T/out" "cpuCount    1 -> 2" "and shows the change"
[ -e "$T/new" ] && notok "diff created $(find "$T/new" | head -3 | tr '\n' ' ')" ||
	ok "diff created no directory and no sim file"
run "$VMRECON" diff -f "$T/vm.yaml" --state-dir "$N" --backend "sim:$T/none.json"
expect_rc 2 "diff on a missing sim:FILE reads the default in memory"
[ -e "$T/none.json" ] || [ -e "$T/none.json.lock" ] &&
	notok "diff created the sim file or its lock" || ok "diff created no sim file"
run "$VMRECON" status --state-dir "$N"
expect_rc 1 "status of a missing state dir fails"
expect_in "$T/err" "no state dir '$N'" "and says the dir does not exist"
[ -e "$T/new" ] && notok "status created directories" || ok "status created no directory"
run "$VMRECON" get edge-01 --state-dir "$N"
expect_rc 0 "get with a missing state dir"
expect_in "$T/out" "cpuCount: 1" "shows the default sim's VM"
[ -e "$T/new" ] && notok "get created directories" || ok "get created nothing"

# 2. an existing state dir: nothing in it and no sim file changes
S=$T/s
run "$VMRECON" apply -f "$T/vm.yaml" --state-dir "$S"
expect_rc 0 "apply creates the state dir"
sed 's/cpuCount: 2/cpuCount: 4/' "$T/vm.yaml" >"$T/vm4.yaml"
before=$(snap "$S")
for cmd in "diff -f $T/vm4.yaml" "diff -f $T/vm4.yaml -o json" "status" \
    "status -o json" "get" "get edge-01 -o json"; do
	# shellcheck disable=SC2086
	run "$VMRECON" $cmd --state-dir "$S"
	case $RC in 0 | 2) ;; *) notok "$cmd: exit $RC"; sed 's/^/#   /' "$T/err" ;; esac
	[ "$(snap "$S")" = "$before" ] && ok "$cmd wrote nothing in the state dir" ||
		notok "$cmd changed the state dir: $(diff <(echo "$before") <(snap "$S") | head -4)"
done
run "$VMRECON" get edge-01 --record --state-dir "$S"
expect_rc 0 "get --record"
[ "$(snap "$S")" != "$before" ] && ok "get --record writes" || notok "get --record wrote nothing"

# 3. status never prints (null)
S=$T/n
mkdir -m 700 "$S"
printf '{"formatVersion": 1, "vms": {"bare": {}, "odd": {"result": 7, "message": null}}}' \
	>"$S/status.json"
run "$VMRECON" status --state-dir "$S"
expect_rc 2 "status with missing fields (no result: not Ready, exit 2)"
expect_not_in "$T/out" "(null)" "status prints no (null)"
expect_in "$T/out" "bare" "and lists the VM"

# 4. a journal left by a killed pass: status shows it and writes nothing;
# the next apply folds it in and removes it
S=$T/j
run "$VMRECON" apply -f "$T/vm.yaml" --state-dir "$S"
printf '%s\n%s' \
	'{"vm": "edge-01", "status": {"time": "2026-01-01T00:00:00Z", "result": "failed", "message": "from the journal"}}' \
	'{"vm": "edge-01", "status": {"time": "2026-01-01T00:00:01Z", "res' >"$S/journal"
chmod 600 "$S/journal"
before=$(snap "$S")
run "$VMRECON" status --state-dir "$S"
expect_rc 2 "status with a journal (its last result failed: exit 2)"
expect_in "$T/out" "from the journal" "status shows the journal's entry"
[ "$(snap "$S")" = "$before" ] && ok "status left the journal and files alone" ||
	notok "status changed the state dir"
run "$VMRECON" apply -f "$T/vm.yaml" --state-dir "$S"
expect_rc 0 "apply after a killed pass"
[ -e "$S/journal" ] && notok "the journal is still there" || ok "apply folded the journal in"
n=$(json_get "$S/status.json" "len(d['vms']['edge-01']['history'])")
expect_eq "$(json_get "$S/status.json" "[h['message'] for h in d['vms']['edge-01']['history']][1]")" \
	"from the journal" "the journal's entry is in status.json's history ($n entries; the torn line left out)"
