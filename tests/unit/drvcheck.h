/*
 * drvcheck.h - for each backend's unit tests: its driver table's `fields`
 * (backends/backend.h) against what the driver itself does, asked of it
 * directly, past the reconciler's refusals.
 */
#ifndef VR_UNIT_DRVCHECK_H
#define VR_UNIT_DRVCHECK_H

#include "../../backends/backend.h"

/*
 * Open `drv` on `target` with `opts` as a driver supporting every field
 * (so vr_backend_classify and _apply pass every change through), observe
 * VM `vm`, and check, for every value of enum vr_field:
 *  - in drv->fields: classify decides a mode (0, live or restart);
 *  - not in it: classify refuses it (VR_EUNSUPPORTED), and so does apply,
 *    marking nothing applied or sent.
 * And that drv->fields names reconciled fields only, and at least one.
 */
void drvcheck_fields(const struct vr_driver *drv, const char *target,
    const struct vr_backend_options *opts, const char *vm);

#endif
