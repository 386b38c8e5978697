/* test_schedule.c - the poll schedule of watch: its bounds, and how 500
 * hosts started together or failing together spread (fixed seeds, a
 * simulated clock: no timing). */
#include <stdint.h>
#include <string.h>

#include "../../reconciler/gitops/schedule.h"
#include "unit.h"

#define HOSTS 500

TEST(test_schedule__first_poll_spreads_over_the_interval)
{
	struct vr_schedule s;
	int per_second[60], i, max = 0, empty = 0;
	int64_t d, lo = 1 << 30, hi = -1;

	memset(per_second, 0, sizeof(per_second));
	for (i = 0; i < HOSTS; i++) {
		vr_schedule_init(&s, 60000, 300000, (uint64_t)i + 1);
		d = vr_schedule_first(&s, 1);
		CHECK(d >= 0 && d < 60000);
		if (d < 0 || d >= 60000)
			continue;
		per_second[d / 1000]++;
		lo = d < lo ? d : lo;
		hi = d > hi ? d : hi;
	}
	for (i = 0; i < 60; i++) {
		max = per_second[i] > max ? per_second[i] : max;
		empty += per_second[i] == 0;
	}
	/* 500 hosts over 60 s: 8.3 a second on average */
	unit_check(max <= 2 * HOSTS / 60, __FILE__, __LINE__,
	    "at most twice the mean in any second (max %d)", max);
	CHECK_INT(empty, 0);
	CHECK(lo < 1000 && hi >= 59000);
}

TEST(test_schedule__new_host_polls_within_its_cap)
{
	struct vr_schedule s;
	int64_t d, lo = INT64_MAX, hi = -1;
	int i;

	/* nothing resumed, an hour's interval: within the first 30 s, spread
	 * over them; resumed, the whole hour */
	for (i = 0; i < HOSTS; i++) {
		vr_schedule_init(&s, 3600000, 3600000, (uint64_t)i + 7);
		d = vr_schedule_first(&s, 0);
		lo = d < lo ? d : lo;
		hi = d > hi ? d : hi;
	}
	CHECK(lo >= 0 && lo < 1000);
	CHECK(hi < VR_SCHEDULE_NEW_HOST_MS && hi >= VR_SCHEDULE_NEW_HOST_MS -
	    1000);
	for (hi = -1, i = 0; i < HOSTS; i++) {
		vr_schedule_init(&s, 3600000, 3600000, (uint64_t)i + 7);
		d = vr_schedule_first(&s, 1);
		hi = d > hi ? d : hi;
	}
	CHECK(hi > VR_SCHEDULE_NEW_HOST_MS && hi < 3600000);
	/* an interval shorter than the cap is used as it is */
	vr_schedule_init(&s, 2000, 2000, 3);
	for (i = 0; i < HOSTS; i++)
		CHECK((d = vr_schedule_first(&s, 0)) >= 0 && d < 2000);
}

TEST(test_schedule__next_and_retry_bounds)
{
	struct vr_schedule s;
	int64_t d, want_hi, want_lo, lo, hi;
	int n, k;

	vr_schedule_init(&s, 10000, 300000, 42);
	for (k = 0; k < 1000; k++) {
		d = vr_schedule_next(&s);
		CHECK(d >= 9000 && d <= 11000);
	}
	/* d = min(10 s * 2^n, 300 s); the window is max(d/2, 10 s) wide */
	for (n = 1; n <= 12; n++) {
		want_hi = 10000LL << (n < 6 ? n : 6);
		want_hi = want_hi > 300000 ? 300000 : want_hi;
		want_lo = want_hi / 2;
		lo = want_hi;
		hi = 0;
		for (k = 0; k < 2000; k++) {
			d = vr_schedule_retry(&s, n);
			lo = d < lo ? d : lo;
			hi = d > hi ? d : hi;
		}
		unit_check(lo >= want_lo && hi < want_hi, __FILE__, __LINE__,
		    "retry %d in [%lld, %lld): got %lld..%lld", n,
		    (long long)want_lo, (long long)want_hi, (long long)lo,
		    (long long)hi);
		/* and it uses the whole window */
		CHECK(lo < want_lo + (want_hi - want_lo) / 20);
		CHECK(hi > want_hi - (want_hi - want_lo) / 20);
	}
	/* a cap of one interval: retries spread over the whole interval */
	vr_schedule_init(&s, 10000, 10000, 7);
	lo = 10000;
	hi = 0;
	for (k = 0; k < 2000; k++) {
		d = vr_schedule_retry(&s, 3);
		lo = d < lo ? d : lo;
		hi = d > hi ? d : hi;
	}
	CHECK(lo >= 0 && lo < 500 && hi < 10000 && hi > 9500);
}

TEST(test_schedule__same_seed_same_schedule)
{
	struct vr_schedule a, b;
	int k;

	vr_schedule_init(&a, 10000, 60000, 99);
	vr_schedule_init(&b, 10000, 60000, 99);
	for (k = 0; k < 100; k++)
		CHECK_INT(vr_schedule_retry(&a, k % 5),
		    vr_schedule_retry(&b, k % 5));
}

/* 500 hosts at a 10 s interval; the Git server is down from 100 s to
 * 160 s.  Every poll in the outage fails and backs off.  After it, the
 * polls per second stay near the fleet's steady rate (50/s): no storm. */
TEST(test_schedule__outage_does_not_synchronize_the_fleet)
{
	enum { END = 400, DOWN = 100, UP = 160 };
	static int per_second[END];
	struct vr_schedule s;
	int64_t t, last_back = 0;
	int i, failures, max_after = 0;

	memset(per_second, 0, sizeof(per_second));
	for (i = 0; i < HOSTS; i++) {
		vr_schedule_init(&s, 10000, 300000, (uint64_t)i + 1000);
		t = vr_schedule_first(&s, 1);
		failures = 0;
		while (t < END * 1000) {
			per_second[t / 1000]++;
			if (t >= DOWN * 1000 && t < UP * 1000) {
				t += vr_schedule_retry(&s, ++failures);
				continue;
			}
			if (failures && t > last_back)
				last_back = t;
			failures = 0;
			t += vr_schedule_next(&s);
		}
	}
	for (i = UP; i < END; i++)
		max_after = per_second[i] > max_after ? per_second[i] :
		    max_after;
	unit_check(max_after <= 2 * HOSTS / 10, __FILE__, __LINE__,
	    "after the outage at most twice the steady 50/s (max %d)",
	    max_after);
	/* everyone is back within one backoff window of the return */
	CHECK(last_back > UP * 1000 && last_back < (UP + 160) * 1000);
}
