/*
 * ready.h - the Ready condition of status.json (Flux's vocabulary): every
 * VM's, derived from its result by the state dir whatever command
 * recorded it (statedir.c), and the Git source's, set by watch
 * (reconciler/gitops/watchstate.c).
 *
 *   "conditions": [{"type": "Ready", "status": "True"|"False",
 *                   "reason": ..., "message": ...,
 *                   "lastTransitionTime": "2026-01-02T03:04:05Z"}]
 */
#ifndef VR_READY_H
#define VR_READY_H

#include <stdbool.h>

struct json_t;

/* The reason for a VM's "result": converged ReconciliationSucceeded,
 * pending RestartPending, drifted DriftDetected, interrupted Interrupted,
 * failed `fail_reason` or ReconciliationFailed. */
const char *vr_ready_reason(const char *result, const char *fail_reason);

/* Set obj's conditions to one Ready condition.  lastTransitionTime stays
 * when the status (True/False) does not change, else becomes `now`
 * (ISO 8601 UTC). */
void vr_ready_set(struct json_t *obj, bool ready, const char *reason,
    const char *message, const char *now);

#endif
