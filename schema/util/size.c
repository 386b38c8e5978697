/* size.c - vr_parse_size (grammar in units.h). */
#include <string.h>

#include "error.h"
#include "units.h"

int
vr_parse_size(int64_t *out, const char *s, int64_t min, int64_t max,
    const char *what)
{
	static const struct {
		const char *name;
		int shift;
	} units[] = { { "", 0 }, { "B", 0 }, { "KiB", 10 }, { "MiB", 20 },
	    { "GiB", 30 }, { "TiB", 40 } };
	const char *p = s;
	int64_t n = 0;
	int digits = 0;
	size_t u;

	*out = 0;
	if (!s || !*s)
		return vr_error_set(VR_EINVALID, "%s: empty size", what);
	if ((digits = vr_units__digits(&p, 15, &n)) < 0)
		return vr_error_set(VR_EINVALID, "%s: '%s' is too long", what,
		    s);
	if (digits == 0)
		return vr_error_set(VR_EINVALID, "%s: '%s' is not a size "
		    "(like 4096, 512KiB, 1MiB)", what, s);
	for (u = 0; u < sizeof(units) / sizeof(units[0]); u++)
		if (strcmp(p, units[u].name) == 0)
			break;
	if (u == sizeof(units) / sizeof(units[0]))
		return vr_error_set(VR_EINVALID, "%s: '%s' has an unknown "
		    "unit; use B, KiB, MiB, GiB or TiB", what, s);
	/* 15 digits times 2^40 would overflow: compare before shifting */
	if (n > (max >> units[u].shift) || (n << units[u].shift) < min ||
	    (n << units[u].shift) > max)
		return vr_error_set(VR_EINVALID, "%s: '%s' is out of range, "
		    "%lld to %lld bytes", what, s, (long long)min,
		    (long long)max);
	*out = n << units[u].shift;
	return 0;
}
