/*
 * render.h - the plan for people (terraform-like text) and for programs
 * (the JSON README.md shows under "Using it").
 */
#ifndef VR_RENDER_H
#define VR_RENDER_H

#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>

#include "plan.h"

/* "~ cpuCount: 1 -> 4 (restart)" lines per VM, then "Plan: ..." */
void vr_render_plan_text(FILE *fp, const struct vr_plan *p,
    const struct vr_backend *b, bool color);

/* {"formatVersion": 1, "vms": [...]}; with `applied`, each change also
 * has "applied": true|false.  A VM found on the backend also has
 * "backendTarget", "observedDigest" and "desired" (planfile.h).  Caller
 * json_decref()s. */
json_t *vr_render_plan_json(const struct vr_plan *p,
    const struct vr_backend *b, bool applied);

/* One VirtualMachine document (JSON) for a spec: what `get -o json`
 * prints and a saved plan keeps as its desired state. */
json_t *vr_render_vm_json(const struct vr_vm_spec *r);

/* "cpuCount 1 -> 4" style summary of a change, for messages. */
char *vr_render_change_brief(const struct vr_change *c);

#endif
