/* clock.c - monotonic time and sleeping (see clock.h). */
#include <time.h>

#include "clock.h"

int64_t
vr_clock_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

double
vr_clock_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

double
vr_clock_since_s(int64_t t0_ms)
{
	return (double)(vr_clock_ms() - t0_ms) / 1000.0;
}

void
vr_sleep_ms(int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}
