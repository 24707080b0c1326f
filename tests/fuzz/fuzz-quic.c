/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* tests/fuzz/fuzz-quic.c: libFuzzer target for the QUIC codec: hostile
 * streams and exact round trips (tests/fuzz/codec-fuzz.h). The output space
 * is not limited to the raw size here, so incompressible inputs exercise
 * every code path instead of being declined. The last byte picks RGB32 or
 * RGBA (the alpha plane's own row and state). */
#include "tests/fuzz/codec-fuzz.h" /* system headers first */
#include "encoders/quic.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static size_t worst_case(uint32_t w, uint32_t h)
{
	return (size_t)w * h * 16 + 64; /* 4 samples of at most 26 bits a pixel */
}

static const struct codec_fuzz quic = {worst_case, sf_quic_encode, sf_quic_decode,
				       SPICE_BITMAP_FMT_32BIT};
static const struct codec_fuzz quic_rgba = {worst_case, sf_quic_encode, sf_quic_decode,
					    SPICE_BITMAP_FMT_RGBA};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	return codec_fuzz_one(size && (data[size - 1] & 1) ? &quic_rgba : &quic, data, size);
}
