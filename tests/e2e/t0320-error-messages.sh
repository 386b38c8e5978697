# t0320-error-messages.sh - a failed VM is never recorded, notified or
# logged with an empty message or "success": the message is the failure's
# own, copied where it happened.  Each case fails an apply on the sim
# backend with a webhook (tests/httpd.py over HTTPS, a test CA made here)
# and checks status.json, every webhook body and stderr:
#   - a fresh state dir, the backend failing to observe;
#   - a corrupt status.json, the same failure;
#   - a corrupt status.json and a bad last-applied.json;
#   - a fresh state dir, the backend refusing the apply;
#   - a backend that cannot be opened.
. "$(dirname "$0")/../lib.sh"
PY=/usr/bin/python3

test_ca || { notok "openssl could not make a test CA"; exit 1; }
$PY "$VR_TOP/tests/httpd.py" --log "$T/hooks.log" --port-file "$T/port" \
	--cert "$T/srv.pem" --key "$T/srv.key" &
HPID=$!
trap 'kill $HPID 2>/dev/null; [ $_failed -eq 0 ] && rm -rf "$T" || echo "# kept $T"' EXIT
for _ in $(seq 100); do [ -s "$T/port" ] && break; sleep 0.1; done
[ -s "$T/port" ] || { notok "the webhook server did not start"; exit 1; }
HOOK=https://localhost:$(cat "$T/port")/hook

vm_yaml "$T/1.yaml" edge-01 2
vm_yaml "$T/2.yaml" edge-02 2
{ cat "$T/1.yaml"; echo ---; cat "$T/2.yaml"; } >"$T/two.yaml"

# sim FILE FAULTS-JSON: a sim file with edge-01 and edge-02 and the faults
sim() {
	$PY - "$1" "$2" <<'PY'
import json, sys
d = {"host": {"logicalProcessors": 8, "memoryInMB": 16384},
     "vms": {n: {"cpuCount": 1, "memoryInMB": 1024} for n in ("edge-01", "edge-02")}}
f = json.loads(sys.argv[2])
if f:
    d["faults"] = f
json.dump(d, open(sys.argv[1], "w"))
PY
}

# check CASE STATE-DIR WANT: every failed VM in status.json, every webhook
# posted since the last check and every "vmrecon:" line on stderr carries a
# message that is not empty, not "success" and holds WANT
check() {
	$PY - "$T/hooks.log" "$2/status.json" "$T/err" "$3" "$T/seen" <<'PY'
import json, os, sys
log, status, err, want, seenf = sys.argv[1:]
bad = []
def judge(where, msg):
    if not isinstance(msg, str) or not msg.strip():
        bad.append("%s: empty message" % where)
    elif "success" in msg.lower():
        bad.append("%s: says success: %r" % (where, msg))
    elif want not in msg:
        bad.append("%s: %r lacks %r" % (where, msg, want))
try:
    st = json.load(open(status))
except Exception as e:
    st = {"vms": {}}
    bad.append("status.json: %r" % e)
for vm in ("edge-01", "edge-02"):
    v = st["vms"].get(vm)
    if not v:
        bad.append("status.json: no %s" % vm)
        continue
    if v.get("result") != "failed":
        bad.append("status.json: %s is %r" % (vm, v.get("result")))
    judge("status.json %s" % vm, v.get("message"))
    for h in v.get("history", [])[:1]:
        judge("status.json %s history" % vm, h.get("message"))
seen = int(open(seenf).read()) if os.path.exists(seenf) else 0
lines = open(log).read().splitlines()
posts = [json.loads(l) for l in lines[seen:] if l.strip()]
posts = [json.loads(p["body"]) for p in posts if p["method"] == "POST"]
if not posts:
    bad.append("no webhook was posted")
for p in posts:
    if p.get("result") == "failed" or "success" in str(p.get("message")).lower():
        judge("webhook for %s" % p.get("vm"), p.get("message"))
open(seenf, "w").write(str(len(lines)))
for l in open(err).read().splitlines():
    if l.startswith("vmrecon:") and "warning" not in l:
        if "success" in l.lower() or l.rstrip().endswith(":"):
            bad.append("stderr: %r" % l)
print("; ".join(bad))
PY
}
expect_clean() { # DESC WHY
	if [ -z "$2" ]; then ok "$1"; else notok "$1: $2"; fi
}
apply() { # STATE-DIR SIM
	run "$VMRECON" apply -f "$T/two.yaml" --state-dir "$1" \
		--backend "sim:$2" --ca-file "$T/ca.pem" --notify "$HOOK"
}

# 1. a fresh state dir: the first failure is the backend's
sim "$T/sim1.json" '{"observeError": "injected observe failure"}'
apply "$T/s1" "$T/sim1.json"
expect_rc 1 "fresh state dir, observe fails: apply fails"
expect_clean "fresh state dir: status, webhooks and log say what failed" \
	"$(check 1 "$T/s1" "injected observe failure")"

# 2. a corrupt status.json: started over, with the failure's own words
mkdir -m 700 "$T/s2"
printf '{"formatVersion": 1, "vms": {' >"$T/s2/status.json"
sim "$T/sim2.json" '{"observeError": "injected observe failure"}'
apply "$T/s2" "$T/sim2.json"
expect_rc 1 "corrupt status.json, observe fails: apply fails"
expect_in "$T/err" "starting it over" "the corrupt status.json is named"
expect_clean "corrupt status.json: status, webhooks and log say what failed" \
	"$(check 2 "$T/s2" "injected observe failure")"

# 3. a corrupt status.json and a bad last-applied.json: the error is the
# record's, not the status file's
mkdir -m 700 "$T/s3"
printf '{"formatVersion": 1, "vms": {' >"$T/s3/status.json"
printf '{"formatVersion": 1, "vms": {"edge-01": {"cpuCount": "two"}}}' \
	>"$T/s3/last-applied.json"
sim "$T/sim3.json" '{}'
apply "$T/s3" "$T/sim3.json"
expect_rc 1 "bad last-applied.json: apply fails"
expect_clean "corrupt status.json + bad last-applied.json: the record's error everywhere" \
	"$(check 3 "$T/s3" "last-applied.json")"

# 4. the backend refuses the apply, in a fresh state dir
sim "$T/sim4.json" '{"applyError": "injected apply refusal"}'
apply "$T/s4" "$T/sim4.json"
expect_rc 1 "apply refused: apply fails"
expect_clean "apply refused: status, webhooks and log say what failed" \
	"$(check 4 "$T/s4" "injected apply refusal")"

# 5. the backend cannot be opened (a sim file that is a directory)
mkdir "$T/sim5.json"
apply "$T/s5" "$T/sim5.json"
expect_rc 1 "backend cannot be opened: apply fails"
expect_clean "backend cannot be opened: status, webhooks and log say what failed" \
	"$(check 5 "$T/s5" "sim5.json")"
