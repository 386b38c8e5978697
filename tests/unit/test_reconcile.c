/*
 * test_reconcile.c - the core pass, vr_reconcile(), called directly on a
 * sim file: for every field and action, diff plans exactly the expected
 * change, apply makes it and nothing else, and a second diff (verify) finds
 * the VM in sync; restartPolicy Never leaves restart changes pending,
 * IfNeeded applies them; preflight refuses what the host cannot give, all
 * problems at once, with the file untouched; and a failed apply (sim's
 * fault injection, or the host shrinking in the middle of a pass) says what
 * was applied before the failure.
 */
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <jansson.h>

#include "../../schema/util/error.h"
#include "pass.h"
#include "unit.h"

/* 16 CPUs, 64 GiB, two A2s (DDA only) and an iGPU (PV only). */
#define HOST "{\"host\": {\"logicalProcessors\": 16, \"memoryInMB\": 65536," \
	" \"gpus\": [{\"name\": \"NVIDIA A2\", \"passthroughTypes\":" \
	" [\"DirectDeviceAssignment\"], \"count\": 2}, {\"name\":" \
	" \"Intel Iris Xe\", \"passthroughTypes\": [\"ParaVirtualization\"]," \
	" \"count\": 1}]}, "
#define A2 "{\"name\": \"NVIDIA A2\", \"passthroughType\": " \
	"\"DirectDeviceAssignment\", \"count\": 1}"
#define DOC(name) "---\napiVersion: vmrecon/v1\nkind: VirtualMachine\n" \
	"metadata:\n  name: " name "\nspec:\n"
#define GPU_A2(n) "  gpu:\n    name: NVIDIA A2\n    passthroughType: " \
	"DirectDeviceAssignment\n    count: " #n "\n"
#define IFNEEDED "  restartPolicy: IfNeeded\n"

/* "field:action:mode ..." of the plan a JSON diff printed. */
static char *
plan_changes(const char *json_text)
{
	json_t *doc = json_loads(json_text ? json_text : "", 0, NULL);
	json_t *vms = json_object_get(doc, "vms"), *vm, *c;
	char buf[512] = "";
	size_t i, j;

	json_array_foreach(vms, i, vm) {
		json_array_foreach(json_object_get(vm, "changes"), j, c) {
			size_t n = strlen(buf);

			snprintf(buf + n, sizeof(buf) - n, "%s%s:%s:%s",
			    n ? " " : "",
			    json_string_value(json_object_get(c, "field")),
			    json_string_value(json_object_get(c, "action")),
			    json_string_value(json_object_get(c, "mode")));
		}
	}
	json_decref(doc);
	return vr_strdup(doc ? buf : "(not JSON)");
}

struct field_case {
	const char *name;
	const char *live;       /* the VM in the sim file */
	const char *spec;       /* lines after "spec:" */
	const char *want;       /* the planned changes */
	int cpu, mem;           /* the VM afterwards */
	const char *gpu;        /* pass_vm_gpu afterwards */
};

static const struct field_case field_cases[] = {
	{ "cpuCount update", "\"cpuCount\": 2, \"memoryInMB\": 2048",
	  "  cpuCount: 4\n" IFNEEDED, "cpuCount:update:restart",
	  4, 2048, "absent" },
	{ "memoryInMB update", "\"cpuCount\": 2, \"memoryInMB\": 2048",
	  "  memoryInMB: 8192\n" IFNEEDED, "memoryInMB:update:restart",
	  2, 8192, "absent" },
	{ "gpu create", "\"cpuCount\": 2, \"memoryInMB\": 2048, \"gpu\": null",
	  GPU_A2(1) IFNEEDED, "gpu:create:restart",
	  2, 2048, "NVIDIA A2/DirectDeviceAssignment/1" },
	{ "gpu update (count)", "\"cpuCount\": 2, \"memoryInMB\": 2048, "
	  "\"gpu\": " A2, GPU_A2(2) IFNEEDED, "gpu:update:restart",
	  2, 2048, "NVIDIA A2/DirectDeviceAssignment/2" },
	{ "gpu update (name and type)", "\"cpuCount\": 2, \"memoryInMB\": "
	  "2048, \"gpu\": " A2, "  gpu:\n    name: Intel Iris Xe\n"
	  "    passthroughType: ParaVirtualization\n" IFNEEDED,
	  "gpu:update:restart", 2, 2048,
	  "Intel Iris Xe/ParaVirtualization/1" },
	{ "gpu delete (gpu: none)", "\"cpuCount\": 2, \"memoryInMB\": 2048, "
	  "\"gpu\": " A2, "  gpu: none\n" IFNEEDED, "gpu:delete:restart",
	  2, 2048, "null" },
	{ "every field at once, in field order", "\"cpuCount\": 2, "
	  "\"memoryInMB\": 2048, \"gpu\": " A2, "  gpu: none\n  memoryInMB: "
	  "4096\n  cpuCount: 8\n" IFNEEDED, "cpuCount:update:restart "
	  "memoryInMB:update:restart gpu:delete:restart", 8, 4096, "null" },
	{ "in sync: nothing to do", "\"cpuCount\": 2, \"memoryInMB\": 2048, "
	  "\"gpu\": " A2, "  cpuCount: 2\n  memoryInMB: 2048\n" GPU_A2(1)
	  IFNEEDED, "", 2, 2048, "NVIDIA A2/DirectDeviceAssignment/1" },
	{ "gpu: none with no GPU is in sync", "\"cpuCount\": 2, "
	  "\"memoryInMB\": 2048, \"gpu\": null", "  gpu: none\n" IFNEEDED, "",
	  2, 2048, "null" },
	{ "absent = unmanaged: cpuCount only keeps memory and gpu",
	  "\"cpuCount\": 2, \"memoryInMB\": 2048, \"gpu\": " A2,
	  "  cpuCount: 3\n" IFNEEDED, "cpuCount:update:restart", 3, 2048,
	  "NVIDIA A2/DirectDeviceAssignment/1" },
	{ "absent = unmanaged: gpu only keeps cpuCount and memory",
	  "\"cpuCount\": 6, \"memoryInMB\": 6144, \"gpu\": null",
	  GPU_A2(1) IFNEEDED, "gpu:create:restart", 6, 6144,
	  "NVIDIA A2/DirectDeviceAssignment/1" },
	{ "absent = unmanaged: an empty spec changes nothing",
	  "\"cpuCount\": 6, \"memoryInMB\": 6144, \"gpu\": " A2, "  {}\n", "",
	  6, 6144, "NVIDIA A2/DirectDeviceAssignment/1" },
};

/* A fresh sub-directory of the test's, holding `sim` as its sim file. */
static char *
case_dir(size_t i, const char *sim)
{
	char *dir = vr_asprintf("%s/%zu", unit_tmpdir(), i);

	if (mkdir(dir, 0700) < 0)
		unit_check(false, __FILE__, __LINE__, "mkdir %s", dir);
	pass_sim(dir, sim);
	return dir;
}

/* diff plans `want` (exit 2, or 0 when in sync) and changes nothing;
 * apply exits 0 having applied it; the file holds exactly the result; a
 * second diff (verify) finds the VM in sync. */
TEST(test_reconcile__every_field_and_action)
{
	size_t i;

	for (i = 0; i < sizeof(field_cases) / sizeof(field_cases[0]); i++) {
		const struct field_case *fc = &field_cases[i];
		char *sim = vr_asprintf(HOST "\"vms\": {\"edge-01\": {%s}}}",
		    fc->live);
		char *dir = case_dir(i, sim);
		char *yaml = vr_asprintf(DOC("edge-01") "%s", fc->spec);
		size_t nwant = fc->want[0] ? 1 : 0, k;
		char *got, *text;
		struct pass p;

		for (k = 0; fc->want[k]; k++)
			nwant += fc->want[k] == ' ';
		printf("  case: %s\n", fc->name);
		pass_run(&p, dir, yaml, false, VR_OUTPUT_JSON, NULL, NULL);
		got = plan_changes(p.out);
		CHECK_STR(got, fc->want);
		CHECK_INT(p.res.exit_code, nwant ? VR_EXIT_DRIFT : VR_EXIT_OK);
		CHECK_INT(p.res.changes, nwant);
		CHECK_INT(p.rc, 0);
		free(got);
		pass_free(&p);
		text = pass_sim_text(dir);
		CHECK_STR(text, sim); /* diff wrote nothing */
		free(text);

		pass_run(&p, dir, yaml, true, VR_OUTPUT_TEXT, NULL, NULL);
		CHECK_INT(p.rc, 0);
		CHECK_INT(p.res.exit_code, VR_EXIT_OK);
		CHECK_INT(p.res.applied, nwant);
		CHECK_INT(p.res.pending, 0);
		if (nwant)
			CHECK_CONTAINS(p.out, "edge-01: converged in ");
		CHECK_STR(p.err, "");
		pass_free(&p);
		CHECK_INT(pass_vm_int(dir, "edge-01", "cpuCount"), fc->cpu);
		CHECK_INT(pass_vm_int(dir, "edge-01", "memoryInMB"), fc->mem);
		CHECK_STR(pass_vm_gpu(dir, "edge-01"), fc->gpu);
		/* sim restarts the VM once per apply, never for nothing */
		CHECK_INT(pass_vm_int(dir, "edge-01", "restarts"),
		    nwant ? 1 : -1);

		pass_run(&p, dir, yaml, false, VR_OUTPUT_TEXT, NULL, NULL);
		CHECK_INT(p.res.exit_code, VR_EXIT_OK);
		CHECK_CONTAINS(p.out, "edge-01: in sync");
		pass_free(&p);
		free(yaml);
		free(dir);
		free(sim);
	}
}

/* Never: every sim change needs a restart, so all stay pending (exit 3),
 * the file is untouched and diff still shows them; IfNeeded applies them
 * with one restart. */
TEST(test_reconcile__restart_policy)
{
	static const char sim[] = HOST "\"vms\": {\"edge-01\": "
	    "{\"cpuCount\": 2, \"memoryInMB\": 2048, \"gpu\": null}}}";
	static const char never[] = DOC("edge-01") "  cpuCount: 4\n"
	    "  memoryInMB: 4096\n  restartPolicy: Never\n";
	static const char dflt[] = DOC("edge-01") "  cpuCount: 4\n"
	    "  memoryInMB: 4096\n";
	static const char ifneeded[] = DOC("edge-01") "  cpuCount: 4\n"
	    "  memoryInMB: 4096\n" IFNEEDED;
	const char *specs[] = { never, dflt };
	char *dir = case_dir(0, sim), *text;
	struct pass p;
	size_t i;

	for (i = 0; i < 2; i++) { /* Never, and the default (Never) */
		pass_run(&p, dir, specs[i], true, VR_OUTPUT_TEXT, NULL, NULL);
		CHECK_INT(p.rc, 0);
		CHECK_INT(p.res.exit_code, VR_EXIT_PENDING);
		CHECK_INT(p.res.changes, 2);
		CHECK_INT(p.res.applied, 0);
		CHECK_INT(p.res.pending, 2);
		CHECK_CONTAINS(p.out, "edge-01: pending: 2 changes wait for a "
		    "restart");
		CHECK_CONTAINS(p.out, "Apply incomplete: 0 applied, 2 pending, "
		    "0 VMs failed.");
		pass_free(&p);
		text = pass_sim_text(dir);
		CHECK_STR(text, sim);
		free(text);
		pass_run(&p, dir, specs[i], false, VR_OUTPUT_TEXT, NULL,
		    NULL);
		CHECK_INT(p.res.exit_code, VR_EXIT_DRIFT);
		pass_free(&p);
	}

	pass_run(&p, dir, ifneeded, true, VR_OUTPUT_TEXT, NULL, NULL);
	CHECK_INT(p.res.exit_code, VR_EXIT_OK);
	CHECK_INT(p.res.applied, 2);
	CHECK_INT(p.res.pending, 0);
	CHECK_CONTAINS(p.out, "edge-01: applying 2 changes (restartPolicy "
	    "IfNeeded: the VM may restart once)");
	CHECK_CONTAINS(p.out, "Apply complete: 2 applied, 0 pending, 0 VMs "
	    "failed.");
	pass_free(&p);
	CHECK_INT(pass_vm_int(dir, "edge-01", "cpuCount"), 4);
	CHECK_INT(pass_vm_int(dir, "edge-01", "memoryInMB"), 4096);
	CHECK_INT(pass_vm_int(dir, "edge-01", "restarts"), 1);
	free(dir);
}

struct refusal {
	const char *name, *spec, *msg;
};

static const struct refusal refusals[] = {
	{ "too many CPUs", "  cpuCount: 17\n",
	  "cpuCount 17 is more than the host's 16 logical processors" },
	{ "too much memory", "  memoryInMB: 131072\n",
	  "memoryInMB 131072 is more than the 65536 MB the host can give "
	  "this VM" },
	{ "unknown GPU", "  gpu:\n    name: NVIDIA T4\n    passthroughType: "
	  "DirectDeviceAssignment\n", "the host has no GPU named 'NVIDIA T4'" },
	{ "wrong passthrough type", "  gpu:\n    name: Intel Iris Xe\n"
	  "    passthroughType: DirectDeviceAssignment\n",
	  "'Intel Iris Xe' does not support DirectDeviceAssignment" },
	{ "more GPUs than the host has", GPU_A2(3),
	  "the host has 2 'NVIDIA A2', not 3" },
};

/* Each refusal alone, then four at once: exit 1 before anything is
 * applied, every problem at the spec's line, the file untouched. */
TEST(test_reconcile__preflight_refusals)
{
	static const char sim[] = HOST "\"vms\": {\"edge-01\": "
	    "{\"cpuCount\": 2, \"memoryInMB\": 2048, \"gpu\": null}, "
	    "\"edge-02\": {\"cpuCount\": 2, \"memoryInMB\": 2048}}}";
	static const char all[] = DOC("edge-01") "  cpuCount: 17\n"
	    "  memoryInMB: 131072\n  gpu:\n    name: NVIDIA T4\n"
	    "    passthroughType: DirectDeviceAssignment\n" DOC("edge-02")
	    "  gpu:\n    name: Intel Iris Xe\n    passthroughType: "
	    "DirectDeviceAssignment\n";
	size_t n = sizeof(refusals) / sizeof(refusals[0]), i;
	char *dir = case_dir(0, sim), *text;
	struct pass p;

	for (i = 0; i <= n; i++) {
		/* a good VM beside: refused too, nothing is half-done */
		char *yaml = i < n ? vr_asprintf(DOC("edge-02")
		    "  cpuCount: 3\n" IFNEEDED DOC("edge-01") "%s" IFNEEDED,
		    refusals[i].spec) : vr_strdup(all);
		size_t j;

		printf("  case: %s\n", i < n ? refusals[i].name : "four");
		pass_run(&p, dir, yaml, true, VR_OUTPUT_TEXT, NULL, NULL);
		CHECK(p.rc < 0);
		CHECK_INT(p.res.exit_code, VR_EXIT_ERROR);
		CHECK_INT(p.res.applied, 0);
		for (j = 0; j < n; j++)
			if (i == j || (i == n && j < 4))
				CHECK_CONTAINS(p.err, refusals[j].msg);
		CHECK_CONTAINS(p.err, "spec.yaml:");
		CHECK_CONTAINS(p.err, i < n ? "vmrecon: 1 problem; nothing was "
		    "applied" : "vmrecon: 4 problems; nothing was applied");
		CHECK_STR(p.out, "");
		pass_free(&p);
		text = pass_sim_text(dir);
		CHECK_STR(text, sim);
		free(text);
		free(yaml);
	}
	free(dir);
}

/* sim's fault injection (faults.applyError): the apply fails, the error
 * says what was applied before it (nothing: sim applies a VM's changes
 * together or not at all) and what was not; the file is untouched. */
TEST(test_reconcile__apply_fault)
{
	static const char sim[] = HOST "\"vms\": {\"edge-01\": "
	    "{\"cpuCount\": 2, \"memoryInMB\": 2048, \"gpu\": null}}, "
	    "\"faults\": {\"applyError\": \"injected: disk full\"}}";
	static const char yaml[] = DOC("edge-01") "  cpuCount: 4\n"
	    "  memoryInMB: 4096\n" IFNEEDED;
	char *dir = case_dir(0, sim), *text;
	struct pass p;

	pass_run(&p, dir, yaml, true, VR_OUTPUT_TEXT, NULL, NULL);
	CHECK(p.rc < 0);
	CHECK_INT(p.res.exit_code, VR_EXIT_ERROR);
	CHECK_INT(p.res.applied, 0);
	CHECK_CONTAINS(p.err, "vmrecon: edge-01: apply failed: injected: disk "
	    "full; applied before the failure: nothing; not applied: "
	    "cpuCount, memoryInMB");
	CHECK_CONTAINS(p.out, "Apply failed: 0 applied, 0 pending, 1 VM "
	    "failed.");
	pass_free(&p);
	text = pass_sim_text(dir);
	CHECK_STR(text, sim);
	free(text);
	free(dir);
}

/* After the first VM (in sync: the pass has not touched the file yet) the
 * host loses CPUs behind vmrecon's back, as another tool could do: the
 * second VM's change still fits and is applied, the third's no longer
 * does and fails at the backend.  The pass says which VM got what. */
struct shrink {
	const char *dir;
	int calls;
};

static void
shrink_host(void *ctx, const struct vr_vm_event *ev)
{
	struct shrink *s = ctx;
	char *text;

	if (s->calls++ != 0)
		return;
	CHECK_STR(ev->vm, "a");
	text = pass_sim_text(s->dir);
	if (!CHECK(text && strstr(text, "\"logicalProcessors\": 16"))) {
		free(text);
		return;
	}
	memcpy(strstr(text, "\"logicalProcessors\": 16") +
	    strlen("\"logicalProcessors\": "), " 6", 2);
	pass_sim(s->dir, text);
	free(text);
}

TEST(test_reconcile__apply_fails_half_way)
{
	static const char sim[] = HOST "\"vms\": {"
	    "\"a\": {\"cpuCount\": 2, \"memoryInMB\": 2048},"
	    " \"b\": {\"cpuCount\": 2, \"memoryInMB\": 2048},"
	    " \"c\": {\"cpuCount\": 2, \"memoryInMB\": 2048}}}";
	static const char yaml[] = DOC("a") "  cpuCount: 2\n" IFNEEDED
	    DOC("b") "  cpuCount: 4\n" IFNEEDED
	    DOC("c") "  cpuCount: 8\n  memoryInMB: 4096\n" IFNEEDED;
	char *dir;
	struct shrink s = { NULL, 0 };
	struct pass p;
	size_t k;

	for (k = 0; k < 2; k++) { /* text, then JSON */
		dir = case_dir(k, sim);
		s.dir = dir;
		s.calls = 0;
		pass_run(&p, dir, yaml, true, k ? VR_OUTPUT_JSON :
		    VR_OUTPUT_TEXT, shrink_host, &s);
		CHECK_INT(s.calls, 3);
		CHECK(p.rc < 0);
		CHECK_INT(p.res.exit_code, VR_EXIT_ERROR);
		CHECK_INT(p.res.changes, 3);
		CHECK_INT(p.res.applied, 1);
		CHECK_CONTAINS(p.err, "vmrecon: c: apply failed: sim: cannot "
		    "give VM 'c' 8 CPUs: the host has 6 logical processors");
		CHECK_CONTAINS(p.err, "applied before the failure: nothing; "
		    "not applied: cpuCount, memoryInMB");
		if (k == 0) {
			CHECK_CONTAINS(p.out, "b: converged in ");
			CHECK_CONTAINS(p.out, "Apply failed: 1 applied, 0 "
			    "pending, 1 VM failed.");
		} else {
			json_t *doc = json_loads(p.out ? p.out : "", 0, NULL);
			json_t *vms = json_object_get(doc, "vms");
			json_t *b = json_array_get(vms, 1), *c =
			    json_array_get(vms, 2);

			CHECK_STR(json_string_value(json_object_get(b,
			    "result")), "converged");
			CHECK(json_is_true(json_object_get(json_array_get(
			    json_object_get(b, "changes"), 0), "applied")));
			CHECK_STR(json_string_value(json_object_get(c,
			    "result")), "failed");
			CHECK(json_is_false(json_object_get(json_array_get(
			    json_object_get(c, "changes"), 0), "applied")));
			CHECK_CONTAINS(json_string_value(json_object_get(c,
			    "message")), "applied before the failure: nothing");
			json_decref(doc);
		}
		pass_free(&p);
		/* b's change was kept, c left as it was, the shrink too */
		CHECK_INT(pass_vm_int(dir, "b", "cpuCount"), 4);
		CHECK_INT(pass_vm_int(dir, "b", "restarts"), 1);
		CHECK_INT(pass_vm_int(dir, "c", "cpuCount"), 2);
		CHECK_INT(pass_vm_int(dir, "c", "memoryInMB"), 2048);
		CHECK_INT(pass_vm_int(dir, "c", "restarts"), -1);
		free(dir);
	}
}
