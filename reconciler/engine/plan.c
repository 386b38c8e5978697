/*
 * plan.c - build the plan: observe, compare, classify; and preflight.
 *
 * The rule that makes vmrecon safe where Set-EflowVM is not lives in
 * vr_changes_compute(): a field the spec leaves out is never compared, so it
 * can never be changed.  And its mirror: a field the spec manages that the
 * backend does not support (its driver table's `fields`) is never a
 * change either; preflight refuses the spec instead, so no backend is ever
 * asked to classify or apply what it does not know.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../schema/util/error.h"
#include "../../schema/field.h"
#include "plan.h"

size_t
vr_changes_compute(struct vr_change out[VR_FIELD__COUNT],
    const struct vr_vm_spec *spec, const struct vr_vm_live *live)
{
	struct vr_value want, have;
	struct vr_change *c;
	size_t i, n = 0;

	for (i = 0; i < VR_FIELD__COUNT; i++) {
		const struct vr_field_desc *f = &vr_fields[i];

		if (!f->reconciled)
			continue;
		f->get(spec, &want);
		if (want.kind == VR_VALUE_NONE) /* unmanaged */
			continue;
		f->live(live, &have);
		/* an unknown live value counts as different */
		if (vr_value_equal(&want, &have) ||
		    (vr_value_empty(&want) && vr_value_empty(&have) &&
		    !have.unknown)) {
			vr_value_clear(&want);
			vr_value_clear(&have);
			continue;
		}
		c = memset(&out[n++], 0, sizeof(*c));
		c->field = f->id;
		c->action = vr_value_empty(&want) ? VR_ACTION_DELETE :
		    vr_value_empty(&have) ? VR_ACTION_CREATE :
		    VR_ACTION_UPDATE;
		c->from = have;
		c->from.unknown = false;
		if (c->action == VR_ACTION_DELETE) {
			/* to: nothing, as before the table */
			vr_value_clear(&want);
			want.kind = f->kind;
		}
		c->to = want;
	}
	return n;
}

static void
vm_plan_clear_changes(struct vr_vm_plan *vp)
{
	size_t i;

	for (i = 0; i < vp->nchanges; i++)
		vr_change_clear(&vp->changes[i]);
	vp->nchanges = 0;
}

/* The reconciled fields `spec` manages that `supported` lacks. */
static unsigned
unsupported_fields(const struct vr_vm_spec *spec, unsigned supported)
{
	struct vr_value v;
	unsigned set = 0;
	size_t i;

	for (i = 0; i < VR_FIELD__COUNT; i++) {
		const struct vr_field_desc *f = &vr_fields[i];

		if (!f->reconciled || (supported & VR_FIELD_BIT(f->id)))
			continue;
		f->get(spec, &v);
		if (v.kind != VR_VALUE_NONE)
			set |= VR_FIELD_BIT(f->id);
		vr_value_clear(&v);
	}
	return set;
}

static int
vm_plan_classify(struct vr_vm_plan *vp, struct vr_backend *b)
{
	size_t i, n;
	int rc;

	vm_plan_clear_changes(vp);
	n = vr_changes_compute(vp->changes, vp->spec, &vp->live);
	for (i = 0; i < n; i++) {
		if (vp->unsupported & VR_FIELD_BIT(vp->changes[i].field)) {
			vr_change_clear(&vp->changes[i]);
			continue;
		}
		if (vp->nchanges < i) {
			vp->changes[vp->nchanges] = vp->changes[i];
			memset(&vp->changes[i], 0, sizeof(vp->changes[i]));
		}
		vp->nchanges++;
	}
	for (i = 0; i < vp->nchanges; i++)
		if ((rc = vr_backend_classify(b, &vp->live,
		    &vp->changes[i])) < 0)
			return rc;
	return 0;
}

int
vr_plan_reobserve(struct vr_vm_plan *vp, struct vr_backend *b,
    const struct vr_vm_spec *record)
{
	int rc;

	vr_vm_live_clear(&vp->live);
	rc = vr_backend_observe(b, vp->spec->name, record, &vp->live);
	if (rc < 0)
		return rc;
	return vm_plan_classify(vp, b);
}

int
vr_plan_build(struct vr_plan **out, struct vr_diags *problems,
    const struct vr_spec *spec, struct vr_backend *b,
    struct vr_statedir *sd)
{
	struct vr_plan *p;
	size_t i;
	int rc;

	*out = NULL;
	p = vr_calloc(1, sizeof(*p));
	p->vms = vr_calloc(spec->nvms, sizeof(*p->vms));
	p->nvms = spec->nvms;
	if ((rc = vr_backend_host(b, &p->host)) < 0)
		goto fail;
	for (i = 0; i < spec->nvms; i++) {
		struct vr_vm_plan *vp = &p->vms[i];

		vp->spec = &spec->vms[i];
		/* known before the backend is asked anything about the VM */
		vp->unsupported = unsupported_fields(vp->spec,
		    vr_backend_fields(b));
		if (sd) {
			rc = vr_statedir_record_get(sd, vp->spec->name,
			    &vp->record);
			if (rc == 0)
				vp->has_record = true;
			else if (rc != VR_ENOTFOUND)
				goto fail;
		}
		rc = vr_backend_observe(b, vp->spec->name,
		    vp->has_record ? &vp->record : NULL, &vp->live);
		if (rc == VR_ENOTFOUND) {
			vr_diags_add(problems, VR_SPEC_FILE(spec, vp->spec),
			    vp->spec->at_name.line, vp->spec->at_name.col,
			    "%s", vr_error_msg());
			continue;
		}
		if (rc < 0) {
			vr_error_wrap(rc, "%s: cannot observe '%s'",
			    vr_backend_desc(b), vp->spec->name);
			goto fail;
		}
		vp->found = true;
		/* the record is kept under the VM's own name, which for EFLOW
		 * may differ from the spec's in case: look again, observe
		 * again with it (the backend answers from its cache) */
		if (sd && !vp->has_record && vp->live.name &&
		    strcmp(vp->live.name, vp->spec->name) != 0) {
			rc = vr_statedir_record_get(sd, vp->live.name,
			    &vp->record);
			if (rc < 0 && rc != VR_ENOTFOUND)
				goto fail;
			if (rc == 0) {
				vp->has_record = true;
				vr_vm_live_clear(&vp->live);
				rc = vr_backend_observe(b, vp->spec->name,
				    &vp->record, &vp->live);
				if (rc < 0)
					goto fail;
			}
		}
		if ((rc = vm_plan_classify(vp, b)) < 0)
			goto fail;
	}
	*out = p;
	return 0;
fail:
	vr_plan_free(p);
	return rc;
}

/* The names of the host's GPUs, quoted, for "it has: ..." messages. */
static char *
host_gpu_names(const struct vr_host *h)
{
	size_t i, len = 0;
	char *s;

	if (h->ngpus == 0)
		return vr_strdup("it has none");
	for (i = 0; i < h->ngpus; i++)
		len += strlen(h->gpus[i].name) + 4;
	s = vr_calloc(1, len + 16);
	strcat(s, "it has: ");
	for (i = 0; i < h->ngpus; i++) {
		if (i)
			strcat(s, ", ");
		strcat(s, "'");
		strcat(s, h->gpus[i].name);
		strcat(s, "'");
	}
	return s;
}

static char *
type_names(unsigned types)
{
	if (types == (VR_GPU_DDA | VR_GPU_PV))
		return vr_strdup("DirectDeviceAssignment, ParaVirtualization");
	if (types == VR_GPU_DDA)
		return vr_strdup("DirectDeviceAssignment only");
	if (types == VR_GPU_PV)
		return vr_strdup("ParaVirtualization only");
	return vr_strdup("no passthrough at all");
}

static void
check_gpu(struct vr_diags *d, const char *path, const struct vr_host *h,
    const struct vr_vm_spec *s, const struct vr_vm_live *live)
{
	const struct vr_host_gpu *g;

	if (h->gpu_blocker) {
		vr_diags_add(d, path, s->at_gpu.line, s->at_gpu.col,
		    "no GPU passthrough on this host: %s", h->gpu_blocker);
		return;
	}
	if (h->nested) {
		vr_diags_add(d, path, s->at_gpu.line, s->at_gpu.col,
		    "no GPU passthrough: the host is itself a virtual "
		    "machine");
		return;
	}
	g = vr_host_find_gpu(h, s->gpu.name);
	/* A GPU the VM holds by DirectDeviceAssignment is dismounted from
	 * the host and may no longer be listed: when the VM holds at least
	 * as many GPUs the backend cannot name (or it cannot tell), the
	 * declared one is taken on trust (the verify checks the count). */
	if (!g && (live->gpu.count >= s->gpu.count || live->gpu_unknown) &&
	    !live->gpu.name && s->gpu.type == VR_GPU_DDA)
		return;
	if (!g) {
		char *names = host_gpu_names(h);

		vr_diags_add(d, path, s->at_gpu_name.line, s->at_gpu_name.col,
		    "the host has no GPU named '%s' (%s)", s->gpu.name, names);
		free(names);
		return;
	}
	if (!(g->types & s->gpu.type)) {
		char *t = type_names(g->types);

		vr_diags_add(d, path, s->at_gpu_type.line, s->at_gpu_type.col,
		    "'%s' does not support %s (it supports %s)", g->name,
		    vr_gpu_type_name(s->gpu.type), t);
		free(t);
	}
	if (g->count > 0 && s->gpu.count > g->count)
		vr_diags_add(d, path, s->at_gpu_count.line,
		    s->at_gpu_count.col, "the host has %d '%s', not %d",
		    g->count, g->name, s->gpu.count);
}

/* Order VM indices of plan `arg` by live name, then by index (qsort_r:
 * the build defines _GNU_SOURCE). */
static int
by_live_name(const void *a, const void *b, void *arg)
{
	const struct vr_plan *p = arg;
	size_t i = *(const size_t *)a, j = *(const size_t *)b;
	int c = strcmp(p->vms[i].live.name, p->vms[j].live.name);

	return c ? c : (i > j) - (i < j);
}

/* The VMs before VM `i` with the same live name, in index order: the first
 * (i when there is none) and the one after `j` (i after the last).
 * `byname` is sorted by (name, index); pos[i] is i's place in it. */
static size_t
same_name_first(const struct vr_plan *p, const size_t *byname,
    const size_t *pos, size_t i)
{
	size_t q = pos[i];

	if (q == SIZE_MAX)
		return i;
	while (q > 0 && strcmp(p->vms[byname[q - 1]].live.name,
	    p->vms[i].live.name) == 0)
		q--;
	return byname[q];
}

static size_t
same_name_next(const size_t *byname, const size_t *pos, size_t j, size_t i)
{
	size_t next = byname[pos[j] + 1];

	return next < i ? next : i;
}

/* A problem for each field the spec of VM vp manages and the backend does
 * not support, at the field's position. */
static void
check_fields(struct vr_diags *d, const char *path,
    const struct vr_vm_plan *vp, struct vr_backend *b)
{
	char *has = NULL;
	size_t i;

	for (i = 0; i < VR_FIELD__COUNT; i++) {
		const struct vr_field_desc *f = &vr_fields[i];
		const struct vr_pos *at = (const struct vr_pos *)(const void *)
		    ((const char *)vp->spec + f->at);

		if (!(vp->unsupported & VR_FIELD_BIT(f->id)))
			continue;
		if (!has)
			has = vr_fields_text(vr_backend_fields(b));
		vr_diags_add(d, path, at->line, at->col, "the %s backend does "
		    "not support %s (it supports %s): leave '%s' out of the "
		    "spec, or use a backend that supports it",
		    vr_backend_kind(b), f->key, has, f->key);
	}
	free(has);
}

size_t
vr_plan_preflight(struct vr_diags *d, struct vr_plan *p,
    const struct vr_spec *spec, struct vr_backend *b)
{
	const struct vr_host *h = &p->host;
	size_t i, j, before = d->n;
	bool overcommit_ok = strcmp(vr_backend_kind(b), "qemu") == 0 ||
	    strcmp(vr_backend_kind(b), "libvirt") == 0;
	/* the found VMs sorted by live name, and where each VM sits in that
	 * order: two documents naming one VM are neighbours (n log n, where
	 * comparing every pair took 2 s for 10,000 VMs) */
	size_t *byname = vr_malloc((p->nvms + 1) * sizeof(*byname));
	size_t *pos = vr_malloc((p->nvms + 1) * sizeof(*pos));
	size_t n = 0;

	for (i = 0; i < p->nvms; i++)
		if (p->vms[i].found && p->vms[i].live.name)
			byname[n++] = i;
	qsort_r(byname, n, sizeof(*byname), by_live_name, p);
	for (i = 0; i < p->nvms; i++)
		pos[i] = SIZE_MAX;
	for (i = 0; i < n; i++)
		pos[byname[i]] = i;

	for (i = 0; i < p->nvms; i++) {
		const struct vr_vm_plan *vp = &p->vms[i];
		const struct vr_vm_spec *s = vp->spec;
		int64_t memlim = vp->live.memory_limit_mb ?
		    vp->live.memory_limit_mb : h->memory_mb;

		check_fields(d, VR_SPEC_FILE(spec, s), vp, b);
		if (!vp->found)
			continue;
		for (j = same_name_first(p, byname, pos, i); j < i;
		    j = same_name_next(byname, pos, j, i))
			vr_diags_add(d, VR_SPEC_FILE(spec, s),
			    s->at_name.line,
			    s->at_name.col, "'%s' and '%s' name one "
			    "VM, '%s' (%s compares VM names without "
			    "regard to case): keep one document",
			    p->vms[j].spec->name, s->name,
			    vp->live.name, vr_backend_kind(b));
		for (j = 0; j < vp->nchanges; j++) {
			const struct vr_change *c = &vp->changes[j];

			switch (c->field) {
			case VR_FIELD_CPU_COUNT:
				if (h->cpus <= 0 || c->to.i <= h->cpus)
					break;
				/* KVM runs each vCPU as a host thread, so
				 * QEMU and libvirt allow more than the host
				 * has (overcommit); EFLOW's docs forbid it */
				if (overcommit_ok)
					vr_diags_add(&p->warnings,
					    VR_SPEC_FILE(spec, s),
					    s->at_cpu_count.line,
					    s->at_cpu_count.col, "cpuCount "
					    "%lld is more than the host's %d "
					    "logical processors: %lld vCPUs "
					    "overcommitted, which %s allows",
					    (long long)c->to.i, h->cpus,
					    (long long)(c->to.i - h->cpus),
					    vr_backend_kind(b));
				else
					vr_diags_add(d, VR_SPEC_FILE(spec, s),
					    s->at_cpu_count.line,
					    s->at_cpu_count.col, "cpuCount "
					    "%lld is more than the host's %d "
					    "logical processors",
					    (long long)c->to.i, h->cpus);
				break;
			case VR_FIELD_MEMORY:
				if (memlim > 0 && c->to.i > memlim)
					vr_diags_add(d, VR_SPEC_FILE(spec, s),
					    s->at_memory.line, s->at_memory.col,
					    "memoryInMB %lld is more than the "
					    "%lld MB the host can give this VM",
					    (long long)c->to.i,
					    (long long)memlim);
				if (h->min_memory_mb > 0 &&
				    c->to.i < h->min_memory_mb)
					vr_diags_add(d, VR_SPEC_FILE(spec, s),
					    s->at_memory.line, s->at_memory.col,
					    "memoryInMB %lld is below this "
					    "backend's minimum of %lld MB",
					    (long long)c->to.i,
					    (long long)h->min_memory_mb);
				break;
			case VR_FIELD_GPU:
				if (c->action != VR_ACTION_DELETE)
					check_gpu(d, VR_SPEC_FILE(spec, s), h,
					    s, &vp->live);
				break;
			case VR_FIELD_RESTART_POLICY:
			case VR_FIELD_RESTART_WINDOWS:
			case VR_FIELD__COUNT:
				break; /* policies: never a change */
			}
		}
		vr_backend_preflight(b, h, s, &vp->live, vp->changes,
		    vp->nchanges, d, VR_SPEC_FILE(spec, s));
	}
	free(byname);
	free(pos);
	return d->n - before;
}

void
vr_plan_count(const struct vr_plan *p, size_t *changes, size_t *restart,
    size_t *vms_out_of_sync)
{
	size_t i, j;

	*changes = *restart = *vms_out_of_sync = 0;
	for (i = 0; i < p->nvms; i++) {
		if (p->vms[i].nchanges)
			(*vms_out_of_sync)++;
		for (j = 0; j < p->vms[i].nchanges; j++) {
			(*changes)++;
			if (p->vms[i].changes[j].mode == VR_MODE_RESTART)
				(*restart)++;
		}
	}
}

void
vr_plan_free(struct vr_plan *p)
{
	size_t i;

	if (!p)
		return;
	for (i = 0; i < p->nvms; i++) {
		vm_plan_clear_changes(&p->vms[i]);
		vr_vm_live_clear(&p->vms[i].live);
		vr_vm_spec_clear(&p->vms[i].record);
	}
	free(p->vms);
	vr_diags_free(&p->warnings);
	vr_host_clear(&p->host);
	free(p);
}
