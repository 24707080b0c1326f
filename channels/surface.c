/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* channels/surface.c: pixman rendering of the commands the display channel
 * forwards. COPY_BITS may overlap itself, so it moves rows in the safe order. */
#include <string.h>
#include <pixman.h>
#include <spice/enums.h>
#include "channels/surface.h"

struct sf_surface {
	struct sf_image *img;
	pixman_image_t *pix;
};

struct sf_surface *sf_surface_create(uint32_t width, uint32_t height)
{
	struct sf_surface *s = calloc(1, sizeof(*s));

	if (!s)
		return NULL;
	s->img = sf_image_new(width, height, SPICE_BITMAP_FMT_32BIT);
	if (!s->img)
		goto err_free;
	s->pix = pixman_image_create_bits(PIXMAN_x8r8g8b8, (int)width, (int)height,
					  (uint32_t *)s->img->pixels, (int)s->img->stride);
	if (!s->pix)
		goto err_img;
	return s;

err_img:
	sf_image_unref(s->img);
err_free:
	free(s);
	return NULL;
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
	pixman_fill((uint32_t *)s->img->pixels, (int)(s->img->stride / 4), 32, r->left, r->top,
		    sf_rect_w(r), sf_rect_h(r), color);
}

void sf_surface_copy(struct sf_surface *s, const struct sf_rect *r, const struct sf_image *img,
		     int32_t src_x, int32_t src_y)
{
	pixman_blt((uint32_t *)img->pixels, (uint32_t *)s->img->pixels, (int)(img->stride / 4),
		   (int)(s->img->stride / 4), 32, 32, src_x, src_y, r->left, r->top, sf_rect_w(r),
		   sf_rect_h(r));
}

void sf_surface_copy_bits(struct sf_surface *s, const struct sf_rect *r, int32_t src_x,
			  int32_t src_y)
{
	size_t stride = s->img->stride, row = (size_t)sf_rect_w(r) * 4;
	int32_t h = sf_rect_h(r);
	uint8_t *base = s->img->pixels;
	bool up = src_y < r->top; /* moving down: copy bottom rows first */

	for (int32_t i = 0; i < h; i++) {
		int32_t y = up ? h - 1 - i : i;
		memmove(base + (size_t)(r->top + y) * stride + (size_t)r->left * 4,
			base + (size_t)(src_y + y) * stride + (size_t)src_x * 4, row);
	}
}
