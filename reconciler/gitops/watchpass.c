/*
 * watchpass.c - one reconcile pass of the watch daemon (watchloop_int.h):
 * run vr_reconcile on the spec in force, log what it did to each VM once
 * per new outcome (vr_wlog), record drift left alone, and wake the loop
 * when a restart window opens for changes left pending.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../../schema/util/clock.h"
#include "../../schema/util/error.h"
#include "../../schema/field.h"
#include "../../schema/window.h"
#include "watchloop_int.h"

static const char *
why_name(enum vr_watch_why why)
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
seen_before(struct vr_watchloop *w, const char *vm, const char *fp)
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
log_outcome(const struct vr_vm_outcome *oc, enum vr_watch_why why,
    const char *changes, const char *revision)
{
	const char *what, *level = "info";

	if (oc->result == VR_RESULT_CONVERGED) {
		what = why == VR_WHY_DRIFT ? "drift corrected" : "applied";
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
window_wake(struct vr_watchloop *w, int64_t at)
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
int
vr_watchloop_pass(struct vr_watchloop *w, bool apply, enum vr_watch_why why,
    int *exit_code)
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
	o.quiet_in_sync = why == VR_WHY_DRIFT;
	if (!o.err)
		return vr_error_set(VR_ERROR, "open_memstream: %s",
		    strerror(errno));
	vr_watchloop_ops_begin(w);
	vr_watchloop_ops_options(w, &o);
	/* the backend lives as long as the daemon: every pass, a drift
	 * check included, observes the live VMs afresh */
	vr_backend_forget(w->b);
	vr_error_clear();
	rc = vr_reconcile(&res, w->spec, w->b, w->sd, &o);
	err = rc < 0 ? vr_strdup(vr_error_msg()) : NULL;
	window_wake(w, rc < 0 || !apply ? 0 : res.next_window);
	vr_watchloop_ops_end(w, w->spec, w->spec_revision, apply, &res, err);
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
