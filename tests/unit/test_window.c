/* test_window.c - restart windows (schema/window.h) and the zone queries
 * under them (schema/util/zone.h): parsers and their messages, DST in
 * Europe/Berlin, midnight, several windows, weekdays in the window's zone. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../schema/util/error.h"
#include "../../schema/util/zone.h"
#include "../../schema/load.h"
#include "../../schema/window.h"
#include "unit.h"

/* seconds since the epoch of a UTC date and time */
static int64_t
utc(int y, int mo, int d, int h, int mi)
{
	return vr_civil_days(y, mo, d) * 86400 + h * 3600 + mi * 60;
}

static struct vr_window
win(unsigned days, const char *start, const char *dur, const char *zone)
{
	struct vr_window w;

	memset(&w, 0, sizeof(w));
	w.days = days;
	vr_window_parse_start(&w.start_min, start);
	vr_window_parse_duration(&w.duration_s, dur, "duration");
	snprintf(w.zone, sizeof(w.zone), "%s", zone);
	return w;
}

#define SUN (1u << 0)
#define MON (1u << 1)
#define SAT (1u << 6)

TEST(test_window__parse_days_and_start)
{
	unsigned bit;
	int min;

	CHECK_INT(vr_window_parse_day(&bit, "Sat"), 0);
	CHECK_INT(bit, SAT);
	CHECK_INT(vr_window_parse_day(&bit, "Sun"), 0);
	CHECK_INT(bit, SUN);
	CHECK_INT(vr_window_parse_day(&bit, "Mon"), 0);
	CHECK_INT(bit, MON);
	CHECK_INT(vr_window_parse_day(&bit, "sun"), VR_EINVALID);
	CHECK_INT(vr_window_parse_day(&bit, "Sunday"), VR_EINVALID);
	CHECK_INT(vr_window_parse_day(&bit, "Sa"), VR_EINVALID);
	CHECK_CONTAINS(vr_error_msg(), "'Sa' is not a day");
	CHECK_INT(vr_window_parse_day(&bit, "Satu"), VR_EINVALID);
	CHECK_INT(vr_window_parse_day(&bit, ""), VR_EINVALID);

	CHECK_INT(vr_window_parse_start(&min, "02:00"), 0);
	CHECK_INT(min, 120);
	CHECK_INT(vr_window_parse_start(&min, "23:59"), 0);
	CHECK_INT(min, 1439);
	CHECK_INT(vr_window_parse_start(&min, "00:00"), 0);
	CHECK_INT(min, 0);
	CHECK_INT(vr_window_parse_start(&min, "24:00"), VR_EINVALID);
	CHECK_CONTAINS(vr_error_msg(), "00:00 to 23:59");
	CHECK_INT(vr_window_parse_start(&min, "2:00"), VR_EINVALID);
	CHECK_CONTAINS(vr_error_msg(), "HH:MM");
	CHECK_INT(vr_window_parse_start(&min, "02:60"), VR_EINVALID);
	CHECK_INT(vr_window_parse_start(&min, "02-00"), VR_EINVALID);
	CHECK_INT(vr_window_parse_start(&min, "02:00 "), VR_EINVALID);
}

TEST(test_window__parse_duration)
{
	int64_t s;

	CHECK_INT(vr_window_parse_duration(&s, "3h", "duration"), 0);
	CHECK_INT(s, 3 * 3600);
	CHECK_INT(vr_window_parse_duration(&s, "1h30m", "duration"), 0);
	CHECK_INT(s, 5400);
	CHECK_INT(vr_window_parse_duration(&s, "168h", "duration"), 0);
	CHECK_INT(s, 7 * 86400);
	CHECK_INT(vr_window_parse_duration(&s, "1m", "duration"), 0);
	CHECK_INT(s, 60);
	CHECK_INT(vr_window_parse_duration(&s, "169h", "duration"), VR_EINVALID);
	CHECK_CONTAINS(vr_error_msg(), "duration");
	CHECK_INT(vr_window_parse_duration(&s, "59s", "duration"), VR_EINVALID);
	CHECK_INT(vr_window_parse_duration(&s, "1m500ms", "duration"), VR_EINVALID);
	CHECK_CONTAINS(vr_error_msg(), "whole number of seconds");
	CHECK_INT(vr_window_parse_duration(&s, "1month", "duration"),
	    VR_EINVALID);
	CHECK_INT(s, 0);
	/* systemd's spellings (units.h) */
	CHECK_INT(vr_window_parse_duration(&s, "1d", "duration"), 0);
	CHECK_INT(s, 86400);
	CHECK_INT(vr_window_parse_duration(&s, "2h 30min", "duration"), 0);
	CHECK_INT(s, 9000);
}

TEST(test_window__zones)
{
	char z[VR_ZONE_NAME_MAX];
	const char *tz = getenv("TZ");
	char *before = tz ? strdup(tz) : NULL;

	CHECK_INT(vr_window_parse_zone(z, sizeof(z), "UTC"), 0);
	CHECK_INT(vr_window_parse_zone(z, sizeof(z), "Europe/Berlin"), 0);
	CHECK_STR(z, "Europe/Berlin");
	CHECK_INT(vr_window_parse_zone(z, sizeof(z), "Europe/Berln"),
	    VR_EINVALID);
	CHECK_CONTAINS(vr_error_msg(), "unknown time zone 'Europe/Berln'");
	CHECK_CONTAINS(vr_error_msg(), "/usr/share/zoneinfo");
	CHECK_STR(z, "");
	/* names that would leave the database, or are not zone files */
	CHECK_INT(vr_zone_check("../../etc/passwd"), VR_EINVALID);
	CHECK_CONTAINS(vr_error_msg(), "not a time zone name");
	CHECK_INT(vr_zone_check("/etc/localtime"), VR_EINVALID);
	CHECK_INT(vr_zone_check("Europe//Berlin"), VR_EINVALID);
	CHECK_INT(vr_zone_check("Europe/"), VR_EINVALID);
	CHECK_INT(vr_zone_check("Europe"), VR_EINVALID);
	CHECK_INT(vr_zone_check("zone.tab"), VR_EINVALID);
	CHECK_INT(vr_zone_check("iso3166_tab"), VR_EINVALID);
	CHECK_INT(vr_zone_check(""), VR_EINVALID);
	/* $TZDIR is the database searched, and the message says so */
	setenv("TZDIR", unit_tmpdir(), 1);
	CHECK_INT(vr_zone_check("Europe/Berlin"), VR_EINVALID);
	CHECK_CONTAINS(vr_error_msg(), unit_tmpdir());
	CHECK_CONTAINS(vr_error_msg(), "$TZDIR");
	CHECK_INT(vr_zone_check("UTC"), 0);
	unsetenv("TZDIR");
	/* a query leaves TZ as it found it */
	{
		struct vr_civil c;

		CHECK_INT(vr_zone_civil(&c, "Asia/Tokyo", 0), 0);
		CHECK_INT(c.hour, 9);
		tz = getenv("TZ");
		if (before)
			CHECK_STR(tz, before);
		else
			CHECK(tz != NULL);
	}
	free(before);
}

TEST(test_window__civil_days)
{
	int y, m, d;

	CHECK_INT(vr_civil_days(1970, 1, 1), 0);
	CHECK_INT(vr_civil_wday(0), 4);          /* a Thursday */
	CHECK_INT(vr_civil_wday(vr_civil_days(2026, 12, 1)), 2); /* Tue */
	CHECK_INT(vr_civil_wday(vr_civil_days(2026, 3, 29)), 0);
	CHECK_INT(vr_civil_wday(vr_civil_days(1969, 12, 31)), 3);
	vr_civil_from_days(vr_civil_days(2028, 2, 29), &y, &m, &d);
	CHECK(y == 2028 && m == 2 && d == 29);
	vr_civil_from_days(-1, &y, &m, &d);
	CHECK(y == 1969 && m == 12 && d == 31);
}

/* Europe/Berlin 2026: spring forward on Sun 29 March at 02:00 CET (01:00
 * UTC) to 03:00 CEST, fall back on Sun 25 October at 03:00 CEST (01:00
 * UTC) to 02:00 CET (the EU rule: last Sunday, 01:00 UTC). */
TEST(test_window__resolve_berlin_dst)
{
	int64_t t;
	int skipped;

	CHECK_INT(vr_zone_resolve(&t, "Europe/Berlin", 2026, 12, 5, 2, 0,
	    &skipped), 0);
	CHECK_INT(t, utc(2026, 12, 5, 1, 0));
	CHECK_INT(skipped, 0);
	CHECK_INT(vr_zone_resolve(&t, "Europe/Berlin", 2026, 7, 1, 2, 0,
	    &skipped), 0);
	CHECK_INT(t, utc(2026, 7, 1, 0, 0));
	/* 02:30 does not exist on 29 March: the first valid time after it is
	 * 03:00 CEST, the transition itself */
	CHECK_INT(vr_zone_resolve(&t, "Europe/Berlin", 2026, 3, 29, 2, 30,
	    &skipped), 0);
	CHECK_INT(t, utc(2026, 3, 29, 1, 0));
	CHECK_INT(skipped, 1);
	CHECK_INT(vr_zone_resolve(&t, "Europe/Berlin", 2026, 3, 29, 2, 0,
	    &skipped), 0);
	CHECK_INT(t, utc(2026, 3, 29, 1, 0));
	CHECK_INT(skipped, 1);
	CHECK_INT(vr_zone_resolve(&t, "Europe/Berlin", 2026, 3, 29, 3, 0,
	    &skipped), 0);
	CHECK_INT(t, utc(2026, 3, 29, 1, 0));
	CHECK_INT(skipped, 0);
	CHECK_INT(vr_zone_resolve(&t, "Europe/Berlin", 2026, 3, 29, 1, 59,
	    &skipped), 0);
	CHECK_INT(t, utc(2026, 3, 29, 0, 59));
	/* 02:30 happens twice on 25 October: the first, in CEST */
	CHECK_INT(vr_zone_resolve(&t, "Europe/Berlin", 2026, 10, 25, 2, 30,
	    &skipped), 0);
	CHECK_INT(t, utc(2026, 10, 25, 0, 30));
	CHECK_INT(skipped, 0);
	CHECK_INT(vr_zone_resolve(&t, "Europe/Berlin", 2026, 10, 25, 3, 0,
	    &skipped), 0);
	CHECK_INT(t, utc(2026, 10, 25, 2, 0));
	CHECK_INT(vr_zone_resolve(&t, "Nowhere/Atlantis", 2026, 1, 1, 0, 0,
	    NULL), VR_EINVALID);
}

TEST(test_window__inside_and_next)
{
	struct vr_window w = win(VR_WINDOW_ALL_DAYS, "02:00", "3h", "UTC");
	struct vr_window_state st;

	CHECK_INT(vr_windows_eval(&st, &w, 1, utc(2026, 12, 1, 3, 0)), 0);
	CHECK(st.inside);
	CHECK_INT(st.ends, utc(2026, 12, 1, 5, 0));
	CHECK_INT(st.next_start, utc(2026, 12, 2, 2, 0));
	/* the start is inside, the end is not */
	CHECK_INT(vr_windows_eval(&st, &w, 1, utc(2026, 12, 1, 2, 0)), 0);
	CHECK(st.inside);
	CHECK_INT(vr_windows_eval(&st, &w, 1, utc(2026, 12, 1, 5, 0)), 0);
	CHECK(!st.inside);
	CHECK_INT(st.next_start, utc(2026, 12, 2, 2, 0));
	CHECK_INT(st.next_end, utc(2026, 12, 2, 5, 0));
	CHECK_INT(vr_windows_eval(&st, &w, 1, utc(2026, 12, 1, 1, 59)), 0);
	CHECK(!st.inside);
	CHECK_INT(st.next_start, utc(2026, 12, 1, 2, 0));
}

TEST(test_window__days_and_midnight)
{
	/* Saturday 22:00 Berlin for 4 hours: into Sunday */
	struct vr_window w = win(SAT, "22:00", "4h", "Europe/Berlin");
	struct vr_window_state st;

	/* Tue 1 Dec 2026: next is Sat 5 Dec 22:00 CET = 21:00 UTC */
	CHECK_INT(vr_windows_eval(&st, &w, 1, utc(2026, 12, 1, 12, 0)), 0);
	CHECK(!st.inside);
	CHECK_INT(st.next_start, utc(2026, 12, 5, 21, 0));
	CHECK_INT(st.next_end, utc(2026, 12, 6, 1, 0));
	/* Sunday 01:00 CET: inside Saturday's window (days count at the
	 * start) */
	CHECK_INT(vr_windows_eval(&st, &w, 1, utc(2026, 12, 6, 0, 0)), 0);
	CHECK(st.inside);
	CHECK_INT(st.ends, utc(2026, 12, 6, 1, 0));
	/* Sunday 22:30 CET: Sunday is not a window day */
	CHECK_INT(vr_windows_eval(&st, &w, 1, utc(2026, 12, 6, 21, 30)), 0);
	CHECK(!st.inside);
	CHECK_INT(st.next_start, utc(2026, 12, 12, 21, 0));
}

TEST(test_window__days_in_the_window_zone)
{
	/* Monday 00:30 in Tokyo is Sunday 15:30 UTC */
	struct vr_window w = win(MON, "00:30", "1h", "Asia/Tokyo");
	struct vr_window_state st;

	CHECK_INT(vr_windows_eval(&st, &w, 1, utc(2026, 12, 6, 15, 45)), 0);
	CHECK(st.inside);
	CHECK_INT(st.ends, utc(2026, 12, 6, 16, 30));
	/* Monday 00:45 UTC is Monday 09:45 in Tokyo: past it */
	CHECK_INT(vr_windows_eval(&st, &w, 1, utc(2026, 12, 7, 0, 45)), 0);
	CHECK(!st.inside);
	CHECK_INT(st.next_start, utc(2026, 12, 13, 15, 30));
}

TEST(test_window__several_windows)
{
	struct vr_window w[3] = {
		win(SAT | SUN, "02:00", "3h", "Europe/Berlin"),
		win(VR_WINDOW_ALL_DAYS, "12:00", "30m", "UTC"),
		/* touches the first: 05:00 Berlin on, so they merge */
		win(SAT, "05:00", "1h", "Europe/Berlin"),
	};
	struct vr_window_state st;

	/* Tue 1 Dec 10:00 UTC: the noon window comes first */
	CHECK_INT(vr_windows_eval(&st, w, 3, utc(2026, 12, 1, 10, 0)), 0);
	CHECK(!st.inside);
	CHECK_INT(st.next_start, utc(2026, 12, 1, 12, 0));
	CHECK_INT(st.next_index, 1);
	/* Sat 5 Dec 00:30 UTC: next is 02:00 CET = 01:00 UTC, merged with
	 * the 05:00-06:00 CET one: ends 05:00 UTC */
	CHECK_INT(vr_windows_eval(&st, w, 3, utc(2026, 12, 5, 0, 30)), 0);
	CHECK_INT(st.next_start, utc(2026, 12, 5, 1, 0));
	CHECK_INT(st.next_end, utc(2026, 12, 5, 5, 0));
	CHECK_INT(st.next_index, 0);
	CHECK_INT(vr_windows_eval(&st, w, 3, utc(2026, 12, 5, 4, 30)), 0);
	CHECK(st.inside);
	CHECK_INT(st.ends, utc(2026, 12, 5, 5, 0));
	/* Sunday has only the 02:00 one */
	CHECK_INT(vr_windows_eval(&st, w, 3, utc(2026, 12, 6, 4, 30)), 0);
	CHECK(!st.inside);
	CHECK_INT(st.next_start, utc(2026, 12, 6, 12, 0));
	CHECK_INT(vr_windows_eval(&st, w, 0, 0), VR_EINVALID);
}

TEST(test_window__spring_forward)
{
	/* Sundays 02:30 Berlin for 1h: on 29 March 2026 02:30 does not
	 * exist; it opens at 03:00 CEST (01:00 UTC) and lasts an hour */
	struct vr_window w = win(SUN, "02:30", "1h", "Europe/Berlin");
	struct vr_window_state st;

	CHECK_INT(vr_windows_eval(&st, &w, 1, utc(2026, 3, 29, 0, 59)), 0);
	CHECK(!st.inside);
	CHECK_INT(st.next_start, utc(2026, 3, 29, 1, 0));
	CHECK_INT(st.next_end, utc(2026, 3, 29, 2, 0));
	CHECK_INT(vr_windows_eval(&st, &w, 1, utc(2026, 3, 29, 1, 30)), 0);
	CHECK(st.inside);
	CHECK_INT(st.ends, utc(2026, 3, 29, 2, 0));
	/* the week before and after: 02:30 CET = 01:30 UTC, 02:30 CEST =
	 * 00:30 UTC */
	CHECK_INT(vr_windows_eval(&st, &w, 1, utc(2026, 3, 22, 0, 0)), 0);
	CHECK_INT(st.next_start, utc(2026, 3, 22, 1, 30));
	CHECK_INT(vr_windows_eval(&st, &w, 1, utc(2026, 3, 29, 2, 0)), 0);
	CHECK(!st.inside);
	CHECK_INT(st.next_start, utc(2026, 4, 5, 0, 30));
}

TEST(test_window__fall_back)
{
	/* Sundays 02:30 Berlin for 45m: on 25 October 2026 02:30 comes twice
	 * (00:30 UTC in CEST, 01:30 UTC in CET); the window opens once, at
	 * the first */
	struct vr_window w = win(SUN, "02:30", "45m", "Europe/Berlin");
	struct vr_window_state st;

	CHECK_INT(vr_windows_eval(&st, &w, 1, utc(2026, 10, 25, 0, 0)), 0);
	CHECK(!st.inside);
	CHECK_INT(st.next_start, utc(2026, 10, 25, 0, 30));
	CHECK_INT(st.next_end, utc(2026, 10, 25, 1, 15));
	CHECK_INT(vr_windows_eval(&st, &w, 1, utc(2026, 10, 25, 1, 0)), 0);
	CHECK(st.inside);
	/* 02:35 CET, the second 02:30 hour: not a second window */
	CHECK_INT(vr_windows_eval(&st, &w, 1, utc(2026, 10, 25, 1, 35)), 0);
	CHECK(!st.inside);
	CHECK_INT(st.next_start, utc(2026, 11, 1, 1, 30));
}

TEST(test_window__seven_days_and_always)
{
	/* every day for 24h: always inside, merged into one */
	struct vr_window w = win(VR_WINDOW_ALL_DAYS, "00:00", "24h", "UTC");
	struct vr_window w7 = win(MON, "00:00", "168h", "UTC");
	struct vr_window_state st;

	CHECK_INT(vr_windows_eval(&st, &w, 1, utc(2026, 12, 1, 10, 0)), 0);
	CHECK(st.inside);
	CHECK(st.ends > utc(2026, 12, 8, 0, 0));
	CHECK_INT(vr_windows_eval(&st, &w7, 1, utc(2026, 12, 6, 23, 59)), 0);
	CHECK(st.inside);
}

TEST(test_window__formats)
{
	struct vr_window w = win(SAT | SUN, "02:00", "3h", "Europe/Berlin");
	struct vr_window a = win(VR_WINDOW_ALL_DAYS, "22:30", "1h30m", "UTC");
	char buf[128];

	CHECK_STR(vr_window_when(buf, sizeof(buf), utc(2026, 12, 5, 1, 0),
	    "Europe/Berlin"),
	    "Sat 2026-12-05 02:00 CET (Europe/Berlin) = 2026-12-05 01:00 UTC");
	CHECK_STR(vr_window_when(buf, sizeof(buf), utc(2026, 7, 4, 23, 0),
	    "Europe/Berlin"),
	    "Sun 2026-07-05 01:00 CEST (Europe/Berlin) = 2026-07-04 23:00 UTC");
	CHECK_STR(vr_window_when(buf, sizeof(buf), utc(2026, 12, 5, 1, 0),
	    "UTC"), "Sat 2026-12-05 01:00 UTC");
	CHECK_STR(vr_window_utc(buf, sizeof(buf), utc(2026, 12, 5, 1, 0)),
	    "2026-12-05T01:00:00Z");
	CHECK_STR(vr_window_describe(buf, sizeof(buf), &w),
	    "Sat,Sun 02:00+3h Europe/Berlin");
	CHECK_STR(vr_window_describe(buf, sizeof(buf), &a),
	    "22:30+1h30m UTC");
}

/* tests/good/restart-windows.yaml loads into the windows it describes */
TEST(test_window__loaded_from_yaml)
{
	struct vr_diags d = VR_DIAGS_INIT;
	struct vr_spec *spec = NULL;
	const char *top = getenv("VR_TOP");
	char path[1024];
	const struct vr_vm_spec *vm;

	snprintf(path, sizeof(path), "%s/tests/good/restart-windows.yaml",
	    top && *top ? top : ".");
	if (!CHECK(vr_spec_load_file(&spec, &d, path) == 0)) {
		vr_diags_free(&d);
		return;
	}
	vm = &spec->vms[0];
	CHECK_INT(vm->nwindows, 2);
	CHECK_INT(vm->at_windows.line, 11);
	CHECK_INT(vm->windows[0].days, SAT | SUN);
	CHECK_INT(vm->windows[0].start_min, 22 * 60);
	CHECK_INT(vm->windows[0].duration_s, 5 * 3600 + 1800);
	CHECK_STR(vm->windows[0].zone, "Europe/Berlin");
	CHECK_INT(vm->windows[1].days, VR_WINDOW_ALL_DAYS);
	CHECK_INT(vm->windows[1].start_min, 3 * 60 + 15);
	CHECK_INT(vm->windows[1].duration_s, 90);
	CHECK_STR(vm->windows[1].zone, "UTC");
	vr_spec_free(spec);
	vr_diags_free(&d);
}
