/*
 * fuzz_eflow.c - libFuzzer target: the eflow backend's parsing of what the
 * observe script prints (vr_eflow_parse_observe): host noise, the sentinel
 * line, the normalized JSON result.  The input is that whole stdout.
 */
#include <stdlib.h>
#include <string.h>

#include "../../backends/eflow.h"
#include "../../schema/util/error.h"
#include "fuzz.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct vr_host host;
	size_t i;

	vr_eflow_parse_observe(&host, (const char *)data, size);
	for (i = 0; i < host.ngpus; i++)
		if (!host.gpus[i].name || host.gpus[i].count < 1 ||
		    strchr(host.gpus[i].name, '\n'))
			abort();
	vr_host_clear(&host);
	vr_error_clear();
	return 0;
}
