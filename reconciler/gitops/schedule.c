/*
 * schedule.c - the poll schedule of `vmrecon watch` (see schedule.h).
 *
 * Why the whole interval: with a jitter of a small fraction of the delay,
 * N daemons started (or failing) at the same moment stay within that
 * fraction of each other for good: 500 hosts restarted together with
 * +-10 % of a 60 s interval poll within 12 s of each other; drawn over the
 * interval they average N / interval polls a second.  The backoff keeps its
 * cap and doubling ("equal jitter" in AWS's "Exponential Backoff And
 * Jitter", 2015), with a window never narrower than one interval.
 */
#include "schedule.h"

void
vr_schedule_init(struct vr_schedule *s, int64_t interval_ms,
    int64_t max_backoff_ms, uint64_t seed)
{
	s->interval_ms = interval_ms > 0 ? interval_ms : 1;
	s->max_backoff_ms = max_backoff_ms < s->interval_ms ?
	    s->interval_ms : max_backoff_ms;
	s->rng = seed;
}

/* splitmix64 (Steele, Lea, Flood 2014): well mixed even from seeds 1, 2,
 * 3..., which the distribution tests use. */
static uint64_t
next64(struct vr_schedule *s)
{
	uint64_t z = (s->rng += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

int64_t
vr_schedule_uniform(struct vr_schedule *s, int64_t n)
{
	if (n <= 0)
		return 0;
	return (int64_t)(next64(s) % (uint64_t)n);
}

int64_t
vr_schedule_first(struct vr_schedule *s, int resumed)
{
	if (!resumed && s->interval_ms > VR_SCHEDULE_NEW_HOST_MS)
		return vr_schedule_uniform(s, VR_SCHEDULE_NEW_HOST_MS);
	return vr_schedule_uniform(s, s->interval_ms);
}

int64_t
vr_schedule_next(struct vr_schedule *s)
{
	int64_t span = s->interval_ms / 10;

	return s->interval_ms - span + vr_schedule_uniform(s, 2 * span + 1);
}

int64_t
vr_schedule_retry(struct vr_schedule *s, int n)
{
	int64_t d = s->interval_ms, w;

	while (n-- > 0 && d < s->max_backoff_ms)
		d *= 2;
	if (d > s->max_backoff_ms)
		d = s->max_backoff_ms;
	w = d / 2 > s->interval_ms ? d / 2 : s->interval_ms;
	if (w > d)
		w = d;
	return d - w + vr_schedule_uniform(s, w);
}
