/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* tests/fuzz/fuzz-link.c: libFuzzer target for the pre-auth link parsers
 * (header, then the message body it announces). */
#include <stddef.h>
#include <stdint.h>
#include "channels/link.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sf_link_info info;
	uint32_t body;

	if (sf_link_parse_header(data, size, &body) != SPICE_LINK_ERR_OK)
		return 0;
	if (size - 16 < body)
		body = (uint32_t)(size - 16);
	if (sf_link_parse_mess(data + 16, body, &info) == SPICE_LINK_ERR_OK) {
		/* every cap test must stay inside the kept words */
		for (unsigned bit = 0; bit < 256; bit++) {
			(void)sf_caps_test(info.common_caps, info.num_common_caps, bit);
			(void)sf_caps_test(info.channel_caps, info.num_channel_caps, bit);
		}
	}
	return 0;
}
