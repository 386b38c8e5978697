# t0478-examples.sh - every file in examples/ works as written on the
# backend(s) its first comment names ("# Backend: sim.", "# Backends:
# eflow (...) and qemu."), and its comments are true: each sim file applied
# to the built-in simulated host, each eflow file (the fleet's hosts) to
# the EFLOW emulator whose VM is named as EFLOW names it, <HOSTNAME>-EFLOW,
# on the host that file needs (an A2, an iGPU, a GPU given outside
# vmrecon, a host without gpucount); a VM file not for eflow is refused by
# eflow, naming the host's one VM, with nothing sent.  A file without a
# backend, or one this script has no check for, fails.
. "$(dirname "$0")/../lib.sh"
. "$VR_TOP/tests/eflow-emu/emu.sh"
cd "$VR_TOP" || exit 1

# --- every example names its backend(s) in its first comment ----------------
# backends_of FILE: the names after "Backend:"/"Backends:" in the leading
# comment block, one per line (sim, eflow, qemu, libvirt)
backends_of() {
	awk '!/^#/ { exit } sub(/^# Backends?: /, "") {
		gsub(/\(.*|\..*/, ""); gsub(/,| and /, " "); print; exit }' "$1" |
		tr ' ' '\n' | grep -E '^(sim|eflow|qemu|libvirt)$'
}
sim_files="" eflow_files="" vm_files=""
for f in examples/*.yaml examples/fleet/hosts/*.yaml \
	examples/contexts/config.yaml; do
	b=$(backends_of "$f" | tr '\n' ' ')
	if [ -n "$b" ]; then ok "$f names its backends: $b"; else
		notok "$f: no '# Backend: NAME' line in its first comment"
	fi
	grep -q '^kind: VirtualMachine' "$f" || continue
	vm_files="$vm_files $f"
	case " $b" in *" sim "*) sim_files="$sim_files $f" ;; esac
	case " $b" in *" eflow "*) eflow_files="$eflow_files $f" ;; esac
done

# the files each part below checks (SIM_TABLE's first column, and
# EFLOW_CHECKED): every file marked for sim or eflow must be among them,
# and every one of them marked so.  What each sim file must do: FILE, the file applied before it on the
# same host ("-": none), then VM=WHAT for each VM it names (A2 and IRIS
# stand for the GPU's name/type); what it leaves out stays as it was
SIM_TABLE="examples/a2-dda.yaml - edge-01=4,16384,A2
examples/cpu-memory-only.yaml examples/a2-dda.yaml edge-01=2,4096,A2
examples/iris-pv.yaml - edge-01=1,1024,IRIS
examples/remove-gpu.yaml examples/a2-dda.yaml edge-01=4,16384,None
examples/two-vms.yaml - edge-01=4,16384,A2 edge-02=2,8192,IRIS"
SIM_CHECKED=$(echo "$SIM_TABLE" | cut -d' ' -f1)
EFLOW_CHECKED="examples/fleet/hosts/edge-01.yaml
examples/fleet/hosts/edge-02.yaml examples/fleet/hosts/lab-gpu-pv.yaml"
same_set() {
	[ "$(printf '%s\n' $1 | sort)" = "$(printf '%s\n' $2 | sort)" ]
}
same_set "$sim_files" "$SIM_CHECKED" && ok "the files for sim are the ones checked on sim" ||
	notok "the files for sim: '$sim_files', checked on sim: '$SIM_CHECKED'"
same_set "$eflow_files" "$EFLOW_CHECKED" && ok "the files for eflow are the ones checked on eflow" ||
	notok "the files for eflow: '$eflow_files', checked on eflow: '$EFLOW_CHECKED'"

# --- the contexts name only backends their comment says ---------------------
f=examples/contexts/config.yaml
for k in $(sed -n 's/^ *backend: "\{0,1\}\([a-z]*\):.*/\1/p' "$f" | sort -u); do
	case " $(backends_of "$f" | tr '\n' ' ')" in
	*" $k "*) ok "$f: its $k context is of a backend its comment names" ;;
	*) notok "$f: a $k context, but its comment does not name $k" ;;
	esac
done

# --- sim: each file applied to the default simulated host -------------------
# simvm DIR VM: "cpus,MB,GPU name/type" of VM in DIR's sim file
simvm() {
	json_get "$1/sim.json" "(lambda v: '%d,%d,%s' % (v['cpuCount'], v['memoryInMB'], v['gpu'] and v['gpu']['name'] + '/' + v['gpu']['passthroughType']))(d['vms']['$2'])"
}
# sim_apply DIR FILE: apply FILE, then diff it: in sync
sim_apply() {
	run "$VMRECON" apply -f "$2" --state-dir "$1"
	expect_rc 0 "sim: $2 applies"
	run "$VMRECON" diff -f "$2" --state-dir "$1"
	expect_rc 0 "sim: after $2, diff finds it in sync"
}
while read -r f before wants; do
	S=$T/sim-$(basename "$f" .yaml)
	[ "$before" = - ] || sim_apply "$S" "$before"
	sim_apply "$S" "$f"
	for w in $wants; do
		want=${w#*=}
		want=${want/A2/NVIDIA A2/DirectDeviceAssignment}
		want=${want/IRIS/Intel(R) Iris(R) Xe Graphics/ParaVirtualization}
		expect_eq "$(simvm "$S" "${w%%=*}")" "$want" "sim: after $f, ${w%%=*} has $want"
	done
done <<<"$SIM_TABLE"

# --- eflow: each file on the emulator, its VM named <HOSTNAME>-EFLOW --------
# eflow_host FILE [PYTHON]: a fresh emulated host (emu_reset's, PYTHON
# may change it) whose VM is named after the host the fleet file is for
eflow_host() {
	local h
	h=$(basename "$1" .yaml)
	emu_reset "d['vm']['name'] = '${h^^}-EFLOW'; ${2:-pass}"
}
ev() { run "$VMRECON" "$1" -f "$2" --backend "$BK" --state-dir "$3"; }
GIVEN="d['vm']['gpu'] = {'name': 'NVIDIA A2', 'type': 'DirectDeviceAssignment', 'count': 1}"
for f in $EFLOW_CHECKED; do
	S=$T/eflow-$(basename "$f" .yaml)
	case $f in
	examples/fleet/hosts/edge-01.yaml)
		eflow_host "$f"
		ev apply "$f" "$S"
		expect_rc 0 "eflow: $f applies on EDGE-01-EFLOW"
		expect_eq "$(vmtuple)" "4,8192,NVIDIA A2" "eflow: $f gave the VM the A2, 4 CPUs and 8 GiB"
		ev diff "$f" "$S"
		expect_rc 0 "eflow: after $f, diff finds it in sync"
		;;
	examples/fleet/hosts/edge-02.yaml)
		# no GPU: CPU and memory set
		eflow_host "$f"
		ev apply "$f" "$S"
		expect_rc 0 "eflow: $f applies on EDGE-02-EFLOW without a GPU"
		expect_eq "$(vmtuple)" "2,4096,None" "eflow: $f set CPUs and memory"
		# a GPU vmrecon assigned (its record names it) is kept
		eflow_host "$f"
		sed -e '/^  cpuCount/,$d' "$f" >"$T/a2.yaml"
		printf '  gpu:\n    name: NVIDIA A2\n    passthroughType: DirectDeviceAssignment\n  restartPolicy: IfNeeded\n' >>"$T/a2.yaml"
		ev apply "$T/a2.yaml" "$S-rec"
		expect_rc 0 "eflow: vmrecon gives EDGE-02-EFLOW the A2 (a record names it)"
		ev apply "$f" "$S-rec"
		expect_rc 0 "eflow: $f applies beside a GPU vmrecon assigned"
		expect_eq "$(vmtuple)" "2,4096,NVIDIA A2" "eflow: $f kept the GPU its record names"
		# a GPU given outside vmrecon (given), and a host without
		# gpucount: refused, nothing sent, as the file's comment says
		for shape in given nogpucount; do
			case $shape in
			given) eflow_host "$f" "$GIVEN" ;;
			nogpucount) eflow_host "$f" "d['vm']['noGpuCount'] = True" ;;
			esac
			before=$(vmtuple)
			ev apply "$f" "$S-$shape"
			expect_rc 1 "eflow: $f refused ($shape)"
			expect_in "$T/err" "gpu: none" "eflow: the refusal says how to remove the GPU ($shape)"
			expect_in "$T/err" "declare the GPU in the spec" "eflow: the refusal says how to keep the GPU ($shape)"
			expect_eq "$(nsets)" 0 "eflow: nothing sent ($shape)"
			expect_eq "$(vmtuple)" "$before" "eflow: the VM unchanged ($shape)"
		done
		;;
	examples/fleet/hosts/lab-gpu-pv.yaml)
		eflow_host "$f" "d['host']['videoControllers'] = ['NVIDIA A2', 'Intel(R) Iris(R) Xe Graphics']"
		ev apply "$f" "$S"
		expect_rc 3 "eflow: $f leaves its changes pending (restartPolicy Never)"
		expect_in "$T/out" "pending" "eflow: apply says the changes are pending"
		expect_eq "$(nsets)" 0 "eflow: restartPolicy Never sends no Set-EflowVM"
		expect_eq "$(vmtuple)" "4,8192,None" "eflow: the VM unchanged while pending"
		sed 's/restartPolicy: Never/restartPolicy: IfNeeded/' "$f" >"$T/lab.yaml"
		ev apply "$T/lab.yaml" "$S"
		expect_rc 0 "eflow: with IfNeeded (as its comment says) it applies"
		expect_eq "$(vmtuple)" "4,6144,Intel(R) Iris(R) Xe Graphics" "eflow: the VM shares the iGPU with 6 GiB"
		;;
	esac
done

# --- eflow refuses, clearly, every VM file that is not for it ---------------
for f in $vm_files; do
	case " $EFLOW_CHECKED " in *" $f "*) continue ;; esac
	emu_reset
	ev diff "$f" "$T/not-eflow"
	expect_rc 1 "eflow: diff refuses $f (not for eflow)"
	expect_not_in "$T/out" "match the desired state" "eflow: diff of $f does not say it is in sync"
	ev apply "$f" "$T/not-eflow"
	expect_rc 1 "eflow: apply refuses $f"
	expect_in "$T/err" "its EFLOW VM is 'EDGE01-EFLOW' (use that as metadata.name)" \
		"eflow: the refusal of $f names the host's one VM"
	expect_eq "$(nsets)" 0 "eflow: nothing sent for $f"
	expect_eq "$(vmtuple)" "4,8192,None" "eflow: the VM unchanged by $f"
	case $f in examples/two-vms.yaml)
		expect_in "$T/err" "no EFLOW VM 'edge-02'" "eflow: $f's second VM is refused too" ;;
	esac
done
