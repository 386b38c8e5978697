/*
 * fuzz_hyperv.c - libFuzzer target: the hyperv backend's reading of what
 * its observe script prints (vr_hyperv_parse_observe: host noise, the
 * sentinel line, the JSON result), then everything derived from it
 * without a host: each VM found by its key, its GPU named, the host's GPU
 * list.  The input is that whole stdout.
 */
#include <stdlib.h>
#include <string.h>

#include "../../backends/hyperv.h"
#include "../../schema/util/error.h"
#include "fuzz.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct vr_hv_snap s;
	struct vr_host h;
	struct vr_gpu g;
	size_t i;

	if (vr_hyperv_parse_observe(&s, (const char *)data, size) < 0) {
		vr_error_clear();
		return 0;
	}
	for (i = 0; i < s.nvms; i++) {
		const char *key = vr_hv_vm_key(&s, &s.vms[i]);

		/* a VM's key always finds that very VM */
		if (vr_hv_find_vm(&s, key) != &s.vms[i])
			abort();
		vr_hv_live_gpu(&g, &s, NULL, &s.vms[i], NULL);
		if (g.count < 0 || (g.name && strchr(g.name, '\n')))
			abort();
		vr_gpu_clear(&g);
	}
	memset(&h, 0, sizeof(h));
	vr_hv_host_gpus(&h, &s, NULL);
	for (i = 0; i < h.ngpus; i++)
		if (!h.gpus[i].name || !h.gpus[i].types ||
		    strchr(h.gpus[i].name, '\n'))
			abort();
	vr_host_clear(&h);
	vr_hv_snap_clear(&s);
	vr_error_clear();
	return 0;
}
