# tests/lib.sh - helpers for the end-to-end scripts in tests/e2e/.
# Source it; it makes a temporary directory $T removed at exit (kept on
# failure) and gives assertions that print "ok - ..." / "not ok - ...".
set -u
: "${VR_TOP:=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}"
: "${VMRECON:=$VR_TOP/build/rel/vmrecon}"
T=$(mktemp -d "${TMPDIR:-/tmp}/vr-e2e-XXXXXX")
_failed=0
trap '[ $_failed -eq 0 ] && rm -rf "$T" || echo "# kept $T"' EXIT

ok() { echo "ok - $*"; }
notok() { echo "not ok - $*"; _failed=1; }
# skip REASON: a check that cannot run here; tests/run counts it as
# skipped, never as passed
skip() { echo "skip - $*"; }

# run CMD...: runs it, stdout in $T/out, stderr in $T/err, code in $RC
run() {
	"$@" >"$T/out" 2>"$T/err"
	RC=$?
}

# expect_rc WANT DESC: the last run exited WANT
expect_rc() {
	if [ "$RC" -eq "$1" ]; then ok "$2 (exit $1)"; else
		notok "$2: exit $RC, wanted $1"
		sed 's/^/#   out: /' "$T/out" | head -20
		sed 's/^/#   err: /' "$T/err" | head -20
	fi
}

# expect_in FILE PATTERN DESC: FILE ($T/out, $T/err, ...) has a line
# matching the fixed string PATTERN
expect_in() {
	if grep -qF -- "$2" "$1"; then ok "$3"; else
		notok "$3: '$2' not in $(basename "$1")"
		sed 's/^/#   /' "$1" | head -20
	fi
}

expect_not_in() {
	if ! grep -qF -- "$2" "$1"; then ok "$3"; else
		notok "$3: '$2' found in $(basename "$1")"
		sed 's/^/#   /' "$1" | head -20
	fi
}

# expect_eq GOT WANT DESC
expect_eq() {
	if [ "$1" = "$2" ]; then ok "$3"; else notok "$3: got '$1', wanted '$2'"; fi
}

# jq-like field read without jq: json_get FILE PYTHON-EXPR (d is the doc)
json_get() {
	/usr/bin/python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' "$1" "$2"
}
