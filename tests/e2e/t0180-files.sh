# t0180-files.sh - -f as kubectl takes it: repeated, a directory (its
# .yaml/.yml/.json files in name order; -R for subdirectories), - for
# stdin; `kind: List` (get -o json of several VMs) accepted by validate,
# diff and apply; validate takes -f as well as operands.
. "$(dirname "$0")/../lib.sh"
S=$T/state
vm() { # NAME CPU [FILE]
	printf 'apiVersion: vmrecon/v1\nkind: VirtualMachine\nmetadata:\n  name: %s\nspec:\n  cpuCount: %s\n  restartPolicy: IfNeeded\n' "$1" "$2"
}
mkdir -p "$T/d/sub"
vm edge-01 2 >"$T/d/b.yaml"
vm edge-02 3 >"$T/d/a.yml"
vm edge-02 4 >"$T/d/sub/c.yaml"
echo 'not: a spec' >"$T/d/notes.txt"
vm edge-02 4 >"$T/sub.yaml"

# repeated -f
run "$VMRECON" diff -f "$T/d/b.yaml" -f "$T/d/a.yml" --state-dir "$S"
expect_rc 2 "diff -f a -f b"
expect_in "$T/out" "edge-01" "the first file's VM"
expect_in "$T/out" "edge-02" "the second file's VM"

# a directory: its files, not its subdirectories, not other names
run "$VMRECON" diff -f "$T/d" --state-dir "$S" -o json
expect_rc 2 "diff -f DIR"
expect_eq "$(json_get "$T/out" "[v['name'] for v in d['vms']]")" "['edge-02', 'edge-01']" \
	"the directory's .yaml and .yml files in name order, not its subdirectory or .txt"
run "$VMRECON" diff -f "$T/d" -R --state-dir "$S"
expect_rc 1 "-R adds the subdirectory's file"
expect_in "$T/err" "$T/d/sub/c.yaml:4:9: duplicate VM name 'edge-02' (first in $T/d/a.yml at line 4)" \
	"which names edge-02 again"
mkdir "$T/empty"
run "$VMRECON" diff -f "$T/empty" --state-dir "$S"
expect_rc 1 "an empty directory"
expect_in "$T/err" "has no .yaml, .yml or .json file" "says so"

# a VM named in two files
vm edge-01 5 >"$T/dup.yaml"
run "$VMRECON" apply -f "$T/d/b.yaml" -f "$T/dup.yaml" --state-dir "$S"
expect_rc 1 "a VM in two files"
expect_in "$T/err" "$T/dup.yaml:4:9: duplicate VM name 'edge-01' (first in $T/d/b.yaml at line 4)" \
	"named at the second with the first"
# a problem in each of two files: both reported, nothing applied
printf 'apiVersion: vmrecon/v1\nkind: VirtualMachine\nmetadata:\n  name: edge-01\nspec:\n  cpuCont: 2\n' >"$T/bad1.yaml"
printf 'apiVersion: vmrecon/v1\nkind: VirtualMachine\nmetadata:\n  name: edge-02\nspec:\n  memoryInMB: -1\n' >"$T/bad2.yaml"
run "$VMRECON" apply -f "$T/bad1.yaml" -f "$T/bad2.yaml" --state-dir "$S"
expect_rc 1 "two bad files"
expect_in "$T/err" "bad1.yaml:6:3" "the first file's problem"
expect_in "$T/err" "bad2.yaml:6:" "and the second's"
[ ! -e "$S/sim.json" ] || [ "$(json_get "$S/sim.json" "d['vms']['edge-01']['cpuCount']")" != 2 ] &&
	ok "nothing applied" || notok "bad files applied"

# apply of a directory, then the same from stdin
run "$VMRECON" apply -f "$T/d" --state-dir "$S"
expect_rc 0 "apply -f DIR"
expect_eq "$(json_get "$S/sim.json" "d['vms']['edge-01']['cpuCount'], d['vms']['edge-02']['cpuCount']")" \
	"(2, 3)" "both VMs applied"
cat "$T/d/b.yaml" | run "$VMRECON" diff -f - -f "$T/d/a.yml" --state-dir "$S"
expect_rc 0 "diff -f - -f FILE: stdin with a file, in sync"
run "$VMRECON" diff -f - -f - --state-dir "$S" </dev/null
expect_rc 1 "stdin twice is refused"

# kind: List, as get -o json prints it for several VMs
run "$VMRECON" get -o json --state-dir "$S"
expect_rc 0 "get -o json of every VM"
expect_eq "$(json_get "$T/out" "d['kind']")" List "is a List"
cp "$T/out" "$T/list.json"
run "$VMRECON" validate "$T/list.json"
expect_rc 0 "validate accepts the List"
expect_in "$T/out" "valid (2 VMs)" "with both VMs"
run "$VMRECON" diff -f "$T/list.json" --state-dir "$S"
expect_rc 0 "diff of the List is in sync"
sed 's/"cpuCount": 3/"cpuCount": 6/; s/"Never"/"IfNeeded"/' "$T/list.json" >"$T/list2.json"
run "$VMRECON" apply -f "$T/list2.json" --state-dir "$S"
expect_rc 0 "apply of an edited List"
expect_eq "$(json_get "$S/sim.json" "d['vms']['edge-02']['cpuCount']")" 6 "applied"
printf 'apiVersion: v1\nkind: List\nitems: 3\n' >"$T/badlist.yaml"
run "$VMRECON" validate "$T/badlist.yaml"
expect_rc 1 "a List without a sequence of items"
expect_in "$T/err" "a 'kind: List' needs 'items'" "says what it needs"

# validate: -f like diff and apply, and directories
run "$VMRECON" validate -f "$T/d/b.yaml"
expect_rc 0 "validate -f FILE"
run "$VMRECON" validate -f "$T/d" -R "$T/list.json"
expect_rc 0 "validate -f DIR -R and an operand"
expect_eq "$(grep -c ': valid' "$T/out")" 4 "four files checked"
run "$VMRECON" validate
expect_rc 1 "validate with nothing to check"
