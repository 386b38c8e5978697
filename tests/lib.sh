# tests/lib.sh - helpers for the end-to-end scripts in tests/e2e/.
# Source it; it makes a temporary directory $T removed at exit (kept on
# failure) and gives assertions that print "ok - ..." / "not ok - ...";
# a check that cannot run here prints "skip - ..." (tests/run counts it as
# skipped, never as passed).
set -u
: "${VR_TOP:=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}"
: "${VMRECON:=$VR_TOP/build/rel/vmrecon}"
T=$(mktemp -d "${TMPDIR:-/tmp}/vr-e2e-XXXXXX")
# no config file, context or setting of the tester's leaks in (config.h in
# reconciler/cli/); the scripts that test them set their own.  The sim
# backend is named through the environment, as a user names one: `watch`
# takes it, and commands do not add the note about an implicit sim
# (t0130-contexts tests that note, with VMRECON_BACKEND unset).
export VMRECON_CONFIG=/dev/null VMRECON_BACKEND=sim
unset VMRECON_CONTEXT VMRECON_STATE_DIR VMRECON_BACKEND_TIMEOUT \
	VMRECON_HOSTNAME
_failed=0
# PIDS: background processes a script started; at exit they get SIGTERM
# (which `git daemon` passes on to its git-daemon) and are waited for
PIDS=""
_vr_exit() {
	local p
	for p in $PIDS; do kill "$p" 2>/dev/null; done
	for p in $PIDS; do wait "$p" 2>/dev/null; done
	[ $_failed -eq 0 ] && rm -rf "$T" ${TT:+"$TT"} || echo "# kept $T $TT"
}
trap _vr_exit EXIT

# trusted_tmp: sets $TT to a fresh directory (once per script, removed with
# $T) for code vmrecon is to load or run: modules, git helpers, installs.
# Not under $T: vmrecon takes no code from below /tmp, which anyone may
# write to (schema/util/trust.h); the build tree is the tester's own.
TT=""
trusted_tmp() {
	[ -n "$TT" ] && return 0
	mkdir -p "$VR_TOP/build/tmp" &&
		TT=$(mktemp -d "$VR_TOP/build/tmp/e2e-XXXXXX")
}

ok() { echo "ok - $*"; }
notok() { echo "not ok - $*"; _failed=1; }
# skip REASON: one check that cannot run here; skip_all REASON: the whole
# script cannot run (prints the line and exits 0)
skip() { echo "skip - $*"; }
skip_all() { skip "$@"; exit 0; }

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

# expect_order FILE FIRST SECOND DESC: FILE's first line holding the
# fixed string FIRST comes before its first line holding SECOND
expect_order() {
	local a b
	a=$(grep -nF -- "$2" "$1" | head -1 | cut -d: -f1)
	b=$(grep -nF -- "$3" "$1" | head -1 | cut -d: -f1)
	if [ -n "$a" ] && [ -n "$b" ] && [ "$a" -lt "$b" ]; then
		ok "$4"
	else
		notok "$4: '$2' at line '$a', '$3' at line '$b'"
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

# test_ca [DATE]: a test CA ($T/ca.pem) and a certificate for localhost
# and 127.0.0.1 signed by it ($T/srv.pem, $T/srv.key), made by openssl,
# valid for 2 days from now, or from DATE ("YYYY-MM-DD hh:mm:ss") for a
# client whose clock libfaketime moves (openssl then runs under faketime:
# a certificate made now is "not yet valid" at an earlier faked time)
test_ca() {
	local at=()
	[ -n "${1:-}" ] && at=(faketime -f "$1")
	{
		"${at[@]}" openssl req -x509 -newkey rsa:2048 -nodes -days 2 \
			-subj /CN=vr-test-ca -keyout "$T/ca.key" -out "$T/ca.pem" &&
		openssl req -newkey rsa:2048 -nodes -subj /CN=localhost \
			-keyout "$T/srv.key" -out "$T/srv.csr" &&
		printf 'subjectAltName=DNS:localhost,IP:127.0.0.1\n' >"$T/ext" &&
		"${at[@]}" openssl x509 -req -in "$T/srv.csr" -CA "$T/ca.pem" \
			-CAkey "$T/ca.key" -CAcreateserial -days 2 \
			-extfile "$T/ext" -out "$T/srv.pem"
	} 2>/dev/null
}

# free_port VAR: VAR is set to a TCP port on 127.0.0.1, kept for this
# script until it ends.  A socket bound to the port (SO_REUSEADDR, not
# listening) is held open by a helper in PIDS: the kernel gives the port
# to no other bind(0) and no outgoing connection, so a suite running
# beside this one (tests/run -j) cannot take it, even while this script's
# server is stopped; a server that sets SO_REUSEADDR (git daemon
# --reuseaddr, lighttpd, sshd, Python's socketserver) listens on it all
# the same, and while nothing listens a connection to it is refused.
free_port() {
	local f
	f=$(mktemp "$T/port.XXXXXX")
	/usr/bin/python3 -c 'import os, socket, sys, time
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", 0))
with open(sys.argv[1] + ".tmp", "w") as f:
    f.write("%d\n" % s.getsockname()[1])
os.rename(sys.argv[1] + ".tmp", sys.argv[1])
parent = os.getppid()
while os.getppid() == parent:  # until the script is gone
    time.sleep(1)' "$f" </dev/null >/dev/null 2>&1 &
	PIDS="$PIDS $!"
	while [ ! -s "$f" ] && kill -0 $! 2>/dev/null; do sleep 0.05; done
	printf -v "$1" '%s' "$(cat "$f")"
	[ -n "${!1}" ]
}

# vm_yaml FILE NAME CPU: a vmrecon/v1 document for VM NAME with CPU CPUs
# that may restart it
vm_yaml() {
	printf 'apiVersion: vmrecon/v1\nkind: VirtualMachine\nmetadata:\n  name: %s\nspec:\n  cpuCount: %s\n  restartPolicy: IfNeeded\n' \
		"$2" "$3" >"$1"
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

# git_fixture SRV WORK [BRANCH]: a bare repository SRV and a working
# repository WORK on BRANCH (main), with a fixed identity and no user or
# system git config, for the scripts that run `watch`
git_fixture() {
	export GIT_CONFIG_NOSYSTEM=1 GIT_CONFIG_GLOBAL=/dev/null
	export GIT_AUTHOR_NAME=tester GIT_AUTHOR_EMAIL=t@example.com
	export GIT_COMMITTER_NAME=tester GIT_COMMITTER_EMAIL=t@example.com
	git init -q --bare -b "${3:-main}" "$1" &&
		git init -q -b "${3:-main}" "$2"
}

# qemu_paused SOCK ARGS...: a QEMU (TCG) paused before its first
# instruction, with QMP on SOCK and ARGS (-name, -smp, -m ...), its pid in
# QPID; waits (polling, up to 120 s: a loaded machine takes seconds) until
# it listens, and returns 1 if it never does (its log is $T/qemu.log)
qemu_paused() {
	local sock=$1 start
	shift
	setsid qemu-system-x86_64 -S -machine q35,accel=tcg -cpu max "$@" \
		-nodefaults -no-user-config -display none \
		-qmp "unix:$sock,server=on,wait=off" -pidfile "$T/qemu.pid" \
		</dev/null >"$T/qemu.log" 2>&1 &
	QPID=$!
	PIDS="$PIDS $QPID"
	start=$(date +%s)
	until [ -S "$sock" ] || ! kill -0 "$QPID" 2>/dev/null ||
		[ $(($(date +%s) - start)) -gt 120 ]; do
		sleep 0.1
	done
	[ -S "$sock" ]
}
