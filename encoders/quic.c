/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* encoders/quic.c: QUIC RGB32 (SFALIC-style) for spice-gtk's decoder. The
 * model (wait masks, bucket statistics, run-length states, the random wait
 * table) must evolve exactly as the decoder's does, so one row walker serves
 * both directions: inlined with a constant `dec`, it compiles into a lean
 * encoder and the checked decoder the tests and the fuzzer use. */
#include <endian.h>
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#if defined(SF_QUIC_NO_SSE2) && !defined(SF_QUIC_PORTABLE)
#define SF_QUIC_PORTABLE
#endif
#if defined(__SSE2__) && !defined(SF_QUIC_NO_SSE2)
#include <emmintrin.h>
#endif
#if defined(__x86_64__) && !defined(SF_QUIC_PORTABLE)
#define SF_QUIC_MINPOS 1
#include <smmintrin.h>
#else
#define SF_QUIC_MINPOS 0
#endif
#include <spice/enums.h>
#include "encoders/quic.h"

#define QUIC_MAGIC	0x43495551u /* "QUIC" */
#define QUIC_VERSION	0u
#define QUIC_TYPE_RGB32 4u
#define QUIC_TYPE_RGBA	5u /* RGB32's row, then the alpha row, each with its own state */
#define HEADER_BYTES	20
#define CODES		8    /* Golomb parameters for 8-bit samples */
#define BUCKETS		8    /* context buckets: 1, 2, 4, ... 128 values */
#define WM_MAX		6    /* the wait mask stops growing at 2^6 - 1 */
#define WM_NEXT		2048 /* samples between wait mask steps */
#define MELC_STATES	32

/* Low six bits of the format's "chaos" table: the wait mask never exceeds
 * 0x3f, so the rest of each entry is never used. */
static const uint8_t wait_rand[256] = {
	2,  23, 19, 21, 7,  18, 40, 14, 12, 32, 47, 44, 36, 6,	18, 11, 4,  19, 42, 29, 16, 63,
	57, 51, 16, 3,	5,  14, 15, 30, 20, 9,	36, 45, 3,  57, 61, 0,	8,  5,	41, 14, 43, 27,
	43, 59, 31, 35, 39, 60, 42, 38, 13, 54, 62, 1,	26, 3,	11, 61, 52, 34, 7,  48, 4,  59,
	22, 12, 22, 8,	50, 4,	10, 6,	44, 8,	11, 46, 31, 51, 53, 17, 1,  43, 46, 60, 36, 54,
	10, 27, 39, 44, 22, 41, 23, 2,	44, 0,	40, 53, 40, 48, 16, 43, 32, 28, 33, 12, 20, 2,
	56, 62, 55, 58, 18, 20, 13, 55, 38, 29, 57, 19, 49, 33, 47, 63, 59, 0,	35, 61, 19, 25,
	46, 38, 60, 4,	35, 1,	26, 40, 28, 10, 5,  14, 25, 18, 48, 49, 20, 59, 62, 34, 46, 7,
	33, 52, 34, 58, 9,  29, 8,  55, 62, 60, 37, 36, 37, 50, 6,  3,	10, 28, 48, 24, 26, 61,
	57, 30, 11, 54, 2,  6,	50, 47, 7,  17, 35, 53, 32, 12, 23, 17, 5,  21, 49, 55, 51, 45,
	52, 27, 39, 25, 39, 63, 22, 24, 42, 52, 56, 38, 41, 41, 56, 32, 13, 24, 26, 51, 27, 56,
	58, 37, 24, 42, 15, 28, 17, 30, 31, 15, 16, 23, 25, 54, 33, 34, 1,  29, 31, 50, 53, 21,
	49, 15, 47, 9,	0,  58, 37, 45, 30, 13, 9,  45, 63, 21,
};

/* Counter level that halves a bucket's statistics, by wait mask index
 * (model evolution 3). */
static const uint16_t wm_trigger_tab[11] = {110, 550, 900, 800, 550, 400, 350, 250, 140, 160, 140};

/* Expected run length exponent for each run-length state. */
static const uint8_t melc_len[MELC_STATES] = {0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2,	2,  3,	3,  3,	3,
					      4, 4, 5, 5, 6, 6, 7, 7, 8, 9, 10, 11, 12, 13, 14, 15};

/* Per Golomb parameter l, with codewords limited to 26 bits: values below
 * alt[l] << l get Rice codes; the rest get alt[l] zeros and a suffix. */
static const uint8_t alt_prefix[CODES] = {18, 18, 18, 18, 15, 7, 3, 1};
static const uint8_t alt_suffix[CODES] = {8, 8, 8, 7, 4, 5, 6, 7};

struct chan {
	uint8_t *corr; /* this row's coded residuals; corr[-1] is valid */
	/* per bucket, the total code length each parameter would have given
	 * so far, parameter CODES - 1 first (see update_bucket). 16 bits do:
	 * the least stays under 900 + 26 (then all are halved) and no code is
	 * more than 26 times another of the same value, so none reaches 25000 */
	uint16_t counters[BUCKETS][CODES] __attribute__((aligned(16)));
	uint8_t best[BUCKETS];
};

/* The encoder's bit writer: @acc's low @n bits are pending, @wp is the
 * next byte of the row's scratch space. The row coder keeps it in a local
 * (registers): stores through @wp could otherwise alias a struct quic. */
struct bits {
	uint64_t acc;
	unsigned n;
	uint8_t *wp;
};

/* Model update pacing and run-length coding: one for the RGB channels
 * together, one for alpha (the format's per-channel state). */
struct state {
	unsigned waitcnt, seed, wm_trigger, wmidx, wmileft;
	unsigned melcstate, melclen, melcorder;
};

struct quic {
	struct chan ch[4];  /* r, g, b: the order of the stream; then alpha */
	struct state st[2]; /* RGB, alpha */
	struct state *s;    /* the plane being coded */
	uint32_t *res;	    /* encoding: this row's codes, a word per pixel (see residuals) */
	/* encoding: the RGB channels' corr rows as one word per pixel, laid out
	 * as res; NULL when decoding, which keeps them in ch[].corr */
	uint32_t *cw;
	struct bits bw;	   /* encoding: the output, between rows */
	uint8_t *scratch;  /* encoding: sized for the worst row (row_worst) */
	uint8_t *out;	   /* encoding: next output byte */
	const uint8_t *rp; /* decoding: next input byte */
	const uint8_t *end;
	uint64_t acc;
	unsigned nbits;
	bool err;
};

/* Codewords and their lengths for every value and parameter: filled once
 * (pthread_once), read-only after, shared by every encoder thread. */
static struct {
	uint16_t word[256][CODES]; /* codeword (at most 9 bits) | length << 10 */
	uint16_t rlen[256][CODES] __attribute__((aligned(16))); /* lengths, last parameter first */
	uint8_t bucket[256];				     /* a residual code's context bucket */
	void (*update_model)(struct quic *q, int i, bool a); /* the CPU's best build */
} golomb;
static pthread_once_t golomb_once = PTHREAD_ONCE_INIT;

/* Context buckets hold 1, 2, 4, ... 64 values, the last one 129. */
static unsigned bucket_init(unsigned ctx)
{
	return ctx >= 127 ? BUCKETS - 1 : 31 - (unsigned)__builtin_clz(ctx + 1);
}

static void update_model(struct quic *q, int i, bool a);
#if SF_QUIC_MINPOS
static void update_model_minpos(struct quic *q, int i, bool a);
#endif

static void golomb_init(void)
{
	golomb.update_model = update_model;
#if SF_QUIC_MINPOS
	if (__builtin_cpu_supports("sse4.1"))
		golomb.update_model = update_model_minpos;
#endif
	for (unsigned n = 0; n < 256; n++)
		golomb.bucket[n] = (uint8_t)bucket_init(n);
	for (unsigned n = 0; n < 256; n++)
		for (unsigned l = 0; l < CODES; l++) {
			unsigned ngr = (unsigned)alt_prefix[l] << l;
			bool rice = n < ngr;
			unsigned code = rice ? 1u << l | (n & ((1u << l) - 1)) : n - ngr;
			unsigned len = rice ? (n >> l) + l + 1 : alt_prefix[l] + alt_suffix[l];
			golomb.rlen[n][CODES - 1 - l] = (uint16_t)len;
			golomb.word[n][l] = (uint16_t)(code | len << 10);
		}
}

/* A table: one load in the coder's serial chain instead of a bit scan. */
static inline unsigned bucket_of(uint8_t ctx)
{
	return golomb.bucket[ctx];
}

/* The decoder's inverse of codes8()'s mapping. */
static inline unsigned from_code(unsigned s)
{
	return s & 1 ? 255 - (s >> 1) : s >> 1;
}

#define BYTES_H 0x8080808080808080ull
#define BYTES_L 0x7f7f7f7f7f7f7f7full

/* Residual 0, -1, 1, -2, ... (mod 256) to code 0, 1, 2, 3, ...: small
 * magnitudes first; the sign bit picks the mirrored half. Eight bytes at
 * once: the code of (v - p) & 255 for each byte pair. */
static inline uint64_t codes8(uint64_t v, uint64_t p)
{
	uint64_t d = ((v | BYTES_H) - (p & BYTES_L)) ^ ((v ^ p ^ BYTES_H) & BYTES_H);
	uint64_t neg = d >> 7 & 0x0101010101010101ull;

	return ((d ^ neg * 0xff) & BYTES_L) << 1 | neg;
}

/* The floor of each byte pair's mean: the prediction from left and above. */
static inline uint64_t mean8(uint64_t a, uint64_t b)
{
	return (a & b) + ((a ^ b) >> 1 & BYTES_L);
}

/* Two pixels, the first in the low half (one load on little-endian). */
static inline uint64_t load8(const uint32_t *p)
{
	return p[0] | (uint64_t)p[1] << 32;
}

/* Encoding depends on the pixels only through each sample's residual code
 * against predict(), which needs no model state: a whole row's codes come
 * first, and the serial coder only looks them up. Bits 8k..8k+7 of res[i]
 * hold the code of the channel at bit 8k. This takes two pixels per step,
 * from @i on; residuals() below, with SSE2, four. */
static void residuals_from(uint32_t *res, const uint32_t *prev, const uint32_t *cur, unsigned i,
			   unsigned w)
{
	uint64_t pair;

	if (!i) {
		res[0] = (uint32_t)codes8(cur[0], prev ? prev[0] : 0);
		i = 1;
	}
	for (; i + 2 <= w; i += 2) {
		uint64_t left = load8(cur + i - 1);
		pair = codes8(load8(cur + i), prev ? mean8(left, load8(prev + i)) : left);
		res[i] = (uint32_t)pair;
		res[i + 1] = (uint32_t)(pair >> 32);
	}
	if (i < w) {
		uint64_t left = cur[i - 1];
		pair = codes8(cur[i], prev ? mean8(left, prev[i]) : left);
		res[i] = (uint32_t)pair;
	}
}

#if defined(__SSE2__) && !defined(SF_QUIC_NO_SSE2)
/* codes8() for sixteen bytes: the sign of each difference mirrors it. */
static inline __m128i codes16(__m128i v, __m128i p)
{
	__m128i d = _mm_sub_epi8(v, p), neg = _mm_cmplt_epi8(d, _mm_setzero_si128());
	__m128i m = _mm_xor_si128(d, neg);

	return _mm_sub_epi8(_mm_add_epi8(m, m), neg);
}

/* mean8() for sixteen bytes: the rounded-up average less the odd bit. */
static inline __m128i mean16(__m128i a, __m128i b)
{
	__m128i odd = _mm_and_si128(_mm_xor_si128(a, b), _mm_set1_epi8(1));

	return _mm_sub_epi8(_mm_avg_epu8(a, b), odd);
}

static inline __m128i load16(const uint32_t *p)
{
	return _mm_loadu_si128((const __m128i *)p);
}

static void residuals(uint32_t *res, const uint32_t *prev, const uint32_t *cur, unsigned w)
{
	unsigned i = 1;

	res[0] = (uint32_t)codes8(cur[0], prev ? prev[0] : 0);
	if (prev)
		for (; i + 4 <= w; i += 4)
			_mm_storeu_si128((__m128i *)(res + i),
					 codes16(load16(cur + i),
						 mean16(load16(cur + i - 1), load16(prev + i))));
	else
		for (; i + 4 <= w; i += 4)
			_mm_storeu_si128((__m128i *)(res + i),
					 codes16(load16(cur + i), load16(cur + i - 1)));
	residuals_from(res, prev, cur, i, w);
}
#else
static void residuals(uint32_t *res, const uint32_t *prev, const uint32_t *cur, unsigned w)
{
	residuals_from(res, prev, cur, 0, w);
}
#endif

/* The most a row can take, alpha plane included: per pixel 78 bits of RGB
 * codes and 26 of alpha, and before each a run code (at most a bit a pixel
 * plus 16), so 18 bytes; plus a partial word and the closing words. */
static size_t row_worst(uint32_t w)
{
	return (size_t)w * 18 + 16;
}

/* @len in 1..32; @v has no bits above @len. The word is stored whether or
 * not it is complete (then the next put overwrites it), so there is no
 * branch: the scratch space has room for the worst row. */
static SF_ALWAYS_INLINE void put(struct bits *b, uint32_t v, unsigned len)
{
	uint32_t word;

	b->acc = b->acc << len | v;
	b->n += len;
	word = htole32((uint32_t)(b->acc >> (b->n & 31)));
	memcpy(b->wp, &word, 4);
	b->wp += b->n >> 5 << 2;
	b->n &= 31;
}

/* The scratch space's whole words to the output, if they fit. */
static void move_out(struct quic *q)
{
	size_t n = (size_t)(q->bw.wp - q->scratch);

	if (n > (size_t)(q->end - q->out)) {
		q->err = true;
	} else {
		memcpy(q->out, q->scratch, n);
		q->out += n;
	}
	q->bw.wp = q->scratch;
}

/* The decoder reads one word ahead, so a zero word follows the last one. */
static void put_flush(struct quic *q)
{
	if (q->bw.n)
		put(&q->bw, 0, 32 - q->bw.n);
	put(&q->bw, 0, 32);
	move_out(q);
}

/* @len in 1..32. Past the end of input: zeros and the error flag, so every
 * loop that reads still ends. */
static inline uint32_t get(struct quic *q, unsigned len)
{
	while (q->nbits < len) {
		if (q->end - q->rp < 4) {
			q->err = true;
			return 0;
		}
		q->acc = q->acc << 32 | (uint32_t)q->rp[0] | (uint32_t)q->rp[1] << 8 |
			 (uint32_t)q->rp[2] << 16 | (uint32_t)q->rp[3] << 24;
		q->rp += 4;
		q->nbits += 32;
	}
	q->nbits -= len;
	return (uint32_t)(q->acc >> q->nbits) & (uint32_t)(((uint64_t)1 << len) - 1);
}

static unsigned golomb_get(struct quic *q, unsigned l)
{
	unsigned zeros = 0, n;

	while (zeros < alt_prefix[l] && !get(q, 1) && !q->err)
		zeros++;
	if (zeros < alt_prefix[l])
		return zeros << l | (l ? get(q, l) : 0);
	n = ((unsigned)alt_prefix[l] << l) + get(q, alt_suffix[l]);
	if (n > 255)
		q->err = true;
	return n & 255;
}

/* Decodes one sample: its residual code is read with the parameter its
 * left neighbour's code selects, and added to the prediction @pred. */
static SF_ALWAYS_INLINE unsigned decode_sample(struct quic *q, struct chan *c, int i, unsigned pred)
{
	unsigned code = golomb_get(q, c->best[bucket_of(c->corr[i - 1])]);

	c->corr[i] = (uint8_t)code;
	return (from_code(code) + pred) & 255;
}

/* The shift of channel @c's byte in a pixel, res and cw. */
static SF_ALWAYS_INLINE unsigned chan_shift(unsigned c)
{
	return c < 3 ? 16 - 8 * c : 24;
}

/* Channel @c's code at pixel @i of the corr row, which keeps a pixel's
 * codes until the pixel is coded again: pixels in runs are not, so after a
 * run the left context is the code of an earlier row, as in the format. */
static SF_ALWAYS_INLINE unsigned corr_at(const struct quic *q, unsigned c, int i)
{
	return q->cw && c < 3 ? q->cw[i] >> chan_shift(c) & 255 : q->ch[c].corr[i];
}

/* Encodes a sample's code (from residuals()) with the parameter of the
 * left context @ctx's bucket. */
static SF_ALWAYS_INLINE void encode_sample(struct bits *b, struct chan *c, unsigned ctx,
					   unsigned code)
{
	unsigned w = golomb.word[code][c->best[bucket_of((uint8_t)ctx)]];

	put(b, w & 0x3ff, w >> 10);
}

/* Predictions: nothing for the first pixel, the left pixel on row 0, the
 * upper pixel at column 0, the mean of left and upper elsewhere; of the
 * channel at bit @s. */
static SF_ALWAYS_INLINE unsigned predict(const uint32_t *prev, const uint32_t *cur, int i,
					 unsigned s)
{
	if (!prev)
		return i ? cur[i - 1] >> s & 255 : 0;
	if (!i)
		return prev[0] >> s & 255;
	return ((cur[i - 1] >> s & 255) + (prev[i] >> s & 255)) >> 1;
}

/* One pixel of the plane: the RGB channels or (@a) alpha. */
static SF_ALWAYS_INLINE void code_pixel(struct quic *q, struct bits *b, const uint32_t *prev,
					uint32_t *cur, int i, bool dec, bool a)
{
	uint32_t px = 0;

	if (!dec && a) {
		encode_sample(b, &q->ch[3], q->ch[3].corr[i - 1], q->res[i] >> 24);
		q->ch[3].corr[i] = (uint8_t)(q->res[i] >> 24);
	} else if (!dec) {
		uint32_t code = q->res[i], left = q->cw[i - 1];

		q->cw[i] = code;
#pragma GCC unroll 3
		for (unsigned c = 0; c < 3; c++)
			encode_sample(b, &q->ch[c], left >> chan_shift(c),
				      code >> chan_shift(c) & 255);
	} else if (a) {
		px = decode_sample(q, &q->ch[3], i, predict(prev, cur, i, 24)) << 24;
		cur[i] = (cur[i] & 0xffffff) | px;
	} else {
#pragma GCC unroll 3
		for (unsigned c = 0; c < 3; c++)
			px |= decode_sample(q, &q->ch[c], i, predict(prev, cur, i, chan_shift(c)))
			      << chan_shift(c);
		cur[i] = px;
	}
}

/* The bucket's best parameter becomes the one with the least total code
 * length so far; on ties the larger parameter stays, as the format's
 * descending scan keeps it. Counters are stored largest parameter first, so
 * that is the lowest lane holding the least total. Three builds: SSE4.1's
 * PHMINPOSUW (which returns exactly that lane), chosen at run time; SSE2
 * otherwise; plain C where neither exists. SF_QUIC_PORTABLE (a test build)
 * leaves only the last two. */
#if defined(__SSE2__) && !defined(SF_QUIC_NO_SSE2)
/* The bucket's totals with @val's code lengths added. */
static SF_ALWAYS_INLINE __m128i bucket_totals(struct chan *c, unsigned b, unsigned val)
{
	return _mm_add_epi16(_mm_load_si128((const __m128i *)c->counters[b]),
			     _mm_load_si128((const __m128i *)golomb.rlen[val]));
}

/* Both SIMD builds end alike: @lane holds the @least total of @cnt. */
static SF_ALWAYS_INLINE void bucket_settle(struct quic *q, struct chan *c, unsigned b, __m128i cnt,
					   unsigned least, unsigned lane)
{
	c->best[b] = (uint8_t)(CODES - 1 - lane);
	if (least > q->s->wm_trigger)
		cnt = _mm_srli_epi16(cnt, 1);
	_mm_store_si128((__m128i *)c->counters[b], cnt);
}

static SF_ALWAYS_INLINE void update_bucket(struct quic *q, struct chan *c, unsigned b, unsigned val)
{
	__m128i cnt = bucket_totals(c, b, val);
	/* the least of the eight (all under 2^15, so the signed min does) */
	__m128i m = _mm_min_epi16(cnt, _mm_shuffle_epi32(cnt, _MM_SHUFFLE(1, 0, 3, 2)));
	m = _mm_min_epi16(m, _mm_shuffle_epi32(m, _MM_SHUFFLE(2, 3, 0, 1)));
	m = _mm_min_epi16(m, _mm_shufflelo_epi16(m, _MM_SHUFFLE(2, 3, 0, 1)));
	unsigned least = (unsigned)_mm_extract_epi16(m, 0);
	unsigned mask =
		(unsigned)_mm_movemask_epi8(_mm_cmpeq_epi16(cnt, _mm_set1_epi16((short)least)));

	bucket_settle(q, c, b, cnt, least, (unsigned)__builtin_ctz(mask) / 2);
}
#else
static SF_ALWAYS_INLINE void update_bucket(struct quic *q, struct chan *c, unsigned b, unsigned val)
{
	uint16_t *cnt = c->counters[b];
	const uint16_t *len = golomb.rlen[val];
	unsigned best = 0, bestlen = cnt[0] += len[0];

	for (unsigned j = 1; j < CODES; j++) {
		unsigned total = cnt[j] += len[j];
		if (total < bestlen) {
			best = j;
			bestlen = total;
		}
	}
	c->best[b] = (uint8_t)(CODES - 1 - best);
	if (bestlen > q->s->wm_trigger)
		for (unsigned j = 0; j < CODES; j++)
			cnt[j] >>= 1;
}
#endif

/* Channel @c's bucket update at pixel @i: the context is the code left of it. */
static void update_model(struct quic *q, int i, bool a)
{
	for (unsigned c = a ? 3 : 0; c < (a ? 4u : 3u); c++)
		update_bucket(q, &q->ch[c], bucket_of((uint8_t)corr_at(q, c, i - 1)),
			      corr_at(q, c, i));
}

#if SF_QUIC_MINPOS
__attribute__((target("sse4.1"))) static SF_ALWAYS_INLINE void
update_bucket_minpos(struct quic *q, struct chan *c, unsigned b, unsigned val)
{
	__m128i cnt = bucket_totals(c, b, val);
	unsigned m = (unsigned)_mm_cvtsi128_si32(_mm_minpos_epu16(cnt));

	bucket_settle(q, c, b, cnt, m & 0xffff, m >> 16 & 7);
}

__attribute__((target("sse4.1"))) static void update_model_minpos(struct quic *q, int i, bool a)
{
	for (unsigned c = a ? 3 : 0; c < (a ? 4u : 3u); c++)
		update_bucket_minpos(q, &q->ch[c], bucket_of((uint8_t)corr_at(q, c, i - 1)),
				     corr_at(q, c, i));
}
#endif

static inline unsigned next_wait(struct quic *q, unsigned mask)
{
	return wait_rand[++q->s->seed & 255] & mask;
}

static void melc_step(struct quic *q, int dir)
{
	if (dir > 0 && q->s->melcstate < MELC_STATES - 1)
		q->s->melcstate++;
	else if (dir < 0 && q->s->melcstate)
		q->s->melcstate--;
	else
		return;
	q->s->melclen = melc_len[q->s->melcstate];
	q->s->melcorder = 1u << q->s->melclen;
}

static SF_ALWAYS_INLINE void run_put(struct quic *q, struct bits *b, unsigned len)
{
	unsigned hits = 0;

	for (; len >= q->s->melcorder; hits++) {
		len -= q->s->melcorder;
		melc_step(q, 1);
	}
	for (; hits >= 32; hits -= 32)
		put(b, UINT32_MAX, 32);
	if (hits)
		put(b, (1u << hits) - 1, hits);
	put(b, len, q->s->melclen + 1);
	melc_step(q, -1);
}

static unsigned run_get(struct quic *q, unsigned limit)
{
	unsigned len = 0;

	while (get(q, 1)) {
		len += q->s->melcorder;
		melc_step(q, 1);
		if (len > limit) {
			q->err = true;
			return 0;
		}
	}
	if (q->s->melclen)
		len += get(q, q->s->melclen);
	melc_step(q, -1);
	if (len > limit)
		q->err = true;
	return len > limit ? 0 : len;
}

/* Equal in the plane's channels: RGB, or (@a) alpha. */
static inline bool same(uint32_t x, uint32_t y, bool a)
{
	return ((x ^ y) & (a ? 0xff000000u : 0xffffffu)) == 0;
}

/* A run may start where the row above repeats and this row just did. */
static inline bool run_here(const uint32_t *prev, const uint32_t *cur, int i, int run_index, bool a)
{
	return same(prev[i - 1], prev[i], a) && run_index != i && i > 2 &&
	       same(cur[i - 1], cur[i - 2], a);
}

/* Codes a run of repeats of cur[*i - 1] from *i. Returns false when the run
 * reached @end (the segment is done). */
static SF_ALWAYS_INLINE bool code_run(struct quic *q, struct bits *b, uint32_t *cur, int *i,
				      int end, bool dec, bool a)
{
	unsigned len = 0;

	if (dec) {
		len = run_get(q, (unsigned)(end - *i));
		for (unsigned k = 0; k < len; k++, (*i)++)
			cur[*i] = a ? (cur[*i] & 0xffffff) | (cur[*i - 1] & 0xff000000u)
				    : cur[*i - 1] & 0xffffff;
		return *i != end;
	}
	while (same(cur[*i], cur[*i - 1], a)) {
		len++;
		if (++*i == end) {
			run_put(q, b, len);
			return false;
		}
	}
	run_put(q, b, len);
	return true;
}

/* Pixels [i, end) of a row under one wait mask. The model is updated at
 * every `stop` pixel; the gap to the next one is drawn from the table. */
static SF_ALWAYS_INLINE void code_seg(struct quic *q, struct bits *b, const uint32_t *prev,
				      uint32_t *cur, int i, int end, unsigned mask, bool dec,
				      bool a)
{
	int stop, run_index = 0;

	if (i == 0) {
		code_pixel(q, b, prev, cur, 0, dec, a);
		if (q->s->waitcnt) {
			q->s->waitcnt--;
		} else {
			q->s->waitcnt = next_wait(q, mask);
			golomb.update_model(q, 0, a);
		}
		stop = ++i + (int)q->s->waitcnt;
	} else {
		stop = i + (int)q->s->waitcnt;
	}
	while (i < end) {
		if (prev && run_here(prev, cur, i, run_index, a)) {
			q->s->waitcnt = (unsigned)(stop - i);
			run_index = i;
			if (!code_run(q, b, cur, &i, end, dec, a))
				return;
			stop = i + (int)q->s->waitcnt;
			continue;
		}
		code_pixel(q, b, prev, cur, i, dec, a);
		if (i == stop) {
			golomb.update_model(q, stop, a);
			stop = i + 1 + (int)next_wait(q, mask);
		}
		i++;
	}
	q->s->waitcnt = (unsigned)(stop - end);
}

/* A row, split where the wait mask grows (every WM_NEXT pixels). */
static SF_ALWAYS_INLINE void code_row(struct quic *q, struct bits *b, const uint32_t *prev,
				      uint32_t *cur, unsigned width, bool dec, bool a)
{
	unsigned pos = 0;

	q->s = &q->st[a];
	if (q->cw && !a)
		q->cw[-1] = prev ? q->cw[0] : 0;
	else
		for (unsigned c = a ? 3 : 0; c < (a ? 4u : 3u); c++)
			q->ch[c].corr[-1] = prev ? q->ch[c].corr[0] : 0;
	while (q->s->wmidx < WM_MAX && q->s->wmileft <= width) {
		if (q->s->wmileft) {
			code_seg(q, b, prev, cur, (int)pos, (int)(pos + q->s->wmileft),
				 (1u << q->s->wmidx) - 1, dec, a);
			width -= q->s->wmileft;
			pos += q->s->wmileft;
		}
		q->s->wmidx++;
		q->s->wm_trigger = wm_trigger_tab[q->s->wmidx];
		q->s->wmileft = WM_NEXT;
	}
	if (width) {
		code_seg(q, b, prev, cur, (int)pos, (int)(pos + width), (1u << q->s->wmidx) - 1,
			 dec, a);
		if (q->s->wmidx < WM_MAX)
			q->s->wmileft -= width;
	}
}

static __attribute__((noinline)) void encode_row(struct quic *q, const uint32_t *prev,
						 uint32_t *cur, unsigned width)
{
	struct bits b = q->bw;

	code_row(q, &b, prev, cur, width, false, false);
	q->bw = b;
}

static __attribute__((noinline)) void decode_row(struct quic *q, const uint32_t *prev,
						 uint32_t *cur, unsigned width)
{
	code_row(q, NULL, prev, cur, width, true, false);
}

static __attribute__((noinline)) void encode_alpha_row(struct quic *q, const uint32_t *prev,
						       uint32_t *cur, unsigned width)
{
	struct bits b = q->bw;

	code_row(q, &b, prev, cur, width, false, true);
	q->bw = b;
}

static __attribute__((noinline)) void decode_alpha_row(struct quic *q, const uint32_t *prev,
						       uint32_t *cur, unsigned width)
{
	code_row(q, NULL, prev, cur, width, true, true);
}

static struct quic *quic_new(uint32_t w)
{
	struct quic *q = calloc(1, sizeof(*q));
	uint8_t *rows = malloc(4 * ((size_t)w + 1));

	if (!q || !rows) {
		free(q);
		free(rows);
		return NULL;
	}
	pthread_once(&golomb_once, golomb_init);
	for (unsigned c = 0; c < 4; c++) {
		q->ch[c].corr = rows + c * ((size_t)w + 1) + 1;
		memset(q->ch[c].best, CODES - 1, BUCKETS);
	}
	for (unsigned k = 0; k < 2; k++) {
		q->st[k].seed = 255;
		q->st[k].wmileft = WM_NEXT;
		q->st[k].wm_trigger = wm_trigger_tab[0];
		q->st[k].melcorder = 1;
	}
	q->s = &q->st[0];
	return q;
}

static void quic_free(struct quic *q)
{
	free(q->ch[0].corr - 1);
	free(q);
}

size_t sf_quic_bound(uint32_t w, uint32_t h)
{
	return HEADER_BYTES + (size_t)w * h * 4;
}

/* One block for the encoder's rows: previous and current pixels, their
 * codes, the corr words (one in front for column -1) and the scratch space
 * (a word more: put() stores a word ahead). */
static uint32_t *encoder_rows(struct quic *q, uint32_t w)
{
	uint32_t *rows = malloc((size_t)w * 16 + 4 + row_worst(w) + 4);

	if (rows) {
		q->res = rows + 2 * (size_t)w;
		q->cw = rows + 3 * (size_t)w + 1;
		q->scratch = q->bw.wp = (uint8_t *)(rows + 4 * (size_t)w + 1);
	}
	return rows;
}

size_t sf_quic_encode(const struct sf_image *img, uint32_t x, uint32_t y, uint32_t w, uint32_t h,
		      uint8_t *out, size_t cap)
{
	struct quic *q = w && h ? quic_new(w) : NULL;
	uint32_t *rows = q ? encoder_rows(q, w) : NULL, *prev = NULL, *cur;
	bool rgba = img->format == SPICE_BITMAP_FMT_RGBA;
	size_t n = 0;

	if (!rows)
		goto done;
	q->out = out;
	q->end = out + cap;
	put(&q->bw, QUIC_MAGIC, 32);
	put(&q->bw, QUIC_VERSION, 32);
	put(&q->bw, rgba ? QUIC_TYPE_RGBA : QUIC_TYPE_RGB32, 32);
	put(&q->bw, w, 32);
	put(&q->bw, h, 32);
	move_out(q);
	for (uint32_t r = 0; r < h && !q->err; r++) {
		/* the row coder reads a pixel more than once (codes, then runs):
		 * memory the guest may still write is copied first; an image of
		 * our own is not written while the producer encodes it */
		uint8_t *row = sf_image_row(img, y + r) + (size_t)x * 4;
		if (img->alloc) {
			cur = (uint32_t *)(void *)row; /* read only: encoding */
		} else {
			cur = prev == rows ? rows + w : rows;
			memcpy(cur, row, (size_t)w * 4);
		}
		residuals(q->res, prev, cur, w); /* prev: NULL on row 0 */
		encode_row(q, prev, cur, w);
		if (rgba)
			encode_alpha_row(q, prev, cur, w);
		move_out(q);
		prev = cur;
	}
	put_flush(q);
	if (!q->err)
		n = (size_t)(q->out - out);
done:
	if (q)
		quic_free(q);
	free(rows);
	return n;
}

int sf_quic_decode(const uint8_t *in, size_t len, uint32_t w, uint32_t h, uint32_t *out)
{
	struct quic *q = w && h ? quic_new(w) : NULL;
	uint32_t type;
	int r = -EINVAL;

	if (!q)
		return w && h ? -ENOMEM : -EINVAL;
	q->rp = in;
	q->end = in + len;
	if (get(q, 32) != QUIC_MAGIC || get(q, 32) != QUIC_VERSION)
		goto done;
	type = get(q, 32);
	if ((type != QUIC_TYPE_RGB32 && type != QUIC_TYPE_RGBA) || get(q, 32) != w ||
	    get(q, 32) != h || q->err)
		goto done;
	for (uint32_t row = 0; row < h && !q->err; row++) {
		const uint32_t *prev = row ? out + (size_t)(row - 1) * w : NULL;
		decode_row(q, prev, out + (size_t)row * w, w);
		if (type == QUIC_TYPE_RGBA)
			decode_alpha_row(q, prev, out + (size_t)row * w, w);
	}
	/* the stock decoder reads a word ahead: the closing word must be there */
	r = q->err || q->end - q->rp < 4 ? -EINVAL : 0;
done:
	quic_free(q);
	return r;
}
