/* duration.c - vr_parse_duration and vr_duration_format (grammar in
 * units.h). */
#include <stdio.h>
#include <string.h>

#include "error.h"
#include "units.h"

static const struct {
	const char *name;
	int64_t ms;
} units[] = { { "h", 3600000 }, { "m", 60000 }, { "s", 1000 },
    { "ms", 1 } };
#define NUNITS (sizeof(units) / sizeof(units[0]))

/* The unit at p, or NUNITS; *len its length. */
static size_t
unit_at(const char *p, size_t *len)
{
	size_t u;

	for (u = 0; u < NUNITS; u++) {
		*len = strlen(units[u].name);
		/* "m" must not take the "m" of "ms" */
		if (strncmp(p, units[u].name, *len) == 0 &&
		    !(*len == 1 && p[0] == 'm' && p[1] == 's'))
			return u;
	}
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
		size_t u, len = 0;

		if ((digits = vr_units__digits(&p, 9, &n)) < 0)
			return vr_error_set(VR_EINVALID, "%s: '%s' is too "
			    "long", what, s);
		if (digits == 0)
			return vr_error_set(VR_EINVALID, "%s: '%s' is not a "
			    "duration (like 30, 500ms, 30s, 1m, 1h30m)",
			    what, s);
		if (!*p && p - digits == s) { /* a bare number: seconds */
			total = n * 1000;
			break;
		}
		if ((u = unit_at(p, &len)) == NUNITS)
			return vr_error_set(VR_EINVALID, "%s: '%s' needs a "
			    "unit after each number: ms, s, m or h", what, s);
		if (u < next_unit)
			return vr_error_set(VR_EINVALID, "%s: '%s' repeats a "
			    "unit or puts a smaller one first", what, s);
		next_unit = u + 1;
		total += n * units[u].ms;
		if (total > VR_DURATION_MAX_MS)
			break;
		p += len;
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
	for (u = 0; u < NUNITS && n < size; u++) {
		int64_t k = ms / units[u].ms;

		if (k == 0)
			continue;
		n += (size_t)snprintf(buf + n, size - n, "%lld%s",
		    (long long)k, units[u].name);
		ms -= k * units[u].ms;
	}
	return buf;
}
