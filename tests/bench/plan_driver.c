/*
 * plan_driver.c - vmrecon's parse + check + plan of a desired-state file,
 * in one process and without a backend, for `make bench` rows 2 and 6:
 * the file is loaded with every check (vr_spec_load_file) and each VM's
 * changes are computed (vr_changes_compute) against a live state held in
 * memory (1 CPU, 1024 MB, no GPU, as a fresh EFLOW VM).  What it leaves
 * out is a backend's observe and classify, which `vmrecon diff` adds.
 *
 *   plan_driver FILE
 *
 * Prints "N VMs, N changes WALL CPU": the seconds from reading the file to
 * the last change computed, timed inside the process as yaml_events is.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "../../reconciler/engine/plan.h"
#include "../../schema/diag.h"
#include "../../schema/util/error.h"
#include "../../schema/load.h"

static double
now(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int
main(int argc, char **argv)
{
	struct vr_diags diags = VR_DIAGS_INIT;
	struct vr_change ch[VR_FIELD__COUNT];
	struct vr_spec *spec = NULL;
	struct vr_vm_live live;
	size_t i, j, n, changes = 0;
	int rc = 1;
	double w0, c0;

	if (argc != 2) {
		fprintf(stderr, "usage: plan_driver FILE\n");
		return 2;
	}
	w0 = now(CLOCK_MONOTONIC);
	c0 = now(CLOCK_PROCESS_CPUTIME_ID);
	if (vr_spec_load_file(&spec, &diags, argv[1]) < 0) {
		if (diags.n > 0)
			vr_diags_print(&diags, stderr);
		else
			fprintf(stderr, "plan_driver: %s\n", vr_error_msg());
		goto out;
	}
	memset(&live, 0, sizeof(live));
	live.running = true;
	live.cpu_count = 1;
	live.memory_mb = 1024;
	for (i = 0; i < spec->nvms; i++) {
		live.name = spec->vms[i].name;
		n = vr_changes_compute(ch, &spec->vms[i], &live);
		for (j = 0; j < n; j++)
			vr_change_clear(&ch[j]);
		changes += n;
	}
	printf("%zu VMs, %zu changes %.9f %.9f\n", spec->nvms, changes,
	    now(CLOCK_MONOTONIC) - w0, now(CLOCK_PROCESS_CPUTIME_ID) - c0);
	rc = 0;
out:
	vr_spec_free(spec);
	vr_diags_free(&diags);
	return rc;
}
