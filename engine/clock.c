/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* engine/clock.c: monotonic time and the mm-time offset. */
#include <stdatomic.h>
#include <time.h>
#include "engine/clock.h"

static atomic_int_fast64_t g_mm_offset;

uint64_t sf_clock_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

uint32_t sf_clock_mm_time(void)
{
	/* relaxed: the offset is a single value; readers need no ordering with other data */
	int64_t off = atomic_load_explicit(&g_mm_offset, memory_order_relaxed);
	return (uint32_t)((int64_t)(sf_clock_now_ns() / 1000000) + off);
}

void sf_clock_mm_time_set(uint32_t mm_time)
{
	int64_t now = (int64_t)(sf_clock_now_ns() / 1000000);
	/* relaxed: see sf_clock_mm_time() */
	atomic_store_explicit(&g_mm_offset, (int64_t)mm_time - now, memory_order_relaxed);
}
