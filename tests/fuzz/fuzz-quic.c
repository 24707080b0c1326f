/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* tests/fuzz/fuzz-quic.c: libFuzzer target for the QUIC codec: hostile
 * streams and exact round trips (tests/fuzz/codec-fuzz.h). The output space
 * is not limited to the raw size here, so incompressible inputs exercise
 * every code path instead of being declined. */
#include "tests/fuzz/codec-fuzz.h" /* system headers first */
#include "encoders/quic.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static size_t worst_case(uint32_t w, uint32_t h)
{
	return (size_t)w * h * 12 + 64; /* 94 bits a pixel at worst */
}

static const struct codec_fuzz quic = {worst_case, sf_quic_encode, sf_quic_decode,
				       SPICE_BITMAP_FMT_32BIT};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	return codec_fuzz_one(&quic, data, size);
}
