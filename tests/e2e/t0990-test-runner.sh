# t0990-test-runner.sh - tests/run itself, on a tree of its own with made-up
# suites: the counting and the closing line, each suite's line with its
# seconds, the table and the ten slowest; -j 2 running two suites at once
# (two that wait for each other both pass) with each suite's output whole;
# an exclusive suite running alone; --quick leaving out full-only; the
# sanitizer pass leaving out no-san and the no-libvirt pass taking nolv.
#@ no-san: runs tests/run on made-up suites, never vmrecon
. "$(dirname "$0")/../lib.sh"
R=$T/tree
mkdir -p "$R/tests/e2e" "$R/build/fake"
cp "$VR_TOP/tests/run" "$R/tests/run"
# the unit "binary" of the made-up build: two passes, one skip
printf '#!/bin/sh\necho "ok u1"\necho "ok u2"\necho "skip - u3 cannot run here"\n' \
	>"$R/build/fake/unit"
chmod +x "$R/build/fake/unit"
LOG=$T/events # "start NAME" / "end NAME", one line each, in order
export LOG
# suite NAME [TAG-LINE...] < BODY: a made-up script that logs its start and
# end to $LOG around BODY
suite() {
	local f=$R/tests/e2e/$1.sh n=$1
	shift
	{
		echo "# $n - a made-up suite"
		for t in "$@"; do echo "#@ $t"; done
		echo "echo \"start $n \${VR_BUILD##*/}\" >>\"\$LOG\""
		cat
		echo "echo \"end $n \${VR_BUILD##*/}\" >>\"\$LOG\""
	} >"$f"
}
# t0001/t0002 wait for each other (each up to 60 s, which only a runner
# that never runs them side by side uses up), printing between waits
for pair in "t0001-a t0002-b" "t0002-b t0001-a"; do
	set -- $pair
	suite "$1" <<S
echo "ok - $1 one"
touch "\$LOG.$1"
i=0
until [ -e "\$LOG.$2" ] || [ \$i -ge 1200 ]; do sleep 0.05; i=\$((i + 1)); done
[ -e "\$LOG.$2" ] && echo "ok - $1 ran beside $2" || echo "not ok - $1 never ran beside $2"
echo "ok - $1 three"
S
done
suite t0003-fails <<'S'
echo "ok - fine"
echo "not ok - broken"
S
suite t0004-crash <<'S'
echo "ok - before the crash"
exit 3
S
suite t0005-alone "exclusive: tested here" <<'S'
echo "ok - alone"
S
suite t0006-full "full-only: tested here" "no-san: tested here" <<'S'
echo "ok - full"
S
suite t0007-nolv "nolv: tested here" <<'S'
echo "skip - nothing to do"
S
for i in 08 09 10 11 12; do
	suite "t00$i-more" <<<'echo "ok - more"'
done

runner() { # ARGS...: tests/run on the made-up tree, the fake build
	(cd "$R" && env -u VR_SAN_BUILD -u VR_NOLV_BUILD -u VR_SAN_SKIP \
		VR_BUILD=build/fake "$@") >"$T/out" 2>"$T/err"
	RC=$?
}

# --- one at a time ------------------------------------------------------------
: >"$LOG"
rm -f "$LOG".t000*
runner tests/run unit t0003-fails t0004-crash t0006-full
expect_rc 1 "a failure makes the run fail"
expect_eq "$(tail -1 "$T/out")" "5 passed, 2 failed, 1 skipped" \
	"the closing line counts ok, not ok and skip lines, and a crash as one failure"
expect_in "$T/out" "FAIL t0004-crash exited 3" "the crash is named"
grep -Eq '^== t0003-fails: 1 passed, 1 failed, 0 skipped; [0-9.]+ s, [0-9.]+ s CPU$' "$T/out" &&
	ok "each suite ends with its counts, its seconds and its CPU seconds" ||
	notok "no closing line for t0003-fails: $(grep '^== t0003' "$T/out")"
expect_in "$T/out" "== seconds per suite" "the run ends with the table"
expect_eq "$(sed -n '/^== seconds per suite/,/^== the ten slowest/p' "$T/out" | grep -c '^   ')" 4 \
	"the table has a row per suite"

# --- two at a time ------------------------------------------------------------
: >"$LOG"
rm -f "$LOG".t000*
runner tests/run -j 2
expect_rc 1 "-j 2: the failure still fails the run"
expect_eq "$(tail -1 "$T/out")" "17 passed, 2 failed, 2 skipped" \
	"-j 2: the same counts as one at a time would give"
expect_in "$T/out" "ok - t0001-a ran beside t0002-b" "-j 2: two suites run at once"
expect_in "$T/out" "ok - t0002-b ran beside t0001-a" "-j 2: both of them"
# each suite's lines sit between its "== NAME" and "== NAME: ..." lines
/usr/bin/python3 - "$T/out" <<'PY' && ok "-j 2: each suite's output is printed whole" || notok "-j 2: output interleaved"
import re, sys
lines = open(sys.argv[1]).read().splitlines()
cur = None
for l in lines:
    m = re.match(r"^== (\S+)$", l)
    if m:
        assert cur is None, (cur, l)
        cur = m.group(1)
        continue
    m = re.match(r"^== (\S+): ", l)
    if m:
        assert m.group(1) == cur, (cur, l)
        cur = None
        continue
    if l.startswith("ok - t0001-a") or l.startswith("ok - t0002-b"):
        assert cur == l.split()[2], (cur, l)
PY
# the exclusive one: nothing starts or ends between its start and its end
/usr/bin/python3 - "$LOG" <<'PY' && ok "-j 2: the exclusive suite ran alone" || notok "-j 2: something ran beside the exclusive suite: $(tr '\n' ' ' <"$LOG")"
import sys
ev = [l.split()[:2] for l in open(sys.argv[1])]
running = set()
for kind, name in ev:
    if kind == "start":
        assert "t0005-alone" not in running, (name, ev)
        assert name != "t0005-alone" or not running, (running, ev)
        running.add(name)
    else:
        running.discard(name)
PY
expect_eq "$(sed -n '/^== the ten slowest/,$p' "$T/out" | grep -c '^   ')" 10 "the ten slowest are listed"
[ -s "$R/build/test-times" ] && ok "the seconds are kept for the next run's order" ||
	notok "no build/test-times"

# --- tiers and passes ----------------------------------------------------------
: >"$LOG"
runner tests/run -j 2 --quick t0006-full t0008-more
expect_eq "$(tail -1 "$T/out")" "1 passed, 0 failed, 0 skipped" "--quick leaves out a full-only suite"
expect_not_in "$LOG" "t0006-full" "and does not start it"
: >"$LOG"
runner env VR_SAN_BUILD=build/fake VR_NOLV_BUILD=build/fake tests/run -j 2 t0006-full t0007-nolv t0008-more unit
grep -o '^== [a-z]*/*t*[0-9a-z-]*:' "$T/out" | sort >"$T/names"
expect_eq "$(tr '\n' ' ' <"$T/names")" \
	"== nolv/t0007-nolv: == nolv/unit: == san/t0007-nolv: == san/t0008-more: == san/unit: == t0006-full: == t0007-nolv: == t0008-more: == unit: " \
	"the sanitizer pass leaves out no-san, the no-libvirt pass takes unit and nolv"
runner env VR_SAN_BUILD=build/fake VR_SAN_SKIP=t0008-more tests/run t0006-full t0008-more
expect_in "$T/out" "== san/t0006-full:" "VR_SAN_SKIP, when set, replaces the tags"
expect_not_in "$T/out" "== san/t0008-more:" "and leaves out what it names"
runner tests/run t0404-none
expect_rc 2 "an unknown suite is an error"
expect_in "$T/err" "no suite t0404-none" "that names it"

# the suites' Python is Debian's /usr/bin/python3 (it has python3-jsonschema
# and python3-yaml), never a python3 found on PATH: there it may be a pyenv
# shim, which starts 13 times slower (0.34 s against 0.026 s a start here)
bare=$(cd "$VR_TOP" && grep -rnIP --exclude='*.md' '(?<![/\w.-])python3(?=[ ]|$)' tests |
	grep -v ':[0-9]*:\s*#')
expect_eq "$bare" "" "no suite runs a Python found on PATH"
shebang=$(cd "$VR_TOP" && grep -rlI '^#!/usr/bin/env python' tests)
expect_eq "$shebang" "" "no test tool's #! finds python on PATH"
