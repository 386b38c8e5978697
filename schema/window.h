/*
 * window.h - restart maintenance windows (spec.restartWindows): when a
 * restart-mode change may be applied.  A window is a set of weekdays, a
 * start time of day, a duration and a time zone:
 *
 *     - days: [Sat, Sun]        # default: every day
 *       start: "02:00"          # HH:MM, 24 h, wall clock of the zone
 *       duration: 3h            # the CLI's duration grammar, 1m .. 7 days
 *       timeZone: Europe/Berlin # default UTC
 *
 * The days are those of the start, in the window's zone.  An occurrence
 * starts when the zone's clock reads `start` on such a day: in a repeated
 * hour (fall back) at the first time it does, in a skipped hour (spring
 * forward) at the first valid time after it (the transition).  It lasts
 * `duration` of elapsed time, so it may cross midnight or a transition.
 * Windows that overlap or touch count as one.
 *
 * Plain data and pure computations, apart from the zone database read
 * through the C library (util/zone.h).
 */
#ifndef VR_WINDOW_H
#define VR_WINDOW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/zone.h"

#define VR_WINDOW_ALL_DAYS 0x7f        /* bit d = weekday d, 0 = Sunday */
#define VR_WINDOW_MIN_MS (60 * 1000LL)  /* the shortest duration: 1m */
#define VR_WINDOWS_MAX 32               /* windows per VM */

struct vr_window {
	unsigned days;                  /* bits of weekdays; never 0 */
	int start_min;                  /* minutes after midnight, < 1440 */
	int64_t duration_s;             /* seconds */
	char zone[VR_ZONE_NAME_MAX];    /* IANA name; "UTC" by default */
};

/* Several windows (a spec's list; owned where it is a value). */
struct vr_window_list {
	struct vr_window *v;
	size_t n;
};

/* Where `now` stands in a set of windows. */
struct vr_window_state {
	bool inside;         /* now lies in an occurrence */
	int64_t ends;        /* inside: when the (merged) occurrence ends, or
			      * at least 8 days on */
	int64_t next_start;  /* the next occurrence starting after now (after
			      * `ends` when inside); 0 when inside windows
			      * that touch beyond the 8 days looked at */
	int64_t next_end;    /* its (merged) end */
	size_t next_index;   /* which window that is (its zone for messages) */
};

/* Parsers for the loader; each returns 0 or VR_EINVALID with a message
 * (no position: the loader adds file:line:col). */
/* "Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun" (exactly; the JSON
 * Schema's enum): one weekday bit. */
int vr_window_parse_day(unsigned *out_bit, const char *s);
/* "HH:MM", two digits each, 00:00 .. 23:59. */
int vr_window_parse_start(int *out_min, const char *s);
/* The duration grammar (units.h), from 1m to 7 days, whole seconds;
 * messages name `what`. */
int vr_window_parse_duration(int64_t *out_s, const char *s,
    const char *what);
/* A zone of the system's database (zone.h: says which was searched). */
int vr_window_parse_zone(char *out, size_t n, const char *s);

/* The occurrences of w starting on the zone's local day `days` (days since
 * 1970-01-01), if w's days include that day: *start, *end; returns 1, 0
 * when w does not occur that day, or a negative code. */
int vr_window_on_day(int64_t *start, int64_t *end, const struct vr_window *w,
    int64_t days);

/* Evaluate n >= 1 windows at `now` (seconds since the epoch). */
int vr_windows_eval(struct vr_window_state *out, const struct vr_window *w,
    size_t n, int64_t now);

/* "Sat 2026-12-05 02:00 CET (01:00 UTC)" for instant t in zone
 * (the UTC part carries its own date when it differs). */
char *vr_window_when(char *buf, size_t size, int64_t t, const char *zone);

/* "2026-12-05T01:00:00Z". */
char *vr_window_utc(char *buf, size_t size, int64_t t);

/* "Sat,Sun 02:00+3h Europe/Berlin" (days omitted when every day). */
char *vr_window_describe(char *buf, size_t size, const struct vr_window *w);

#endif
