/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* tests/fuzz/fuzz-inputs.c: libFuzzer target for inputs-channel messages.
 * The first two bytes pick the message type, the rest is its body. */
#include <stddef.h>
#include <stdint.h>
#include "channels/inputs.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void key(void *d, uint32_t sc, bool down)
{
	(void)d;
	if (sc > 0x1ff)
		__builtin_trap(); /* scancodes are 8 bits plus the extended flag */
	(void)down;
}

static const struct sf_input_ops ops = {.key = key};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sf_inputs_ctx ctx = {.ops = &ops};

	if (size < 2)
		return 0;
	sf_inputs_parse(&ctx, (uint16_t)(101 + data[0] % 16), data + 2, (uint32_t)(size - 2));
	return 0;
}
