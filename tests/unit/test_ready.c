/*
 * test_ready.c - the Ready condition of status.json: its reason per
 * result, lastTransitionTime kept while the status holds, and the state
 * dir giving every recorded result one, whoever records it (apply as
 * watch), a result replayed from a killed pass's journal included.
 */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../reconciler/engine/ready.h"
#include "../../reconciler/engine/statedir.h"
#include "../../schema/util/error.h"
#include "unit.h"

static json_t *
cond(json_t *obj)
{
	return json_array_get(json_object_get(obj, "conditions"), 0);
}

static const char *
field(json_t *c, const char *key)
{
	return json_string_value(json_object_get(c, key));
}

TEST(ready_reason_per_result)
{
	CHECK_STR(vr_ready_reason("converged", "X"), "ReconciliationSucceeded");
	CHECK_STR(vr_ready_reason("pending", NULL), "RestartPending");
	CHECK_STR(vr_ready_reason("drifted", NULL), "DriftDetected");
	CHECK_STR(vr_ready_reason("failed", NULL), "ReconciliationFailed");
	CHECK_STR(vr_ready_reason("interrupted", NULL), "Interrupted");
	CHECK_STR(vr_ready_reason("failed", "ValidationFailed"),
	    "ValidationFailed");
}

TEST(ready_transition_time_moves_with_the_status)
{
	json_t *o = json_object();

	vr_ready_set(o, false, "RestartPending", "wait", "2026-01-01T00:00:00Z");
	CHECK_STR(field(cond(o), "lastTransitionTime"), "2026-01-01T00:00:00Z");
	vr_ready_set(o, false, "ReconciliationFailed", NULL,
	    "2026-01-02T00:00:00Z");
	CHECK_STR(field(cond(o), "lastTransitionTime"), "2026-01-01T00:00:00Z");
	CHECK_STR(field(cond(o), "reason"), "ReconciliationFailed");
	CHECK_STR(field(cond(o), "message"), "");
	vr_ready_set(o, true, "ReconciliationSucceeded", "ok",
	    "2026-01-03T00:00:00Z");
	CHECK_STR(field(cond(o), "status"), "True");
	CHECK_STR(field(cond(o), "type"), "Ready");
	CHECK_STR(field(cond(o), "lastTransitionTime"), "2026-01-03T00:00:00Z");
	CHECK_INT(json_array_size(json_object_get(o, "conditions")), 1);
	json_decref(o);
}

/* status.json's VM `name` after reopening `dir` */
static json_t *
vm_of(const char *dir, const char *name, json_t **doc)
{
	struct vr_statedir *sd = NULL;
	char *text = NULL;

	*doc = NULL;
	if (vr_statedir_open(&sd, dir, false) == 0 &&
	    vr_statedir_status_read(sd, &text) == 0)
		*doc = json_loads(text, 0, NULL);
	free(text);
	vr_statedir_free(sd);
	return json_object_get(json_object_get(*doc, "vms"), name);
}

TEST(ready_set_on_every_recorded_result)
{
	struct vr_statedir *sd = NULL;
	char dir[512];
	json_t *doc, *vm;

	snprintf(dir, sizeof(dir), "%s/sd", unit_tmpdir());
	if (!CHECK(vr_statedir_open(&sd, dir, true) == 0))
		return;
	/* outside a pass, as apply records a backend that did not open */
	CHECK_INT(vr_statedir_status_put(sd, "a", "blob:1", VR_RESULT_FAILED,
	    "no backend"), 0);
	/* inside a pass, then killed before its end: the journal's line */
	vr_statedir_pass_begin(sd);
	CHECK_INT(vr_statedir_status_put(sd, "b", "blob:1",
	    VR_RESULT_PENDING, "pending a restart"), 0);
	CHECK_INT(vr_statedir_sync(sd), 0);
	vr_statedir_free(sd);

	vm = vm_of(dir, "a", &doc);
	CHECK_STR(field(cond(vm), "status"), "False");
	CHECK_STR(field(cond(vm), "reason"), "ReconciliationFailed");
	CHECK_STR(field(cond(vm), "message"), "no backend");
	CHECK_STR(field(cond(vm), "lastTransitionTime"),
	    field(vm, "lastHandledAt"));
	vm = json_object_get(json_object_get(doc, "vms"), "b");
	CHECK_STR(field(cond(vm), "reason"), "RestartPending");
	CHECK_STR(field(cond(vm), "lastTransitionTime"),
	    field(vm, "lastHandledAt"));
	json_decref(doc);

	if (!CHECK(vr_statedir_open(&sd, dir, true) == 0))
		return;
	CHECK_INT(vr_statedir_status_put(sd, "a", "blob:2",
	    VR_RESULT_CONVERGED, "converged"), 0);
	vr_statedir_free(sd);
	vm = vm_of(dir, "a", &doc);
	CHECK_STR(field(cond(vm), "status"), "True");
	CHECK_STR(field(cond(vm), "reason"), "ReconciliationSucceeded");
	json_decref(doc);
}
