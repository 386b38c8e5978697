/*
 * planfile.h - saved plans, as terraform's `plan -out` and `apply PLAN`:
 * `diff --out PLAN` writes the plan's JSON and, per VM, the desired state
 * and a digest of the VM as it was observed; `apply --plan PLAN` applies
 * that desired state, and only if every VM still has the digest the plan
 * saw (optimistic concurrency, like the `digest` of Proxmox's config API).
 *
 * The check holds only if each digest belongs to the VM whose desired
 * state is applied: an entry's name must be its desired VM's name, and no
 * VM may be planned twice.  The plan also carries a digest of its own
 * content (planDigest), so a plan edited by hand is refused as such.  It
 * is no signature (whoever can write the file can recompute it): it keeps
 * edits and damage out, and a plan made by diff --out on another machine
 * of the same backend still applies, since nothing local to the machine is
 * in it (the backend target is, and apply compares that anyway).
 */
#ifndef VR_PLANFILE_H
#define VR_PLANFILE_H

#include <jansson.h>
#include <stddef.h>

#include "../../schema/diag.h"
#include "plan.h"

#define VR_PLANFILE_MAX (1024 * 1024)

/* "sha1:<hex>" of what the backend observed of a VM (running, CPUs,
 * memory, GPU count, name and type): a check against change, as
 * Proxmox's config digest (also SHA-1), not against an adversary. */
char *vr_planfile_digest(const struct vr_vm_live *l);

/* Add planDigest, the digest of everything else in `doc` (a plan as
 * vr_render_plan_json made it, with its revision). */
void vr_planfile_seal(json_t *doc);

/* A saved plan, read back. */
struct vr_planfile {
	struct vr_spec *spec;  /* the desired state it was made for */
	char *revision;        /* of that desired state */
	char *backend;         /* "KIND[:TARGET]" it was made on */
	char **names, **digests;
	size_t n;
};

/* Read and check PLAN (bounded, strict: its planDigest, each entry's name
 * against its desired VM, no VM twice); problems in its desired state go
 * to diags. */
int vr_planfile_read(struct vr_planfile *out, struct vr_diags *diags,
    const char *path);

/* VR_ECONFLICT (with a message naming the VM and what to do) unless the
 * plan was made on this backend and each of its VMs still has the digest
 * it saw. */
int vr_planfile_check(const struct vr_planfile *pf, const struct vr_plan *p,
    const struct vr_backend *b);

void vr_planfile_clear(struct vr_planfile *pf);

#endif
