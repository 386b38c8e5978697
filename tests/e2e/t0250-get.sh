# t0250-get.sh - `vmrecon get` on sim: what it prints validates, and diff of
# it against the same VM finds nothing (the adoption round trip).
. "$(dirname "$0")/../lib.sh"
S=$T/state
run "$VMRECON" get --state-dir "$S"
expect_rc 0 "get every VM of a fresh sim"
expect_in "$T/out" "# edge-01 on sim, observed " "header names the VM, backend and time"
expect_in "$T/out" "gpu: none" "a VM without GPU says gpu: none"
cp "$T/out" "$T/all.yaml"
run "$VMRECON" validate "$T/all.yaml"
expect_rc 0 "get output validates"
run "$VMRECON" diff -f "$T/all.yaml" --state-dir "$S"
expect_rc 0 "diff of get output is in sync"

# after a change, with a GPU whose name needs quoting care
run "$VMRECON" apply -f "$VR_TOP/examples/iris-pv.yaml" --state-dir "$S"
expect_rc 0 "apply the Iris example"
run "$VMRECON" get edge-01 --state-dir "$S"
expect_rc 0 "get one VM by name"
expect_in "$T/out" "Intel(R) Iris(R) Xe Graphics" "GPU name printed"
expect_not_in "$T/out" "edge-02" "only the named VM"
cp "$T/out" "$T/one.yaml"
run "$VMRECON" diff -f "$T/one.yaml" --state-dir "$S"
expect_rc 0 "round trip with a GPU"

run "$VMRECON" get edge-01 -o json --state-dir "$S"
expect_rc 0 "get -o json"
expect_eq "$(json_get "$T/out" "d['spec']['gpu']['passthroughType']")" ParaVirtualization "json has the GPU"
cp "$T/out" "$T/one.json"
run "$VMRECON" diff -f "$T/one.json" --state-dir "$S"
expect_rc 0 "json output is valid desired state too"

run "$VMRECON" get nosuch --state-dir "$S"
expect_rc 1 "get of an unknown VM"
expect_in "$T/err" "nosuch" "error names it"

run "$VMRECON" get edge-02 --record --state-dir "$S"
expect_rc 0 "get --record"
expect_eq "$(json_get "$S/last-applied.json" "d['vms']['edge-02']['cpuCount']")" 1 "record stored"
