#!/usr/bin/env bash
# t0130-contexts.sh - the config file of contexts (reconciler/cli/config.h)
# and the loud built-in default: where each setting comes from (flag,
# environment, context, default), config get-contexts / current-context /
# use-context / view, a bad or untrusted config refused before anything
# runs, use-context never writing through a symbolic link, the note every
# observing command prints on the implicit sim, watch refusing it, and a
# Linux box that manages twenty EFLOW hosts over ssh naming each once (run
# as an ordinary user, with the stand-in ssh of t0430 and the emulator).
. "$(dirname "$0")/../lib.sh"
. "$VR_TOP/tests/eflow-emu/emu.sh"
EX=$VR_TOP/examples/a2-dda.yaml
# this script names its backends itself: none from lib.sh
unset VMRECON_BACKEND
trusted_tmp || { notok "no trusted directory under build/tmp"; exit 1; }
chmod 755 "$TT"
C=$TT/cfg
mkdir -m 755 "$C"
CF=$C/config.yaml
cat >"$CF" <<EOF
# the contexts of this test (a comment use-context must keep)
apiVersion: vmrecon/v1
kind: Config
currentContext: a
contexts:
  a:                  # one with everything
    backend: sim:$TT/a.json
    stateDir: $TT/sa
    backendTimeout: 2min
    hostname: host-a
  b:
    backend: sim:$TT/b.json
EOF
export VMRECON_CONFIG=$CF
view() { # KEY FIELD ARGS...: a field of `config view -o json`'s KEY
	local k=$1 f=$2
	shift 2
	"$VMRECON" config view -o json "$@" 2>"$T/verr" >"$T/view.json" &&
		json_get "$T/view.json" "d['$k']['$f']"
}

# ---- precedence: flag, environment, context, default ----
expect_eq "$(view context origin)/$(view context value)" "context/a" \
	"the context in force is the file's currentContext"
expect_eq "$(view backend origin)/$(view backend value)" "context/sim:$TT/a.json" \
	"the backend comes from the context"
expect_eq "$(view stateDir value)/$(view backendTimeout value)/$(view hostname value)" \
	"$TT/sa/2m/host-a" "and so do the state dir, the backend timeout (systemd's 2min) and the hostname"
expect_eq "$(VMRECON_BACKEND=sim:$TT/env.json view backend origin)" environment \
	"VMRECON_BACKEND outranks the context"
expect_eq "$(VMRECON_BACKEND=sim:$TT/env.json view backend value -b "sim:$TT/flag.json")" \
	"sim:$TT/flag.json" "--backend outranks VMRECON_BACKEND"
expect_eq "$(view backend from -b "sim:$TT/flag.json")" "flag --backend" "and says it came from the flag"
expect_eq "$(VMRECON_STATE_DIR=$TT/es view stateDir value)" "$TT/es" "VMRECON_STATE_DIR outranks the context"
expect_eq "$(VMRECON_BACKEND_TIMEOUT='1h 30min' view backendTimeout value)" "1h30m" \
	"VMRECON_BACKEND_TIMEOUT takes the duration grammar"
expect_eq "$(VMRECON_HOSTNAME=env-host view hostname origin)" environment "VMRECON_HOSTNAME outranks the context"
expect_eq "$(view context value --context b)/$(view context origin --context b)" "b/flag" \
	"--context picks another context"
expect_eq "$(VMRECON_CONTEXT=b view context origin)" environment "and so does VMRECON_CONTEXT"
sd_b=$(view stateDir value --context b)
case $sd_b in */contexts/b) ok "a context without stateDir gets its own: $sd_b" ;;
*) notok "context b's state dir is '$sd_b', not .../contexts/b" ;; esac
expect_eq "$(view stateDir origin --context b)" default "which is a default"
expect_eq "$(view backendTimeout origin --context b)" default \
	"a setting the context lacks comes from the default"
expect_eq "$(VMRECON_CONFIG=/dev/null view backend origin)/$(json_get "$T/view.json" "d['implicitBackend']")" \
	"default/True" "VMRECON_CONFIG=/dev/null: no config, the built-in sim, and view says it is implicit"
run env VMRECON_BACKEND_TIMEOUT=soon "$VMRECON" config view
expect_rc 1 "a bad VMRECON_BACKEND_TIMEOUT"
expect_in "$T/err" "VMRECON_BACKEND_TIMEOUT: 'soon' is not a duration" "is named in the error"
run "$VMRECON" config view
expect_in "$T/out" "backend          sim:$TT/a.json  (context a in $CF)" "config view in text names each origin"

run env VMRECON_CONFIG="$VR_TOP/examples/contexts/config.yaml" "$VMRECON" config get-contexts
expect_rc 0 "examples/contexts/config.yaml loads"
expect_eq "$(awk 'NR > 1 { print ($1 == "*" ? $2 : $1) }' "$T/out" | tr '\n' ' ')" \
	"edge01 edge02 lab-qemu " "with the contexts its comments describe"

# ---- a command uses the context: no -b, no --state-dir ----
run "$VMRECON" apply -f "$EX"
expect_rc 0 "apply with the current context alone"
expect_not_in "$T/err" "no backend given" "a backend from a context is no implicit sim"
expect_eq "$(json_get "$TT/a.json" "d['vms']['edge-01']['cpuCount']")" 4 "it applied to context a's sim file"
[ -f "$TT/sa/status.json" ] && ok "and recorded in context a's state dir" ||
	notok "no status.json in context a's state dir"
run "$VMRECON" diff -f "$EX" --context b
expect_rc 2 "diff --context b sees context b's VM, which differs"
run "$VMRECON" status
expect_rc 0 "status reads context a's state dir"
run "$VMRECON" validate --context nosuch "$EX"
expect_rc 1 "validate --context with an unknown context"
expect_in "$T/err" "no context 'nosuch' in $CF (it has: a, b)" "names the contexts there are"
run "$VMRECON" version
expect_in "$T/out" "config: $CF, context a (currentContext in $CF)" "version names the config and the context"

# ---- get-contexts, current-context, use-context ----
run "$VMRECON" config get-contexts
expect_rc 0 "get-contexts"
expect_eq "$(awk 'NR > 1 { print ($1 == "*" ? "*" $2 : $1) }' "$T/out" | tr '\n' ' ')" "*a b " \
	"lists every context, the current one marked"
run "$VMRECON" config current-context
expect_eq "$(cat "$T/out")" a "current-context prints it"
cp "$CF" "$T/before"
run "$VMRECON" config use-context b
expect_rc 0 "use-context b"
expect_eq "$("$VMRECON" config current-context)" b "b is now current"
expect_eq "$(diff "$T/before" "$CF" | grep -c '^[<>]')" 2 "only one line of the file changed"
expect_in "$CF" "# the contexts of this test (a comment use-context must keep)" "comments are kept"
expect_in "$CF" 'currentContext: "b"' "the new value is there"
run "$VMRECON" config use-context nosuch
expect_rc 1 "use-context of an unknown context"
expect_in "$T/err" "no context 'nosuch'" "says so"
expect_in "$CF" 'currentContext: "b"' "and leaves the file alone"
run "$VMRECON" config use-context
expect_rc 1 "use-context without a name"
run "$VMRECON" config get-context
expect_rc 1 "a config subcommand misspelt"
expect_in "$T/err" "config has no command 'get-context'; did you mean 'get-contexts'?" "gets a suggestion"

# a planted symbolic link is never written through
ln -s config.yaml "$C/link.yaml"
cp "$CF" "$T/before"
run env VMRECON_CONFIG="$C/link.yaml" "$VMRECON" config current-context
expect_eq "$(cat "$T/out")" b "a config reached through a link in a trusted directory is read"
run env VMRECON_CONFIG="$C/link.yaml" "$VMRECON" config use-context a
expect_rc 1 "use-context on a symbolic link"
expect_in "$T/err" "refusing to write $C/link.yaml: it is a symbolic link" "refuses to write through it"
cmp -s "$T/before" "$CF" && ok "the file it points to is unchanged" || notok "the link's target changed"

# ---- a bad config: FILE:LINE:COL, and nothing runs ----
cat >"$C/bad.yaml" <<EOF
apiVersion: vmrecon/v1
kind: Config
currentContext: edge02
contexts:
  edge01:
    backend: efl0w
    backendTimout: 2m
EOF
run env VMRECON_CONFIG="$C/bad.yaml" "$VMRECON" apply -f "$EX" --state-dir "$T/bad-s"
expect_rc 1 "apply with a bad config"
expect_in "$T/err" "$C/bad.yaml:3:17: 'currentContext' names 'edge02', which is not one of 'contexts' (edge01)" \
	"a currentContext naming no context, at its line and column"
expect_in "$T/err" "$C/bad.yaml:6:14: 'contexts.edge01.backend': unknown backend 'efl0w'; did you mean 'eflow'?" \
	"an unknown backend kind, with the one meant"
expect_in "$T/err" "$C/bad.yaml:7:5: unknown key 'backendTimout' in 'contexts.edge01'; did you mean 'backendTimeout'?" \
	"an unknown key, with the one meant"
[ ! -e "$T/bad-s" ] && ok "nothing was created: no state dir" || notok "a bad config still created the state dir"
run env VMRECON_CONFIG="$C/none.yaml" "$VMRECON" diff -f "$EX"
expect_rc 1 "VMRECON_CONFIG naming a missing file"
expect_in "$T/err" "VMRECON_CONFIG names $C/none.yaml, which does not exist" "says so"

# ---- trust: a config others could write is refused ----
chmod g+w "$CF"
run "$VMRECON" diff -f "$EX"
expect_rc 1 "a group-writable config"
expect_in "$T/err" "refusing config $CF: '$CF' is writable by its group (mode 0664)" \
	"is refused, naming the file and why"
chmod g-w "$CF"
chmod o+w "$C"
run "$VMRECON" config view
expect_rc 1 "a config in a world-writable directory"
expect_in "$T/err" "refusing config $CF: '$C' is writable by others" "is refused, naming the directory"
chmod o-w "$C"
cp "$CF" "$T/config.yaml"
run env VMRECON_CONFIG="$T/config.yaml" "$VMRECON" config view
expect_rc 1 "a config below /tmp"
expect_in "$T/err" "is writable by its group and others" "is refused: anyone could have put it there"

# ---- the loud default: no backend from flag, environment or context ----
export VMRECON_CONFIG=/dev/null
S=$T/implicit
NOTE="vmrecon: note: no backend given (--backend, VMRECON_BACKEND or a context): this is the simulated host in $S/sim.json, not a real VM"
run "$VMRECON" diff -f "$EX" --state-dir "$S"
expect_rc 2 "diff on the implicit sim still works (make demo needs no flags)"
expect_eq "$(grep -cF -- "$NOTE" "$T/err")" 1 "diff says once that it is the simulated host, naming its file"
run "$VMRECON" diff -f "$EX" --state-dir "$S" -o json
expect_eq "$(json_get "$T/out" "d['implicitBackend']['file']")" "$S/sim.json" "diff -o json carries implicitBackend"
run "$VMRECON" apply -f "$EX" --state-dir "$S"
expect_rc 0 "apply on the implicit sim"
expect_eq "$(grep -cF -- "$NOTE" "$T/err")" 1 "apply says it once too"
run "$VMRECON" apply -f "$EX" --state-dir "$S" -o json
expect_eq "$(json_get "$T/out" "d['implicitBackend']['backend']")" sim "apply -o json carries it"
run "$VMRECON" get --state-dir "$S"
expect_in "$T/err" "$NOTE" "get says it"
run "$VMRECON" status --state-dir "$S"
expect_not_in "$T/err" "no backend given" "status, which observes nothing, does not"
run "$VMRECON" diff -f "$EX" --state-dir "$S" -b sim
expect_not_in "$T/err" "no backend given" "-b sim given by hand: no note"
expect_eq "$(json_get <("$VMRECON" diff -f "$EX" --state-dir "$S" -b sim -o json 2>/dev/null) "'implicitBackend' in d")" \
	False "and no implicitBackend in the JSON"
run "$VMRECON" watch --once --repo "file://$T/nosuch.git" --path a.yaml --state-dir "$T/w"
expect_rc 1 "watch on the implicit sim"
expect_in "$T/err" "watch needs a backend (--backend KIND[:TARGET], VMRECON_BACKEND or a context)" \
	"refuses to start, saying what to give"
[ ! -e "$T/w" ] && ok "before creating anything" || notok "watch created its state dir first"
run "$VMRECON" watch --once --repo "file://$T/nosuch.git" --path a.yaml --state-dir "$T/w" \
	--backend "sim:$T/w.json"
expect_not_in "$T/err" "needs a backend" "--backend sim:FILE is a simulated host on purpose: watch starts"

# ---- twenty EFLOW hosts over ssh, each named once, as an ordinary user ----
if ! command -v setpriv >/dev/null || ! id nobody >/dev/null 2>&1; then
	skip "twenty EFLOW hosts: no setpriv or no user nobody to run as"
	exit $_failed
fi
U=$TT/user
mkdir -p "$U/bin" "$U/specs" "$U/cfg/vmrecon" "$U/state" "$U/hosts"
chmod -R 755 "$U"
cat >"$U/bin/ssh" <<'SH'
#!/bin/sh
# stand-in ssh (t0430's, per host): skip -o options, pick the host's
# emulated EFLOW state by the destination, let a shell re-parse the rest
while [ "$1" = -o ]; do shift 2; done
host=${1#*@}
shift
echo "$host $1" >>"$HOSTS/ssh.log"
EFLOW_EMU_STATE=$HOSTS/$host.json EFLOW_EMU_LOG=$HOSTS/$host.log EFLOW_EMU_STARTS=$HOSTS/$host.starts exec /bin/sh -c "$*"
SH
chmod 755 "$U/bin/ssh"
ln -s "$EMU" "$U/bin/powershell"
{
	printf 'apiVersion: vmrecon/v1\nkind: Config\ncurrentContext: edge01\ncontexts:\n'
	for n in $(seq -w 1 20); do
		printf '  edge%s:\n    backend: "eflow:ssh -o BatchMode=yes admin@edge%s powershell"\n' "$n" "$n"
		EFLOW_EMU_STATE=$U/hosts/edge$n.json emu_reset "d['vm']['name'] = 'EDGE$n-EFLOW'; d['vm']['cpuCount'] = 1"
		spec "$U/specs/edge$n.yaml" "cpuCount: $((10#$n % 4 + 2))" "restartPolicy: IfNeeded"
		sed -i "s/EDGE01-EFLOW/EDGE$n-EFLOW/" "$U/specs/edge$n.yaml"
	done
} >"$U/cfg/vmrecon/config.yaml"
chown -R nobody:nogroup "$U/cfg" "$U/state" "$U/hosts"
as_user() { # CMD...: as nobody, with its own XDG dirs and no VMRECON_CONFIG
	setpriv --reuid=nobody --regid=nogroup --clear-groups \
		env -u VMRECON_CONFIG -u VMRECON_BACKEND HOME="$U" \
		XDG_CONFIG_HOME="$U/cfg" XDG_STATE_HOME="$U/state" HOSTS="$U/hosts" \
		PATH="$U/bin:$PATH" "$@"
}
run as_user "$VMRECON" config view -o json
expect_eq "$(json_get "$T/out" "d['config']['path']")" "$U/cfg/vmrecon/config.yaml" \
	"an ordinary user's config is \$XDG_CONFIG_HOME/vmrecon/config.yaml"
bad=0
for n in $(seq -w 1 20); do
	case $n in
	05) run as_user env VMRECON_CONTEXT=edge05 "$VMRECON" apply -f "$U/specs/edge$n.yaml" ;;
	06) as_user "$VMRECON" config use-context edge06 >/dev/null
	    run as_user "$VMRECON" apply -f "$U/specs/edge$n.yaml" ;;
	*) run as_user "$VMRECON" apply -f "$U/specs/edge$n.yaml" --context "edge$n" ;;
	esac
	if [ "$RC" -ne 0 ]; then
		bad=1
		echo "# edge$n: exit $RC: $(head -3 "$T/err")"
	fi
done
[ $bad -eq 0 ] && ok "twenty applies, each naming only its context, no -b (one by VMRECON_CONTEXT, one by use-context)" ||
	notok "an apply failed"
wrong=
for n in $(seq -w 1 20); do
	got=$(json_get "$U/hosts/edge$n.json" "d['vm']['cpuCount']")
	[ "$got" = $((10#$n % 4 + 2)) ] || wrong="$wrong edge$n:$got"
	st=$U/state/vmrecon/contexts/edge$n/status.json
	[ "$(json_get "$st" "' '.join(sorted(d['vms']))" 2>/dev/null)" = "EDGE$n-EFLOW" ] ||
		wrong="$wrong edge$n:status"
done
[ -z "$wrong" ] && ok "each host got its own CPU count, recorded in its own state dir (contexts/NAME)" ||
	notok "hosts or records mixed up:$wrong"
expect_eq "$(cut -d' ' -f1 "$U/hosts/ssh.log" | sort -u | wc -l | tr -d ' ')" 20 \
	"vmrecon ran 'ssh ... admin@edgeNN powershell' for each of the twenty"
[ ! -e "$U/state/vmrecon/status.json" ] && ok "nothing went to a shared default state dir" ||
	notok "a shared status.json was written"
run as_user "$VMRECON" diff -f "$U/specs/edge06.yaml"
expect_rc 0 "diff with the current context (edge06, set by use-context) finds it in sync"
exit $_failed
