/*
 * test_dimm.c - vr_dimm_subset, the search qemu and libvirt share for
 * which hot-plugged DIMMs free exactly the memory a plan removes.
 */
#include <stdbool.h>
#include <stdint.h>

#include "../../backends/backend.h"
#include "unit.h"

TEST(test_dimm_subset_fewest_dimms)
{
	const int64_t sizes[] = { 512, 512, 1024, 256 };
	unsigned long mask = 99;

	/* 1024 is one DIMM (index 2), not the two 512s */
	CHECK(vr_dimm_subset(&mask, sizes, 4, 1024));
	CHECK_INT(mask, 1UL << 2);
	CHECK(vr_dimm_subset(&mask, sizes, 4, 1792));
	CHECK_INT(mask, (1UL << 0) | (1UL << 2) | (1UL << 3));
	CHECK(vr_dimm_subset(&mask, sizes, 4, 2304));
	CHECK_INT(mask, 0xfUL);
}

TEST(test_dimm_subset_none_adds_up)
{
	const int64_t sizes[] = { 512, 1024 };
	unsigned long mask = 99;

	CHECK(!vr_dimm_subset(&mask, sizes, 2, 256));
	CHECK_INT(mask, 0);
	CHECK(!vr_dimm_subset(&mask, sizes, 2, 0));
	CHECK(!vr_dimm_subset(&mask, NULL, 0, 512));
}

TEST(test_dimm_subset_searches_only_the_first_twenty)
{
	int64_t sizes[VR_DIMM_SEARCH + 1];
	unsigned long mask = 0;
	size_t i;

	for (i = 0; i < VR_DIMM_SEARCH; i++)
		sizes[i] = 128;
	sizes[VR_DIMM_SEARCH] = 4096;
	/* the 21st DIMM is the only one that fits, but is not searched */
	CHECK(!vr_dimm_subset(&mask, sizes, VR_DIMM_SEARCH + 1, 4096));
	CHECK(vr_dimm_subset(&mask, sizes, VR_DIMM_SEARCH + 1, 128 * 20));
	CHECK_INT(mask, (1UL << VR_DIMM_SEARCH) - 1);
}
