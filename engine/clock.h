/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* engine/clock.h: the monotonic clock and SPICE multimedia time (mm-time), the
 * millisecond timeline that stamps video frames and audio packets. */
#ifndef SF_ENGINE_CLOCK_H
#define SF_ENGINE_CLOCK_H

#include <stdint.h>

/* Monotonic nanoseconds. Thread: any. */
uint64_t sf_clock_now_ns(void);

/* mm-time in ms: the monotonic clock plus a settable offset so a migration
 * target can continue the source's timeline. Wraps at 2^32. Thread: any. */
uint32_t sf_clock_mm_time(void);

/* Shift mm-time so that it reads @mm_time now. Thread: any (atomic). */
void sf_clock_mm_time_set(uint32_t mm_time);

#endif
