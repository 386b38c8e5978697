/*
 * watchloop.h - the `vmrecon watch` daemon: follow a Git repository and
 * keep this host's VMs as the file at PATH in the tracked ref says (Flux's
 * GitRepository + Kustomization for one host, without Kubernetes).
 * reconciler/cli/cmd_watch.c parses the options into a
 * vr_watchloop_config and starts it:
 *
 *	vr_watchloop_signals_block(&unblocked);
 *	vr_watchloop_open(&w, &cfg);          state dir, baseline, source
 *	... open the backend ...
 *	code = vr_watchloop_run(w, b, &hooks, &unblocked);
 *	vr_watchloop_free(w);
 *
 * The loop: fetch every interval (the first time at a random point of it,
 * see schedule.h) into a bare mirror; when the new commit changes this
 * host's file (its blob id), check the history (fast-forward only) and the
 * signature, load the file and reconcile; every interval re-observe the
 * VMs and correct drift (or only report it without self_heal).  Errors
 * back off exponentially with jitter, are logged (vr_wlog, watchstate.h)
 * and recorded in status.json, and never stop the daemon: the last good
 * spec stays in force.  SIGHUP reconciles now; SIGTERM/SIGINT finish the
 * current step, write status and exit 0.  The state dir lock makes it one
 * daemon per state dir.
 *
 * What the caller adds around each pass (webhooks, metrics, commit
 * statuses: reconciler/report/, set up by the CLI) comes in as hooks, so
 * the loop depends on none of it.
 */
#ifndef VR_WATCHLOOP_H
#define VR_WATCHLOOP_H

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>

#include "../../backends/backend.h"
#include "../engine/reconcile.h"
#include "gitsource.h"

/* A commit's state for the commit status hook. */
enum vr_watchloop_state {
	VR_WATCHLOOP_PENDING,
	VR_WATCHLOOP_SUCCESS,
	VR_WATCHLOOP_FAILURE,
};

/* Called around each pass, with ctx; any may be NULL. */
struct vr_watchloop_hooks {
	void *ctx;
	void (*pass_begin)(void *ctx);
	/* set ro's per-VM callback before vr_reconcile */
	void (*reconcile_options)(void *ctx, struct vr_reconcile_options *ro);
	/* res NULL: the pass failed before vr_reconcile, with message */
	void (*pass_end)(void *ctx, const struct vr_spec *spec,
	    const char *revision, bool apply,
	    const struct vr_reconcile_result *res, const char *message);
	/* NULL: no commit statuses are posted */
	void (*commit_status)(void *ctx, const char *commit,
	    enum vr_watchloop_state state, const char *description);
};

struct vr_watchloop_config {
	const char *repo, *ref;
	const char *path_tmpl;       /* --path, {hostname} expanded */
	const char *allowed_signers; /* verify SSH signatures; NULL: off */
	const char *hostname;        /* NULL: gethostname */
	const char *state_dir;       /* locked while the daemon runs */
	const char *backend;         /* its name, for the log */
	int64_t interval_ms, max_backoff_ms;
	bool once, self_heal, allow_rewrite;
	struct vr_gitsource_options go; /* url, ref and mirror are set by
	                                 * vr_watchloop_open */
};

struct vr_watchloop;

/* Block SIGTERM, SIGINT and SIGHUP, which from now on only set the loop's
 * flags; *unblocked: the mask to wait with and to restore at the end. */
void vr_watchloop_signals_block(sigset_t *unblocked);

/* Expand the path, open the state dir (locked), the baseline and the
 * Git source; check the allowed signers file.  On failure *out is NULL
 * and the error is set (error.h). */
int vr_watchloop_open(struct vr_watchloop **out,
    const struct vr_watchloop_config *cfg);

/* Run until SIGTERM/SIGINT (or one fetch with cfg.once), reconciling
 * on b, which the loop owns from now on, and calling hooks around each
 * pass.  The exit code (enum vr_exit). */
int vr_watchloop_run(struct vr_watchloop *w, struct vr_backend *b,
    const struct vr_watchloop_hooks *hooks, const sigset_t *unblocked);

void vr_watchloop_free(struct vr_watchloop *w);

#endif
