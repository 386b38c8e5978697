/*
 * watchcommit.c - what the watch daemon does with a fetched commit
 * (watchloop_int.h): check its history and signature, read and load this
 * host's file, take it as the spec in force and reconcile, or refuse it
 * with the last good spec kept; the baseline in watch.json, the source
 * section of status.json and the commit statuses that follow.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../schema/util/error.h"
#include "../../schema/load.h"
#include "../../schema/window.h"
#include "watchloop_int.h"

#define SIGN_TIMEOUT_MS 10000

void
vr_watchloop_status(struct vr_watchloop *w, bool ready, const char *reason,
    const char *message)
{
	struct vr_watch_source_status s;
	char *fp;

	fp = vr_asprintf("%d|%s|%s|%s|%s|%d", ready, reason, message,
	    w->fetched_revision ? w->fetched_revision : "",
	    w->base.revision ? w->base.revision : "", w->fetch_failures);
	if (w->source_fp && strcmp(fp, w->source_fp) == 0) {
		free(fp);
		return;
	}
	free(w->source_fp);
	w->source_fp = fp;
	memset(&s, 0, sizeof(s));
	s.url = w->cfg.repo;
	s.ref = w->cfg.ref;
	s.path = w->path;
	s.fetched_revision = w->fetched_revision;
	s.applied_revision = w->base.revision;
	s.ready = ready;
	s.reason = reason;
	s.message = message;
	s.failures = w->fetch_failures;
	if (vr_watch_status_source(w->sd, &s) < 0)
		vr_wlog(stderr, "error", "cannot write status", "err",
		    vr_error_msg(), NULL);
}

/* How handling the current commit went: the source section repeats it
 * until the next commit or a fetch failure. */
static void
commit_outcome(struct vr_watchloop *w, bool ready, const char *reason,
    const char *msg)
{
	w->commit_ready = ready;
	free(w->commit_reason);
	w->commit_reason = vr_strdup(reason);
	free(w->commit_msg);
	w->commit_msg = vr_strdup(msg);
	vr_watchloop_status(w, ready, reason, msg);
}

static void
vm_ready(struct vr_watchloop *w, const char *fail_reason)
{
	char **names;
	size_t i;

	if (!w->spec || !w->spec->nvms)
		return;
	names = vr_calloc(w->spec->nvms, sizeof(*names));
	for (i = 0; i < w->spec->nvms; i++)
		names[i] = w->spec->vms[i].name;
	if (vr_watch_status_ready(w->sd, names, w->spec->nvms,
	    fail_reason) < 0)
		vr_wlog(stderr, "error", "cannot write status", "err",
		    vr_error_msg(), NULL);
	free(names);
}

/* A commit was refused (or its file is unusable): the VMs of the last good
 * spec keep their state; status says why, with the new revision as the
 * last attempted one. */
static void
refuse(struct vr_watchloop *w, const char *revision, const char *reason,
    const char *msg)
{
	size_t i;

	vr_wlog(stderr, "error", "revision refused", "revision", revision,
	    "reason", reason, "err", msg, NULL);
	vr_watchloop_ops_begin(w);
	vr_watchloop_ops_end(w, w->spec, revision, true, NULL, msg);
	if (vr_watchloop_posts(w))
		vr_watchloop_post(w, w->seen_commit, VR_WATCHLOOP_FAILURE,
		    reason);
	if (w->spec) {
		vr_statedir_pass_begin(w->sd);
		for (i = 0; i < w->spec->nvms; i++)
			vr_statedir_status_put(w->sd, w->spec->vms[i].name,
			    revision, VR_RESULT_FAILED, msg);
		if (vr_statedir_pass_end(w->sd) < 0)
			vr_wlog(stderr, "error", "cannot write status", "err",
			    vr_error_msg(), NULL);
		vm_ready(w, reason);
		json_object_clear(w->vm_fp);
	}
	w->refused = true;
	commit_outcome(w, false, reason, msg);
}

/* watch.json: the applied baseline as it is, the spec in force as the
 * accepted revision. */
static void
save_state(struct vr_watchloop *w)
{
	memcpy(w->base.accepted_commit, w->spec_commit, VR_GIT_HEX);
	memcpy(w->base.accepted_blob, w->spec_blob, VR_GIT_HEX);
	free(w->base.accepted_revision);
	w->base.accepted_revision = vr_strdup(w->spec_revision);
	if (vr_watch_baseline_save(&w->base, vr_statedir_path(w->sd)) < 0)
		vr_wlog(stderr, "error", "cannot write watch.json", "err",
		    vr_error_msg(), NULL);
}

/* The commit `rev`, whose file has blob `blob`, holds the spec in force:
 * the newest revision of it. */
static void
accept_rev(struct vr_watchloop *w, const struct vr_git_rev *rev,
    const char *blob)
{
	memcpy(w->spec_commit, rev->commit, VR_GIT_HEX);
	free(w->spec_revision);
	w->spec_revision = vr_strdup(rev->revision);
	memcpy(w->spec_blob, blob, VR_GIT_HEX);
}

/* A new file: its spec, from commit `rev`, not converged yet. */
static void
take_spec(struct vr_watchloop *w, struct vr_spec *spec,
    const struct vr_git_rev *rev, const char *blob)
{
	vr_spec_free(w->spec);
	w->spec = spec;
	accept_rev(w, rev, blob);
	memcpy(w->changed_commit, rev->commit, VR_GIT_HEX);
	free(w->changed_revision);
	w->changed_revision = vr_strdup(rev->revision);
	w->retry_pending = false;
	json_object_clear(w->vm_fp);
	save_state(w);
}

/* The VMs converged to the spec: the newest revision holding it is the
 * applied one (the history check's anchor from now on). */
static void
base_advance(struct vr_watchloop *w)
{
	memcpy(w->base.commit, w->spec_commit, VR_GIT_HEX);
	memcpy(w->base.blob, w->spec_blob, VR_GIT_HEX);
	free(w->base.revision);
	w->base.revision = vr_strdup(w->spec_revision);
	save_state(w);
}

/* What a pending revision waits for (static buffer). */
static const char *
pending_text(const struct vr_watchloop *w)
{
	static char buf[96];
	char utc[32];

	if (!w->window_at)
		return "changes pending a restart (restartPolicy: Never)";
	snprintf(buf, sizeof(buf), "changes pending until %s (restart "
	    "window)", vr_window_utc(utc, sizeof(utc), w->window_at));
	return buf;
}

/* Why the newest handled commit is not applied, when the spec has not
 * converged: the spec's own reason, said of the commit that brought the
 * file when a later one did not change it (malloc'd). */
static char *
unconverged_text(const struct vr_watchloop *w)
{
	if (strcmp(w->spec_commit, w->changed_commit) == 0)
		return vr_strdup(w->spec_msg);
	return vr_asprintf("file unchanged since %s, %s: %s",
	    w->changed_revision, strcmp(w->spec_reason, "RestartPending") ==
	    0 ? "whose changes are pending" : "whose apply failed; retrying",
	    w->spec_msg);
}

/* The spec has not converged, for `reason` (ReconciliationFailed or
 * RestartPending): status says so for the newest commit, unless that one
 * was refused (status says why already). */
static void
unconverged(struct vr_watchloop *w, const char *reason, const char *msg)
{
	char *text;

	w->retry_pending = true;
	free(w->spec_reason);
	w->spec_reason = vr_strdup(reason);
	free(w->spec_msg);
	w->spec_msg = vr_strdup(msg);
	if (w->refused)
		return;
	text = unconverged_text(w);
	commit_outcome(w, false, reason, text);
	free(text);
}

/* A commit that does not change this host's file: it is the newest
 * revision of the spec in force, and inherits the outcome of the revision
 * that last changed the file (failed stays failed, pending stays
 * pending).  Nothing is reconciled. */
static void
file_unchanged(struct vr_watchloop *w, const struct vr_git_rev *rev,
    const char *blob)
{
	char *text, shortrev[16];
	bool failed;

	accept_rev(w, rev, blob);
	/* the same file as the applied one: the newer revision of it */
	if (strcmp(w->base.blob, blob) == 0)
		base_advance(w);
	else
		save_state(w);
	if (!w->retry_pending) {
		vr_wlog(stderr, "info", "new revision, file unchanged",
		    "revision", rev->revision, "path", w->path, NULL);
		commit_outcome(w, true, "Succeeded", "file unchanged");
		if (vr_watchloop_posts(w))
			vr_watchloop_post(w, rev->commit,
			    VR_WATCHLOOP_SUCCESS, "no change for this host");
		return;
	}
	failed = strcmp(w->spec_reason, "RestartPending") != 0;
	vr_wlog(stderr, "warn", "new revision, file unchanged", "revision",
	    rev->revision, "path", w->path, "since", w->changed_revision,
	    "reason", w->spec_reason, NULL);
	text = unconverged_text(w);
	commit_outcome(w, false, w->spec_reason, text);
	free(text);
	if (vr_watchloop_posts(w)) {
		snprintf(shortrev, sizeof(shortrev), "%.12s",
		    w->changed_commit);
		text = failed ? vr_asprintf("not applied: file as in %s, "
		    "whose apply failed; retrying", shortrev) :
		    vr_asprintf("file as in %s: %s", shortrev,
		    w->spec_msg);
		vr_watchloop_post(w, rev->commit, failed ?
		    VR_WATCHLOOP_FAILURE : VR_WATCHLOOP_PENDING, text);
		free(text);
	}
}

/* A commit not handled before (or any, with `force`): check it, read this
 * host's file, reconcile when the file changed.  *passed: a reconcile
 * ran. */
int
vr_watchloop_commit(struct vr_watchloop *w, const struct vr_git_rev *rev,
    bool force, bool *passed, int *exit_code)
{
	struct vr_diags diags = VR_DIAGS_INIT;
	struct vr_spec *spec = NULL;
	char blob[VR_GIT_HEX], *buf = NULL, *signer = NULL, *msg;
	size_t len;
	int rc;

	*passed = false;
	memcpy(w->seen_commit, rev->commit, VR_GIT_HEX);
	if (w->base.commit[0] && !w->cfg.allow_rewrite &&
	    (rc = vr_gitsource_check_descendant(w->gs, rev->commit,
	    w->base.commit)) < 0) {
		msg = vr_asprintf("%s; not applied (--allow-rewrite accepts "
		    "it)", vr_error_msg());
		refuse(w, rev->revision, rc == VR_ECONFLICT ?
		    "HistoryRewritten" : "GitOperationFailed", msg);
		free(msg);
		return rc;
	}
	if (w->cfg.allowed_signers) {
		rc = vr_gitsource_verify_ssh(&signer, w->gs, rev->commit,
		    w->cfg.allowed_signers, vr_statedir_path(w->sd),
		    SIGN_TIMEOUT_MS);
		if (rc < 0) {
			refuse(w, rev->revision, "VerificationFailed",
			    vr_error_msg());
			return rc;
		}
		vr_wlog(stderr, "info", "signature verified", "revision",
		    rev->revision, "signer", signer, NULL);
		free(signer);
	}
	rc = vr_gitsource_read(&buf, &len, blob, w->gs, rev->commit,
	    w->path);
	if (rc < 0) {
		msg = rc == VR_ENOTFOUND ? vr_asprintf("%s; nothing changed "
		    "(a missing file is an error, not a deletion)",
		    vr_error_msg()) : vr_strdup(vr_error_msg());
		refuse(w, rev->revision, "ArtifactFailed", msg);
		free(msg);
		return rc;
	}
	if (!force && w->spec && !w->refused &&
	    strcmp(blob, w->spec_blob) == 0) {
		file_unchanged(w, rev, blob);
		free(buf);
		return 0;
	}
	rc = vr_spec_load_buffer(&spec, &diags, w->path, buf, len);
	free(buf);
	if (rc < 0) {
		size_t i;

		for (i = 0; i < diags.n; i++) {
			char *at = vr_asprintf("%s:%d:%d", diags.v[i].file ?
			    diags.v[i].file : w->path, diags.v[i].line,
			    diags.v[i].col);

			vr_wlog(stderr, "error", "invalid desired state",
			    "revision", rev->revision, "at", at, "err",
			    diags.v[i].msg, NULL);
			free(at);
		}
		msg = diags.n ? vr_asprintf("%s:%d:%d: %s%s",
		    diags.v[0].file ? diags.v[0].file : w->path,
		    diags.v[0].line, diags.v[0].col, diags.v[0].msg,
		    diags.n > 1 ? " (and more)" : "") :
		    vr_strdup(vr_error_msg());
		refuse(w, rev->revision, "ValidationFailed", msg);
		free(msg);
		vr_diags_free(&diags);
		return VR_EINVALID;
	}
	vr_diags_free(&diags);
	/* quiet on a restart that finds the commit it applied last */
	if (force || strcmp(rev->commit, w->base.commit) != 0)
		vr_wlog(stderr, "info", force ? "reconciling now" :
		    w->resuming ? "resuming a revision not applied yet" :
		    "new revision", "revision", rev->revision, "path",
		    w->path, "blob", blob, NULL);
	take_spec(w, spec, rev, blob);
	if (vr_watchloop_posts(w))
		vr_watchloop_post(w, rev->commit, VR_WATCHLOOP_PENDING,
		    "applying");
	rc = vr_watchloop_pass(w, true, force ? VR_WHY_SIGHUP :
	    VR_WHY_NEW_REVISION, exit_code);
	msg = rc < 0 ? vr_strdup(vr_error_msg()) : NULL;
	if (vr_watchloop_posts(w))
		vr_watchloop_post(w, rev->commit, rc < 0 ?
		    VR_WATCHLOOP_FAILURE : *exit_code == VR_EXIT_PENDING ?
		    VR_WATCHLOOP_PENDING : VR_WATCHLOOP_SUCCESS, rc < 0 ?
		    "apply failed; retrying" : *exit_code == VR_EXIT_PENDING ?
		    pending_text(w) : "applied");
	*passed = true;
	w->refused = false;
	if (rc == 0 && *exit_code == VR_EXIT_PENDING) {
		/* not applied until every change is: a drift pass that
		 * converges (after a restart) applies it */
		unconverged(w, "RestartPending", pending_text(w));
	} else if (rc == 0) {
		base_advance(w);
		commit_outcome(w, true, "Succeeded", "applied");
	} else {
		unconverged(w, "ReconciliationFailed", msg);
		vr_error_set(rc, "%s", msg);
	}
	free(msg);
	return rc;
}

/* A retry or drift pass found the VMs as the spec says after its revision
 * had failed or was left pending: the newest revision holding the spec is
 * the applied one now, and the commit that brought the file is applied
 * too. */
void
vr_watchloop_retry_succeeded(struct vr_watchloop *w)
{
	bool later = strcmp(w->changed_commit, w->spec_commit) != 0;

	if (!w->retry_pending)
		return;
	w->retry_pending = false;
	base_advance(w);
	if (!w->refused)
		commit_outcome(w, true, "Succeeded", "applied after a retry");
	if (vr_watchloop_posts(w)) {
		vr_watchloop_post(w, w->spec_commit, VR_WATCHLOOP_SUCCESS,
		    "applied after a retry");
		if (later)
			vr_watchloop_post(w, w->changed_commit,
			    VR_WATCHLOOP_SUCCESS, "applied after a retry");
	}
	vr_wlog(stderr, "info", "revision applied after a retry",
	    "revision", w->spec_revision, "changed_in", later ?
	    w->changed_revision : NULL, NULL);
}

/* A retry pass that did not converge either: when its reason differs
 * from the last one (pending, then failed when the window opened, or
 * back), status says the new one. */
void
vr_watchloop_retry_unconverged(struct vr_watchloop *w, int rc, int exit_code)
{
	const char *reason = rc < 0 ? "ReconciliationFailed" :
	    "RestartPending";

	if (!w->retry_pending || (rc == 0 && exit_code != VR_EXIT_PENDING) ||
	    strcmp(reason, w->spec_reason) == 0)
		return;
	if (rc < 0) {
		char *msg = vr_strdup(vr_error_msg());

		unconverged(w, reason, msg);
		free(msg);
	} else {
		unconverged(w, reason, pending_text(w));
	}
}
