# t0810-faults.sh - faults injected at each step of an apply, each leaving
# the VM and the state dir consistent (state files parse, the last-applied
# record never claims what was not applied, the lock is free) and the next
# run converging:
#   - the sim backend's fault switches (observeError, applyError);
#   - the EFLOW emulator exiting non-zero, hanging, printing garbage or
#     cutting its output short in either script, Set-EflowVM failing in the
#     AzureEFLOW style or leaving the VM off, at
#     each of the pipelines an apply sends (t0400 checks the messages; here
#     the state and the recovery);
#   - kill -9 of vmrecon at random points of an eflow apply, in a loop
#     (t0300 does the same on sim); VR_KILLS sets how many (default 20);
#   - the disk full while the state is written (a small tmpfs when mount
#     works, else a file size limit): the old state survives, the error
#     says so, and once there is room the next run records it.
. "$(dirname "$0")/../lib.sh"
. "$VR_TOP/tests/eflow-emu/emu.sh" # its spec() is replaced below

# spec FILE NAME CPU MEM: a vmrecon/v1 document that may restart the VM
spec() {
	printf 'apiVersion: vmrecon/v1\nkind: VirtualMachine\nmetadata:\n' >"$1"
	printf '  name: %s\nspec:\n  cpuCount: %s\n  memoryInMB: %s\n' \
	    "$2" "$3" "$4" >>"$1"
	printf '  restartPolicy: IfNeeded\n' >>"$1"
}

# state_ok DIR: every JSON file in the state dir parses with formatVersion 1
# and no temporary file is left; prints why not
state_ok() {
	/usr/bin/python3 - "$1" <<'PY'
import glob, json, os, sys
bad = []
for f in glob.glob(os.path.join(sys.argv[1], "*.json")):
    try:
        d = json.load(open(f))
        if d.get("formatVersion") != 1 or not isinstance(d.get("vms"), dict):
            bad.append(f + ": not formatVersion 1 with vms")
    except Exception as e:
        bad.append("%s: %s" % (f, e))
print("; ".join(bad))
PY
}
# record DIR VM: the recorded "cpu/mem" of VM in last-applied.json, or "-"
record() {
	/usr/bin/python3 -c 'import json,sys
try: v = json.load(open(sys.argv[1] + "/last-applied.json"))["vms"][sys.argv[2]]; print("%s/%s" % (v.get("cpuCount"), v.get("memoryInMB")))
except Exception: print("-")' "$1" "$2"
}
# result DIR VM: the VM's last result in status.json, or "-"
result() {
	/usr/bin/python3 -c 'import json,sys
try: print(json.load(open(sys.argv[1] + "/status.json"))["vms"][sys.argv[2]]["result"])
except Exception: print("-")' "$1" "$2"
}
# consistent DESC DIR: state files parse and the lock is free
consistent() {
	local why
	why=$(state_ok "$2")
	[ -z "$why" ] && ok "$1: state files parse" ||
	    notok "$1: state files: $why"
}

# --- sim: observeError and applyError ---------------------------------------
S=$T/sim-s SIM=$T/sim.json
spec "$T/s2.yaml" edge-01 2 2048
spec "$T/s4.yaml" edge-01 4 4096
run "$VMRECON" apply -f "$T/s2.yaml" --backend "sim:$SIM" --state-dir "$S"
expect_rc 0 "sim: first apply"
for fault in observeError applyError; do
	/usr/bin/python3 - "$SIM" "$fault" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
d["faults"] = {sys.argv[2]: "injected %s" % sys.argv[2]}
json.dump(d, open(sys.argv[1], "w"))
PY
	run "$VMRECON" apply -f "$T/s4.yaml" --backend "sim:$SIM" --state-dir "$S"
	expect_rc 1 "sim $fault: apply fails"
	expect_in "$T/err" "injected $fault" "sim $fault: the backend's words are shown"
	expect_eq "$(json_get "$SIM" "d['vms']['edge-01']['cpuCount']")" 2 \
	    "sim $fault: the VM is unchanged"
	expect_eq "$(record "$S" edge-01)" 2/2048 \
	    "sim $fault: the record still says what was applied"
	consistent "sim $fault" "$S"
	/usr/bin/python3 - "$SIM" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
del d["faults"]
json.dump(d, open(sys.argv[1], "w"))
PY
	run "$VMRECON" apply -f "$T/s4.yaml" --backend "sim:$SIM" --state-dir "$S"
	expect_rc 0 "sim $fault cleared: the next apply converges"
	expect_eq "$(record "$S" edge-01)/$(result "$S" edge-01)" \
	    4/4096/converged "sim $fault cleared: recorded as converged"
	run "$VMRECON" apply -f "$T/s2.yaml" --backend "sim:$SIM" --state-dir "$S"
done

# --- eflow: each pipeline failing, hanging or printing garbage ----------------
# emu_reset8 FAULTS-PYTHON: a running VM with 2 CPUs, 2048 MB, faults
emu_reset8() {
	emu_reset "d['vm'].update(cpuCount=2, memoryInMB=2048)
d['host']['videoControllers'] = ['NVIDIA A2']
d['faults'] = $1"
}
emu_vm() { json_get "$EFLOW_EMU_STATE" "'%s/%s' % (d['vm']['cpuCount'], d['vm']['memoryInMB'])"; }
spec "$T/e4.yaml" EDGE01-EFLOW 4 4096
S=$T/eflow-s
n=0 good=0
for match in observe set; do
	for f in "'exit': 3, 'stderr': 'injected failure'" "'hang': True" \
	    "'garbage': 'injected <garbage>'" "'cut': 30" \
	    "'setFails': 'injected module failure'" "'setLeavesOff': ''"; do
		case $match/$f in observe/*set*) continue ;; esac
		n=$((n + 1))
		m=$match
		emu_reset8 "{'match': '$m', $f}"
		rm -rf "$S"
		VMRECON_EFLOW_TIMEOUT_MS=1500 "$VMRECON" apply -f "$T/e4.yaml" \
		    --backend "eflow:$EMU" --state-dir "$S" >"$T/out" 2>"$T/err"
		rc=$?
		why=""
		[ "$rc" -eq 1 ] || why="exit $rc"
		# a Set-EflowVM that leaves the VM off, or whose output is cut
		# short, did reconfigure it (vmrecon just cannot know)
		case $match/$f in *setLeavesOff* | set/*cut*) vm_want=4/4096 ;;
		*) vm_want=2/2048 ;; esac
		[ "$(emu_vm)" = "$vm_want" ] || why="$why; VM now $(emu_vm)"
		[ "$(record "$S" EDGE01-EFLOW)" = - ] ||
		    why="$why; recorded $(record "$S" EDGE01-EFLOW)"
		w=$(state_ok "$S")
		[ -z "$w" ] || why="$why; $w"
		grep -q . "$T/err" || why="$why; nothing on stderr"
		# the fault cleared, the same apply converges at once
		emu_edit_ok=$(/usr/bin/python3 -c 'import json,sys
d = json.load(open(sys.argv[1])); d["faults"] = {}
json.dump(d, open(sys.argv[1], "w")); print("ok")' "$EFLOW_EMU_STATE")
		"$VMRECON" apply -f "$T/e4.yaml" --backend "eflow:$EMU" \
		    --state-dir "$S" >"$T/out2" 2>&1 ||
		    why="$why; the next apply failed: $(tail -1 "$T/out2")"
		[ "$(emu_vm)/$(record "$S" EDGE01-EFLOW)" = 4/4096/4/4096 ] ||
		    why="$why; after recovery VM $(emu_vm), record $(record "$S" EDGE01-EFLOW)"
		if [ -z "$why" ] && [ "$emu_edit_ok" = ok ]; then
			good=$((good + 1))
		else
			notok "eflow: $match with {$f}:${why#;}"
			sed 's/^/#   err: /' "$T/err" | head -3
		fi
	done
done
expect_eq "$good" "$n" "eflow: $n faults (exit 3, hang, garbage, cut output in both scripts; Set-EflowVM failing in the module's style or leaving the VM off) left the state as it was, and the next apply converged"

# --- kill -9 during eflow applies, in a loop ----------------------------------
N=${VR_KILLS:-20}
spec "$T/e2.yaml" EDGE01-EFLOW 2 2048
S=$T/kill-s
# the emulator under a path of this script's own, so that waiting for
# "its" emulator to finish never waits for another suite's (tests/run -j)
ln -s "$EMU" "$T/powershell"
EMU=$T/powershell
emu_reset8 "{}"
kills=0 midway=0 bad=0
for i in $(seq 1 "$N"); do
	if [ $((i % 2)) -eq 0 ]; then s=e2 want=2/2048; else s=e4 want=4/4096; fi
	"$VMRECON" apply -f "$T/$s.yaml" --backend "eflow:$EMU" \
	    --state-dir "$S" >/dev/null 2>&1 &
	pid=$!
	sleep "$((RANDOM % 2)).$(printf '%03d' $((RANDOM % 1000)))"
	kill -9 "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	[ $? -eq 137 ] && midway=$((midway + 1))
	kills=$((kills + 1))
	# a Set-EflowVM the killed run started finishes on the "host"
	for _ in 1 2 3 4 5 6 7 8 9 10; do
		pgrep -f "$EMU" >/dev/null || break
		sleep 0.2
	done
	w=$(state_ok "$S")
	v=$(emu_vm)
	case $v in 2/2048 | 4/4096) ;; *) w="$w; the VM is $v, half of a spec" ;; esac
	# the lock is free and the next run finishes the job
	if ! "$VMRECON" apply -f "$T/$s.yaml" --backend "eflow:$EMU" \
	    --state-dir "$S" >"$T/out" 2>&1; then
		w="$w; the next apply failed: $(tail -1 "$T/out")"
	fi
	[ "$(emu_vm)/$(record "$S" EDGE01-EFLOW)" = "$want/$want" ] ||
	    w="$w; then VM $(emu_vm), record $(record "$S" EDGE01-EFLOW)"
	if [ -n "$w" ]; then
		bad=$((bad + 1))
		echo "# kill $i: ${w#; }"
	fi
done
if [ "$bad" -eq 0 ]; then
	ok "survived $kills kill -9s of an eflow apply ($midway mid-apply): state always parsed, the lock was free, the next apply converged"
else
	notok "kill -9 during eflow apply: $bad of $kills left a problem"
fi

# --- disk full while the state is written -------------------------------------
D=$T/full
mkdir -p "$D"
if [ -z "${VR_NO_MOUNT:-}" ] &&
    mount -t tmpfs -o size=64k tmpfs "$D" 2>/dev/null; then
	how="a full 64 KiB tmpfs"
	trap 'umount "$D" 2>/dev/null; [ $_failed -eq 0 ] && rm -rf "$T" || echo "# kept $T"' EXIT
	fill() { dd if=/dev/zero of="$D/filler" bs=1k 2>/dev/null; }
	unfill() { rm -f "$D/filler"; }
	limited() { "$@"; }
else
	# no mount here (not root, or no CAP_SYS_ADMIN): a file size limit of
	# 0 makes every write fail with EFBIG (an ignored SIGXFSZ stays
	# ignored across exec).  The sim file would fail first, so the VM is
	# made to match already: only the state is written.
	how="a file size limit of 0"
	fill() {
		/usr/bin/python3 -c 'import json,sys
d = json.load(open(sys.argv[1])); d["vms"]["edge-01"].update(cpuCount=4, memoryInMB=4096)
json.dump(d, open(sys.argv[1], "w"))' "$SIM"
	}
	unfill() { :; }
	# (its output goes through a pipe: the limit would stop it too)
	limited() {
		(trap '' XFSZ; ulimit -f 0; exec "$@") 2>&1 | cat >&2
		return "${PIPESTATUS[0]}"
	}
fi
S=$D/s SIM=$T/full-sim.json
run "$VMRECON" apply -f "$T/s2.yaml" --backend "sim:$SIM" --state-dir "$S"
expect_rc 0 "disk full: first apply records"
cp "$S/last-applied.json" "$T/la-before"
# a second state dir, for the -o json run below (the first keeps the
# journal its failed pass left, which its next open must fold first)
run "$VMRECON" apply -f "$T/s2.yaml" --backend "sim:$SIM" --state-dir "$D/sj"
expect_rc 0 "disk full: a second state dir records"
fill
run limited "$VMRECON" apply -f "$T/s4.yaml" --backend "sim:$SIM" \
    --state-dir "$S"
expect_rc 1 "disk full ($how): apply fails"
expect_in "$T/err" "cannot record it" "disk full: says the VM converged but was not recorded"
cat "$T/out" "$T/err" >"$T/both"
expect_in "$T/both" "Apply failed: 2 applied, 0 pending, 1 VM failed." \
	"disk full: the summary says failed, as the exit code does"
expect_not_in "$T/both" "Apply complete" "disk full: the summary never says complete"
run limited "$VMRECON" apply -f "$T/s2.yaml" --backend "sim:$SIM" \
    --state-dir "$D/sj" -o json
expect_rc 1 "disk full, -o json: apply fails"
# (the fallback's limit sends stdout through stderr)
cat "$T/out" "$T/err" | sed -n '/^{/,/^}/p' >"$T/full.json"
expect_eq "$(json_get "$T/full.json" "d['vms'][0]['result']")" failed \
	"disk full, -o json: the VM is failed, as the exit code says"
expect_in "$T/full.json" "cannot record it" "disk full, -o json: the message says why"
if grep -qE 'No space left on device|File too large' "$T/err"; then
	ok "disk full: names the system's error"
else
	notok "disk full: no ENOSPC/EFBIG in the message"
	sed 's/^/#   /' "$T/err" | head -5
fi
cmp -s "$S/last-applied.json" "$T/la-before" &&
    ok "disk full: the old last-applied.json survived whole" ||
    notok "disk full: last-applied.json changed"
consistent "disk full" "$S"
left=$(find "$S" -name '*.tmp.*' | wc -l)
expect_eq "$left" 0 "disk full: no temporary file left behind"
unfill
run "$VMRECON" apply -f "$T/s4.yaml" --backend "sim:$SIM" --state-dir "$S"
expect_rc 0 "disk full: with room again the next apply finishes the job"
expect_eq "$(record "$S" edge-01)" 4/4096 "disk full: and records it"
