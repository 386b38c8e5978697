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
run "$VMRECON" validate -f "$T/d" "$T/list.json"
expect_rc 0 "validate -f DIR and an operand (checked on its own)"
expect_eq "$(grep -c ': valid' "$T/out")" 3 "three files checked"
run "$VMRECON" validate -f "$T/d" -R "$T/list.json"
expect_rc 1 "validate -f DIR -R and an operand: each file valid, the -f set not (edge-02 twice)"
expect_eq "$(grep -c ': valid' "$T/out")" 4 "four files checked"
run "$VMRECON" validate
expect_rc 1 "validate with nothing to check"

# validate takes the -f files as apply does: one desired state (issue 25);
# operands each on its own (alternatives, as examples/ holds)
run "$VMRECON" validate -f "$T/d" -R
expect_rc 1 "validate -f DIR -R: edge-02 in two files, as diff -R refuses"
expect_in "$T/err" "$T/d/sub/c.yaml:4:9: duplicate VM name 'edge-02' (first in $T/d/a.yml at line 4)" \
	"validate names the second file's line"
run "$VMRECON" validate -f "$T/d/b.yaml" -f "$T/dup.yaml"
expect_rc 1 "validate -f of two files naming one VM"
run "$VMRECON" validate "$T/d/b.yaml" "$T/dup.yaml"
expect_rc 0 "validate of two alternative files (operands) naming one VM"
mkdir -p "$T/case"
printf 'apiVersion: vmrecon/v1\nkind: VirtualMachine\nmetadata:\n  name: EDGE01-EFLOW\nspec:\n  cpuCount: 2\n' >"$T/case/a.yaml"
printf 'apiVersion: vmrecon/v1\nkind: VirtualMachine\nmetadata:\n  name: edge01-eflow\nspec:\n  cpuCount: 4\n' >"$T/case/b.yaml"
cat "$T/case/a.yaml" >"$T/case2.yaml"
printf -- '---\n' >>"$T/case2.yaml"
cat "$T/case/b.yaml" >>"$T/case2.yaml"
run "$VMRECON" validate "$T/case2.yaml" -b eflow
expect_rc 1 "validate -b eflow of one file naming one EFLOW VM in two cases"
expect_in "$T/err" "$T/case2.yaml:11:9: 'EDGE01-EFLOW' and 'edge01-eflow' name one VM" \
	"says where"
run "$VMRECON" validate -f "$T/case"
expect_rc 0 "names differing in case are two VMs on sim (the default backend)"
run "$VMRECON" validate -f "$T/case" --backend eflow
expect_rc 1 "validate --backend eflow: names differing in case name one EFLOW VM"
expect_in "$T/err" "$T/case/b.yaml:4:9: 'EDGE01-EFLOW' and 'edge01-eflow' name one VM" \
	"says which, where"
run "$VMRECON" validate -f "$T/case" --backend hyperv
expect_rc 1 "validate --backend hyperv: Hyper-V names ignore case too"
expect_in "$T/err" "$T/case/b.yaml:4:9: 'EDGE01-EFLOW' and 'edge01-eflow' name one VM" \
	"says which, where (hyperv)"
run "$VMRECON" validate -f "$T/case" --backend bhyve
expect_rc 1 "validate --backend with an unknown kind"
expect_in "$T/err" "unknown backend 'bhyve'" "says so"

# -f DIR: a .yaml that is not a regular file is an error naming it
mkdir -p "$T/odd"
vm edge-01 2 >"$T/odd/a.yaml"
ln -s "$T/odd/gone.yaml" "$T/odd/b.yaml"
run "$VMRECON" validate -f "$T/odd"
expect_rc 1 "validate -f DIR with a dangling symbolic link"
expect_in "$T/err" "'$T/odd/b.yaml' is a symbolic link to nothing (dangling)" "names it"
run "$VMRECON" diff -f "$T/odd" --state-dir "$S"
expect_rc 1 "diff -f DIR refuses it too"
rm "$T/odd/b.yaml"
mkfifo "$T/odd/c.yaml"
run "$VMRECON" validate -f "$T/odd"
expect_rc 1 "validate -f DIR with a FIFO"
expect_in "$T/err" "'$T/odd/c.yaml' is a FIFO, not a regular file" "names it"
rm "$T/odd/c.yaml"
ln -s /dev/null "$T/odd/d.yaml"
run "$VMRECON" apply -f "$T/odd" --state-dir "$S"
expect_rc 1 "apply -f DIR with a device"
expect_in "$T/err" "'$T/odd/d.yaml' is a character device, not a regular file" "names it"
rm "$T/odd/d.yaml"
run "$VMRECON" validate -f "$T/odd"
expect_rc 0 "without them the directory is valid"
