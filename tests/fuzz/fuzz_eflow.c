/*
 * fuzz_eflow.c - libFuzzer target: the eflow backend's parsing of what
 * PowerShell prints for its five queries (vr_eflow_parse_outputs).  The
 * input is split on FUZZ_SEP lines into the outputs of
 * Get-EflowHostConfiguration, Win32_VideoController, Win32_ComputerSystem,
 * the registry's CurrentVersion and Get-EflowVm, in that order.
 */
#include "../../backends/eflow.h"
#include "../../schema/error.h"
#include "fuzz.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *part[VR_EFLOW_NOUTPUTS];
	size_t len[VR_EFLOW_NOUTPUTS], i;
	struct vr_host host;

	fuzz_split(part, len, VR_EFLOW_NOUTPUTS, data, size);
	vr_eflow_parse_outputs(&host, (const char *const *)part, len);
	for (i = 0; i < host.ngpus; i++)
		if (!host.gpus[i].name || host.gpus[i].count < 1)
			abort();
	vr_host_clear(&host);
	fuzz_split_free(part, VR_EFLOW_NOUTPUTS);
	vr_error_clear();
	return 0;
}
