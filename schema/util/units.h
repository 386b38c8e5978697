/*
 * units.h - the one bounded parser for each unit a command-line option
 * can carry: a duration, a size, a count.  Each takes the option's own
 * bounds, refuses anything outside its grammar (no sign, no fraction, no
 * hex), and names the option in its message.  The option
 * table (options.c) calls them for VR_ARG_DURATION, _SIZE and _COUNT.
 * vmrecon.1 repeats the duration grammar under DURATIONS; the first option
 * that takes a size or a count adds its grammar there.  Modelled on
 * OpenSSH's convtime() and its TIME FORMATS.
 */
#ifndef VR_UNITS_H
#define VR_UNITS_H

#include <stddef.h>
#include <stdint.h>

/* The longest duration any option accepts: 7 days. */
#define VR_DURATION_MAX_MS (7LL * 24 * 3600 * 1000)

/*
 * Parse a duration into milliseconds.  Grammar (systemd.time(7)'s
 * spellings, in vmrecon's order):
 *
 *     duration = seconds / span *( [" "] span )
 *     seconds  = number                 ; a bare number is seconds
 *     span     = number *" " unit
 *     number   = 1*9DIGIT
 *     unit     = "w" / "week" / "weeks"
 *              / "d" / "day" / "days"
 *              / "h" / "hr" / "hour" / "hours"
 *              / "m" / "min" / "minute" / "minutes"
 *              / "s" / "sec" / "second" / "seconds"
 *              / "ms" / "msec"
 *
 * With units, each appears at most once, largest first ("1h30m",
 * "1h 30min", "10min", "2s500ms"); a bare number stands alone ("90" is
 * "90s", "1m30" is refused); spaces only between a number and its unit
 * and between spans, never first or last.  The result must lie in
 * [min_ms, max_ms] (max_ms at most VR_DURATION_MAX_MS).  Returns 0, or
 * VR_EINVALID with a message naming `what` (e.g. "--interval"); *out_ms
 * is 0 then.
 */
int vr_parse_duration(int64_t *out_ms, const char *s, int64_t min_ms,
    int64_t max_ms, const char *what);

/* ms in the grammar above, in h, m, s and ms, largest first ("1h30m",
 * "168h", "200ms", "0s"); ms >= 0.  buf: at least 32 bytes. */
char *vr_duration_format(char *buf, size_t size, int64_t ms);

/*
 * Parse a size into bytes.  Grammar:
 *
 *     size   = number [ unit ]          ; no unit: bytes
 *     number = 1*15DIGIT
 *     unit   = "B" / "KiB" / "MiB" / "GiB" / "TiB"   ; powers of 1024
 *
 * Units are case-sensitive (an "MB" is refused, not guessed at).  The
 * result must lie in [min, max].  Returns 0 or VR_EINVALID naming `what`.
 */
int vr_parse_size(int64_t *out, const char *s, int64_t min, int64_t max,
    const char *what);

/*
 * Parse a count.  Grammar:
 *
 *     count = "0" / %x31-39 *17DIGIT      ; decimal, no leading zero
 *
 * The result must lie in [min, max].  Returns 0 or VR_EINVALID naming
 * `what`.
 */
int vr_parse_count(int64_t *out, const char *s, int64_t min, int64_t max,
    const char *what);

/* Semi-private, for the parsers above: read the decimal digits at *p into
 * *n and move *p past them.  Returns how many there were (0: none), or -1
 * if more than `max` (then *n is not set). */
int vr_units__digits(const char **p, int max, int64_t *n);

#endif
