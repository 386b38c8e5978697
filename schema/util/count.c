/* count.c - vr_parse_count (grammar in units.h) and the digit reader
 * the unit parsers share. */
#include <ctype.h>

#include "error.h"
#include "units.h"

int
vr_units__digits(const char **p, int max, int64_t *n)
{
	const char *q = *p;
	int64_t v = 0;
	int digits = 0;

	while (isdigit((unsigned char)*q)) {
		if (++digits > max)
			return -1;
		v = v * 10 + (*q++ - '0');
	}
	*n = v;
	*p = q;
	return digits;
}

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
	if ((digits = vr_units__digits(&p, 18, &n)) < 0)
		return vr_error_set(VR_EINVALID, "%s: '%s' is too long", what,
		    s);
	if (digits == 0 || *p || (s[0] == '0' && digits > 1))
		return vr_error_set(VR_EINVALID, "%s: '%s' is not a count "
		    "(decimal digits, no sign, no leading zero)", what, s);
	if (n < min || n > max)
		return vr_error_set(VR_EINVALID, "%s: '%s' is out of range, "
		    "%lld to %lld", what, s, (long long)min, (long long)max);
	*out = n;
	return 0;
}
