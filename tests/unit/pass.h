/*
 * pass.h - for the engine's unit tests: one vr_reconcile() pass (diff or
 * apply) of a YAML spec on a sim file in a test's directory, called
 * directly, with its stdout and stderr captured, and readers for what the
 * sim file holds afterwards.
 */
#ifndef VR_UNIT_PASS_H
#define VR_UNIT_PASS_H

#include <stdbool.h>

#include "../../reconciler/engine/reconcile.h"

struct pass {
	int rc;                          /* vr_reconcile's return */
	struct vr_reconcile_result res;
	char *out, *err;                 /* what it printed (owned) */
};

/* Write `json` as DIR/sim.json (the sim backend's file). */
void pass_sim(const char *dir, const char *json);

/* Run one pass of `yaml` on DIR/sim.json, state dir DIR/state.  `on_vm`
 * (may be NULL) is the options' per-VM callback, called with `ctx`. */
void pass_run(struct pass *p, const char *dir, const char *yaml, bool apply,
    enum vr_output output,
    void (*on_vm)(void *ctx, const struct vr_vm_event *ev), void *ctx);
/* The same, text output, with `drv` (a driver table of the test's own,
 * opened on DIR/sim.json) in place of the sim backend's. */
void pass_run_driver(struct pass *p, const char *dir,
    const struct vr_driver *drv, const char *yaml, bool apply);
void pass_free(struct pass *p);

/* DIR/sim.json's bytes (owned; NULL if unreadable). */
char *pass_sim_text(const char *dir);
/* vms.VM.KEY of DIR/sim.json as an integer, -1 if absent or not one. */
long long pass_vm_int(const char *dir, const char *vm, const char *key);
/* vms.VM.gpu as "NAME/TYPE/COUNT", "null", or "absent" (static buffer). */
const char *pass_vm_gpu(const char *dir, const char *vm);

#endif
