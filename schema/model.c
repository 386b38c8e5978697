/* model.c - names and lifetimes of the model's types. */
#include <stdlib.h>
#include <string.h>

#include "util/error.h"
#include "field.h"
#include "model.h"

const char *
vr_gpu_type_name(enum vr_gpu_type t)
{
	switch (t) {
	case VR_GPU_DDA: return "DirectDeviceAssignment";
	case VR_GPU_PV: return "ParaVirtualization";
	case VR_GPU_TYPE_NONE: break;
	}
	return NULL; /* NONE, or not one type (a host GPU's set of them) */
}

int
vr_gpu_type_parse(enum vr_gpu_type *out, const char *s)
{
	if (strcmp(s, "DirectDeviceAssignment") == 0)
		*out = VR_GPU_DDA;
	else if (strcmp(s, "ParaVirtualization") == 0)
		*out = VR_GPU_PV;
	else
		return VR_EINVALID;
	return 0;
}

const char *
vr_restart_policy_name(enum vr_restart_policy p)
{
	return vr_fields[VR_FIELD_RESTART_POLICY].names[
	    p == VR_RESTART_IFNEEDED ? VR_RESTART_IFNEEDED : VR_RESTART_NEVER];
}

int
vr_restart_policy_parse(enum vr_restart_policy *out, const char *s)
{
	const char *const *w = vr_fields[VR_FIELD_RESTART_POLICY].names;
	int i;

	for (i = 0; w[i]; i++) {
		if (strcmp(w[i], s) == 0) {
			*out = (enum vr_restart_policy)i;
			return 0;
		}
	}
	return VR_EINVALID;
}

const char *
vr_field_name(enum vr_field f)
{
	return (unsigned)f < VR_FIELD__COUNT ? vr_fields[f].key : "?";
}

const char *
vr_action_name(enum vr_action a)
{
	switch (a) {
	case VR_ACTION_CREATE: return "create";
	case VR_ACTION_UPDATE: return "update";
	case VR_ACTION_DELETE: return "delete";
	}
	return "?";
}

const char *
vr_mode_name(enum vr_mode m)
{
	switch (m) {
	case VR_MODE_LIVE: return "live";
	case VR_MODE_RESTART: return "restart";
	}
	return "?";
}

void
vr_gpu_clear(struct vr_gpu *g)
{
	free(g->name);
	memset(g, 0, sizeof(*g));
}

void
vr_gpu_copy(struct vr_gpu *dst, const struct vr_gpu *src)
{
	*dst = *src;
	dst->name = vr_strdup(src->name);
}

bool
vr_gpu_equal(const struct vr_gpu *a, const struct vr_gpu *b)
{
	if (a->count == 0 || b->count == 0)
		return a->count == b->count;
	return a->count == b->count && a->type == b->type && a->name &&
	    b->name && strcmp(a->name, b->name) == 0;
}

void
vr_vm_spec_clear(struct vr_vm_spec *vm)
{
	free(vm->name);
	vr_gpu_clear(&vm->gpu);
	free(vm->windows);
	memset(vm, 0, sizeof(*vm));
}

void
vr_vm_spec_copy(struct vr_vm_spec *dst, const struct vr_vm_spec *src)
{
	*dst = *src;
	dst->name = vr_strdup(src->name);
	vr_gpu_copy(&dst->gpu, &src->gpu);
	dst->windows = NULL;
	if (src->nwindows) {
		dst->windows = vr_calloc(src->nwindows, sizeof(*src->windows));
		memcpy(dst->windows, src->windows,
		    src->nwindows * sizeof(*src->windows));
	}
}

void
vr_spec_free(struct vr_spec *spec)
{
	size_t i;

	if (!spec)
		return;
	for (i = 0; i < spec->nvms; i++)
		vr_vm_spec_clear(&spec->vms[i]);
	free(spec->vms);
	for (i = 0; i < spec->nfiles; i++)
		free(spec->files[i]);
	free(spec->files);
	free(spec->path);
	free(spec);
}

void
vr_host_clear(struct vr_host *h)
{
	size_t i;

	for (i = 0; i < h->ngpus; i++) {
		free(h->gpus[i].name);
		free(h->gpus[i].addr);
	}
	free(h->gpus);
	free(h->gpu_blocker);
	memset(h, 0, sizeof(*h));
}

void
vr_vm_live_clear(struct vr_vm_live *l)
{
	free(l->name);
	vr_gpu_clear(&l->gpu);
	memset(l, 0, sizeof(*l));
}

void
vr_change_clear(struct vr_change *c)
{
	vr_value_clear(&c->from);
	vr_value_clear(&c->to);
	free(c->reason);
	memset(c, 0, sizeof(*c));
}

void
vr_vm_spec_from_live(struct vr_vm_spec *r, const char *name,
    const struct vr_vm_live *l, unsigned fields)
{
	struct vr_value v;
	size_t i;

	memset(r, 0, sizeof(*r));
	r->name = vr_strdup(name);
	for (i = 0; i < VR_FIELD__COUNT; i++) {
		const struct vr_field_desc *f = &vr_fields[i];

		if (!f->reconciled || !(fields & VR_FIELD_BIT(f->id)))
			continue;
		f->live(l, &v);
		/* a GPU without its name or type is not one a spec can say */
		if (!v.unknown && !(v.kind == VR_VALUE_GPU && v.gpu.count > 0 &&
		    (!v.gpu.name || v.gpu.type == VR_GPU_TYPE_NONE)))
			f->set(r, &v);
		vr_value_clear(&v);
	}
}

const struct vr_host_gpu *
vr_host_find_gpu(const struct vr_host *h, const char *name)
{
	size_t i;

	for (i = 0; i < h->ngpus; i++)
		if (h->gpus[i].name && strcmp(h->gpus[i].name, name) == 0)
			return &h->gpus[i];
	return NULL;
}

bool
vr_name_char_ok(char c, size_t i)
{
	if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9'))
		return true;
	return i > 0 && (c == '.' || c == '_' || c == '-');
}
