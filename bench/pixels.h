/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* bench/pixels.h: the workloads' pixel generators, shared by the harness
 * (what the guest draws) and the codec benchmark (what the encoders see):
 * glyph strips (office), photo-like tiles (bitmap), video frames (video). */
#ifndef SF_BENCH_PIXELS_H
#define SF_BENCH_PIXELS_H

#include <stdbool.h>
#include <stdint.h>

static inline uint32_t bench_hash32(uint32_t x)
{
	x ^= x >> 16;
	x *= 0x7feb352dU;
	x ^= x >> 15;
	x *= 0x846ca68bU;
	return x ^ (x >> 16);
}
static inline uint32_t bench_glyphs(int x, int y, uint32_t seed)
{
	bool ink = x % 8 < 6 && y > 1 && y < 11 &&
		   !(bench_hash32(seed ^ (uint32_t)(x * 31 + y * 977)) & 3);
	return ink ? 0x101010 : 0xf0f0f0;
}
static inline uint32_t bench_photo(int x, int y, uint32_t seed)
{
	return (uint32_t)((x + seed) & 0xff) << 16 | (uint32_t)((y * 3 + seed) & 0xff) << 8 |
	       ((bench_hash32((uint32_t)(x * 7 + y * 13) + seed) & 0x1f) +
		(uint32_t)((x ^ y) & 0xc0));
}
static inline uint32_t bench_frame(int x, int y, uint32_t seed)
{
	int cx = (int)(seed * 9 % 640), cy = (int)(seed * 5 % 360);
	int dx = x - cx, dy = y - cy;
	return dx * dx + dy * dy < 2500
		       ? 0xffcc00
		       : (uint32_t)(x * 255 / 640) << 8 | (uint32_t)(y * 255 / 360);
}

#endif
