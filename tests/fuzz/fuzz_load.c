/*
 * fuzz_load.c - libFuzzer target: the desired-state YAML loader and its
 * checks (vr_spec_load_buffer), then the problem list sorted and printed,
 * as `vmrecon validate` does.  The input is handed over exactly sized and
 * not NUL-terminated, so a read past its end is caught.  Any bytes must
 * load or be rejected with at least one diagnostic (VR_EINVALID), never
 * crash, leak or take long.  Built and run by `make fuzz`.
 */
#include "../../schema/util/error.h"
#include "../../schema/load.h"
#include "fuzz.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static FILE *devnull;
	struct vr_diags diags = VR_DIAGS_INIT;
	struct vr_spec *spec = NULL;
	char *buf = malloc(size ? size : 1);
	int rc;

	if (!devnull && !(devnull = fopen("/dev/null", "w")))
		abort();
	memcpy(buf, data, size);
	rc = vr_spec_load_buffer(&spec, &diags, "fuzz.yaml", buf, size);
	if ((rc == 0) != (spec != NULL) || (rc == 0) != (diags.n == 0) ||
	    (rc != 0 && rc != VR_EINVALID))
		abort(); /* the loader's contract, load.h */
	vr_diags_sort(&diags);
	vr_diags_print(&diags, devnull);
	vr_diags_free(&diags);
	vr_spec_free(spec);
	vr_error_clear();
	free(buf);
	return 0;
}
