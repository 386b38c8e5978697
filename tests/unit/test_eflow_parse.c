/*
 * test_eflow_parse.c - vr_eflow_parse_observe, the seam the fuzzer uses:
 * the observe script's whole stdout (host noise, the sentinel, the result)
 * gives the host it describes, in every shape a real host may print, and
 * broken outputs are clear errors; and the table of hypervisors a Windows
 * host may run in (eflow_nested.c), row by row.
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

/* EFLOW 1.1 of 2021-07 (Azure/iotedge-eflow #49): no VmPowerState.  One
 * message, naming what the host runs and what vmrecon supports. */
TEST(eflow_parse_observe_too_old)
{
	struct vr_host h;

	CHECK_INT(parse(&h, SENT "{\"name\":\"E\",\"power\":null,"
	    "\"eflowVersion\":\"1.1.2106.1\",\"edgeVersion\":\"1.1.3\","
	    GOOD_TAIL), VR_EBACKEND);
	CHECK_CONTAINS(vr_error_msg(), "this host's EFLOW (AzureEFLOW module "
	    "1.1.2106.1, IoT Edge 1.1.3) is older than vmrecon supports");
	CHECK_CONTAINS(vr_error_msg(), "no VmPowerState");
	CHECK_CONTAINS(vr_error_msg(), "vmrecon supports EFLOW 1.1.2110 and "
	    "later");
	CHECK_INT(h.ngpus, 0);
	/* no version to be had: said so, still one message */
	CHECK_INT(parse(&h, SENT "{\"name\":\"E\"," GOOD_TAIL),
	    VR_EBACKEND);
	CHECK_CONTAINS(vr_error_msg(), "(AzureEFLOW module of unknown "
	    "version, IoT Edge unknown)");
	vr_error_clear();
}

/* Each row of eflow_nested.c, by the strings its source gives, and the
 * look-alikes that are no VM. */
TEST(eflow_nested_table)
{
	static const struct {
		struct vr_eflow_dmi d;
		const char *hv; /* NULL: bare metal */
	} cases[] = {
		/* VMware (KB 1009458; #122, #126) */
		{ { "VMware, Inc.", "VMware Virtual Platform",
		    "Phoenix Technologies LTD", "440BX Desktop Reference "
		    "Platform" }, "VMware" },
		{ { "VMware, Inc.", "VMware7,1", "VMware, Inc.", "440BX "
		    "Desktop Reference Platform" }, "VMware" },
		/* VirtualBox's defaults */
		{ { "innotek GmbH", "VirtualBox", "innotek GmbH",
		    "VirtualBox" }, "VirtualBox" },
		/* QEMU's x86 machines, Red Hat KVM, OpenStack, Bochs */
		{ { "QEMU", "Standard PC (Q35 + ICH9, 2009)", "SeaBIOS",
		    NULL }, "KVM/QEMU" },
		{ { "Red Hat", "KVM", "SeaBIOS", NULL }, "KVM/QEMU" },
		{ { "OpenStack Foundation", "OpenStack Nova", "SeaBIOS",
		    NULL }, "KVM/QEMU" },
		{ { "Bochs", "Bochs", "Bochs", NULL }, "KVM/QEMU" },
		/* Xen's hvmloader */
		{ { "Xen", "HVM domU", "Xen", NULL }, "Xen" },
		/* Parallels */
		{ { "Parallels Software International Inc.", "Parallels "
		    "Virtual Platform", "Parallels Software International "
		    "Inc.", "Parallels Virtual Platform" }, "Parallels" },
		/* Hyper-V and Azure */
		{ { "Microsoft Corporation", "Virtual Machine", "Microsoft "
		    "Corporation", "Virtual Machine" }, "Hyper-V" },
		{ { "Contoso", "Custom", "American Megatrends Inc.",
		    "Virtual Machine" }, "Hyper-V" },
		/* AWS EC2 (a virtualized instance type), GCE */
		{ { "Amazon EC2", "t3.large", "Amazon EC2", NULL },
		    "Amazon EC2" },
		{ { "Google", "Google Compute Engine", "Google",
		    "Google Compute Engine" }, "Google Compute Engine" },
		/* bare metal, Hyper-V root partitions included */
		{ { "Dell Inc.", "OptiPlex 7090", "Dell Inc.", "0J37VM" },
		    NULL },
		{ { "Microsoft Corporation", "Surface Laptop Studio",
		    "Microsoft Corporation", "Surface Laptop Studio" }, NULL },
		{ { "Amazon EC2", "m5.metal", "Amazon EC2", NULL }, NULL },
		{ { "Xenon Systems Pty Ltd", "NITRO A6", "American "
		    "Megatrends Inc.", NULL }, NULL },
		{ { "Google", "Eve", "coreboot", "Eve" }, NULL },
		{ { "Oracle Corporation", "ORACLE SERVER X8-2", "American "
		    "Megatrends Inc.", "ASM,MTHRBD,1U" }, NULL },
		{ { NULL, NULL, NULL, NULL }, NULL },
	};
	const char *field, *value, *hv;
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		field = value = NULL;
		hv = vr_eflow_nested(&cases[i].d, &field, &value);
		if (!CHECK((hv == NULL) == (cases[i].hv == NULL)) ||
		    (hv && !CHECK(strcmp(hv, cases[i].hv) == 0)))
			printf("    case %zu (%s / %s): got %s\n", i,
			    cases[i].d.manufacturer ? cases[i].d.manufacturer :
			    "-", cases[i].d.model ? cases[i].d.model : "-",
			    hv ? hv : "bare metal");
		if (hv)
			CHECK(field && value && strncmp(field, "Win32_", 6) ==
			    0);
	}
}
