/*
 * ready.c - the Ready condition of status.json (see ready.h).
 */
#include <jansson.h>
#include <string.h>

#include "ready.h"

const char *
vr_ready_reason(const char *result, const char *fail_reason)
{
	if (strcmp(result, "converged") == 0)
		return "ReconciliationSucceeded";
	if (strcmp(result, "pending") == 0)
		return "RestartPending";
	if (strcmp(result, "drifted") == 0)
		return "DriftDetected";
	/* an interrupted apply is not a backend failure: what was sent may
	 * have happened (its message says), the next pass observes */
	if (strcmp(result, "interrupted") == 0)
		return "Interrupted";
	return fail_reason ? fail_reason : "ReconciliationFailed";
}

void
vr_ready_set(json_t *obj, bool ready, const char *reason,
    const char *message, const char *now)
{
	json_t *conds = json_object_get(obj, "conditions"), *old = NULL;
	const char *status = ready ? "True" : "False", *old_status, *since;
	size_t i;

	for (i = 0; i < json_array_size(conds); i++) {
		json_t *c = json_array_get(conds, i);
		const char *type = json_string_value(json_object_get(c,
		    "type"));

		if (type && strcmp(type, "Ready") == 0)
			old = c;
	}
	old_status = json_string_value(json_object_get(old, "status"));
	since = json_string_value(json_object_get(old,
	    "lastTransitionTime"));
	if (!old_status || strcmp(old_status, status) != 0 || !since)
		since = now;
	/* `since` may be the old condition's: packed before it is freed */
	json_object_set_new(obj, "conditions", json_pack("[{s:s, s:s, s:s, "
	    "s:s, s:s}]", "type", "Ready", "status", status, "reason", reason,
	    "message", message ? message : "", "lastTransitionTime", since));
}
