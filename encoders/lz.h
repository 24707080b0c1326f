/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* encoders/lz.h: SPICE's LZ image format (SPICE_IMAGE_TYPE_LZ_RGB), as
 * spice-common's lz decoder in spice-gtk reads it: a big-endian header
 * (magic "LZ  ", version 1.1, type, width, height, stride, top_down), then
 * one LZ77 stream over the pixels in order: literal runs of up to 32 pixels
 * (3 bytes each for RGB32) and back references (length, distance up to
 * 73,726 pixels). Pure functions; one encode per image serves every client. */
#ifndef SF_ENCODERS_LZ_H
#define SF_ENCODERS_LZ_H

#include <stddef.h>
#include <stdint.h>
#include "channels/display-t.h"

#define SF_LZ_HEADER_SIZE 28

/* Worst-case encoded size of a @w x @h area. */
size_t sf_lz_bound(uint32_t w, uint32_t h);

/* Encode the @w x @h area of @img at (@x, @y): a 32-bit image as
 * LZ_IMAGE_TYPE_RGB32 (the pad byte is not sent; the client reads it as 0),
 * an RGBA one as LZ_IMAGE_TYPE_RGBA (the RGB pass, then an alpha pass).
 * Returns the encoded size, or 0 on failure. Thread: any. */
size_t sf_lz_encode(const struct sf_image *img, uint32_t x, uint32_t y, uint32_t w, uint32_t h,
		    uint8_t *out, size_t cap);

/* The alpha bytes alone as LZ_IMAGE_TYPE_XXXA: the alpha part of
 * SPICE_IMAGE_TYPE_JPEG_ALPHA. Same returns. */
size_t sf_lz_encode_alpha(const struct sf_image *img, uint32_t x, uint32_t y, uint32_t w,
			  uint32_t h, uint8_t *out, size_t cap);

/* Decode an RGB32 or RGBA LZ image of exactly @w x @h into @out (a8r8g8b8;
 * the pad is 0 for RGB32). Every length, distance and size is checked.
 * Returns 0 or -EINVAL. For tests, fuzzing and the load client. */
int sf_lz_decode(const uint8_t *in, size_t len, uint32_t w, uint32_t h, uint32_t *out);

/* Decode an XXXA stream into the alpha bytes of @out, keeping the rest. */
int sf_lz_decode_alpha(const uint8_t *in, size_t len, uint32_t w, uint32_t h, uint32_t *out);

#endif
