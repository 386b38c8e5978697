# t0195-quickstart.sh - the README's quick start, run as it is written on a
# fresh copy of the tree (no build/, no ./vmrecon): each line of its first
# sh block, with the exit the README says.
#@ no-san: builds and runs its own ./vmrecon (make demo), never the sanitizer build
#@ full-only: builds the whole tree again in a fresh copy (make demo)
. "$(dirname "$0")/../lib.sh"
F=$T/fresh
mkdir -p "$F"
tar -C "$VR_TOP" --exclude=./build --exclude=./vmrecon --exclude=./.git -cf - . |
	tar -C "$F" -xf -
awk '/^## Quick start/ { q = 1 } q && /^```sh$/ { b = 1; next } b && /^```$/ { exit } b' \
	"$F/README.md" >"$T/quick.sh"
expect_eq "$(wc -l <"$T/quick.sh")" 6 "the README's quick start has its 6 lines"
head -1 "$T/quick.sh" | grep -q '^make demo' && ok "it starts with make demo" ||
	notok "quick start: $(head -1 "$T/quick.sh")"
# exit codes the README gives: diff exits 2 with changes to make
want=(0 0 0 2 0 0)
i=0
while IFS= read -r line; do
	(cd "$F" && MAKEFLAGS=-j2 bash -c "$line") >"$T/q$i.out" 2>"$T/q$i.err"
	rc=$?
	if [ "$rc" -eq "${want[$i]}" ]; then ok "quick start: ${line%%#*}(exit $rc)"; else
		notok "quick start line $((i + 1)): exit $rc, wanted ${want[$i]}: $line"
		tail -5 "$T/q$i.err" | sed 's/^/#   /'
	fi
	i=$((i + 1))
done <"$T/quick.sh"
expect_in "$T/q0.out" "./vmrecon diff -f examples/a2-dda.yaml --state-dir build/demo-state" \
	"the demo's last line says how to diff with its state dir"
expect_in "$T/q3.out" "cpuCount" "the quick start's diff shows the edit"
expect_in "$T/q4.out" "Apply complete" "its apply completes"
grep -Eq '^vm +edge-01 +True ' "$T/q5.out" && ok "its status says Ready" ||
	notok "status: $(cat "$T/q5.out")"
