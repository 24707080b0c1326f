/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* encoders/classify.h: which lossless codec suits an area, for the AUTO
 * compression modes: photographic content (many small differences between
 * neighbours) goes to QUIC, drawn content (flat fields and hard edges) to a
 * dictionary codec. Decided from a fixed-size sample, so its cost does not
 * grow with the area. */
#ifndef SF_ENCODERS_CLASSIFY_H
#define SF_ENCODERS_CLASSIFY_H

#include <stdbool.h>
#include <stdint.h>
#include "channels/display-t.h"

/* Areas smaller than this go to the dictionary codec whatever they hold:
 * QUIC's model needs pixels to adapt. */
#define SF_CLASSIFY_MIN_PIXELS 1024

/* True when the @w x @h area of @img at (@x, @y) looks photographic.
 * Thread: any; reads at most 64 x 64 pixel pairs. */
bool sf_classify_photo(const struct sf_image *img, uint32_t x, uint32_t y, uint32_t w, uint32_t h);

#endif
