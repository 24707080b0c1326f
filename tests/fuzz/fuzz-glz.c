/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* tests/fuzz/fuzz-glz.c: libFuzzer target for GLZ, whose decoder reads
 * references into earlier images. Odd first byte: the rest is a series of
 * length-prefixed streams decoded into one client window, which must reject
 * or decode each within bounds. Even: the rest is pixels cut into a series
 * of images that share content (so references cross images), encoded
 * through one small dictionary and decoded through one window exactly. */
#include "tests/fuzz/codec-fuzz.h" /* system headers first */
#include "encoders/glz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void hostile_series(const uint8_t *p, size_t n)
{
	static uint32_t out[64 * 64];
	struct sf_glz_window *win = sf_glz_window_new();

	/* each: width, height, u16 length, stream */
	while (win && n >= 4) {
		uint32_t w = (uint32_t)(p[0] & 63) + 1, h = (uint32_t)(p[1] & 63) + 1;
		size_t len = SF_MIN((size_t)(p[2] | p[3] << 8), n - 4);
		(void)sf_glz_decode(win, p + 4, len, w, h, out);
		p += 4 + len;
		n -= 4 + len;
	}
	sf_glz_window_free(win);
}

/* Image k: the pixels from offset k * step, so consecutive images overlap. */
static struct sf_image *slice(const uint8_t *p, size_t n, uint32_t w, size_t k)
{
	size_t step = (size_t)w * 4 * 3, off = k * step;
	uint32_t h = off < n ? (uint32_t)((n - off) / (w * 4)) : 0;
	struct sf_image *img;

	if (!h || !(img = sf_image_new(w, SF_MIN(h, 64u), SPICE_BITMAP_FMT_32BIT)))
		return NULL;
	for (uint32_t y = 0; y < img->height; y++)
		memcpy(sf_image_row(img, y), p + off + (size_t)y * w * 4, (size_t)w * 4);
	return img;
}

static void round_trip_series(const uint8_t *p, size_t n)
{
	uint32_t w = (uint32_t)(p[0] % 31) + 1;
	struct sf_glz *g = sf_glz_new(w * 48); /* small: eviction happens */
	struct sf_glz_window *win = sf_glz_window_new();
	struct sf_image *img;

	for (size_t k = 0; g && win && k < 8 && (img = slice(p + 1, n - 1, w, k)); k++) {
		size_t cap = sf_glz_bound(w, img->height), len;
		uint8_t *buf = malloc(cap);
		uint32_t *out = malloc((size_t)w * img->height * 4);
		len = sf_glz_encode(g, img, 0, 0, w, img->height, buf, cap);
		if (!len || sf_glz_decode(win, buf, len, w, img->height, out) < 0)
			__builtin_trap();
		for (uint32_t y = 0; y < img->height; y++)
			for (uint32_t x = 0; x < w; x++)
				if (out[y * w + x] !=
				    (((const uint32_t *)sf_image_row(img, y))[x] & 0xffffff))
					__builtin_trap();
		free(buf);
		free(out);
		sf_image_unref(img);
	}
	sf_glz_free(g);
	sf_glz_window_free(win);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 2)
		return 0;
	if (data[0] & 1)
		hostile_series(data + 1, size - 1);
	else
		round_trip_series(data + 1, size - 1);
	return 0;
}
