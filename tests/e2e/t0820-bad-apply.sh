# t0820-bad-apply.sh - every file of the bad-input corpus (tests/bad/, each
# with `# expect: LINE:COL: text` lines) given to `vmrecon apply` with a sim
# backend file that does not exist: exit 1, every expected LINE:COL on
# stderr, and the sim file never created (the backend was never contacted:
# opening it would create the file).
#@ no-san: unit's load_bad_corpus reads the same files on build/san, and every line of vmrecon this runs, the suites that stay run there (tests/sancov)
. "$(dirname "$0")/../lib.sh"
SIM=$T/never/sim.json
n=0 bad=0
for f in "$VR_TOP"/tests/bad/*.yaml; do
	n=$((n + 1))
	base=${f##*/}
	"$VMRECON" apply -f "$f" --backend "sim:$SIM" --state-dir "$T/state" \
	    >"$T/out" 2>"$T/err"
	rc=$?
	why=""
	[ "$rc" -eq 1 ] || why="exit $rc, wanted 1"
	while IFS= read -r line; do
		case $line in "# expect: "*) ;; *) break ;; esac
		pos=${line#"# expect: "}
		pos=${pos%%: *}
		want="$base:$pos: "
		[ "$pos" = 0:0 ] && want="$base: " # about the whole file
		grep -qF -- "$want" "$T/err" ||
		    why="$why${why:+; }no '$pos:' on stderr"
	done <"$f"
	[ -e "$SIM" ] && why="$why${why:+; }the sim file was created"
	[ -e "$T/never" ] && why="$why${why:+; }the sim file's directory was made"
	if [ -n "$why" ]; then
		notok "apply $base: $why"
		sed 's/^/#   err: /' "$T/err" | head -5
		bad=$((bad + 1))
		rm -rf "$T/never"
	fi
done
if [ "$n" -ge 200 ] && [ "$bad" -eq 0 ]; then
	ok "apply refused all $n bad files with exit 1 at the expected" \
	    "line:col, never touching the backend"
elif [ "$n" -lt 200 ]; then
	notok "only $n bad files (want 200 or more)"
fi
