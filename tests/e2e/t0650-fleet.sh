# t0650-fleet.sh - ten `vmrecon watch` daemons (own state dir, sim file and
# --hostname each) on one Git server: lighttpd + git http-backend for half
# of them, git daemon for the others (tests/bench/fleet.py --test).  A push
# reaches every host; a no-op poll is one ref advertisement; both servers
# stopped while a commit is pushed, then started again: every host
# recovers and applies it.  The harness derives each deadline from the
# interval and a clone it measures first.
. "$(dirname "$0")/../lib.sh"

if ! command -v lighttpd >/dev/null || [ ! -x /usr/lib/git-core/git-http-backend ]; then
	echo "skip - t0650: no lighttpd or git-http-backend"
	exit 0
fi
R=$T/fleet.json
python3 "$VR_TOP/tests/bench/fleet.py" --test --hosts 10 --interval 2s \
	--max-backoff 4s --timeout 5s --window 4 --json "$R" 2>"$T/fleet.log"
rc=$?
sed -e 's/^# //' -e 's/^/# fleet: /' "$T/fleet.log"
expect_eq "$rc" 0 "the fleet harness measured everything"
get() { json_get "$R" "$1" 2>/dev/null; }
expect_eq "$(get "d['hosts']")" 10 "ten daemons"
expect_eq "$(get "'converge_s' in d")" True "a push: every host applied it"
expect_eq "$(get "d['once']['http']['requests_per_noop_poll']")" 1.0 \
	"a no-op poll over smart HTTP is one request (GET info/refs)"
expect_eq "$(get "d['once']['git']['requests_per_noop_poll']")" 1.0 \
	"a no-op poll over git:// is one upload-pack connection"
expect_eq "$(get "d['fetch_failures_while_up']")" 0 \
	"no poll failed while the servers were up (keep-alive closed after 1 s)"
expect_eq "$(get "d['outage_failed_hosts']")" 10 \
	"servers stopped: every host saw its fetch fail"
expect_eq "$(get "'outage' in d")" True \
	"servers back: every host applied the commit pushed meanwhile"
expect_eq "$(get "d['metrics_host_labelled']")" 10 \
	"every host's metrics carry its --hostname as the host label"
expect_eq "$(get "d['failed']")" "[]" "nothing left unmeasured"
