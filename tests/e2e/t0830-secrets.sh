# t0830-secrets.sh - secrets stay secret and the state stays private:
#   - a bearer token (--token-file, for HTTPS sources and watch's Git
#     source) and a webhook HMAC key (--notify-hmac-key) never appear on
#     stdout, stderr, in the state dir, status output or the metrics file,
#     also when the transfer fails; credentials pasted into a URL are
#     refused without being echoed;
#   - the state dir is created 0700 and every file in it 0600, whatever
#     the umask (here 000).
# Peers are unreachable on purpose (127.0.0.1 port 9, discard): the error
# paths are where a secret would leak.
. "$(dirname "$0")/../lib.sh"
TOKEN=tok-3f9a1c77e2 KEY=hmac-5be02d91aa PASS=pw-71c0e3d4
printf '%s\n' "$TOKEN" >"$T/token"
printf '%s\n' "$KEY" >"$T/hmac"
S=$T/state
M=$T/metrics.prom
all_out=$T/all-output
: >"$all_out"
keep() { cat "$T/out" "$T/err" >>"$all_out"; }

spec() {
	printf 'apiVersion: vmrecon/v1\nkind: VirtualMachine\nmetadata:\n'
	printf '  name: edge-01\nspec:\n  cpuCount: %s\n  memoryInMB: 2048\n' "$1"
	printf '  restartPolicy: IfNeeded\n'
}
spec 2 >"$T/a.yaml"
spec 4 >"$T/b.yaml"

(
	umask 000
	"$VMRECON" apply -f "$T/a.yaml" --backend "sim:$T/sim.json" \
	    --state-dir "$S" --metrics-file "$M" \
	    --notify https://127.0.0.1:9/hook --notify-hmac-key "$T/hmac" \
	    >"$T/out" 2>"$T/err"
	echo $? >"$T/rc"
)
RC=$(cat "$T/rc")
keep
[ "$RC" -le 1 ] && ok "apply with an unreachable webhook ran (exit $RC)" ||
    notok "apply with an unreachable webhook: exit $RC"
grep -qi 'hook\|notif' "$T/err" && ok "the failed webhook is reported" ||
    notok "the failed webhook is not mentioned on stderr"

(
	umask 000
	"$VMRECON" apply -f https://127.0.0.1:9/vm.yaml --token-file "$T/token" \
	    --backend "sim:$T/sim.json" --state-dir "$S" >"$T/out" 2>"$T/err"
	echo $? >"$T/rc"
)
RC=$(cat "$T/rc")
keep
expect_rc 1 "apply from an unreachable HTTPS source with a token fails"
expect_in "$T/err" "127.0.0.1:9" "the error names the URL"

run "$VMRECON" validate "https://admin:$PASS@127.0.0.1:9/vm.yaml"
keep
expect_rc 1 "a URL with user:password is refused"
expect_not_in "$T/err" "$PASS" "the refused URL's password is not echoed"

if "$VMRECON" watch --help >/dev/null 2>&1; then
	(
		umask 000
		timeout 60 "$VMRECON" watch --once \
		    --repo https://127.0.0.1:9/fleet.git --path vm.yaml \
		    --token-file "$T/token" --backend "sim:$T/sim.json" \
		    --state-dir "$S" >"$T/out" 2>"$T/err"
		echo $? >"$T/rc"
	)
	RC=$(cat "$T/rc")
	keep
	[ "$RC" -ne 0 ] && ok "watch --once from an unreachable repo fails (exit $RC)" ||
	    notok "watch --once from an unreachable repo succeeded"
	run timeout 60 "$VMRECON" watch --once \
	    --repo "https://gitops:$PASS@127.0.0.1:9/fleet.git" --path vm.yaml \
	    --backend "sim:$T/sim.json" --state-dir "$S"
	keep
	expect_rc 1 "watch refuses a password in the repository URL"
	expect_in "$T/err" "https://***@127.0.0.1:9" "and shows the URL without it"
fi

run "$VMRECON" status --state-dir "$S" -o json
keep
run "$VMRECON" status --state-dir "$S"
keep

for s in "$TOKEN" "$KEY" "$PASS"; do
	expect_not_in "$all_out" "$s" "secret '${s%%-*}' never printed"
	if grep -rqF -- "$s" "$S" "$M" 2>/dev/null; then
		notok "secret '${s%%-*}' found in $(grep -rlF -- "$s" "$S" "$M" | head -1)"
	else
		ok "secret '${s%%-*}' not in the state dir or the metrics file"
	fi
done

# --- modes ---------------------------------------------------------------------
mode() { stat -c %a "$1"; }
expect_eq "$(mode "$S")" 700 "the state dir is 0700 (umask 000)"
n=0 wrong=""
for f in "$S"/* "$S"/.[!.]*; do
	[ -e "$f" ] || continue
	n=$((n + 1))
	if [ -d "$f" ]; then
		[ "$(mode "$f")" = 700 ] || wrong="$wrong $(basename "$f"):$(mode "$f")"
	else
		[ "$(mode "$f")" = 600 ] || wrong="$wrong $(basename "$f"):$(mode "$f")"
	fi
done
if [ "$n" -gt 0 ] && [ -z "$wrong" ]; then
	ok "all $n entries of the state dir are 0600 (dirs 0700)"
else
	notok "state dir entries with other modes:${wrong:- (none found)}"
fi
expect_eq "$(mode "$T/sim.json")" 600 "the sim backend's file is 0600"
