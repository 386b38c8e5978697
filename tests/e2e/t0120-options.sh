#!/usr/bin/env bash
# t0120-options.sh - the option table (reconciler/cli/options.c) against every
# place that shows it: `vmrecon CMD --help`, the man page's SYNOPSIS and
# OPTIONS (vmrecon.1), and the bash completion.  tests/optcheck.py does
# the comparing; this script also proves that it notices: it edits a copy
# of each of the three alone, and a copy of the table, and expects a
# mismatch every time.  Plus the behaviour the table promises: --help on
# stdout with exit 0 for every command, usage errors with exit 1.  And the
# command table (reconciler/cli/commands.h) against `vmrecon help`, the man
# page and the completion, so a command added in one place only fails.
#@ nolv: the option table, --help and the docs still name every backend where the libvirt module is not built
. "$(dirname "$0")/../lib.sh"

TOOLS=${VMRECON%/vmrecon}/tools
CHECK=$VR_TOP/tests/optcheck.py
MAN=$VR_TOP/reconciler/cli/vmrecon.1
COMPL=$VR_TOP/examples/vmrecon.bash-completion
if [ ! -x "$TOOLS/optdump" ]; then
	notok "no $TOOLS/optdump (make test-bins)"
	exit 1
fi
"$TOOLS/optdump" >"$T/table"
CMDS=$(cut -f1 "$T/table" | uniq)
# every backend vmrecon knows, built or not: the docs name libvirt even in
# a build without it; `vmrecon version` lists only the ones this build has
BACKENDS=$("$TOOLS/optdump" backends)
# every command of the command table (reconciler/cli/commands.h)
COMMANDS=$("$TOOLS/optdump" commands)

# ---- --help and usage errors, from the table ----
mkdir "$T/help"
for c in $CMDS; do
	run "$VMRECON" "$c" --help
	[ "$RC" -eq 0 ] && [ ! -s "$T/err" ] && ok "$c --help: exit 0, nothing on stderr" ||
		notok "$c --help: exit $RC, stderr: $(head -2 "$T/err")"
	cp "$T/out" "$T/help/$c.txt"
	run "$VMRECON" "$c" -h
	cmp -s "$T/out" "$T/help/$c.txt" && ok "$c -h is $c --help" || notok "$c -h differs from --help"
	run "$VMRECON" "$c" --no-such-option
	expect_rc 1 "$c with an unknown option"
	expect_in "$T/err" "usage: vmrecon $c" "$c: the usage on stderr"
done
run "$VMRECON" help watch
expect_in "$T/out" "--commit-status-token-file FILE" "help watch lists the commit-status options"
run "$VMRECON" watch --repo r --path p --interval 100ms
expect_rc 1 "a duration below the option's bound is refused"
expect_in "$T/err" "--interval: '100ms' is out of range, 200ms to 168h" "with the bounds"
run "$VMRECON" validate --http-timeout 1m "$VR_TOP/examples/a2-dda.yaml"
expect_rc 0 "--http-timeout takes the one duration grammar (1m)"

# ---- the three places agree with the table ----
check() { # WHAT FILE... : runs optcheck, rc in $RC, report in $T/out
	run /usr/bin/python3 "$CHECK" "$@"
}
check help "$T/table" "$T/help"
expect_rc 0 "every command's --help matches the table"
check man "$T/table" "$MAN"
expect_rc 0 "vmrecon.1's SYNOPSIS and OPTIONS match the table"
check completion "$T/table" "$COMPL" "$BACKENDS"
expect_rc 0 "the bash completion matches the table"
README=$VR_TOP/backends/README.md
check backends "$T/table" "$T/help" "$MAN" "$README" "$BACKENDS"
expect_rc 0 "--help, the man page and backends/README.md name the backends vmrecon knows ($BACKENDS)"
run "$VMRECON" help
cp "$T/out" "$T/usage"
check commands "$T/table" "$COMMANDS" "$MAN" "$COMPL" "$T/usage"
expect_rc 0 "vmrecon help, the man page and the completion name the commands of the table ($COMMANDS)"
run "$VMRECON" version
extra=
for b in $(sed -n 's/^backends: //p' "$T/out"); do
	case " $BACKENDS " in *" $b "*) ;; *) extra="$extra $b" ;; esac
done
[ -z "$extra" ] && ok "version lists only backends of the registry" ||
	notok "version lists backends the registry lacks:$extra"

# ---- and the comparison fails when one of them is edited alone ----
mustfail() { # DESC WANT-IN-REPORT WHAT FILE...
	local desc=$1 want=$2
	shift 2
	check "$@"
	if [ "$RC" -eq 1 ] && grep -qF -- "$want" "$T/out"; then
		ok "edited alone, caught: $desc"
	else
		notok "edited alone, not caught: $desc (exit $RC)"
		sed 's/^/#   /' "$T/out" | head -10
	fi
}
cp -r "$T/help" "$T/h1"
grep -v -- '^      --notify-hmac-key FILE' "$T/help/watch.txt" >"$T/h1/watch.txt"
mustfail "--help without one option" "watch --help: does not list --notify-hmac-key" \
	help "$T/table" "$T/h1"
cp -r "$T/help" "$T/h2"
sed 's/(default: 30s;/(default: 10s;/' "$T/help/diff.txt" >"$T/h2/diff.txt"
mustfail "--help with another default" "--http-timeout default '10s'" help "$T/table" "$T/h2"

sed '/^\.Cm status$/,/^\.Nm$/{/^\.Op Fl -state-dir Ar dir$/d}' "$MAN" >"$T/m1"
mustfail "a SYNOPSIS without one option" "SYNOPSIS: status lacks --state-dir" man "$T/table" "$T/m1"
sed 's/^\.Op Fl o Cm yaml Ns | Ns Cm json$/.Op Fl o Cm text Ns | Ns Cm json/' "$MAN" >"$T/m2"
mustfail "a SYNOPSIS with the wrong values" "get --output values" man "$T/table" "$T/m2"
sed '/^\.It Fl -record$/d' "$MAN" >"$T/m3"
mustfail "OPTIONS without an item" "no .It item for --record" man "$T/table" "$T/m3"
sed 's/^\.Li 5m \.$/.Li 4m ./' "$MAN" >"$T/m4"
mustfail "OPTIONS with another default" "--max-backoff's item lacks its default" man "$T/table" "$T/m4"

sed 's/ --no-self-heal --once / --no-self-heal /' "$COMPL" >"$T/c1"
mustfail "a completion without an option" "'watch -' does not offer --once" \
	completion "$T/table" "$T/c1" "$BACKENDS"
sed 's/"github gitea gitlab"/"github gitea"/' "$COMPL" >"$T/c2"
mustfail "a completion with other values" "'watch --commit-status' (enum)" \
	completion "$T/table" "$T/c2" "$BACKENDS"
sed 's/^\t--state-dir)$/\t--state-dir|--ssh-key)/' "$COMPL" >"$T/c3"
mustfail "a completion of a file as a directory" "'watch --ssh-key' (path)" \
	completion "$T/table" "$T/c3" "$BACKENDS"

sed 's/^\.Cm libvirt$/.Cm libvrt/' "$MAN" >"$T/m5"
mustfail "a backend missing from the man page" "the --backend item lacks .Cm libvirt" \
	backends "$T/table" "$T/help" "$T/m5" "$README" "$BACKENDS"
mustfail "a backend vmrecon does not have" "lacks .Cm bhyve" \
	backends "$T/table" "$T/help" "$MAN" "$README" "$BACKENDS bhyve"
cp -r "$T/help" "$T/h3"
for f in "$T/help"/*.txt; do
	# the list wraps where it likes: take "or libvirt" out across lines
	perl -0pe 's/ or\s+libvirt\b//' "$f" >"$T/h3/${f##*/}"
done
mustfail "a backend missing from --help" "--backend does not name the libvirt backend" \
	backends "$T/table" "$T/h3" "$MAN" "$README" "$BACKENDS"
cp -r "$T/help" "$T/h4"
for f in "$T/help"/*.txt; do
	grep -v '^  libvirt ' "$f" >"$T/h4/${f##*/}"
done
mustfail "a backend missing from --help's TARGETs" "the list of TARGETs lacks the libvirt backend" \
	backends "$T/table" "$T/h4" "$MAN" "$README" "$BACKENDS"
grep -v '^| `qemu`' "$README" >"$T/r1"
mustfail "a backend missing from backends/README.md" "no row for qemu" \
	backends "$T/table" "$T/help" "$MAN" "$T/r1" "$BACKENDS"

# a command added to one place alone: the table, the man page, the
# completion, or one missing from `vmrecon help`
mustfail "a new command in the table, vmrecon help" "vmrecon help: lists" \
	commands "$T/table" "$COMMANDS frob" "$MAN" "$COMPL" "$T/usage"
mustfail "a new command in the table, man page" "vmrecon.1 COMMANDS: no frob" \
	commands "$T/table" "$COMMANDS frob" "$MAN" "$COMPL" "$T/usage"
mustfail "a new command in the table, completion" "'vmrecon ' does not offer frob" \
	commands "$T/table" "$COMMANDS frob" "$MAN" "$COMPL" "$T/usage"
{ cat "$T/table"; printf 'frob\thelp\th\tnone\t-\t-\t0\n'; } >"$T/table3"
mustfail "a new command in the option table alone" "frob takes options but is not in the command table" \
	commands "$T/table3" "$COMMANDS" "$MAN" "$COMPL" "$T/usage"
sed 's/^\(\tlocal commands="[^"]*\)"$/\1 frob"/' "$COMPL" >"$T/c4"
mustfail "a new command in the completion alone" "offers frob, which is not in the command table" \
	commands "$T/table" "$COMMANDS" "$MAN" "$T/c4" "$T/usage"
sed 's/^\.It Cm status$/.It Cm stat/' "$MAN" >"$T/m6"
mustfail "a command missing from the man page's COMMANDS" "vmrecon.1 COMMANDS: no status" \
	commands "$T/table" "$COMMANDS" "$T/m6" "$COMPL" "$T/usage"
awk '/^\.Cm help$/ { $0 = ".Cm frob" } 1' "$MAN" >"$T/m7"
mustfail "a command missing from the man page's SYNOPSIS" "vmrecon.1 SYNOPSIS: no help" \
	commands "$T/table" "$COMMANDS" "$T/m7" "$COMPL" "$T/usage"
grep -v '^  get ' "$T/usage" >"$T/u1"
mustfail "a command missing from vmrecon help" "vmrecon help: lists" \
	commands "$T/table" "$COMMANDS" "$MAN" "$COMPL" "$T/u1"

# and a row added to the table alone shows in all three
{ cat "$T/table"; printf 'diff\tfrobnicate\t-\tcount\tN\t3\t0\n'; } >"$T/table2"
mustfail "a new table row, --help" "diff --help: does not list --frobnicate" help "$T/table2" "$T/help"
mustfail "a new table row, man page" "no .It item for --frobnicate" man "$T/table2" "$MAN"
mustfail "a new table row, completion" "'diff -' does not offer --frobnicate" \
	completion "$T/table2" "$COMPL" "$BACKENDS"
exit $_failed
