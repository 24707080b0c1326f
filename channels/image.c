/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* channels/image.c: refcounted images (display-t.h). */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include "channels/display-t.h"
#include "engine/ids.h"

#define MAX_DIM 16384

static struct sf_image *image_new(uint32_t width, uint32_t height, uint8_t format, bool zero)
{
	struct sf_image *img;
	size_t bytes = (size_t)width * height * 4;

	if (!width || !height || width > MAX_DIM || height > MAX_DIM) {
		errno = EINVAL;
		return NULL;
	}
	img = calloc(1, sizeof(*img));
	if (!img)
		return NULL;
	img->alloc = img->pixels = zero ? calloc(bytes, 1) : malloc(bytes);
	if (!img->pixels) {
		free(img);
		return NULL;
	}
	atomic_init(&img->ref, 1);
	img->id = sf_ids_next();
	img->width = width;
	img->height = height;
	img->stride = (int32_t)width * 4;
	img->format = format;
	return img;
}

struct sf_image *sf_image_new(uint32_t width, uint32_t height, uint8_t format)
{
	return image_new(width, height, format, true);
}

struct sf_image *sf_image_new_unset(uint32_t width, uint32_t height, uint8_t format)
{
	return image_new(width, height, format, false);
}

struct sf_image *sf_image_copy(const struct sf_image *img, uint32_t x, uint32_t y, uint32_t w,
			       uint32_t h)
{
	struct sf_image *c = sf_image_new_unset(w, h, img->format);

	for (uint32_t r = 0; c && r < h; r++)
		memcpy(sf_image_row(c, r), sf_image_row(img, y + r) + (size_t)x * 4, (size_t)w * 4);
	return c;
}

struct sf_image *sf_image_wrap(uint32_t width, uint32_t height, uint8_t *row0, int32_t stride)
{
	struct sf_image *img;

	if (!width || !height || width > MAX_DIM || height > MAX_DIM || !row0 ||
	    (stride < 0 ? -(int64_t)stride : stride) < (int64_t)width * 4) {
		errno = EINVAL;
		return NULL;
	}
	img = calloc(1, sizeof(*img));
	if (!img)
		return NULL;
	atomic_init(&img->ref, 1);
	img->id = sf_ids_next();
	img->width = width;
	img->height = height;
	img->stride = stride;
	img->format = 8; /* SPICE_BITMAP_FMT_32BIT */
	img->pixels = row0;
	return img;
}

struct sf_image *sf_image_ref(struct sf_image *img)
{
	/* relaxed: the caller holds a reference */
	atomic_fetch_add_explicit(&img->ref, 1, memory_order_relaxed);
	return img;
}

void sf_image_unref(struct sf_image *img)
{
	if (!img)
		return;
	/* acq_rel: last drop sees all writes made before sharing */
	if (atomic_fetch_sub_explicit(&img->ref, 1, memory_order_acq_rel) == 1) {
		free(img->alloc);
		free(img);
	}
}
