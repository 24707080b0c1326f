/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* encoders/lz4.c: SPICE LZ4 images with liblz4, in independent blocks of at
 * most BLOCK_BYTES, which the client's streaming decoder accepts. Rows of
 * an area of a larger image (or of a bottom-up surface) are gathered block
 * by block, never into a full-size copy; whole images go straight in. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <lz4.h>
#include <spice/enums.h>
#include "encoders/lz4.h"

#define BLOCK_BYTES (1u << 20)

size_t sf_lz4_bound(uint32_t w, uint32_t h)
{
	size_t raw = (size_t)w * h * 4, blocks = raw / BLOCK_BYTES + 1;

	return 2 + blocks * (4 + (size_t)LZ4_compressBound((int)SF_MIN(raw, BLOCK_BYTES)));
}

size_t sf_lz4_encode(const struct sf_image *img, uint32_t x, uint32_t y, uint32_t w, uint32_t h,
		     uint8_t *out, size_t cap)
{
	size_t row = (size_t)w * 4, rows_per_block = SF_MAX(BLOCK_BYTES / row, (size_t)1);
	uint8_t *tmp = malloc(SF_MIN((size_t)h, rows_per_block) * row);
	size_t pos = 2;

	if (!tmp || cap < 2)
		goto fail;
	out[0] = 1; /* top-down */
	out[1] = SPICE_BITMAP_FMT_32BIT;
	for (uint32_t r = 0; r < h;) {
		uint32_t n = (uint32_t)SF_MIN((size_t)(h - r), rows_per_block);
		const uint8_t *src = sf_image_row(img, y + r) + (size_t)x * 4;
		int enc;
		/* whole rows back to back already (a copy of a whole image): no
		 * gathering, which costs as much as LZ4 on incompressible rows */
		if (img->stride != (int32_t)row) {
			for (uint32_t i = 0; i < n; i++)
				memcpy(tmp + i * row, sf_image_row(img, y + r + i) + (size_t)x * 4,
				       row);
			src = tmp;
		}
		if (cap - pos < 4)
			goto fail;
		enc = LZ4_compress_default((const char *)src, (char *)out + pos + 4, (int)(n * row),
					   (int)SF_MIN(cap - pos - 4, (size_t)INT32_MAX));
		if (enc <= 0)
			goto fail;
		out[pos] = (uint8_t)(enc >> 24);
		out[pos + 1] = (uint8_t)(enc >> 16);
		out[pos + 2] = (uint8_t)(enc >> 8);
		out[pos + 3] = (uint8_t)enc;
		pos += 4 + (size_t)enc;
		r += n;
	}
	free(tmp);
	return pos;
fail:
	free(tmp);
	return 0;
}

int sf_lz4_decode(const uint8_t *in, size_t len, uint32_t w, uint32_t h, uint32_t *out)
{
	LZ4_streamDecode_t *s;
	size_t avail = (size_t)w * h * 4, pos = 2;
	char *dst = (char *)out;
	int r = 0;

	if (len < 2 || in[1] != SPICE_BITMAP_FMT_32BIT || !in[0])
		return -EINVAL;
	s = LZ4_createStreamDecode();
	while (pos < len && r == 0) {
		uint32_t enc;
		int dec;
		if (len - pos < 4) {
			r = -EINVAL;
			break;
		}
		enc = (uint32_t)in[pos] << 24 | (uint32_t)in[pos + 1] << 16 |
		      (uint32_t)in[pos + 2] << 8 | in[pos + 3];
		pos += 4;
		if (enc > len - pos || enc > INT32_MAX) {
			r = -EINVAL;
			break;
		}
		dec = LZ4_decompress_safe_continue(s, (const char *)in + pos, dst, (int)enc,
						   (int)SF_MIN(avail, (size_t)INT32_MAX));
		if (dec <= 0) {
			r = -EINVAL;
			break;
		}
		dst += dec;
		avail -= (size_t)dec;
		pos += enc;
	}
	LZ4_freeStreamDecode(s);
	return r == 0 && avail == 0 ? 0 : -EINVAL;
}
