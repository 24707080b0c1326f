/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* tests/fuzz/fuzz-lz.c: libFuzzer target for the LZ codec: hostile streams
 * and exact round trips (tests/fuzz/codec-fuzz.h). */
#include "tests/fuzz/codec-fuzz.h" /* system headers first */
#include "encoders/lz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const struct codec_fuzz lz = {sf_lz_bound, sf_lz_encode, sf_lz_decode};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	return codec_fuzz_one(&lz, data, size);
}
