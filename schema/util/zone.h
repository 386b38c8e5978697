/*
 * zone.h - time zones from the system's tz database (IANA names such as
 * "Europe/Berlin"), read through the C library, never by parsing TZif here.
 *
 * How: glibc offers no "time zone object" (no localtime_rz), only the TZ
 * variable.  So each query takes one process-wide lock, points TZ at the
 * zone's file (":<dir>/<name>", the file vr_zone_check found), calls
 * tzset() and localtime_r(), and puts TZ back.  Why that is safe in
 * vmrecon:
 *   - nothing else in vmrecon reads local time (timestamps use gmtime_r,
 *     which ignores TZ), so no other thread sees the switched zone;
 *   - vr_zone_init(), called by main() before any thread starts, makes
 *     sure TZ is in the environment (":/etc/localtime" when unset, which
 *     glibc reads the same way as an unset TZ), so a switch only replaces
 *     the value of an existing variable: glibc's setenv then stores one
 *     pointer in place, neither moving the environ array nor freeing the
 *     old string, and a getenv in another thread (libcurl's proxy lookup in
 *     the notification thread) reads the old or the new value, both valid.
 * libfaketime moves time(), not localtime_r, so tests that fake the clock
 * see real zone rules.
 */
#ifndef VR_ZONE_H
#define VR_ZONE_H

#include <stddef.h>
#include <stdint.h>

#define VR_ZONE_NAME_MAX 64

/* Wall-clock fields of an instant in a zone. */
struct vr_civil {
	int year, month, day;   /* month 1-12, day 1-31 */
	int hour, min, sec;
	int wday;               /* 0 = Sunday */
	long gmtoff;            /* seconds east of UTC */
	char abbr[16];          /* "CET", "CEST", "UTC" */
};

/* Make sure TZ is set before threads start (see above).  Idempotent. */
void vr_zone_init(void);

/* The zone database searched: $TZDIR, else /usr/share/zoneinfo. */
const char *vr_zone_dir(void);

/* Whether `name` is a zone: "UTC", or a relative name ([A-Za-z0-9_+-]
 * parts joined by '/', no "." or ".." parts) of a TZif file in the zone
 * database.  Returns 0, or VR_EINVALID with a message naming the database
 * searched. */
int vr_zone_check(const char *name);

/* The wall clock of instant t (seconds since the epoch) in zone `name`
 * (checked or not: an unknown zone is VR_EINVALID). */
int vr_zone_civil(struct vr_civil *out, const char *name, int64_t t);

/* The instant the wall clock of `name` reads year-month-day hour:min:00.
 * In a repeated hour (fall back) the first such instant; in a skipped hour
 * (spring forward) the first valid instant after it (the transition).
 * *skipped (optional) says which it was. */
int vr_zone_resolve(int64_t *out, const char *name, int year, int month,
    int day, int hour, int min, int *skipped);

/* Days since 1970-01-01 of a proleptic Gregorian date, and back; weekday
 * (0 = Sunday) of such a day number.  Pure arithmetic. */
int64_t vr_civil_days(int year, int month, int day);
void vr_civil_from_days(int64_t days, int *year, int *month, int *day);
int vr_civil_wday(int64_t days);

#endif
