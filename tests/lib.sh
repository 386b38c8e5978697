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

# test_tls DIR: a test CA (DIR/ca.crt) and a server certificate for
# localhost signed by it (DIR/srv.crt, DIR/srv.key, both in DIR/srv.pem);
# a DNS name because libgit2's mbedTLS does not match IP addresses.
test_tls() {
	(
		cd "$1" &&
		openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
			-days 2 -subj "/CN=vmrecon test CA" -keyout ca.key -out ca.crt &&
		openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
			-subj "/CN=localhost" -keyout srv.key -out srv.csr &&
		printf 'subjectAltName=DNS:localhost\n' >san.ext &&
		openssl x509 -req -in srv.csr -CA ca.crt -CAkey ca.key -CAcreateserial \
			-days 2 -extfile san.ext -out srv.crt &&
		cat srv.crt srv.key >srv.pem
	) >/dev/null 2>&1
}
