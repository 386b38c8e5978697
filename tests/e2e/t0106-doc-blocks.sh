#!/usr/bin/env bash
# t0106-doc-blocks.sh - every shell block a document marks runnable (its
# fence says ```sh runnable; tests/README.md, "Docs") runs as it is
# written, each command with the exit its comment says (0 unless `exits
# N`), on the simulated host, in a scratch directory with a copy of
# examples/ (tests/docblocks.py says how).  The README's quick start,
# which builds the tree, is t0195's.  Then it proves that it notices: a
# document with a command that fails, one that exits other than it says
# and a block never closed must each be named at its file and line.
#@ no-san: runs the docs' blocks; the commands in them run on build/san in t0200 and t0185
. "$(dirname "$0")/../lib.sh"
trusted_tmp # a config file in a block must sit where vmrecon trusts it

RUNNER=$VR_TOP/tests/docblocks.py
mapfile -t docs < <(cd "$VR_TOP" && find . -path ./build -prune -o -path ./.git -prune -o \
	-name '*.md' -print | sed 's|^\./||' | LC_ALL=C sort)
abs=()
for d in "${docs[@]}"; do abs+=("$VR_TOP/$d"); done
/usr/bin/python3 "$RUNNER" "$VR_TOP" "$TT/run" "${abs[@]}" >"$T/report" 2>"$T/count"
RC=$?
cat "$T/report"
[ "$RC" -eq 0 ] && ok "every runnable block of the ${#docs[@]} documents ran" ||
	notok "a runnable block failed (exit $RC)"
# not vacuous: the README's tour has its blocks, each with its commands
n=$(sed -n 's/^# \([0-9]*\) runnable blocks.*/\1/p' "$T/count")
[ "${n:-0}" -ge 3 ] && ok "it found $n runnable blocks" || notok "it found ${n:-no} runnable blocks: $(cat "$T/count")"
grep -q '^ok - README.md:[0-9]*: its [0-9]* commands ran' "$T/report" &&
	ok "the README's tour is among them" || notok "no runnable block of README.md ran"

# a document with broken blocks: each named at its file and line
mkdir -p "$T/bad"
cat >"$T/bad/guide.md" <<'MD'
# A guide

```sh runnable
vmrecon validate examples/a2-dda.yaml
vmrecon diff -f nowhere/a2-dda.yaml
vmrecon status
```

```sh runnable
vmrecon diff -f examples/a2-dda.yaml              # exits 0: wrong, it has changes to make
```

```sh
false      # not marked: never run
```

```sh runnable
vmrecon version \
    --no-such-option
```

```sh runnable
vmrecon version
MD
/usr/bin/python3 "$RUNNER" "$VR_TOP" "$TT/bad" "$T/bad/guide.md" >"$T/report" 2>/dev/null
RC=$?
[ "$RC" -eq 1 ] && ok "the broken document fails (exit 1)" || notok "the broken document: exit $RC"
for w in "not ok - $T/bad/guide.md:5: exit 1, wanted 0: vmrecon diff -f nowhere/a2-dda.yaml" \
	"not ok - $T/bad/guide.md:10: exit 2, wanted 0: vmrecon diff -f examples/a2-dda.yaml" \
	"not ok - $T/bad/guide.md:18: exit 1, wanted 0: vmrecon version \\" \
	"not ok - $T/bad/guide.md:22: exit 1, wanted 0: # the block is never closed"; do
	grep -qF -- "$w" "$T/report" && ok "caught: ${w#not ok - "$T/bad/"}" ||
		notok "not caught: $w"
done
expect_eq "$(grep -c '^ok - \|^not ok - ' "$T/report")" 4 "four blocks run, the unmarked one not"
grep -q 'nowhere/a2-dda.yaml' "$T/report" && ok "the failing command's output is quoted" ||
	notok "no output quoted: $(cat "$T/report")"
exit $_failed
