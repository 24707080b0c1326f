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

	return SF_LZ_HEADER_SIZE + sf_lz_literal_bound(n);
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

static void compress(struct sf_lz_out *o, const uint32_t *px, size_t n, uint32_t *table)
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
		sf_lz_literals(o, px + lit, pos - lit);
		match(o, best_len, pos - best);
		for (size_t i = pos + 1; i + 1 < pos + best_len && i + 1 < n; i += 2)
			table[hash2(px[i], px[i + 1])] = (uint32_t)i + 1;
		pos += best_len;
		lit = pos;
	}
	sf_lz_literals(o, px + lit, n - lit);
}

size_t sf_lz_encode(const struct sf_image *img, uint32_t x, uint32_t y, uint32_t w, uint32_t h,
		    uint8_t *out, size_t cap)
{
	size_t n = (size_t)w * h;
	uint32_t *px = malloc(n * 4 + 4), *table = calloc(1u << HASH_LOG, 4);
	struct sf_lz_out o = {out, out + cap, false};

	if (!px || !table || !n || img->format != SPICE_BITMAP_FMT_32BIT ||
	    (size_t)w * 4 > INT32_MAX) {
		free(px);
		free(table);
		return 0;
	}
	sf_lz_gather(img, x, y, w, h, px);
	sf_lz_put32(&o, SF_LZ_MAGIC);
	sf_lz_put32(&o, SF_LZ_VERSION);
	sf_lz_put32(&o, SF_LZ_TYPE_RGB32);
	sf_lz_put32(&o, w);
	sf_lz_put32(&o, h);
	sf_lz_put32(&o, w * 4);
	sf_lz_put32(&o, 1); /* top-down */
	compress(&o, px, n, table);
	free(px);
	free(table);
	return o.err ? 0 : (size_t)(o.p - out);
}

/* ---- decoder (untrusted input) ---- */

/* Returns the pixels copied, 0 on bad input (a reference is never empty). */
static size_t decode_ref(struct sf_lz_in *i, uint32_t ctrl, uint32_t *out, size_t op, size_t n)
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
	struct sf_lz_in i = {in, in + len, false};
	size_t n = (size_t)w * h, op = 0;

	if (sf_lz_get32(&i) != SF_LZ_MAGIC || sf_lz_get32(&i) != SF_LZ_VERSION ||
	    sf_lz_get32(&i) != SF_LZ_TYPE_RGB32 || sf_lz_get32(&i) != w || sf_lz_get32(&i) != h ||
	    sf_lz_get32(&i) != w * 4 || sf_lz_get32(&i) != 1 || i.err || !n)
		return -EINVAL;
	while (op < n) {
		uint32_t ctrl = sf_lz_get(&i);
		if (i.err)
			return -EINVAL;
		if (ctrl >= SF_LZ_MAX_COPY) {
			size_t r = decode_ref(&i, ctrl, out, op, n);
			if (!r)
				return -EINVAL;
			op += r;
			continue;
		}
		if (!sf_lz_get_literals(&i, ctrl, out, &op, n))
			return -EINVAL;
	}
	return 0;
}
