/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* engine/ids.c: counters and random ids. */
#include <stdatomic.h>
#include <sys/random.h>
#include "engine/ids.h"

static atomic_uint_fast64_t g_next = 1;

uint64_t sf_ids_next(void)
{
	/* relaxed: ids only need to be unique */
	return atomic_fetch_add_explicit(&g_next, 1, memory_order_relaxed);
}

uint32_t sf_ids_random32(void)
{
	uint32_t v = 0;

	while (v == 0)
		if (getrandom(&v, sizeof(v), 0) != sizeof(v))
			v = (uint32_t)sf_ids_next();
	return v;
}
