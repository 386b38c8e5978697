/* duration.c - vr_parse_duration and vr_duration_format (grammar in
 * units.h). */
#include <stdio.h>
#include <string.h>

#include "error.h"
#include "units.h"

/* Each unit by its words, largest first (the order a duration must keep);
 * the first word is the one vr_duration_format writes.  systemd.time(7)
 * spells them so; its months and years pass the 7 days any option
 * allows, and its microseconds are finer than a millisecond. */
static const struct {
	int64_t ms;
	const char *words[5];
} units[] = {
	{ 7 * 24 * 3600000LL, { "w", "week", "weeks", NULL } },
	{ 24 * 3600000LL, { "d", "day", "days", NULL } },
	{ 3600000, { "h", "hr", "hour", "hours", NULL } },
	{ 60000, { "m", "min", "minute", "minutes", NULL } },
	{ 1000, { "s", "sec", "second", "seconds", NULL } },
	{ 1, { "ms", "msec", NULL } },
};
#define NUNITS (sizeof(units) / sizeof(units[0]))

/* The unit named by the `len` letters at p, or NUNITS. */
static size_t
unit_of(const char *p, size_t len)
{
	size_t u, k;

	for (u = 0; u < NUNITS; u++)
		for (k = 0; units[u].words[k]; k++)
			if (strlen(units[u].words[k]) == len &&
			    strncmp(p, units[u].words[k], len) == 0)
				return u;
	return NUNITS;
}

static int
parse(int64_t *out_ms, const char *s, const char *what)
{
	const char *p = s;
	int64_t total = 0;
	size_t next_unit = 0; /* units must come largest first */

	if (!s || !*s)
		return vr_error_set(VR_EINVALID, "%s: empty duration", what);
	while (*p) {
		int64_t n = 0;
		int digits = 0;
		size_t u, len;

		if ((digits = vr_units__digits(&p, 9, &n)) < 0)
			return vr_error_set(VR_EINVALID, "%s: '%s' is too "
			    "long", what, s);
		if (digits == 0)
			return vr_error_set(VR_EINVALID, "%s: '%s' is not a "
			    "duration (like 30, 500ms, 30s, 10min, 1h30m, "
			    "1h 30min)", what, s);
		if (!*p && p - digits == s) { /* a bare number: seconds */
			total = n * 1000;
			break;
		}
		while (*p == ' ')
			p++;
		for (len = 0; (p[len] >= 'a' && p[len] <= 'z') ||
		    (p[len] >= 'A' && p[len] <= 'Z'); len++)
			;
		if ((u = unit_of(p, len)) == NUNITS)
			return vr_error_set(VR_EINVALID, "%s: '%s' needs a "
			    "unit after each number: ms, s, m (min), h, d or "
			    "w", what, s);
		if (u < next_unit)
			return vr_error_set(VR_EINVALID, "%s: '%s' repeats a "
			    "unit or puts a smaller one first", what, s);
		next_unit = u + 1;
		total += n * units[u].ms;
		if (total > VR_DURATION_MAX_MS)
			break;
		p += len;
		/* one space between spans, none at the end */
		if (*p == ' ' && p[1] >= '0' && p[1] <= '9')
			p++;
	}
	*out_ms = total;
	return 0;
}

int
vr_parse_duration(int64_t *out_ms, const char *s, int64_t min_ms,
    int64_t max_ms, const char *what)
{
	char lo[32], hi[32];
	int64_t ms = 0;
	int rc;

	*out_ms = 0;
	if (max_ms > VR_DURATION_MAX_MS)
		max_ms = VR_DURATION_MAX_MS;
	if ((rc = parse(&ms, s, what)) < 0)
		return rc;
	if (ms < min_ms || ms > max_ms)
		return vr_error_set(VR_EINVALID, "%s: '%s' is out of range, "
		    "%s to %s", what, s, vr_duration_format(lo, sizeof(lo),
		    min_ms), vr_duration_format(hi, sizeof(hi), max_ms));
	*out_ms = ms;
	return 0;
}

char *
vr_duration_format(char *buf, size_t size, int64_t ms)
{
	size_t u, n = 0;

	buf[0] = '\0';
	if (ms <= 0) {
		snprintf(buf, size, "0s");
		return buf;
	}
	/* hours at most, as the bounds have always been written (168h) */
	for (u = 0; u < NUNITS && n < size; u++) {
		int64_t k = ms / units[u].ms;

		if (k == 0 || units[u].ms > 3600000)
			continue;
		n += (size_t)snprintf(buf + n, size - n, "%lld%s",
		    (long long)k, units[u].words[0]);
		ms -= k * units[u].ms;
	}
	return buf;
}
