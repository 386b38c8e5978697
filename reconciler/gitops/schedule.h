/*
 * schedule.h - when `vmrecon watch` polls next: the first poll after start
 * at a random point of the interval (of its first 30 s on a new host),
 * then every interval (+-10 %), and
 * after errors a capped exponential backoff whose delay is drawn over a
 * window at least one interval wide.  So hosts restarted together, or all
 * failing while the Git server is down, come back spread over the
 * interval instead of in the same second.
 *
 * The generator is splitmix64: seeded per daemon from getrandom(), and
 * seeded by the tests with fixed numbers to check the distribution.
 */
#ifndef VR_SCHEDULE_H
#define VR_SCHEDULE_H

#include <stdint.h>

struct vr_schedule {
	int64_t interval_ms;
	int64_t max_backoff_ms; /* at least interval_ms */
	uint64_t rng;
};

void vr_schedule_init(struct vr_schedule *s, int64_t interval_ms,
    int64_t max_backoff_ms, uint64_t seed);

/* A uniform draw in [0, n); 0 when n <= 0. */
int64_t vr_schedule_uniform(struct vr_schedule *s, int64_t n);

/* A new host's first poll comes within this much, whatever the interval:
 * with nothing to resume it has not converged yet, and systemd waits for
 * its first pass (Type=notify; TimeoutStartSec is 90 s by default). */
#define VR_SCHEDULE_NEW_HOST_MS 30000

/* Delay of the first poll after start: uniform in [0, interval) when the
 * last applied commit was resumed from the mirror, else uniform in
 * [0, min(interval, VR_SCHEDULE_NEW_HOST_MS)). */
int64_t vr_schedule_first(struct vr_schedule *s, int resumed);

/* Delay after a poll that worked: interval +-10 %. */
int64_t vr_schedule_next(struct vr_schedule *s);

/* Delay after the n-th failure in a row (n >= 1): with
 * d = min(interval * 2^n, max_backoff), uniform in [d - w, d) where
 * w = max(d / 2, interval), at most d. */
int64_t vr_schedule_retry(struct vr_schedule *s, int n);

#endif
