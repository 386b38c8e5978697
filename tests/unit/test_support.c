/*
 * test_support.c - what a backend supports is its driver table's `fields`
 * (backends/backend.h), and the reconciler holds every backend to it: a
 * spec that manages a field the backend does not support is refused at
 * that field's FILE:LINE:COL, in diff as in apply, before the backend's
 * classify or apply sees a change of it, and nothing is applied; what the
 * backend does support goes on as before, and its record holds only that.
 * The backend is the sim driver's table with gpu taken out, its classify,
 * preflight and apply counting what reaches them.
 */
#include <stdlib.h>
#include <string.h>

#include "../../schema/field.h"
#include "../../schema/util/error.h"
#include "../../schema/util/fileio.h"
#include "pass.h"
#include "unit.h"

extern const struct vr_driver vr_sim_driver;

/* What reached the driver, by field (VR_FIELD_BIT). */
static unsigned seen_classify, seen_apply;
static int napply;

static int
count_classify(void *conn, const struct vr_vm_live *live,
    struct vr_change *c)
{
	seen_classify |= VR_FIELD_BIT(c->field);
	return vr_sim_driver.classify(conn, live, c);
}

static int
count_apply(void *conn, struct vr_apply_request *req)
{
	size_t i;

	napply++;
	for (i = 0; i < req->nchanges; i++)
		seen_apply |= VR_FIELD_BIT(req->changes[i].field);
	return vr_sim_driver.apply(conn, req);
}

/* sim without gpu */
static struct vr_driver
no_gpu(void)
{
	struct vr_driver d = vr_sim_driver;

	d.fields &= ~VR_FIELD_BIT(VR_FIELD_GPU);
	d.classify = count_classify;
	d.apply = count_apply;
	seen_classify = seen_apply = 0;
	napply = 0;
	return d;
}

static const char sim[] =
    "{\"host\": {\"logicalProcessors\": 8, \"memoryInMB\": 16384, "
    "\"gpus\": [{\"name\": \"NVIDIA A2\", \"passthroughTypes\": "
    "[\"DirectDeviceAssignment\"], \"count\": 1}]}, "
    "\"vms\": {\"edge-01\": {\"cpuCount\": 1, \"memoryInMB\": 1024, "
    "\"gpu\": null, \"running\": true}}}";

/* line 9, column 5: the `gpu` value (a mapping) */
static const char with_gpu[] =
    "apiVersion: vmrecon/v1\n"
    "kind: VirtualMachine\n"
    "metadata:\n"
    "  name: edge-01\n"
    "spec:\n"
    "  cpuCount: 2\n"
    "  restartPolicy: IfNeeded\n"
    "  gpu:\n"
    "    name: NVIDIA A2\n"
    "    passthroughType: DirectDeviceAssignment\n"
    "    count: 1\n";

#define REFUSED "spec.yaml:9:5: the sim backend does not support gpu (it " \
	"supports cpuCount and memoryInMB): leave 'gpu' out of the spec, " \
	"or use a backend that supports it"

TEST(support_diff_refuses_an_unsupported_field_at_its_position)
{
	const char *dir = unit_tmpdir();
	struct vr_driver d = no_gpu();
	struct pass p;

	pass_sim(dir, sim);
	pass_run_driver(&p, dir, &d, with_gpu, false);
	CHECK(p.rc < 0);
	CHECK_INT(p.res.exit_code, VR_EXIT_ERROR);
	CHECK_CONTAINS(p.err, REFUSED);
	CHECK_CONTAINS(p.err, "1 problem; nothing was applied");
	CHECK(!(seen_classify & VR_FIELD_BIT(VR_FIELD_GPU)));
	CHECK_INT(napply, 0);
	pass_free(&p);
}

TEST(support_apply_refuses_it_and_changes_nothing)
{
	const char *dir = unit_tmpdir();
	struct vr_driver d = no_gpu();
	char *before, *after;
	struct pass p;

	pass_sim(dir, sim);
	before = pass_sim_text(dir);
	pass_run_driver(&p, dir, &d, with_gpu, true);
	CHECK(p.rc < 0);
	CHECK_INT(p.res.exit_code, VR_EXIT_ERROR);
	CHECK_CONTAINS(p.err, REFUSED);
	CHECK_INT(napply, 0);
	CHECK(!(seen_classify & VR_FIELD_BIT(VR_FIELD_GPU)));
	after = pass_sim_text(dir);
	CHECK_STR(after, before);
	free(before);
	free(after);
	pass_free(&p);
}

/* Even a value the VM has already (no GPU, `gpu: none`): the backend
 * cannot observe the field, so "in sync" would be a guess. */
TEST(support_refuses_it_even_without_a_difference)
{
	const char *dir = unit_tmpdir();
	struct vr_driver d = no_gpu();
	struct pass p;

	pass_sim(dir, sim);
	pass_run_driver(&p, dir, &d, "apiVersion: vmrecon/v1\n"
	    "kind: VirtualMachine\nmetadata:\n  name: edge-01\nspec:\n"
	    "  gpu: none\n", false);
	CHECK_INT(p.res.exit_code, VR_EXIT_ERROR);
	CHECK_CONTAINS(p.err, "spec.yaml:6:8: the sim backend does not "
	    "support gpu");
	pass_free(&p);
}

/* What it supports goes through as before, and its record (what `get` and
 * the next pass read back) holds only the fields it supports. */
TEST(support_supported_fields_apply_and_record_only_those)
{
	const char *dir = unit_tmpdir();
	struct vr_driver d = no_gpu();
	char *path = vr_asprintf("%s/state/last-applied.json", dir), *rec = NULL;
	size_t len;
	struct pass p;

	pass_sim(dir, sim);
	pass_run_driver(&p, dir, &d, "apiVersion: vmrecon/v1\n"
	    "kind: VirtualMachine\nmetadata:\n  name: edge-01\nspec:\n"
	    "  cpuCount: 2\n  restartPolicy: IfNeeded\n", true);
	CHECK_INT(p.rc, 0);
	CHECK_INT(p.res.exit_code, VR_EXIT_OK);
	CHECK_INT(napply, 1);
	CHECK_INT(seen_apply, VR_FIELD_BIT(VR_FIELD_CPU_COUNT));
	CHECK_INT(seen_classify, VR_FIELD_BIT(VR_FIELD_CPU_COUNT));
	CHECK_INT(pass_vm_int(dir, "edge-01", "cpuCount"), 2);
	CHECK_INT(vr_file_read(&rec, &len, path, 1 << 20), 0);
	CHECK_CONTAINS(rec, "\"cpuCount\": 2");
	CHECK_CONTAINS(rec, "\"memoryInMB\": 1024");
	CHECK(rec && strstr(rec, "gpu") == NULL);
	free(rec);
	free(path);
	pass_free(&p);
}

/* The whole sim driver as it is: every reconciled field; and the names
 * of a set of fields as messages give them. */
TEST(support_fields_text)
{
	char *s;

	CHECK_INT(vr_sim_driver.fields, VR_FIELD_BIT(VR_FIELD_CPU_COUNT) |
	    VR_FIELD_BIT(VR_FIELD_MEMORY) | VR_FIELD_BIT(VR_FIELD_GPU));
	s = vr_fields_text(vr_sim_driver.fields);
	CHECK_STR(s, "cpuCount, memoryInMB and gpu");
	free(s);
	s = vr_fields_text(VR_FIELD_BIT(VR_FIELD_MEMORY));
	CHECK_STR(s, "memoryInMB");
	free(s);
	s = vr_fields_text(0);
	CHECK_STR(s, "none");
	free(s);
}
