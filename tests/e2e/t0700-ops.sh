# t0700-ops.sh - operations around the reconciler, against real local HTTPS
# servers (tests/httpd.py, a test CA made here by openssl): https sources
# with ETag/304 (the cache written by apply only, into a state dir checked
# before anything is fetched, never through a link; diff and validate write
# nothing), their errors, certificate checks, webhooks with HMAC
# checked server side, an unreachable webhook, metrics checked by a strict
# text-format parser, commit-status request shapes, the man page and the
# bash completion.
. "$(dirname "$0")/../lib.sh"
PY=/usr/bin/python3
S=$T/state
SIM=$S/sim.json
ex=$VR_TOP/examples
TOOLS=${VMRECON%/vmrecon}/tools

# ---- a test CA, a localhost certificate, and a self-signed impostor ----
mkcerts() {
	test_ca &&
	openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=localhost \
		-addext 'subjectAltName=DNS:localhost,IP:127.0.0.1' \
		-keyout "$T/bad.key" -out "$T/bad.pem" 2>/dev/null
}
mkcerts && ok "test CA and certificates made" || notok "openssl"

pids=()
stop_servers() { local p; for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done; }
trap 'stop_servers; [ $_failed -eq 0 ] && rm -rf "$T" || echo "# kept $T"' EXIT
# serve NAME CERT KEY: start a server; its port in $T/NAME.port
serve() {
	mkdir -p "$T/docs"
	$PY "$VR_TOP/tests/httpd.py" --dir "$T/docs" --log "$T/$1.log" \
		--port-file "$T/$1.port" --cert "$2" --key "$3" &
	pids+=($!)
	for _ in $(seq 50); do [ -s "$T/$1.port" ] && break; sleep 0.1; done
	touch "$T/$1.log"
}
serve good "$T/srv.pem" "$T/srv.key"
serve bad "$T/bad.pem" "$T/bad.key"
P=$(cat "$T/good.port")
B=$(cat "$T/bad.port")
U=https://localhost:$P
CA=(--ca-file "$T/ca.pem")
cp "$ex/a2-dda.yaml" "$T/docs/vm.yaml"
# last GET of PATH: its status and If-None-Match
last_get() {
	$PY - "$T/good.log" "$1" <<'PY'
import json, sys
gets = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
gets = [g for g in gets if g["method"] == "GET" and g["path"] == sys.argv[2]]
g = gets[-1] if gets else {"status": None, "headers": {}}
print(g["status"], g["headers"].get("if-none-match", "-"), len(gets))
PY
}
sim_sum() { [ -e "$SIM" ] && sha256sum <"$SIM" || echo none; }

# ---- https sources ----
run "$VMRECON" validate "${CA[@]}" "$U/files/vm.yaml"
expect_rc 0 "validate an https URL with the test CA"
expect_in "$T/out" "$U/files/vm.yaml: valid (1 VM)" "validate names the URL"
run "$VMRECON" validate "$U/files/vm.yaml"
expect_rc 1 "validate refuses a server the system CAs do not know"
expect_in "$T/err" "certificate" "the refusal names the certificate"
run "$VMRECON" validate "${CA[@]}" "https://localhost:$B/files/vm.yaml"
expect_rc 1 "a self-signed certificate is refused even with --ca-file"
expect_in "$T/err" "SSL certificate problem" "the refusal says why"
[ ! -s "$T/bad.log" ] && ok "nothing was requested from the impostor" || notok "impostor got a request"

run "$VMRECON" diff "${CA[@]}" -f "$U/files/vm.yaml" --state-dir "$S"
expect_rc 2 "diff of an https source"
expect_eq "$(last_get /files/vm.yaml)" "200 - 2" "first fetch: 200 without If-None-Match"
[ ! -e "$S" ] && ok "diff created no state dir and no cache" ||
	notok "diff created $(find "$S" | tr '\n' ' ')"
run "$VMRECON" apply "${CA[@]}" -f "$U/files/vm.yaml" --state-dir "$S"
expect_rc 0 "apply of an https source"
expect_eq "$(last_get /files/vm.yaml | cut -d' ' -f1,2)" "200 -" \
	"apply's fetch: 200 without If-None-Match (diff cached nothing)"
ls "$S"/http-cache/*.body >/dev/null 2>&1 && ok "apply cached the body in the state dir" || notok "no cache"
snap() { find "$1" -printf '%p %i %s %T@\n' | sort; }
before=$(snap "$S")
run "$VMRECON" diff "${CA[@]}" -f "$U/files/vm.yaml" --state-dir "$S"
expect_rc 0 "diff after the apply: in sync"
expect_eq "$(last_get /files/vm.yaml | cut -d' ' -f1)" 304 "diff reads the cache apply wrote (304)"
[ "$(snap "$S")" = "$before" ] && ok "diff wrote nothing in the state dir" ||
	notok "diff changed the state dir: $(diff <(echo "$before") <(snap "$S") | head -4)"
run "$VMRECON" apply "${CA[@]}" -f "$U/files/vm.yaml" --state-dir "$S"
expect_rc 0 "apply of an unchanged https source"
etag=$(last_get /files/vm.yaml | cut -d' ' -f2)
expect_eq "$(last_get /files/vm.yaml | cut -d' ' -f1)" 304 "unchanged file: the server answered 304 to If-None-Match"
case $etag in \"*\") ok "If-None-Match carries the ETag ($etag)" ;; *) notok "If-None-Match: $etag" ;; esac
expect_eq "$(json_get "$SIM" "d['vms']['edge-01']['cpuCount']")" 4 "applied from the cached body"
want=blob:$(git hash-object "$T/docs/vm.yaml")
expect_eq "$(json_get "$S/status.json" "d['vms']['edge-01']['lastAppliedRevision']")" "$want" \
	"revision is the blob id of the fetched bytes"

sed 's/cpuCount: 4/cpuCount: 6/' "$ex/a2-dda.yaml" >"$T/docs/vm.yaml"
run "$VMRECON" diff "${CA[@]}" -f "$U/files/vm.yaml" --state-dir "$S"
expect_rc 2 "a changed file is fetched again"
expect_eq "$(last_get /files/vm.yaml | cut -d' ' -f1)" 200 "changed file: 200"
expect_in "$T/out" "4 -> 6" "the new content is used"
cp "$ex/a2-dda.yaml" "$T/docs/vm.yaml"

echo "s3cr3t-t0k3n" >"$T/token"
run "$VMRECON" diff "${CA[@]}" --token-file "$T/token" -f "$U/files/vm.yaml" --state-dir "$S"
expect_rc 0 "diff with a bearer token"
$PY - "$T/good.log" <<'PY' && ok "Authorization: Bearer sent from --token-file" || notok "no bearer header"
import json, sys
g = [json.loads(l) for l in open(sys.argv[1])][-1]
assert g["headers"].get("authorization") == "Bearer s3cr3t-t0k3n", g
PY

run "$VMRECON" validate "${CA[@]}" --token-file "$T/token" "$U/redirect?to=https://127.0.0.1:$P/files/vm.yaml"
expect_rc 0 "a redirect to another host is followed"
$PY - "$T/good.log" <<'PY' && ok "the token is not sent to the other host" || notok "token leaked on redirect"
import json, sys
r = [json.loads(l) for l in open(sys.argv[1])][-2:]
assert r[0]["path"].startswith("/redirect") and r[0]["headers"].get("authorization"), r[0]
assert r[1]["headers"]["host"].startswith("127.0.0.1") and "authorization" not in r[1]["headers"], r[1]
PY

# the cache goes only into a state dir that is checked first, and never
# through a link: a world-writable state dir with http-cache planted as a
# link to another directory is refused before anything is fetched
gets() { grep -c '"GET"' "$T/good.log"; }
# refused STATE-DIR WHY DESC: apply and diff of the https source refuse
# STATE-DIR, saying WHY, and write nothing through the planted link
refused() {
	local cmd
	for cmd in apply diff; do
		run "$VMRECON" $cmd "${CA[@]}" -f "$U/files/vm.yaml" --state-dir "$1"
		expect_rc 1 "$cmd -f https with $3"
		expect_in "$T/err" "$2" "$cmd refuses it, saying why"
	done
	expect_eq "$(ls -A "$T/victim")" "" "$3: nothing was written through the link"
}
mkdir -p "$T/victim"
SW=$T/sw
mkdir -p "$SW" && chmod 777 "$SW" && ln -s "$T/victim" "$SW/http-cache"
n=$(gets)
refused "$SW" "state dir '$SW' is writable by its group or others (mode 0777)" \
	"a world-writable state dir and a planted http-cache link"
expect_eq "$(gets)" "$n" "nothing was fetched for an untrusted state dir"
# a trusted state dir whose http-cache is a link, or writable by others
SL=$T/sl
mkdir -m 700 "$SL" && ln -s "$T/victim" "$SL/http-cache"
refused "$SL" "'$SL/http-cache' is a symbolic link; not followed (remove it)" \
	"http-cache a symbolic link"
rm "$SL/http-cache" && mkdir -m 777 "$SL/http-cache"
run "$VMRECON" apply "${CA[@]}" -f "$U/files/vm.yaml" --state-dir "$SL"
expect_rc 1 "apply -f https with a world-writable http-cache"
expect_in "$T/err" "directory '$SL/http-cache' is writable by its group or others (mode 0777)" \
	"the cache directory is checked as the state dir"
expect_eq "$(ls -A "$SL/http-cache")" "" "and nothing was written in it"
# diff on a state dir without a cache creates none; nor does validate,
# nor diff with the default state dir (as root /var/lib/vmrecon: run with
# a private empty /var/lib, which must stay empty)
SD=$T/sd
mkdir -m 700 "$SD"
run "$VMRECON" diff "${CA[@]}" -f "$U/files/vm.yaml" --state-dir "$SD"
expect_rc 2 "diff -f https with a state dir that has no cache"
expect_eq "$(ls -A "$SD")" "" "diff created no cache in it"
if [ "$(id -u)" = 0 ] && unshare -m --propagation private true 2>/dev/null; then
	run unshare -m --propagation private sh -c 'mount -t tmpfs tmpfs /var/lib &&
		"$1" validate --ca-file "$2" -f "$0" >/dev/null &&
		{ "$1" diff --ca-file "$2" -f "$0" >/dev/null; [ $? = 2 ]; } &&
		find /var/lib -mindepth 1' "$U/files/vm.yaml" "$VMRECON" "$T/ca.pem"
	expect_rc 0 "validate and diff -f https with the default state dir"
	expect_eq "$(cat "$T/out")" "" "they wrote nothing in /var/lib"
else
	skip "validate and diff with the default state dir: needs root and a private mount namespace (unshare -m)"
fi

# errors: each clear, each changes nothing
before=$(sim_sum)
status_before=$(sha256sum <"$S/status.json")
bad_source() { # DESC EXPECTED-TEXT URL [OPTIONS...]
	local desc=$1 text=$2 url=$3 t0 t1
	shift 3
	t0=$(date +%s%N)
	run "$VMRECON" apply "${CA[@]}" --token-file "$T/token" "$@" -f "$url" --state-dir "$S"
	t1=$(date +%s%N)
	expect_rc 1 "$desc"
	expect_in "$T/err" "$text" "$desc: says '$text'"
	expect_not_in "$T/err" "s3cr3t" "$desc: the token is not printed"
	LAST_MS=$(((t1 - t0) / 1000000))
}
bad_source "404" "GET $U/files/nope.yaml: HTTP 404" "$U/files/nope.yaml"
ANSWER_MS=$LAST_MS # a whole apply whose GET is answered at once, here, now
bad_source "500" "GET $U/status/500: HTTP 500" "$U/status/500"
bad_source "timeout" "GET $U/slow/10: timed out after 1000 ms" "$U/slow/10" --http-timeout 1
# the 1 s timeout plus twice an answered apply plus 1 s (the server
# answers after 10 s: a timeout not kept shows), at least 3 s
bound=$((1000 + 2 * ANSWER_MS + 1000))
[ "$bound" -lt 3000 ] && bound=3000
[ "$LAST_MS" -lt "$bound" ] && ok "the timeout is kept (${LAST_MS} ms, bound ${bound} ms)" ||
	notok "timeout took ${LAST_MS} ms (bound ${bound} ms)"
bad_source "oversized body" "larger than 4194304 bytes; transfer aborted" "$U/big/6000000"
bad_source "redirect to http" "redirected to a URL that is not https; refused" \
	"$U/redirect?to=http://127.0.0.1:$P/files/vm.yaml"
bad_source "plain http" "plain http is refused" "http://127.0.0.1:$P/files/vm.yaml"
bad_source "bad certificate" "SSL certificate problem" "https://localhost:$B/files/vm.yaml"
expect_eq "$(sim_sum)" "$before" "no failed source changed the VM"
expect_eq "$(sha256sum <"$S/status.json")" "$status_before" "no failed source changed status.json"
run "$VMRECON" validate "${CA[@]}" "$U/redirect?to=$U/files/vm.yaml"
expect_rc 0 "a redirect to https is followed"

# ---- webhooks ----
printf 'hmac-key-42\n' >"$T/hmac"
hooks() { $PY - "$T/good.log" "$T/hmac" "$@"; }
sed 's/cpuCount: 4/cpuCount: 2/' "$ex/a2-dda.yaml" >"$T/two.yaml"
run "$VMRECON" apply -f "$T/two.yaml" --state-dir "$S" "${CA[@]}" \
	--notify "$U/hook" --notify-hmac-key "$T/hmac"
expect_rc 0 "apply with a webhook"
hooks converged 1 <<'PY' && ok "webhook body and X-Signature verified by the server" || notok "webhook"
import hashlib, hmac, json, socket, sys
log, keyf, result, changes = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
posts = [json.loads(l) for l in open(log) if '"POST"' in l]
p = posts[-1]
assert p["path"] == "/hook", p
key = open(keyf, "rb").read().rstrip(b"\n")
want = "sha256=" + hmac.new(key, p["body"].encode(), hashlib.sha256).hexdigest()
assert p["headers"]["x-signature"] == want, (p["headers"], want)
assert p["headers"]["content-type"] == "application/json"
ev = json.loads(p["body"])
assert set(ev) >= {"host", "vm", "revision", "result", "changes", "message", "time"}, ev
assert ev["host"] == socket.gethostname(), ev
assert ev["vm"] == "edge-01" and ev["result"] == result and ev["changes"] == changes, ev
assert ev["revision"].startswith("blob:") and ev["time"].endswith("Z"), ev
PY
n_posts() { grep -c '"POST"' "$T/good.log"; }
n=$(n_posts)
run "$VMRECON" apply -f "$T/two.yaml" --state-dir "$S" "${CA[@]}" --notify "$U/hook"
expect_rc 0 "apply in sync with a webhook"
expect_eq "$(n_posts)" "$n" "nothing is posted when nothing changed"
run "$VMRECON" diff -f "$ex/a2-dda.yaml" --state-dir "$S" "${CA[@]}" --notify "$U/hook" \
	--notify-hmac-key "$T/hmac"
expect_rc 2 "diff with drift and a webhook"
hooks drifted 1 <<'PY' && ok "drift is notified" || notok "drift notification"
import json, sys
ev = json.loads([json.loads(l) for l in open(sys.argv[1]) if '"POST"' in l][-1]["body"])
assert ev["result"] == sys.argv[3] and ev["changes"] == int(sys.argv[4]), ev
PY
run "$VMRECON" apply -f "$T/docs/nope.yaml" --state-dir "$S" "${CA[@]}" --notify "$U/hook"
expect_rc 1 "a missing file with a webhook"
$PY - "$T/good.log" <<'PY' && ok "a pass that fails before any VM is notified" || notok "failure notification"
import json
ev = json.loads([json.loads(l) for l in open(__import__("sys").argv[1]) if '"POST"' in l][-1]["body"])
assert ev["result"] == "failed" and ev["vm"] is None and "nope.yaml" in ev["message"], ev
PY
run "$VMRECON" apply -f "$T/two.yaml" --state-dir "$S" --notify "$U/hook" --notify-hmac-key "$T/nokey"
expect_rc 1 "a missing HMAC key file is an error before anything"
run "$VMRECON" apply -f "$T/two.yaml" --state-dir "$S" --notify "http://127.0.0.1:$P/hook"
expect_rc 1 "a plain http webhook is refused"

# unreachable webhooks never fail the reconcile and delay it boundedly
free_port closed # nothing listens on it
timed_apply() { # FILE URL
	local t0 t1
	t0=$(date +%s%N)
	run "$VMRECON" apply -f "$1" --state-dir "$S" "${CA[@]}" --notify "$2"
	t1=$(date +%s%N)
	LAST_MS=$(((t1 - t0) / 1000000))
}
t0=$(date +%s%N) # the same file's diff, which changes nothing
"$VMRECON" diff -f "$ex/a2-dda.yaml" --state-dir "$S" >/dev/null 2>&1
# the 2 s exit wait plus twice that diff plus 1 s, at least 3.5 s
bound=$((2000 + 2 * ($(date +%s%N) - t0) / 1000000 + 1000))
[ "$bound" -lt 3500 ] && bound=3500
timed_apply "$ex/a2-dda.yaml" "https://127.0.0.1:$closed/hook"
expect_rc 0 "apply with a refused webhook connection converges"
expect_in "$T/err" "further failures to https://127.0.0.1:$closed are not logged" "the failure is logged once"
[ "$(grep -c 'POST https://127.0.0.1' "$T/err")" -eq 1 ] && ok "exactly one failure line" || notok "failure lines: $(cat "$T/err")"
[ "$LAST_MS" -lt "$bound" ] && ok "refused webhook: apply took ${LAST_MS} ms (bounded by the 2 s exit wait: ${bound} ms)" || notok "took ${LAST_MS} ms (bound ${bound} ms)"
timed_apply "$T/two.yaml" "$U/hang"
expect_rc 0 "apply with a webhook that never answers converges"
[ "$LAST_MS" -lt "$bound" ] && ok "hanging webhook: apply took ${LAST_MS} ms (bound ${bound} ms)" || notok "took ${LAST_MS} ms (bound ${bound} ms)"
expect_eq "$(json_get "$SIM" "d['vms']['edge-01']['cpuCount']")" 2 "the VM was reconciled anyway"

# ---- metrics ----
M=$T/metrics/vmrecon.prom
mkdir -p "$T/metrics"
promcheck() { # DESC
	if $PY "$VR_TOP/tests/promcheck.py" "$M" >"$T/pc" 2>&1; then ok "$1: valid text format"; else
		notok "$1: $(cat "$T/pc")"; fi
}
metric() { $PY - "$M" "$1" <<'PY'
import sys
for l in open(sys.argv[1]):
    if l.startswith(sys.argv[2] + " "):
        print(l.split(" ")[1].strip())
PY
}
run "$VMRECON" apply -f "$ex/a2-dda.yaml" --state-dir "$S" --metrics-file "$M"
expect_rc 0 "apply with --metrics-file"
promcheck "after apply"
expect_eq "$(metric 'vmrecon_reconcile_total{result="converged"}')" 1 "one converged reconcile"
expect_eq "$(metric vmrecon_drift_total)" 1 "one drift counted"
expect_eq "$(metric 'vmrecon_desired{vm="edge-01",field="cpuCount"}')" 4 "desired cpuCount"
expect_eq "$(metric 'vmrecon_live{vm="edge-01",field="cpuCount"}')" 4 "live cpuCount after apply"
expect_eq "$(metric "vmrecon_applied_revision_info{revision=\"blob:$(git hash-object "$ex/a2-dda.yaml")\"}")" 1 \
	"applied revision info"
ts=$(metric vmrecon_last_success_timestamp_seconds)
$PY -c "import sys,time; sys.exit(abs(time.time()-float('$ts'))>60)" && ok "last success is now" || notok "last success $ts"
run "$VMRECON" diff -f "$T/two.yaml" --state-dir "$S" --metrics-file "$M"
expect_rc 2 "diff with --metrics-file"
promcheck "after diff"
expect_eq "$(metric 'vmrecon_reconcile_total{result="converged"}'),$(metric 'vmrecon_reconcile_total{result="drifted"}'),$(metric vmrecon_drift_total)" \
	"1,1,2" "counters read back and carried on"
ts=$(metric vmrecon_last_success_timestamp_seconds)
run "$VMRECON" apply -f "$T/docs/nope.yaml" --state-dir "$S" --metrics-file "$M"
expect_rc 1 "failed apply with --metrics-file"
promcheck "after a failure"
expect_eq "$(metric 'vmrecon_reconcile_total{result="failed"}')" 1 "the failure is counted"
expect_eq "$(metric vmrecon_last_success_timestamp_seconds)" "$ts" "last success kept"
printf 'vmrecon_reconcile_total{result="converged"} 7\nvmrecon_drift_total oops\n' >"$M"
run "$VMRECON" diff -f "$ex/a2-dda.yaml" --state-dir "$S" --metrics-file "$M"
expect_rc 0 "diff over a malformed metrics file"
expect_in "$T/err" "line 2 is not valid Prometheus text format" "a malformed file is named, strictly"
promcheck "rewritten file"
expect_eq "$(metric 'vmrecon_reconcile_total{result="converged"}')" 1 "its counters were not trusted"
# (label escaping is checked in tests/unit/test_ops.c: VM names cannot
# hold quotes)

# ---- commit status shapes ----
sha=0123456789abcdef0123456789abcdef01234567
printf 'cs-token\n' >"$T/cstoken"
run "$TOOLS/commit-status" github "$U/gh" owner/repo "$sha" success "$T/cstoken" "$T/ca.pem" "applied by vmrecon"
expect_rc 0 "commit-status tool (GitHub)"
run "$TOOLS/commit-status" gitea "$U/api/v1" owner/repo "$sha" pending "$T/cstoken" "$T/ca.pem" "applying"
expect_rc 0 "commit-status tool (Gitea)"
run "$TOOLS/commit-status" gitlab "$U/api/v4" group/sub/proj "$sha" failure "$T/cstoken" "$T/ca.pem" "apply failed"
expect_rc 0 "commit-status tool (GitLab)"
$PY - "$T/good.log" "$sha" <<'PY' && ok "GitHub, Gitea and GitLab commit-status requests have each API's shape" || notok "commit status shapes"
import json, socket, sys
log, sha = sys.argv[1], sys.argv[2]
posts = [json.loads(l) for l in open(log) if '"POST"' in l][-3:]
ctx = "vmrecon/" + socket.gethostname()
gh, gt, gl = posts
assert gh["path"] == "/gh/repos/owner/repo/statuses/" + sha, gh["path"]
assert gh["headers"]["authorization"] == "Bearer cs-token", gh["headers"]
assert gh["headers"]["accept"] == "application/vnd.github+json"
assert json.loads(gh["body"]) == {"state": "success", "context": ctx,
    "description": "applied by vmrecon", "target_url": "https://ci.example/run/1"}, gh["body"]
assert gt["path"] == "/api/v1/repos/owner/repo/statuses/" + sha, gt["path"]
assert gt["headers"]["authorization"] == "token cs-token", gt["headers"]
assert json.loads(gt["body"]) == {"state": "pending", "context": ctx,
    "description": "applying", "target_url": "https://ci.example/run/1"}, gt["body"]
assert gl["path"] == "/api/v4/projects/group%2Fsub%2Fproj/statuses/" + sha, gl["path"]
assert gl["headers"]["private-token"] == "cs-token", gl["headers"]
assert json.loads(gl["body"]) == {"state": "failed", "name": ctx,
    "description": "apply failed", "target_url": "https://ci.example/run/1"}, gl["body"]
PY
run "$TOOLS/commit-status" github "$U/gh" owner/repo "$sha" success "$T/nope" "$T/ca.pem"
expect_rc 1 "commit status without a token file is refused"

# ---- man page and completion ----
if [ -e "$VR_TOP/reconciler/cli/vmrecon.1" ]; then
	run mandoc -T lint -W warning "$VR_TOP/reconciler/cli/vmrecon.1"
	expect_rc 0 "mandoc -T lint: no warnings"
	MANWIDTH=80 man -l "$VR_TOP/reconciler/cli/vmrecon.1" >"$T/man.txt" 2>"$T/man.err"
	[ ! -s "$T/man.err" ] && grep -q 'EXIT STATUS' "$T/man.txt" && ok "man -l renders without warnings" ||
		notok "man -l: $(head -3 "$T/man.err")"
	for o in ca-file token-file http-timeout notify notify-hmac-key metrics-file commit-status \
		commit-status-token-file commit-status-url commit-status-repo; do
		grep -q -- "Fl -$o" "$VR_TOP/reconciler/cli/vmrecon.1" || missing="${missing:-} --$o"
	done
	expect_eq "${missing:-}" "" "the man page documents every ops option"
else
	notok "vmrecon.1 missing"
fi
C=$VR_TOP/examples/vmrecon.bash-completion
run bash -c "source '$C' && complete -p vmrecon"
expect_rc 0 "the completion script loads in bash"
expect_in "$T/out" "vmrecon" "complete -p vmrecon shows it"
compl() { bash -c "source '$C'; COMP_WORDS=($1); COMP_CWORD=$2; _vmrecon; printf '%s\n' \"\${COMPREPLY[@]}\""; }
expect_eq "$(compl 'vmrecon ap' 1)" "apply" "completes commands"
expect_eq "$(compl 'vmrecon apply --backend si' 3 | tr '\n' ' ')" "sim " "completes backend kinds"
compl 'vmrecon diff --no' 2 >"$T/c"
expect_in "$T/c" "--notify" "completes options"
