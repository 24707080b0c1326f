/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* tests/channels/test-surface.c: rendering, including overlapping COPY_BITS
 * in both directions against a naive reference. */
#include <string.h>
#include <spice/enums.h>
#include "channels/surface.h"
#include "tests/unit.h"

static uint32_t px(const struct sf_surface *s, int x, int y)
{
	const struct sf_image *i = sf_surface_image(s);
	/* x8r8g8b8: the top byte is padding */
	return ((const uint32_t *)sf_image_row(i, (uint32_t)y))[x] & 0xffffff;
}

SF_TEST(surface_fill_copy_bounds)
{
	struct sf_surface *s = sf_surface_create(64, 32);
	struct sf_image *img = sf_image_new(8, 8, SPICE_BITMAP_FMT_32BIT);
	struct sf_rect r = {4, 4, 12, 8}, bad = {60, 0, 65, 4}, empty = {5, 5, 5, 9};

	SF_TEST_ASSERT(s && img);
	SF_TEST_ASSERT(sf_surface_contains(s, &r));
	SF_TEST_ASSERT(!sf_surface_contains(s, &bad) && !sf_surface_contains(s, &empty));
	sf_surface_fill(s, &r, 0xabcdef);
	SF_TEST_ASSERT(px(s, 4, 4) == 0xabcdef && px(s, 11, 7) == 0xabcdef);
	SF_TEST_ASSERT(px(s, 12, 7) == 0 && px(s, 3, 4) == 0);
	for (int i = 0; i < 64; i++)
		((uint32_t *)img->pixels)[i] = 0x100 + (uint32_t)i;
	r = (struct sf_rect){20, 10, 22, 12};
	sf_surface_copy(s, &r, img, 3, 2);
	SF_TEST_ASSERT(px(s, 20, 10) == 0x100 + 2 * 8 + 3 && px(s, 21, 11) == 0x100 + 3 * 8 + 4);
	sf_image_unref(img);
	sf_surface_destroy(s);
}

static void check_copy_bits(int dx, int dy, bool *ok)
{
	/* bottom-up guest-style memory: row 0 last, negative stride */
	static uint32_t mem[40 * 40];
	struct sf_surface *s =
		sf_surface_create_external(40, 40, (uint8_t *)&mem[39 * 40], -160, true);
	const struct sf_image *img = sf_surface_image(s);
	uint32_t ref[40][40];
	struct sf_rect r = {10 + dx, 10 + dy, 30 + dx, 30 + dy};

	for (int y = 0; y < 40; y++)
		for (int x = 0; x < 40; x++)
			ref[y][x] = ((uint32_t *)sf_image_row(img, (uint32_t)y))[x] =
				(uint32_t)(y * 40 + x);
	sf_surface_copy_bits(s, &r, 10, 10);
	uint32_t src[20][20];
	for (int y = 0; y < 20; y++)
		for (int x = 0; x < 20; x++)
			src[y][x] = ref[10 + y][10 + x];
	for (int y = 0; y < 20; y++)
		for (int x = 0; x < 20; x++)
			ref[10 + dy + y][10 + dx + x] = src[y][x];
	*ok = true;
	for (int y = 0; y < 40; y++)
		for (int x = 0; x < 40; x++)
			if (px(s, x, y) != ref[y][x])
				*ok = false;
	sf_surface_destroy(s);
}

SF_TEST(surface_copy_bits_overlapping_all_directions)
{
	int d[][2] = {{0, 3}, {0, -3}, {3, 0}, {-3, 0}, {2, 2}, {-2, -2}, {5, -1}};
	for (size_t i = 0; i < sizeof(d) / sizeof(d[0]); i++) {
		bool ok;
		check_copy_bits(d[i][0], d[i][1], &ok);
		SF_TEST_ASSERT(ok);
	}
}
