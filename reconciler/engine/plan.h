/*
 * plan.h - desired vs live: one change per managed field that differs,
 * each classified live or restart by the backend, and preflight (host
 * limits vs spec, all problems together, before anything is applied).
 */
#ifndef VR_PLAN_H
#define VR_PLAN_H

#include <stdbool.h>
#include <stddef.h>

#include "../../backends/backend.h"
#include "../../schema/diag.h"
#include "../../schema/model.h"
#include "gate.h"
#include "statedir.h"

struct vr_vm_plan {
	const struct vr_vm_spec *spec;
	bool found;                  /* the backend has this VM */
	bool has_record;
	struct vr_vm_spec record;    /* last applied, from the state dir */
	struct vr_vm_live live;
	struct vr_change changes[VR_FIELD__COUNT];
	size_t nchanges;
	/* fields the spec manages and the backend does not support
	 * (VR_FIELD_BIT): never among the changes; preflight refuses them */
	unsigned unsupported;
	struct vr_gate gate;         /* restart windows now (vr_reconcile) */
};

struct vr_plan {
	struct vr_host host;
	struct vr_vm_plan *vms;
	size_t nvms;
	struct vr_diags warnings;    /* preflight's: allowed, but said */
};

/* The changes that turn `live` into `spec` (pure: no backend).  Fields the
 * spec leaves out are never changed.  Returns how many were written. */
size_t vr_changes_compute(struct vr_change out[VR_FIELD__COUNT],
    const struct vr_vm_spec *spec, const struct vr_vm_live *live);

/* Observe every VM of `spec` and compute its classified changes.  A VM the
 * backend does not have is a problem added to `problems`; a backend that
 * fails outright returns an error. */
int vr_plan_build(struct vr_plan **out, struct vr_diags *problems,
    const struct vr_spec *spec, struct vr_backend *b,
    struct vr_statedir *sd);

/* Host limits and backend rules against every change, and every field the
 * spec manages that the backend does not support; adds problems at the
 * spec's FILE:LINE:COL.  Returns how many it added.  What is allowed but
 * worth saying (vCPU overcommit on qemu and libvirt) goes to
 * p->warnings. */
size_t vr_plan_preflight(struct vr_diags *problems, struct vr_plan *p,
    const struct vr_spec *spec, struct vr_backend *b);

/* Re-observe one VM into vp (after an apply).  `record` as for observe. */
int vr_plan_reobserve(struct vr_vm_plan *vp, struct vr_backend *b,
    const struct vr_vm_spec *record);

void vr_plan_free(struct vr_plan *p);

/* Count the plan's changes: total, and how many need a restart. */
void vr_plan_count(const struct vr_plan *p, size_t *changes,
    size_t *restart, size_t *vms_out_of_sync);

#endif
