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
mistake "vmrecon: diff has no option '--no-color'; colour is off when NO_COLOR is set, TERM is dumb" diff --no-color
mistake "vmrecon: --record is an option of get, not of diff" diff -f x --record
mistake "vmrecon: --once takes no argument" watch --once=yes
mistake "vmrecon: --state-dir needs DIR" status --state-dir
mistake "vmrecon: diff has no option -x" diff -x
mistake "vmrecon: '--c' is ambiguous for watch" watch --c x
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
else
	skip "colour checks need script(1)"
fi
