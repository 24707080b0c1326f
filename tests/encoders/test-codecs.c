/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* tests/encoders/test-codecs.c: every lossless codec round-trips images of
 * several kinds and sizes (text-like, UI, photo-like noise, gradients, flat;
 * widths 1..4096; areas of larger images) through its in-tree decoder, and
 * stays within its worst-case bound. The stock client's decoding is checked
 * end to end by tests/e2e/codecs.sh. */
#include <stdlib.h>
#include <string.h>
#include <spice/enums.h>
#include "encoders/classify.h"
#include "encoders/glz.h"
#include "encoders/lz.h"
#include "encoders/lz4.h"
#include "encoders/quic.h"
#include "tests/encoders/quic-builds.h"
#include "tests/unit.h"

enum kind { FLAT, GRADIENT, TEXT, UI, NOISE, KINDS };

static uint32_t hash32(uint32_t x)
{
	x ^= x >> 16;
	x *= 0x7feb352d;
	x ^= x >> 15;
	x *= 0x846ca68b;
	return x ^ (x >> 16);
}

/* Pixels with garbage in the pad byte: codecs must not depend on it. */
static uint32_t pixel(enum kind k, uint32_t x, uint32_t y)
{
	uint32_t pad = hash32(x * 7 + y) << 24;

	switch (k) {
	case FLAT:
		return pad | 0x2e5e8c;
	case GRADIENT:
		return pad | (x & 0xff) << 16 | (y & 0xff) << 8 | ((x + y) & 0xff);
	case TEXT: /* glyph-like strokes on white */
		return pad | ((hash32(x / 3 + (y / 7) * 977) & 3) == 0 && (x % 3) && (y % 7) < 5
				      ? 0x101010
				      : 0xffffff);
	case UI: /* panels and borders */
		return pad | ((x % 64) == 0 || (y % 32) == 0 ? 0x404040
			      : (y / 32) % 2		     ? 0xe0e0e0
							     : 0xd0d8f0);
	default:
		return hash32(x * 131 + y * 7919);
	}
}

static struct sf_image *make(enum kind k, uint32_t w, uint32_t h)
{
	struct sf_image *img = sf_image_new(w, h, SPICE_BITMAP_FMT_32BIT);

	for (uint32_t y = 0; img && y < h; y++) {
		uint32_t *row = (uint32_t *)sf_image_row(img, y);
		for (uint32_t x = 0; x < w; x++)
			row[x] = pixel(k, x, y);
	}
	return img;
}

/* The same with alpha that has runs, steps and (NOISE) no structure. */
static struct sf_image *make_rgba(enum kind k, uint32_t w, uint32_t h)
{
	struct sf_image *img = make(k, w, h);

	for (uint32_t y = 0; img && y < h; y++) {
		uint32_t *row = (uint32_t *)sf_image_row(img, y);
		for (uint32_t x = 0; x < w; x++)
			if (k != NOISE)
				row[x] = (row[x] & 0xffffff) |
					 (k == FLAT ? 0x80u : (x / 3 + y * 16) & 0xff) << 24;
	}
	if (img)
		img->format = SPICE_BITMAP_FMT_RGBA;
	return img;
}

struct codec {
	size_t (*bound)(uint32_t w, uint32_t h);
	size_t (*encode)(const struct sf_image *img, uint32_t x, uint32_t y, uint32_t w, uint32_t h,
			 uint8_t *out, size_t cap);
	int (*decode)(const uint8_t *in, size_t len, uint32_t w, uint32_t h, uint32_t *out);
	bool may_decline; /* returns 0 when it cannot beat raw (QUIC) */
	bool alpha;	  /* the alpha byte round-trips too (RGBA images) */
};

static const struct codec lz = {sf_lz_bound, sf_lz_encode, sf_lz_decode, false, false};
static const struct codec lz4 = {sf_lz4_bound, sf_lz4_encode, sf_lz4_decode, false, false};
static const struct codec quic = {sf_quic_bound, sf_quic_encode, sf_quic_decode, true, false};
static const struct codec lz_rgba = {sf_lz_bound, sf_lz_encode, sf_lz_decode, false, true};
static const struct codec quic_rgba = {sf_quic_bound, sf_quic_encode, sf_quic_decode, true, true};

/* Encode the @w x @h area at (@x, @y) and decode it back; 0 in @encoded
 * when an encoder that may decline did. */
static bool round_trip(const struct codec *k, const struct sf_image *img, uint32_t x, uint32_t y,
		       uint32_t w, uint32_t h, size_t *encoded)
{
	size_t cap = k->bound(w, h), n;
	uint8_t *buf = malloc(cap);
	uint32_t *out = malloc((size_t)w * h * 4);
	bool ok = buf && out;

	n = ok ? k->encode(img, x, y, w, h, buf, cap) : 0;
	*encoded = n;
	if (ok && n == 0 && k->may_decline)
		goto done;
	ok = ok && n > 0 && n <= cap && k->decode(buf, n, w, h, out) == 0;
	for (uint32_t r = 0; ok && r < h; r++) {
		const uint32_t *src = (const uint32_t *)sf_image_row(img, y + r) + x;
		for (uint32_t i = 0; ok && i < w; i++)
			ok = ((out[(size_t)r * w + i] ^ src[i]) & (k->alpha ? ~0u : 0xffffff)) == 0;
	}
	/* any truncation is an error, never a crash or an overrun */
	for (size_t cut = 0; ok && cut < n; cut += 1 + n / 17)
		ok = k->decode(buf, cut, w, h, out) < 0;
done:
	free(buf);
	free(out);
	return ok;
}

/* Every kind at widths 1..4096. Only an encoder that may decline may
 * return nothing, and only for noise or images under 8 pixels wide. */
static bool every_kind_and_width(const struct codec *k)
{
	static const uint32_t widths[] = {1, 2, 3, 4, 5, 7, 31, 32, 33, 100, 257, 1023, 2049, 4096};
	bool ok = true;
	size_t n;

	for (int kind = 0; ok && kind < KINDS; kind++)
		for (size_t i = 0; ok && i < SF_ARRAY_SIZE(widths); i++) {
			uint32_t h = widths[i] > 1000 ? 9 : 23;
			struct sf_image *img = k->alpha ? make_rgba((enum kind)kind, widths[i], h)
							: make((enum kind)kind, widths[i], h);
			ok = img && round_trip(k, img, 0, 0, widths[i], h, &n) &&
			     (n > 0 || kind == NOISE || widths[i] < 8);
			if (img)
				sf_image_unref(img);
		}
	return ok;
}

SF_TEST(lz_round_trips_every_kind_and_width)
{
	SF_TEST_ASSERT(every_kind_and_width(&lz));
}

SF_TEST(lz_areas_of_larger_images_and_compression_ratios)
{
	struct sf_image *ui = make(UI, 640, 480), *noise = make(NOISE, 640, 480);
	size_t n_ui, n_noise, n_flat;
	struct sf_image *flat = make(FLAT, 640, 480);

	SF_TEST_ASSERT(ui && noise && flat);
	SF_TEST_ASSERT(round_trip(&lz, ui, 13, 7, 301, 203, &n_ui));
	SF_TEST_ASSERT(round_trip(&lz, noise, 1, 1, 639, 479, &n_noise));
	SF_TEST_ASSERT(round_trip(&lz, flat, 0, 0, 640, 480, &n_flat));
	/* a UI compresses well; noise costs at most the literal bound; long runs
	 * of one colour collapse (distance far beyond the near window too) */
	SF_TEST_ASSERT(n_ui < 301 * 203 * 3 / 10);
	SF_TEST_ASSERT(n_noise <= sf_lz_bound(639, 479));
	SF_TEST_ASSERT(n_flat < 2000);
	sf_image_unref(ui);
	sf_image_unref(noise);
	sf_image_unref(flat);
}

SF_TEST(lz_far_references_decode)
{
	/* a pattern that repeats every 70,000 pixels: only far matches find it */
	struct sf_image *img = sf_image_new(1000, 150, SPICE_BITMAP_FMT_32BIT);
	size_t n;

	SF_TEST_ASSERT(img);
	for (uint32_t y = 0; y < 150; y++)
		for (uint32_t x = 0; x < 1000; x++)
			((uint32_t *)sf_image_row(img, y))[x] = hash32((y * 1000 + x) % 70000);
	SF_TEST_ASSERT(round_trip(&lz, img, 0, 0, 1000, 150, &n));
	SF_TEST_ASSERT(n < 70000 * 3 + 80000 * 3 / 10);
	sf_image_unref(img);
}

SF_TEST(lz_decoder_rejects_hostile_streams)
{
	uint8_t buf[256] = {0};
	uint32_t out[20];
	struct sf_image *img = make(GRADIENT, 4, 4);
	size_t n = sf_lz_encode(img, 0, 0, 4, 4, buf, sizeof(buf));

	SF_TEST_ASSERT(n > SF_LZ_HEADER_SIZE);
	SF_TEST_ASSERT(sf_lz_decode(buf, n, 4, 4, out) == 0);
	SF_TEST_ASSERT(sf_lz_decode(buf, n, 4, 5, out) < 0); /* size mismatch */
	/* a reference before the first pixel */
	buf[SF_LZ_HEADER_SIZE] = 2 << 5;
	buf[SF_LZ_HEADER_SIZE + 1] = 5;
	SF_TEST_ASSERT(sf_lz_decode(buf, n, 4, 4, out) < 0);
	sf_image_unref(img);
}

SF_TEST(lz_rgba_round_trips_every_kind_and_width)
{
	SF_TEST_ASSERT(every_kind_and_width(&lz_rgba));
}

SF_TEST(lz_rgba_alpha_pass_compresses_and_xxxa_carries_alpha_alone)
{
	struct sf_image *img = make_rgba(UI, 640, 480);
	size_t cap = sf_lz_bound(301, 203), n_rgb, n_rgba, n_a;
	uint8_t *buf = malloc(cap);
	uint32_t *out = malloc(301 * 203 * 4);
	bool ok = true;

	SF_TEST_ASSERT(img && buf && out);
	n_rgba = sf_lz_encode(img, 13, 7, 301, 203, buf, cap);
	SF_TEST_ASSERT(round_trip(&lz_rgba, img, 13, 7, 301, 203, &n_rgba));
	img->format = SPICE_BITMAP_FMT_32BIT;
	n_rgb = sf_lz_encode(img, 13, 7, 301, 203, buf, cap);
	img->format = SPICE_BITMAP_FMT_RGBA;
	/* the alpha steps every 3 pixels: a small part of the image */
	SF_TEST_ASSERT(n_rgba > n_rgb && n_rgba - n_rgb < 301 * 203 / 4);
	n_a = sf_lz_encode_alpha(img, 13, 7, 301, 203, buf, cap);
	SF_TEST_ASSERT(n_a > SF_LZ_HEADER_SIZE && n_a < 301 * 203 / 4);
	for (size_t i = 0; i < 301 * 203; i++)
		out[i] = 0x123456;
	SF_TEST_ASSERT(sf_lz_decode_alpha(buf, n_a, 301, 203, out) == 0);
	for (uint32_t y = 0; ok && y < 203; y++)
		for (uint32_t x = 0; ok && x < 301; x++)
			ok = out[y * 301 + x] ==
			     ((((const uint32_t *)sf_image_row(img, 7 + y))[13 + x] & 0xff000000) |
			      0x123456);
	SF_TEST_ASSERT(ok);
	/* each decoder takes only its own types */
	SF_TEST_ASSERT(sf_lz_decode(buf, n_a, 301, 203, out) < 0);
	n_rgba = sf_lz_encode(img, 13, 7, 301, 203, buf, cap);
	SF_TEST_ASSERT(sf_lz_decode_alpha(buf, n_rgba, 301, 203, out) < 0);
	for (size_t cut = 0; cut < n_a; cut += 1 + n_a / 13)
		SF_TEST_ASSERT(sf_lz_decode_alpha(buf, cut, 301, 203, out) < 0);
	free(buf);
	free(out);
	sf_image_unref(img);
}

SF_TEST(lz4_round_trips_areas)
{
	struct sf_image *ui = make(UI, 640, 480);
	size_t n;

	SF_TEST_ASSERT(ui && round_trip(&lz4, ui, 13, 7, 301, 203, &n));
	SF_TEST_ASSERT(round_trip(&lz4, ui, 0, 0, 1, 1, &n));
	sf_image_unref(ui);
}

SF_TEST(quic_round_trips_every_kind_and_width)
{
	SF_TEST_ASSERT(every_kind_and_width(&quic));
}

SF_TEST(quic_rgba_round_trips_every_kind_and_width_with_its_alpha)
{
	struct sf_image *img = make_rgba(GRADIENT, 301, 203);
	size_t n_rgba, n_rgb;

	SF_TEST_ASSERT(every_kind_and_width(&quic_rgba));
	/* a smooth alpha (a ramp, as translucent edges) costs under 3 bits a
	 * pixel: QUIC codes every sample in at least one bit outside runs */
	for (uint32_t y = 0; img && y < 203; y++)
		for (uint32_t x = 0; x < 301; x++) {
			uint32_t *px = (uint32_t *)sf_image_row(img, y) + x;
			*px = (*px & 0xffffff) | (x * 255 / 300) << 24;
		}
	SF_TEST_ASSERT(img && round_trip(&quic_rgba, img, 0, 0, 301, 203, &n_rgba));
	img->format = SPICE_BITMAP_FMT_32BIT;
	SF_TEST_ASSERT(round_trip(&quic, img, 0, 0, 301, 203, &n_rgb));
	SF_TEST_ASSERT(n_rgba > n_rgb && n_rgba - n_rgb < 301 * 203 * 3 / 8); /* 2.7 bits/px */
	sf_image_unref(img);
}

/* A photo-like field: smooth colour with a little grain. */
static struct sf_image *photo(uint32_t w, uint32_t h)
{
	struct sf_image *img = sf_image_new(w, h, SPICE_BITMAP_FMT_32BIT);

	for (uint32_t y = 0; img && y < h; y++) {
		uint32_t *row = (uint32_t *)sf_image_row(img, y);
		for (uint32_t x = 0; x < w; x++) {
			uint32_t g = hash32(x * 31 + y * 1009) & 7;
			uint32_t r = (x * 200 / w + g) & 255, gr = (y * 180 / h + g) & 255;
			row[x] = r << 16 | gr << 8 | (((x + y) / 5 + g) & 255);
		}
	}
	return img;
}

static uint32_t golden_hash(uint32_t x)
{
	x ^= x >> 16;
	x *= 0x7feb352du;
	x ^= x >> 15;
	x *= 0x846ca68bu;
	return x ^ (x >> 16);
}

/* Kinds by @k / 2: smooth photo-like, flat areas with text-like ink, noise,
 * steps with mild noise; odd @k with an alpha ramp. */
static uint32_t *golden_image(unsigned k, uint32_t w, uint32_t h)
{
	uint32_t *px = malloc((size_t)w * h * 4);

	for (uint32_t y = 0; y < h && px; y++)
		for (uint32_t x = 0; x < w; x++) {
			uint32_t v, r = golden_hash(x * 131 + y * 7919 + k);
			switch (k / 2) {
			case 0:
				v = (x & 0xff) << 16 | ((y * 3) & 0xff) << 8 |
				    ((r & 0x1f) + ((x ^ y) & 0xc0));
				break;
			case 1:
				v = (x % 8 < 6 && y % 12 > 1 && !(r & 3)) ? 0x101010 : 0xf0f0f0;
				break;
			case 2:
				v = r & 0xffffff;
				break;
			default:
				v = ((x / 13) * 0x010203u + (y / 7) * 0x030201u) ^ ((r & 7) << 8);
				break;
			}
			px[(size_t)y * w + x] = v | (k & 1 ? (x + y * 2) << 24 : 0);
		}
	return px;
}

static const struct quic_build {
	const char *name;
	size_t (*encode)(const struct sf_image *, uint32_t, uint32_t, uint32_t, uint32_t, uint8_t *,
			 size_t);
	int (*decode)(const uint8_t *, size_t, uint32_t, uint32_t, uint32_t *);
} quic_builds[] = {
	{"dispatched", sf_quic_encode, sf_quic_decode},
	{"sse2", sf_quic_encode_sse2, sf_quic_decode_sse2},
	{"c", sf_quic_encode_c, sf_quic_decode_c},
};

/* Encodes @px with build @b, as guest memory (@owned false: the encoder
 * copies rows) or as an image of our own (read in place); checks the
 * stream's length and FNV-1a hash, and that @b decodes it back. */
static bool quic_golden_one(const struct quic_build *b, unsigned k, uint32_t *px, bool owned,
			    size_t len, uint64_t fnv_want)
{
	uint32_t w = 300 + k * 17, h = 90 + k * 5;
	struct sf_image img = {.width = w,
			       .height = h,
			       .stride = (int32_t)w * 4,
			       .format = k & 1 ? SPICE_BITMAP_FMT_RGBA : SPICE_BITMAP_FMT_32BIT,
			       .pixels = (uint8_t *)px,
			       .alloc = owned ? (uint8_t *)px : NULL};
	size_t cap = sf_quic_bound(w, h), n;
	uint8_t *out = malloc(cap);
	uint32_t *back = malloc((size_t)w * h * 4), mask = k & 1 ? 0xffffffffu : 0xffffffu;
	uint64_t fnv = 0xcbf29ce484222325ull;
	bool ok = out && back;

	n = ok ? b->encode(&img, 0, 0, w, h, out, cap) : 0;
	for (size_t i = 0; i < n; i++)
		fnv = (fnv ^ out[i]) * 0x100000001b3ull;
	ok = ok && n == len && fnv == fnv_want && b->decode(out, n, w, h, back) == 0;
	for (size_t i = 0; ok && i < (size_t)w * h; i++)
		ok = (back[i] & mask) == (px[i] & mask);
	if (!ok)
		fprintf(stderr, "quic build %s image %u (%s): %zu bytes\n", b->name, k,
			owned ? "owned" : "guest", n);
	free(out);
	free(back);
	return ok;
}

/* The encoder's output, byte for byte, as recorded in session 10 before the
 * bucket update went SIMD (that encoder's streams are what spice-gtk decodes
 * in the e2e tests). The model must evolve exactly as the decoder's, and a
 * round trip through our own decoder, which shares the model code, would
 * not notice a change. Every build, rows copied or read in place. */
SF_TEST(quic_output_is_byte_for_byte_what_it_was)
{
	static const struct {
		size_t len;
		uint64_t fnv;
	} want[8] = {
		{43516, 0x5600b135c2390b71ull},	 {63800, 0x2a19ccb5fc7d7046ull},
		{42972, 0x0ad209d191cae81bull},	 {66836, 0xb1a2530da839580bull},
		{121500, 0x201dd3537a028127ull}, {155444, 0x8056de4e7a3c05bdull},
		{41728, 0xcd372690abfd09acull},	 {71856, 0x707bca6d56dac6dfull},
	};

	for (unsigned k = 0; k < 8; k++) {
		uint32_t *px = golden_image(k, 300 + k * 17, 90 + k * 5);

		SF_TEST_ASSERT(px);
		for (unsigned b = 0; b < sizeof(quic_builds) / sizeof(quic_builds[0]); b++)
			for (int owned = 0; owned < 2; owned++)
				SF_TEST_ASSERT(quic_golden_one(&quic_builds[b], k, px, owned,
							       want[k].len, want[k].fnv));
		free(px);
	}
}

SF_TEST(quic_compresses_photos_and_areas_of_larger_images)
{
	struct sf_image *p = photo(800, 600), *ui = make(UI, 640, 480),
			*flat = make(FLAT, 640, 480);
	size_t n_photo, n_lz, n_ui, n_flat;

	SF_TEST_ASSERT(p && ui && flat);
	SF_TEST_ASSERT(round_trip(&quic, p, 0, 0, 800, 600, &n_photo));
	SF_TEST_ASSERT(round_trip(&lz, p, 0, 0, 800, 600, &n_lz));
	/* the point of QUIC: photographic content at well under LZ's size */
	SF_TEST_ASSERT(n_photo > 0 && n_photo < n_lz * 2 / 3);
	SF_TEST_ASSERT(n_photo < 800 * 600 * 3 / 2);
	/* an odd area: the stride of the larger image, odd offsets and sizes */
	SF_TEST_ASSERT(round_trip(&quic, p, 101, 77, 333, 211, &n_photo) && n_photo > 0);
	SF_TEST_ASSERT(round_trip(&quic, ui, 13, 7, 301, 203, &n_ui) && n_ui > 0);
	/* runs collapse flat areas */
	SF_TEST_ASSERT(round_trip(&quic, flat, 0, 0, 640, 480, &n_flat) && n_flat > 0);
	SF_TEST_ASSERT(n_flat < 640 * 480 / 20);
	sf_image_unref(p);
	sf_image_unref(ui);
	sf_image_unref(flat);
}

SF_TEST(quic_declines_what_it_cannot_shrink_and_rejects_hostile_streams)
{
	struct sf_image *noise = make(NOISE, 64, 64), *g = make(GRADIENT, 16, 16);
	uint8_t buf[4096];
	uint32_t out[17 * 16];
	size_t n;

	SF_TEST_ASSERT(noise && g);
	/* random pixels cannot beat raw: the encoder says so instead of overrunning */
	SF_TEST_ASSERT(sf_quic_encode(noise, 0, 0, 64, 64, buf, sizeof(buf)) == 0);
	n = sf_quic_encode(g, 0, 0, 16, 16, buf, sizeof(buf));
	SF_TEST_ASSERT(n > 20 && sf_quic_decode(buf, n, 16, 16, out) == 0);
	SF_TEST_ASSERT(sf_quic_decode(buf, n, 17, 16, out) < 0); /* size mismatch */
	SF_TEST_ASSERT(sf_quic_decode(buf, n, 16, 15, out) < 0);
	buf[8] = 3; /* RGB24 is not what we emit */
	SF_TEST_ASSERT(sf_quic_decode(buf, n, 16, 16, out) < 0);
	buf[8] = 4;
	/* all ones: long runs; either outcome, but within the buffers (ASan) */
	memset(buf + 20, 0xff, n - 20);
	(void)sf_quic_decode(buf, n, 16, 16, out);
	memset(buf + 20, 0, n - 20); /* all zeros: long escape codes past the end */
	SF_TEST_ASSERT(sf_quic_decode(buf, n, 16, 16, out) < 0);
	sf_image_unref(noise);
	sf_image_unref(g);
}

SF_TEST(classify_sends_photos_and_gradients_to_quic_and_drawn_content_elsewhere)
{
	struct sf_image *p = photo(640, 480), *g = make(GRADIENT, 640, 480);
	struct sf_image *t = make(TEXT, 640, 480), *u = make(UI, 640, 480);
	struct sf_image *f = make(FLAT, 640, 480), *n = make(NOISE, 640, 480);

	SF_TEST_ASSERT(p && g && t && u && f && n);
	SF_TEST_ASSERT(sf_classify_photo(p, 0, 0, 640, 480));
	SF_TEST_ASSERT(sf_classify_photo(g, 0, 0, 640, 480));
	SF_TEST_ASSERT(sf_classify_photo(p, 101, 77, 333, 211)); /* an area */
	SF_TEST_ASSERT(!sf_classify_photo(t, 0, 0, 640, 480));
	SF_TEST_ASSERT(!sf_classify_photo(u, 0, 0, 640, 480));
	SF_TEST_ASSERT(!sf_classify_photo(f, 0, 0, 640, 480));
	/* random pixels are not gradual: QUIC could not shrink them anyway */
	SF_TEST_ASSERT(!sf_classify_photo(n, 0, 0, 640, 480));
	/* too small for QUIC's model to adapt, whatever it holds */
	SF_TEST_ASSERT(!sf_classify_photo(p, 0, 0, 31, 32));
	SF_TEST_ASSERT(!sf_classify_photo(p, 0, 0, 1, 480));
	sf_image_unref(p);
	sf_image_unref(g);
	sf_image_unref(t);
	sf_image_unref(u);
	sf_image_unref(f);
	sf_image_unref(n);
}

/* ---- GLZ: one dictionary, one client window, images in sequence ---- */

struct glz_pair {
	struct sf_glz *g;
	struct sf_glz_window *win;
};

/* Encode an area into the shared dictionary; every truncation of it must
 * fail (and leave the window as it was), then the whole must decode to the
 * source. Returns the encoded size, 0 on any failure. */
static size_t glz_step(struct glz_pair *p, const struct sf_image *img, uint32_t x, uint32_t y,
		       uint32_t w, uint32_t h)
{
	size_t cap = sf_glz_bound(w, h), n;
	uint8_t *buf = malloc(cap);
	uint32_t *out = malloc((size_t)w * h * 4);
	bool ok = buf && out;

	n = ok ? sf_glz_encode(p->g, img, x, y, w, h, buf, cap) : 0;
	ok = ok && n > SF_GLZ_HEADER_SIZE && n <= cap;
	for (size_t cut = 0; ok && cut < n; cut += 1 + n / 13)
		ok = sf_glz_decode(p->win, buf, cut, w, h, out) < 0;
	ok = ok && sf_glz_decode(p->win, buf, n, w, h, out) == 0;
	for (uint32_t r = 0; ok && r < h; r++) {
		const uint32_t *src = (const uint32_t *)sf_image_row(img, y + r) + x;
		for (uint32_t i = 0; ok && i < w; i++)
			ok = ((out[(size_t)r * w + i] ^ src[i]) & 0xffffff) == 0;
	}
	free(buf);
	free(out);
	return ok ? n : 0;
}

static bool glz_open(struct glz_pair *p, uint32_t window)
{
	p->g = sf_glz_new(window);
	p->win = sf_glz_window_new();
	return p->g && p->win;
}

static void glz_close(struct glz_pair *p)
{
	sf_glz_free(p->g);
	sf_glz_window_free(p->win);
}

SF_TEST(glz_round_trips_every_kind_and_width_through_one_dictionary)
{
	static const uint32_t widths[] = {1, 2, 3, 4, 5, 7, 31, 32, 33, 100, 257, 1023, 2049, 4096};
	struct glz_pair p;
	uint64_t images = 0;

	SF_TEST_ASSERT(glz_open(&p, 1u << 20));
	/* all kinds twice: the second pass finds the first in the dictionary */
	for (int pass = 0; pass < 2; pass++)
		for (int kind = 0; kind < KINDS; kind++)
			for (size_t i = 0; i < SF_ARRAY_SIZE(widths); i++) {
				uint32_t h = widths[i] > 1000 ? 9 : 23;
				struct sf_image *img = make((enum kind)kind, widths[i], h);
				SF_TEST_ASSERT(img && glz_step(&p, img, 0, 0, widths[i], h) > 0);
				sf_image_unref(img);
				images++;
			}
	SF_TEST_ASSERT(sf_glz_next_id(p.g) == images);
	glz_close(&p);
}

SF_TEST(glz_references_earlier_images_and_areas_of_them)
{
	struct sf_image *noise = make(NOISE, 640, 480);
	struct glz_pair p;
	size_t first, again, area, lz_area;

	SF_TEST_ASSERT(noise && glz_open(&p, 1u << 22));
	first = glz_step(&p, noise, 0, 0, 640, 480);
	SF_TEST_ASSERT(first > 640 * 480 * 3); /* noise: literals */
	/* the same pixels again cost a few bytes a row, not 3 a pixel */
	again = glz_step(&p, noise, 0, 0, 640, 480);
	SF_TEST_ASSERT(again > 0 && again < first / 100);
	/* an odd area of it: rows are found in the earlier image */
	area = glz_step(&p, noise, 101, 77, 333, 211);
	lz_area = sf_lz_bound(333, 211);
	SF_TEST_ASSERT(area > 0 && area < lz_area / 50);
	glz_close(&p);
	sf_image_unref(noise);
}

SF_TEST(glz_window_drops_old_images_on_both_sides)
{
	struct sf_image *img[4];
	struct glz_pair p;
	size_t n[8];

	/* room for two 64x64 images: the third evicts the first */
	SF_TEST_ASSERT(glz_open(&p, 2 * 64 * 64));
	for (int i = 0; i < 4; i++) {
		img[i] = sf_image_new(64, 64, SPICE_BITMAP_FMT_32BIT);
		SF_TEST_ASSERT(img[i]);
		for (uint32_t y = 0; y < 64; y++)
			for (uint32_t x = 0; x < 64; x++)
				((uint32_t *)sf_image_row(img[i], y))[x] =
					hash32(i * 5000 + y * 64 + x);
	}
	for (int i = 0; i < 8; i++) {
		n[i] = glz_step(&p, img[i % 4], 0, 0, 64, 64);
		SF_TEST_ASSERT(n[i] > 0);
	}
	/* cycling four images through a window of two: never a reference to an
	 * evicted one (the window would reject it), so all literals */
	SF_TEST_ASSERT(n[4] > 64 * 64 * 3);
	/* a bigger window keeps them: the second round is references */
	sf_glz_set_window(p.g, 8 * 64 * 64);
	for (int i = 0; i < 8; i++)
		n[i] = glz_step(&p, img[i % 4], 0, 0, 64, 64);
	SF_TEST_ASSERT(n[4] > 0 && n[4] < 1000);
	/* reset: ids start again at 0, for a new client window */
	sf_glz_reset(p.g);
	SF_TEST_ASSERT(sf_glz_next_id(p.g) == 0);
	sf_glz_window_free(p.win);
	p.win = sf_glz_window_new();
	SF_TEST_ASSERT(p.win && glz_step(&p, img[0], 0, 0, 64, 64) > 64 * 64 * 3);
	glz_close(&p);
	for (int i = 0; i < 4; i++)
		sf_image_unref(img[i]);
}

SF_TEST(glz_decoder_rejects_gaps_and_hostile_references)
{
	struct sf_image *g = make(GRADIENT, 8, 8);
	struct sf_glz *enc = sf_glz_new(1u << 16);
	struct sf_glz_window *win = sf_glz_window_new();
	uint8_t a[1024], b[1024];
	uint32_t out[64];
	size_t na, nb;

	SF_TEST_ASSERT(g && enc && win);
	na = sf_glz_encode(enc, g, 0, 0, 8, 8, a, sizeof(a));
	nb = sf_glz_encode(enc, g, 0, 0, 8, 8, b, sizeof(b));
	SF_TEST_ASSERT(na > SF_GLZ_HEADER_SIZE && nb > SF_GLZ_HEADER_SIZE && nb < na);
	/* image 1 refers to image 0: without it, it is a gap, not garbage */
	SF_TEST_ASSERT(sf_glz_decode(win, b, nb, 8, 8, out) < 0);
	SF_TEST_ASSERT(sf_glz_decode(win, a, na, 8, 7, out) < 0); /* size mismatch */
	SF_TEST_ASSERT(sf_glz_decode(win, a, na, 8, 8, out) == 0);
	SF_TEST_ASSERT(sf_glz_decode(win, a, na, 8, 8, out) < 0); /* replayed id */
	/* a head distance past the id */
	b[SF_GLZ_HEADER_SIZE - 1] = 9;
	SF_TEST_ASSERT(sf_glz_decode(win, b, nb, 8, 8, out) < 0);
	b[SF_GLZ_HEADER_SIZE - 1] = 1;
	/* hand-made bodies after image 1's header: one pixel from two images
	 * back (there is none), then from past the end of image 0 */
	uint8_t h[SF_GLZ_HEADER_SIZE + 4];
	memcpy(h, b, SF_GLZ_HEADER_SIZE);
	memcpy(h + SF_GLZ_HEADER_SIZE, (uint8_t[]){1 << 5, 0, 2, 0}, 4);
	SF_TEST_ASSERT(sf_glz_decode(win, h, sizeof(h), 8, 8, out) < 0);
	memcpy(h + SF_GLZ_HEADER_SIZE, (uint8_t[]){1 << 5 | 16, 4, 1 << 6, 1}, 4);
	SF_TEST_ASSERT(sf_glz_decode(win, h, sizeof(h), 8, 8, out) < 0);
	SF_TEST_ASSERT(sf_glz_decode(win, b, nb, 8, 8, out) == 0);
	sf_glz_free(enc);
	sf_glz_window_free(win);
	sf_image_unref(g);
}
