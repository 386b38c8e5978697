# t0175-completion.sh - the bash completion in a real interactive bash
# (`bash -i`, the script sourced), driven as readline drives it: COMP_LINE
# and COMP_POINT as typed, COMP_WORDS split at COMP_WORDBREAKS (so
# `qemu:./so` arrives as "qemu" ":" "./so").  KIND:PATH, --opt=value,
# directories (no space after them: compopt -o filenames) and file names
# with spaces (one word).
#@ no-san: runs the bash completion script, never vmrecon
. "$(dirname "$0")/../lib.sh"
C=$VR_TOP/examples/vmrecon.bash-completion
W=$T/work
mkdir -p "$W/examples" "$W/my dir"
: >"$W/qmp.sock"
: >"$W/qmp.sock2"
: >"$W/edge one.yaml"
: >"$W/edge-two.yaml"

# comp LINE: complete LINE (the cursor at its end) in bash -i; prints
# COMPREPLY one per line, then "opts: ..." with what compopt was asked
comp() {
	(cd "$W" && bash --norc --noprofile -i 2>/dev/null <<EOF_BASH
source '$C'
compopt() { echo "opts: \$*" >>"$T/compopt"; }
: >"$T/compopt"
COMP_LINE='$1'
COMP_POINT=\${#COMP_LINE}
# readline's split: blanks end words, and each COMP_WORDBREAKS char
# (here ':' and '=') is a word of its own
COMP_WORDS=()
w=
for ((i = 0; i < \${#COMP_LINE}; i++)); do
	ch=\${COMP_LINE:i:1}
	case \$ch in
	' ') [ -n "\$w" ] && COMP_WORDS+=("\$w"); w= ;;
	:|=) [ -n "\$w" ] && COMP_WORDS+=("\$w"); COMP_WORDS+=("\$ch"); w= ;;
	*) w+=\$ch ;;
	esac
done
COMP_WORDS+=("\$w")
COMP_CWORD=\$((\${#COMP_WORDS[@]} - 1))
_vmrecon vmrecon "\${COMP_WORDS[COMP_CWORD]}" "\${COMP_WORDS[COMP_CWORD-1]}"
printf '[%s]\n' "\${COMPREPLY[@]}"
cat "$T/compopt"
EOF_BASH
	)
}
interactive=$(cd "$W" && bash --norc --noprofile -i -c 'echo $-' 2>/dev/null)
case $interactive in *i*) ok "bash -i is interactive (\$- = $interactive)" ;;
	*) notok "bash -i: \$- = $interactive" ;; esac

out=$(comp 'vmrecon apply --backend qemu:./qmp.s')
expect_eq "$(echo "$out" | grep '^\[' | LC_ALL=C sort | tr '\n' ' ')" "[./qmp.sock2] [./qmp.sock] " \
	"KIND:PATH completes the path, giving readline the part after ':'"
out=$(comp 'vmrecon apply --backend sim:')
echo "$out" | grep -qx '\[edge one.yaml\]' && ok "KIND: alone lists the files" ||
	notok "sim: -> $out"
out=$(comp 'vmrecon apply --backend=e')
expect_eq "$(echo "$out" | grep '^\[')" "[eflow]" "--backend=e completes the kind"
out=$(comp 'vmrecon apply --backend=qemu:./qmp.sock')
expect_eq "$(echo "$out" | grep '^\[' | LC_ALL=C sort | tr '\n' ' ')" "[./qmp.sock2] [./qmp.sock] " \
	"--backend=qemu:PATH too"
out=$(comp 'vmrecon diff -f exa')
expect_eq "$(echo "$out" | grep '^\[')" "[examples]" "-f completes a directory"
echo "$out" | grep -q '^opts: -o filenames' && ok "as file names: a '/' after a directory, not a space" ||
	notok "no compopt -o filenames: $out"
out=$(comp 'vmrecon diff -f edge')
expect_eq "$(echo "$out" | grep '^\[' | LC_ALL=C sort | tr '\n' ' ')" "[edge one.yaml] [edge-two.yaml] " \
	"a file with a space stays one word"
out=$(comp 'vmrecon diff --state-dir my')
expect_eq "$(echo "$out" | grep '^\[')" "[my dir]" "--state-dir offers directories, spaces kept"
out=$(comp 'vmrecon validate edge-')
expect_eq "$(echo "$out" | grep '^\[')" "[edge-two.yaml]" "validate's operands are files"
out=$(comp 'vmrecon diff --no')
echo "$out" | grep -qx '\[--notify\]' && ok "options still complete" || notok "--no -> $out"
out=$(comp 'vmrecon ap')
expect_eq "$(echo "$out" | grep '^\[')" "[apply]" "commands still complete"
