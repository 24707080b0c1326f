/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* bench/codecs.c: each encoder alone on the workloads' images (office glyph
 * strips, bitmap photo tiles, video frames), in MB/s of 32-bit input and
 * compression ratio, next to liblz4 over the same raw bytes as the speed
 * limit. The reference's encoders are not callable from outside
 * libspice-server, so bench/codecs.sh compares servers, not functions. */
#define _GNU_SOURCE
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <lz4.h>
#include <spice/enums.h>
#include "bench/pixels.h"
#include "encoders/glz.h"
#include "encoders/jpeg.h"
#include "encoders/lz.h"
#include "encoders/lz4.h"
#include "encoders/quic.h"

#define IMAGES 64

struct workload {
	const char *name;
	uint32_t w, h;
	uint32_t (*px)(int, int, uint32_t);
};

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* @rgba: the pixels under an alpha ramp, as translucent windows blend */
static struct sf_image *make(const struct workload *wl, uint32_t seed, bool rgba)
{
	struct sf_image *img =
		sf_image_new(wl->w, wl->h, rgba ? SPICE_BITMAP_FMT_RGBA : SPICE_BITMAP_FMT_32BIT);

	for (uint32_t y = 0; img && y < wl->h; y++)
		for (uint32_t x = 0; x < wl->w; x++)
			((uint32_t *)sf_image_row(img, y))[x] =
				wl->px((int)x, (int)y, seed) | (rgba ? (x * 255 / wl->w) << 24 : 0);
	return img;
}

typedef size_t (*encode_fn)(const struct sf_image *, uint32_t, uint32_t, uint32_t, uint32_t,
			    uint8_t *, size_t);

static size_t jpeg70(const struct sf_image *img, uint32_t x, uint32_t y, uint32_t w, uint32_t h,
		     uint8_t *out, size_t cap)
{
	size_t n = 0;
	uint8_t *j = sf_jpeg_encode(img, x, y, w, h, 70, &n);

	(void)out;
	(void)cap;
	free(j);
	return n;
}

/* GLZ through one dictionary, emptied before each round of the 64 images
 * (outside the timing): it may reference earlier images of the round only,
 * never the same image from the round before. */
static struct sf_glz *g_glz;

static size_t glz(const struct sf_image *img, uint32_t x, uint32_t y, uint32_t w, uint32_t h,
		  uint8_t *out, size_t cap)
{
	return sf_glz_encode(g_glz, img, x, y, w, h, out, cap);
}

/* liblz4 straight over the pixel rows: no row gathering, no headers */
static size_t raw_lz4(const struct sf_image *img, uint32_t x, uint32_t y, uint32_t w, uint32_t h,
		      uint8_t *out, size_t cap)
{
	(void)x;
	(void)y;
	return (size_t)LZ4_compress_default((const char *)img->pixels, (char *)out,
					    (int)((size_t)w * h * 4), (int)cap);
}

static void run(const struct workload *wl, const char *codec, encode_fn enc, size_t cap_per_px,
		bool rgba)
{
	struct sf_image *img[IMAGES];
	size_t cap = (size_t)wl->w * wl->h * cap_per_px + 4096, in = 0, out = 0;
	uint8_t *buf = malloc(cap);
	double t0, t = 0;

	for (int i = 0; i < IMAGES; i++)
		img[i] = make(wl, (uint32_t)i * 7 + 1, rgba);
	do {
		if (enc == glz)
			sf_glz_reset(g_glz);
		t0 = now_s();
		for (int i = 0; i < IMAGES; i++) {
			size_t n = enc(img[i], 0, 0, wl->w, wl->h, buf, cap);
			in += (size_t)wl->w * wl->h * 4;
			out += n ? n : (size_t)wl->w * wl->h * 4;
		}
		t += now_s() - t0;
	} while (t < 0.5);
	printf("%-7s %-6s %9.1f %7.2f\n", wl->name, codec, (double)in / t / 1e6,
	       (double)in / (double)out);
	for (int i = 0; i < IMAGES; i++)
		sf_image_unref(img[i]);
	free(buf);
}

int main(void)
{
	static const struct workload wls[] = {{"office", 240, 12, bench_glyphs},
					      {"bitmap", 256, 256, bench_photo},
					      {"video", 640, 360, bench_frame}};
	static const struct {
		const char *name;
		encode_fn enc;
		size_t cap_per_px;
		bool rgba;
	} codecs[] = {{"lz4raw", raw_lz4, 5, false},  {"lz4", sf_lz4_encode, 5, false},
		      {"lz", sf_lz_encode, 5, false}, {"lzrgba", sf_lz_encode, 6, true},
		      {"glz", glz, 5, false},	      {"quic", sf_quic_encode, 4, false},
		      {"jpeg70", jpeg70, 1, false}};

	g_glz = sf_glz_new(1u << 22);
	printf("%-7s %-6s %9s %7s\n", "images", "codec", "MB/s", "ratio");
	for (size_t w = 0; w < sizeof(wls) / sizeof(wls[0]); w++)
		for (size_t c = 0; c < sizeof(codecs) / sizeof(codecs[0]); c++)
			run(&wls[w], codecs[c].name, codecs[c].enc, codecs[c].cap_per_px,
			    codecs[c].rgba);
	sf_glz_free(g_glz);
	return 0;
}
