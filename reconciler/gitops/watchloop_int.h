/*
 * watchloop_int.h - the watch daemon's state, shared by its three files:
 * watchloop.c (the loop: fetch, hold, signals, waits), watchcommit.c (a
 * commit's checks, the spec in force, status.json's source section) and
 * watchpass.c (one reconcile pass and its log).  Not for other callers:
 * they use watchloop.h.
 */
#ifndef VR_WATCHLOOP_INT_H
#define VR_WATCHLOOP_INT_H

#include <jansson.h>

#include "../engine/statedir.h"
#include "schedule.h"
#include "watchloop.h"
#include "watchstate.h"

struct vr_watchloop {
	struct vr_watchloop_config cfg;
	struct vr_watchloop_hooks hooks;

	/* opened */
	struct vr_statedir *sd;
	struct vr_backend *b;
	struct vr_gitsource *gs;
	char *path, *mirror;

	/* state */
	struct vr_watch_baseline base; /* applied and accepted (watch.json) */
	struct vr_spec *spec;          /* last good spec, NULL before one */
	char spec_commit[VR_GIT_HEX];  /* the newest accepted commit holding */
	char *spec_revision;           /* its file, and that file's blob */
	char spec_blob[VR_GIT_HEX];
	char changed_commit[VR_GIT_HEX]; /* the commit that brought the file */
	char *changed_revision;
	char seen_commit[VR_GIT_HEX];  /* last fetched commit handled */
	bool retry_pending;            /* the spec has not converged yet: */
	char *spec_reason, *spec_msg;  /* ReconciliationFailed or
					* RestartPending, and why */
	bool resuming;                 /* handling the commit held at start */
	char *fetched_revision;
	int fetch_failures, apply_failures;
	int64_t retry_ms;              /* the next fetch after a failure */
	bool refused;                  /* the current commit was refused */
	bool commit_ready;             /* how handling seen_commit went, */
	char *commit_reason;           /* for the source section */
	char *commit_msg;
	char *source_fp;               /* what status.json's source says */
	json_t *vm_fp;                 /* per VM: the last logged outcome */
	struct vr_schedule sched;      /* when to poll next */
	int64_t window_at;             /* a restart window opens for changes
					* the last pass left pending (seconds
					* since the epoch); 0: none */
	int64_t window_wake_ms;        /* then, on the monotonic clock */
};

/* Why a pass runs; its name is the log's why=. */
enum vr_watch_why {
	VR_WHY_NEW_REVISION,
	VR_WHY_SIGHUP,
	VR_WHY_RETRY,
	VR_WHY_DRIFT,
};

/* watchpass.c: reconcile w->spec once, for `why`; with apply false
 * (no self-heal) only report drift.  0, or the pass's error. */
int vr_watchloop_pass(struct vr_watchloop *w, bool apply,
    enum vr_watch_why why, int *exit_code);

/* watchcommit.c */
/* status.json's source section, written when it says something new. */
void vr_watchloop_status(struct vr_watchloop *w, bool ready,
    const char *reason, const char *message);
/* A commit not handled before (or any, with `force`): check it, read this
 * host's file, reconcile when the file changed.  *passed: a pass ran. */
int vr_watchloop_commit(struct vr_watchloop *w, const struct vr_git_rev *rev,
    bool force, bool *passed, int *exit_code);
/* After a retry or drift pass: it converged, or not (rc, exit_code). */
void vr_watchloop_retry_succeeded(struct vr_watchloop *w);
void vr_watchloop_retry_unconverged(struct vr_watchloop *w, int rc,
    int exit_code);

/* The hooks (watchloop.h), each skipped when it is NULL. */
static inline void
vr_watchloop_ops_begin(struct vr_watchloop *w)
{
	if (w->hooks.pass_begin)
		w->hooks.pass_begin(w->hooks.ctx);
}

static inline void
vr_watchloop_ops_options(struct vr_watchloop *w,
    struct vr_reconcile_options *ro)
{
	if (w->hooks.reconcile_options)
		w->hooks.reconcile_options(w->hooks.ctx, ro);
}

static inline void
vr_watchloop_ops_end(struct vr_watchloop *w, const struct vr_spec *spec,
    const char *revision, bool apply, const struct vr_reconcile_result *res,
    const char *message)
{
	if (w->hooks.pass_end)
		w->hooks.pass_end(w->hooks.ctx, spec, revision, apply,
		    res, message);
}

static inline bool
vr_watchloop_posts(const struct vr_watchloop *w)
{
	return w->hooks.commit_status != NULL;
}

static inline void
vr_watchloop_post(struct vr_watchloop *w, const char *commit,
    enum vr_watchloop_state state, const char *description)
{
	if (w->hooks.commit_status)
		w->hooks.commit_status(w->hooks.ctx, commit, state,
		    description);
}

#endif
