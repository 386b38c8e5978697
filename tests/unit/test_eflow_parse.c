/*
 * test_eflow_parse.c - vr_eflow_parse_observe, the seam the fuzzer uses:
 * the observe script's whole stdout (host noise, the sentinel, the result)
 * gives the host it describes, in every shape a real host may print, and
 * broken outputs are clear errors.
 */
#include <stdio.h>
#include <string.h>

#include "../../backends/eflow.h"
#include "../../backends/powershell.h"
#include "../../schema/util/error.h"
#include "unit.h"

#define SENT "\n" VR_PS_SENTINEL "\n"
#define GOOD_TAIL "\"cpuCount\":1,\"memoryMB\":1024,\"gpuCount\":0," \
	"\"vmSize\":\"Custom\",\"logicalProcessors\":128," \
	"\"freeMemoryMB\":9000,\"totalMemoryBytes\":17179869184," \
	"\"gpus\":[\"NVIDIA A2\",\"Intel(R) UHD Graphics 630\",\"NVIDIA A2\"]," \
	"\"passthroughTypes\":[\"DirectDeviceAssignment\"]," \
	"\"model\":\"OptiPlex 7090\",\"build\":\"19044\",\"ubr\":1619," \
	"\"productName\":\"Windows 10 Enterprise\",\"installationType\":null}"

static int
parse(struct vr_host *h, const char *text)
{
	return vr_eflow_parse_observe(h, text, strlen(text));
}

TEST(eflow_parse_observe_good)
{
	struct vr_host h;

	/* noise before the sentinel, CR LF, a sentinel look-alike in it */
	CHECK_INT(parse(&h, "Could not resolve virtual machine IP address at "
	    "line 3881\r\n" VR_PS_SENTINEL "x\r\n" SENT
	    "{\"name\":\"E\",\"power\":\"1\"," GOOD_TAIL "\r\n"), 0);
	CHECK_INT(h.cpus, 128);
	CHECK_INT(h.memory_mb, 16384);
	CHECK_INT(h.ngpus, 2);
	CHECK_STR(h.gpus[0].name, "NVIDIA A2");
	CHECK_INT(h.gpus[0].count, 2);
	CHECK_INT(h.gpus[0].types, VR_GPU_DDA);
	/* 19044.1619 is one update short of what passthrough needs */
	CHECK(h.gpu_blocker != NULL);
	CHECK(!h.nested);
	vr_host_clear(&h);

	/* the last sentinel counts; an OEM byte (0x84, a cp850 'ä') is
	 * replaced, not fatal; a GPU name with a newline is escaped */
	CHECK_INT(parse(&h, SENT "garbage" SENT "{\"name\":\"E\",\"power\":"
	    "\"Running\",\"cpuCount\":1,\"memoryMB\":1024,\"gpuCount\":null,"
	    "\"logicalProcessors\":2,\"freeMemoryMB\":9000,\"gpus\":"
	    "[\"Intel(R) Grafik f\x84r\\nevil: yes\"],\"model\":\"Pr\x84zision\","
	    "\"build\":\"22631\"}"), 0);
	CHECK_INT(h.ngpus, 1);
	CHECK_STR(h.gpus[0].name, "Intel(R) Grafik f\xef\xbf\xbdr\\x0aevil: yes");
	vr_host_clear(&h);
}

TEST(eflow_parse_observe_bad)
{
	static const char *bad[] = {
		"", "no sentinel at all\n{\"name\":\"E\"}",
		SENT, SENT "not json", SENT "[]", SENT "{}",
		SENT "{\"name\":\"E\",\"power\":\"1\",\"cpuCount\":\"4\"}",
		SENT "{\"name\":\"E\",\"power\":\"1\",\"cpuCount\":4.5}",
		SENT "{\"name\":\"E\\u0000x\",\"power\":\"1\"," GOOD_TAIL,
		SENT "{\"name\":\"E\\nF\",\"power\":\"1\"," GOOD_TAIL,
		SENT "{\"name\":\"E\",\"power\":null," GOOD_TAIL,
		SENT "{\"name\":\"E\",\"name\":\"F\",\"power\":\"1\"," GOOD_TAIL,
		SENT "{\"name\":\"E\",\"power\":\"1\",\"cpuCount\":1,"
		    "\"memoryMB\":1024,\"gpuCount\":99999999999999999999}",
		SENT "{\"name\":\"E\",\"power\":\"1\",\"cpuCount\":1,"
		    "\"memoryMB\":1024,\"logicalProcessors\":[64,64]}",
	};
	struct vr_host h;
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (!CHECK(parse(&h, bad[i]) == VR_EBACKEND))
			printf("    output %zu accepted\n", i);
		CHECK_INT(h.ngpus, 0);
		vr_host_clear(&h);
	}
	CHECK_INT(parse(&h, bad[1]), VR_EBACKEND);
	CHECK_CONTAINS(vr_error_msg(), "without a result; it printed: "
	    "no sentinel at all");
	CHECK_INT(parse(&h, bad[9]), VR_EBACKEND);
	CHECK_CONTAINS(vr_error_msg(), "control characters");
	vr_error_clear();
}
