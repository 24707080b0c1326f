/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* encoders/lz.c: a greedy LZ77 matcher over 24-bit pixels. Candidates come
 * from a hash of two pixels (the last position seen) and from the previous
 * pixel (runs, distance 1); a match needs two equal pixels, which already
 * saves four bytes over literals. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <spice/enums.h>
#include "encoders/lz.h"
#include "encoders/lz-io.h"

#define NEAR_DISTANCE 8191 /* distances (minus one) below it take 13 bits */
#define MAX_FAR	      (65535 + NEAR_DISTANCE)
#define MIN_MATCH     2
#define HASH_LOG      14

size_t sf_lz_bound(uint32_t w, uint32_t h)
{
	size_t n = (size_t)w * h;

	/* RGBA: the RGB pass, then alpha literals of one byte a pixel */
	return SF_LZ_HEADER_SIZE + sf_lz_literal_bound(n) + n + n / SF_LZ_MAX_COPY + 16;
}

/* A back reference of @len pixels, @dist pixels back (both >= 1). */
static void match(struct sf_lz_out *o, size_t len, size_t dist)
{
	size_t d = dist - 1, f = SF_MIN(len, (size_t)7);
	bool far = d >= NEAR_DISTANCE;
	uint8_t high = far ? 31 : (uint8_t)(d >> 8);

	sf_lz_put(o, (uint8_t)(f << 5 | high));
	if (f == 7) {
		size_t rem = len - 7;
		for (; rem >= 255; rem -= 255)
			sf_lz_put(o, 255);
		sf_lz_put(o, (uint8_t)rem);
	}
	if (far) {
		d -= NEAR_DISTANCE;
		sf_lz_put(o, 255);
		sf_lz_put(o, (uint8_t)(d >> 8));
		sf_lz_put(o, (uint8_t)d);
	} else {
		sf_lz_put(o, (uint8_t)d);
	}
}

static uint32_t hash2(uint32_t a, uint32_t b)
{
	return ((a * 2654435761u) ^ (b * 40503u)) >> (32 - HASH_LOG);
}

static size_t extend(const uint32_t *px, size_t n, size_t pos, size_t cand)
{
	size_t len = 0;

	while (pos + len < n && px[cand + len] == px[pos + len])
		len++;
	return len;
}

/* Literal runs of the alpha pass: one byte a pixel. */
static void alpha_literals(struct sf_lz_out *o, const uint32_t *px, size_t n)
{
	while (n) {
		size_t run = SF_MIN(n, (size_t)SF_LZ_MAX_COPY);
		sf_lz_put(o, (uint8_t)(run - 1));
		for (size_t i = 0; i < run; i++)
			sf_lz_put(o, (uint8_t)px[i]);
		px += run;
		n -= run;
	}
}

/* One pass over @px: the RGB pass (3-byte literals, matches of 2 or more)
 * or the alpha pass of RGBA/XXXA images, where @px holds alpha values and
 * the decoder reads literals as one byte and lengths biased by 2 more. */
static void compress(struct sf_lz_out *o, const uint32_t *px, size_t n, uint32_t *table, bool alpha)
{
	size_t pos = 0, lit = 0, min = alpha ? 3 : MIN_MATCH;

	while (pos + min <= n) {
		uint32_t h = hash2(px[pos], px[pos + 1]);
		size_t cand = table[h], best = 0, best_len = 0, len;

		table[h] = (uint32_t)pos + 1; /* 0: empty */
		if (cand && pos - (cand - 1) <= MAX_FAR) {
			len = extend(px, n, pos, cand - 1);
			if (len >= min)
				best = cand - 1, best_len = len;
		}
		if (pos && px[pos - 1] == px[pos]) { /* a run: distance 1 */
			len = extend(px, n, pos, pos - 1);
			if (len > best_len)
				best = pos - 1, best_len = len;
		}
		if (best_len < min) {
			pos++;
			continue;
		}
		if (alpha)
			alpha_literals(o, px + lit, pos - lit);
		else
			sf_lz_literals(o, px + lit, pos - lit);
		match(o, best_len - (alpha ? 2 : 0), pos - best);
		for (size_t i = pos + 1; i + 1 < pos + best_len && i + 1 < n; i += 2)
			table[hash2(px[i], px[i + 1])] = (uint32_t)i + 1;
		pos += best_len;
		lit = pos;
	}
	if (alpha)
		alpha_literals(o, px + lit, n - lit);
	else
		sf_lz_literals(o, px + lit, n - lit);
}

static void gather_alpha(const struct sf_image *img, uint32_t x, uint32_t y, uint32_t w, uint32_t h,
			 uint32_t *px)
{
	for (uint32_t r = 0; r < h; r++) {
		const uint32_t *row = (const uint32_t *)sf_image_row(img, y + r) + x;
		for (uint32_t i = 0; i < w; i++)
			px[(size_t)r * w + i] = row[i] >> 24;
	}
}

/* The header and the passes @type has: RGB32 (RGB), RGBA (RGB then alpha)
 * or XXXA (alpha only). */
static size_t encode(const struct sf_image *img, uint32_t x, uint32_t y, uint32_t w, uint32_t h,
		     uint32_t type, uint8_t *out, size_t cap)
{
	size_t n = (size_t)w * h;
	uint32_t *px = malloc(n * 4 + 4), *table = calloc(1u << HASH_LOG, 4);
	struct sf_lz_out o = {out, out + cap, false};

	if (!px || !table || !n || (size_t)w * 4 > INT32_MAX ||
	    (img->format != SPICE_BITMAP_FMT_32BIT && img->format != SPICE_BITMAP_FMT_RGBA)) {
		free(px);
		free(table);
		return 0;
	}
	sf_lz_put32(&o, SF_LZ_MAGIC);
	sf_lz_put32(&o, SF_LZ_VERSION);
	sf_lz_put32(&o, type);
	sf_lz_put32(&o, w);
	sf_lz_put32(&o, h);
	sf_lz_put32(&o, w * 4);
	sf_lz_put32(&o, 1); /* top-down */
	px[0] = 0;	    /* the gathers fill it; gcc 12 cannot see they always run */
	if (type != SF_LZ_TYPE_XXXA) {
		sf_lz_gather(img, x, y, w, h, px);
		compress(&o, px, n, table, false);
	}
	if (type != SF_LZ_TYPE_RGB32) {
		gather_alpha(img, x, y, w, h, px);
		memset(table, 0, (1u << HASH_LOG) * 4);
		compress(&o, px, n, table, true);
	}
	free(px);
	free(table);
	return o.err ? 0 : (size_t)(o.p - out);
}

size_t sf_lz_encode(const struct sf_image *img, uint32_t x, uint32_t y, uint32_t w, uint32_t h,
		    uint8_t *out, size_t cap)
{
	uint32_t type = img->format == SPICE_BITMAP_FMT_RGBA ? SF_LZ_TYPE_RGBA : SF_LZ_TYPE_RGB32;

	return encode(img, x, y, w, h, type, out, cap);
}

size_t sf_lz_encode_alpha(const struct sf_image *img, uint32_t x, uint32_t y, uint32_t w,
			  uint32_t h, uint8_t *out, size_t cap)
{
	return encode(img, x, y, w, h, SF_LZ_TYPE_XXXA, out, cap);
}

/* ---- decoder (untrusted input) ---- */

/* Returns the pixels copied, 0 on bad input (a reference is never empty).
 * The alpha pass copies only the alpha byte and biases lengths by 2 more. */
static size_t decode_ref(struct sf_lz_in *i, uint32_t ctrl, uint32_t *out, size_t op, size_t n,
			 bool alpha)
{
	size_t len = (ctrl >> 5) - 1, ofs = (ctrl & 31) << 8, code;

	if (len == 6)
		do {
			code = sf_lz_get(i);
			len += code;
		} while (code == 255 && !i->err);
	code = sf_lz_get(i);
	ofs += code;
	if (code == 255 && ofs - code == (31u << 8)) {
		ofs = (size_t)sf_lz_get(i) << 8;
		ofs += sf_lz_get(i);
		ofs += NEAR_DISTANCE;
	}
	len += alpha ? 3 : 1;
	ofs += 1;
	if (i->err || ofs > op || len > n - op)
		return 0;
	for (size_t k = 0; k < len; k++)
		out[op + k] = alpha ? (out[op + k] & SF_LZ_RGB_MASK) |
					      (out[op + k - ofs] & ~SF_LZ_RGB_MASK)
				    : out[op + k - ofs];
	return len;
}

static bool alpha_literals_in(struct sf_lz_in *i, uint32_t ctrl, uint32_t *out, size_t *op,
			      size_t n)
{
	if (ctrl + 1 > n - *op)
		return false;
	for (uint32_t k = 0; k <= ctrl; k++, (*op)++)
		out[*op] = (out[*op] & SF_LZ_RGB_MASK) | (uint32_t)sf_lz_get(i) << 24;
	return !i->err;
}

static int decode_pass(struct sf_lz_in *i, uint32_t *out, size_t n, bool alpha)
{
	size_t op = 0;

	while (op < n) {
		uint32_t ctrl = sf_lz_get(i);
		if (i->err)
			return -EINVAL;
		if (ctrl >= SF_LZ_MAX_COPY) {
			size_t r = decode_ref(i, ctrl, out, op, n, alpha);
			if (!r)
				return -EINVAL;
			op += r;
			continue;
		}
		if (alpha ? !alpha_literals_in(i, ctrl, out, &op, n)
			  : !sf_lz_get_literals(i, ctrl, out, &op, n))
			return -EINVAL;
	}
	return 0;
}

/* The header's type if it is one of @types (a bit per type) and its other
 * fields match, else 0. */
static uint32_t read_header(struct sf_lz_in *i, uint32_t w, uint32_t h, uint32_t types)
{
	uint32_t type;

	if (sf_lz_get32(i) != SF_LZ_MAGIC || sf_lz_get32(i) != SF_LZ_VERSION)
		return 0;
	type = sf_lz_get32(i);
	if (type >= 32 || !(types & 1u << type) || sf_lz_get32(i) != w || sf_lz_get32(i) != h ||
	    sf_lz_get32(i) != w * 4 || sf_lz_get32(i) != 1 || i->err || !w || !h)
		return 0;
	return type;
}

int sf_lz_decode(const uint8_t *in, size_t len, uint32_t w, uint32_t h, uint32_t *out)
{
	struct sf_lz_in i = {in, in + len, false};
	size_t n = (size_t)w * h;
	uint32_t type = read_header(&i, w, h, 1u << SF_LZ_TYPE_RGB32 | 1u << SF_LZ_TYPE_RGBA);

	if (!type || decode_pass(&i, out, n, false) < 0)
		return -EINVAL;
	return type == SF_LZ_TYPE_RGBA ? decode_pass(&i, out, n, true) : 0;
}

int sf_lz_decode_alpha(const uint8_t *in, size_t len, uint32_t w, uint32_t h, uint32_t *out)
{
	struct sf_lz_in i = {in, in + len, false};

	if (!read_header(&i, w, h, 1u << SF_LZ_TYPE_XXXA))
		return -EINVAL;
	return decode_pass(&i, out, (size_t)w * h, true);
}
