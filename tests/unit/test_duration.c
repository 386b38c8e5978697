/* test_duration.c - vr_parse_duration: the grammar and its bounds. */
#include <stdio.h>
#include <string.h>

#include "../../reconciler/duration.h"
#include "../../schema/error.h"
#include "unit.h"

static long long
dur(const char *s)
{
	int64_t ms = -1;

	if (vr_parse_duration(&ms, s, "--interval") < 0)
		return -1;
	return ms;
}

TEST(duration_units)
{
	CHECK_INT(dur("500ms"), 500);
	CHECK_INT(dur("30s"), 30000);
	CHECK_INT(dur("1m"), 60000);
	CHECK_INT(dur("1h"), 3600000);
	CHECK_INT(dur("0s"), 0);
	CHECK_INT(dur("1h30m"), 5400000);
	CHECK_INT(dur("1m30s"), 90000);
	CHECK_INT(dur("2s500ms"), 2500);
	CHECK_INT(dur("1h1m1s1ms"), 3661001);
	CHECK_INT(dur("168h"), 7LL * 24 * 3600 * 1000);
}

TEST(duration_rejects)
{
	const char *bad[] = { "", "10", "s", "1", "-1s", "+1s", " 1s",
	    "1s ", "1.5s", "1d", "1S", "1sec", "1s1m", "1m1m", "1ms1s",
	    "169h", "1000000000s", "9999999999ms", "1m 30s", "0x10s",
	    "ms", "1hh", NULL };
	int64_t ms;
	size_t i;

	for (i = 0; bad[i]; i++) {
		int rc = vr_parse_duration(&ms, bad[i], "--interval");

		if (!CHECK(rc == VR_EINVALID))
			printf("    accepted '%s'\n", bad[i]);
	}
	vr_parse_duration(&ms, "10", "--interval");
	CHECK_CONTAINS(vr_error_msg(), "--interval: '10' needs a unit");
	CHECK_INT(vr_parse_duration(&ms, NULL, "--timeout"), VR_EINVALID);
}
