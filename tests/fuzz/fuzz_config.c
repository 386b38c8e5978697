/*
 * fuzz_config.c - libFuzzer target: the config file of contexts
 * (vr_config_load_buffer, reconciler/cli/config.h), then its problems
 * sorted and printed, as every command does before it runs.  The input is
 * handed over exactly sized and not NUL-terminated.  Any bytes must load
 * or be rejected with at least one diagnostic (VR_EINVALID), never crash,
 * leak or take long.  Built and run by `make fuzz`.
 */
#include "../../reconciler/cli/config.h"
#include "../../schema/util/error.h"
#include "fuzz.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static FILE *devnull;
	struct vr_diags diags = VR_DIAGS_INIT;
	struct vr_config *cfg = NULL;
	char *buf = malloc(size ? size : 1), *names;
	int rc;

	if (!devnull && !(devnull = fopen("/dev/null", "w")))
		abort();
	memcpy(buf, data, size);
	rc = vr_config_load_buffer(&cfg, &diags, "fuzz.yaml", buf, size);
	if ((rc == 0) != (cfg != NULL) || (rc == 0) != (diags.n == 0) ||
	    (rc != 0 && rc != VR_EINVALID))
		abort(); /* the loader's contract, config.h */
	if (cfg && cfg->current && !vr_config_find(cfg, cfg->current))
		abort(); /* a currentContext names a context */
	names = vr_config_names(cfg);
	free(names);
	vr_diags_sort(&diags);
	vr_diags_print(&diags, devnull);
	vr_diags_free(&diags);
	vr_config_free(cfg);
	vr_error_clear();
	free(buf);
	return 0;
}
