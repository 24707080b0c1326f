/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* tests/shim/test-qxl-parse.c: memslot translation and QXL command parsing
 * against a fake guest RAM: valid commands of each kind, and the hostile
 * cases (addresses outside the slot, stale generation, slot id off by one,
 * chunk cycles, huge sizes, out-of-range surfaces). */
#include <errno.h>
#include <string.h>
#include <spice/enums.h>
#include <spice/qxl_dev.h>
#include "channels/surface.h"
#include "shim/qxl-parse.h"
#include "tests/shim/guestmem.h"
#include "tests/unit.h"

static uint8_t ram[1 << 20];

static struct sf_qxl_parser parser(struct guestmem *g)
{
	return (struct sf_qxl_parser){.ms = &g->ms, .group = 0, .n_surfaces = 16};
}

SF_TEST(memslot_checks_slot_generation_and_range)
{
	struct guestmem g;

	gm_init(&g, ram, sizeof(ram));
	SF_TEST_ASSERT(sf_memslot_get(&g.ms, 0, gm_phys(0), 16) == ram);
	SF_TEST_ASSERT(sf_memslot_get(&g.ms, 0, gm_phys(sizeof(ram) - 16), 16) ==
		       ram + sizeof(ram) - 16);
	SF_TEST_ASSERT(!sf_memslot_get(&g.ms, 0, gm_phys(sizeof(ram) - 15), 16)); /* past end */
	SF_TEST_ASSERT(!sf_memslot_get(&g.ms, 0, gm_phys(0) - 1, 1));		  /* before */
	SF_TEST_ASSERT(!sf_memslot_get(&g.ms, 0, gm_phys(0), (size_t)-1));	  /* overflow */
	SF_TEST_ASSERT(!sf_memslot_get(&g.ms, 1, gm_phys(0), 1));		  /* other group */
	SF_TEST_ASSERT(!sf_memslot_get(&g.ms, 2, gm_phys(0), 1));		  /* no group */
	SF_TEST_ASSERT(!sf_memslot_get(&g.ms, 0, gm_phys(0) ^ (1ull << 48), 1));  /* stale gen */
	/* slot id == nslots: the CVE-2019-3813 off-by-one */
	SF_TEST_ASSERT(!sf_memslot_get(&g.ms, 0, (4ull << 56) | (3ull << 48) | GM_BASE, 1));
	SF_TEST_ASSERT(sf_memslots_add(&g.ms, 0, 4, 0, 0, 100, 0) < 0);
	SF_TEST_ASSERT(sf_memslots_init(&g.ms, 9, 4, 8, 8) < 0);
	gm_init(&g, ram, sizeof(ram));
	sf_memslots_del(&g.ms, 0, GM_SLOT);
	SF_TEST_ASSERT(!sf_memslot_get(&g.ms, 0, gm_phys(0), 1));
}

/* A QXL_DRAW_COPY of a WxH bitmap at (x, y); returns the drawable offset. */
static size_t copy_drawable(struct guestmem *g, int x, int y, int w, int h, uint8_t fmt,
			    uint8_t flags, uint32_t stride, size_t data_off, size_t pal_off)
{
	size_t d_off = gm_alloc(g, sizeof(QXLDrawable)), i_off = gm_alloc(g, sizeof(QXLImage));
	QXLDrawable *d = (QXLDrawable *)(g->ram + d_off);
	QXLImage *im = (QXLImage *)(g->ram + i_off);

	memset(d, 0, sizeof(*d));
	d->type = QXL_DRAW_COPY;
	d->bbox = (QXLRect){.left = x, .top = y, .right = x + w, .bottom = y + h};
	d->u.copy.src_bitmap = gm_phys(i_off);
	d->u.copy.src_area = (QXLRect){.right = w, .bottom = h};
	d->u.copy.rop_descriptor = SPICE_ROPD_OP_PUT;
	memset(im, 0, sizeof(*im));
	im->descriptor.type = SPICE_IMAGE_TYPE_BITMAP;
	im->descriptor.width = im->bitmap.x = (uint32_t)w;
	im->descriptor.height = im->bitmap.y = (uint32_t)h;
	im->bitmap.format = fmt;
	im->bitmap.flags = flags;
	im->bitmap.stride = stride;
	im->bitmap.data = gm_phys(data_off);
	im->bitmap.palette = pal_off ? gm_phys(pal_off) : 0;
	return d_off;
}

/* A solid QXL_DRAW_FILL of (1, 2)-(3, 4) through @ropd; its offset. */
static size_t fill_drawable(struct guestmem *g, uint32_t color, uint16_t ropd)
{
	size_t d = gm_alloc(g, sizeof(QXLDrawable));
	QXLDrawable *dr = (QXLDrawable *)(g->ram + d);

	memset(dr, 0, sizeof(*dr));
	dr->type = QXL_DRAW_FILL;
	dr->bbox = (QXLRect){.left = 1, .top = 2, .right = 3, .bottom = 4};
	dr->u.fill.brush.type = SPICE_BRUSH_TYPE_SOLID;
	dr->u.fill.brush.u.color = color;
	dr->u.fill.rop_descriptor = ropd;
	return d;
}

/* Clip drawable @d to two rectangles: its top-left 2x2 and from (+4, +6) on. */
static void clip_two(struct guestmem *g, size_t d)
{
	QXLDrawable *dr = (QXLDrawable *)(g->ram + d);
	size_t clip = gm_alloc(g, sizeof(QXLClipRects) + 2 * sizeof(QXLRect));
	QXLClipRects *cr = (QXLClipRects *)(g->ram + clip);
	int x = dr->bbox.left, y = dr->bbox.top;

	cr->num_rects = 2;
	cr->chunk.data_size = 2 * sizeof(QXLRect);
	((QXLRect *)cr->chunk.data)[0] =
		(QXLRect){.left = x, .top = y, .right = x + 2, .bottom = y + 2};
	((QXLRect *)cr->chunk.data)[1] =
		(QXLRect){.left = x + 4, .top = y + 6, .right = x + 100, .bottom = y + 100};
	dr->clip.type = SPICE_CLIP_TYPE_RECTS;
	dr->clip.data = gm_phys(clip);
}

static uint32_t px(const struct sf_image *img, uint32_t x, uint32_t y)
{
	return ((const uint32_t *)sf_image_row(img, y))[x] & 0xffffff;
}

SF_TEST(qxl_copy_direct_32bit_and_chunked_24bit_bottom_up)
{
	struct guestmem g;
	struct sf_qxl_parser p;
	struct sf_cmd out[SF_QXL_MAX_SPLIT];
	size_t data, d, chunk;
	QXLDataChunk *c;

	gm_init(&g, ram, sizeof(ram));
	p = parser(&g);
	data = gm_alloc(&g, 4 * 4 * 2);
	for (uint32_t i = 0; i < 8; i++)
		((uint32_t *)(ram + data))[i] = 0x100000u * i + i;
	d = copy_drawable(&g, 10, 20, 4, 2, SPICE_BITMAP_FMT_32BIT,
			  QXL_BITMAP_DIRECT | QXL_BITMAP_TOP_DOWN, 16, data, 0);
	SF_TEST_ASSERT(sf_qxl_parse_drawable(&p, gm_phys(d), out) == 1);
	SF_TEST_ASSERT(out[0].type == SF_CMD_COPY && out[0].rect.left == 10 &&
		       out[0].rect.bottom == 22);
	SF_TEST_ASSERT(px(out[0].image, 3, 1) == ((0x100000u * 7 + 7) & 0xffffff));
	sf_image_unref(out[0].image);

	/* 24-bit, bottom-up, split across two chunks */
	chunk = gm_alloc(&g, sizeof(QXLDataChunk) + 8);
	c = (QXLDataChunk *)(ram + chunk);
	c->data_size = 8;
	size_t chunk2 = gm_alloc(&g, sizeof(QXLDataChunk) + 8);
	c->next_chunk = gm_phys(chunk2);
	((QXLDataChunk *)(ram + chunk2))->data_size = 8;
	((QXLDataChunk *)(ram + chunk2))->next_chunk = 0;
	uint8_t rows[16] = {1, 2, 3, 4, 5, 6, 0, 0, 7, 8, 9, 10, 11, 12, 0, 0}; /* 2x2, stride 8 */
	memcpy(c->data, rows, 8);
	memcpy(((QXLDataChunk *)(ram + chunk2))->data, rows + 8, 8);
	d = copy_drawable(&g, 0, 0, 2, 2, SPICE_BITMAP_FMT_24BIT, 0, 8, chunk, 0);
	SF_TEST_ASSERT(sf_qxl_parse_drawable(&p, gm_phys(d), out) == 1);
	SF_TEST_ASSERT(px(out[0].image, 0, 0) == 0x090807); /* last stored row is row 0 */
	SF_TEST_ASSERT(px(out[0].image, 1, 1) == 0x060504);
	sf_image_unref(out[0].image);
}

SF_TEST(qxl_32bit_bitmaps_in_one_piece_are_read_in_guest_memory)
{
	struct guestmem g;
	struct sf_qxl_parser p;
	struct sf_cmd out[SF_QXL_MAX_SPLIT];
	size_t data, d, chunk;
	QXLDataChunk *c;

	gm_init(&g, ram, sizeof(ram));
	p = parser(&g);
	data = gm_alloc(&g, 20 * 3);
	for (uint32_t i = 0; i < 15; i++)
		((uint32_t *)(ram + data))[i] = 0x010203u * i;
	/* direct, bottom up, stride padded to 5 pixels */
	d = copy_drawable(&g, 0, 0, 4, 3, SPICE_BITMAP_FMT_32BIT, QXL_BITMAP_DIRECT, 20, data, 0);
	SF_TEST_ASSERT(sf_qxl_parse_drawable(&p, gm_phys(d), out) == 1);
	SF_TEST_ASSERT(!out[0].image->alloc && out[0].image->stride == -20);
	SF_TEST_ASSERT(sf_image_row(out[0].image, 2) == ram + data); /* the last row first */
	SF_TEST_ASSERT(px(out[0].image, 1, 0) == ((0x010203u * 11) & 0xffffff));
	((uint32_t *)(ram + data))[11] = 0xabcdef; /* the guest's bytes, not a copy */
	SF_TEST_ASSERT(px(out[0].image, 1, 0) == 0xabcdef);
	sf_image_unref(out[0].image);
	/* one chunk holding every row, top down */
	chunk = gm_alloc(&g, sizeof(QXLDataChunk) + 48);
	c = (QXLDataChunk *)(ram + chunk);
	memset(c, 0, sizeof(*c));
	c->data_size = 48;
	d = copy_drawable(&g, 0, 0, 4, 3, SPICE_BITMAP_FMT_32BIT, QXL_BITMAP_TOP_DOWN, 16, chunk,
			  0);
	SF_TEST_ASSERT(sf_qxl_parse_drawable(&p, gm_phys(d), out) == 1);
	SF_TEST_ASSERT(!out[0].image->alloc && out[0].image->stride == 16);
	SF_TEST_ASSERT(out[0].image->pixels == ram + chunk + sizeof(*c));
	sf_image_unref(out[0].image);
	/* a chunk short of the rows: copied through the chunk list (which
	 * ends early here, so rejected) */
	c->data_size = 47;
	SF_TEST_ASSERT(sf_qxl_parse_drawable(&p, gm_phys(d), out) == -EINVAL);
	/* rows off word alignment (odd stride, odd address): copied */
	d = copy_drawable(&g, 0, 0, 4, 2, SPICE_BITMAP_FMT_32BIT, QXL_BITMAP_DIRECT, 17, data, 0);
	SF_TEST_ASSERT(sf_qxl_parse_drawable(&p, gm_phys(d), out) == 1);
	SF_TEST_ASSERT(out[0].image->alloc && out[0].image->stride == 16);
	SF_TEST_ASSERT(px(out[0].image, 0, 0) == (((0x010203u * 4) >> 8) & 0xffffff));
	sf_image_unref(out[0].image);
	d = copy_drawable(&g, 0, 0, 4, 1, SPICE_BITMAP_FMT_32BIT,
			  QXL_BITMAP_DIRECT | QXL_BITMAP_TOP_DOWN, 16, data + 1, 0);
	SF_TEST_ASSERT(sf_qxl_parse_drawable(&p, gm_phys(d), out) == 1);
	SF_TEST_ASSERT(out[0].image->alloc);
	sf_image_unref(out[0].image);
	/* direct rows running past the slot: rejected, not wrapped */
	d = copy_drawable(&g, 0, 0, 4, 3, SPICE_BITMAP_FMT_32BIT, QXL_BITMAP_DIRECT, 16,
			  sizeof(ram) - 40, 0);
	SF_TEST_ASSERT(sf_qxl_parse_drawable(&p, gm_phys(d), out) == -EINVAL);
	SF_TEST_ASSERT(strstr(p.error, "outside guest memory"));
	/* split by a clip: the commands can be given one copy of their own */
	data = gm_alloc(&g, 8 * 8 * 4);
	for (uint32_t i = 0; i < 64; i++)
		((uint32_t *)(ram + data))[i] = 0x030201u * i;
	d = copy_drawable(&g, 0, 0, 8, 8, SPICE_BITMAP_FMT_32BIT,
			  QXL_BITMAP_DIRECT | QXL_BITMAP_TOP_DOWN, 32, data, 0);
	clip_two(&g, d);
	SF_TEST_ASSERT(sf_qxl_parse_drawable(&p, gm_phys(d), out) == 2);
	SF_TEST_ASSERT(out[0].image == out[1].image && !out[0].image->alloc);
	SF_TEST_ASSERT(sf_qxl_own_images(&p, out, 2) == 0);
	SF_TEST_ASSERT(out[0].image == out[1].image && out[0].image->alloc);
	((uint32_t *)(ram + data))[63] = 0x123456; /* the guest moves on */
	SF_TEST_ASSERT(px(out[0].image, 7, 7) == ((0x030201u * 63) & 0xffffff));
	SF_TEST_ASSERT(atomic_load(&out[0].image->ref) == 2);
	sf_image_unref(out[0].image);
	sf_image_unref(out[1].image);
	/* other depths are converted into an image of our own */
	d = copy_drawable(&g, 0, 0, 4, 3, SPICE_BITMAP_FMT_16BIT, QXL_BITMAP_DIRECT, 8, data, 0);
	SF_TEST_ASSERT(sf_qxl_parse_drawable(&p, gm_phys(d), out) == 1);
	SF_TEST_ASSERT(out[0].image->alloc != NULL); /* converted: our own copy */
	sf_image_unref(out[0].image);
}

SF_TEST(qxl_copy_8bit_palette_and_clip_split)
{
	struct guestmem g;
	struct sf_qxl_parser p;
	struct sf_cmd out[SF_QXL_MAX_SPLIT];
	size_t data, pal, d;

	gm_init(&g, ram, sizeof(ram));
	p = parser(&g);
	pal = gm_alloc(&g, sizeof(QXLPalette) + 2 * 4);
	((QXLPalette *)(ram + pal))->num_ents = 2;
	((QXLPalette *)(ram + pal))->ents[0] = 0x112233;
	((QXLPalette *)(ram + pal))->ents[1] = 0x445566;
	data = gm_alloc(&g, 64);
	memset(ram + data, 1, 64);
	ram[data] = 0;
	d = copy_drawable(&g, 100, 100, 8, 8, SPICE_BITMAP_FMT_8BIT,
			  QXL_BITMAP_DIRECT | QXL_BITMAP_TOP_DOWN, 8, data, pal);
	clip_two(&g, d);
	SF_TEST_ASSERT(sf_qxl_parse_drawable(&p, gm_phys(d), out) == 2);
	SF_TEST_ASSERT(out[0].rect.right == 102 && out[0].src_x == 0 && out[0].src_y == 0);
	SF_TEST_ASSERT(out[1].rect.left == 104 && out[1].rect.right == 108 && out[1].src_x == 4 &&
		       out[1].src_y == 6);
	SF_TEST_ASSERT(px(out[0].image, 0, 0) == 0x112233 && px(out[0].image, 1, 0) == 0x445566);
	SF_TEST_ASSERT(out[0].image == out[1].image); /* one conversion, shared */
	sf_image_unref(out[0].image);
	sf_image_unref(out[1].image);
}

SF_TEST(qxl_alpha_blend_keeps_rgba_and_unions_overlapping_clips)
{
	struct guestmem g;
	struct sf_qxl_parser p;
	struct sf_cmd out[SF_QXL_MAX_SPLIT];
	size_t data, d, clip;
	QXLDrawable *dr;
	QXLClipRects *cr;
	QXLRect *rects;
	int64_t area = 0;
	int n;

	gm_init(&g, ram, sizeof(ram));
	p = parser(&g);
	data = gm_alloc(&g, 16 * 16 * 4);
	for (int i = 0; i < 16 * 16; i++)
		((uint32_t *)(ram + data))[i] = 0x80402010u + (uint32_t)i;
	/* a copy drawable turned into a blend of its 12x12 area at (2, 3) */
	d = copy_drawable(&g, 50, 60, 12, 12, SPICE_BITMAP_FMT_RGBA,
			  QXL_BITMAP_DIRECT | QXL_BITMAP_TOP_DOWN, 64, data, 0);
	dr = (QXLDrawable *)(ram + d);
	{
		QXLPHYSICAL img = dr->u.copy.src_bitmap;
		QXLImage *im = sf_memslot_get(&g.ms, 0, img, sizeof(QXLImage));
		im->bitmap.x = im->descriptor.width = 16; /* the whole 16x16 bitmap */
		im->bitmap.y = im->descriptor.height = 16;
		dr->type = QXL_DRAW_ALPHA_BLEND;
		memset(&dr->u, 0, sizeof(dr->u));
		dr->u.alpha_blend.alpha = 0xc0;
		dr->u.alpha_blend.src_bitmap = img;
		dr->u.alpha_blend.src_area =
			(QXLRect){.left = 2, .top = 3, .right = 14, .bottom = 15};
	}
	/* two overlapping clip rects: each pixel must be blended once */
	clip = gm_alloc(&g, sizeof(QXLClipRects) + 2 * sizeof(QXLRect));
	cr = (QXLClipRects *)(ram + clip);
	cr->num_rects = 2;
	cr->chunk.data_size = 2 * sizeof(QXLRect);
	rects = (QXLRect *)cr->chunk.data;
	rects[0] = (QXLRect){.left = 50, .top = 60, .right = 58, .bottom = 68};
	rects[1] = (QXLRect){.left = 54, .top = 64, .right = 62, .bottom = 72};
	dr->clip.type = SPICE_CLIP_TYPE_RECTS;
	dr->clip.data = gm_phys(clip);
	n = sf_qxl_parse_drawable(&p, gm_phys(d), out);
	SF_TEST_ASSERT(n >= 2);
	for (int i = 0; i < n; i++) {
		SF_TEST_ASSERT(out[i].type == SF_CMD_BLEND && out[i].alpha == 0xc0);
		SF_TEST_ASSERT(out[i].image->format == SPICE_BITMAP_FMT_RGBA);
		SF_TEST_ASSERT(out[i].src_x == 2 + out[i].rect.left - 50 &&
			       out[i].src_y == 3 + out[i].rect.top - 60);
		for (int j = 0; j < i; j++) /* disjoint */
			SF_TEST_ASSERT(out[i].rect.left >= out[j].rect.right ||
				       out[j].rect.left >= out[i].rect.right ||
				       out[i].rect.top >= out[j].rect.bottom ||
				       out[j].rect.top >= out[i].rect.bottom);
		area += (int64_t)sf_rect_w(&out[i].rect) * sf_rect_h(&out[i].rect);
	}
	SF_TEST_ASSERT(area == 64 + 64 - 16); /* the union, nothing twice */
	/* the alpha byte is kept for a blend source */
	SF_TEST_ASSERT(((const uint32_t *)sf_image_row(out[0].image, 0))[0] == 0x80402010u);
	for (int i = 0; i < n; i++)
		sf_image_unref(out[i].image);
	/* a scaled blend (11 columns onto 12) becomes an unscaled one of the
	 * scaled pixels, RGBA kept */
	dr->u.alpha_blend.src_area.right = 13;
	dr->clip.type = SPICE_CLIP_TYPE_NONE;
	SF_TEST_ASSERT(sf_qxl_parse_drawable(&p, gm_phys(d), out) == 1);
	SF_TEST_ASSERT(out[0].type == SF_CMD_BLEND && out[0].src_x == 0 && out[0].src_y == 0);
	SF_TEST_ASSERT(out[0].image->width == 12 && out[0].image->height == 12 &&
		       out[0].image->format == SPICE_BITMAP_FMT_RGBA);
	sf_image_unref(out[0].image);
	/* ... but not from outside its bitmap */
	dr->u.alpha_blend.src_area.right = 17;
	SF_TEST_ASSERT(sf_qxl_parse_drawable(&p, gm_phys(d), out) == -EINVAL && p.error);
}

SF_TEST(qxl_scaled_copy_is_made_at_destination_size_as_the_client_scales)
{
	struct guestmem g;
	struct sf_qxl_parser p;
	struct sf_cmd out[SF_QXL_MAX_SPLIT];
	size_t data, d;
	QXLDrawable *dr;
	static const uint32_t src[4] = {0x000000, 0xff0000, 0x00ff00, 0x0000ff};

	gm_init(&g, ram, sizeof(ram));
	p = parser(&g);
	data = gm_alloc(&g, sizeof(src));
	memcpy(ram + data, src, sizeof(src));
	/* 2x2 onto 4x4 at (10, 20), nearest: each pixel a 2x2 block */
	d = copy_drawable(&g, 10, 20, 4, 4, SPICE_BITMAP_FMT_32BIT,
			  QXL_BITMAP_DIRECT | QXL_BITMAP_TOP_DOWN, 8, data, 0);
	dr = (QXLDrawable *)(ram + d);
	{
		QXLImage *im = sf_memslot_get(&g.ms, 0, dr->u.copy.src_bitmap, sizeof(QXLImage));
		im->bitmap.x = im->descriptor.width = 2; /* a 2x2 bitmap */
		im->bitmap.y = im->descriptor.height = 2;
	}
	dr->u.copy.src_area = (QXLRect){.right = 2, .bottom = 2};
	dr->u.copy.scale_mode = SPICE_IMAGE_SCALE_MODE_NEAREST;
	SF_TEST_ASSERT(sf_qxl_parse_drawable(&p, gm_phys(d), out) == 1);
	SF_TEST_ASSERT(out[0].type == SF_CMD_COPY && out[0].rect.left == 10 &&
		       out[0].rect.right == 14 && out[0].src_x == 0 && out[0].src_y == 0);
	SF_TEST_ASSERT(out[0].image->width == 4 && out[0].image->height == 4);
	for (uint32_t y = 0; y < 4; y++)
		for (uint32_t x = 0; x < 4; x++)
			SF_TEST_ASSERT(px(out[0].image, x, y) == src[(y / 2) * 2 + x / 2]);
	sf_image_unref(out[0].image);
	/* interpolated: inner pixels mix their neighbours */
	dr->u.copy.scale_mode = SPICE_IMAGE_SCALE_MODE_INTERPOLATE;
	SF_TEST_ASSERT(sf_qxl_parse_drawable(&p, gm_phys(d), out) == 1);
	SF_TEST_ASSERT(px(out[0].image, 1, 0) != 0 &&
		       (px(out[0].image, 1, 0) & 0xff0000) != 0xff0000);
	sf_image_unref(out[0].image);
	/* a destination too large to make is refused, not allocated */
	dr->bbox = (QXLRect){.left = 0, .top = 0, .right = 16000, .bottom = 16000};
	SF_TEST_ASSERT(sf_qxl_parse_drawable(&p, gm_phys(d), out) == -ENOTSUP);
}

SF_TEST(qxl_copy_from_a_surface_names_it_for_the_producer)
{
	struct guestmem g;
	struct sf_qxl_parser p;
	struct sf_cmd out[SF_QXL_MAX_SPLIT];
	size_t d;
	QXLDrawable *dr;
	QXLImage *im;

	gm_init(&g, ram, sizeof(ram));
	p = parser(&g);
	d = copy_drawable(&g, 10, 20, 8, 8, SPICE_BITMAP_FMT_32BIT, QXL_BITMAP_DIRECT, 32,
			  gm_alloc(&g, 8 * 32), 0);
	dr = (QXLDrawable *)(ram + d);
	im = sf_memslot_get(&g.ms, 0, dr->u.copy.src_bitmap, sizeof(QXLImage));
	im->descriptor.type = SPICE_IMAGE_TYPE_SURFACE;
	im->surface_image.surface_id = 3;
	dr->u.copy.src_area = (QXLRect){.left = 5, .top = 6, .right = 13, .bottom = 14};
	SF_TEST_ASSERT(sf_qxl_parse_drawable(&p, gm_phys(d), out) == 1);
	SF_TEST_ASSERT(out[0].type == SF_CMD_COPY && out[0].from_surface &&
		       out[0].src_surface == 3 && !out[0].image && out[0].src_x == 5 &&
		       out[0].src_y == 6);
	im->surface_image.surface_id = 16; /* the parser's n_surfaces */
	SF_TEST_ASSERT(sf_qxl_parse_drawable(&p, gm_phys(d), out) == -EINVAL);
	im->surface_image.surface_id = 3;
	dr->u.copy.src_area.right = 12; /* scaled: not from a surface */
	SF_TEST_ASSERT(sf_qxl_parse_drawable(&p, gm_phys(d), out) == -ENOTSUP);
}

SF_TEST(qxl_hostile_drawables_are_rejected)
{
	struct guestmem g;
	struct sf_qxl_parser p;
	struct sf_cmd out[SF_QXL_MAX_SPLIT];
	size_t data, d, chunk;
	QXLDrawable *dr;

	gm_init(&g, ram, sizeof(ram));
	p = parser(&g);
	data = gm_alloc(&g, 64);
	/* data pointer past the end of the slot */
	d = copy_drawable(&g, 0, 0, 4, 4, SPICE_BITMAP_FMT_32BIT, QXL_BITMAP_DIRECT, 16,
			  sizeof(ram) - 32, 0);
	SF_TEST_ASSERT(sf_qxl_parse_drawable(&p, gm_phys(d), out) == -EINVAL && p.error);
	/* stride smaller than a row */
	d = copy_drawable(&g, 0, 0, 4, 4, SPICE_BITMAP_FMT_32BIT, QXL_BITMAP_DIRECT, 15, data, 0);
	SF_TEST_ASSERT(sf_qxl_parse_drawable(&p, gm_phys(d), out) == -EINVAL);
	/* huge image */
	d = copy_drawable(&g, 0, 0, 4, 4, SPICE_BITMAP_FMT_32BIT, QXL_BITMAP_DIRECT, 1u << 30, data,
			  0);
	SF_TEST_ASSERT(sf_qxl_parse_drawable(&p, gm_phys(d), out) == -EINVAL);
	/* chunk chain that loops on itself with empty chunks */
	chunk = gm_alloc(&g, sizeof(QXLDataChunk));
	((QXLDataChunk *)(ram + chunk))->data_size = 0;
	((QXLDataChunk *)(ram + chunk))->next_chunk = gm_phys(chunk);
	d = copy_drawable(&g, 0, 0, 4, 4, SPICE_BITMAP_FMT_32BIT, 0, 16, chunk, 0);
	SF_TEST_ASSERT(sf_qxl_parse_drawable(&p, gm_phys(d), out) == -EINVAL);
	/* indexed bitmap without palette */
	d = copy_drawable(&g, 0, 0, 4, 4, SPICE_BITMAP_FMT_8BIT, QXL_BITMAP_DIRECT, 4, data, 0);
	SF_TEST_ASSERT(sf_qxl_parse_drawable(&p, gm_phys(d), out) == -EINVAL);
	/* surface id out of range, bad bbox, unknown type, a scaled copy's
	 * source area outside its bitmap */
	d = copy_drawable(&g, 0, 0, 4, 4, SPICE_BITMAP_FMT_32BIT, QXL_BITMAP_DIRECT, 16, data, 0);
	dr = (QXLDrawable *)(ram + d);
	dr->surface_id = 16;
	SF_TEST_ASSERT(sf_qxl_parse_drawable(&p, gm_phys(d), out) == -EINVAL);
	dr->surface_id = 0;
	dr->bbox.right = -5;
	SF_TEST_ASSERT(sf_qxl_parse_drawable(&p, gm_phys(d), out) == -EINVAL);
	dr->bbox.right = 4;
	dr->u.copy.src_area.right = 8;
	SF_TEST_ASSERT(sf_qxl_parse_drawable(&p, gm_phys(d), out) == -EINVAL);
	dr->type = 200;
	SF_TEST_ASSERT(sf_qxl_parse_drawable(&p, gm_phys(d), out) == -ENOTSUP);
	/* the drawable itself outside guest memory */
	SF_TEST_ASSERT(sf_qxl_parse_drawable(&p, gm_phys(sizeof(ram) - 8), out) == -EINVAL);
	SF_TEST_ASSERT(!sf_qxl_release_ptr(&p, gm_phys(sizeof(ram) - 4)));
}

SF_TEST(qxl_fills_through_raster_ops_map_as_spice_gtk_does)
{
	struct guestmem g;
	struct sf_qxl_parser p;
	struct sf_cmd out[SF_QXL_MAX_SPLIT];
	size_t d;
	QXLDrawable *dr;

	/* descriptors against spice-gtk's ropd_descriptor_to_rop for a brush */
	SF_TEST_ASSERT(sf_rop_for_brush(SPICE_ROPD_OP_XOR) == SF_ROP_XOR);
	SF_TEST_ASSERT(sf_rop_for_brush(SPICE_ROPD_OP_OR | SPICE_ROPD_INVERS_RES) == SF_ROP_NOR);
	SF_TEST_ASSERT(sf_rop_for_brush(SPICE_ROPD_OP_AND | SPICE_ROPD_INVERS_BRUSH) ==
		       SF_ROP_AND_INVERTED);
	SF_TEST_ASSERT(sf_rop_for_brush(SPICE_ROPD_OP_AND | SPICE_ROPD_INVERS_DEST) ==
		       SF_ROP_AND_REVERSE);
	SF_TEST_ASSERT(sf_rop_for_brush(SPICE_ROPD_OP_OR | SPICE_ROPD_INVERS_BRUSH |
					SPICE_ROPD_INVERS_DEST) == SF_ROP_NAND);
	SF_TEST_ASSERT(sf_rop_for_brush(SPICE_ROPD_OP_XOR | SPICE_ROPD_INVERS_RES |
					SPICE_ROPD_INVERS_BRUSH) == SF_ROP_XOR);
	SF_TEST_ASSERT(sf_rop_for_brush(SPICE_ROPD_OP_XOR | SPICE_ROPD_INVERS_RES) == SF_ROP_EQUIV);
	SF_TEST_ASSERT(sf_rop_for_brush(SPICE_ROPD_OP_PUT | SPICE_ROPD_INVERS_BRUSH) ==
		       SF_ROP_COPY_INVERTED);
	/* the source-invert bit means nothing to a fill */
	SF_TEST_ASSERT(sf_rop_for_brush(SPICE_ROPD_OP_PUT | SPICE_ROPD_INVERS_SRC) == SF_ROP_COPY);
	SF_TEST_ASSERT(sf_rop_for_brush(SPICE_ROPD_OP_INVERS) == SF_ROP_INVERT);
	SF_TEST_ASSERT(sf_rop_for_brush(0) == SF_ROP_COPY);

	gm_init(&g, ram, sizeof(ram));
	p = parser(&g);
	d = fill_drawable(&g, 0x00ff00, SPICE_ROPD_OP_XOR);
	dr = (QXLDrawable *)(ram + d);
	SF_TEST_ASSERT(sf_qxl_parse_drawable(&p, gm_phys(d), out) == 1);
	SF_TEST_ASSERT(out[0].type == SF_CMD_FILL_ROP && out[0].rop == SF_ROP_XOR &&
		       out[0].ropd == SPICE_ROPD_OP_XOR && out[0].color == 0x00ff00);
	/* what ignores the destination is a plain fill; a no-op draws nothing */
	dr->u.fill.rop_descriptor = SPICE_ROPD_OP_PUT | SPICE_ROPD_INVERS_BRUSH;
	SF_TEST_ASSERT(sf_qxl_parse_drawable(&p, gm_phys(d), out) == 1);
	SF_TEST_ASSERT(out[0].type == SF_CMD_FILL && out[0].color == 0xff00ff);
	/* !(!s & !d) == s | d; !(!s & d) == s | !d */
	SF_TEST_ASSERT(sf_rop_for_brush(SPICE_ROPD_OP_AND | SPICE_ROPD_INVERS_BRUSH |
					SPICE_ROPD_INVERS_RES | SPICE_ROPD_INVERS_DEST) ==
		       SF_ROP_OR);
	SF_TEST_ASSERT(sf_rop_for_brush(SPICE_ROPD_OP_AND | SPICE_ROPD_INVERS_BRUSH |
					SPICE_ROPD_INVERS_RES) == SF_ROP_OR_REVERSE);
	dr->u.fill.rop_descriptor = SPICE_ROPD_OP_OR | SPICE_ROPD_INVERS_BRUSH;
	dr->u.fill.brush.u.color = 0xffffff; /* ~s | d with s all ones: d */
	SF_TEST_ASSERT(sf_qxl_parse_drawable(&p, gm_phys(d), out) == 1);
	SF_TEST_ASSERT(out[0].type == SF_CMD_FILL_ROP && out[0].rop == SF_ROP_OR_INVERTED);
	/* a pattern brush through a raster op is not drawn */
	dr->u.fill.brush.type = SPICE_BRUSH_TYPE_PATTERN;
	SF_TEST_ASSERT(sf_qxl_parse_drawable(&p, gm_phys(d), out) == -ENOTSUP && p.error);
	/* ... but an invert does not read its brush */
	dr->type = QXL_DRAW_INVERS;
	memset(&dr->u, 0, sizeof(dr->u));
	SF_TEST_ASSERT(sf_qxl_parse_drawable(&p, gm_phys(d), out) == 1);
	SF_TEST_ASSERT(out[0].type == SF_CMD_FILL_ROP && out[0].rop == SF_ROP_INVERT &&
		       out[0].ropd == SPICE_ROPD_OP_INVERS);
}

SF_TEST(qxl_transparent_copy_becomes_a_blend_of_0_and_255)
{
	struct guestmem g;
	struct sf_qxl_parser p;
	struct sf_cmd out[SF_QXL_MAX_SPLIT];
	static const uint32_t src[4] = {0xff00ff, 0x123456, 0xabff00ff, 0x000000};
	size_t data = 0, d;
	QXLDrawable *dr;
	QXLImage *im;

	gm_init(&g, ram, sizeof(ram));
	p = parser(&g);
	data = gm_alloc(&g, sizeof(src));
	memcpy(ram + data, src, sizeof(src));
	d = copy_drawable(&g, 0, 0, 2, 2, SPICE_BITMAP_FMT_32BIT,
			  QXL_BITMAP_DIRECT | QXL_BITMAP_TOP_DOWN, 8, data, 0);
	dr = (QXLDrawable *)(ram + d);
	{
		QXLPHYSICAL img = dr->u.copy.src_bitmap;
		dr->type = QXL_DRAW_TRANSPARENT;
		memset(&dr->u, 0, sizeof(dr->u));
		dr->u.transparent.src_bitmap = img;
		dr->u.transparent.src_area = (QXLRect){.right = 2, .bottom = 2};
		dr->u.transparent.true_color = 0xff00ff; /* the key, on RGB only */
	}
	SF_TEST_ASSERT(sf_qxl_parse_drawable(&p, gm_phys(d), out) == 1);
	SF_TEST_ASSERT(out[0].type == SF_CMD_BLEND && out[0].alpha == 0xff &&
		       out[0].image->format == SPICE_BITMAP_FMT_RGBA);
	SF_TEST_ASSERT(((uint32_t *)sf_image_row(out[0].image, 0))[0] == 0);
	SF_TEST_ASSERT(((uint32_t *)sf_image_row(out[0].image, 0))[1] == 0xff123456u);
	SF_TEST_ASSERT(((uint32_t *)sf_image_row(out[0].image, 1))[0] == 0);
	SF_TEST_ASSERT(((uint32_t *)sf_image_row(out[0].image, 1))[1] == 0xff000000u);
	sf_image_unref(out[0].image);
	im = sf_memslot_get(&g.ms, 0, dr->u.transparent.src_bitmap, sizeof(QXLImage));
	im->descriptor.type = SPICE_IMAGE_TYPE_SURFACE;
	im->surface_image.surface_id = 1;
	SF_TEST_ASSERT(sf_qxl_parse_drawable(&p, gm_phys(d), out) == -ENOTSUP && p.error);
}

SF_TEST(qxl_copies_through_raster_ops)
{
	struct guestmem g;
	struct sf_qxl_parser p;
	struct sf_cmd out[SF_QXL_MAX_SPLIT];
	size_t d;
	QXLDrawable *dr;

	gm_init(&g, ram, sizeof(ram));
	p = parser(&g);
	d = copy_drawable(&g, 0, 0, 4, 4, SPICE_BITMAP_FMT_32BIT,
			  QXL_BITMAP_DIRECT | QXL_BITMAP_TOP_DOWN, 16, gm_alloc(&g, 64), 0);
	dr = (QXLDrawable *)(ram + d);
	dr->type = QXL_DRAW_BLEND; /* SRCAND */
	dr->u.blend.rop_descriptor = SPICE_ROPD_OP_AND;
	SF_TEST_ASSERT(sf_qxl_parse_drawable(&p, gm_phys(d), out) == 1);
	SF_TEST_ASSERT(out[0].type == SF_CMD_COPY_ROP && out[0].rop == SF_ROP_AND &&
		       out[0].ropd == SPICE_ROPD_OP_AND && out[0].image);
	sf_image_unref(out[0].image);
	/* the source input is SRC here: the brush flag means nothing */
	dr->type = QXL_DRAW_COPY;
	dr->u.copy.rop_descriptor = SPICE_ROPD_OP_PUT | SPICE_ROPD_INVERS_BRUSH;
	SF_TEST_ASSERT(sf_qxl_parse_drawable(&p, gm_phys(d), out) == 1);
	SF_TEST_ASSERT(out[0].type == SF_CMD_COPY);
	sf_image_unref(out[0].image);
	dr->u.copy.rop_descriptor = SPICE_ROPD_OP_PUT | SPICE_ROPD_INVERS_SRC;
	SF_TEST_ASSERT(sf_qxl_parse_drawable(&p, gm_phys(d), out) == 1);
	SF_TEST_ASSERT(out[0].type == SF_CMD_COPY_ROP && out[0].rop == SF_ROP_COPY_INVERTED);
	sf_image_unref(out[0].image);
	/* ops that ignore the source: fills; a no-op: nothing */
	dr->u.copy.rop_descriptor = SPICE_ROPD_OP_INVERS;
	SF_TEST_ASSERT(sf_qxl_parse_drawable(&p, gm_phys(d), out) == 1);
	SF_TEST_ASSERT(out[0].type == SF_CMD_FILL_ROP && out[0].rop == SF_ROP_INVERT &&
		       !out[0].image);
	dr->u.copy.rop_descriptor = SPICE_ROPD_OP_AND | SPICE_ROPD_INVERS_SRC |
				    SPICE_ROPD_INVERS_RES; /* !(!s & d) = s | !d */
	SF_TEST_ASSERT(sf_rop_for_source(dr->u.copy.rop_descriptor) == SF_ROP_OR_REVERSE);
	dr->u.copy.rop_descriptor = SPICE_ROPD_OP_BLACKNESS;
	SF_TEST_ASSERT(sf_qxl_parse_drawable(&p, gm_phys(d), out) == 1);
	SF_TEST_ASSERT(out[0].type == SF_CMD_FILL && out[0].color == 0);
	/* a mask is still refused */
	dr->u.copy.mask.bitmap = gm_phys(0);
	SF_TEST_ASSERT(sf_qxl_parse_drawable(&p, gm_phys(d), out) == -ENOTSUP);
}

SF_TEST(qxl_fill_copy_bits_surface_and_cursor)
{
	struct guestmem g;
	struct sf_qxl_parser p;
	struct sf_cmd out[SF_QXL_MAX_SPLIT];
	size_t d, s, mem, cc, cur;
	QXLDrawable *dr;
	QXLSurfaceCmd *sc;
	QXLCursorCmd *ccmd;
	QXLCursor *shape;

	gm_init(&g, ram, sizeof(ram));
	p = parser(&g);
	d = fill_drawable(&g, 0xff00ff, SPICE_ROPD_OP_PUT);
	dr = (QXLDrawable *)(ram + d);
	SF_TEST_ASSERT(sf_qxl_parse_drawable(&p, gm_phys(d), out) == 1);
	SF_TEST_ASSERT(out[0].type == SF_CMD_FILL && out[0].color == 0xff00ff);
	dr->type = QXL_COPY_BITS;
	dr->u.copy_bits.src_pos = (QXLPoint){7, 9};
	SF_TEST_ASSERT(sf_qxl_parse_drawable(&p, gm_phys(d), out) == 1);
	SF_TEST_ASSERT(out[0].type == SF_CMD_COPY_BITS && out[0].src_x == 7 && out[0].src_y == 9);

	mem = gm_alloc(&g, 16 * 8 * 4);
	s = gm_alloc(&g, sizeof(QXLSurfaceCmd));
	sc = (QXLSurfaceCmd *)(ram + s);
	memset(sc, 0, sizeof(*sc));
	sc->surface_id = 3;
	sc->type = QXL_SURFACE_CMD_CREATE;
	sc->u.surface_create = (QXLSurface){SPICE_SURFACE_FMT_32_xRGB, 16, 8, -64, gm_phys(mem)};
	SF_TEST_ASSERT(sf_qxl_parse_surface(&p, gm_phys(s), out) == 1);
	SF_TEST_ASSERT(out[0].type == SF_CMD_SURFACE_CREATE && out[0].mem == ram + mem + 7 * 64);
	sc->u.surface_create.stride = -66; /* rows off word alignment */
	SF_TEST_ASSERT(sf_qxl_parse_surface(&p, gm_phys(s), out) == -EINVAL);
	SF_TEST_ASSERT(strstr(p.error, "word-aligned"));
	sc->u.surface_create.stride = -64;
	sc->u.surface_create.data = gm_phys(mem + 2);
	SF_TEST_ASSERT(sf_qxl_parse_surface(&p, gm_phys(s), out) == -EINVAL);
	sc->u.surface_create.height = 9; /* one row more than the memory holds... */
	sc->u.surface_create.data = gm_phys(sizeof(ram) - 16 * 8 * 4);
	SF_TEST_ASSERT(sf_qxl_parse_surface(&p, gm_phys(s), out) == -EINVAL);
	sc->surface_id = 0; /* the primary is not created by command */
	SF_TEST_ASSERT(sf_qxl_parse_surface(&p, gm_phys(s), out) == -EINVAL);

	cur = gm_alloc(&g, sizeof(QXLCursor) + 2 * 2 * 4);
	shape = (QXLCursor *)(ram + cur);
	shape->header = (QXLCursorHeader){.type = SPICE_CURSOR_TYPE_ALPHA,
					  .width = 2,
					  .height = 2,
					  .hot_spot_x = 1,
					  .hot_spot_y = 1};
	shape->data_size = 16;
	shape->chunk.data_size = 16;
	memset(shape->chunk.data, 0xff, 16);
	cc = gm_alloc(&g, sizeof(QXLCursorCmd));
	ccmd = (QXLCursorCmd *)(ram + cc);
	memset(ccmd, 0, sizeof(*ccmd));
	ccmd->type = QXL_CURSOR_SET;
	ccmd->u.set.visible = 1;
	ccmd->u.set.shape = gm_phys(cur);
	SF_TEST_ASSERT(sf_qxl_parse_cursor(&p, gm_phys(cc), out) == 1);
	SF_TEST_ASSERT(out[0].type == SF_CMD_CURSOR_SET && out[0].image->width == 2 &&
		       out[0].hot_x == 1);
	sf_image_unref(out[0].image);
	shape->header.hot_spot_x = 2; /* hot spot outside the shape */
	SF_TEST_ASSERT(sf_qxl_parse_cursor(&p, gm_phys(cc), out) == -EINVAL);
	shape->header.hot_spot_x = 0;
	shape->data_size = 3; /* less data than the size needs */
	SF_TEST_ASSERT(sf_qxl_parse_cursor(&p, gm_phys(cc), out) == -EINVAL);
}
