/* test_units.c - the bounded parsers of units.h: each grammar, its bounds
 * and its messages. */
#include <stdio.h>
#include <string.h>

#include "../../schema/util/units.h"
#include "../../schema/util/error.h"
#include "unit.h"

static long long
dur(const char *s)
{
	int64_t ms = -1;

	if (vr_parse_duration(&ms, s, 0, VR_DURATION_MAX_MS, "--interval") <
	    0)
		return -1;
	return ms;
}

TEST(test_units__duration_grammar)
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
	/* a bare number is seconds, as in sshd_config and curl -m */
	CHECK_INT(dur("30"), 30000);
	CHECK_INT(dur("0"), 0);
	CHECK_INT(dur("604800"), 7LL * 24 * 3600 * 1000);
}

/* systemd.time(7)'s spellings: words for units, spaces between parts */
TEST(test_units__duration_systemd_spellings)
{
	CHECK_INT(dur("10min"), 600000);
	CHECK_INT(dur("1h 30min"), 5400000);
	CHECK_INT(dur("1h30min"), 5400000);
	CHECK_INT(dur("2 h"), 7200000);
	CHECK_INT(dur("5 min 30 s"), 330000);
	CHECK_INT(dur("1hr"), 3600000);
	CHECK_INT(dur("2hours 1minute"), 7260000);
	CHECK_INT(dur("1hour 1minutes 1second"), 3661000);
	CHECK_INT(dur("3sec"), 3000);
	CHECK_INT(dur("3seconds 500msec"), 3500);
	CHECK_INT(dur("250msec"), 250);
	CHECK_INT(dur("1d"), 24LL * 3600 * 1000);
	CHECK_INT(dur("2days 12h"), 60LL * 3600 * 1000);
	CHECK_INT(dur("1w"), 7LL * 24 * 3600 * 1000);
	CHECK_INT(dur("1week"), 7LL * 24 * 3600 * 1000);
	CHECK_INT(dur("6d 23h 59min 59s"), 7LL * 24 * 3600 * 1000 - 1000);
}

TEST(test_units__duration_rejects)
{
	const char *bad[] = { "", "s", "-1s", "+1s", " 1s", "1s ", "1.5s",
	    "1D", "1S", "1Min", "1s1m", "1m1m", "1ms1s", "169h", "604801",
	    "1000000000s", "9999999999ms", "30s 1m", "0x10s", "ms", "1hh",
	    "1m30", "30 ", "-5", "1e3", "1w1d", "8d", "2w", "1min 1m",
	    "1h 30", "1 h 30", "1h\t30m", "1us", "1usec", "1M", "1month",
	    "1y", "1 ", "1h ", " ", "1h  30min", "1mins", "1hrs", "1secs", "1h,30m",
	    NULL };
	int64_t ms;
	size_t i;

	for (i = 0; bad[i]; i++) {
		int rc = vr_parse_duration(&ms, bad[i], 0, VR_DURATION_MAX_MS,
		    "--interval");

		if (!CHECK(rc == VR_EINVALID))
			printf("    accepted '%s'\n", bad[i]);
		CHECK_INT(ms, 0);
	}
	vr_parse_duration(&ms, "10x", 0, VR_DURATION_MAX_MS, "--interval");
	CHECK_CONTAINS(vr_error_msg(), "--interval: '10x' needs a unit");
	vr_parse_duration(&ms, "1m 1h", 0, VR_DURATION_MAX_MS, "--interval");
	CHECK_CONTAINS(vr_error_msg(), "puts a smaller one first");
	CHECK_INT(vr_parse_duration(&ms, NULL, 0, 1000, "--timeout"),
	    VR_EINVALID);
}

TEST(test_units__duration_bounds)
{
	int64_t ms;

	CHECK_INT(vr_parse_duration(&ms, "200ms", 200, 3600000, "--x"), 0);
	CHECK_INT(ms, 200);
	CHECK_INT(vr_parse_duration(&ms, "199ms", 200, 3600000, "--x"),
	    VR_EINVALID);
	CHECK_CONTAINS(vr_error_msg(), "--x: '199ms' is out of range, "
	    "200ms to 1h");
	CHECK_INT(vr_parse_duration(&ms, "3600", 1000, 3600000, "--x"), 0);
	CHECK_INT(vr_parse_duration(&ms, "3601", 1000, 3600000, "--x"),
	    VR_EINVALID);
	/* a maximum above the grammar's own is clamped to it */
	CHECK_INT(vr_parse_duration(&ms, "169h", 0, INT64_MAX, "--x"),
	    VR_EINVALID);
}

TEST(test_units__duration_format_round_trips)
{
	static const int64_t v[] = { 0, 1, 200, 1000, 59999, 60000, 90000,
	    3600000, 5400000, 3661001, VR_DURATION_MAX_MS };
	char buf[32];
	int64_t back;
	size_t i;

	CHECK_STR(vr_duration_format(buf, sizeof(buf), 5400000), "1h30m");
	CHECK_STR(vr_duration_format(buf, sizeof(buf), 200), "200ms");
	CHECK_STR(vr_duration_format(buf, sizeof(buf), 0), "0s");
	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		vr_duration_format(buf, sizeof(buf), v[i]);
		CHECK_INT(vr_parse_duration(&back, buf, 0, VR_DURATION_MAX_MS,
		    "--x"), 0);
		CHECK_INT(back, v[i]);
	}
}

TEST(test_units__size)
{
	const char *bad[] = { "", "B", "1.5MiB", "-1", "+1", "1 MiB", "1MB",
	    "1mib", "1K", "1KB", "1iB", "0x10", "1MiB ", "1234567890123456",
	    "2MiB", "1TiB", NULL };
	int64_t v;
	size_t i;

	CHECK_INT(vr_parse_size(&v, "4096", 0, 1 << 20, "--max"), 0);
	CHECK_INT(v, 4096);
	CHECK_INT(vr_parse_size(&v, "7B", 0, 1 << 20, "--max"), 0);
	CHECK_INT(v, 7);
	CHECK_INT(vr_parse_size(&v, "512KiB", 0, 1 << 20, "--max"), 0);
	CHECK_INT(v, 512 * 1024);
	CHECK_INT(vr_parse_size(&v, "1MiB", 0, 1 << 20, "--max"), 0);
	CHECK_INT(v, 1 << 20);
	CHECK_INT(vr_parse_size(&v, "2GiB", 0, INT64_MAX, "--max"), 0);
	CHECK_INT(v, 2LL << 30);
	CHECK_INT(vr_parse_size(&v, "999999999999999TiB", 0, INT64_MAX,
	    "--max"), VR_EINVALID); /* would overflow */
	for (i = 0; bad[i]; i++) {
		int rc = vr_parse_size(&v, bad[i], 0, 1 << 20, "--max");

		if (!CHECK(rc == VR_EINVALID))
			printf("    accepted '%s'\n", bad[i]);
	}
	vr_parse_size(&v, "2MiB", 1, 1 << 20, "--max");
	CHECK_CONTAINS(vr_error_msg(), "--max: '2MiB' is out of range, 1 to "
	    "1048576 bytes");
	vr_parse_size(&v, "1MB", 1, 1 << 20, "--max");
	CHECK_CONTAINS(vr_error_msg(), "unknown unit");
}

TEST(test_units__count)
{
	const char *bad[] = { "", "-1", "+1", "01", "00", "1.0", "1e3",
	    "0x10", " 1", "1 ", "1k", "1234567890123456789", "65", NULL };
	int64_t v;
	size_t i;

	CHECK_INT(vr_parse_count(&v, "0", 0, 64, "--jobs"), 0);
	CHECK_INT(v, 0);
	CHECK_INT(vr_parse_count(&v, "64", 0, 64, "--jobs"), 0);
	CHECK_INT(v, 64);
	CHECK_INT(vr_parse_count(&v, "999999999999999999", 0, INT64_MAX,
	    "--jobs"), 0);
	for (i = 0; bad[i]; i++) {
		int rc = vr_parse_count(&v, bad[i], 0, 64, "--jobs");

		if (!CHECK(rc == VR_EINVALID))
			printf("    accepted '%s'\n", bad[i]);
	}
	vr_parse_count(&v, "0", 1, 64, "--jobs");
	CHECK_CONTAINS(vr_error_msg(), "--jobs: '0' is out of range, 1 to 64");
}
