/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* encoders/jpeg.h: baseline JPEG (libjpeg-turbo) of an area of a 32-bit
 * image, as spice-gtk's MJPEG stream decoder and SPICE_IMAGE_TYPE_JPEG read
 * it. Pure function; one encode per frame serves every client. */
#ifndef SF_ENCODERS_JPEG_H
#define SF_ENCODERS_JPEG_H

#include <stddef.h>
#include <stdint.h>
#include "channels/display-t.h"

/* Encode the @w x @h area of @img at (@x, @y) with @quality (1..100).
 * Returns a malloc'd buffer (caller frees) and its size in @len, or NULL.
 * Thread: any. */
uint8_t *sf_jpeg_encode(const struct sf_image *img, uint32_t x, uint32_t y, uint32_t w, uint32_t h,
			int quality, size_t *len);

/* Decode into @w x @h x8r8g8b8 pixels (tests: PSNR). Returns 0 or -EINVAL. */
int sf_jpeg_decode(const uint8_t *in, size_t len, uint32_t w, uint32_t h, uint32_t *out);

#endif
