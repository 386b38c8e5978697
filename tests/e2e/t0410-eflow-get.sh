# t0410-eflow-get.sh - `vmrecon get` on the eflow backend (with the EFLOW
# emulator): the adoption round trip, a GPU vmrecon cannot name left out
# with a note (so applying the file keeps it) naming the candidates and
# where the name of a GPU assigned by DDA can be read, diff of the edited
# file showing its plan and the GPU question, and --record making the GPU
# known, after which get prints it and a later spec without gpu keeps it.
. "$(dirname "$0")/../lib.sh"
. "$VR_TOP/tests/eflow-emu/emu.sh"
S=$T/s
emu_reset "d['vm']['gpu'] = {'name': 'NVIDIA A2', 'type': 'DirectDeviceAssignment', 'count': 1}"
gpu_of_emu() { json_get "$EFLOW_EMU_STATE" "d['vm']['gpu'] and d['vm']['gpu']['name']"; }

run "$VMRECON" get --backend "$BK" --state-dir "$S"
expect_rc 0 "get the EFLOW VM (no name: all the backend has)"
expect_in "$T/out" "name: EDGE01-EFLOW" "the VM's EFLOW name"
expect_in "$T/out" "cpuCount: 4" "live CPU count"
expect_in "$T/out" "# gpu: the VM has 1 GPU, but this backend cannot tell which" "unknown GPU explained"
expect_in "$T/out" "vmrecon refuses to" "the note says what applying does without gpu"
# issue 28: the note listed only the iGPU, inviting the wrong declaration
expect_in "$T/out" "#   'Intel(R) UHD Graphics 630' (ParaVirtualization)" \
	"the note names the candidates the host lists, with their passthrough type"
expect_in "$T/out" "# or one the host no longer lists: EFLOW assigns NVIDIA T4 and A2 by" \
	"and says the GPU it holds by DDA is no longer listed"
tr -d '\n#' <"$T/out" | tr -s ' ' | grep -q "'Get-PnpDevice -Class Display' (without -PresentOnly) also lists devices that are not present: its FriendlyName is the name to declare" &&
	ok "and where the host still shows its name" || notok "get does not say where the DDA GPU's name is: $(cat "$T/out")"
grep -qx '  gpu: none' "$T/out" && notok "an unknown GPU is written as none" ||
	ok "an unknown GPU is never written as none"
cp "$T/out" "$T/adopt.yaml"
run "$VMRECON" validate "$T/adopt.yaml"
expect_rc 0 "get output validates"
run "$VMRECON" diff -f "$T/adopt.yaml" --backend "$BK" --state-dir "$S"
expect_rc 0 "round trip: diff of the adopted file is in sync"
: >"$EFLOW_EMU_LOG"
run "$VMRECON" apply -f "$T/adopt.yaml" --backend "$BK" --state-dir "$S"
expect_rc 0 "apply of the adopted file"
expect_eq "$(grep -c 'Set-EflowVM' "$EFLOW_EMU_LOG")" 0 "it sends no Set-EflowVM"
expect_eq "$(gpu_of_emu)" "NVIDIA A2" "the GPU is still there"
# issue 28: after editing the memory, diff exited 1 without a plan
sed 's/memoryInMB: 8192/memoryInMB: 4096/' "$T/adopt.yaml" >"$T/adopt-mem.yaml"
run "$VMRECON" diff -f "$T/adopt-mem.yaml" --backend "$BK" --state-dir "$S"
expect_rc 1 "diff of the edited file: the GPU question stops it"
expect_in "$T/out" "memoryInMB  8192 -> 4096" "but it shows the plan of the memory"
expect_eq "$(grep -c 'adopt-mem.yaml:' "$T/err")" 1 "and the GPU question as one error"
expect_in "$T/err" "declare the GPU in the spec" "which says what to do"

# record what the operator declares, then get knows the GPU
cat >"$T/declared.yaml" <<'Y'
apiVersion: vmrecon/v1
kind: VirtualMachine
metadata:
  name: EDGE01-EFLOW
spec:
  cpuCount: 4
  memoryInMB: 8192
  gpu:
    name: NVIDIA A2
    passthroughType: DirectDeviceAssignment
  restartPolicy: IfNeeded
Y
run "$VMRECON" apply -f "$T/declared.yaml" --backend "$BK" --state-dir "$S"
expect_rc 0 "declaring the GPU (one Set-EflowVM with every parameter)"
run "$VMRECON" get EDGE01-EFLOW --backend "$BK" --state-dir "$S"
expect_rc 0 "get after the GPU is known"
expect_in "$T/out" "passthroughType: DirectDeviceAssignment" "get prints the recorded GPU"
cp "$T/out" "$T/known.yaml"
run "$VMRECON" diff -f "$T/known.yaml" --backend "$BK" --state-dir "$S"
expect_rc 0 "round trip with the known GPU"

# --record on a fresh state dir, then a CPU-only change keeps the GPU
run "$VMRECON" get -o json --record --backend "$BK" --state-dir "$T/s2"
expect_rc 0 "get --record on a fresh state dir"
cat >"$T/cpu.yaml" <<'Y'
apiVersion: vmrecon/v1
kind: VirtualMachine
metadata:
  name: EDGE01-EFLOW
spec:
  cpuCount: 2
  restartPolicy: IfNeeded
Y
run "$VMRECON" apply -f "$T/cpu.yaml" --backend "$BK" --state-dir "$S"
expect_rc 0 "CPU-only apply with the GPU known from the record"
expect_eq "$(json_get "$EFLOW_EMU_STATE" "d['vm']['cpuCount']"),$(gpu_of_emu)" "2,NVIDIA A2" "CPU changed, GPU kept"
