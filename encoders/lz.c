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

#define LZ_MAGIC      0x20205a4cu /* "LZ  " read as a big-endian u32 */
#define LZ_VERSION    0x00010001u
#define LZ_TYPE_RGB32 8
#define MAX_COPY      32
#define NEAR_DISTANCE 8191 /* distances (minus one) below it take 13 bits */
#define MAX_FAR	      (65535 + NEAR_DISTANCE)
#define MIN_MATCH     2
#define HASH_LOG      14
#define RGB_MASK      0xffffffu

size_t sf_lz_bound(uint32_t w, uint32_t h)
{
	size_t n = (size_t)w * h;

	/* all literals: 3 bytes a pixel plus one control byte per 32 */
	return SF_LZ_HEADER_SIZE + n * 3 + n / MAX_COPY + 16;
}

struct out {
	uint8_t *p, *end;
	bool err;
};

static void put(struct out *o, uint8_t v)
{
	if (o->p < o->end)
		*o->p++ = v;
	else
		o->err = true;
}

static void put32(struct out *o, uint32_t v)
{
	for (int s = 24; s >= 0; s -= 8)
		put(o, (uint8_t)(v >> s));
}

static void literals(struct out *o, const uint32_t *px, size_t n)
{
	while (n) {
		size_t run = SF_MIN(n, (size_t)MAX_COPY);
		put(o, (uint8_t)(run - 1));
		for (size_t i = 0; i < run; i++) {
			put(o, (uint8_t)px[i]);
			put(o, (uint8_t)(px[i] >> 8));
			put(o, (uint8_t)(px[i] >> 16));
		}
		px += run;
		n -= run;
	}
}

/* A back reference of @len pixels, @dist pixels back (both >= 1). */
static void match(struct out *o, size_t len, size_t dist)
{
	size_t d = dist - 1, f = SF_MIN(len, (size_t)7);
	bool far = d >= NEAR_DISTANCE;
	uint8_t high = far ? 31 : (uint8_t)(d >> 8);

	put(o, (uint8_t)(f << 5 | high));
	if (f == 7) {
		size_t rem = len - 7;
		for (; rem >= 255; rem -= 255)
			put(o, 255);
		put(o, (uint8_t)rem);
	}
	if (far) {
		d -= NEAR_DISTANCE;
		put(o, 255);
		put(o, (uint8_t)(d >> 8));
		put(o, (uint8_t)d);
	} else {
		put(o, (uint8_t)d);
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

static void compress(struct out *o, const uint32_t *px, size_t n, uint32_t *table)
{
	size_t pos = 0, lit = 0;

	while (pos + MIN_MATCH <= n) {
		uint32_t h = hash2(px[pos], px[pos + 1]);
		size_t cand = table[h], best = 0, best_len = 0, len;

		table[h] = (uint32_t)pos + 1; /* 0: empty */
		if (cand && pos - (cand - 1) <= MAX_FAR) {
			len = extend(px, n, pos, cand - 1);
			if (len >= MIN_MATCH)
				best = cand - 1, best_len = len;
		}
		if (pos && px[pos - 1] == px[pos]) { /* a run: distance 1 */
			len = extend(px, n, pos, pos - 1);
			if (len > best_len)
				best = pos - 1, best_len = len;
		}
		if (best_len < MIN_MATCH) {
			pos++;
			continue;
		}
		literals(o, px + lit, pos - lit);
		match(o, best_len, pos - best);
		for (size_t i = pos + 1; i + 1 < pos + best_len && i + 1 < n; i += 2)
			table[hash2(px[i], px[i + 1])] = (uint32_t)i + 1;
		pos += best_len;
		lit = pos;
	}
	literals(o, px + lit, n - lit);
}

size_t sf_lz_encode(const struct sf_image *img, uint32_t x, uint32_t y, uint32_t w, uint32_t h,
		    uint8_t *out, size_t cap)
{
	size_t n = (size_t)w * h;
	uint32_t *px = malloc(n * 4 + 4), *table = calloc(1u << HASH_LOG, 4);
	struct out o = {out, out + cap, false};

	if (!px || !table || !n || img->format != SPICE_BITMAP_FMT_32BIT ||
	    (size_t)w * 4 > INT32_MAX) {
		free(px);
		free(table);
		return 0;
	}
	for (uint32_t r = 0; r < h; r++) {
		const uint32_t *row = (const uint32_t *)sf_image_row(img, y + r) + x;
		for (uint32_t i = 0; i < w; i++)
			px[(size_t)r * w + i] = row[i] & RGB_MASK;
	}
	put32(&o, LZ_MAGIC);
	put32(&o, LZ_VERSION);
	put32(&o, LZ_TYPE_RGB32);
	put32(&o, w);
	put32(&o, h);
	put32(&o, w * 4);
	put32(&o, 1); /* top-down */
	compress(&o, px, n, table);
	free(px);
	free(table);
	return o.err ? 0 : (size_t)(o.p - out);
}

/* ---- decoder (untrusted input) ---- */

struct in {
	const uint8_t *p, *end;
	bool err;
};

static uint8_t get(struct in *i)
{
	if (i->p < i->end)
		return *i->p++;
	i->err = true;
	return 0;
}

static uint32_t get32(struct in *i)
{
	uint32_t v = 0;

	for (int k = 0; k < 4; k++)
		v = v << 8 | get(i);
	return v;
}

/* Returns the pixels copied, 0 on bad input (a reference is never empty). */
static size_t decode_ref(struct in *i, uint32_t ctrl, uint32_t *out, size_t op, size_t n)
{
	size_t len = (ctrl >> 5) - 1, ofs = (ctrl & 31) << 8, code;

	if (len == 6)
		do {
			code = get(i);
			len += code;
		} while (code == 255 && !i->err);
	code = get(i);
	ofs += code;
	if (code == 255 && ofs - code == (31u << 8)) {
		ofs = (size_t)get(i) << 8;
		ofs += get(i);
		ofs += NEAR_DISTANCE;
	}
	len += 1;
	ofs += 1;
	if (i->err || ofs > op || len > n - op)
		return 0;
	for (size_t k = 0; k < len; k++)
		out[op + k] = out[op + k - ofs];
	return len;
}

int sf_lz_decode(const uint8_t *in, size_t len, uint32_t w, uint32_t h, uint32_t *out)
{
	struct in i = {in, in + len, false};
	size_t n = (size_t)w * h, op = 0;

	if (get32(&i) != LZ_MAGIC || get32(&i) != LZ_VERSION || get32(&i) != LZ_TYPE_RGB32 ||
	    get32(&i) != w || get32(&i) != h || get32(&i) != w * 4 || get32(&i) != 1 || i.err || !n)
		return -EINVAL;
	while (op < n) {
		uint32_t ctrl = get(&i);
		if (i.err)
			return -EINVAL;
		if (ctrl >= MAX_COPY) {
			size_t r = decode_ref(&i, ctrl, out, op, n);
			if (!r)
				return -EINVAL;
			op += r;
			continue;
		}
		if (ctrl + 1 > n - op)
			return -EINVAL;
		for (uint32_t k = 0; k <= ctrl; k++) {
			uint32_t b = get(&i), g = get(&i), r = get(&i);
			out[op++] = b | g << 8 | r << 16;
		}
		if (i.err)
			return -EINVAL;
	}
	return 0;
}
