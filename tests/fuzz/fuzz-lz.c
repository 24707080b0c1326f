/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* tests/fuzz/fuzz-lz.c: libFuzzer target for the LZ codec: hostile streams
 * and exact round trips (tests/fuzz/codec-fuzz.h) of RGB32 and RGBA images
 * (the last byte picks), and hostile XXXA alpha streams (JPEG_ALPHA's). */
#include "tests/fuzz/codec-fuzz.h" /* system headers first */
#include "encoders/lz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const struct codec_fuzz lz = {sf_lz_bound, sf_lz_encode, sf_lz_decode,
				     SPICE_BITMAP_FMT_32BIT};
static const struct codec_fuzz lz_rgba = {sf_lz_bound, sf_lz_encode, sf_lz_decode,
					  SPICE_BITMAP_FMT_RGBA};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint32_t out[64 * 64];

	if (size >= 3 && (data[size - 1] & 3) == 3) { /* a hostile alpha stream */
		sf_lz_decode_alpha(data + 2, size - 3, (uint32_t)(data[0] & 63) + 1,
				   (uint32_t)(data[1] & 63) + 1, out);
		return 0;
	}
	return codec_fuzz_one(size && (data[size - 1] & 1) ? &lz_rgba : &lz, data, size);
}
