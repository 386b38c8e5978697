/* window.c - restart windows: parsing their parts and finding where a
 * moment stands among them (model and rules in window.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/error.h"
#include "util/units.h"
#include "window.h"

static const char *const day_names[7] = { "Sunday", "Monday", "Tuesday",
    "Wednesday", "Thursday", "Friday", "Saturday" };

int
vr_window_parse_day(unsigned *out_bit, const char *s)
{
	int d;

	*out_bit = 0;
	for (d = 0; s && d < 7; d++)
		if (strlen(s) == 3 && strncmp(s, day_names[d], 3) == 0) {
			*out_bit = 1u << d;
			return 0;
		}
	return vr_error_set(VR_EINVALID, "'%.40s' is not a day (one of Mon, "
	    "Tue, Wed, Thu, Fri, Sat, Sun)", s ? s : "");
}

int
vr_window_parse_start(int *out_min, const char *s)
{
	int h, m;

	*out_min = 0;
	if (!s || strlen(s) != 5 || s[2] != ':' || s[0] < '0' ||
	    s[0] > '9' || s[1] < '0' || s[1] > '9' || s[3] < '0' ||
	    s[3] > '9' || s[4] < '0' || s[4] > '9')
		return vr_error_set(VR_EINVALID, "'%.40s' is not a time of day "
		    "(HH:MM, 24 h, e.g. \"02:00\")", s ? s : "");
	h = (s[0] - '0') * 10 + (s[1] - '0');
	m = (s[3] - '0') * 10 + (s[4] - '0');
	if (h > 23 || m > 59)
		return vr_error_set(VR_EINVALID, "'%s' is not a time of day "
		    "(00:00 to 23:59)", s);
	*out_min = h * 60 + m;
	return 0;
}

int
vr_window_parse_duration(int64_t *out_s, const char *s,
    const char *what)
{
	int64_t ms;
	int rc;

	*out_s = 0;
	rc = vr_parse_duration(&ms, s, VR_WINDOW_MIN_MS, VR_DURATION_MAX_MS,
	    what);
	if (rc < 0)
		return rc;
	if (ms % 1000)
		return vr_error_set(VR_EINVALID, "%s: '%s' is not a "
		    "whole number of seconds", what, s);
	*out_s = ms / 1000;
	return 0;
}

int
vr_window_parse_zone(char *out, size_t n, const char *s)
{
	int rc = vr_zone_check(s);

	if (n)
		out[0] = '\0';
	if (rc < 0)
		return rc;
	snprintf(out, n, "%s", s);
	return 0;
}

int
vr_window_on_day(int64_t *start, int64_t *end, const struct vr_window *w,
    int64_t days)
{
	int y, mo, d, rc;

	*start = *end = 0;
	if (!(w->days & (1u << vr_civil_wday(days))))
		return 0;
	vr_civil_from_days(days, &y, &mo, &d);
	rc = vr_zone_resolve(start, w->zone, y, mo, d, w->start_min / 60,
	    w->start_min % 60, NULL);
	if (rc < 0)
		return rc;
	*end = *start + w->duration_s;
	return 1;
}

struct occ {
	int64_t start, end;
	size_t index;
};

static int
occ_cmp(const void *a, const void *b)
{
	const struct occ *x = a, *y = b;

	if (x->start != y->start)
		return x->start < y->start ? -1 : 1;
	return x->end < y->end ? -1 : x->end > y->end;
}

/* Days looked at either side of now's local day: an occurrence lasts at
 * most 7 days, and every window occurs at least once a week. */
#define SPAN 8

int
vr_windows_eval(struct vr_window_state *out, const struct vr_window *w,
    size_t n, int64_t now)
{
	struct occ *o;
	size_t i, k, no = 0, m;
	int rc = 0;

	memset(out, 0, sizeof(*out));
	if (n == 0 || n > VR_WINDOWS_MAX)
		return vr_error_set(VR_EINVALID, "%zu restart windows (1 to "
		    "%d)", n, VR_WINDOWS_MAX);
	o = vr_calloc(n * (2 * SPAN + 1), sizeof(*o));
	for (i = 0; i < n; i++) {
		struct vr_civil c;
		int64_t today, d;

		if ((rc = vr_zone_civil(&c, w[i].zone, now)) < 0)
			goto out;
		today = vr_civil_days(c.year, c.month, c.day);
		for (d = today - SPAN; d <= today + SPAN; d++) {
			rc = vr_window_on_day(&o[no].start, &o[no].end, &w[i],
			    d);
			if (rc < 0)
				goto out;
			if (rc == 1)
				o[no++].index = i;
		}
	}
	rc = 0;
	qsort(o, no, sizeof(*o), occ_cmp);
	/* merge overlapping or touching occurrences in place */
	for (k = 0, m = 0; k < no; k++) {
		if (m > 0 && o[k].start <= o[m - 1].end) {
			if (o[k].end > o[m - 1].end)
				o[m - 1].end = o[k].end;
			continue;
		}
		o[m++] = o[k];
	}
	for (k = 0; k < m; k++) {
		if (o[k].start <= now && now < o[k].end) {
			out->inside = true;
			out->ends = o[k].end;
		} else if (o[k].start > now) {
			out->next_start = o[k].start;
			out->next_end = o[k].end;
			out->next_index = o[k].index;
			break;
		}
	}
	if (k == m && !out->inside)
		rc = vr_error_set(VR_ERROR, "no restart window within %d days",
		    SPAN);
out:
	free(o);
	return rc;
}

char *
vr_window_utc(char *buf, size_t size, int64_t t)
{
	int y, mo, d;
	int64_t days = t >= 0 ? t / 86400 : -((-t + 86399) / 86400);
	int64_t s = t - days * 86400;

	vr_civil_from_days(days, &y, &mo, &d);
	snprintf(buf, size, "%04d-%02d-%02dT%02d:%02d:%02dZ", y, mo, d,
	    (int)(s / 3600), (int)(s / 60 % 60), (int)(s % 60));
	return buf;
}

char *
vr_window_when(char *buf, size_t size, int64_t t, const char *zone)
{
	struct vr_civil c;
	int y, mo, d;
	int64_t days = t >= 0 ? t / 86400 : -((-t + 86399) / 86400);
	int64_t s = t - days * 86400;

	vr_civil_from_days(days, &y, &mo, &d);
	if (strcmp(zone, "UTC") == 0 || vr_zone_civil(&c, zone, t) < 0) {
		snprintf(buf, size, "%.3s %04d-%02d-%02d %02d:%02d UTC",
		    day_names[vr_civil_wday(days)], y, mo, d,
		    (int)(s / 3600), (int)(s / 60 % 60));
		return buf;
	}
	snprintf(buf, size, "%.3s %04d-%02d-%02d %02d:%02d %s (%s) = "
	    "%04d-%02d-%02d %02d:%02d UTC", day_names[c.wday], c.year,
	    c.month, c.day, c.hour, c.min, c.abbr, zone, y, mo, d,
	    (int)(s / 3600), (int)(s / 60 % 60));
	return buf;
}

char *
vr_window_describe(char *buf, size_t size, const struct vr_window *w)
{
	char days[64] = "", dur[32];
	size_t len = 0;
	int d;

	/* Monday first, as a week is written */
	for (d = 1; d <= 7 && w->days != VR_WINDOW_ALL_DAYS; d++)
		if (w->days & (1u << (d % 7)))
			len += (size_t)snprintf(days + len, sizeof(days) - len,
			    "%s%.3s", len ? "," : "", day_names[d % 7]);
	snprintf(buf, size, "%s%s%02d:%02d+%s %s", days, len ? " " : "",
	    w->start_min / 60, w->start_min % 60,
	    vr_duration_format(dur, sizeof(dur), w->duration_s * 1000),
	    w->zone);
	return buf;
}
