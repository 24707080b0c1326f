/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* tests/fuzz/fuzz-quic.c: libFuzzer target for the QUIC codec. Odd first
 * byte: the rest is a QUIC stream for a small image, which the decoder must
 * reject or decode within bounds. Even: the rest is pixels, which must
 * round-trip exactly (pad byte aside); the output space is not limited to
 * the raw size here, so incompressible inputs exercise every code path. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <spice/enums.h>
#include "encoders/quic.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void round_trip(const uint8_t *data, size_t size)
{
	uint32_t w = (uint32_t)(data[0] % 61) + 1, n = (uint32_t)(size / 4), h = n / w;
	struct sf_image *img;
	uint32_t *out;
	uint8_t *buf;
	size_t cap, len;

	if (!h)
		return;
	img = sf_image_new(w, h, SPICE_BITMAP_FMT_32BIT);
	cap = (size_t)w * h * 12 + 64; /* 94 bits a pixel at worst */
	buf = malloc(cap);
	out = malloc((size_t)w * h * 4);
	for (uint32_t y = 0; y < h; y++)
		memcpy(sf_image_row(img, y), data + (size_t)y * w * 4, (size_t)w * 4);
	len = sf_quic_encode(img, 0, 0, w, h, buf, cap);
	if (!len || sf_quic_decode(buf, len, w, h, out) < 0)
		__builtin_trap();
	for (uint32_t y = 0; y < h; y++)
		for (uint32_t x = 0; x < w; x++)
			if (out[y * w + x] !=
			    (((const uint32_t *)sf_image_row(img, y))[x] & 0xffffff))
				__builtin_trap();
	free(buf);
	free(out);
	sf_image_unref(img);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint32_t out[64 * 64];

	if (size < 2)
		return 0;
	if (data[0] & 1)
		sf_quic_decode(data + 1, size - 1, (uint32_t)(data[0] >> 1 & 63) + 1,
			       (uint32_t)(data[1] & 63) + 1, out);
	else
		round_trip(data + 1, size - 1);
	return 0;
}
