/* render.c - plan output: text for a terminal, JSON for scripts. */
#include <stdlib.h>
#include <string.h>

#include "../../schema/field.h"
#include "../../schema/util/error.h"
#include "../../schema/window.h"
#include "planfile.h"
#include "render.h"

#define C_RESET "\033[0m"
#define C_ADD "\033[32m"
#define C_CHG "\033[33m"
#define C_DEL "\033[31m"
#define C_DIM "\033[2m"

char *
vr_render_change_brief(const struct vr_change *c)
{
	const struct vr_field_desc *f = &vr_fields[c->field];
	char *from = vr_field_text(f, &c->from), *to = vr_field_text(f, &c->to);
	char *s = vr_asprintf("%s %s -> %s", f->key, from, to);

	free(from);
	free(to);
	return s;
}

static void
change_text(FILE *fp, const struct vr_change *c, bool color)
{
	const struct vr_field_desc *f = &vr_fields[c->field];
	char *from = vr_field_text(f, &c->from), *to = vr_field_text(f, &c->to);
	const char *sigil = "~", *colour = C_CHG;

	switch (c->action) {
	case VR_ACTION_CREATE:
		sigil = "+";
		colour = C_ADD;
		break;
	case VR_ACTION_UPDATE:
		break;
	case VR_ACTION_DELETE:
		sigil = "-";
		colour = C_DEL;
		break;
	}
	fprintf(fp, "  %s%s %-11s%s ", color ? colour : "", sigil, f->key,
	    color ? C_RESET : "");
	switch (c->action) {
	case VR_ACTION_CREATE:
		fputs(to, fp);
		break;
	case VR_ACTION_UPDATE:
		fprintf(fp, "%s -> %s", from, to);
		break;
	case VR_ACTION_DELETE:
		fputs(from, fp);
		break;
	}
	fprintf(fp, " (%s)\n", vr_mode_name(c->mode));
	free(from);
	free(to);
}

/* Print restart reasons once when every change shares one. */
static void
reasons_text(FILE *fp, const struct vr_vm_plan *vp,
    const struct vr_backend *b, bool color)
{
	const char *first = NULL;
	bool same = true;
	size_t i, manual = 0;

	for (i = 0; i < vp->nchanges; i++) {
		const char *r = vp->changes[i].reason;

		if (vp->changes[i].mode != VR_MODE_RESTART || !r)
			continue;
		if (!first)
			first = r;
		else if (strcmp(first, r) != 0)
			same = false;
	}
	if (!first)
		return;
	for (i = 0; i < vp->nchanges; i++) {
		const struct vr_change *c = &vp->changes[i];

		if (c->mode != VR_MODE_RESTART || !c->reason)
			continue;
		if (same) {
			fprintf(fp, "    %srestart: %s%s\n", color ? C_DIM : "",
			    c->reason, color ? C_RESET : "");
			break;
		}
		fprintf(fp, "    %s%s needs a restart: %s%s\n",
		    color ? C_DIM : "", vr_field_name(c->field), c->reason,
		    color ? C_RESET : "");
	}
	for (i = 0; i < vp->nchanges; i++)
		manual += vp->changes[i].manual;
	if (manual && vp->spec->restart_policy == VR_RESTART_NEVER)
		fprintf(fp, "    %s%s cannot restart %s this way: make %s "
		    "yourself as said; apply leaves %s pending%s\n",
		    color ? C_DIM : "", vr_backend_kind(b), vp->spec->name,
		    manual == 1 ? "that change" : "those changes",
		    manual == 1 ? "it" : "them", color ? C_RESET : "");
	else if (manual)
		fprintf(fp, "    %s%s cannot restart %s this way, so apply "
		    "changes nothing of %s%s (restartPolicy IfNeeded asks for "
		    "every change): make %s yourself as said, or write "
		    "restartPolicy: Never to apply the rest and leave %s "
		    "pending%s\n", color ? C_DIM : "", vr_backend_kind(b),
		    vp->spec->name, vp->spec->name, vp->gate.held ?
		    " once a restart window opens (until then it is pending)" :
		    "", manual == 1 ? "that change" : "those changes",
		    manual == 1 ? "it" : "them", color ? C_RESET : "");
	else if (vp->spec->restart_policy == VR_RESTART_NEVER)
		fprintf(fp, "    %srestartPolicy is Never: apply leaves these "
		    "pending (IfNeeded lets it restart the VM once)%s\n",
		    color ? C_DIM : "", color ? C_RESET : "");
}

void
vr_render_plan_text(FILE *fp, const struct vr_plan *p,
    const struct vr_backend *b, bool color)
{
	size_t i, j, live = 0, restart = 0, vms = 0, insync = 0;
	bool changed[VR_FIELD__COUNT] = { false };
	char fields[256] = "";

	for (i = 0; i < p->nvms; i++) {
		const struct vr_vm_plan *vp = &p->vms[i];

		if (!vp->found)
			continue;
		if (vp->nchanges == 0) {
			fprintf(fp, "%s: in sync\n", vp->spec->name);
			insync++;
			continue;
		}
		vms++;
		fprintf(fp, "%s%s%s (%s, %s):\n", color ? "\033[1m" : "",
		    vp->spec->name, color ? C_RESET : "", vr_backend_desc(b),
		    vp->live.running ? "running" : "not running");
		for (j = 0; j < vp->nchanges; j++) {
			const struct vr_change *c = &vp->changes[j];

			change_text(fp, c, color);
			if (c->mode == VR_MODE_RESTART && vp->gate.held)
				fprintf(fp, "    %s%s: pending until %s (%s)%s\n",
				    color ? C_DIM : "", vr_field_name(c->field),
				    vp->gate.until ? vp->gate.when :
				    "no window fits", vp->gate.why,
				    color ? C_RESET : "");
			changed[c->field] = true;
			live += c->mode == VR_MODE_LIVE;
			restart += c->mode == VR_MODE_RESTART;
		}
		reasons_text(fp, vp, b, color);
	}
	/* only the VMs found count: one the backend has not was an error,
	 * said on stderr, and matches nothing */
	if (vms == 0) {
		if (insync)
			fprintf(fp, "No changes: %zu VM%s match%s the desired "
			    "state.\n", insync, insync == 1 ? "" : "s",
			    insync == 1 ? "es" : "");
		return;
	}
	/* what changes, and how: live or with a restart (a GPU added is
	 * a change of the VM, not a thing created) */
	for (i = 0; i < VR_FIELD__COUNT; i++)
		if (changed[i])
			snprintf(fields + strlen(fields), sizeof(fields) -
			    strlen(fields), "%s%s", fields[0] ? ", " : "",
			    vr_fields[i].key);
	fprintf(fp, "Plan: %zu change%s to %zu VM%s (%s): ", live + restart,
	    live + restart == 1 ? "" : "s", vms, vms == 1 ? "" : "s", fields);
	if (live)
		fprintf(fp, "%zu live%s", live, restart ? ", " : "");
	if (restart)
		fprintf(fp, "%zu with a restart", restart);
	fputs(".\n", fp);
}

json_t *
vr_render_vm_json(const struct vr_vm_spec *r)
{
	json_t *spec = json_object();
	struct vr_value v;
	size_t i;

	for (i = 0; i < VR_FIELD__COUNT; i++) {
		vr_fields[i].get(r, &v);
		if (v.kind != VR_VALUE_NONE)
			json_object_set_new(spec, vr_fields[i].key,
			    vr_field_json(&vr_fields[i], &v, VR_JSON_SPEC));
		vr_value_clear(&v);
	}
	return json_pack("{s:s, s:s, s:{s:s}, s:o}", "apiVersion",
	    VR_API_VERSION, "kind", VR_KIND, "metadata", "name", r->name,
	    "spec", spec);
}

json_t *
vr_render_plan_json(const struct vr_plan *p, const struct vr_backend *b,
    bool applied)
{
	json_t *vms = json_array(), *doc;
	size_t i, j;

	for (i = 0; i < p->nvms; i++) {
		const struct vr_vm_plan *vp = &p->vms[i];
		json_t *changes = json_array(), *vm;

		for (j = 0; j < vp->nchanges; j++) {
			const struct vr_change *c = &vp->changes[j];
			json_t *o = json_pack("{s:s, s:s}", "field",
			    vr_field_name(c->field), "action",
			    vr_action_name(c->action));

			json_object_set_new(o, "from", vr_field_json(
			    &vr_fields[c->field], &c->from, VR_JSON_STATE));
			json_object_set_new(o, "to", vr_field_json(
			    &vr_fields[c->field], &c->to, VR_JSON_STATE));
			json_object_set_new(o, "mode",
			    json_string(vr_mode_name(c->mode)));
			if (c->reason)
				json_object_set_new(o, "reason",
				    json_string(c->reason));
			/* no backend action makes it: an operator must */
			if (c->manual)
				json_object_set_new(o, "manual", json_true());
			if (c->mode == VR_MODE_RESTART && vp->gate.held &&
			    vp->gate.until) {
				char utc[32];

				json_object_set_new(o, "pendingUntil",
				    json_string(vr_window_utc(utc, sizeof(utc),
				    vp->gate.until)));
			}
			if (applied)
				json_object_set_new(o, "applied",
				    json_boolean(c->applied));
			json_array_append_new(changes, o);
		}
		vm = json_pack("{s:s, s:s, s:b, s:o}", "name", vp->spec->name,
		    "backend", vr_backend_kind(b), "inSync",
		    vp->found && vp->nchanges == 0, "changes", changes);
		/* what a saved plan needs (planfile.h) */
		if (vp->found) {
			json_object_set_new(vm, "backendTarget",
			    json_string(vr_backend_desc(b)));
			char *dg = vr_planfile_digest(&vp->live);

			json_object_set_new(vm, "observedDigest",
			    json_string(dg));
			free(dg);
			json_object_set_new(vm, "desired",
			    vr_render_vm_json(vp->spec));
		}
		json_array_append_new(vms, vm);
	}
	doc = json_pack("{s:i, s:o}", "formatVersion", 1, "vms", vms);
	/* no backend was given: say it is the built-in sim (cli.c) */
	if (vr_backend_implicit(b))
		json_object_set_new(doc, "implicitBackend", json_pack("{s:s, "
		    "s:s}", "backend", vr_backend_kind(b), "file",
		    vr_backend_implicit(b)));
	return doc;
}
