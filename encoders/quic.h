/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* encoders/quic.h: SPICE's QUIC image format (SPICE_IMAGE_TYPE_QUIC), the
 * lossless codec spice-gtk decodes for photographic content: per-channel
 * prediction from the left and upper pixels, adaptive Golomb-Rice codes
 * chosen from context buckets, and run lengths for repeated pixels, packed
 * MSB-first into little-endian 32-bit words. Pure functions over one area;
 * one encode per image serves every client. */
#ifndef SF_ENCODERS_QUIC_H
#define SF_ENCODERS_QUIC_H

#include <stddef.h>
#include <stdint.h>
#include "channels/display-t.h"

/* The space sf_quic_encode may use for a @w x @h area: the raw size plus the
 * header. QUIC output that would not beat raw pixels is not worth sending,
 * so a larger result is reported as failure instead of being bounded. */
size_t sf_quic_bound(uint32_t w, uint32_t h);

/* Encode the @w x @h area of 32-bit @img at (@x, @y) as QUIC RGB32 (the pad
 * byte is not coded; the client reads it as 0). Returns the encoded size, or
 * 0 when it does not fit @cap or memory runs out. Thread: any. */
size_t sf_quic_encode(const struct sf_image *img, uint32_t x, uint32_t y, uint32_t w, uint32_t h,
		      uint8_t *out, size_t cap);

/* Decode a QUIC RGB32 image of exactly @w x @h into @out (x8r8g8b8, pad 0).
 * Every code, run and size is checked. Returns 0 or -EINVAL. For tests,
 * fuzzing and the load client. */
int sf_quic_decode(const uint8_t *in, size_t len, uint32_t w, uint32_t h, uint32_t *out);

#endif
