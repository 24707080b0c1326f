/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* encoders/lz4.h: SPICE's LZ4 image encoding (SPICE_IMAGE_TYPE_LZ4), as
 * spice-gtk decodes it: a top-down flag and a bitmap format byte, then LZ4
 * blocks each prefixed by its compressed size in big-endian, which decode
 * back to back into rows of width * 4 bytes. Pure functions; one encode per
 * image serves every client. */
#ifndef SF_ENCODERS_LZ4_H
#define SF_ENCODERS_LZ4_H

#include <stddef.h>
#include <stdint.h>
#include "channels/display-t.h"

/* Worst-case encoded size of a @w x @h 32-bit area. */
size_t sf_lz4_bound(uint32_t w, uint32_t h);

/* Encode the @w x @h area of @img at (@x, @y) into @out (at least
 * sf_lz4_bound() bytes). Returns the encoded size, or 0 on failure.
 * Thread: any. */
size_t sf_lz4_encode(const struct sf_image *img, uint32_t x, uint32_t y, uint32_t w, uint32_t h,
		     uint8_t *out, size_t cap);

/* Decode SPICE LZ4 data into @w x @h 32-bit pixels (tests and the load
 * client). Returns 0 or -EINVAL. */
int sf_lz4_decode(const uint8_t *in, size_t len, uint32_t w, uint32_t h, uint32_t *out);

#endif
