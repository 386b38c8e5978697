/*
 * duration.h - the one parser for durations on the command line
 * (--interval, --timeout): bounded, strict, documented.
 */
#ifndef VR_DURATION_H
#define VR_DURATION_H

#include <stdint.h>

/* The longest duration accepted: 7 days. */
#define VR_DURATION_MAX_MS (7LL * 24 * 3600 * 1000)

/*
 * Parse a duration into milliseconds.  Grammar:
 *
 *     duration = 1*( number unit )
 *     number   = 1*9DIGIT
 *     unit     = "ms" / "s" / "m" / "h"
 *
 * Units appear at most once each, largest first ("1h30m", "1m30s",
 * "2s500ms"); no sign, space, fraction or bare number ("10" is ambiguous).
 * The total is at most VR_DURATION_MAX_MS.  Returns 0, or VR_EINVALID with
 * a message naming `what` (e.g. "--interval").
 */
int vr_parse_duration(int64_t *out_ms, const char *s, const char *what);

#endif
