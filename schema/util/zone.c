/* zone.c - time zones through the C library's tz database (why switching
 * TZ under one lock is safe here: zone.h). */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "error.h"
#include "zone.h"

#define DEFAULT_DIR "/usr/share/zoneinfo"

static pthread_mutex_t zone_lock = PTHREAD_MUTEX_INITIALIZER;

void
vr_zone_init(void)
{
	if (!getenv("TZ"))
		setenv("TZ", ":/etc/localtime", 1);
}

const char *
vr_zone_dir(void)
{
	const char *d = getenv("TZDIR");

	return d && *d ? d : DEFAULT_DIR;
}

/* "UTC", or parts of [A-Za-z0-9_+-] joined by '/', none "." or "..". */
static int
name_ok(const char *name)
{
	size_t i, part = 0;

	if (!name || !*name || strlen(name) >= VR_ZONE_NAME_MAX)
		return 0;
	for (i = 0; name[i]; i++) {
		char c = name[i];

		if (c == '/') {
			if (part == 0)
				return 0;
			part = 0;
			continue;
		}
		if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
		    (c >= '0' && c <= '9') || c == '_' || c == '+' ||
		    c == '-'))
			return 0;
		part++;
	}
	return part > 0;
}

/* The TZ value for a checked name (buf: PATH_MAX-ish). */
static int
tz_value(char *buf, size_t n, const char *name)
{
	char magic[4];
	struct stat st;
	ssize_t got;
	int fd, w;

	if (strcmp(name, "UTC") == 0) {
		snprintf(buf, n, "UTC0");
		return 0;
	}
	if (!name_ok(name))
		return vr_error_set(VR_EINVALID, "'%.*s' is not a time zone "
		    "name (an IANA name such as Europe/Berlin)",
		    VR_ZONE_NAME_MAX, name ? name : "");
	w = snprintf(buf, n, ":%s/%s", vr_zone_dir(), name);
	if (w < 0 || (size_t)w >= n)
		return vr_error_set(VR_EINVALID, "time zone database path "
		    "too long: %s", vr_zone_dir());
	fd = open(buf + 1, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0)
		return vr_error_set(VR_EINVALID, "unknown time zone '%s' "
		    "(not in the zone database %s%s)", name, vr_zone_dir(),
		    getenv("TZDIR") ? ", from $TZDIR" : "");
	got = -1;
	if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode))
		got = read(fd, magic, sizeof(magic));
	close(fd);
	/* the magic only: a zone file, not zone.tab or a directory */
	if (got != 4 || memcmp(magic, "TZif", 4) != 0)
		return vr_error_set(VR_EINVALID, "unknown time zone '%s' (%s "
		    "is not a zone file of the zone database %s)", name,
		    buf + 1, vr_zone_dir());
	return 0;
}

int
vr_zone_check(const char *name)
{
	char tz[4096];

	return tz_value(tz, sizeof(tz), name);
}

/* Enter: TZ switched to the zone, lock held; *old the value to restore. */
static int
zone_enter(const char *name, char **old)
{
	char tz[4096];
	const char *cur;
	int rc = tz_value(tz, sizeof(tz), name);

	if (rc < 0)
		return rc;
	pthread_mutex_lock(&zone_lock);
	cur = getenv("TZ");
	*old = vr_strdup(cur ? cur : ":/etc/localtime");
	setenv("TZ", tz, 1);
	tzset();
	return 0;
}

static void
zone_leave(char *old)
{
	setenv("TZ", old, 1);
	tzset();
	pthread_mutex_unlock(&zone_lock);
	free(old);
}

/* localtime_r of t, inside zone_enter/leave. */
static int
civil_in(struct vr_civil *out, int64_t t)
{
	time_t tt = (time_t)t;
	struct tm tm;

	if (!localtime_r(&tt, &tm))
		return vr_error_set(VR_EINVALID, "time %lld out of range",
		    (long long)t);
	out->year = tm.tm_year + 1900;
	out->month = tm.tm_mon + 1;
	out->day = tm.tm_mday;
	out->hour = tm.tm_hour;
	out->min = tm.tm_min;
	out->sec = tm.tm_sec;
	out->wday = tm.tm_wday;
	out->gmtoff = tm.tm_gmtoff;
	snprintf(out->abbr, sizeof(out->abbr), "%s",
	    tm.tm_zone ? tm.tm_zone : "");
	return 0;
}

int
vr_zone_civil(struct vr_civil *out, const char *name, int64_t t)
{
	char *old;
	int rc;

	memset(out, 0, sizeof(*out));
	if ((rc = zone_enter(name, &old)) < 0)
		return rc;
	rc = civil_in(out, t);
	zone_leave(old);
	return rc;
}

static long
offset_at(int64_t t)
{
	struct vr_civil c;

	if (civil_in(&c, t) < 0)
		return 0;
	return c.gmtoff;
}

/*
 * The wall time as UTC ("naive") less an offset the zone has near it.
 * Real zones change their offset at most once in two days, so the offsets
 * a day before and a day after are the only candidates: a candidate whose
 * own offset is the one subtracted is a valid reading; two valid ones are
 * a repeated hour (take the first), none is a skipped hour (take the
 * transition, found by bisection between the two candidates).
 */
static int64_t
resolve_in(int64_t naive, int *skipped)
{
	long oa = offset_at(naive - 86400), ob = offset_at(naive + 86400);
	int64_t ta = naive - oa, tb = naive - ob, lo, hi;
	int va = offset_at(ta) == oa, vb = offset_at(tb) == ob;

	*skipped = 0;
	if (va && vb)
		return ta < tb ? ta : tb;
	if (va)
		return ta;
	if (vb)
		return tb;
	/* a gap: the first instant on the new offset lies in (lo, hi] */
	*skipped = 1;
	lo = ta < tb ? ta : tb;
	hi = ta < tb ? tb : ta;
	while (hi - lo > 1) {
		int64_t mid = lo + (hi - lo) / 2;

		if (offset_at(mid) == ob)
			hi = mid;
		else
			lo = mid;
	}
	return hi;
}

int
vr_zone_resolve(int64_t *out, const char *name, int year, int month,
    int day, int hour, int min, int *skipped)
{
	int64_t naive = vr_civil_days(year, month, day) * 86400 +
	    hour * 3600 + min * 60;
	int sk = 0, rc;
	char *old;

	*out = 0;
	if ((rc = zone_enter(name, &old)) < 0)
		return rc;
	*out = resolve_in(naive, &sk);
	zone_leave(old);
	if (skipped)
		*skipped = sk;
	return 0;
}

/* Civil-date arithmetic after Howard Hinnant's "chrono-compatible
 * low-level date algorithms" (era of 400 years, March-based year). */
int64_t
vr_civil_days(int year, int month, int day)
{
	int64_t y = year - (month <= 2);
	int64_t era = (y >= 0 ? y : y - 399) / 400;
	int64_t yoe = y - era * 400;
	int64_t doy = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day -
	    1;
	int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;

	return era * 146097 + doe - 719468;
}

void
vr_civil_from_days(int64_t days, int *year, int *month, int *day)
{
	int64_t z = days + 719468;
	int64_t era = (z >= 0 ? z : z - 146096) / 146097;
	int64_t doe = z - era * 146097;
	int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	int64_t mp = (5 * doy + 2) / 153;
	int m = (int)(mp < 10 ? mp + 3 : mp - 9);

	*day = (int)(doy - (153 * mp + 2) / 5 + 1);
	*month = m;
	*year = (int)(yoe + era * 400 + (m <= 2));
}

int
vr_civil_wday(int64_t days)
{
	/* 1970-01-01 was a Thursday (4) */
	int64_t w = (days + 4) % 7;

	return (int)(w < 0 ? w + 7 : w);
}
