# tests/watchdrift.sh - a `vmrecon watch` daemon over a file:// repository,
# for the scripts that check, backend by backend, that every drift check
# observes the live VM afresh: changed behind the daemon's back, the VM is
# corrected, or with --no-self-heal reported.  Source after tests/lib.sh.
#
#   wd_repo FILE            a repository (under $T) whose hosts/wd.yaml is
#                           FILE, one commit
#   wd_start STATE LOG ARGS...
#                           a daemon on it (--interval 1s, ARGS: the backend
#                           and more) with state dir STATE, its stderr in
#                           LOG; returns once it has handled the commit
#                           (or resumed it), at most $WD_MS ms; pid in WD_PID
#   wd_stop                 SIGTERM, and its exit code in WD_RC
#   wd_until CMD...         run CMD every 0.1 s until it succeeds, at most
#                           $WD_MS ms (the caller's measured bound)
#   wd_log TEXT             the daemon's log has TEXT
#   wd_status EXPR          EXPR of its status.json (d), as json_get
WD_MS=${WD_MS:-60000}

wd_repo() {
	git_fixture "$T/wd-srv.git" "$T/wd-work" &&
		git -C "$T/wd-work" remote add origin "file://$T/wd-srv.git" &&
		mkdir -p "$T/wd-work/hosts" && cp "$1" "$T/wd-work/hosts/wd.yaml" &&
		git -C "$T/wd-work" add -A && git -C "$T/wd-work" commit -qm wd &&
		git -C "$T/wd-work" push -q origin HEAD:main
}
wd_until() {
	local t0
	t0=$(date +%s%N)
	until "$@" >/dev/null 2>&1; do
		[ $((($(date +%s%N) - t0) / 1000000)) -ge "$WD_MS" ] && return 1
		sleep 0.1
	done
}
wd_log() { grep -qF -- "$1" "$WD_LOG"; }
wd_status() { json_get "$WD_STATE/status.json" "$1" 2>/dev/null; }
_wd_handled() { [ -n "$(wd_status "d['source']['conditions'][0]['reason']")" ]; }
wd_start() {
	WD_STATE=$1 WD_LOG=$2
	shift 2
	"$VMRECON" watch --repo "file://$T/wd-srv.git" --path hosts/wd.yaml \
		--state-dir "$WD_STATE" --interval 1s --max-backoff 1s "$@" \
		2>"$WD_LOG" &
	WD_PID=$!
	PIDS="$PIDS $WD_PID"
	# the first-poll line comes after a resumed commit's pass; a new
	# state dir's commit is handled at its first poll
	wd_until wd_log '"first poll scheduled"' && wd_until _wd_handled
}
wd_stop() {
	kill -TERM "$WD_PID" 2>/dev/null
	wait "$WD_PID"
	WD_RC=$?
}
