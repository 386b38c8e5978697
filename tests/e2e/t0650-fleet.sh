# t0650-fleet.sh - ten `vmrecon watch` daemons (own state dir, sim file and
# --hostname each) on one Git server: lighttpd + git http-backend for half
# of them, git daemon for the others (tests/bench/fleet.py --test).  A push
# reaches every host; a no-op poll is one ref advertisement; both servers
# stopped while a commit is pushed, then started again: every host
# recovers and applies it.  The harness derives each deadline from the
# interval and a clone it measures first.
#@ full-only: a fleet of ten watch daemons
#@ no-san: ten daemons running the code one daemon runs in t0600 (which stays, leak checks at exit included); every line of vmrecon it runs, the suites that stay run on build/san (tests/sancov)
. "$(dirname "$0")/../lib.sh"

if ! command -v lighttpd >/dev/null || [ ! -x /usr/lib/git-core/git-http-backend ]; then
	echo "skip - t0650: no lighttpd or git-http-backend"
	exit 0
fi
R=$T/fleet.json
/usr/bin/python3 "$VR_TOP/tests/bench/fleet.py" --test --hosts 10 --interval 2s \
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
expect_eq "$(get "d['hosts_exit_nonzero']")" 0 \
	"every daemon exited 0 on SIGTERM (under SANITIZE=1: no ASan or leak report)"

# The fleet view from commit statuses: four hosts in the repository, three
# run `watch --once --hostname ... --commit-status gitea` against a local
# HTTPS server that keeps the statuses and answers Gitea's combined-status
# GET; examples/fleet/fleet-status.py lists them and the one missing.
echo "# --- fleet view from commit statuses"
export GIT_CONFIG_NOSYSTEM=1 GIT_CONFIG_GLOBAL=/dev/null
export GIT_AUTHOR_NAME=t GIT_AUTHOR_EMAIL=t@example.com
export GIT_COMMITTER_NAME=t GIT_COMMITTER_EMAIL=t@example.com
V=$T/view
mkdir -p "$V/tls" "$V/w/hosts"
test_tls "$V/tls" || notok "test certificate"
for h in edge-a edge-b edge-c edge-d; do
	printf 'apiVersion: vmrecon/v1\nkind: VirtualMachine\nmetadata:\n  name: edge-01\nspec:\n  cpuCount: 2\n  restartPolicy: IfNeeded\n' \
		>"$V/w/hosts/$h.yaml"
done
git init -q --bare -b main "$V/srv.git"
git -C "$V/w" init -q -b main && git -C "$V/w" add -A &&
	git -C "$V/w" commit -qm fleet && git -C "$V/w" push -q "$V/srv.git" HEAD:main
sha=$(git -C "$V/srv.git" rev-parse main)
/usr/bin/python3 "$VR_TOP/tests/httpd.py" --log "$V/api.log" --port-file "$V/port" \
	--cert "$V/tls/srv.crt" --key "$V/tls/srv.key" &
API_PID=$!
trap 'kill $API_PID 2>/dev/null; [ $_failed -eq 0 ] && rm -rf "$T" || echo "# kept $T"' EXIT
for i in $(seq 1 100); do [ -s "$V/port" ] && break; sleep 0.1; done
P=$(cat "$V/port")
printf 'cs-token\n' >"$V/token"
for h in edge-a edge-b edge-c; do
	"$VMRECON" watch --once --repo "file://$V/srv.git" --path 'hosts/{hostname}.yaml' \
		--hostname "$h" --state-dir "$V/s-$h" --backend "sim:$V/s-$h/sim.json" \
		--ca-file "$V/tls/ca.crt" --commit-status gitea \
		--commit-status-url "https://localhost:$P/api/v1" \
		--commit-status-repo ops/fleet --commit-status-token-file "$V/token" \
		2>"$V/$h.log" || notok "watch --once for $h: $(tail -2 "$V/$h.log")"
done
view() {
	/usr/bin/python3 "$VR_TOP/examples/fleet/fleet-status.py" --api gitea \
		--base "https://localhost:$P/api/v1" --repo ops/fleet --ref "$sha" \
		--token-file "$V/token" --ca-file "$V/tls/ca.crt" --hosts-dir "$V/w/hosts" "$@"
}
run view
expect_rc 1 "fleet-status: not every host reports success"
expect_in "$T/out" "4 hosts on $sha" "fleet-status: names the commit"
expect_in "$T/out" "3 success" "three hosts applied it (context vmrecon/<--hostname>)"
expect_in "$T/out" "1 missing" "the host that never ran is missing"
grep -q '^edge-d  *missing' "$T/out" && ok "and it is edge-d" || notok "edge-d not missing: $(cat "$T/out")"
"$VMRECON" watch --once --repo "file://$V/srv.git" --path 'hosts/{hostname}.yaml' \
	--hostname edge-d --state-dir "$V/s-edge-d" --backend "sim:$V/s-edge-d/sim.json" \
	--ca-file "$V/tls/ca.crt" --commit-status gitea \
	--commit-status-url "https://localhost:$P/api/v1" \
	--commit-status-repo ops/fleet --commit-status-token-file "$V/token" 2>"$V/edge-d.log"
run view -o json
expect_rc 0 "fleet-status: every host reports success"
expect_eq "$(json_get "$T/out" "sorted(h['host'] for h in d['hosts'] if h['state'] == 'success')")" \
	"['edge-a', 'edge-b', 'edge-c', 'edge-d']" "fleet-status -o json lists the four hosts"

run "$VMRECON" watch --repo "file://$V/srv.git" --path fleet.yaml --hostname ../x \
	--state-dir "$V/s-bad"
expect_rc 1 "--hostname is checked even when --path does not use it"
expect_in "$T/err" "--hostname" "and the error names the option"
