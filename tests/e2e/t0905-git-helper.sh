# t0905-git-helper.sh - vmrecon-git-helper (reconciler/gitops/gitproto.h):
# the watch daemon holds no libgit2 (nor libcrypto, libssh2, mbedTLS)
# between polls; a helper of another vmrecon version, one that is no
# executable, one that answers junk are refused with a clear message; the
# helper refuses a request of another version; a helper that hangs past
# the fetch deadline is killed with its process group, the lock file it
# left in the mirror is removed, and the next poll recovers.
. "$(dirname "$0")/../lib.sh"
trusted_tmp || notok "no trusted directory for the helpers"
HELPER=$VR_TOP/$VR_BUILD/lib/vmrecon/vmrecon-git-helper
ver=$(cat "$VR_TOP/reconciler/VERSION")
SRV=$T/srv.git
W=$T/w
git_fixture "$SRV" "$W"
mkdir -p "$W/hosts"
cat >"$W/hosts/a.yaml" <<'Y'
apiVersion: vmrecon/v1
kind: VirtualMachine
metadata:
  name: edge-01
spec:
  cpuCount: 1
  memoryInMB: 1024
Y
git -C "$W" add -A && git -C "$W" commit -qm init &&
	git -C "$W" push -q "$SRV" HEAD:main || notok "git fixture"
URL=file://$SRV

# wait_for SECONDS CMD...: poll every 50 ms until CMD succeeds
wait_for() {
	local end=$((SECONDS + $1 + 1))
	shift
	while ! "$@" >/dev/null 2>&1; do
		[ $SECONDS -ge $end ] && return 1
		sleep 0.05
	done
}
has() { grep -qF -- "$2" "$1"; }
# gone PID: no such process, or a zombie (no init reaps it here)
gone() { ! [ -e "/proc/$1/stat" ] || grep -q '^[0-9]* (.*) Z' "/proc/$1/stat"; }

# --- the daemon between polls: no libgit2 in its address space
"$VMRECON" watch --repo "$URL" --path hosts/a.yaml --state-dir "$T/s1" \
	--interval 1s 2>"$T/w1.log" &
WPID=$!
PIDS="$PIDS $WPID"
if wait_for 120 has "$T/w1.log" "new revision"; then
	# the helper of the first poll has exited once the revision is logged
	cp "/proc/$WPID/maps" "$T/maps"
	for lib in libgit2 libcrypto libssh2 libmbed libhttp_parser libcurl; do
		expect_not_in "$T/maps" "$lib" "the watch daemon does not map $lib"
	done
	expect_in "$T/maps" "libjansson" "(the maps are the daemon's)"
else
	notok "watch logged no revision"
	sed 's/^/#   /' "$T/w1.log"
fi
kill "$WPID"
wait "$WPID"
RC=$?
expect_rc 0 "watch stops on SIGTERM"

# --- helpers that are not this vmrecon's
mkdir -p "$TT/other" "$TT/junk" "$TT/noexec" "$TT/notjson"
cat >"$TT/other/vmrecon-git-helper" <<'S'
#!/bin/sh
cat >/dev/null
printf '{"vmrecon":"0.0.0-other","proto":1,"rc":0,"library":"libgit2 0"}\n'
S
cat >"$TT/notjson/vmrecon-git-helper" <<'S'
#!/bin/sh
cat >/dev/null
echo "hello"
S
echo "not an ELF file" >"$TT/junk/vmrecon-git-helper"
echo "#!/bin/sh" >"$TT/noexec/vmrecon-git-helper"
chmod 755 "$TT/other/vmrecon-git-helper" "$TT/notjson/vmrecon-git-helper" \
	"$TT/junk/vmrecon-git-helper"
chmod 644 "$TT/noexec/vmrecon-git-helper"
wrong() { # DIR
	run env VMRECON_MODULE_DIR="$TT/$1" "$VMRECON" watch --repo "$URL" \
		--path hosts/a.yaml --state-dir "$T/s-$1" --once
}
wrong other
expect_rc 1 "watch with a git helper of another version"
expect_in "$T/err" "refusing helper $TT/other/vmrecon-git-helper: it is the git helper of vmrecon 0.0.0-other (protocol 1), this is vmrecon $ver (protocol 1); install the helper built with this vmrecon" \
	"the helper of another version is refused, with both versions"
run env VMRECON_MODULE_DIR="$TT/other" "$VMRECON" version -v
expect_in "$T/out" "(watch): refused: refusing helper $TT/other/vmrecon-git-helper" \
	"version -v shows the refused helper"
wrong junk
expect_rc 1 "a helper file that is no executable"
expect_in "$T/err" "cannot run the git helper $TT/junk/vmrecon-git-helper: Exec format error" \
	"a junk helper is refused with exec's reason"
wrong noexec
expect_rc 1 "a helper file without the execute bit"
expect_in "$T/err" "cannot run the git helper $TT/noexec/vmrecon-git-helper: Permission denied" \
	"a helper that cannot be executed is refused with exec's reason"
wrong notjson
expect_rc 1 "a helper answering something else than JSON"
expect_in "$T/err" "$TT/notjson/vmrecon-git-helper is not a vmrecon git helper (its answer is not JSON)" \
	"a helper answering junk is refused"

# --- a helper of this version whose answer to fetch is not of the
# protocol's shape: refused by the strict readers (schema/util/json.h),
# naming the field
badans() { # NAME COMMIT-AND-REVISION-MEMBERS
	mkdir -p "$TT/$1"
	cat >"$TT/$1/vmrecon-git-helper" <<S
#!/bin/sh
case \$(cat) in
*'"op":"fetch"'*) echo '{"vmrecon":"$ver","proto":1,"rc":0,$2}' ;;
*) echo '{"vmrecon":"$ver","proto":1,"rc":0}' ;;
esac
S
	chmod 755 "$TT/$1/vmrecon-git-helper"
}
hex=0123456789abcdef0123456789abcdef01234567
badans upper "\"commit\":\"$(echo $hex | tr a-f A-F)\",\"revision\":\"main@1\""
badans short "\"commit\":\"${hex%?}\",\"revision\":\"main@1\""
badans norev "\"commit\":\"$hex\""
badans ctlrev "\"commit\":\"$hex\",\"revision\":\"main\\u001b[2J\""
for c in "upper|commit: contains a character that is not a lower-case hex digit" \
	"short|commit: expected 40 to 40 characters" \
	"norev|missing key 'revision'" \
	"ctlrev|revision: contains a control character"; do
	wrong "${c%%|*}"
	expect_rc 1 "a fetch answer not of the protocol's shape: ${c%%|*}"
	expect_in "$T/err" "the git helper's answer: ${c#*|}" \
		"  refused, naming the field"
done

# --- the helper refuses requests of another version, and junk
echo '{"vmrecon":"0.0.0-other","proto":1,"op":"version"}' >"$T/req"
run "$HELPER" <"$T/req"
expect_rc 0 "the helper answers a request of another version"
expect_in "$T/out" "this is the git helper of vmrecon $ver (protocol 1); the request comes from vmrecon 0.0.0-other (protocol 1)" \
	"and refuses it, with both versions"
expect_not_in "$T/out" "library" "and does nothing it asks"
printf '{"vmrecon":"%s","proto":1,"op":"read","source":{"url":1}}' "$ver" >"$T/req"
run "$HELPER" <"$T/req"
expect_in "$T/out" '"rc":-3' "a request with a mistyped source is refused (VR_EINVALID)"
expect_in "$T/out" "bad request: source.url: expected a string" "and says what is wrong"
printf '{"vmrecon":"%s","proto":1,"op":"fetch","source":{"url":"u","mirror":"m","timeout_ms":-1}}' "$ver" >"$T/req"
run "$HELPER" <"$T/req"
expect_in "$T/out" "bad request: source.timeout_ms: -1 is out of range (0 to 2147483647)" \
	"a request's number out of its bounds is refused, naming it"
head -c 70000 /dev/zero | tr '\0' ' ' >"$T/req"
run "$HELPER" <"$T/req"
expect_in "$T/out" "bad request: too long" "an over-long request is refused"
run "$HELPER" --version
expect_rc 2 "the helper is not run by hand"

# --- a helper that hangs in a fetch: killed with its group past the
# deadline, its lock file removed, and the next poll fetches
run "$VMRECON" watch --repo "$URL" --path hosts/a.yaml --state-dir "$T/s2" \
	--once
expect_rc 0 "a first watch --once makes the mirror"
mkdir -p "$TT/hang"
cat >"$TT/hang/vmrecon-git-helper" <<'S'
#!/bin/sh
# the first fetch leaves a lock in the mirror and hangs; then the real one
req=$(cat)
case $req in
*'"op":"fetch"'*)
	if [ ! -e "$MARK" ]; then
		: >"$MARK"
		: >"$MIRROR/refs/main.lock"
		sh -c 'echo $$ >"$PIDF"; exec sleep 600'
	fi ;;
esac
printf '%s' "$req" | exec "$REAL"
S
chmod 755 "$TT/hang/vmrecon-git-helper"
env VMRECON_MODULE_DIR="$TT/hang" MARK="$T/mark" MIRROR="$T/s2/mirror.git" \
	PIDF="$T/sleep.pid" REAL="$HELPER" "$VMRECON" watch --repo "$URL" \
	--path hosts/a.yaml --state-dir "$T/s2" --interval 1s --timeout 1s \
	2>"$T/w2.log" &
WPID=$!
PIDS="$PIDS $WPID"
if wait_for 180 has "$T/w2.log" "fetch recovered"; then
	ok "the poll after the killed helper fetches again"
else
	notok "no fetch recovered"
	sed 's/^/#   /' "$T/w2.log"
fi
expect_in "$T/w2.log" "the git helper took longer than 3000 ms and was killed" \
	"the hanging helper is killed at the deadline (1 s + grace) and the log says so"
expect_in "$T/w2.log" "removed a stale git lock" "the lock file it left is removed"
[ ! -e "$T/s2/mirror.git/refs/main.lock" ] && ok "no lock file is left" ||
	notok "$T/s2/mirror.git/refs/main.lock is still there"
if [ -s "$T/sleep.pid" ]; then
	pid=$(cat "$T/sleep.pid")
	if wait_for 30 gone "$pid"; then
		ok "the helper's child died with its process group"
	else
		notok "the helper's child $pid still runs"
		kill "$pid"
	fi
else
	notok "the hanging helper never started its child"
fi
kill "$WPID"
wait "$WPID"
RC=$?
expect_rc 0 "watch stops on SIGTERM"
