# t0300-sim-atomic.sh - kill -9 during `vmrecon apply` on the sim backend,
# again and again: sim.json must always parse and hold one whole state (all
# of a spec's fields or none: never CPUs from one spec and memory from the
# other), the state dir's JSON files always parse, restarts never go back,
# and the lock is never left stuck (the next
# apply succeeds at once).  VR_KILLS sets the number of kills (default 100;
# each costs two applies).
#@ no-san: a run killed by SIGKILL leaves no sanitizer report; every line of vmrecon it runs, the suites that stay run on build/san (tests/sancov)
. "$(dirname "$0")/../lib.sh"
S=$T/s
SIM=$T/sim.json
N=${VR_KILLS:-100}

spec() { # NAME CPU MEM GPU-YAML
	cat >"$T/$1.yaml" <<Y
apiVersion: vmrecon/v1
kind: VirtualMachine
metadata:
  name: edge-01
spec:
  cpuCount: $2
  memoryInMB: $3
  gpu: $4
  restartPolicy: IfNeeded
Y
}
spec a 2 2048 '{name: NVIDIA A2, passthroughType: DirectDeviceAssignment}'
spec b 4 4096 none

# $st: the state of edge-01 as "cpu/mem/gpu/restarts", or "BAD: why"; one
# python3 for the whole run answers a line for each line it is sent
coproc CHECK { /usr/bin/python3 -u -c '
import glob, json, os, sys
for line in sys.stdin:
    if line.startswith("S "):  # the state dir: its JSON files all parse
        bad = []
        for f in glob.glob(os.path.join(line[2:].strip(), "*.json")):
            try:
                d = json.load(open(f))
                assert d["formatVersion"] == 1 and isinstance(d["vms"], dict)
            except Exception as e:
                bad.append("%s: %r" % (os.path.basename(f), e))
        print("; ".join(bad) or "ok")
        continue
    try:
        d = json.load(open(line.strip()))
        vm = d["vms"]["edge-01"]
        g = vm["gpu"]
        print("%d/%d/%s/%d" % (vm["cpuCount"], vm["memoryInMB"],
              g["name"] if g else "none", vm.get("restarts", 0)))
    except Exception as e:
        print("BAD: %r" % e)
'; }
state() { # sets $st
	echo "$SIM" >&"${CHECK[1]}"
	read -r st <&"${CHECK[0]}" || st="BAD: the checker died"
}
statefiles() { # sets $sf: "ok" or what is wrong with the state dir's files
	echo "S $S" >&"${CHECK[1]}"
	read -r sf <&"${CHECK[0]}" || sf="the checker died"
}
whole() { # STATE: one of the three states edge-01 may ever be in
	case ${1%/*} in
	1/1024/none | 2/2048/NVIDIA\ A2 | 4/4096/none) return 0 ;;
	esac
	return 1
}

run "$VMRECON" apply -f "$T/a.yaml" --state-dir "$S" --backend "sim:$SIM"
expect_rc 0 "first apply creates sim.json and converges"

now_us() { echo "${EPOCHREALTIME/./}"; }

# Kills land at a random point of an apply: the delay is drawn from 0 to
# how long the last uninterrupted apply took (the machine may be
# slow or busy), so some kills come before sim.json is written, some after.
kills=0 midway=0 wrote=0 bad=0 stuck=0 back=0 last=0 i=0 dur_ms=80
while [ $i -lt "$N" ]; do
	i=$((i + 1))
	if [ ! -d "$T" ]; then # /tmp is shared: say so rather than fail 100x
		notok "$T vanished after $kills kills: removed from outside"
		exit 1
	fi
	if [ $((i % 2)) -eq 0 ]; then s=a; else s=b; fi
	"$VMRECON" apply -f "$T/$s.yaml" --state-dir "$S" \
		--backend "sim:$SIM" >/dev/null 2>&1 &
	pid=$!
	d=$((RANDOM % (dur_ms + 1)))
	[ "$d" -gt 999 ] && d=999
	sleep "$(printf '0.%03d' "$d")"
	kill -9 "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	krc=$?
	kills=$((kills + 1))
	state
	if ! whole "$st"; then
		bad=$((bad + 1))
		echo "# after kill $i: sim.json edge-01 is '$st'"
		cp "$SIM" "$T/bad-$i.json" 2>/dev/null
	fi
	statefiles
	if [ "$sf" != ok ]; then
		bad=$((bad + 1))
		echo "# after kill $i: state dir: $sf"
	fi
	r=${st##*/}
	case $r in *[!0-9]* | '') r=$last ;; esac
	if [ "$r" -lt "$last" ]; then
		back=$((back + 1))
		echo "# after kill $i: restarts went from $last to $r"
	fi
	if [ "$krc" -eq 137 ]; then
		midway=$((midway + 1))
		[ "$r" -gt "$last" ] && wrote=$((wrote + 1))
	fi
	last=$r
	# the lock is free again and the same spec converges
	t0=$(now_us)
	if ! "$VMRECON" apply -f "$T/$s.yaml" --state-dir "$S" \
		--backend "sim:$SIM" >"$T/out" 2>"$T/err"; then
		stuck=$((stuck + 1))
		echo "# after kill $i: the next apply failed:"
		sed 's/^/#   /' "$T/err" | head -5
	fi
	# a killed apply that wrote leaves this one nothing to do: time
	# only those that changed something
	grep -q 'Apply complete: 0 applied' "$T/out" ||
		dur_ms=$((($(now_us) - t0) / 1000))
	state
	case $s in
	a) want="2/2048/NVIDIA A2" ;;
	b) want="4/4096/none" ;;
	esac
	if [ "${st%/*}" != "$want" ]; then
		bad=$((bad + 1))
		echo "# after apply $i: edge-01 is '$st', wanted '$want'"
	fi
	last=${st##*/}
	case $last in *[!0-9]* | '') last=0 ;; esac
done

temps=$(find "$T" -maxdepth 1 -name 'sim.json.tmp.*' | wc -l)
expect_eq "$bad" 0 "sim.json parsed and held one whole state, and the state dir's files parsed, after every kill"
expect_eq "$stuck" 0 "the apply after every kill got the lock and converged"
expect_eq "$back" 0 "restarts never went back"
if [ "$bad$stuck$back" = 000 ] && [ "$midway" -gt 0 ]; then
	ok "survived $kills kill -9s of vmrecon apply: $midway landed" \
		"mid-apply, $wrote of those after sim.json was written;" \
		"$temps temp files left by killed writers; an apply takes" \
		"~$dur_ms ms here"
else
	notok "kill -9 survival: $kills kills, $midway mid-apply, $bad bad," \
		"$stuck stuck, $back went back"
fi
