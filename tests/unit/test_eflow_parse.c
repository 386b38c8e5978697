/*
 * test_eflow_parse.c - vr_eflow_parse_outputs, the seam the fuzzer uses:
 * the emulator's outputs give the host it describes, and broken outputs
 * are errors that still leave a host to clear.
 */
#include <string.h>

#include "../../backends/eflow.h"
#include "../../schema/error.h"
#include "unit.h"

static const char *const good[VR_EFLOW_NOUTPUTS] = {
	"{\"FreePhysicalMemoryInMB\":14336,\"NumberOfLogicalProcessors\":8}",
	"[{\"Name\":\"NVIDIA A2\"},{\"Name\":\"Intel(R) UHD Graphics 630\"},"
	    "{\"Caption\":\"NVIDIA A2\"}]",
	"{\"Model\":\"OptiPlex 7090\",\"TotalPhysicalMemory\":17179869184}",
	"{\"CurrentBuildNumber\":\"19044\",\"UBR\":1619,"
	    "\"ProductName\":\"Windows 10 Enterprise\"}",
	"\xef\xbb\xbf{\"VmConfiguration\":{\"name\":\"E\",\"properties\":"
	    "{\"hardwareProfile\":{\"customsize\":{\"cpucount\":1,"
	    "\"gpucount\":0,\"memorymb\":1024}}}},\"VmPowerState\":2}",
};

static void
lens(size_t len[VR_EFLOW_NOUTPUTS], const char *const text[])
{
	int i;

	for (i = 0; i < VR_EFLOW_NOUTPUTS; i++)
		len[i] = text[i] ? strlen(text[i]) : 0;
}

TEST(eflow_parse_outputs_good)
{
	struct vr_host h;
	size_t len[VR_EFLOW_NOUTPUTS];

	lens(len, good);
	CHECK_INT(vr_eflow_parse_outputs(&h, good, len), 0);
	CHECK_INT(h.cpus, 8);
	CHECK_INT(h.memory_mb, 16384);
	CHECK_INT(h.ngpus, 2);
	CHECK_STR(h.gpus[0].name, "NVIDIA A2");
	CHECK_INT(h.gpus[0].count, 2);
	CHECK_INT(h.gpus[0].types, VR_GPU_DDA);
	/* 19044.1619 is one update short of what passthrough needs */
	CHECK(h.gpu_blocker != NULL);
	CHECK(!h.nested);
	vr_host_clear(&h);
}

TEST(eflow_parse_outputs_bad)
{
	const char *text[VR_EFLOW_NOUTPUTS] = { "{\"NumberOfLogical",
		"", "{}", "{\"CurrentBuildNumber\":\"-1\"}", "null" };
	struct vr_host h;
	size_t len[VR_EFLOW_NOUTPUTS];

	lens(len, text);
	CHECK_INT(vr_eflow_parse_outputs(&h, text, len), VR_EBACKEND);
	CHECK_CONTAINS(vr_error_msg(), "printed no valid JSON");
	CHECK_INT(h.ngpus, 0);
	vr_host_clear(&h);
	vr_error_clear();
}
