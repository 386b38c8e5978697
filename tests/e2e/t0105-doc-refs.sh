#!/usr/bin/env bash
# t0105-doc-refs.sh - every reference to a document or source file, in the
# code's comments and in the docs, names a file of the repository
# (tests/docrefs.py says what counts as one): a path such as
# backends/libvirt.md, a bare NAME.md, a manual page of vmrecon's own such
# as vmrecon.yaml(5), and never the old citation of a design document
# outside the tree.  It checks the tree, then proves that it notices: in a
# copy of the tree it plants one bad reference of each kind and expects
# each named with its file and line, and nothing else.  And README.md stays
# at most 250 lines.
#@ no-san: reads the tree's text, never runs vmrecon
. "$(dirname "$0")/../lib.sh"

CHECK=$VR_TOP/tests/docrefs.py
/usr/bin/python3 "$CHECK" "$VR_TOP" >"$T/report" 2>"$T/count"
RC=$?
if [ "$RC" -eq 0 ] && [ ! -s "$T/report" ]; then
	ok "every reference names a file of the repository ($(tail -1 "$T/count" | sed 's/^# //'))"
else
	notok "references to files that are not in the repository (exit $RC):"
	sed 's/^/#   /' "$T/report"
fi
# not vacuous: it read the docs and the code, and checked hundreds
n=$(sed -n 's/^# \([0-9]*\) references checked in \([0-9]*\) files.*/\1 \2/p' "$T/count")
set -- $n
[ "${1:-0}" -ge 300 ] && [ "${2:-0}" -ge 200 ] &&
	ok "it checked $1 references in $2 files" ||
	notok "it checked too little: $(cat "$T/count")"

# the README stays short: what and why, install, the quick start, a tour
# and pointers; the rest lives beside the code (its last table says where)
n=$(wc -l <"$VR_TOP/README.md")
[ "$n" -le 250 ] && ok "README.md has $n lines, at most 250" ||
	notok "README.md has $n lines: more than 250; move the detail beside the code"

# a copy of the tree (no build, no .git) with one bad reference of each
# kind planted; each must be named at its file and line, and only those
mkdir -p "$T/tree"
tar -C "$VR_TOP" --exclude=./build --exclude=./vmrecon --exclude=./.git -cf - . |
	tar -C "$T/tree" -xf -
plant() { # FILE TEXT: TEXT becomes line 2 of FILE
	sed -i "1a $2" "$T/tree/$1"
}
# (the planted names are spelled with variables, so that this file, which
# the check reads too, holds none of them)
M=.md C=.c P='(5)' P8='(8)' D=DESIGN S=$(printf '\302\247')
plant backends/qemu.c " * (see backends/qemu-guide$M, \"Order\")"
plant reconciler/gitops/README.md "as \`reconciler/gitops/nosuch$C\` says"
plant schema/field.h " * the format: vmrecon.conf$P"
plant reconciler/engine/plan.c " * see $D $S""4"
plant tests/README.md "See HACKING$M."
plant README.md "the style guide: \`../outside/STYLE$M\`"
plant schema/vmrecon.yaml.5 ".Xr vmrecon-watch 8"
/usr/bin/python3 "$CHECK" "$T/tree" >"$T/report" 2>/dev/null
RC=$?
want=(
	"backends/qemu.c:2: 'backends/qemu-guide$M' names no file"
	"reconciler/gitops/README.md:2: 'reconciler/gitops/nosuch$C' names no file"
	"schema/field.h:2: 'vmrecon.conf$P': no manual page vmrecon.conf.5"
	"reconciler/engine/plan.c:2: cites '$D $S'"
	"tests/README.md:2: 'HACKING$M' is neither beside tests/README.md nor at the top"
	"README.md:2: '../outside/STYLE$M' names no file"
	"schema/vmrecon.yaml.5:2: 'vmrecon-watch$P8': no manual page vmrecon-watch.8"
)
[ "$RC" -eq 1 ] && ok "the planted tree fails (exit 1)" || notok "the planted tree: exit $RC"
for w in "${want[@]}"; do
	grep -qF -- "$w" "$T/report" && ok "planted, caught: ${w%%:*}: ${w#*: }" ||
		notok "planted, not caught: $w"
done
expect_eq "$(wc -l <"$T/report")" "${#want[@]}" "and nothing else is reported"
[ "$(wc -l <"$T/report")" -eq "${#want[@]}" ] || sed 's/^/#   /' "$T/report"
exit $_failed
