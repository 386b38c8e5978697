/* count.c - vr_parse_count (grammar in units.h). */
#include <ctype.h>

#include "../schema/error.h"
#include "units.h"

int
vr_parse_count(int64_t *out, const char *s, int64_t min, int64_t max,
    const char *what)
{
	const char *p = s;
	int64_t n = 0;
	int digits = 0;

	*out = 0;
	if (!s || !*s)
		return vr_error_set(VR_EINVALID, "%s: empty count", what);
	while (isdigit((unsigned char)*p)) {
		if (++digits > 18)
			return vr_error_set(VR_EINVALID, "%s: '%s' is too "
			    "long", what, s);
		n = n * 10 + (*p++ - '0');
	}
	if (digits == 0 || *p || (s[0] == '0' && digits > 1))
		return vr_error_set(VR_EINVALID, "%s: '%s' is not a count "
		    "(decimal digits, no sign, no leading zero)", what, s);
	if (n < min || n > max)
		return vr_error_set(VR_EINVALID, "%s: '%s' is out of range, "
		    "%lld to %lld", what, s, (long long)min, (long long)max);
	*out = n;
	return 0;
}
