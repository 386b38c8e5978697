/*
 * hyperv_rules.c - what Microsoft's documentation says a Hyper-V host
 * allows, as data and small predicates, each with its source:
 *  [SCALE] "Hyper-V maximum scale limits in Windows Server" (Microsoft
 *          Learn, 2025-10: a table per host version);
 *  [NEW]   "What's new in Hyper-V on Windows Server" (Microsoft Learn, "Hot
 *          add and remove for network adapters and memory");
 *  [FC]    "Hyper-V feature compatibility by generation and guest"
 *          (Microsoft Learn);
 *  [LX]    "Feature Descriptions for Linux and FreeBSD virtual machines on
 *          Hyper-V" (Microsoft Learn, Memory);
 *  [NV]    "What is Nested Virtualization?" (Microsoft Learn, "Dynamic
 *          Memory and Runtime Memory Resize");
 *  [GP]    "GPU partitioning" (Microsoft Learn: Windows Server 2025 or
 *          Azure Local; the supported GPUs);
 *  [EGP]   Easy-GPU-PV (jamesstringerparsec/Easy-GPU-PV README): GPU-PV on
 *          Windows 10 20H1 (build 19041) and later, Windows 11.
 * The guide, backends/hyperv.md, shows what they lead to.
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "hyperv.h"

/* Windows builds: Server 2016 / Windows 10 1607, Server 2022, Server 2025
 * (and Windows 11 24H2); Windows 10 20H1. */
#define BUILD_2016 14393
#define BUILD_2022 20348
#define BUILD_2025 26100
#define BUILD_20H1 19041

/*
 * [SCALE], "Maximums for Hyper-V virtual machines": virtual processors
 * 2,048 (generation 2) on a Windows Server 2025 host, 1,024 on 2022, 240
 * on 2019 and 2016; 64 for generation 1 on all.  Memory: 240 TB
 * (generation 2) on 2025 and 2022, 12 TB on 2019 and 2016; 1 TB for
 * generation 1.  The tables list Windows Server hosts; a Windows 10/11
 * host is taken by the Server release of its build (inferred).
 */
int
vr_hv_max_vcpus(int generation, long build)
{
	if (generation == 1)
		return 64;
	if (build >= BUILD_2025)
		return 2048;
	if (build >= BUILD_2022)
		return 1024;
	return 240;
}

int64_t
vr_hv_max_memory_mb(int generation, long build)
{
	if (generation == 1)
		return INT64_C(1) << 20;          /* 1 TB */
	if (build >= BUILD_2022)
		return INT64_C(240) << 20;        /* 240 TB */
	return INT64_C(12) << 20;                 /* 12 TB */
}

/* [GP], Requirements: "NVIDIA A2, A10, A16, A40, L2, L4, L40, L40S"
 * (the 2023 version listed the first four). */
static const char *const gpup_models[] = {
	"A2", "A10", "A16", "A40", "L2", "L4", "L40", "L40S", NULL,
};

/* The next word of s (letters and digits) at *p: its start, *len. */
static const char *
next_word(const char **p, size_t *len)
{
	const char *s = *p, *w;

	while (*s && !((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
	    (*s >= '0' && *s <= '9')))
		s++;
	w = s;
	while ((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
	    (*s >= '0' && *s <= '9'))
		s++;
	*p = s;
	*len = (size_t)(s - w);
	return *len ? w : NULL;
}

/* An NVIDIA GPU of a model [GP] lists ("NVIDIA A2", "NVIDIA L40S"). */
static bool
gpup_model(const char *name)
{
	const char *p = name, *w;
	size_t len, i;

	w = next_word(&p, &len);
	if (!w || len != 6 || strncasecmp(w, "NVIDIA", 6) != 0)
		return false;
	while ((w = next_word(&p, &len)))
		for (i = 0; gpup_models[i]; i++)
			if (strlen(gpup_models[i]) == len &&
			    strncasecmp(w, gpup_models[i], len) == 0)
				return true;
	return false;
}

bool
vr_hv_gpup_ok(const struct vr_hv_snap *s, const char *gpu_name,
    const char **why)
{
	bool azure_local = s->product && (strstr(s->product, "Azure Stack "
	    "HCI") || strstr(s->product, "Azure Local"));

	*why = NULL;
	if (!s->server) {
		if (s->build >= BUILD_20H1)
			return true;
		*why = "GPU partitioning (GPU-PV) on Windows 10/11 needs build "
		    "19041 (20H1) or later (Easy-GPU-PV)";
		return false;
	}
	if (s->build < BUILD_2025 && !azure_local) {
		*why = "GPU partitioning on Windows Server needs Windows Server "
		    "2025 or Azure Local (Microsoft, \"GPU partitioning\")";
		return false;
	}
	if (!gpu_name || !gpup_model(gpu_name)) {
		*why = "Microsoft supports GPU partitioning on Windows Server "
		    "and Azure Local only with NVIDIA A2, A10, A16, A40, L2, "
		    "L4, L40 and L40S (\"GPU partitioning\", Requirements)";
		return false;
	}
	return true;
}

/* A Windows guest by its KVP OSName ("Windows Server 2022 Datacenter"). */
static bool
windows_guest(const char *os)
{
	return strstr(os, "Windows") != NULL;
}

const char *
vr_hv_memory_not_live(const struct vr_hv_snap *s, const struct vr_hv_vm *vm,
    int64_t to_mb, char *buf, size_t bufsz)
{
	if (vm->dynamic)
		return "with Dynamic Memory on, only Minimum and Maximum change "
		    "while the VM runs, and memoryInMB is its Startup memory "
		    "(Microsoft, Feature Descriptions for Linux and FreeBSD "
		    "virtual machines on Hyper-V: \"only the Minimum and "
		    "Maximum settings can be changed\")";
	if (vm->nested)
		return "the VM exposes virtualization extensions, and while "
		    "Hyper-V runs inside it, its memory changes only while it "
		    "is off (Microsoft, \"What is Nested Virtualization?\"); "
		    "vmrecon cannot see whether it runs Hyper-V";
	if (s->build < BUILD_2016)
		return "runtime memory resize needs a Windows Server 2016 or "
		    "Windows 10 host (Microsoft, \"What's new in Hyper-V on "
		    "Windows Server\")";
	if (!vm->guest_os)
		return "the guest reports no operating system through "
		    "integration services (KVP), so vmrecon cannot tell "
		    "whether it supports runtime memory resize";
	if (windows_guest(vm->guest_os) && vm->guest_major < 10) {
		snprintf(buf, bufsz, "the guest runs %s, and runtime memory "
		    "resize (hot add/removal of memory) needs Windows Server "
		    "2016 or Windows 10 in the guest (Microsoft, \"Hyper-V "
		    "feature compatibility by generation and guest\")",
		    vm->guest_os);
		return buf;
	}
	if (to_mb < vm->startup_mb && vm->demand_mb > 0 &&
	    to_mb < vm->demand_mb) {
		snprintf(buf, bufsz, "the guest's memory demand is %lld MB, "
		    "and a running VM's memory cannot be reduced below its "
		    "demand plus the balloon driver's floor (Microsoft, "
		    "Feature Descriptions for Linux and FreeBSD virtual "
		    "machines on Hyper-V, Runtime Memory Resize)",
		    (long long)vm->demand_mb);
		return buf;
	}
	return NULL;
}
