/*
 * cmd_watch.c - `vmrecon watch`: follow a Git repository and keep this
 * host's VMs as the file at PATH in the tracked ref says (Flux's
 * GitRepository + Kustomization for one host, without Kubernetes).
 *
 * The loop: fetch every interval (the first time at a random point of it,
 * see schedule.h) into a bare mirror; when the
 * new commit changes this host's file (its blob id), check the history
 * (fast-forward only) and the signature, load the file and reconcile; every
 * interval re-observe the VMs and correct drift (or only report it with
 * --no-self-heal).  Errors back off exponentially with jitter, are logged
 * and recorded in status.json, and never stop the daemon: the last good
 * spec stays in force.  SIGHUP reconciles now; SIGTERM/SIGINT finish the
 * current step, write status and exit 0.  The state dir lock makes it one
 * daemon per state dir.
 */
#include <errno.h>
#include <jansson.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "../../schema/util/clock.h"
#include "../../schema/util/error.h"
#include "../../schema/field.h"
#include "../../schema/load.h"
#include "../../schema/window.h"
#include "cmd.h"
#include "../report/commitstatus.h"
#include "../gitops/gitsource.h"
#include "ops.h"
#include "options.h"
#include "../gitops/schedule.h"
#include "../gitops/sdnotify.h"
#include "../gitops/watchstate.h"

#define SIGN_TIMEOUT_MS 10000

static volatile sig_atomic_t got_stop, got_hup;

struct watch {
	/* options */
	const char *repo, *ref, *path_tmpl, *allowed_signers, *hostname;
	int64_t interval_ms, max_backoff_ms;
	bool once, self_heal, allow_rewrite;
	struct vr_cli_common c;
	struct vr_gitsource_options go;
	struct vr_ops_options oo;      /* --notify, --metrics-file, ... */

	/* opened */
	struct vr_statedir *sd;
	struct vr_backend *b;
	struct vr_gitsource *gs;
	struct vr_ops *ops;            /* webhooks, metrics; may be NULL */
	struct vr_commit_status *cs;   /* --commit-status; may be NULL */
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

/* --- small helpers ------------------------------------------------------ */

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

/* --- status --------------------------------------------------------------- */

static void
source_status(struct watch *w, bool ready, const char *reason,
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
	s.url = w->repo;
	s.ref = w->ref;
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
commit_outcome(struct watch *w, bool ready, const char *reason,
    const char *msg)
{
	w->commit_ready = ready;
	free(w->commit_reason);
	w->commit_reason = vr_strdup(reason);
	free(w->commit_msg);
	w->commit_msg = vr_strdup(msg);
	source_status(w, ready, reason, msg);
}

static void
vm_ready(struct watch *w, const char *fail_reason)
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
refuse(struct watch *w, const char *revision, const char *reason,
    const char *msg)
{
	size_t i;

	vr_wlog(stderr, "error", "revision refused", "revision", revision,
	    "reason", reason, "err", msg, NULL);
	vr_ops_pass_begin(w->ops);
	vr_ops_pass_end(w->ops, w->spec, revision, true, NULL, msg);
	if (w->cs)
		vr_commit_status_post(w->cs, w->seen_commit, VR_CS_FAILURE,
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

/* --- one reconcile pass ------------------------------------------------ */

/* Why a pass runs; the name is the log's why=. */
enum why { WHY_NEW_REVISION, WHY_SIGHUP, WHY_RETRY, WHY_DRIFT };

static const char *
why_name(enum why why)
{
	static const char *const names[] = { "new revision", "SIGHUP",
	    "retry", "drift" };

	return names[why];
}

/* One side of a change for the log: the field's text, except that a GPU
 * is only its name ("none" for no GPU or one the backend cannot name). */
static char *
value_text(const struct vr_change *c, bool to)
{
	const struct vr_value *v = to ? &c->to : &c->from;

	if (v->kind != VR_VALUE_GPU)
		return vr_field_text(&vr_fields[c->field], v);
	return vr_strdup(v->gpu.count && v->gpu.name ? v->gpu.name : "none");
}

/* "cpuCount 1->4, gpu none->NVIDIA A2" */
static char *
changes_text(const struct vr_vm_outcome *oc)
{
	char *out = vr_strdup(""), *next, *from, *to;
	size_t i;

	for (i = 0; i < oc->nchanges; i++) {
		from = value_text(&oc->change[i], false);
		to = value_text(&oc->change[i], true);
		next = vr_asprintf("%s%s%s %s->%s", out, i ? ", " : "",
		    vr_field_name(oc->change[i].field), from, to);
		free(from);
		free(to);
		free(out);
		out = next;
	}
	return out;
}

/* Log each line vr_reconcile wrote to its err stream. */
static void
log_err_lines(char *text, const char *revision)
{
	char *line, *save = NULL;

	for (line = strtok_r(text, "\n", &save); line;
	    line = strtok_r(NULL, "\n", &save)) {
		if (strncmp(line, "vmrecon: ", 9) == 0)
			line += 9;
		vr_wlog(stderr, "error", "reconcile problem", "revision",
		    revision, "err", line, NULL);
	}
}

/* Same outcome as last logged for this VM?  Then stay quiet. */
static bool
seen_before(struct watch *w, const char *vm, const char *fp)
{
	const char *old = json_string_value(json_object_get(w->vm_fp, vm));

	if (old && strcmp(old, fp) == 0)
		return true;
	json_object_set_new(w->vm_fp, vm, json_string(fp));
	return false;
}

/* One line for what a pass did to a VM: the message says what happened
 * (drift corrected or applied, pending, failed) and why= says why it ran
 * (drift, new revision, retry, SIGHUP), so the two never disagree. */
static void
log_outcome(const struct vr_vm_outcome *oc, enum why why,
    const char *changes, const char *revision)
{
	const char *what, *level = "info";

	if (oc->result == VR_RESULT_CONVERGED) {
		what = why == WHY_DRIFT ? "drift corrected" : "applied";
	} else if (oc->result == VR_RESULT_PENDING) {
		what = "pending a restart";
		level = "warn";
	} else {
		what = "failed";
		level = "error";
	}
	vr_wlog(stderr, level, what, "vm", oc->vm, "why", why_name(why),
	    "result", vr_result_name(oc->result), "changes", changes,
	    "revision", revision, "message", oc->message, NULL);
}

/* Wake when the restart window for pending changes opens (a second
 * after it, so the pass finds it open), without waiting for a commit or
 * the next drift check; at = 0: no wake. */
static void
window_wake(struct watch *w, int64_t at)
{
	int64_t wall = (int64_t)time(NULL);
	char utc[32];

	if (at > 0 && at != w->window_at)
		vr_wlog(stderr, "info", "restart pending until a window opens",
		    "at", vr_window_utc(utc, sizeof(utc), at), NULL);
	w->window_at = at;
	w->window_wake_ms = at > 0 ? vr_clock_ms() + ((at > wall ? at - wall :
	    0) + 1) * 1000 : 0;
}

/* Reconcile w->spec once, for `why`.  With apply false (--no-self-heal)
 * only report drift.  The log and status come from the result's per-VM
 * outcomes; vr_reconcile's err stream (its diagnostics) is logged line by
 * line.  Returns 0, or an error when the pass failed. */
static int
reconcile_pass(struct watch *w, bool apply, enum why why, int *exit_code)
{
	struct vr_reconcile_options o = VR_RECONCILE_OPTIONS_INIT;
	struct vr_reconcile_result res;
	char *err_text = NULL, *err;
	size_t err_len = 0, i;
	int rc;

	o.apply = apply;
	o.output = VR_OUTPUT_NONE;
	o.err = open_memstream(&err_text, &err_len);
	o.revision = w->spec_revision;
	/* a new revision is recorded for every VM; a drift check that finds
	 * nothing writes nothing */
	o.quiet_in_sync = why == WHY_DRIFT;
	if (!o.err)
		return vr_error_set(VR_ERROR, "open_memstream: %s",
		    strerror(errno));
	vr_ops_pass_begin(w->ops);
	vr_ops_reconcile_options(w->ops, &o);
	/* the backend lives as long as the daemon: every pass, a drift
	 * check included, observes the live VMs afresh */
	vr_backend_forget(w->b);
	vr_error_clear();
	rc = vr_reconcile(&res, w->spec, w->b, w->sd, &o);
	err = rc < 0 ? vr_strdup(vr_error_msg()) : NULL;
	window_wake(w, rc < 0 || !apply ? 0 : res.next_window);
	vr_ops_pass_end(w->ops, w->spec, w->spec_revision, apply, &res, err);
	fclose(o.err);
	*exit_code = res.exit_code;
	if (err_len)
		log_err_lines(err_text, w->spec_revision);
	vr_statedir_pass_begin(w->sd);
	for (i = 0; i < res.nvms; i++) {
		const struct vr_vm_outcome *oc = &res.vms[i];
		char *text, *fp;

		if (oc->nchanges == 0)
			continue;
		text = changes_text(oc);
		if (!apply) {
			char *m = vr_asprintf("drift not corrected "
			    "(--no-self-heal): %s", text);

			fp = vr_asprintf("drift|%s", text);
			if (!seen_before(w, oc->vm, fp)) {
				vr_wlog(stderr, "warn", "drift detected",
				    "vm", oc->vm, "changes", text, "revision",
				    w->spec_revision, NULL);
				vr_statedir_status_put(w->sd, oc->vm, NULL,
				    VR_RESULT_DRIFTED, m);
			}
			free(m);
		} else {
			fp = vr_asprintf("%s|%s", vr_result_name(oc->result),
			    text);
			/* an applied change is always news; a pending or
			 * failing one only when it differs from last time */
			if (oc->result == VR_RESULT_CONVERGED ||
			    !seen_before(w, oc->vm, fp))
				log_outcome(oc, why, text, w->spec_revision);
			if (oc->result == VR_RESULT_CONVERGED)
				json_object_del(w->vm_fp, oc->vm);
		}
		free(fp);
		free(text);
	}
	/* the state dir gave each result its Ready condition */
	if (vr_statedir_pass_end(w->sd) < 0)
		vr_wlog(stderr, "error", "cannot write status", "err",
		    vr_error_msg(), NULL);
	vr_reconcile_result_clear(&res);
	free(err_text);
	/* the pass's own error for the caller, whatever ran since */
	if (rc < 0)
		vr_error_set(rc, "%s", err);
	free(err);
	return rc;
}

/* --- one fetch step ------------------------------------------------------ */

/* watch.json: the applied baseline as it is, the spec in force as the
 * accepted revision. */
static void
save_state(struct watch *w)
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
accept_rev(struct watch *w, const struct vr_git_rev *rev, const char *blob)
{
	memcpy(w->spec_commit, rev->commit, VR_GIT_HEX);
	free(w->spec_revision);
	w->spec_revision = vr_strdup(rev->revision);
	memcpy(w->spec_blob, blob, VR_GIT_HEX);
}

/* A new file: its spec, from commit `rev`, not converged yet. */
static void
take_spec(struct watch *w, struct vr_spec *spec, const struct vr_git_rev *rev,
    const char *blob)
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
base_advance(struct watch *w)
{
	memcpy(w->base.commit, w->spec_commit, VR_GIT_HEX);
	memcpy(w->base.blob, w->spec_blob, VR_GIT_HEX);
	free(w->base.revision);
	w->base.revision = vr_strdup(w->spec_revision);
	save_state(w);
}

/* What a pending revision waits for (static buffer). */
static const char *
pending_text(const struct watch *w)
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
unconverged_text(const struct watch *w)
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
unconverged(struct watch *w, const char *reason, const char *msg)
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
file_unchanged(struct watch *w, const struct vr_git_rev *rev,
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
		if (w->cs)
			vr_commit_status_post(w->cs, rev->commit,
			    VR_CS_SUCCESS, "no change for this host");
		return;
	}
	failed = strcmp(w->spec_reason, "RestartPending") != 0;
	vr_wlog(stderr, "warn", "new revision, file unchanged", "revision",
	    rev->revision, "path", w->path, "since", w->changed_revision,
	    "reason", w->spec_reason, NULL);
	text = unconverged_text(w);
	commit_outcome(w, false, w->spec_reason, text);
	free(text);
	if (w->cs) {
		snprintf(shortrev, sizeof(shortrev), "%.12s",
		    w->changed_commit);
		text = failed ? vr_asprintf("not applied: file as in %s, "
		    "whose apply failed; retrying", shortrev) :
		    vr_asprintf("file as in %s: %s", shortrev,
		    w->spec_msg);
		vr_commit_status_post(w->cs, rev->commit, failed ?
		    VR_CS_FAILURE : VR_CS_PENDING, text);
		free(text);
	}
}

/* A commit not handled before (or any, with `force`): check it, read this
 * host's file, reconcile when the file changed.  *passed: a reconcile
 * ran. */
static int
handle_commit(struct watch *w, const struct vr_git_rev *rev, bool force,
    bool *passed, int *exit_code)
{
	struct vr_diags diags = VR_DIAGS_INIT;
	struct vr_spec *spec = NULL;
	char blob[VR_GIT_HEX], *buf = NULL, *signer = NULL, *msg;
	size_t len;
	int rc;

	*passed = false;
	memcpy(w->seen_commit, rev->commit, VR_GIT_HEX);
	if (w->base.commit[0] && !w->allow_rewrite &&
	    (rc = vr_gitsource_check_descendant(w->gs, rev->commit,
	    w->base.commit)) < 0) {
		msg = vr_asprintf("%s; not applied (--allow-rewrite accepts "
		    "it)", vr_error_msg());
		refuse(w, rev->revision, rc == VR_ECONFLICT ?
		    "HistoryRewritten" : "GitOperationFailed", msg);
		free(msg);
		return rc;
	}
	if (w->allowed_signers) {
		rc = vr_gitsource_verify_ssh(&signer, w->gs, rev->commit,
		    w->allowed_signers, vr_statedir_path(w->sd),
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
	if (w->cs)
		vr_commit_status_post(w->cs, rev->commit, VR_CS_PENDING,
		    "applying");
	rc = reconcile_pass(w, true, force ? WHY_SIGHUP : WHY_NEW_REVISION,
	    exit_code);
	msg = rc < 0 ? vr_strdup(vr_error_msg()) : NULL;
	if (w->cs)
		vr_commit_status_post(w->cs, rev->commit, rc < 0 ?
		    VR_CS_FAILURE : *exit_code == VR_EXIT_PENDING ?
		    VR_CS_PENDING : VR_CS_SUCCESS, rc < 0 ?
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
static void
retry_succeeded(struct watch *w)
{
	bool later = strcmp(w->changed_commit, w->spec_commit) != 0;

	if (!w->retry_pending)
		return;
	w->retry_pending = false;
	base_advance(w);
	if (!w->refused)
		commit_outcome(w, true, "Succeeded", "applied after a retry");
	if (w->cs) {
		vr_commit_status_post(w->cs, w->spec_commit, VR_CS_SUCCESS,
		    "applied after a retry");
		if (later)
			vr_commit_status_post(w->cs, w->changed_commit,
			    VR_CS_SUCCESS, "applied after a retry");
	}
	vr_wlog(stderr, "info", "revision applied after a retry",
	    "revision", w->spec_revision, "changed_in", later ?
	    w->changed_revision : NULL, NULL);
}

/* A retry pass that did not converge either: when its reason differs
 * from the last one (pending, then failed when the window opened, or
 * back), status says the new one. */
static void
retry_unconverged(struct watch *w, int rc, int exit_code)
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

static int
fetch_step(struct watch *w, bool force, bool *passed, int *exit_code)
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
		retry = w->once ? NULL : fmt_ms(w->retry_ms);
		vr_wlog(stderr, "error", "fetch failed", "url", w->repo,
		    "err", err, "failures", n, "retry_in", retry, NULL);
		free(retry);
		/* a copy: writing status.json resets the error */
		source_status(w, false, rc == VR_ETIMEOUT ? "FetchTimeout" :
		    "FetchFailed", err);
		free(err);
		return rc;
	}
	if (w->fetch_failures) {
		vr_wlog(stderr, "info", "fetch recovered", "url", w->repo,
		    "revision", rev.revision, NULL);
		w->fetch_failures = 0;
	}
	free(w->fetched_revision);
	w->fetched_revision = vr_strdup(rev.revision);
	if (force || strcmp(rev.commit, w->seen_commit) != 0)
		rc = handle_commit(w, &rev, force, passed, exit_code);
	else if (w->commit_reason)
		source_status(w, w->commit_ready, w->commit_reason,
		    w->commit_msg);
	vr_git_rev_clear(&rev);
	return rc;
}

/* May the daemon resume the accepted commit?  Only one the mirror has,
 * newer than the applied one and descending from it (or --allow-rewrite):
 * else the applied one holds. */
static bool
resume_accepted(struct watch *w)
{
	const struct vr_watch_baseline *b = &w->base;

	if (!b->accepted_commit[0] || !b->accepted_revision ||
	    strcmp(b->accepted_commit, b->commit) == 0 ||
	    !vr_gitsource_has_commit(w->gs, b->accepted_commit))
		return false;
	if (!b->commit[0] || w->allow_rewrite ||
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
resume_from_mirror(struct watch *w)
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
	handle_commit(w, &rev, false, &passed, &exit_code);
	w->resuming = false;
	vr_git_rev_clear(&rev);
	return passed;
}

/* --- setup ---------------------------------------------------------------- */

/* 0 parsed, 1 --help printed, -1 a usage error (printed). */
static int
parse_args(struct watch *w, int argc, char **argv)
{
	struct vr_opts p;
	int rc;

	vr_opts_init(&p, "watch", argc, argv);
	while ((rc = vr_opts_next(&p)) > 0) {
		switch (rc) {
		case VR_OPT_REPO: w->repo = p.arg; break;
		case VR_OPT_REF: w->ref = p.arg; break;
		case VR_OPT_PATH: w->path_tmpl = p.arg; break;
		case VR_OPT_ONCE: w->once = true; break;
		case VR_OPT_NO_SELF_HEAL: w->self_heal = false; break;
		case VR_OPT_ALLOW_REWRITE: w->allow_rewrite = true; break;
		case VR_OPT_VERIFY_SIGNATURES: w->allowed_signers = p.arg; break;
		case VR_OPT_SSH_KEY: w->go.ssh_key = p.arg; break;
		case VR_OPT_KNOWN_HOSTS: w->go.known_hosts = p.arg; break;
		case VR_OPT_INTERVAL: w->interval_ms = p.value; break;
		case VR_OPT_TIMEOUT: w->go.timeout_ms = (int)p.value; break;
		case VR_OPT_MAX_BACKOFF: w->max_backoff_ms = p.value; break;
		default:
			/* --backend, --state-dir; --ca-file, --token-file,
			 * --notify, --metrics-file, --commit-status... */
			if (!vr_cli_common_option(&w->c, &p) &&
			    vr_ops_option(&w->oo, &p) < 0)
				return -1;
		}
	}
	if (rc < 0)
		return rc == VR_OPTS_HELP ? 1 : -1;
	if (vr_cli_settle(&w->c) < 0)
		return -1;
	if (w->c.implicit) {
		vr_cli_error("watch needs a backend (--backend KIND[:TARGET], "
		    "VMRECON_BACKEND or a context): a daemon on the built-in "
		    "simulated host is never meant; to watch a simulated "
		    "host, give --backend sim:FILE");
		return -1;
	}
	w->hostname = w->c.hostname;
	if (w->max_backoff_ms < w->interval_ms)
		w->max_backoff_ms = w->interval_ms;
	/* one --ca-file and --token-file, parsed where diff and apply parse
	 * them, for both TLS stacks: libgit2's (mbedTLS) for the repository
	 * and libcurl's (OpenSSL) for webhooks and statuses */
	w->go.ca_file = w->oo.http.ca_file;
	w->go.token_file = w->oo.http.token_file;
	if (w->hostname) {
		char *expanded = NULL;

		/* the rules of {hostname}, even when --path does not use it:
		 * the name also goes into statuses and metric labels */
		if (vr_git_path_expand(&expanded, "{hostname}", w->hostname,
		    NULL) < 0) {
			vr_cli_error("--hostname: %s", vr_error_msg());
			return -1;
		}
		free(expanded);
	}
	w->oo.hostname = w->hostname;
	return 0;
}

/* Open the state dir (locked), the baseline, the source, the backend. */
static int
setup(struct watch *w)
{
	struct vr_watch_baseline old;
	int rc;

	if ((rc = vr_git_path_expand(&w->path, w->path_tmpl, w->hostname,
	    NULL)) < 0)
		return rc;
	if ((rc = vr_statedir_open(&w->sd, w->c.state_dir, true)) < 0)
		return rc;
	rc = vr_watch_baseline_load(&old, w->c.state_dir);
	if (rc < 0 && rc != VR_ENOTFOUND)
		return rc;
	if (rc == 0 && old.url && strcmp(old.url, w->repo) == 0 &&
	    old.ref && strcmp(old.ref, w->ref) == 0) {
		w->base = old;
	} else {
		if (rc == 0)
			vr_wlog(stderr, "warn", "repository or ref changed; "
			    "the history check starts over", "old_url",
			    old.url, "old_ref", old.ref, NULL);
		vr_watch_baseline_clear(&old);
		w->base.url = vr_strdup(w->repo);
		w->base.ref = vr_strdup(w->ref);
	}
	free(w->base.path);
	w->base.path = vr_strdup(w->path);
	w->mirror = vr_asprintf("%s/mirror.git", w->c.state_dir);
	vr_git_drop_stale_locks(w->mirror);
	w->go.url = w->repo;
	w->go.ref = w->ref;
	w->go.mirror = w->mirror;
	if ((rc = vr_gitsource_new(&w->gs, &w->go)) < 0)
		return rc;
	if (w->allowed_signers && access(w->allowed_signers, R_OK) != 0)
		return vr_error_set(VR_ENOTFOUND, "cannot read allowed "
		    "signers '%s': %s", w->allowed_signers, strerror(errno));
	if ((rc = vr_ops_open(&w->ops, &w->oo)) < 0 ||
	    (rc = vr_ops_commit_status_open(&w->cs, &w->oo, w->repo)) < 0)
		return rc;
	return vr_cli_backend_open(&w->b, &w->c);
}

static void
teardown(struct watch *w)
{
	vr_commit_status_free(w->cs);
	vr_ops_free(w->ops);
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
	vr_cli_common_clear(&w->c);
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
 * the loop waits: a step is never cut in the middle.  *unblocked: the mask
 * to wait with. */
static void
signals_setup(sigset_t *unblocked)
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

static int
run(struct watch *w, const sigset_t *unblocked)
{
	int64_t next_fetch, next_observe, now, next_wd;
	struct vr_sdnotify sdn;
	char *iv = fmt_ms(w->interval_ms);
	bool force = false, passed;
	int rc, code = VR_EXIT_OK, exit_code;

	vr_wlog(stderr, "info", "watching", "url", w->repo, "ref", w->ref,
	    "path", w->path, "interval", iv, "backend", w->c.backend,
	    "state_dir", w->c.state_dir, "self_heal", w->self_heal ? "true" :
	    "false", NULL);
	free(iv);
	vr_schedule_init(&w->sched, w->interval_ms, w->max_backoff_ms,
	    w->sched.rng);
	if (vr_sdnotify_open(&sdn) < 0)
		vr_wlog(stderr, "warn", "systemd notification off", "err",
		    vr_error_msg(), NULL);
	next_fetch = next_observe = vr_clock_ms();
	if (!w->once) {
		/* hosts started together must not poll together: the first
		 * fetch at a random point of the interval; meanwhile the last
		 * applied commit, if the mirror has it, holds (no network).
		 * A new host has nothing to hold: its first fetch comes
		 * within VR_SCHEDULE_NEW_HOST_MS. */
		bool resumed = resume_from_mirror(w);

		next_fetch += vr_schedule_first(&w->sched, resumed);
		log_first_poll(next_fetch);
		if (resumed) {
			next_observe = vr_clock_ms() + w->interval_ms;
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
			if (w->once) {
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
				    w->apply_failures) : w->interval_ms);
			}
		}
		now = vr_clock_ms();
		if (now >= next_observe && !got_stop && !got_hup) {
			rc = 0;
			w->window_wake_ms = 0; /* the pass sets it anew */
			if (w->spec) {
				/* a failed or pending revision's pass: a retry */
				rc = reconcile_pass(w, w->self_heal,
				    w->retry_pending ? WHY_RETRY : WHY_DRIFT,
				    &exit_code);
				/* converged (or, without self-heal, found
				 * in sync) */
				if (rc == 0 && exit_code == VR_EXIT_OK)
					retry_succeeded(w);
				else if (w->self_heal)
					retry_unconverged(w, rc, exit_code);
			}
			w->apply_failures = rc < 0 ? w->apply_failures + 1 :
			    0;
			next_observe = vr_clock_ms() + (rc < 0 ?
			    vr_schedule_retry(&w->sched, w->apply_failures) :
			    w->interval_ms);
		}
		/* a restart window opening is a drift check of its own */
		if (w->window_wake_ms && w->window_wake_ms < next_observe)
			next_observe = w->window_wake_ms;
		now = next_fetch < next_observe ? next_fetch : next_observe;
		wait_until(now < next_wd ? now : next_wd, unblocked);
	}
	if (!w->once) {
		/* write status once more, whatever the dedup says */
		free(w->source_fp);
		w->source_fp = NULL;
		if (w->fetch_failures || !w->commit_reason)
			source_status(w, false, "Stopped", "daemon stopped");
		else
			source_status(w, w->commit_ready, w->commit_reason,
			    w->commit_msg);
		vr_wlog(stderr, "info", "stopped", NULL);
	}
	vr_sdnotify_close(&sdn);
	return code;
}

int
cmd_watch(int argc, char **argv)
{
	struct watch w;
	sigset_t unblocked;
	int rc, code = VR_EXIT_ERROR;

	memset(&w, 0, sizeof(w));
	vr_cli_common_init(&w.c);
	w.ref = vr_opts_find("watch", VR_OPT_REF)->def;
	w.interval_ms = vr_opts_default("watch", VR_OPT_INTERVAL);
	w.max_backoff_ms = vr_opts_default("watch", VR_OPT_MAX_BACKOFF);
	w.self_heal = true;
	w.vm_fp = json_object();
	w.go = (struct vr_gitsource_options)VR_GITSOURCE_OPTIONS_INIT;
	w.go.timeout_ms = (int)vr_opts_default("watch", VR_OPT_TIMEOUT);
	w.oo = (struct vr_ops_options)VR_OPS_OPTIONS_INIT;
	if (getrandom(&w.sched.rng, sizeof(w.sched.rng), 0) !=
	    sizeof(w.sched.rng))
		w.sched.rng = (uint64_t)time(NULL) * 2654435761u +
		    (uint64_t)getpid();
	rc = parse_args(&w, argc, argv);
	if (rc != 0) {
		code = rc > 0 ? VR_EXIT_OK : VR_EXIT_ERROR;
		goto out;
	}
	signals_setup(&unblocked);
	if ((rc = setup(&w)) < 0) {
		vr_cli_error("%s", vr_error_msg());
		sigprocmask(SIG_SETMASK, &unblocked, NULL);
		goto out;
	}
	code = run(&w, &unblocked);
	sigprocmask(SIG_SETMASK, &unblocked, NULL);
out:
	teardown(&w);
	return code;
}
