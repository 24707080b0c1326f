/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* tests/encoders/quic-builds.h: the QUIC codec as a machine without SSE4.1
 * (quic-sse2.c) and without any SIMD (quic-c.c) would run it. The library
 * picks its bucket update at run time, so on the test machine only these
 * builds reach the other two; the golden test holds all three to the same
 * bytes. */
#ifndef SF_TESTS_QUIC_BUILDS_H
#define SF_TESTS_QUIC_BUILDS_H

#include <stddef.h>
#include <stdint.h>
#include "channels/display-t.h"

size_t sf_quic_encode_sse2(const struct sf_image *img, uint32_t x, uint32_t y, uint32_t w,
			   uint32_t h, uint8_t *out, size_t cap);
int sf_quic_decode_sse2(const uint8_t *in, size_t len, uint32_t w, uint32_t h, uint32_t *out);
size_t sf_quic_encode_c(const struct sf_image *img, uint32_t x, uint32_t y, uint32_t w, uint32_t h,
			uint8_t *out, size_t cap);
int sf_quic_decode_c(const uint8_t *in, size_t len, uint32_t w, uint32_t h, uint32_t *out);

#endif
