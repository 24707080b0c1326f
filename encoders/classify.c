/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* encoders/classify.c: a graduality estimate over horizontal neighbour
 * pairs spread over the area. A pair is flat (equal), gradual (every
 * channel within GRADUAL) or sharp. Text and UI are flat with sharp edges;
 * photos and gradients are mostly gradual. */
#include "encoders/classify.h"

#define SAMPLES 64
#define GRADUAL 24

static unsigned channel_diff(uint32_t a, uint32_t b, unsigned shift)
{
	int d = (int)(a >> shift & 255) - (int)(b >> shift & 255);

	return (unsigned)(d < 0 ? -d : d);
}

static unsigned pair_diff(uint32_t a, uint32_t b)
{
	unsigned r = channel_diff(a, b, 16), g = channel_diff(a, b, 8), bl = channel_diff(a, b, 0);

	return SF_MAX(r, SF_MAX(g, bl));
}

bool sf_classify_photo(const struct sf_image *img, uint32_t x, uint32_t y, uint32_t w, uint32_t h)
{
	uint32_t rows = SF_MIN(h, (uint32_t)SAMPLES), cols = SF_MIN(w - 1, (uint32_t)SAMPLES);
	unsigned flat = 0, gradual = 0, total = 0;

	if ((uint64_t)w * h < SF_CLASSIFY_MIN_PIXELS || w < 2)
		return false;
	for (uint32_t i = 0; i < rows; i++) {
		const uint32_t *row = (const uint32_t *)sf_image_row(
					      img, y + (uint32_t)((uint64_t)i * h / rows)) +
				      x;
		for (uint32_t j = 0; j < cols; j++) {
			uint32_t px = (uint32_t)((uint64_t)j * (w - 1) / cols);
			unsigned d = pair_diff(row[px], row[px + 1]);
			total++;
			flat += d == 0;
			gradual += d > 0 && d <= GRADUAL;
		}
	}
	/* most changes are small ones, and there are enough of them */
	return gradual * 2 > total - flat && gradual * 4 > total;
}
