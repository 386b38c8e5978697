# t0510-qemu-unnamed.sh - `get` on a QEMU started without -name: vmrecon
# names it after its QMP socket (the file name up to its first '.', any
# character a VM name may not hold made '-'), says so in a comment with
# the -name to start it with, and the file it prints diffs in sync.  A
# real QEMU (TCG), paused before its first instruction: QMP answers every
# query vmrecon makes without booting a guest.
#@ full-only: starts QEMU
. "$(dirname "$0")/../lib.sh"
command -v qemu-system-x86_64 >/dev/null ||
	skip_all "qemu-system-x86_64 is not installed (make test installs it)"

SOCK=$T/edge@7.qmp
qemu_paused "$SOCK" -smp 1,maxcpus=4 -m 1G,slots=4,maxmem=4G ||
	{ notok "QEMU did not listen: $(tail -3 "$T/qemu.log")"; exit 1; }
ok "QEMU without -name listens on $(basename "$SOCK")"

S=$T/state
run "$VMRECON" get --backend "qemu:$SOCK" --state-dir "$S"
expect_rc 0 "get on an unnamed QEMU"
cp "$T/out" "$T/got.yaml"
expect_in "$T/got.yaml" "name: edge-7" "it is named after its socket"
expect_in "$T/got.yaml" "has no name of its own; vmrecon calls it 'edge-7'" \
	"a comment says where the name comes from"
expect_in "$T/got.yaml" "start it with -name edge-7" "and how to keep it"
expect_in "$T/got.yaml" "cpuCount: 1" "the file has the VM's CPUs"

run "$VMRECON" validate "$T/got.yaml"
expect_rc 0 "what get printed validates"
run "$VMRECON" diff -f "$T/got.yaml" --backend "qemu:$SOCK" --state-dir "$S"
expect_rc 0 "and diffs in sync against the same QEMU"

vm_yaml "$T/other.yaml" edge-01 1
run "$VMRECON" diff -f "$T/other.yaml" --backend "qemu:$SOCK" --state-dir "$S"
expect_rc 1 "a spec with another name"
expect_in "$T/err" "was started without -name, so vmrecon calls it 'edge-7' after its socket" \
	"the error says what the QEMU is called and why"
expect_in "$T/err" "start it with -name edge-01" "and how to give it the spec's name"
