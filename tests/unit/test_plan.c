/*
 * test_plan.c - the planner, table-driven: desired vs live gives exactly
 * the changes expected, absent fields are never touched (the Set-EflowVM
 * pitfall), and preflight reports every problem at once.
 */
#include <stdlib.h>
#include <string.h>

#include "../../backends/backend.h"
#include "../../reconciler/engine/plan.h"
#include "../../schema/util/error.h"
#include "../../schema/load.h"
#include "unit.h"

static struct vr_spec *
load(const char *yaml)
{
	struct vr_diags d = VR_DIAGS_INIT;
	struct vr_spec *s = NULL;

	if (vr_spec_load_buffer(&s, &d, "t.yaml", yaml, strlen(yaml)) < 0) {
		vr_diags_print(&d, stdout);
		unit_check(false, __FILE__, __LINE__, "spec loads");
	}
	vr_diags_free(&d);
	return s;
}

#define HEAD "apiVersion: vmrecon/v1\nkind: VirtualMachine\n" \
	"metadata:\n  name: edge-01\nspec:\n"

struct plan_case {
	const char *name;
	const char *spec;       /* the spec: lines after "spec:" */
	int cpu;                /* live */
	int64_t mem;
	const char *gpu_name;   /* NULL: no GPU live */
	enum vr_gpu_type gpu_type;
	int gpu_count;
	const char *want;       /* expected changes, e.g. "cpuCount:update" */
};

static const struct plan_case cases[] = {
	{ "pitfall: memory only changes only memory",
	  "  memoryInMB: 4096\n", 4, 16384, "NVIDIA A2", VR_GPU_DDA, 1,
	  "memoryInMB:update" },
	{ "pitfall: gpu only keeps cpu and memory",
	  "  gpu:\n    name: NVIDIA A2\n    passthroughType: "
	  "DirectDeviceAssignment\n", 4, 16384, NULL, 0, 0, "gpu:create" },
	{ "cpu only keeps the gpu",
	  "  cpuCount: 2\n", 4, 16384, "NVIDIA A2", VR_GPU_DDA, 1,
	  "cpuCount:update" },
	{ "gpu absent leaves a live gpu alone",
	  "  cpuCount: 4\n", 4, 1024, "NVIDIA A2", VR_GPU_DDA, 1, "" },
	{ "gpu: none removes it",
	  "  gpu: none\n", 4, 1024, "NVIDIA A2", VR_GPU_DDA, 1, "gpu:delete" },
	{ "gpu: none with no gpu is in sync",
	  "  gpu: none\n", 1, 1024, NULL, 0, 0, "" },
	{ "gpu name change is an update",
	  "  gpu:\n    name: NVIDIA T4\n    passthroughType: "
	  "DirectDeviceAssignment\n", 1, 1024, "NVIDIA A2", VR_GPU_DDA, 1,
	  "gpu:update" },
	{ "gpu unknown live name is an update",
	  "  gpu:\n    name: NVIDIA A2\n    passthroughType: "
	  "DirectDeviceAssignment\n", 1, 1024, NULL, VR_GPU_TYPE_NONE, 1,
	  "gpu:update" },
	{ "restated spec in another order is in sync",
	  "  gpu:\n    count: 1\n    passthroughType: DirectDeviceAssignment\n"
	  "    name: NVIDIA A2\n  memoryInMB: 16384\n  cpuCount: 4\n",
	  4, 16384, "NVIDIA A2", VR_GPU_DDA, 1, "" },
	{ "empty spec manages nothing",
	  "  {}\n", 7, 2048, "X", VR_GPU_PV, 1, "" },
	{ "everything at once, in field order",
	  "  gpu: none\n  memoryInMB: 2048\n  cpuCount: 2\n", 1, 1024, "X",
	  VR_GPU_PV, 1, "cpuCount:update memoryInMB:update gpu:delete" },
};

TEST(test_plan__changes_table)
{
	size_t i, j;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct plan_case *pc = &cases[i];
		char yaml[1024], got[256] = "";
		struct vr_change ch[VR_FIELD__COUNT];
		struct vr_vm_live live;
		struct vr_spec *s;
		size_t n;

		snprintf(yaml, sizeof(yaml), HEAD "%s", pc->spec);
		if (!(s = load(yaml)))
			continue;
		memset(&live, 0, sizeof(live));
		live.cpu_count = pc->cpu;
		live.memory_mb = pc->mem;
		live.gpu.name = (char *)pc->gpu_name;
		live.gpu.type = pc->gpu_type;
		live.gpu.count = pc->gpu_count;
		n = vr_changes_compute(ch, &s->vms[0], &live);
		for (j = 0; j < n; j++) {
			char one[64];

			snprintf(one, sizeof(one), "%s%s:%s", j ? " " : "",
			    vr_field_name(ch[j].field),
			    vr_action_name(ch[j].action));
			strcat(got, one);
			vr_change_clear(&ch[j]);
		}
		unit_check(strcmp(got, pc->want) == 0, __FILE__, __LINE__,
		    "%s: got '%s', want '%s'", pc->name, got, pc->want);
		vr_spec_free(s);
	}
}

TEST(test_plan__change_values)
{
	struct vr_spec *s = load(HEAD "  memoryInMB: 4096\n  cpuCount: 8\n");
	struct vr_vm_live live = { .cpu_count = 2, .memory_mb = 1024 };
	struct vr_change ch[VR_FIELD__COUNT];

	if (!s)
		return;
	CHECK_INT(vr_changes_compute(ch, &s->vms[0], &live), 2);
	CHECK_INT(ch[0].from.i, 2);
	CHECK_INT(ch[0].to.i, 8);
	CHECK_INT(ch[1].from.i, 1024);
	CHECK_INT(ch[1].to.i, 4096);
	vr_change_clear(&ch[0]);
	vr_change_clear(&ch[1]);
	vr_spec_free(s);
}

/* A sim backend whose host is small, for preflight. */
static struct vr_backend *
small_sim(const char *dir)
{
	struct vr_backend_options o = VR_BACKEND_OPTIONS_INIT;
	struct vr_backend *b = NULL;
	char target[600];

	unit_write(dir, "sim.json",
	    "{\"host\": {\"logicalProcessors\": 4, \"memoryInMB\": 8192, "
	    "\"nested\": false, \"gpus\": [{\"name\": \"NVIDIA A2\", "
	    "\"passthroughTypes\": [\"DirectDeviceAssignment\"], "
	    "\"count\": 1}]},\n \"vms\": {\"edge-01\": {\"cpuCount\": 1, "
	    "\"memoryInMB\": 1024, \"gpu\": null, \"running\": true}}}\n");
	snprintf(target, sizeof(target), "sim:%s/sim.json", dir);
	o.state_dir = dir;
	if (vr_backend_open(&b, target, &o) < 0)
		unit_check(false, __FILE__, __LINE__, "open: %s",
		    vr_error_msg());
	return b;
}

TEST(test_plan__preflight_lists_every_problem)
{
	const char *dir = unit_tmpdir();
	struct vr_backend *b = small_sim(dir);
	struct vr_diags d = VR_DIAGS_INIT;
	struct vr_plan *p = NULL;
	struct vr_spec *s;

	s = load(HEAD "  cpuCount: 8\n  memoryInMB: 16384\n  gpu:\n"
	    "    name: NVIDIA T4\n    passthroughType: "
	    "DirectDeviceAssignment\n");
	if (!b || !s)
		goto out;
	CHECK_INT(vr_plan_build(&p, &d, s, b, NULL), 0);
	CHECK_INT(d.n, 0);
	CHECK_INT(vr_plan_preflight(&d, p, s, b), 3);
	vr_diags_sort(&d);
	if (d.n == 3) {
		CHECK_INT(d.v[0].line, 6);
		CHECK_INT(d.v[0].col, 13);
		CHECK_CONTAINS(d.v[0].msg, "host's 4 logical processors");
		CHECK_INT(d.v[1].line, 7);
		CHECK_CONTAINS(d.v[1].msg, "8192 MB");
		CHECK_INT(d.v[2].line, 9);
		CHECK_CONTAINS(d.v[2].msg, "no GPU named 'NVIDIA T4'");
		CHECK_CONTAINS(d.v[2].msg, "'NVIDIA A2'");
	}
out:
	vr_diags_free(&d);
	vr_plan_free(p);
	vr_spec_free(s);
	vr_backend_free(b);
}

TEST(test_plan__preflight_passthrough_type)
{
	const char *dir = unit_tmpdir();
	struct vr_backend *b = small_sim(dir);
	struct vr_diags d = VR_DIAGS_INIT;
	struct vr_plan *p = NULL;
	struct vr_spec *s;

	s = load(HEAD "  gpu:\n    name: NVIDIA A2\n    passthroughType: "
	    "ParaVirtualization\n");
	if (!b || !s)
		goto out;
	CHECK_INT(vr_plan_build(&p, &d, s, b, NULL), 0);
	CHECK_INT(vr_plan_preflight(&d, p, s, b), 1);
	if (d.n == 1) {
		CHECK_INT(d.v[0].line, 8);
		CHECK_CONTAINS(d.v[0].msg, "does not support ParaVirtualization");
		CHECK_CONTAINS(d.v[0].msg, "DirectDeviceAssignment only");
	}
out:
	vr_diags_free(&d);
	vr_plan_free(p);
	vr_spec_free(s);
	vr_backend_free(b);
}

TEST(test_plan__unknown_vm_is_a_problem_at_its_name)
{
	const char *dir = unit_tmpdir();
	struct vr_backend *b = small_sim(dir);
	struct vr_diags d = VR_DIAGS_INIT;
	struct vr_plan *p = NULL;
	struct vr_spec *s;

	s = load("apiVersion: vmrecon/v1\nkind: VirtualMachine\nmetadata:\n"
	    "  name: edge-09\nspec:\n  cpuCount: 2\n");
	if (!b || !s)
		goto out;
	CHECK_INT(vr_plan_build(&p, &d, s, b, NULL), 0);
	CHECK_INT(d.n, 1);
	if (d.n == 1) {
		CHECK_INT(d.v[0].line, 4);
		CHECK_CONTAINS(d.v[0].msg, "edge-09");
		CHECK_CONTAINS(d.v[0].msg, "edge-01");
	}
out:
	vr_diags_free(&d);
	vr_plan_free(p);
	vr_spec_free(s);
	vr_backend_free(b);
}
