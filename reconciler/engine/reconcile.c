/*
 * reconcile.c - one pass: plan, preflight, show, apply, observe again,
 * verify, record.
 *
 * Per VM, apply sends only the changes the policy allows (live ones always,
 * restart ones with restartPolicy: IfNeeded, inside a restart window when
 * the spec has restartWindows: gate.h) in one backend call.  A change
 * marked manual (no backend action can make it) is never sent: Never
 * leaves it pending, and IfNeeded, which asks for every change, makes
 * none of that VM's.  A failed call is reported
 * with what the backend marked applied before it failed, what it sent
 * without seeing it through (unknown, never "not applied"), and what it
 * did not send; nothing is ever called done without observing the VM
 * again, and the verify compares every field the spec manages, not only
 * the ones changed (a backend that moved another one fails).  An
 * interrupt (interrupt.h) starts nothing more: each VM's outcome says
 * what is known of it.
 */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../../schema/field.h"
#include "../../schema/util/clock.h"
#include "../../schema/util/error.h"
#include "../../schema/util/interrupt.h"
#include "plan.h"
#include "planfile.h"
#include "reconcile.h"
#include "render.h"

struct vm_outcome {
	enum vr_result result;
	char *message;
	size_t applied, pending, unknown;
};

/* What became of a change that was selected for this apply. */
enum fate { APPLIED, UNKNOWN, NOT_APPLIED };

static enum fate
fate_of(const struct vr_change *c)
{
	return c->applied ? APPLIED : c->sent ? UNKNOWN : NOT_APPLIED;
}

/* "cpuCount, gpu" of the selected changes of that fate, or "nothing". */
static char *
field_list(const struct vr_vm_plan *vp, enum fate which, const bool *sel)
{
	char buf[128] = "";
	size_t i;

	for (i = 0; i < vp->nchanges; i++) {
		if (!sel[i] || fate_of(&vp->changes[i]) != which)
			continue;
		if (buf[0])
			strncat(buf, ", ", sizeof(buf) - strlen(buf) - 1);
		strncat(buf, vr_field_name(vp->changes[i].field),
		    sizeof(buf) - strlen(buf) - 1);
	}
	return vr_strdup(buf[0] ? buf : "nothing");
}

/* What became of each selected change, for a message: "applied before
 * the failure: X; outcome unknown (sent, not seen through; the next pass
 * observes): Y; not applied: Z", the parts after the first only when they
 * name something.  `head` names the moment ("before the failure"). */
static char *
fates_text(const struct vr_vm_plan *vp, const bool *sel, const char *head)
{
	char *done = field_list(vp, APPLIED, sel);
	char *unknown = field_list(vp, UNKNOWN, sel);
	char *notdone = field_list(vp, NOT_APPLIED, sel);
	bool has_unknown = strcmp(unknown, "nothing") != 0;
	/* "not applied: nothing" only where nothing else follows */
	bool has_notdone = strcmp(notdone, "nothing") != 0 || !has_unknown;
	char *s;

	s = vr_asprintf("applied %s: %s%s%s%s%s", head, done,
	    has_unknown ? "; outcome unknown (sent, not seen through; the "
	    "next pass observes): " : "", has_unknown ? unknown : "",
	    has_notdone ? "; not applied: " : "", has_notdone ? notdone : "");
	free(done);
	free(unknown);
	free(notdone);
	return s;
}

/* The last applied record to pass to observe after an apply: the old one
 * with the applied GPU change on top (EFLOW cannot observe GPU names). */
static void
provisional_record(struct vr_vm_spec *r, const struct vr_vm_plan *vp)
{
	size_t i;

	if (vp->has_record)
		vr_vm_spec_copy(r, &vp->record);
	else
		memset(r, 0, sizeof(*r));
	/* kept under the VM's own name (EFLOW: any case in the spec) */
	free(r->name);
	r->name = vr_strdup(vp->live.name ? vp->live.name : vp->spec->name);
	for (i = 0; i < vp->nchanges; i++) {
		const struct vr_change *c = &vp->changes[i];

		if (c->field == VR_FIELD_GPU && c->applied)
			vr_fields[c->field].set(r, &c->to);
	}
}

/* What vmrecon knows the VM has now (of the fields the backend observes),
 * to keep as its last applied record. */
static void
record_from_live(struct vr_vm_spec *r, const struct vr_vm_live *l,
    const struct vr_vm_spec *prev, unsigned fields)
{
	vr_vm_spec_from_live(r, prev->name, l, fields);
	/* a GPU the backend cannot observe at all is what vmrecon applied;
	 * one it cannot name keeps the name vmrecon gave it */
	if (l->gpu_unseen && (fields & VR_FIELD_BIT(VR_FIELD_GPU))) {
		r->gpu_want = prev->gpu_want;
		if (prev->gpu_want == VR_GPU_WANT)
			vr_gpu_copy(&r->gpu, &prev->gpu);
	} else if (r->gpu_want == VR_GPU_UNMANAGED &&
	    prev->gpu_want == VR_GPU_WANT &&
	    prev->gpu.count == l->gpu.count) {
		r->gpu_want = VR_GPU_WANT;
		vr_gpu_copy(&r->gpu, &prev->gpu);
	}
}

static bool
record_equal(const struct vr_vm_spec *a, const struct vr_vm_spec *b)
{
	struct vr_value va, vb;
	bool same = true;
	size_t i;

	for (i = 0; same && i < VR_FIELD__COUNT; i++) {
		if (!vr_fields[i].reconciled)
			continue;
		vr_fields[i].get(a, &va);
		vr_fields[i].get(b, &vb);
		same = vr_value_equal(&va, &vb);
		vr_value_clear(&va);
		vr_value_clear(&vb);
	}
	return same;
}

/* Equal for the verify: an unknown value equals an unknown one (the
 * backend could not tell before and cannot now). */
static bool
value_same(const struct vr_value *a, const struct vr_value *b)
{
	if (a->unknown || b->unknown)
		return a->unknown == b->unknown;
	return vr_value_equal(a, b) || (vr_value_empty(a) &&
	    vr_value_empty(b));
}

/* Append "; " and printf text to *s (NULL: start it). */
static void
append(char **s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void
append(char **s, const char *fmt, ...)
{
	char buf[512], *next;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	next = vr_asprintf("%s%s%s", *s ? *s : "", *s ? "; " : "", buf);
	free(*s);
	*s = next;
}

/*
 * The verify: every field the spec manages, in `after` against what was
 * asked.  A change sent must be gone; any other managed field must be as
 * it was before the apply (a backend that moved it, such as a partial
 * Set-EflowVM resetting what it was not given, fails here, whatever the
 * backend).  NULL when all holds, else what did not, naming each field.
 */
static char *
verify_text(const struct vr_vm_plan *vp, const bool *sel,
    const struct vr_vm_live *after)
{
	struct vr_value want, before, now;
	char *what = NULL, *moved = NULL;
	size_t i, j;

	for (i = 0; i < VR_FIELD__COUNT; i++) {
		const struct vr_field_desc *f = &vr_fields[i];
		const struct vr_change *sent = NULL;

		if (!f->reconciled)
			continue;
		f->get(vp->spec, &want);
		if (want.kind == VR_VALUE_NONE) { /* unmanaged */
			vr_value_clear(&want);
			continue;
		}
		for (j = 0; j < vp->nchanges; j++)
			if (sel[j] && vp->changes[j].field == f->id)
				sent = &vp->changes[j];
		f->live(after, &now);
		if (sent && !value_same(&want, &now)) {
			char *a = vr_field_text(f, &now);
			char *b = vr_field_text(f, &want);

			append(&what, "still needs %s %s -> %s", f->key, a, b);
			free(a);
			free(b);
		} else if (!sent) {
			f->live(&vp->live, &before);
			if (!value_same(&before, &now)) {
				char *a = vr_field_text(f, &before);
				char *b = now.unknown ? vr_strdup("unknown") :
				    vr_field_text(f, &now);
				char *next = vr_asprintf("%s%s%s %s -> %s",
				    moved ? moved : "", moved ? ", " : "",
				    f->key, a, b);

				free(moved);
				moved = next;
				free(a);
				free(b);
			}
			vr_value_clear(&before);
		}
		vr_value_clear(&want);
		vr_value_clear(&now);
	}
	if (moved) {
		append(&what, "%s moved, though this apply was not to change "
		    "%s", moved, strchr(moved, ',') ? "them" : "it");
		free(moved);
	}
	return what;
}

/* The pending ones' part of a message: those only an operator can make
 * (manual) and those a restart would. */
static void
count_pending(const struct vr_vm_plan *vp, const bool *sel, size_t *manual,
    size_t *restart)
{
	size_t i;

	*manual = *restart = 0;
	for (i = 0; i < vp->nchanges; i++)
		if (!sel[i] && vp->changes[i].manual)
			(*manual)++;
		else if (!sel[i])
			(*restart)++;
}

static char *
pending_text(const struct vr_vm_plan *vp, const bool *sel, size_t applied,
    const char *backend_kind)
{
	size_t manual, restart;

	count_pending(vp, sel, &manual, &restart);
	if (vp->gate.held)
		return vr_asprintf("pending until %s (%s): %zu change%s "
		    "wait%s for a restart, %zu applied", vp->gate.until ?
		    vp->gate.when : "no window fits", vp->gate.why,
		    restart + manual, restart + manual == 1 ? "" : "s",
		    restart + manual == 1 ? "s" : "", applied);
	if (manual && !restart)
		return vr_asprintf("pending: %zu change%s need%s what %s "
		    "cannot do (the plan says how to make %s yourself), %zu "
		    "applied", manual, manual == 1 ? "" : "s",
		    manual == 1 ? "s" : "", backend_kind,
		    manual == 1 ? "it" : "them", applied);
	return vr_asprintf("pending: %zu change%s wait%s for a restart "
	    "(restartPolicy: Never; IfNeeded lets apply restart the VM "
	    "once)%s, %zu applied", restart + manual,
	    restart + manual == 1 ? "" : "s", restart + manual == 1 ? "s" : "",
	    manual ? ", of which only you can make some (see the plan)" : "",
	    applied);
}

static const char *
vm_name(const struct vr_vm_plan *vp)
{
	return vp->live.name ? vp->live.name : vp->spec->name;
}

static void
apply_vm(struct vm_outcome *o, struct vr_vm_plan *vp, struct vr_backend *b,
    struct vr_statedir *sd, const struct vr_reconcile_options *opts)
{
	struct vr_change sel_changes[VR_FIELD__COUNT];
	struct vr_vm_spec prov, rec;
	struct vr_apply_request req;
	struct vr_vm_live after;
	bool sel[VR_FIELD__COUNT] = { false };
	bool restart = false, ifneeded, gpu_sent = false;
	size_t i, j, nsel = 0;
	double t0 = vr_clock_s(), t_apply = 0;
	char *fates, *bad;
	int rc;

	memset(o, 0, sizeof(*o));
	ifneeded = vp->spec->restart_policy == VR_RESTART_IFNEEDED &&
	    !vp->gate.held;
	for (i = 0; i < vp->nchanges; i++) {
		/* a manual change is never sent (see below) */
		sel[i] = !vp->changes[i].manual &&
		    (vp->changes[i].mode == VR_MODE_LIVE || ifneeded);
		if (!sel[i]) {
			o->pending++;
			continue;
		}
		restart |= vp->changes[i].mode == VR_MODE_RESTART;
		gpu_sent |= vp->changes[i].field == VR_FIELD_GPU;
		sel_changes[nsel++] = vp->changes[i]; /* shallow: see below */
	}
	/* IfNeeded asks for every change now; one no backend action can
	 * make means none of the VM's is made, rather than half of them */
	for (i = 0; ifneeded && i < vp->nchanges; i++)
		if (vp->changes[i].manual) {
			o->result = VR_RESULT_FAILED;
			o->pending = 0;
			o->message = vr_asprintf("nothing applied: %s needs "
			    "what no %s action can do: %s; make it yourself, "
			    "or write restartPolicy: Never to apply the rest "
			    "and leave it pending",
			    vr_field_name(vp->changes[i].field),
			    vr_backend_kind(b), vp->changes[i].reason ?
			    vp->changes[i].reason : "a restart");
			return;
		}
	if (vr_interrupted()) {
		o->result = VR_RESULT_INTERRUPTED;
		o->message = vr_asprintf("interrupted before its apply: not "
		    "started, nothing sent%s", vp->nchanges ? "" :
		    " (it was in sync)");
		return;
	}
	/* The GPU record is written ahead: from here until the change is
	 * seen through, the record knows no GPU (not the old one). */
	if (gpu_sent && sd && vr_statedir_record_gpu_in_flight(sd,
	    vm_name(vp)) < 0) {
		o->result = VR_RESULT_FAILED;
		o->message = vr_asprintf("nothing applied: cannot mark the GPU "
		    "change in the record first: %s", vr_error_msg());
		return;
	}
	if (nsel > 0) {
		char *sending;

		if (restart && vp->gate.overridden)
			fprintf(opts->err, "vmrecon: %s: --restart-now: "
			    "restarting although %s\n", vp->spec->name,
			    vp->gate.why);
		if (opts->output == VR_OUTPUT_TEXT)
			fprintf(opts->out, "%s: applying %zu change%s%s\n",
			    vp->spec->name, nsel, nsel == 1 ? "" : "s",
			    restart ? " (restartPolicy IfNeeded: the VM may "
			    "restart once)" : "");
		for (i = 0; i < vp->nchanges; i++)
			vp->changes[i].sent = false;
		sending = field_list(vp, NOT_APPLIED, sel);
		vr_interrupt_doing("%s's apply on %s (%s; what the backend "
		    "has sent becomes unknown)", vp->spec->name,
		    vr_backend_desc(b), sending);
		free(sending);
		t_apply = vr_clock_s();
		memset(&req, 0, sizeof(req));
		req.spec = vp->spec;
		req.live = &vp->live;
		req.changes = sel_changes;
		req.nchanges = nsel;
		req.may_restart = restart;
		rc = vr_backend_apply(b, &req);
		/* copy back what the backend marked applied and sent */
		for (i = 0, j = 0; i < vp->nchanges; i++)
			if (sel[i]) {
				vp->changes[i].applied =
				    sel_changes[j].applied;
				vp->changes[i].sent = sel_changes[j].sent ||
				    sel_changes[j].applied;
				j++;
			}
		for (i = 0; i < vp->nchanges; i++) {
			o->applied += vp->changes[i].applied;
			o->unknown += sel[i] &&
			    fate_of(&vp->changes[i]) == UNKNOWN;
		}
		vr_interrupt_doing("the pass after %s's apply", vp->spec->name);
		if (vr_interrupted()) {
			o->result = VR_RESULT_INTERRUPTED;
			fates = fates_text(vp, sel, rc < 0 ? "before the "
			    "interrupt" : "(not verified)");
			o->message = vr_asprintf("interrupted %s: %s", rc < 0 ?
			    "while its apply was in flight (the host may "
			    "still be applying what was sent)" : "after its "
			    "apply returned, before the verify", fates);
			free(fates);
			return;
		}
		/* the restart time the windows are measured against */
		if (rc == 0 && restart && sd && vp->gate.windowed &&
		    vr_statedir_restart_put(sd, vm_name(vp),
		    (int64_t)(vr_clock_s() - t_apply + 0.999)) < 0)
			fprintf(opts->err, "vmrecon: %s: warning: cannot keep "
			    "the restart time: %s\n", vp->spec->name,
			    vr_error_msg());
		if (rc < 0) {
			char *why = vr_strdup(vr_error_msg());

			fates = fates_text(vp, sel, "before the failure");
			o->result = VR_RESULT_FAILED;
			o->message = vr_asprintf("apply failed: %s; %s", why,
			    fates);
			free(why);
			free(fates);
			return;
		}
	}

	/* verify: observe again; every managed field as asked */
	vr_interrupt_doing("the verify of %s (its apply returned)",
	    vp->spec->name);
	provisional_record(&prov, vp);
	rc = vr_backend_observe(b, vp->spec->name, &prov, &after);
	if (rc < 0) {
		if (vr_interrupted()) {
			o->result = VR_RESULT_INTERRUPTED;
			fates = fates_text(vp, sel, "(not verified)");
			o->message = vr_asprintf("interrupted during the "
			    "verify: %s", fates);
			free(fates);
		} else {
			o->result = VR_RESULT_FAILED;
			o->message = vr_asprintf("cannot observe after apply: "
			    "%s", vr_error_msg());
		}
		vr_vm_spec_clear(&prov);
		return;
	}
	if ((bad = verify_text(vp, sel, &after))) {
		o->result = VR_RESULT_FAILED;
		o->message = vr_asprintf("did not converge: %s", bad);
		free(bad);
	}
	if (!o->message) {
		o->result = o->pending ? VR_RESULT_PENDING :
		    VR_RESULT_CONVERGED;
		if (o->pending)
			o->message = pending_text(vp, sel, o->applied,
			    vr_backend_kind(b));
		else
			o->message = vr_asprintf("converged in %.2f s (%zu "
			    "change%s applied)%s", vr_clock_s() - t0,
			    o->applied, o->applied == 1 ? "" : "s",
			    restart && vp->gate.overridden ? "; --restart-now: "
			    "restarted outside the restart windows" : "");
		record_from_live(&rec, &after, &prov,
		    vr_backend_fields(b));
		if (sd && (gpu_sent || !vp->has_record ||
		    !record_equal(&rec, &vp->record)) &&
		    vr_statedir_record_put(sd, &rec) < 0) {
			free(o->message);
			o->result = VR_RESULT_FAILED;
			o->message = vr_asprintf("converged, but cannot record "
			    "it: %s", vr_error_msg());
		}
		vr_vm_spec_clear(&rec);
	}
	vr_vm_spec_clear(&prov);
	vr_vm_live_clear(&after);
}

static void
notify_vm(const struct vr_reconcile_options *o, const struct vr_vm_plan *vp,
    struct vr_backend *b, const struct vr_vm_outcome *oc)
{
	struct vr_vm_event ev;

	if (!o->on_vm)
		return;
	memset(&ev, 0, sizeof(ev));
	ev.vm = vp->spec->name;
	ev.backend = vr_backend_desc(b);
	ev.revision = o->revision;
	ev.result = oc->result;
	ev.message = oc->message;
	ev.changes = oc->nchanges;
	ev.applied = oc->applied;
	ev.pending = oc->pending;
	ev.change = oc->change;
	ev.spec = vp->spec;
	ev.live = &vp->live;
	ev.seconds = oc->seconds;
	ev.gate = &vp->gate;
	o->on_vm(o->ctx, &ev);
}

/* Keep what the pass did to vp in res (taking `message` and moving vp's
 * changes there: the plan is freed before the caller reads them). */
static struct vr_vm_outcome *
outcome_add(struct vr_reconcile_result *res, struct vr_vm_plan *vp,
    enum vr_result result, char *message, size_t applied, size_t pending,
    double seconds)
{
	struct vr_vm_outcome *oc;

	res->vms = vr_grow(res->vms, res->nvms, sizeof(*res->vms));
	oc = &res->vms[res->nvms++];
	memset(oc, 0, sizeof(*oc));
	oc->vm = vr_strdup(vp->spec->name);
	oc->result = result;
	oc->message = message;
	oc->applied = applied;
	oc->pending = pending;
	oc->seconds = seconds;
	if (vp->nchanges) {
		oc->change = vr_calloc(vp->nchanges, sizeof(*oc->change));
		memcpy(oc->change, vp->changes,
		    vp->nchanges * sizeof(*oc->change));
		oc->nchanges = vp->nchanges;
		vp->nchanges = 0; /* moved: vr_plan_free() must not clear them */
	}
	return oc;
}

void
vr_reconcile_result_clear(struct vr_reconcile_result *res)
{
	size_t i, j;

	for (i = 0; i < res->nvms; i++) {
		struct vr_vm_outcome *oc = &res->vms[i];

		for (j = 0; j < oc->nchanges; j++)
			vr_change_clear(&oc->change[j]);
		free(oc->change);
		free(oc->message);
		free(oc->vm);
	}
	free(res->vms);
	memset(res, 0, sizeof(*res));
}

static void
status_all(struct vr_statedir *sd, const struct vr_spec *spec,
    const struct vr_reconcile_options *opts, enum vr_result result,
    const char *msg)
{
	char *copy;
	size_t i;

	if (!sd || !opts->apply)
		return;
	copy = vr_strdup(msg); /* msg may be vr_error_msg()'s buffer */
	for (i = 0; i < spec->nvms; i++)
		vr_statedir_status_put(sd, spec->vms[i].name, opts->revision,
		    result, copy);
	free(copy);
}

/* After a VM is done: its record and result reach the journal now, unless
 * the backend keeps its changes until flush (then the journal would claim
 * what a kill could still undo; they go in after the flush).  If they
 * cannot be kept, the VM did not converge as far as anyone can tell. */
static void
record_vm(struct vm_outcome *oc, const struct vr_vm_plan *vp,
    struct vr_backend *b, struct vr_statedir *sd,
    const struct vr_reconcile_options *o)
{
	/* under the VM's own name, as its record (EFLOW names ignore case) */
	const char *name = vp->found && vp->live.name ? vp->live.name :
	    vp->spec->name;
	char *msg;

	if (!sd)
		return;
	if (vp->nchanges || oc->result != VR_RESULT_CONVERGED ||
	    !o->quiet_in_sync)
		vr_statedir_status_put(sd, name, o->revision, oc->result,
		    oc->message);
	if (vr_backend_buffers(b) || vr_statedir_sync(sd) == 0 ||
	    oc->result == VR_RESULT_FAILED ||
	    oc->result == VR_RESULT_INTERRUPTED)
		return;
	msg = vr_asprintf("converged, but cannot record it: %s",
	    vr_error_msg());
	free(oc->message);
	oc->message = msg;
	oc->result = VR_RESULT_FAILED;
	vr_statedir_status_put(sd, name, o->revision, oc->result,
	    oc->message);
}

/* Each VM's restart windows at this moment, against its last measured
 * restart time (gate.h).  A zone gone from the database since the spec
 * was loaded fails the pass. */
static int
gates(struct vr_plan *plan, struct vr_statedir *sd,
    const struct vr_reconcile_options *o)
{
	int64_t now = (int64_t)time(NULL);
	size_t i;
	int rc;

	for (i = 0; i < plan->nvms; i++) {
		struct vr_vm_plan *vp = &plan->vms[i];
		int64_t rs = 0;

		if (vp->spec->nwindows == 0)
			continue;
		if (sd && (rc = vr_statedir_restart_get(sd, vp->found &&
		    vp->live.name ? vp->live.name : vp->spec->name, &rs)) < 0) {
			if (rc != VR_ENOTFOUND)
				fprintf(o->err, "vmrecon: warning: %s; assuming "
				    "a restart takes %d s\n", vr_error_msg(),
				    VR_GATE_RESTART_DEFAULT_S);
			rs = 0;
		}
		if ((rc = vr_gate_compute(&vp->gate, vp->spec, rs,
		    o->restart_now, now)) < 0)
			return vr_error_wrap(rc, "%s: restartWindows",
			    vp->spec->name);
	}
	return 0;
}

/* A VM's outcome on its line (stderr when it failed or was
 * interrupted). */
static void
show_vm(const struct vr_reconcile_options *o, const struct vr_vm_plan *vp,
    const struct vr_vm_outcome *oc)
{
	if (oc->result == VR_RESULT_FAILED ||
	    oc->result == VR_RESULT_INTERRUPTED)
		fprintf(o->err, "vmrecon: %s: %s\n", vp->spec->name,
		    oc->message);
	else if (o->output == VR_OUTPUT_TEXT &&
	    (oc->nchanges || !o->quiet_in_sync))
		fprintf(o->out, "%s: %s\n", vp->spec->name, oc->message);
}

/* A VM's outcome in entry i of the JSON document (-o json). */
static void
json_vm(json_t *doc, size_t i, const struct vr_vm_outcome *oc)
{
	json_t *vm = json_array_get(json_object_get(doc, "vms"), i);
	json_t *ch = json_object_get(vm, "changes");
	size_t j;

	/* null: sent, and whether it took effect is unknown */
	for (j = 0; j < json_array_size(ch) && j < oc->nchanges; j++)
		json_object_set_new(json_array_get(ch, j), "applied",
		    oc->change[j].applied ? json_true() : oc->change[j].sent ?
		    json_null() : json_false());
	json_object_set_new(vm, "result",
	    json_string(vr_result_name(oc->result)));
	json_object_set_new(vm, "message", json_string(oc->message));
}

/* What a failed flush leaves of an outcome: nothing applied, `why`. */
static void
outcome_fail(struct vr_vm_outcome *oc, const char *why)
{
	size_t j;

	for (j = 0; j < oc->nchanges; j++)
		oc->change[j].applied = oc->change[j].sent = false;
	free(oc->message);
	oc->message = vr_strdup(why);
	oc->result = VR_RESULT_FAILED;
	oc->applied = oc->unknown = 0;
}

/* The pass ended but the state dir could not record it: no VM may be
 * shown, rendered or counted as done (what the backend did stays said). */
static void
outcome_unrecorded(struct vr_vm_outcome *oc, const char *why)
{
	char *msg;

	if (oc->result == VR_RESULT_FAILED ||
	    oc->result == VR_RESULT_INTERRUPTED)
		return;
	msg = vr_asprintf("%s, but cannot record it: %s", oc->message, why);
	free(oc->message);
	oc->message = msg;
	oc->result = VR_RESULT_FAILED;
}

/* Every VM of the pass interrupted before it was reached (an interrupt
 * while observing or checking): what the state dir and a caller see. */
static void
all_interrupted(const struct vr_spec *spec, struct vr_statedir *sd,
    const struct vr_reconcile_options *o, const char *when)
{
	char *msg = vr_asprintf("interrupted %s: not started, nothing sent",
	    when);

	fprintf(o->err, "vmrecon: %s\n", msg);
	status_all(sd, spec, o, VR_RESULT_INTERRUPTED, msg);
	free(msg);
}

/* One pass, as its steps share it. */
struct pass {
	struct vr_reconcile_result *res;
	const struct vr_spec *spec;
	struct vr_backend *b;
	struct vr_statedir *sd;    /* NULL once the pass is recorded */
	const struct vr_reconcile_options *o;
	struct vr_diags problems;
	struct vr_plan *plan;
	size_t failed, stopped;    /* VMs that failed, were interrupted */
	char *err;                 /* what failed first, copied where it
	                            * failed */
};

/* The pass fails before any change, with the error just set. */
static int
pass_fail(struct pass *p, int rc)
{
	p->err = vr_strdup(vr_error_msg());
	fprintf(p->o->err, "vmrecon: %s\n", p->err);
	status_all(p->sd, p->spec, p->o, VR_RESULT_FAILED, p->err);
	return rc;
}

/* The plan's warnings, as file:line:col, sorted. */
static void
show_warnings(const struct pass *p)
{
	const struct vr_diags *w = &p->plan->warnings;
	size_t i;

	for (i = 0; i < w->n; i++)
		fprintf(p->o->err, "vmrecon: warning: %s:%d:%d: %s\n",
		    w->v[i].file, w->v[i].line, w->v[i].col, w->v[i].msg);
}

/* The problems preflight found: shown and recorded; nothing is applied. */
static int
show_problems(struct pass *p)
{
	struct vr_diags *pr = &p->problems;
	char *msg = vr_asprintf("%zu problem%s found before applying "
	    "anything: %s", pr->n, pr->n == 1 ? "" : "s", pr->v[0].msg);

	/* diff still shows what it could plan (an EFLOW VM whose GPU
	 * vmrecon cannot name: the memory change, then the GPU question),
	 * before the problems that stop apply */
	if (!p->o->apply && p->o->output == VR_OUTPUT_TEXT && p->o->out) {
		vr_render_plan_text(p->o->out, p->plan, p->b, p->o->color);
		fflush(p->o->out);
	}
	vr_diags_sort(pr);
	vr_diags_print(pr, p->o->err);
	fprintf(p->o->err, "vmrecon: %zu problem%s; nothing was applied\n",
	    pr->n, pr->n == 1 ? "" : "s");
	status_all(p->sd, p->spec, p->o, VR_RESULT_FAILED, msg);
	p->err = msg;
	return VR_EINVALID;
}

/* Observe the VMs and plan; check the plan file (--plan); preflight;
 * each VM's restart windows now.  0, or the pass stops here. */
static int
pass_plan(struct pass *p)
{
	const struct vr_reconcile_options *o = p->o;
	int rc;

	vr_interrupt_doing("the observation of the VMs (nothing was sent "
	    "to them)");
	rc = vr_plan_build(&p->plan, &p->problems, p->spec, p->b, p->sd);
	if (rc < 0 && vr_interrupted() && o->apply) {
		all_interrupted(p->spec, p->sd, o, "while observing the VMs");
		p->err = vr_strdup("interrupted while observing the VMs");
		return VR_EINTR;
	}
	if (rc < 0)
		return pass_fail(p, rc);
	if (o->plan && (rc = vr_planfile_check(o->plan, p->plan, p->b)) < 0) {
		fprintf(o->err, "vmrecon: %s\n", vr_error_msg());
		return rc;
	}
	vr_plan_preflight(&p->problems, p->plan, p->spec, p->b);
	vr_diags_sort(&p->plan->warnings);
	show_warnings(p);
	if (p->problems.n)
		return show_problems(p);
	if ((rc = gates(p->plan, p->sd, o)) < 0)
		return pass_fail(p, rc);
	return 0;
}

/* The plan as text, before any progress. */
static void
show_plan(const struct pass *p)
{
	const struct vr_reconcile_options *o = p->o;

	if (o->output == VR_OUTPUT_TEXT &&
	    !(o->quiet_in_sync && p->res->changes == 0))
		vr_render_plan_text(o->out, p->plan, p->b, o->color);
	if (o->out)
		fflush(o->out); /* the plan shows before any progress */
}

/* The plan as JSON, on out (-o json) and in the plan file (--out). */
static void
show_plan_json(const struct pass *p)
{
	const struct vr_reconcile_options *o = p->o;
	json_t *doc;

	if (o->output != VR_OUTPUT_JSON && !o->plan_out)
		return;
	doc = vr_render_plan_json(p->plan, p->b, false);
	if (o->revision)
		json_object_set_new(doc, "revision", json_string(o->revision));
	vr_planfile_seal(doc);
	if (o->output == VR_OUTPUT_JSON) {
		json_dumpf(doc, o->out, JSON_INDENT(2));
		fputc('\n', o->out);
	}
	if (o->plan_out) {
		json_dumpf(doc, o->plan_out, JSON_INDENT(2));
		fputc('\n', o->plan_out);
	}
	json_decref(doc);
}

/* diff: show the plan; each VM found is drifted or in sync. */
static int
pass_dry_run(struct pass *p)
{
	struct vr_reconcile_result *res = p->res;
	size_t i;

	show_plan_json(p);
	for (i = 0; i < p->plan->nvms; i++) {
		struct vr_vm_plan *vp = &p->plan->vms[i];
		enum vr_result r = vp->nchanges ? VR_RESULT_DRIFTED :
		    VR_RESULT_CONVERGED;
		const char *msg = vp->nchanges ? "drift: the VM differs from "
		    "the desired state" : "in sync";

		if (!vp->found)
			continue;
		notify_vm(p->o, vp, p->b, outcome_add(res, vp, r,
		    vr_strdup(msg), 0, 0, 0));
	}
	res->exit_code = res->changes ? VR_EXIT_DRIFT : VR_EXIT_OK;
	return 0;
}

/* Apply, record, show and notify each VM in turn. */
static void
apply_each(struct pass *p)
{
	struct vr_reconcile_result *res = p->res;
	size_t i;

	for (i = 0; i < p->plan->nvms; i++) {
		struct vr_vm_plan *vp = &p->plan->vms[i];
		struct vm_outcome oc;
		struct vr_vm_outcome *done;
		double t0 = vr_clock_s();

		apply_vm(&oc, vp, p->b, p->sd, p->o);
		record_vm(&oc, vp, p->b, p->sd, p->o);
		res->applied += oc.applied;
		res->pending += oc.pending;
		res->unknown += oc.unknown;
		if (oc.pending && vp->gate.held && vp->gate.until &&
		    (!res->next_window || vp->gate.until < res->next_window))
			res->next_window = vp->gate.until;
		p->failed += oc.result == VR_RESULT_FAILED;
		p->stopped += oc.result == VR_RESULT_INTERRUPTED;
		if (oc.result == VR_RESULT_FAILED && !p->err)
			p->err = vr_asprintf("%s: %s", vp->spec->name,
			    oc.message);
		done = outcome_add(res, vp, oc.result, oc.message, oc.applied,
		    oc.pending, vr_clock_s() - t0);
		done->unknown = oc.unknown;
		show_vm(p->o, vp, done);
		notify_vm(p->o, vp, p->b, done);
	}
}

/* A backend that keeps its changes until flush: flush them.  When that
 * fails, none of the pass's changes is on the backend: no VM of it may
 * stay recorded or rendered as applied.  (Its per-VM events went out as
 * each VM was done; a second event per VM would count it twice in the
 * metrics.  The pass's own failure reaches watch's log, status and
 * commit status.) */
static void
flush_backend(struct pass *p)
{
	struct vr_reconcile_result *res = p->res;
	char *why;
	size_t i;

	if (!vr_backend_buffers(p->b) || vr_backend_flush(p->b) >= 0)
		return;
	why = vr_asprintf("%s: cannot keep the changes: %s",
	    vr_backend_desc(p->b), vr_error_msg());
	fprintf(p->o->err, "vmrecon: %s\n", why);
	if (p->sd)
		vr_statedir_pass_drop(p->sd);
	status_all(p->sd, p->spec, p->o, VR_RESULT_FAILED, why);
	for (i = 0; i < res->nvms; i++)
		outcome_fail(&res->vms[i], why);
	res->applied = res->unknown = 0;
	p->failed = p->plan->nvms;
	p->stopped = 0;
	free(p->err);
	p->err = why;
}

/* End the pass in the state dir, before the summary: a pass it cannot
 * record did not converge, and the summary, the JSON and the exit code
 * say so alike. */
static void
record_pass(struct pass *p)
{
	struct vr_reconcile_result *res = p->res;
	char *why;
	size_t i;

	if (p->sd && vr_statedir_pass_end(p->sd) < 0) {
		why = vr_strdup(vr_error_msg());
		fprintf(p->o->err, "vmrecon: the pass ran, but cannot record "
		    "it in the state dir: %s\n", why);
		for (i = 0; i < res->nvms; i++) {
			p->failed += res->vms[i].result != VR_RESULT_FAILED &&
			    res->vms[i].result != VR_RESULT_INTERRUPTED;
			outcome_unrecorded(&res->vms[i], why);
		}
		if (!p->err)
			p->err = vr_asprintf("the pass ran, but cannot record "
			    "it in the state dir: %s", why);
		free(why);
	}
	p->sd = NULL; /* ended */
}

/* What the apply did: the JSON document (-o json, `doc`) with each VM's
 * outcome, or the summary line. */
static void
show_result(const struct pass *p, json_t *doc)
{
	const struct vr_reconcile_options *o = p->o;
	const struct vr_reconcile_result *res = p->res;
	char unknown[48] = "", intr[48] = "";
	size_t i;

	if (doc) {
		for (i = 0; i < res->nvms; i++)
			json_vm(doc, i, &res->vms[i]);
		json_dumpf(doc, o->out, JSON_INDENT(2));
		fputc('\n', o->out);
		return;
	}
	if (o->output != VR_OUTPUT_TEXT || !(res->changes ||
	    !o->quiet_in_sync || p->failed || p->stopped))
		return;
	if (res->unknown)
		snprintf(unknown, sizeof(unknown), ", %zu unknown",
		    res->unknown);
	if (p->stopped)
		snprintf(intr, sizeof(intr), ", %zu interrupted", p->stopped);
	fprintf(o->out, "Apply %s: %zu applied, %zu pending%s, %zu VM%s "
	    "failed%s.\n", p->stopped ? "interrupted" : p->failed ? "failed" :
	    res->pending ? "incomplete" : "complete", res->applied,
	    res->pending, unknown, p->failed, p->failed == 1 ? "" : "s", intr);
}

/* apply: each VM, the backend's flush, the record, what it did. */
static int
pass_apply(struct pass *p)
{
	struct vr_reconcile_result *res = p->res;
	json_t *doc = p->o->output == VR_OUTPUT_JSON ?
	    vr_render_plan_json(p->plan, p->b, true) : NULL;
	int rc;

	apply_each(p);
	vr_interrupt_doing("the end of the pass (writing what it did)");
	flush_backend(p);
	record_pass(p);
	show_result(p, doc);
	json_decref(doc);
	res->exit_code = p->stopped || vr_interrupted() ? VR_EXIT_SIGNAL +
	    vr_interrupted() : p->failed ? VR_EXIT_ERROR : res->pending ?
	    VR_EXIT_PENDING : VR_EXIT_OK;
	rc = p->stopped || vr_interrupted() ? VR_EINTR : p->failed ?
	    VR_EBACKEND : 0;
	if (rc == VR_EINTR && !p->err)
		p->err = vr_strdup("interrupted");
	return rc;
}

/* A pass that stopped before apply ended it: end it in the state dir. */
static int
pass_close(struct pass *p, int rc)
{
	char *why;

	if (!p->sd || !p->o->apply || vr_statedir_pass_end(p->sd) >= 0)
		return rc;
	why = vr_asprintf("the pass ran, but cannot record it in the state "
	    "dir: %s", vr_error_msg());
	fprintf(p->o->err, "vmrecon: %s\n", why);
	p->res->exit_code = VR_EXIT_ERROR;
	if (p->err) {
		free(why);
		return rc;
	}
	p->err = why;
	return VR_ERROR;
}

int
vr_reconcile(struct vr_reconcile_result *res, const struct vr_spec *spec,
    struct vr_backend *b, struct vr_statedir *sd,
    const struct vr_reconcile_options *o)
{
	struct pass p = { .res = res, .spec = spec, .b = b, .sd = sd, .o = o,
	    .problems = VR_DIAGS_INIT };
	size_t restart;
	int rc;

	memset(res, 0, sizeof(*res));
	res->exit_code = VR_EXIT_ERROR;
	if (sd && o->apply)
		vr_statedir_pass_begin(sd);
	rc = pass_plan(&p);
	if (rc == 0) {
		vr_plan_count(p.plan, &res->changes, &restart,
		    &res->vms_drifted);
		show_plan(&p);
		rc = o->apply ? pass_apply(&p) : pass_dry_run(&p);
	}
	rc = pass_close(&p, rc);
	if (rc == VR_EINTR && vr_interrupted())
		res->exit_code = VR_EXIT_SIGNAL + vr_interrupted();
	/* the caller reads the error now: what failed first, whatever the
	 * calls since have set or cleared */
	if (rc < 0)
		vr_error_set(rc, "%s", p.err ? p.err : "the pass failed");
	free(p.err);
	vr_diags_free(&p.problems);
	vr_plan_free(p.plan);
	return rc;
}
