/* duration.c - vr_parse_duration (grammar in duration.h). */
#include <ctype.h>
#include <string.h>

#include "../schema/error.h"
#include "duration.h"

int
vr_parse_duration(int64_t *out_ms, const char *s, const char *what)
{
	static const struct {
		const char *name;
		int64_t ms;
	} units[] = { { "h", 3600000 }, { "m", 60000 }, { "s", 1000 },
	    { "ms", 1 } };
	const char *p = s;
	int64_t total = 0;
	size_t next_unit = 0; /* units must come largest first */

	*out_ms = 0;
	if (!s || !*s)
		return vr_error_set(VR_EINVALID, "%s: empty duration", what);
	while (*p) {
		int64_t n = 0;
		int digits = 0;
		size_t u, len = 0;

		while (isdigit((unsigned char)*p)) {
			if (++digits > 9)
				return vr_error_set(VR_EINVALID, "%s: '%s' is "
				    "too long", what, s);
			n = n * 10 + (*p++ - '0');
		}
		if (digits == 0)
			return vr_error_set(VR_EINVALID, "%s: '%s' is not a "
			    "duration (like 500ms, 30s, 1m, 1h30m)", what, s);
		for (u = 0; u < sizeof(units) / sizeof(units[0]); u++) {
			len = strlen(units[u].name);
			/* "m" must not take the "m" of "ms" */
			if (strncmp(p, units[u].name, len) == 0 &&
			    !(len == 1 && p[0] == 'm' && p[1] == 's'))
				break;
		}
		if (u == sizeof(units) / sizeof(units[0]))
			return vr_error_set(VR_EINVALID, "%s: '%s' needs a "
			    "unit: ms, s, m or h", what, s);
		if (u < next_unit)
			return vr_error_set(VR_EINVALID, "%s: '%s' repeats a "
			    "unit or puts a smaller one first", what, s);
		next_unit = u + 1;
		total += n * units[u].ms;
		if (total > VR_DURATION_MAX_MS)
			return vr_error_set(VR_EINVALID, "%s: '%s' is longer "
			    "than 7 days", what, s);
		p += len;
	}
	*out_ms = total;
	return 0;
}
