/*
 * fuzz_sim.c - libFuzzer target: the sim backend's JSON file.  The input
 * is written as the file, then the backend is opened on it and asked for
 * the host, the VM list and each VM (at most 8); the first VM that
 * observes fine gets an apply (2 CPUs, 2048 MB, one NVIDIA A2 by DDA),
 * and when that succeeds the file must read back with exactly those
 * values once the pass is flushed.
 */
#include "../../backends/backend.h"
#include "../../reconciler/engine/plan.h"
#include "../../schema/util/error.h"
#include "fuzz.h"

static void
apply_one(struct vr_backend *b, const struct vr_vm_live *live)
{
	struct vr_vm_spec spec = { 0 };
	struct vr_change ch[VR_FIELD__COUNT];
	struct vr_apply_request req = { 0 };
	struct vr_vm_live after = { 0 };
	size_t i, n;

	memset(ch, 0, sizeof(ch));
	spec.name = live->name;
	spec.has_cpu_count = true;
	spec.cpu_count = 2;
	spec.has_memory = true;
	spec.memory_mb = 2048;
	spec.gpu_want = VR_GPU_WANT;
	spec.gpu.name = "NVIDIA A2";
	spec.gpu.type = VR_GPU_DDA;
	spec.gpu.count = 1;
	n = vr_changes_compute(ch, &spec, live);
	for (i = 0; i < n; i++)
		if (vr_backend_classify(b, live, &ch[i]) < 0)
			goto out;
	req.spec = &spec;
	req.live = live;
	req.changes = ch;
	req.nchanges = n;
	req.may_restart = true;
	if (vr_backend_apply(b, &req) < 0 || vr_backend_flush(b) < 0)
		goto out;
	/* flushed: the observe below reads the file written */
	if (vr_backend_observe(b, live->name, NULL, &after) < 0 ||
	    after.cpu_count != 2 || after.memory_mb != 2048 ||
	    after.gpu.count != 1 || after.gpu.type != VR_GPU_DDA ||
	    strcmp(after.gpu.name, "NVIDIA A2") != 0)
		abort(); /* applied, yet the file says otherwise */
out:
	vr_vm_live_clear(&after);
	for (i = 0; i < n; i++)
		vr_change_clear(&ch[i]);
	vr_error_clear();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct vr_backend_options opts = VR_BACKEND_OPTIONS_INIT;
	struct vr_backend *b = NULL;
	struct vr_host host = { 0 };
	char target[128], **names = NULL;
	size_t i, n = 0;
	bool applied = false;

	fuzz_put("sim.json", data, size);
	snprintf(target, sizeof(target), "sim:%s/sim.json", fuzz_dir());
	if (vr_backend_open(&b, target, &opts) < 0)
		goto out;
	if (vr_backend_host(b, &host) < 0 ||
	    vr_backend_list(b, &names, &n) < 0)
		goto out;
	for (i = 0; i < n && i < 8; i++) {
		struct vr_vm_live live = { 0 };

		if (vr_backend_observe(b, names[i], NULL, &live) == 0 &&
		    !applied) {
			apply_one(b, &live);
			applied = true;
		}
		vr_vm_live_clear(&live);
		vr_error_clear();
	}
out:
	vr_strv_free(names, n);
	vr_host_clear(&host);
	vr_backend_free(b);
	vr_error_clear();
	return 0;
}
