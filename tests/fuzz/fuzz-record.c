/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* tests/fuzz/fuzz-record.c: libFuzzer target for record-channel messages
 * (mode switches, raw and Opus data). Input: a sequence of
 * [type-selector u8][len u16 LE][body]. */
#include <stddef.h>
#include <stdint.h>
#include <spice/enums.h>
#include "channels/record.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint16_t types[] = {SPICE_MSGC_RECORD_DATA, SPICE_MSGC_RECORD_MODE,
					 SPICE_MSGC_RECORD_START_MARK, 77};
	struct sf_record *rec = sf_record_create();
	uint16_t mode = SPICE_AUDIO_DATA_MODE_RAW;
	uint32_t out[512];

	sf_record_start(rec);
	while (size >= 3) {
		uint16_t len = (uint16_t)(data[1] | data[2] << 8);
		uint16_t type = types[data[0] % 4];
		data += 3;
		size -= 3;
		if (len > size)
			len = (uint16_t)size;
		sf_record_parse(rec, &mode, type, data, len);
		data += len;
		size -= len;
		while (sf_record_get_samples(rec, out, 512) > 0)
			;
	}
	sf_record_destroy(rec);
	return 0;
}
