/*
 * test_hyperv.c - the hyperv backend without a host: reading the observe
 * script's output in the shapes Windows PowerShell 5.1 and pwsh print,
 * refusing hostile output, naming VMs and GPUs (paths compared without
 * regard to case, friendly names, the DDA record), and Microsoft's limits.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "../../backends/backend.h"
#include "../../backends/hyperv.h"
#include "../../backends/powershell.h"
#include "../../schema/util/error.h"
#include "../../schema/util/fileio.h"
#include "drvcheck.h"
#include "unit.h"

extern const struct vr_driver vr_hyperv_driver;

#define SENT "\n" VR_PS_SENTINEL "\n"
#define PATH_A2 "\\\\\\\\?\\\\PCI#VEN_10DE&DEV_25B6&SUBSYS_157E10DE&" \
	"REV_A1#4&2A5A9F4A&0&0010#{064092b3-625e-43bf-9eb5-dc845897dd59}"
#define PATH_A2B "\\\\\\\\?\\\\PCI#VEN_10DE&DEV_25B6&SUBSYS_157E10DE&" \
	"REV_A1#4&99&0&0018#{064092b3-625e-43bf-9eb5-dc845897dd59}"
#define VMF(name, id, fields) "{\"name\":\"" name "\",\"id\":\"" id \
	"\",\"state\":\"Running\",\"dynamic\":false," fields "}"
#define STD(gen, cpus, bytes) "\"generation\":" gen ",\"cpuCount\":" cpus \
	",\"startupBytes\":" bytes
#define VM(name, id, extra) VMF(name, id, STD("2", "4", "4294967296") extra)
#define DISP(name, inst, loc) "{\"name\":\"" name "\",\"instanceId\":\"" \
	inst "\",\"present\":true,\"locationPaths\":[\"" loc "\"]}"
#define HOSTB(build) "\"logicalProcessors\":16,\"memoryBytes\":" \
	"68719476736,\"freeMemoryKB\":33554432,\"build\":\"" build "\"," \
	"\"ubr\":1742," \
	"\"productName\":\"Windows Server 2025 Datacenter\"," \
	"\"installationType\":\"Server\",\"model\":\"PowerEdge\""
#define HOST HOSTB("26100")

static int
parse(struct vr_hv_snap *s, const char *text)
{
	return vr_hyperv_parse_observe(s, text, strlen(text));
}

/* The output of the observe script as pwsh printed it against the mock
 * module, and a 5.1-shaped one. */
static int
parse_file(struct vr_hv_snap *s, const char *name)
{
	char path[256], *text = NULL;
	size_t len;
	int rc;

	snprintf(path, sizeof(path), "tests/fuzz/corpus/hyperv/%s", name);
	if (vr_file_read(&text, &len, unit_top(path), 65536) < 0)
		return -100;
	rc = vr_hyperv_parse_observe(s, text, len);
	free(text);
	return rc;
}

TEST(test_hyperv__observe_pwsh)
{
	struct vr_hv_snap s;
	struct vr_gpu g;
	struct vr_host h;
	const struct vr_hv_vm *vm;

	CHECK_INT(parse_file(&s, "mock-server-2025"), 0);
	CHECK_INT(s.nvms, 3);
	CHECK_INT(s.lps, 16);
	CHECK_INT(s.memory_mb, 65536);
	CHECK_INT(s.free_mb, 32768);
	CHECK_INT(s.build, 26100);
	CHECK(s.server);
	vm = vr_hv_find_vm(&s, "WEB01"); /* names ignore case */
	CHECK(vm != NULL);
	if (!vm)
		return;
	CHECK_INT(vm->startup_mb, 4096);
	CHECK_INT(vm->max_mb, 1048576);
	CHECK_INT(vm->demand_mb, 1500);
	CHECK_INT(vm->high_mmio_mb, 512);
	CHECK_INT(vm->guest_major, 10);
	CHECK(vr_hv_running(vm));
	/* the adapter's path is in lower case, the host's in upper case */
	vr_hv_live_gpu(&g, &s, NULL, vm, NULL);
	CHECK_STR(g.name, "NVIDIA A2");
	CHECK_INT(g.type, VR_GPU_PV);
	CHECK_INT(g.count, 1);
	vr_gpu_clear(&g);
	/* a name that cannot be a metadata.name: the VM goes by its Id */
	vm = vr_hv_find_vm(&s, "old 2012 r2");
	CHECK(vm != NULL);
	if (vm)
		CHECK_STR(vr_hv_vm_key(&s, vm),
		    "58356f03-7006-4715-9495-1b1a0517123f");
	CHECK(vr_hv_find_vm(&s, "58356F03-7006-4715-9495-1B1A0517123F") == vm);
	CHECK(!vr_hv_find_vm(&s, "nosuch"));
	CHECK_INT(vr_error_last()->code, VR_ENOTFOUND);
	memset(&h, 0, sizeof(h));
	vr_hv_host_gpus(&h, &s, NULL);
	CHECK_INT(h.ngpus, 2);
	CHECK_STR(h.gpus[0].name, "NVIDIA A2");
	CHECK_INT(h.gpus[0].types, VR_GPU_DDA | VR_GPU_PV);
	CHECK_STR(h.gpus[1].name, "NVIDIA Tesla T4");
	CHECK_INT(h.gpus[1].count, 2);
	CHECK_INT(h.gpus[1].types, VR_GPU_DDA);
	vr_host_clear(&h);
	vr_hv_snap_clear(&s);
}

TEST(test_hyperv__observe_ps51)
{
	struct vr_hv_snap s;
	struct vr_gpu g;
	struct vr_host h;

	/* one VM, one adapter, one device, one display, each unrolled from
	 * its array; < > & ' as \u00XX; nulls; CR LF; noise */
	CHECK_INT(parse_file(&s, "ps51-client-unrolled"), 0);
	CHECK_INT(s.nvms, 1);
	CHECK(!s.server);
	CHECK_STR(s.vms[0].name, "edge & lab's");
	CHECK_INT(s.vms[0].ngpup, 1);
	CHECK_INT(s.vms[0].ndda, 1);
	CHECK_INT(s.vms[0].high_mmio_mb, -1);
	CHECK_INT(s.vms[0].max_mb, 0);
	CHECK_INT(s.npgpus, 1);
	CHECK_INT(s.ndisp, 1);
	/* the client path with \GPUPARAV, compared without regard to case;
	 * the NVMe disk by DDA is not taken for a GPU */
	vr_hv_live_gpu(&g, &s, NULL, &s.vms[0], NULL);
	CHECK_STR(g.name, "Intel(R) Iris(R) Xe Graphics");
	CHECK_INT(g.type, VR_GPU_PV);
	CHECK_INT(g.count, 1);
	vr_gpu_clear(&g);
	CHECK_STR(vr_hv_vm_key(&s, &s.vms[0]),
	    "58356F03-7006-4715-9495-1B1A0517123F");
	memset(&h, 0, sizeof(h));
	vr_hv_host_gpus(&h, &s, NULL);
	CHECK(h.nested); /* Win32_ComputerSystem Model "Virtual Machine" */
	vr_host_clear(&h);
	vr_hv_snap_clear(&s);
}

/* Windows PowerShell 5.1 writes an array wrapped in a PSObject as
 * {"value": [...], "Count": N}: read as that array; a Count that does not
 * match, or another member beside them, is not such a wrapper. */
TEST(test_hyperv__observe_ps51_count_wrapper)
{
	struct vr_hv_snap s;

	CHECK_INT(parse(&s, SENT "{\"vms\":{\"value\":[" VM("web01", "1", "")
	    "," VM("db01", "2", "") "],\"Count\":2}," HOST
	    ",\"partitionableGpus\":{\"value\":[\"" PATH_A2 "\"],"
	    "\"Count\":1}}"), 0);
	CHECK_INT(s.nvms, 2);
	CHECK_INT(s.npgpus, 1);
	CHECK(vr_hv_find_vm(&s, "db01") != NULL);
	vr_hv_snap_clear(&s);
	CHECK_INT(parse(&s, SENT "{\"vms\":{\"value\":[" VM("web01", "1", "")
	    "],\"Count\":2}," HOST "}"), VR_EBACKEND);
	CHECK_INT(s.nvms, 0);
	vr_hv_snap_clear(&s);
	CHECK_INT(parse(&s, SENT "{\"vms\":{\"value\":[" VM("web01", "1", "")
	    "],\"Count\":1,\"x\":1}," HOST "}"), VR_EBACKEND);
	vr_hv_snap_clear(&s);
	vr_error_clear();
}

TEST(test_hyperv__observe_bad)
{
	static const char *bad[] = {
		"", "no sentinel\n{}", SENT "not json", SENT "[]", SENT "{}",
		/* 5.1 at its default depth writes nested objects as names */
		SENT "{\"vms\":[\"System.Collections.Hashtable\"]," HOST "}",
		SENT "{\"vms\":[" VMF("a", "1", STD("2", "\"4\"",
		    "4294967296")) "]," HOST "}",
		SENT "{\"vms\":[" VMF("a", "1", STD("2", "4", "1000")) "],"
		    HOST "}",
		SENT "{\"vms\":[" VMF("a", "1", STD("3", "4", "4294967296"))
		    "]," HOST "}",
		SENT "{\"vms\":[" VMF("a", "1", STD("2", "4",
		    "18446744073709551615")) "]," HOST "}",
		SENT "{\"vms\":[" VM("a\\nb", "1", "") "]," HOST "}",
		SENT "{\"vms\":[" VM("a", "1", "") "," VM("b", "1", "") "],"
		    HOST "}",
		SENT "{\"vms\":[" VM("a", "1", "") "," VM("1", "2", "") "],"
		    HOST "}",
		SENT "{\"vms\":[]," HOSTB("10.0") "}",
		SENT "{\"vms\":[],\"logicalProcessors\":[8,8]}",
		SENT "{\"vms\":[]," HOST ",\"displays\":[{\"name\":\"x\"}]}",
	};
	struct vr_hv_snap s;
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (!CHECK(parse(&s, bad[i]) == VR_EBACKEND))
			printf("    output %zu accepted\n", i);
		CHECK_INT(s.nvms, 0);
		vr_hv_snap_clear(&s);
	}
	CHECK_INT(parse(&s, bad[7]), VR_EBACKEND);
	CHECK_CONTAINS(vr_error_msg(), "vms[0].startupBytes: 1000 bytes is "
	    "not a whole number of MB");
	vr_error_clear();
}

TEST(test_hyperv__names)
{
	struct vr_hv_snap s;
	char *p;

	/* two VMs of one name: each goes by its Id; the name is refused
	 * with the Ids */
	CHECK_INT(parse(&s, SENT "{\"vms\":[" VM("web", "id-1", "") ","
	    VM("Web", "id-2", "") "," VM("ok", "id-3", "") "]," HOST "}"),
	    0);
	CHECK_STR(vr_hv_vm_key(&s, &s.vms[0]), "id-1");
	CHECK_STR(vr_hv_vm_key(&s, &s.vms[2]), "ok");
	CHECK(!vr_hv_find_vm(&s, "web"));
	CHECK_INT(vr_error_last()->code, VR_ECONFLICT);
	CHECK_CONTAINS(vr_error_msg(), "Ids id-1, id-2");
	CHECK(vr_hv_find_vm(&s, "ID-2") == &s.vms[1]);
	vr_hv_snap_clear(&s);
	vr_error_clear();

	p = vr_hv_path_instance("\\\\?\\PCI#VEN_10DE&DEV_25B6#4&2A&0&0010#"
	    "{064092b3-625e-43bf-9eb5-dc845897dd59}");
	CHECK_STR(p, "PCI\\VEN_10DE&DEV_25B6\\4&2A&0&0010");
	free(p);
	p = vr_hv_path_instance("\\\\?\\pci#ven_8086&dev_9a49#3&1&0&0010#"
	    "{064092b3-625e-43bf-9eb5-dc845897dd59}\\GPUPARAV");
	CHECK_STR(p, "pci\\ven_8086&dev_9a49\\3&1&0&0010");
	free(p);
	CHECK(!vr_hv_path_instance("PCI\\VEN_10DE"));
	CHECK(!vr_hv_path_instance("\\\\?\\PCI#{guid}"));
	CHECK(!vr_hv_path_instance("\\\\?\\#a#b#{guid}"));
}

TEST(test_hyperv__gpu_identity)
{
	struct vr_hv_snap s;
	struct vr_hv_map m;
	struct vr_hv_mapent e = { "PCIROOT(0)#PCI(0200)#PCI(0000)",
		"NVIDIA Tesla T4", "PCI\\VEN_10DE&DEV_1EB8\\4&11" };
	struct vr_vm_spec rec;
	struct vr_gpu g;
	size_t idx[4];
	const char *dir = unit_tmpdir();

	/* two A2s: the friendly name names both, each path one */
	CHECK_INT(parse(&s, SENT "{\"vms\":[" VM("a", "id-a",
	    ",\"gpuPartitions\":[\"" PATH_A2B "\"]") ","
	    VM("b", "id-b", ",\"assigned\":[{\"locationPath\":"
	    "\"PCIROOT(0)#PCI(0200)#PCI(0000)\",\"instanceId\":"
	    "\"PCIP\\\\VEN_10DE&DEV_1EB8\\\\4&11\"},{\"locationPath\":"
	    "\"PCIROOT(0)#PCI(0400)#PCI(0000)\",\"instanceId\":"
	    "\"PCIP\\\\VEN_10DE&DEV_1EB8\\\\4&33\"},{\"locationPath\":"
	    "\"PCIROOT(1)#PCI(0100)\",\"instanceId\":"
	    "\"PCIP\\\\VEN_144D&DEV_A808\\\\4&AB\"}]") "]," HOST
	    ",\"partitionableGpus\":[\"" PATH_A2 "\",\"" PATH_A2B "\"],"
	    "\"displays\":[" DISP("NVIDIA A2", "PCI\\\\VEN_10DE&DEV_25B6&"
	    "SUBSYS_157E10DE&REV_A1\\\\4&2A5A9F4A&0&0010", "PCIROOT(0)#A") ","
	    DISP("NVIDIA A2", "PCI\\\\VEN_10DE&DEV_25B6&SUBSYS_157E10DE&"
	    "REV_A1\\\\4&99&0&0018", "PCIROOT(0)#B") "]}"), 0);
	CHECK_INT(vr_hv_pv_candidates(&s, "NVIDIA A2", idx, 4), 2);
	CHECK_INT(vr_hv_pv_candidates(&s, "\\\\?\\pci#ven_10de&dev_25b6&"
	    "subsys_157e10de&rev_a1#4&99&0&0018#{064092b3-625e-43bf-9eb5-"
	    "dc845897dd59}", idx, 4), 1);
	CHECK_INT(idx[0], 1);
	/* a's partition: named by the host's path, the name being shared */
	vr_hv_live_gpu(&g, &s, NULL, &s.vms[0], NULL);
	CHECK_STR(g.name, s.pgpus[1]);
	vr_gpu_clear(&g);
	/* the spelling the record chose, for the same GPU */
	memset(&rec, 0, sizeof(rec));
	rec.gpu_want = VR_GPU_WANT;
	rec.gpu.type = VR_GPU_PV;
	rec.gpu.count = 1;
	rec.gpu.name = "\\\\?\\pci#VEN_10DE&DEV_25B6&SUBSYS_157E10DE&REV_A1#"
	    "4&99&0&0018#{064092b3-625e-43bf-9eb5-dc845897dd59}";
	vr_hv_live_gpu(&g, &s, NULL, &s.vms[0], &rec);
	CHECK_STR(g.name, rec.gpu.name);
	vr_gpu_clear(&g);
	/* b's devices, dismounted: unknown without the record (the NVMe
	 * disk too: none is taken for a GPU) */
	vr_hv_live_gpu(&g, &s, NULL, &s.vms[1], NULL);
	CHECK_INT(g.count, 0);
	vr_gpu_clear(&g);
	/* with the record of one: that one is a T4 */
	CHECK_INT(vr_hv_map_put(dir, &e, 1), 0);
	CHECK_INT(vr_hv_map_load(&m, dir), 0);
	CHECK_INT(m.n, 1);
	vr_hv_live_gpu(&g, &s, &m, &s.vms[1], NULL);
	CHECK_STR(g.name, "NVIDIA Tesla T4");
	CHECK_INT(g.type, VR_GPU_DDA);
	CHECK_INT(g.count, 1);
	vr_gpu_clear(&g);
	vr_hv_map_clear(&m);
	vr_hv_snap_clear(&s);

	/* a present device of the same hardware id names another */
	CHECK_INT(parse(&s, SENT "{\"vms\":[" VM("b", "id-b",
	    ",\"assigned\":{\"locationPath\":\"PCIROOT(0)#PCI(0400)\","
	    "\"instanceId\":\"PCIP\\\\VEN_10DE&DEV_1EB8&SUBSYS_1\\\\4&33\"}")
	    "]," HOST ",\"displays\":" DISP("NVIDIA Tesla T4",
	    "PCI\\\\ven_10de&dev_1eb8&subsys_1\\\\4&11", "PCIROOT(0)#PCI(02)")
	    "}"), 0);
	vr_hv_live_gpu(&g, &s, NULL, &s.vms[0], NULL);
	CHECK_STR(g.name, "NVIDIA Tesla T4");
	CHECK_INT(g.count, 1);
	vr_gpu_clear(&g);
	vr_hv_snap_clear(&s);
}

TEST(test_hyperv__map_file)
{
	struct vr_hv_map m;
	struct vr_hv_mapent e[2] = {
		{ "PCIROOT(0)#PCI(0200)", "NVIDIA Tesla T4", NULL },
		{ "pciroot(0)#pci(0200)", "NVIDIA T4 (renamed)", "PCI\\X\\1" },
	};
	const char *dir = unit_tmpdir();
	char sub[512];

	/* no state dir yet: nothing recorded, nothing created */
	snprintf(sub, sizeof(sub), "%s/state", dir);
	CHECK_INT(vr_hv_map_load(&m, sub), 0);
	CHECK_INT(m.n, 0);
	CHECK_INT(vr_hv_map_put(NULL, e, 1), VR_EINVALID);
	CHECK_INT(vr_hv_map_put(sub, e, 1), 0);
	CHECK_INT(vr_hv_map_put(sub, e + 1, 1), 0); /* the same location */
	CHECK_INT(vr_hv_map_load(&m, sub), 0);
	CHECK_INT(m.n, 1);
	CHECK_STR(m.v[0].name, "NVIDIA T4 (renamed)");
	CHECK_STR(m.v[0].instance, "PCI\\X\\1");
	vr_hv_map_clear(&m);
	/* a damaged record is an error, naming the file */
	unit_write(sub, "hyperv-devices.json", "{\"devices\":[{\"name\":\"x\","
	    "\"locationPath\":\"y\",\"extra\":1}]}");
	CHECK(vr_hv_map_load(&m, sub) < 0);
	CHECK_CONTAINS(vr_error_msg(), "hyperv-devices.json: devices[0]."
	    "extra: unknown key");
	unit_write(sub, "hyperv-devices.json", "{\"devices\":[{\"name\":"
	    "\"a\\nb\",\"locationPath\":\"y\"}]}");
	CHECK(vr_hv_map_load(&m, sub) < 0);
	vr_error_clear();
}

TEST(test_hyperv__rules)
{
	struct vr_hv_snap s;
	struct vr_hv_vm vm;
	const char *why;
	char buf[512];

	/* Microsoft, "Hyper-V maximum scale limits in Windows Server" */
	CHECK_INT(vr_hv_max_vcpus(1, 26100), 64);
	CHECK_INT(vr_hv_max_vcpus(2, 17763), 240);
	CHECK_INT(vr_hv_max_vcpus(2, 20348), 1024);
	CHECK_INT(vr_hv_max_vcpus(2, 26100), 2048);
	CHECK_INT(vr_hv_max_memory_mb(1, 26100), 1048576);
	CHECK_INT(vr_hv_max_memory_mb(2, 17763), 12582912);

	memset(&s, 0, sizeof(s));
	s.server = true;
	s.build = 20348;
	CHECK(!vr_hv_gpup_ok(&s, "NVIDIA A2", &why));
	CHECK_CONTAINS(why, "Windows Server 2025 or Azure Local");
	s.build = 26100;
	CHECK(vr_hv_gpup_ok(&s, "NVIDIA A2", &why));
	CHECK(vr_hv_gpup_ok(&s, "NVIDIA L40S", &why));
	CHECK(!vr_hv_gpup_ok(&s, "NVIDIA A100", &why));
	CHECK(!vr_hv_gpup_ok(&s, "NVIDIA Tesla T4", &why));
	CHECK(!vr_hv_gpup_ok(&s, "AMD A2", &why));
	s.server = false;
	s.build = 19041;
	CHECK(vr_hv_gpup_ok(&s, "Intel(R) Iris(R) Xe Graphics", &why));
	s.build = 18363;
	CHECK(!vr_hv_gpup_ok(&s, "Intel(R) Iris(R) Xe Graphics", &why));

	/* runtime memory resize: static memory, a 2016+ host, a Windows
	 * 10/2016+ or Linux guest, no Hyper-V inside, not below demand */
	s.build = 17763;
	memset(&vm, 0, sizeof(vm));
	vm.startup_mb = 4096;
	vm.demand_mb = 1500;
	vm.guest_os = "Windows Server 2019 Datacenter";
	vm.guest_major = 10;
	CHECK(!vr_hv_memory_not_live(&s, &vm, 8192, buf, sizeof(buf)));
	CHECK(!vr_hv_memory_not_live(&s, &vm, 2048, buf, sizeof(buf)));
	CHECK_CONTAINS(vr_hv_memory_not_live(&s, &vm, 1024, buf,
	    sizeof(buf)), "demand is 1500 MB");
	vm.guest_os = "Windows Server 2012 R2 Datacenter";
	vm.guest_major = 6;
	CHECK_CONTAINS(vr_hv_memory_not_live(&s, &vm, 8192, buf,
	    sizeof(buf)), "runs Windows Server 2012 R2");
	vm.guest_os = "Ubuntu 24.04 LTS";
	CHECK(!vr_hv_memory_not_live(&s, &vm, 8192, buf, sizeof(buf)));
	vm.guest_os = NULL;
	CHECK_CONTAINS(vr_hv_memory_not_live(&s, &vm, 8192, buf,
	    sizeof(buf)), "reports no operating system");
	vm.guest_os = "Ubuntu 24.04 LTS";
	vm.nested = true;
	CHECK_CONTAINS(vr_hv_memory_not_live(&s, &vm, 8192, buf,
	    sizeof(buf)), "Nested Virtualization");
	vm.nested = false;
	vm.dynamic = true;
	CHECK_CONTAINS(vr_hv_memory_not_live(&s, &vm, 8192, buf,
	    sizeof(buf)), "only Minimum and Maximum");
	vm.dynamic = false;
	s.build = 9600;
	CHECK_CONTAINS(vr_hv_memory_not_live(&s, &vm, 8192, buf,
	    sizeof(buf)), "Windows Server 2016");
}

/* Its fields are what its classify and apply do, asked of the driver
 * through tests/hyperv-emu/powershell (per call: the observe script is all
 * classify needs), answering from the mock module's observation. */
TEST(hyperv_fields_are_what_it_classifies_and_applies)
{
	struct vr_backend_options o = VR_BACKEND_OPTIONS_INIT;
	char *text = NULL, *target;
	const char *json;
	size_t len;

	if (!CHECK(vr_file_read(&text, &len, unit_top("tests/fuzz/corpus/"
	    "hyperv/mock-server-2025"), 65536) == 0))
		return;
	json = strchr(text, '{');
	if (!CHECK(json != NULL)) {
		free(text);
		return;
	}
	setenv("HYPERV_EMU_STATE", unit_write(unit_tmpdir(), "emu.json",
	    json), 1);
	unsetenv("HYPERV_EMU_LOG");
	free(text);
	target = vr_asprintf("per-call:%s",
	    unit_top("tests/hyperv-emu/powershell"));
	drvcheck_fields(&vr_hyperv_driver, target, &o, "web01");
	free(target);
}
