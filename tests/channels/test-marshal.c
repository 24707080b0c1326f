/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* tests/channels/test-marshal.c: byte layouts against spice.proto. */
#include <string.h>
#include <spice/enums.h>
#include "channels/marshal.h"
#include "channels/wire.h"
#include "tests/unit.h"

SF_TEST(marshal_fill_layout)
{
	struct sf_rect r = {10, 20, 30, 40};
	struct sf_buf *b = sf_marshal_fill(0, &r, 0x123456);

	SF_TEST_ASSERT(b && b->type == SPICE_MSG_DISPLAY_DRAW_FILL && b->size == 41);
	SF_TEST_ASSERT(sf_get_le32(b->data + 4) == 20 && sf_get_le32(b->data + 8) == 10);
	SF_TEST_ASSERT(sf_get_le32(b->data + 12) == 40 && sf_get_le32(b->data + 16) == 30);
	SF_TEST_ASSERT(b->data[20] == SPICE_CLIP_TYPE_NONE);
	SF_TEST_ASSERT(b->data[21] == SPICE_BRUSH_TYPE_SOLID);
	SF_TEST_ASSERT(sf_get_le32(b->data + 22) == 0x123456);
	SF_TEST_ASSERT(sf_get_le16(b->data + 26) == SPICE_ROPD_OP_PUT);
	sf_buf_unref(b);
}

SF_TEST(marshal_copy_points_at_inline_bitmap)
{
	struct sf_image *img = sf_image_new(4, 3, SPICE_BITMAP_FMT_32BIT);
	struct sf_rect r = {100, 50, 102, 52}; /* 2x2 from (1,1) */
	struct sf_buf *b;
	uint32_t off;

	for (int i = 0; i < 12; i++)
		((uint32_t *)img->pixels)[i] = (uint32_t)i;
	b = sf_marshal_copy(0, &r, img, 1, 1);
	SF_TEST_ASSERT(b && b->type == SPICE_MSG_DISPLAY_DRAW_COPY);
	off = sf_get_le32(b->data + 21);
	SF_TEST_ASSERT(off == 57);
	SF_TEST_ASSERT(sf_get_le32(b->data + 25 + 12) == 2); /* src_area.right */
	SF_TEST_ASSERT(b->data[off + 8] == SPICE_IMAGE_TYPE_BITMAP);
	SF_TEST_ASSERT(sf_get_le32(b->data + off + 10) == 2 &&
		       sf_get_le32(b->data + off + 14) == 2);
	SF_TEST_ASSERT(b->data[off + 18] == SPICE_BITMAP_FMT_32BIT);
	SF_TEST_ASSERT(b->data[off + 19] == SPICE_BITMAP_FLAGS_TOP_DOWN);
	SF_TEST_ASSERT(sf_get_le32(b->data + off + 28) == 8); /* stride */
	SF_TEST_ASSERT(sf_get_le32(b->data + off + 32) == 0); /* no palette */
	SF_TEST_ASSERT(b->size == off + 36 + 16);
	SF_TEST_ASSERT(sf_get_le32(b->data + off + 36) == 5);	    /* pixel (1,1) */
	SF_TEST_ASSERT(sf_get_le32(b->data + off + 36 + 12) == 10); /* pixel (2,2) */
	sf_buf_unref(b);
	sf_image_unref(img);
}

SF_TEST(marshal_cursor_and_main_layouts)
{
	struct sf_image *shape = sf_image_new(2, 2, SPICE_BITMAP_FMT_RGBA);
	struct sf_buf *b = sf_marshal_cursor_init(5, 6, true, shape, 1, 0);
	uint8_t chans[2][2] = {{SPICE_CHANNEL_DISPLAY, 0}, {SPICE_CHANNEL_INPUTS, 0}};

	SF_TEST_ASSERT(b && b->size == 9 + 2 + 17 + 16);
	SF_TEST_ASSERT(sf_get_le16(b->data) == 5 && b->data[8] == 1);
	SF_TEST_ASSERT(sf_get_le16(b->data + 9) == 0 && b->data[19] == SPICE_CURSOR_TYPE_ALPHA);
	sf_buf_unref(b);
	b = sf_marshal_cursor_set(0, 0, false, NULL, 0, 0);
	SF_TEST_ASSERT(b && b->size == 7 && sf_get_le16(b->data + 5) == SPICE_CURSOR_FLAGS_NONE);
	sf_buf_unref(b);
	b = sf_marshal_channels_list((const uint8_t(*)[2])chans, 2);
	SF_TEST_ASSERT(b && b->size == 8 && sf_get_le32(b->data) == 2 && b->data[6] == 3);
	sf_buf_unref(b);
	sf_image_unref(shape);
}
