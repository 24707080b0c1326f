/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* encoders/lz-io.h: byte I/O shared by the LZ and GLZ codecs (internal to
 * encoders/). Both formats are big-endian headers followed by control bytes
 * and literal runs of up to 32 pixels sent as B, G, R; writes past the end
 * and reads past the input set a sticky error instead of overrunning. */
#ifndef SF_ENCODERS_LZ_IO_H
#define SF_ENCODERS_LZ_IO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "channels/display-t.h"
#include "engine/common.h"

#define SF_LZ_MAGIC	 0x20205a4cu /* "LZ  " read as a big-endian u32 */
#define SF_LZ_VERSION	 0x00010001u
#define SF_LZ_TYPE_RGB32 8
#define SF_LZ_TYPE_RGBA	 9
#define SF_LZ_TYPE_XXXA	 10
#define SF_LZ_MAX_COPY	 32 /* literal run; control bytes below it are runs */
#define SF_LZ_RGB_MASK	 0xffffffu

struct sf_lz_out {
	uint8_t *p, *end;
	bool err;
};

static inline void sf_lz_put(struct sf_lz_out *o, uint8_t v)
{
	if (o->p < o->end)
		*o->p++ = v;
	else
		o->err = true;
}

static inline void sf_lz_put32(struct sf_lz_out *o, uint32_t v)
{
	for (int s = 24; s >= 0; s -= 8)
		sf_lz_put(o, (uint8_t)(v >> s));
}

static inline void sf_lz_literals(struct sf_lz_out *o, const uint32_t *px, size_t n)
{
	while (n) {
		size_t run = SF_MIN(n, (size_t)SF_LZ_MAX_COPY);
		sf_lz_put(o, (uint8_t)(run - 1));
		for (size_t i = 0; i < run; i++) {
			sf_lz_put(o, (uint8_t)px[i]);
			sf_lz_put(o, (uint8_t)(px[i] >> 8));
			sf_lz_put(o, (uint8_t)(px[i] >> 16));
		}
		px += run;
		n -= run;
	}
}

/* All literals: 3 bytes a pixel plus one control byte per 32. */
static inline size_t sf_lz_literal_bound(size_t pixels)
{
	return pixels * 3 + pixels / SF_LZ_MAX_COPY + 16;
}

struct sf_lz_in {
	const uint8_t *p, *end;
	bool err;
};

static inline uint8_t sf_lz_get(struct sf_lz_in *i)
{
	if (i->p < i->end)
		return *i->p++;
	i->err = true;
	return 0;
}

static inline uint32_t sf_lz_get32(struct sf_lz_in *i)
{
	uint32_t v = 0;

	for (int k = 0; k < 4; k++)
		v = v << 8 | sf_lz_get(i);
	return v;
}

/* A literal run of @ctrl + 1 pixels at out[*op]; false if it overruns @n. */
static inline bool sf_lz_get_literals(struct sf_lz_in *i, uint32_t ctrl, uint32_t *out, size_t *op,
				      size_t n)
{
	if (ctrl + 1 > n - *op)
		return false;
	for (uint32_t k = 0; k <= ctrl; k++) {
		uint32_t b = sf_lz_get(i), g = sf_lz_get(i), r = sf_lz_get(i);
		out[(*op)++] = b | g << 8 | r << 16;
	}
	return !i->err;
}

/* Copy the @w x @h area of @img at (@x, @y) into @px without the pad byte. */
static inline void sf_lz_gather(const struct sf_image *img, uint32_t x, uint32_t y, uint32_t w,
				uint32_t h, uint32_t *px)
{
	for (uint32_t r = 0; r < h; r++) {
		const uint32_t *row = (const uint32_t *)sf_image_row(img, y + r) + x;
		for (uint32_t i = 0; i < w; i++)
			px[(size_t)r * w + i] = row[i] & SF_LZ_RGB_MASK;
	}
}

#endif
