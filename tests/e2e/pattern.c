/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* tests/e2e/pattern.c: a test pattern as raw 32-bit framebuffer bytes (for
 * the guest to write to /dev/fb0) and as the PPM a client should show.
 * usage: pattern WIDTH HEIGHT OUT.raw OUT.ppm */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

static uint32_t color(int x, int y, int w, int h)
{
	static const uint32_t bars[8] = {0xffffff, 0xffff00, 0x00ffff, 0x00ff00,
					 0xff00ff, 0xff0000, 0x0000ff, 0x000000};
	if (y < h / 2)
		return bars[x * 8 / w];
	if (y < h * 3 / 4) /* grey ramp */
		return 0x010101u * (uint32_t)(x * 255 / (w - 1));
	return ((x / 32 + y / 32) & 1) ? 0x2e5e8c : 0xf0a000; /* checkerboard */
}

int main(int argc, char **argv)
{
	int w, h;
	FILE *raw, *ppm;

	if (argc != 5)
		return 2;
	w = atoi(argv[1]);
	h = atoi(argv[2]);
	raw = fopen(argv[3], "wb");
	ppm = fopen(argv[4], "wb");
	if (w <= 0 || h <= 0 || !raw || !ppm)
		return 1;
	fprintf(ppm, "P6\n%d %d\n255\n", w, h);
	for (int y = 0; y < h; y++)
		for (int x = 0; x < w; x++) {
			uint32_t c = color(x, y, w, h);
			uint8_t bgrx[4] = {(uint8_t)c, (uint8_t)(c >> 8), (uint8_t)(c >> 16), 0};
			uint8_t rgb[3] = {(uint8_t)(c >> 16), (uint8_t)(c >> 8), (uint8_t)c};
			fwrite(bgrx, 1, 4, raw);
			fwrite(rgb, 1, 3, ppm);
		}
	return fclose(raw) || fclose(ppm);
}
