/*
 * drvcheck.c - a driver's `fields` against its own classify and apply
 * (drvcheck.h), with a change of each field made up from the VM's live
 * state.
 */
#include <stdlib.h>
#include <string.h>

#include "../../schema/field.h"
#include "../../schema/util/error.h"
#include "drvcheck.h"
#include "unit.h"

/* A change of field f away from what `live` has, within the row's
 * bounds.  A switch with no default: a new kind of value fails the build
 * here until the check knows how to make one. */
static void
made_up(struct vr_change *c, const struct vr_field_desc *f,
    const struct vr_vm_live *live)
{
	memset(c, 0, sizeof(*c));
	c->field = f->id;
	c->action = VR_ACTION_UPDATE;
	if (f->live)
		f->live(live, &c->from);
	c->from.unknown = false;
	c->to.kind = f->kind;
	switch (f->kind) {
	case VR_VALUE_INT:
		c->to.i = c->from.kind == VR_VALUE_INT && c->from.i < f->max ?
		    c->from.i + f->multiple : f->min;
		break;
	case VR_VALUE_ENUM:
		c->to.i = 0;
		break;
	case VR_VALUE_GPU:
		c->to.gpu.name = vr_strdup("a GPU");
		c->to.gpu.type = VR_GPU_DDA;
		c->to.gpu.count = 1;
		if (c->from.gpu.count == 0)
			c->action = VR_ACTION_CREATE;
		break;
	case VR_VALUE_INT_LIST:
		c->to.list.v = vr_calloc(1, sizeof(*c->to.list.v));
		c->to.list.v[0] = f->min;
		c->to.list.n = 1;
		break;
	case VR_VALUE_WINDOWS:
		c->to.windows.v = vr_calloc(1, sizeof(*c->to.windows.v));
		c->to.windows.v[0].days = VR_WINDOW_ALL_DAYS;
		c->to.windows.v[0].duration_s = f->min;
		strcpy(c->to.windows.v[0].zone, "UTC");
		c->to.windows.n = 1;
		break;
	case VR_VALUE_NONE:
		break;
	}
}

void
drvcheck_fields(const struct vr_driver *drv, const char *target,
    const struct vr_backend_options *opts, const char *vm)
{
	struct vr_driver every = *drv;
	struct vr_backend *b = NULL;
	struct vr_vm_live live;
	struct vr_vm_spec spec;
	size_t i;
	int rc;

	for (i = 0; i < VR_FIELD__COUNT; i++)
		if (drv->fields & VR_FIELD_BIT(i))
			unit_check(vr_fields[i].reconciled, __FILE__, __LINE__,
			    "%s: its fields name %s, a policy", drv->name,
			    vr_fields[i].key);
	unit_check(drv->fields != 0 &&
	    !(drv->fields & ~(VR_FIELD_BIT(VR_FIELD__COUNT) - 1)), __FILE__,
	    __LINE__, "%s: fields 0x%x: some, and only fields there are",
	    drv->name, drv->fields);
	every.fields = ~0u;
	if (!unit_check(vr_backend_open_driver(&b, &every, target, opts) == 0,
	    __FILE__, __LINE__, "%s: open %s: %s", drv->name, target,
	    vr_error_msg()))
		return;
	memset(&spec, 0, sizeof(spec));
	spec.name = (char *)vm;
	if (!unit_check(vr_backend_observe(b, vm, NULL, &live) == 0, __FILE__,
	    __LINE__, "%s: observe %s: %s", drv->name, vm, vr_error_msg())) {
		vr_backend_free(b);
		return;
	}
	for (i = 0; i < VR_FIELD__COUNT; i++) {
		const struct vr_field_desc *f = &vr_fields[i];
		bool has = drv->fields & VR_FIELD_BIT(i);
		struct vr_apply_request req;
		struct vr_change c;

		made_up(&c, f, &live);
		rc = vr_backend_classify(b, &live, &c);
		if (has)
			unit_check(rc == 0 && (c.mode == VR_MODE_LIVE ||
			    c.mode == VR_MODE_RESTART), __FILE__, __LINE__,
			    "%s classifies a change of %s, in its fields: "
			    "rc %d, mode %d (%s)", drv->name, f->key, rc,
			    (int)c.mode, rc < 0 ? vr_error_msg() : "");
		else
			unit_check(rc == VR_EUNSUPPORTED, __FILE__, __LINE__,
			    "%s refuses to classify %s, not in its fields: "
			    "rc %d", drv->name, f->key, rc);
		if (!has) {
			memset(&req, 0, sizeof(req));
			req.spec = &spec;
			req.live = &live;
			req.changes = &c;
			req.nchanges = 1;
			req.may_restart = true;
			c.mode = VR_MODE_RESTART;
			rc = vr_backend_apply(b, &req);
			unit_check(rc == VR_EUNSUPPORTED && !c.applied &&
			    !c.sent, __FILE__, __LINE__, "%s refuses to apply "
			    "%s, not in its fields: rc %d, applied %d, sent "
			    "%d", drv->name, f->key, rc, c.applied, c.sent);
		}
		vr_change_clear(&c);
	}
	vr_vm_live_clear(&live);
	vr_backend_free(b);
}
