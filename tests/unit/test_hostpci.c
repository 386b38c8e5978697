/*
 * test_hostpci.c - host GPU discovery on the fixture tree
 * tests/fixtures/sysfs-a2 (two NVIDIA A2s, an Intel iGPU, a bridge that is
 * no GPU and malformed entries) and pci.ids parsing, with the system's
 * pci.ids and a small hostile one.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "../../backends/hostpci.h"
#include "unit.h"

#define FIXTURE "tests/fixtures/sysfs-a2"
#define SMALL_IDS "tests/fixtures/pci.ids.small"
#define A2 "NVIDIA Corporation GA107GL [A2 / A16]"

TEST(test_hostpci_fixture_gpus)
{
	struct vr_pci_dev *v = NULL;
	size_t n = 0;

	CHECK_INT(vr_hostpci_gpus(&v, &n, FIXTURE, NULL), 0);
	/* 00:02.0, 01:00.0, 02:00.0, 05:00.0; not the bridge, not the
	 * unreadable class, not the out-of-range vendor, not "junk" */
	CHECK_INT(n, 4);
	if (n == 4) {
		CHECK_STR(v[0].addr, "0000:00:02.0");
		CHECK_STR(v[0].name,
		    "Intel Corporation TigerLake-LP GT2 [Iris Xe Graphics]");
		CHECK_STR(v[0].driver, "i915");
		CHECK_STR(v[1].addr, "0000:01:00.0");
		CHECK_STR(v[1].name, A2);
		CHECK_INT(v[1].class, 0x030200);
		CHECK_STR(v[1].driver, "vfio-pci");
		CHECK_INT(v[1].iommu_group, 12);
		CHECK_STR(v[2].name, A2);
		CHECK(v[2].driver == NULL);
		CHECK_INT(v[2].iommu_group, 13);
		CHECK_INT(v[0].iommu_group, -1);
		CHECK(vr_hostpci_find(v, n, "0000:02:00.0") == &v[2]);
		CHECK(vr_hostpci_find(v, n, "0000:09:00.0") == NULL);
	}
	vr_hostpci_free(v, n);
}

TEST(test_hostpci_group_by_name)
{
	struct vr_pci_dev *v = NULL;
	struct vr_host h = { 0 };
	size_t n = 0;
	const struct vr_host_gpu *g;

	CHECK_INT(vr_hostpci_gpus(&v, &n, FIXTURE, NULL), 0);
	vr_hostpci_to_host(&h, v, n, VR_GPU_DDA);
	CHECK_INT(h.ngpus, 3);
	g = vr_host_find_gpu(&h, A2);
	CHECK(g != NULL);
	if (g) {
		CHECK_INT(g->count, 2);
		CHECK_STR(g->addr, "0000:01:00.0");
		CHECK_INT(g->types, VR_GPU_DDA);
	}
	vr_host_clear(&h);
	vr_hostpci_free(v, n);
}

TEST(test_hostpci_no_sysfs_is_no_gpu)
{
	struct vr_pci_dev *v = (void *)1;
	size_t n = 7;

	CHECK_INT(vr_hostpci_gpus(&v, &n, "/nonexistent/sysfs", NULL), 0);
	CHECK_INT(n, 0);
	CHECK(v == NULL);
}

TEST(test_hostpci_small_ids)
{
	char *s;

	s = vr_hostpci_lookup(SMALL_IDS, 0x10de, 0x25b6);
	CHECK_STR(s, A2);
	free(s);
	s = vr_hostpci_lookup(SMALL_IDS, 0x1234, 0x1111);
	CHECK_STR(s, "Technical Corp. Emulated VGA");
	free(s);
	CHECK(vr_hostpci_lookup(SMALL_IDS, 0x10de, 0x9999) == NULL);
	CHECK(vr_hostpci_lookup(SMALL_IDS, 0x0001, 0x25b6) == NULL);
	CHECK(vr_hostpci_lookup("/nonexistent/pci.ids", 0x10de, 0x25b6) ==
	    NULL);
}

TEST(test_hostpci_unknown_ids_get_numeric_names)
{
	struct vr_pci_dev *v = NULL;
	size_t n = 0;

	CHECK_INT(vr_hostpci_gpus(&v, &n, FIXTURE, SMALL_IDS), 0);
	CHECK_INT(n, 4);
	if (n == 4) {
		CHECK_STR(v[0].name, "Device 8086:9a49");
		CHECK_STR(v[1].name, A2);
		CHECK_STR(v[3].name, "Technical Corp. Device 5678");
	}
	vr_hostpci_free(v, n);
}

TEST(test_hostpci_addr_valid)
{
	CHECK(vr_hostpci_addr_valid("0000:01:00.0"));
	CHECK(vr_hostpci_addr_valid("abcd:ef:1f.7"));
	CHECK(!vr_hostpci_addr_valid("0000:01:00.8"));
	CHECK(!vr_hostpci_addr_valid("0000:01:00"));
	CHECK(!vr_hostpci_addr_valid("0000-01:00.0"));
	CHECK(!vr_hostpci_addr_valid("0000:01:00.0,x"));
	CHECK(!vr_hostpci_addr_valid(""));
}

TEST(test_hostpci_has_iommu)
{
	const char *dir = unit_tmpdir();
	char path[512];

	CHECK(vr_hostpci_has_iommu(FIXTURE));
	/* no kernel/iommu_groups at all, an empty one, then one group */
	CHECK(!vr_hostpci_has_iommu(dir));
	snprintf(path, sizeof(path), "%s/kernel", dir);
	CHECK_INT(mkdir(path, 0755), 0);
	snprintf(path, sizeof(path), "%s/kernel/iommu_groups", dir);
	CHECK_INT(mkdir(path, 0755), 0);
	unit_write(path, ".keep", "");
	CHECK(!vr_hostpci_has_iommu(dir));
	snprintf(path, sizeof(path), "%s/kernel/iommu_groups/7", dir);
	CHECK_INT(mkdir(path, 0755), 0);
	CHECK(vr_hostpci_has_iommu(dir));
}
