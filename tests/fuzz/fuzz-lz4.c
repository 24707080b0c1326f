/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* tests/fuzz/fuzz-lz4.c: libFuzzer target for the SPICE LZ4 image framing
 * (LZ4 blocks with big-endian sizes, as spice-gtk reads them): hostile streams and
 * exact round trips (tests/fuzz/codec-fuzz.h). */
#include "tests/fuzz/codec-fuzz.h" /* system headers first */
#include "encoders/lz4.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const struct codec_fuzz lz4 = {sf_lz4_bound, sf_lz4_encode, sf_lz4_decode,
				      SPICE_BITMAP_FMT_32BIT};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	return codec_fuzz_one(&lz4, data, size);
}
