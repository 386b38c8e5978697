/*
 * watchloop.c - the watch daemon's loop (watchloop.h): open what it
 * follows, hold the last applied commit at start, poll on the schedule
 * (schedule.h), back off after failures, wake for restart windows and
 * re-observe for drift, wait for signals, and stop cleanly.  A commit is
 * handled in watchcommit.c, a pass run in watchpass.c.
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include "../../schema/util/clock.h"
#include "../../schema/util/error.h"
#include "sdnotify.h"
#include "watchloop_int.h"

static volatile sig_atomic_t got_stop, got_hup;

static char *
fmt_ms(int64_t ms)
{
	if (ms % 1000)
		return vr_asprintf("%lldms", (long long)ms);
	return vr_asprintf("%llds", (long long)(ms / 1000));
}

static void
on_signal(int sig)
{
	if (sig == SIGHUP)
		got_hup = 1;
	else
		got_stop = 1;
}

static int
fetch_step(struct vr_watchloop *w, bool force, bool *passed, int *exit_code)
{
	struct vr_git_rev rev;
	int rc;

	*passed = false;
	rc = vr_gitsource_fetch(&rev, w->gs);
	if (rc < 0) {
		char *retry, n[16], *err = vr_strdup(vr_error_msg());

		w->fetch_failures++;
		snprintf(n, sizeof(n), "%d", w->fetch_failures);
		w->retry_ms = vr_schedule_retry(&w->sched, w->fetch_failures);
		retry = w->cfg.once ? NULL : fmt_ms(w->retry_ms);
		vr_wlog(stderr, "error", "fetch failed", "url", w->cfg.repo,
		    "err", err, "failures", n, "retry_in", retry, NULL);
		free(retry);
		/* a copy: writing status.json resets the error */
		vr_watchloop_status(w, false, rc == VR_ETIMEOUT ?
		    "FetchTimeout" : "FetchFailed", err);
		free(err);
		return rc;
	}
	if (w->fetch_failures) {
		vr_wlog(stderr, "info", "fetch recovered", "url", w->cfg.repo,
		    "revision", rev.revision, NULL);
		w->fetch_failures = 0;
	}
	free(w->fetched_revision);
	w->fetched_revision = vr_strdup(rev.revision);
	if (force || strcmp(rev.commit, w->seen_commit) != 0)
		rc = vr_watchloop_commit(w, &rev, force, passed, exit_code);
	else if (w->commit_reason)
		vr_watchloop_status(w, w->commit_ready, w->commit_reason,
		    w->commit_msg);
	vr_git_rev_clear(&rev);
	return rc;
}

/* May the daemon resume the accepted commit?  Only one the mirror has,
 * newer than the applied one and descending from it (or --allow-rewrite):
 * else the applied one holds. */
static bool
resume_accepted(struct vr_watchloop *w)
{
	const struct vr_watch_baseline *b = &w->base;

	if (!b->accepted_commit[0] || !b->accepted_revision ||
	    strcmp(b->accepted_commit, b->commit) == 0 ||
	    !vr_gitsource_has_commit(w->gs, b->accepted_commit))
		return false;
	if (!b->commit[0] || w->cfg.allow_rewrite ||
	    vr_gitsource_check_descendant(w->gs, b->accepted_commit,
	    b->commit) == 0)
		return true;
	vr_error_clear();
	return false;
}

/* At start, before the first (delayed) fetch: when the mirror still has
 * the last accepted commit (else the last applied one), handle it as a
 * fetch would have found it, so the VMs are held to it at once and the
 * first fetch of an unmoved ref changes nothing.  Never an older commit
 * than the one the daemon last converged or accepted: a revision that
 * failed or was left pending is resumed, not rolled back. */
static bool
resume_from_mirror(struct vr_watchloop *w)
{
	struct vr_git_rev rev;
	bool passed = false, accepted = resume_accepted(w);
	int exit_code;

	if (!accepted && (!w->base.commit[0] || !w->base.revision ||
	    !vr_gitsource_has_commit(w->gs, w->base.commit)))
		return false;
	memcpy(rev.commit, accepted ? w->base.accepted_commit :
	    w->base.commit, VR_GIT_HEX);
	/* a copy: handling it saves the baseline, which frees the old */
	rev.revision = vr_strdup(accepted ? w->base.accepted_revision :
	    w->base.revision);
	w->resuming = true;
	vr_watchloop_commit(w, &rev, false, &passed, &exit_code);
	w->resuming = false;
	vr_git_rev_clear(&rev);
	return passed;
}

/* Open the state dir (locked), the baseline, the source. */
static int
watchloop_open(struct vr_watchloop *w)
{
	struct vr_watch_baseline old;
	int rc;

	if ((rc = vr_git_path_expand(&w->path, w->cfg.path_tmpl,
	    w->cfg.hostname, NULL)) < 0)
		return rc;
	if ((rc = vr_statedir_open(&w->sd, w->cfg.state_dir, true)) < 0)
		return rc;
	rc = vr_watch_baseline_load(&old, w->cfg.state_dir);
	if (rc < 0 && rc != VR_ENOTFOUND)
		return rc;
	if (rc == 0 && old.url && strcmp(old.url, w->cfg.repo) == 0 &&
	    old.ref && strcmp(old.ref, w->cfg.ref) == 0) {
		w->base = old;
	} else {
		if (rc == 0)
			vr_wlog(stderr, "warn", "repository or ref changed; "
			    "the history check starts over", "old_url",
			    old.url, "old_ref", old.ref, NULL);
		vr_watch_baseline_clear(&old);
		w->base.url = vr_strdup(w->cfg.repo);
		w->base.ref = vr_strdup(w->cfg.ref);
	}
	free(w->base.path);
	w->base.path = vr_strdup(w->path);
	w->mirror = vr_asprintf("%s/mirror.git", w->cfg.state_dir);
	vr_git_drop_stale_locks(w->mirror);
	w->cfg.go.url = w->cfg.repo;
	w->cfg.go.ref = w->cfg.ref;
	w->cfg.go.mirror = w->mirror;
	if ((rc = vr_gitsource_new(&w->gs, &w->cfg.go)) < 0)
		return rc;
	if (w->cfg.allowed_signers && access(w->cfg.allowed_signers,
	    R_OK) != 0)
		return vr_error_set(VR_ENOTFOUND, "cannot read allowed "
		    "signers '%s': %s", w->cfg.allowed_signers,
		    strerror(errno));
	return 0;
}

int
vr_watchloop_open(struct vr_watchloop **out,
    const struct vr_watchloop_config *cfg)
{
	struct vr_watchloop *w = vr_calloc(1, sizeof(*w));
	int rc;

	*out = NULL;
	w->cfg = *cfg;
	w->vm_fp = json_object();
	if (getrandom(&w->sched.rng, sizeof(w->sched.rng), 0) !=
	    sizeof(w->sched.rng))
		w->sched.rng = (uint64_t)time(NULL) * 2654435761u +
		    (uint64_t)getpid();
	if ((rc = watchloop_open(w)) < 0) {
		vr_watchloop_free(w);
		return rc;
	}
	*out = w;
	return 0;
}

void
vr_watchloop_free(struct vr_watchloop *w)
{
	if (!w)
		return;
	vr_gitsource_free(w->gs);
	vr_backend_free(w->b);
	vr_statedir_free(w->sd);
	vr_spec_free(w->spec);
	vr_watch_baseline_clear(&w->base);
	free(w->spec_revision);
	free(w->changed_revision);
	free(w->spec_reason);
	free(w->spec_msg);
	free(w->fetched_revision);
	free(w->source_fp);
	free(w->commit_reason);
	free(w->commit_msg);
	free(w->path);
	free(w->mirror);
	json_decref(w->vm_fp);
	free(w);
}

/* Sleep until `until` (monotonic ms) or a signal; signals are blocked
 * outside this wait, so none is lost between the check and the sleep. */
static void
wait_until(int64_t until, const sigset_t *unblocked)
{
	int64_t left = until - vr_clock_ms();
	struct timespec ts;

	if (left <= 0 || got_stop || got_hup)
		return;
	ts.tv_sec = left / 1000;
	ts.tv_nsec = (left % 1000) * 1000000;
	ppoll(NULL, 0, &ts, unblocked);
}

/* SIGTERM, SIGINT, SIGHUP only set flags, and are blocked except while
 * the loop waits: a step is never cut in the middle. */
void
vr_watchloop_signals_block(sigset_t *unblocked)
{
	struct sigaction sa;
	sigset_t block;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	sigemptyset(&block);
	sigaddset(&block, SIGTERM);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGHUP);
	sigprocmask(SIG_BLOCK, &block, unblocked);
	sigdelset(unblocked, SIGTERM);
	sigdelset(unblocked, SIGINT);
	sigdelset(unblocked, SIGHUP);
}

/* Say when the first poll comes (`at`, monotonic ms): at a random point
 * of the interval, so a restarted fleet does not poll at once. */
static void
log_first_poll(int64_t at)
{
	int64_t left = at - vr_clock_ms();
	time_t when;
	struct tm tm;
	char utc[32], *in;

	if (left < 0)
		left = 0;
	when = time(NULL) + (time_t)((left + 999) / 1000);
	gmtime_r(&when, &tm);
	strftime(utc, sizeof(utc), "%Y-%m-%dT%H:%M:%SZ", &tm);
	in = fmt_ms(left);
	vr_wlog(stderr, "info", "first poll scheduled", "in", in, "at", utc,
	    NULL);
	free(in);
}

int
vr_watchloop_run(struct vr_watchloop *w, struct vr_backend *b,
    const struct vr_watchloop_hooks *hooks, const sigset_t *unblocked)
{
	int64_t next_fetch, next_observe, now, next_wd;
	struct vr_sdnotify sdn;
	char *iv = fmt_ms(w->cfg.interval_ms);
	bool force = false, passed;
	int rc, code = VR_EXIT_OK, exit_code;

	w->b = b;
	if (hooks)
		w->hooks = *hooks;
	vr_wlog(stderr, "info", "watching", "url", w->cfg.repo, "ref",
	    w->cfg.ref, "path", w->path, "interval", iv, "backend",
	    w->cfg.backend, "state_dir", w->cfg.state_dir, "self_heal",
	    w->cfg.self_heal ? "true" : "false", NULL);
	free(iv);
	vr_schedule_init(&w->sched, w->cfg.interval_ms, w->cfg.max_backoff_ms,
	    w->sched.rng);
	if (vr_sdnotify_open(&sdn) < 0)
		vr_wlog(stderr, "warn", "systemd notification off", "err",
		    vr_error_msg(), NULL);
	next_fetch = next_observe = vr_clock_ms();
	if (!w->cfg.once) {
		/* hosts started together must not poll together: the first
		 * fetch at a random point of the interval; meanwhile the last
		 * applied commit, if the mirror has it, holds (no network).
		 * A new host has nothing to hold: its first fetch comes
		 * within VR_SCHEDULE_NEW_HOST_MS. */
		bool resumed = resume_from_mirror(w);

		next_fetch += vr_schedule_first(&w->sched, resumed);
		log_first_poll(next_fetch);
		if (resumed) {
			next_observe = vr_clock_ms() + w->cfg.interval_ms;
			/* the first pass is this one: a first fetch up to one
			 * interval away must not hold back systemd's start */
			vr_sdnotify_ready(&sdn, "the last applied commit "
			    "holds; first fetch within one interval");
		}
	}
	for (;;) {
		next_wd = vr_sdnotify_tick(&sdn, vr_clock_ms());
		if (got_stop)
			break;
		if (got_hup) {
			got_hup = 0;
			force = true;
			next_fetch = vr_clock_ms();
		}
		now = vr_clock_ms();
		if (now >= next_fetch) {
			exit_code = VR_EXIT_OK;
			rc = fetch_step(w, force, &passed, &exit_code);
			force = false;
			/* Type=notify: up once the first pass has ended */
			vr_sdnotify_ready(&sdn, rc < 0 ? "first pass failed; "
			    "retrying (vmrecon status says why)" :
			    "first pass done");
			if (w->cfg.once) {
				code = rc < 0 ? VR_EXIT_ERROR : exit_code;
				break;
			}
			next_fetch = vr_clock_ms() + (w->fetch_failures ?
			    w->retry_ms : vr_schedule_next(&w->sched));
			if (passed) {
				w->apply_failures = rc < 0 ?
				    w->apply_failures + 1 : 0;
				next_observe = vr_clock_ms() + (rc < 0 ?
				    vr_schedule_retry(&w->sched,
				    w->apply_failures) : w->cfg.interval_ms);
			}
		}
		now = vr_clock_ms();
		if (now >= next_observe && !got_stop && !got_hup) {
			rc = 0;
			w->window_wake_ms = 0; /* the pass sets it anew */
			if (w->spec) {
				/* a failed or pending revision's pass: a
				 * retry */
				rc = vr_watchloop_pass(w, w->cfg.self_heal,
				    w->retry_pending ? VR_WHY_RETRY :
				    VR_WHY_DRIFT, &exit_code);
				/* converged (or, without self-heal, found
				 * in sync) */
				if (rc == 0 && exit_code == VR_EXIT_OK)
					vr_watchloop_retry_succeeded(w);
				else if (w->cfg.self_heal)
					vr_watchloop_retry_unconverged(w, rc,
					    exit_code);
			}
			w->apply_failures = rc < 0 ? w->apply_failures + 1 :
			    0;
			next_observe = vr_clock_ms() + (rc < 0 ?
			    vr_schedule_retry(&w->sched, w->apply_failures) :
			    w->cfg.interval_ms);
		}
		/* a restart window opening is a drift check of its own */
		if (w->window_wake_ms && w->window_wake_ms < next_observe)
			next_observe = w->window_wake_ms;
		now = next_fetch < next_observe ? next_fetch : next_observe;
		wait_until(now < next_wd ? now : next_wd, unblocked);
	}
	if (!w->cfg.once) {
		/* write status once more, whatever the dedup says */
		free(w->source_fp);
		w->source_fp = NULL;
		if (w->fetch_failures || !w->commit_reason)
			vr_watchloop_status(w, false, "Stopped",
			    "daemon stopped");
		else
			vr_watchloop_status(w, w->commit_ready,
			    w->commit_reason, w->commit_msg);
		vr_wlog(stderr, "info", "stopped", NULL);
	}
	vr_sdnotify_close(&sdn);
	return code;
}
