/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* tests/fuzz/codec-fuzz.h: the one libFuzzer body the image codec targets
 * share. Odd first byte: the rest is a stream for a small image, which the
 * decoder must reject or decode within bounds. Even: the rest is pixels,
 * which must round-trip through the encoder and decoder exactly (pad byte
 * aside); any failure traps. */
#ifndef SF_TESTS_FUZZ_CODEC_FUZZ_H
#define SF_TESTS_FUZZ_CODEC_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <spice/enums.h>
#include "channels/display-t.h"

struct codec_fuzz {
	size_t (*cap)(uint32_t w, uint32_t h); /* output space for a round trip */
	size_t (*encode)(const struct sf_image *img, uint32_t x, uint32_t y, uint32_t w, uint32_t h,
			 uint8_t *out, size_t cap);
	int (*decode)(const uint8_t *in, size_t len, uint32_t w, uint32_t h, uint32_t *out);
	uint8_t format; /* of the round-trip images: RGBA's alpha must come back too */
};

static void codec_fuzz_round_trip(const struct codec_fuzz *k, const uint8_t *data, size_t size)
{
	uint32_t w = (uint32_t)(data[0] % 61) + 1, n = (uint32_t)(size / 4), h = n / w;
	struct sf_image *img;
	uint32_t *out;
	uint8_t *buf;
	size_t cap, len;

	if (!h)
		return;
	img = sf_image_new(w, h, k->format);
	cap = k->cap(w, h);
	buf = malloc(cap);
	out = malloc((size_t)w * h * 4);
	for (uint32_t y = 0; y < h; y++)
		memcpy(sf_image_row(img, y), data + (size_t)y * w * 4, (size_t)w * 4);
	len = k->encode(img, 0, 0, w, h, buf, cap);
	if (!len || k->decode(buf, len, w, h, out) < 0)
		__builtin_trap();
	for (uint32_t y = 0; y < h; y++)
		for (uint32_t x = 0; x < w; x++)
			if ((out[y * w + x] ^ ((const uint32_t *)sf_image_row(img, y))[x]) &
			    (k->format == SPICE_BITMAP_FMT_RGBA ? ~0u : 0xffffffu)) /* pad: any */
				__builtin_trap();
	free(buf);
	free(out);
	sf_image_unref(img);
}

static int codec_fuzz_one(const struct codec_fuzz *k, const uint8_t *data, size_t size)
{
	static uint32_t out[64 * 64];

	if (size < 2)
		return 0;
	if (data[0] & 1)
		k->decode(data + 1, size - 1, (uint32_t)(data[0] >> 1 & 63) + 1,
			  (uint32_t)(data[1] & 63) + 1, out);
	else
		codec_fuzz_round_trip(k, data + 1, size - 1);
	return 0;
}

#endif
