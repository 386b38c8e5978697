/*
 * clock.h - monotonic time for deadlines and durations, and a plain sleep:
 * the one place that reads CLOCK_MONOTONIC, so every timeout in vmrecon
 * counts the same way.
 */
#ifndef VR_CLOCK_H
#define VR_CLOCK_H

#include <stdint.h>

/* Milliseconds and seconds on the monotonic clock (arbitrary origin). */
int64_t vr_clock_ms(void);
double vr_clock_s(void);

/* Seconds since t0_ms, a value of vr_clock_ms(). */
double vr_clock_since_s(int64_t t0_ms);

/* Sleep `ms` milliseconds (a signal may end it early). */
void vr_sleep_ms(int ms);

#endif
