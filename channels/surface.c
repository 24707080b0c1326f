/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* channels/surface.c: pixman rendering of the commands the display channel
 * forwards, into our own memory or into guest memory (QXL surfaces, possibly
 * bottom-up with a negative stride, which pixman images accept). COPY_BITS
 * may overlap itself, so it moves rows in the safe order. */
#include <errno.h>
#include <string.h>
#include <pixman.h>
#include <spice/enums.h>
#include "channels/surface.h"

struct sf_surface {
	struct sf_image *img;
	pixman_image_t *pix;
};

static struct sf_surface *wrap(struct sf_image *img)
{
	struct sf_surface *s;

	if (!img)
		return NULL;
	s = calloc(1, sizeof(*s));
	if (!s)
		goto err_img;
	s->img = img;
	s->pix = pixman_image_create_bits(PIXMAN_x8r8g8b8, (int)img->width, (int)img->height,
					  (uint32_t *)img->pixels, (int)img->stride);
	if (!s->pix)
		goto err_free;
	return s;

err_free:
	free(s);
err_img:
	sf_image_unref(img);
	return NULL;
}

struct sf_surface *sf_surface_create(uint32_t width, uint32_t height)
{
	return wrap(sf_image_new(width, height, SPICE_BITMAP_FMT_32BIT));
}

struct sf_surface *sf_surface_create_external(uint32_t width, uint32_t height, uint8_t *row0,
					      int32_t stride, bool keep)
{
	struct sf_surface *s = wrap(sf_image_wrap(width, height, row0, stride));

	/* as spice-server does: without KEEP_DATA the memory is not a picture
	 * (QEMU hands fresh, uncleared heap) and only what differs from black
	 * is ever drawn, so black must be what is there */
	if (s && !keep)
		for (uint32_t y = 0; y < height; y++)
			memset(sf_image_row(s->img, y), 0, (size_t)width * 4);
	return s;
}

void sf_surface_destroy(struct sf_surface *s)
{
	if (!s)
		return;
	pixman_image_unref(s->pix);
	sf_image_unref(s->img);
	free(s);
}

const struct sf_image *sf_surface_image(const struct sf_surface *s)
{
	return s->img;
}

bool sf_surface_contains(const struct sf_surface *s, const struct sf_rect *r)
{
	return r->left >= 0 && r->top >= 0 && r->left < r->right && r->top < r->bottom &&
	       (uint32_t)r->right <= s->img->width && (uint32_t)r->bottom <= s->img->height;
}

void sf_surface_fill(struct sf_surface *s, const struct sf_rect *r, uint32_t color)
{
	/* 8-bit channels widened exactly (c * 0x101), as spice-gtk's canvas does */
	pixman_color_t c = {
		.red = (uint16_t)(((color >> 16) & 0xff) * 0x101),
		.green = (uint16_t)(((color >> 8) & 0xff) * 0x101),
		.blue = (uint16_t)((color & 0xff) * 0x101),
		.alpha = 0xffff,
	};
	pixman_rectangle16_t rect = {(int16_t)r->left, (int16_t)r->top, (uint16_t)sf_rect_w(r),
				     (uint16_t)sf_rect_h(r)};

	pixman_image_fill_rectangles(PIXMAN_OP_SRC, s->pix, &c, 1, &rect);
}

void sf_surface_copy(struct sf_surface *s, const struct sf_rect *r, const struct sf_image *img,
		     int32_t src_x, int32_t src_y)
{
	pixman_image_t *src =
		pixman_image_create_bits(PIXMAN_x8r8g8b8, (int)img->width, (int)img->height,
					 (uint32_t *)img->pixels, (int)img->stride);

	if (!src)
		return;
	pixman_image_composite32(PIXMAN_OP_SRC, src, NULL, s->pix, src_x, src_y, 0, 0, r->left,
				 r->top, sf_rect_w(r), sf_rect_h(r));
	pixman_image_unref(src);
}

void sf_surface_blend(struct sf_surface *s, const struct sf_rect *r, const struct sf_image *img,
		      int32_t src_x, int32_t src_y, uint8_t alpha)
{
	/* the operator, formats and mask spice-gtk's canvas uses for
	 * ALPHA_BLEND, so both sides compute the same pixels */
	pixman_format_code_t fmt =
		img->format == SPICE_BITMAP_FMT_RGBA ? PIXMAN_a8r8g8b8 : PIXMAN_x8r8g8b8;
	pixman_image_t *src = pixman_image_create_bits(fmt, (int)img->width, (int)img->height,
						       (uint32_t *)img->pixels, (int)img->stride);
	pixman_image_t *mask = NULL;

	if (!src)
		return;
	if (alpha != 0xff) {
		pixman_color_t c = {0, 0, 0, (uint16_t)(alpha * 0x101)};
		mask = pixman_image_create_solid_fill(&c);
	}
	pixman_image_composite32(PIXMAN_OP_OVER, src, mask, s->pix, src_x, src_y, 0, 0, r->left,
				 r->top, sf_rect_w(r), sf_rect_h(r));
	if (mask)
		pixman_image_unref(mask);
	pixman_image_unref(src);
}

enum sf_rop sf_rop_for_brush(uint16_t ropd)
{
	return sf_rop_for(ropd, SPICE_ROPD_INVERS_BRUSH);
}

enum sf_rop sf_rop_for_source(uint16_t ropd)
{
	return sf_rop_for(ropd, SPICE_ROPD_INVERS_SRC);
}

enum sf_rop sf_rop_for(uint16_t ropd, uint16_t invers_input)
{
	unsigned table = 0;

	if (!(ropd &
	      (SPICE_ROPD_OP_PUT | SPICE_ROPD_OP_OR | SPICE_ROPD_OP_AND | SPICE_ROPD_OP_XOR)))
		return ropd & SPICE_ROPD_OP_BLACKNESS	? SF_ROP_CLEAR
		       : ropd & SPICE_ROPD_OP_WHITENESS ? SF_ROP_SET
		       : ropd & SPICE_ROPD_OP_INVERS	? SF_ROP_INVERT
							: SF_ROP_COPY;
	/* the function's truth table over one bit of brush and destination;
	 * X11's GX codes (SpiceROP's order) put (1, 1) in bit 0, (0, 0) in 3 */
	for (unsigned b = 0; b < 2; b++)
		for (unsigned d = 0; d < 2; d++) {
			unsigned s1 = b ^ !!(ropd & invers_input);
			unsigned d1 = d ^ !!(ropd & SPICE_ROPD_INVERS_DEST), v;
			v = ropd & SPICE_ROPD_OP_PUT   ? s1
			    : ropd & SPICE_ROPD_OP_OR  ? s1 | d1
			    : ropd & SPICE_ROPD_OP_AND ? s1 & d1
						       : s1 ^ d1;
			v ^= !!(ropd & SPICE_ROPD_INVERS_RES);
			table |= v << (3 - (2 * b + d));
		}
	return (enum sf_rop)table;
}

static uint32_t rop(enum sf_rop op, uint32_t s, uint32_t d)
{
	switch (op) {
	case SF_ROP_CLEAR:
		return 0;
	case SF_ROP_AND:
		return s & d;
	case SF_ROP_AND_REVERSE:
		return s & ~d;
	case SF_ROP_COPY:
		return s;
	case SF_ROP_AND_INVERTED:
		return ~s & d;
	case SF_ROP_NOOP:
		return d;
	case SF_ROP_XOR:
		return s ^ d;
	case SF_ROP_OR:
		return s | d;
	case SF_ROP_NOR:
		return ~s & ~d;
	case SF_ROP_EQUIV:
		return ~s ^ d;
	case SF_ROP_INVERT:
		return ~d;
	case SF_ROP_OR_REVERSE:
		return s | ~d;
	case SF_ROP_COPY_INVERTED:
		return ~s;
	case SF_ROP_OR_INVERTED:
		return ~s | d;
	case SF_ROP_NAND:
		return ~s | ~d;
	default:
		return 0xffffffffu;
	}
}

void sf_surface_fill_rop(struct sf_surface *s, const struct sf_rect *r, uint32_t color,
			 enum sf_rop op)
{
	for (int32_t y = r->top; y < r->bottom; y++) {
		uint32_t *row = (uint32_t *)sf_image_row(s->img, (uint32_t)y);
		for (int32_t x = r->left; x < r->right; x++)
			row[x] = rop(op, color, row[x]);
	}
}

void sf_surface_copy_rop(struct sf_surface *s, const struct sf_rect *r, const struct sf_image *img,
			 int32_t src_x, int32_t src_y, enum sf_rop op)
{
	for (int32_t y = 0; y < sf_rect_h(r); y++) {
		uint32_t *row = (uint32_t *)sf_image_row(s->img, (uint32_t)(r->top + y)) + r->left;
		const uint32_t *in =
			(const uint32_t *)sf_image_row(img, (uint32_t)(src_y + y)) + src_x;
		for (int32_t x = 0; x < sf_rect_w(r); x++)
			row[x] = rop(op, in[x], row[x]);
	}
}

void sf_surface_copy_bits(struct sf_surface *s, const struct sf_rect *r, int32_t src_x,
			  int32_t src_y)
{
	size_t row = (size_t)sf_rect_w(r) * 4;
	int32_t h = sf_rect_h(r);
	bool up = src_y < r->top; /* moving down: copy bottom rows first */

	for (int32_t i = 0; i < h; i++) {
		int32_t y = up ? h - 1 - i : i;
		memmove(sf_image_row(s->img, (uint32_t)(r->top + y)) + (size_t)r->left * 4,
			sf_image_row(s->img, (uint32_t)(src_y + y)) + (size_t)src_x * 4, row);
	}
}
