/*
 * test_outcome.c - the per-VM outcomes a vr_reconcile() pass leaves in its
 * result (what watch logs and records, instead of reading the JSON back):
 * one per VM reached, in spec order, with the result, the message copied
 * where it was decided, the counts and the changes with ->applied; the
 * same facts the JSON output shows; none when preflight refuses; failed
 * for every VM when the pass's changes cannot be kept; and VR_OUTPUT_NONE
 * renders nothing.  On the sim backend.
 */
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <jansson.h>

#include "../../schema/util/error.h"
#include "pass.h"
#include "unit.h"

#define HOST "{\"host\": {\"logicalProcessors\": 16, \"memoryInMB\": 65536," \
	" \"gpus\": []}, "
#define DOC(name) "---\napiVersion: vmrecon/v1\nkind: VirtualMachine\n" \
	"metadata:\n  name: " name "\nspec:\n"
#define IFNEEDED "  restartPolicy: IfNeeded\n"

/* a in sync, b applied, c pending (Never), d failing at the backend once
 * the host has shrunk to 6 CPUs behind vmrecon's back after a. */
static const char sim[] = HOST "\"vms\": {"
    "\"a\": {\"cpuCount\": 2, \"memoryInMB\": 2048},"
    " \"b\": {\"cpuCount\": 2, \"memoryInMB\": 2048},"
    " \"c\": {\"cpuCount\": 2, \"memoryInMB\": 2048},"
    " \"d\": {\"cpuCount\": 2, \"memoryInMB\": 2048}}}";
static const char yaml[] = DOC("a") "  cpuCount: 2\n" IFNEEDED
    DOC("b") "  cpuCount: 4\n" IFNEEDED
    DOC("c") "  memoryInMB: 4096\n  restartPolicy: Never\n"
    DOC("d") "  cpuCount: 8\n  memoryInMB: 4096\n" IFNEEDED;

static char *
fresh_dir(const char *name)
{
	char *dir = vr_asprintf("%s/%s", unit_tmpdir(), name);

	if (mkdir(dir, 0700) < 0)
		unit_check(false, __FILE__, __LINE__, "mkdir %s", dir);
	pass_sim(dir, sim);
	return dir;
}

static void
shrink_after_first(void *ctx, const struct vr_vm_event *ev)
{
	const char *dir = ctx;
	char *text, *at;

	if (strcmp(ev->vm, "a") != 0)
		return;
	text = pass_sim_text(dir);
	at = text ? strstr(text, "\"logicalProcessors\": 16") : NULL;
	if (CHECK(at != NULL)) {
		memcpy(at + strlen("\"logicalProcessors\": "), " 6", 2);
		pass_sim(dir, text);
	}
	free(text);
}

/* The outcomes of the mixed apply, whatever the output format. */
static void
check_apply_outcomes(const struct vr_reconcile_result *r)
{
	static const char *const names[] = { "a", "b", "c", "d" };
	static const enum vr_result want[] = { VR_RESULT_CONVERGED,
	    VR_RESULT_CONVERGED, VR_RESULT_PENDING, VR_RESULT_FAILED };
	static const size_t nch[] = { 0, 1, 1, 2 }, app[] = { 0, 1, 0, 0 },
	    pend[] = { 0, 0, 1, 0 };
	size_t i;

	if (!CHECK(r->nvms == 4))
		return;
	for (i = 0; i < 4; i++) {
		const struct vr_vm_outcome *oc = &r->vms[i];

		CHECK_STR(oc->vm, names[i]);
		CHECK_INT(oc->result, want[i]);
		CHECK_INT(oc->nchanges, nch[i]);
		CHECK_INT(oc->applied, app[i]);
		CHECK_INT(oc->pending, pend[i]);
		CHECK(oc->seconds >= 0);
		CHECK(oc->message != NULL);
	}
	CHECK_CONTAINS(r->vms[0].message, "converged in ");
	CHECK_CONTAINS(r->vms[0].message, "(0 changes applied)");
	CHECK_CONTAINS(r->vms[1].message, "(1 change applied)");
	CHECK_INT(r->vms[1].change[0].field, VR_FIELD_CPU_COUNT);
	CHECK(r->vms[1].change[0].applied);
	CHECK_INT(r->vms[2].change[0].field, VR_FIELD_MEMORY);
	CHECK(!r->vms[2].change[0].applied);
	CHECK_CONTAINS(r->vms[2].message, "pending: 1 change waits for a "
	    "restart");
	/* the backend's error, copied when the apply failed: the verify
	 * and record steps after it have set and cleared the error since */
	CHECK_STR(r->vms[3].message, "apply failed: sim: cannot give VM 'd' 8 "
	    "CPUs: the host has 6 logical processors and a VM needs at least "
	    "one; applied before the failure: nothing; not applied: cpuCount, "
	    "memoryInMB");
	CHECK(!r->vms[3].change[0].applied && !r->vms[3].change[1].applied);
	CHECK_INT(r->changes, 4);
	CHECK_INT(r->applied, 1);
	CHECK_INT(r->pending, 1);
	CHECK_INT(r->exit_code, VR_EXIT_ERROR);
}

/* JSON output and the outcomes of the same pass say the same, VM by VM. */
TEST(test_outcome__apply_agrees_with_json)
{
	char *dir = fresh_dir("json");
	json_t *doc, *vm;
	struct pass p;
	size_t i, j;

	pass_run(&p, dir, yaml, true, VR_OUTPUT_JSON, shrink_after_first,
	    dir);
	CHECK(p.rc < 0);
	check_apply_outcomes(&p.res);
	doc = json_loads(p.out ? p.out : "", 0, NULL);
	CHECK_INT(json_array_size(json_object_get(doc, "vms")), p.res.nvms);
	json_array_foreach(json_object_get(doc, "vms"), i, vm) {
		const struct vr_vm_outcome *oc = &p.res.vms[i];
		json_t *ch = json_object_get(vm, "changes");

		if (i >= p.res.nvms)
			break;
		CHECK_STR(json_string_value(json_object_get(vm, "name")),
		    oc->vm);
		CHECK_STR(json_string_value(json_object_get(vm, "result")),
		    vr_result_name(oc->result));
		CHECK_STR(json_string_value(json_object_get(vm, "message")),
		    oc->message);
		CHECK_INT(json_array_size(ch), oc->nchanges);
		for (j = 0; j < json_array_size(ch) && j < oc->nchanges; j++) {
			json_t *c = json_array_get(ch, j);

			CHECK_STR(json_string_value(json_object_get(c,
			    "field")), vr_field_name(oc->change[j].field));
			CHECK_INT(json_is_true(json_object_get(c, "applied")),
			    oc->change[j].applied);
		}
	}
	json_decref(doc);
	pass_free(&p);
	CHECK_INT(p.res.nvms, 0); /* pass_free cleared the result */
	free(dir);
}

/* VR_OUTPUT_NONE: nothing on the output, the same outcomes, the same
 * diagnostics on the err stream. */
TEST(test_outcome__output_none)
{
	static const char diff_yaml[] = DOC("a") "  cpuCount: 2\n"
	    DOC("b") "  cpuCount: 4\n"
	    DOC("c") "  memoryInMB: 4096\n"
	    DOC("d") "  cpuCount: 4\n  memoryInMB: 4096\n";
	char *dir = fresh_dir("none");
	struct pass p;

	pass_run(&p, dir, yaml, true, VR_OUTPUT_NONE, shrink_after_first,
	    dir);
	CHECK(p.rc < 0);
	check_apply_outcomes(&p.res);
	CHECK_STR(p.out, "");
	CHECK_CONTAINS(p.err, "vmrecon: d: apply failed: sim: cannot give VM "
	    "'d' 8 CPUs");
	pass_free(&p);
	CHECK_INT(pass_vm_int(dir, "b", "cpuCount"), 4);
	CHECK_INT(pass_vm_int(dir, "d", "cpuCount"), 2);

	/* a diff after it (d asking for what the shrunk host has): b in
	 * sync, c and d drifted, nothing printed */
	pass_run(&p, dir, diff_yaml, false, VR_OUTPUT_NONE, NULL, NULL);
	CHECK_INT(p.rc, 0);
	CHECK_STR(p.out, "");
	CHECK_INT(p.res.exit_code, VR_EXIT_DRIFT);
	if (CHECK(p.res.nvms == 4)) {
		CHECK_INT(p.res.vms[1].result, VR_RESULT_CONVERGED);
		CHECK_STR(p.res.vms[1].message, "in sync");
		CHECK_INT(p.res.vms[1].nchanges, 0);
		CHECK_INT(p.res.vms[2].result, VR_RESULT_DRIFTED);
		CHECK_STR(p.res.vms[2].message, "drift: the VM differs from "
		    "the desired state");
		CHECK_INT(p.res.vms[3].nchanges, 2);
		CHECK_INT(p.res.vms[3].change[1].field, VR_FIELD_MEMORY);
	}
	pass_free(&p);
	free(dir);
}

/* A pass refused before any VM (preflight) leaves no outcome. */
TEST(test_outcome__none_when_refused)
{
	static const char big[] = DOC("a") "  cpuCount: 17\n" IFNEEDED
	    DOC("b") "  cpuCount: 4\n" IFNEEDED;
	char *dir = fresh_dir("refused");
	struct pass p;

	pass_run(&p, dir, big, true, VR_OUTPUT_NONE, NULL, NULL);
	CHECK(p.rc < 0);
	CHECK_INT(p.res.exit_code, VR_EXIT_ERROR);
	CHECK_INT(p.res.nvms, 0);
	CHECK(p.res.vms == NULL);
	CHECK_CONTAINS(p.err, "1 problem; nothing was applied");
	pass_free(&p);
	free(dir);
}

/* On the last VM, sim.json becomes a directory: the pass's flush (sim
 * keeps a pass's changes until then) cannot write it.  Every event is
 * kept in `struct flush_events`, to see what was notified. */
struct flush_events {
	const char *dir;
	char seen[16][8];  /* "a:c", "b:f": VM and result's initial */
	size_t n;
};

static void
break_flush(void *ctx, const struct vr_vm_event *ev)
{
	struct flush_events *fe = ctx;
	char *path = vr_asprintf("%s/sim.json", fe->dir);
	char *away = vr_asprintf("%s/sim.json.away", fe->dir);

	if (fe->n < 16)
		snprintf(fe->seen[fe->n++], 8, "%.3s:%c", ev->vm,
		    vr_result_name(ev->result)[0]);
	if (strcmp(ev->vm, "b") == 0 && ev->result != VR_RESULT_FAILED)
		CHECK(rename(path, away) == 0 && mkdir(path, 0700) == 0);
	free(path);
	free(away);
}

/* A failed flush undoes the whole pass on the backend: every outcome says
 * failed with why, as status.json does (before, VMs it had applied stayed
 * "converged" here while the changes were lost); -o json and the text
 * summary say so with nothing applied.  The per-VM events went out as
 * each VM was done, once each (a second would count twice in metrics). */
TEST(test_outcome__failed_flush_fails_every_vm)
{
	static const char two[] = DOC("a") "  cpuCount: 3\n" IFNEEDED
	    DOC("b") "  cpuCount: 4\n" IFNEEDED;
	static const char *const order[] = { "a:c", "b:c" };
	enum vr_output out;
	size_t i;

	for (out = VR_OUTPUT_TEXT; out <= VR_OUTPUT_NONE; out++) {
		char *dir = vr_asprintf("flush-%d", (int)out), *d;
		struct flush_events fe = { NULL, { { 0 } }, 0 };
		struct pass p;
		json_t *doc, *vms;

		d = fresh_dir(dir);
		fe.dir = d;
		pass_run(&p, d, two, true, out, break_flush, &fe);
		CHECK(p.rc < 0);
		CHECK_INT(p.res.exit_code, VR_EXIT_ERROR);
		CHECK_INT(p.res.applied, 0);
		CHECK_CONTAINS(p.err, "cannot keep the changes");
		if (CHECK(p.res.nvms == 2))
			for (i = 0; i < 2; i++) {
				CHECK_INT(p.res.vms[i].result,
				    VR_RESULT_FAILED);
				CHECK_INT(p.res.vms[i].applied, 0);
				CHECK(!p.res.vms[i].change[0].applied);
				CHECK_CONTAINS(p.res.vms[i].message, "sim:");
				CHECK_CONTAINS(p.res.vms[i].message,
				    "cannot keep the changes");
			}
		if (CHECK(fe.n == 2))
			for (i = 0; i < 2; i++)
				CHECK_STR(fe.seen[i], order[i]);
		if (out == VR_OUTPUT_TEXT)
			CHECK_CONTAINS(p.out, "Apply failed: 0 applied");
		if (out == VR_OUTPUT_JSON) {
			doc = json_loads(p.out ? p.out : "", 0, NULL);
			vms = json_object_get(doc, "vms");
			if (CHECK(json_array_size(vms) == 2))
				for (i = 0; i < 2; i++) {
					json_t *vm = json_array_get(vms, i);

					CHECK_STR(json_string_value(
					    json_object_get(vm, "result")),
					    "failed");
					CHECK(json_is_false(json_object_get(
					    json_array_get(json_object_get(vm,
					    "changes"), 0), "applied")));
				}
			json_decref(doc);
		}
		pass_free(&p);
		free(d);
		free(dir);
	}
}
