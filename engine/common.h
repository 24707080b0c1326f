/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* engine/common.h: helpers every Saffron file may use: assertion tiers, export
 * tags, container_of. Include it after the system headers: it poisons unsafe
 * libc functions so that a file using them does not build. */
#ifndef SF_ENGINE_COMMON_H
#define SF_ENGINE_COMMON_H

#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>

#define SF_EXPORT	 __attribute__((visibility("default")))
#define SF_UNUSED	 __attribute__((unused))
#define SF_PRINTF(a, b)	 __attribute__((format(printf, a, b)))
#define SF_ALWAYS_INLINE inline __attribute__((always_inline))
#define sf_likely(x)	 __builtin_expect(!!(x), 1)
#define sf_unlikely(x)	 __builtin_expect(!!(x), 0)

#define SF_ARRAY_SIZE(a)		   (sizeof(a) / sizeof((a)[0]))
#define sf_container_of(ptr, type, member) ((type *)((char *)(ptr)-offsetof(type, member)))
#define SF_MIN(a, b)			   ((a) < (b) ? (a) : (b))
#define SF_MAX(a, b)			   ((a) > (b) ? (a) : (b))

/* Tier 1: our own invariants. Always on; never used on guest or network input. */
#define SF_BUG_ON(cond)                                                                            \
	do {                                                                                       \
		if (sf_unlikely(cond)) {                                                           \
			fprintf(stderr, "saffron BUG at %s:%d: %s\n", __FILE__, __LINE__, #cond);  \
			abort();                                                                   \
		}                                                                                  \
	} while (0)

/* Tier 2: unexpected but survivable; logs once per site and counts. */
void sf_warn_once(const char *file, int line, const char *cond, int *seen);
#define SF_WARN_ON(cond)                                                                           \
	({                                                                                         \
		static int _sf_seen;                                                               \
		bool _c = (cond);                                                                  \
		if (sf_unlikely(_c))                                                               \
			sf_warn_once(__FILE__, __LINE__, #cond, &_sf_seen);                        \
		_c;                                                                                \
	})

/* Tier 3: debug builds only. */
#ifdef SF_DEBUG
#define SF_DEBUG_ASSERT(cond) SF_BUG_ON(!(cond))
#else
#define SF_DEBUG_ASSERT(cond) ((void)0)
#endif

/* Number of SF_WARN_ON hits since start (shown in stats). */
unsigned long sf_warn_count(void);

#pragma GCC poison strcpy strcat sprintf gets
#endif
