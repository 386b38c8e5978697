# t0190-mistakes.sh - helpful mistakes: "did you mean" for commands and
# options (the edit distance of the YAML keys, schema/suggest.c), hints
# for other tools' habits, --help for each command from the option table,
# one message prefix ("vmrecon: "), and no colour with TERM=dumb (checked
# on a real terminal made by script(1)).
. "$(dirname "$0")/../lib.sh"
S=$T/state
ex=$VR_TOP/examples

mistake() { # WANT-IN-ERR ARGS... : exit 1 and the message
	local want=$1
	shift
	run "$VMRECON" "$@"
	if [ "$RC" -eq 1 ] && grep -qF -- "$want" "$T/err"; then
		ok "vmrecon $*: $want"
	else
		notok "vmrecon $*: exit $RC, wanted 1 and '$want' in: $(head -2 "$T/err")"
	fi
}
mistake "vmrecon: unknown command 'aply'; did you mean 'apply'?" aply -f x
mistake "vmrecon: unknown command 'plan'; did you mean 'diff'?" plan
mistake "vmrecon: unknown command 'statsu'; did you mean 'status'?" statsu
mistake "vmrecon: unknown command 'aply'; did you mean 'apply'?" help aply
mistake "vmrecon: diff has no option '--stat-dir'; did you mean '--state-dir'?" diff -f x --stat-dir d
mistake "vmrecon: apply has no option '--dry-run'; 'vmrecon diff' shows the plan" apply -f x --dry-run
mistake "vmrecon: diff has no option '--no-color'; use --color never (colour is off anyway when NO_COLOR is set, TERM is dumb" diff --no-color
mistake "vmrecon: --record is an option of get, not of diff" diff -f x --record
mistake "vmrecon: --once takes no argument" watch --once=yes
mistake "vmrecon: --state-dir needs DIR" status --state-dir
mistake "vmrecon: diff has no option -x" diff -x
mistake "vmrecon: '--c' is ambiguous for watch" watch --c x
mistake "vmrecon: apply takes its files with -f: did you mean 'vmrecon apply -f edge.yaml'?" apply edge.yaml
mistake "vmrecon: diff takes its files with -f: did you mean 'vmrecon diff -f edge.yaml'?" diff edge.yaml
mistake "vmrecon: unknown backend 'EFLOW'; did you mean 'eflow'? (this vmrecon has: sim, eflow" \
	diff -f "$ex/a2-dda.yaml" -b EFLOW --state-dir "$S"
mistake "vmrecon: unknown backend 'efl0w'; did you mean 'eflow'?" get -b efl0w:x --state-dir "$S"
mistake "vmrecon: unknown backend 'bhyve' (this vmrecon has:" get -b bhyve --state-dir "$S"
mistake "vmrecon: --color must be one of auto|always|never, not 'yes'" diff -f x --color yes
run "$VMRECON" xyzzy
expect_in "$T/err" "vmrecon: unknown command 'xyzzy'" "an unknown command without a near one"
expect_not_in "$T/err" "did you mean" "gets no suggestion"

# one prefix: every message line of these mistakes starts "vmrecon: "
# (getopt's own "diff: unrecognized option" is gone)
: >"$T/all"
for args in "diff --bogus" "apply" "validate" "get --output xml" "status extra" \
	"watch --repo r" "diff -f $T/nope.yaml" "apply -f $ex/a2-dda.yaml --state-dir /proc/nope"; do
	# shellcheck disable=SC2086
	"$VMRECON" $args 2>&1 >/dev/null | grep -v '^usage:\|^   \|^$' >>"$T/all"
done
if [ -s "$T/all" ] && ! grep -v '^vmrecon: ' "$T/all" >/dev/null; then
	ok "every message line starts with 'vmrecon: ' ($(wc -l <"$T/all") lines)"
else
	notok "lines without the prefix: $(grep -v '^vmrecon: ' "$T/all" | head -3)"
fi

# --help of each command lists its options with their defaults
run "$VMRECON" apply --help
expect_rc 0 "apply --help"
expect_in "$T/out" "--state-dir" "lists --state-dir"
expect_in "$T/out" "-R, --recursive" "lists -R"
run "$VMRECON" watch --help
expect_in "$T/out" "default: 1m" "watch --help shows the interval's default"

# colour: on a terminal, off with TERM=dumb or NO_COLOR
sed 's/cpuCount: .*/cpuCount: 3/' "$ex/a2-dda.yaml" >"$T/c.yaml"
tty_diff() { # ENV...: diff on a pseudo-terminal, output in $T/tty
	script -qec "env $* '$VMRECON' diff -f '$T/c.yaml' --state-dir '$S'" /dev/null >"$T/tty" 2>&1
}
if command -v script >/dev/null; then
	tty_diff TERM=xterm
	if grep -q $'\033\[' "$T/tty"; then ok "a terminal gets colour"; else
		notok "no colour on a terminal: $(head -3 "$T/tty")"; fi
	tty_diff TERM=dumb
	if grep -q "Plan:" "$T/tty" && ! grep -q $'\033\[' "$T/tty"; then
		ok "TERM=dumb: no colour"
	else
		notok "TERM=dumb: $(head -3 "$T/tty" | cat -v)"
	fi
	tty_diff TERM=xterm NO_COLOR=1
	if grep -q "Plan:" "$T/tty" && ! grep -q $'\033\[' "$T/tty"; then
		ok "NO_COLOR: no colour"
	else
		notok "NO_COLOR: $(head -3 "$T/tty" | cat -v)"
	fi
	script -qec "env TERM=xterm '$VMRECON' diff -f '$T/c.yaml' --state-dir '$S' --color never" \
		/dev/null >"$T/tty" 2>&1
	if grep -q "Plan:" "$T/tty" && ! grep -q $'\033\[' "$T/tty"; then
		ok "--color never: no colour on a terminal"
	else
		notok "--color never: $(head -3 "$T/tty" | cat -v)"
	fi
else
	skip "colour checks need script(1)"
fi
run env NO_COLOR=1 "$VMRECON" diff -f "$T/c.yaml" --state-dir "$S" --color always
if grep -q $'\033\[' "$T/out"; then ok "--color always: colour into a pipe, NO_COLOR or not"; else
	notok "--color always gave no colour: $(head -2 "$T/out")"; fi
run "$VMRECON" diff -f "$T/c.yaml" --state-dir "$S" --color=auto
! grep -q $'\033\[' "$T/out" && ok "--color=auto: none into a pipe" || notok "--color=auto coloured a pipe"

# durations in systemd's spellings, wherever a duration is read
run "$VMRECON" validate --http-timeout 10min "$ex/a2-dda.yaml"
expect_rc 0 "--http-timeout 10min"
run "$VMRECON" validate --http-timeout "1h 30min" "$ex/a2-dda.yaml"
expect_rc 1 "--http-timeout '1h 30min' is read, and past its bound of 1h"
expect_in "$T/err" "--http-timeout: '1h 30min' is out of range, 1s to 1h" "with the bounds"
run "$VMRECON" diff -f "$T/c.yaml" --state-dir "$S" --backend-timeout "2 min 30 s"
expect_rc 2 "--backend-timeout '2 min 30 s'"

# --hostname names this host's file in a fleet repository: a name that is
# no single path component is refused before any fetch
run "$VMRECON" watch --once --repo "file://$T/no-repo" --path 'hosts/{hostname}.yaml' \
	--hostname 'a/b' --state-dir "$T/hn" --backend "sim:$T/hn.json"
expect_rc 1 "watch --hostname a/b is refused"
expect_in "$T/err" "--hostname: hostname 'a/b' has a character not allowed in a path" "naming the character's rule"
[ ! -e "$T/hn.json" ] && ok "and the backend was never opened" || notok "the sim file was made"
