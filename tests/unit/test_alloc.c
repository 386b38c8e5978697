/* test_alloc.c - vr_grow (schema/util/error.h): an array grown one element
 * at a time keeps every element, and is reallocated only when its count
 * reaches a power of two. */
#include <stdint.h>
#include <stdlib.h>

#include "../../schema/util/error.h"
#include "unit.h"

TEST(alloc_grow_keeps_every_element)
{
	long *v = NULL;
	size_t n, bad = 0;

	for (n = 0; n < 5000; n++) {
		v = vr_grow(v, n, sizeof(*v));
		v[n] = (long)n * 7;
	}
	for (n = 0; n < 5000; n++)
		bad += v[n] != (long)n * 7;
	CHECK_INT(bad, 0);
	free(v);
}

TEST(alloc_grow_reallocates_only_at_powers_of_two)
{
	/* a pointer no allocator gave: vr_grow must hand it back untouched
	 * wherever there is room left */
	void *fake = (void *)(uintptr_t)0x10;
	size_t n, untouched = 0;

	for (n = 3; n < 4096; n++)
		if (n & (n - 1))
			untouched += vr_grow(fake, n, 24) == fake;
	CHECK_INT(untouched, 4083); /* 3..4095 but the ten powers 4..2048 */
}
