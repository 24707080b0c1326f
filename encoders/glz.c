/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* encoders/glz.c: a greedy LZ77 matcher over the dictionary's images. One
 * hash table of three-pixel keys maps to global positions (pixel counts since
 * the dictionary began), so a candidate may lie in the image being encoded
 * or in any earlier one still in the window; candidates are always checked
 * against the pixels, so stale slots only cost a comparison. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <spice/enums.h>
#include "encoders/glz.h"
#include "encoders/lz-io.h"

#define HASH_LOG	    18
#define MAX_IMAGES	    65536	      /* keeps image distances in two bytes */
#define MAX_OFFSET	    SF_GLZ_MAX_WINDOW /* pixel offsets are 25 bits */
#define SHORT_OFFSET	    4096	      /* offsets below it take 12 bits */
#define VERY_LONG_OFFSET    (1u << 17)	      /* offsets from it on take 25 */
#define MIN_MATCH	    2
#define POS_BITS	    40
#define POS_MASK	    ((1ull << POS_BITS) - 1)
#define MIN_MATCH_ELSEWHERE 3 /* a match into another image costs 3-6 bytes */

struct win_image {
	uint64_t id;
	uint64_t base; /* global position of pixel 0 */
	uint32_t n;
	uint32_t *px; /* pixels without the pad byte, as the client holds them */
};

/* Images oldest first in a ring; their bases are contiguous. */
struct ring {
	struct win_image *v;
	uint32_t cap, head, count;
	uint64_t pixels;
};

struct sf_glz {
	struct ring ring;
	uint64_t next_id, next_base;
	uint32_t window;
	/* global position + 1, modulo 2^40, in the low bits (0: empty), and
	 * the first pixel of the key in the high 24: most wrong candidates are
	 * rejected without reading the window, whose pixels are seldom in
	 * cache. A position that wrapped only costs a failed comparison. */
	uint64_t *table;
};

static struct win_image *ring_at(const struct ring *r, uint32_t i)
{
	return &r->v[(r->head + i) % r->cap];
}

static int ring_push(struct ring *r, const struct win_image *img)
{
	if (r->count == r->cap) {
		uint32_t cap = r->cap ? r->cap * 2 : 64;
		struct win_image *v = malloc(sizeof(*v) * cap);
		if (!v)
			return -ENOMEM;
		for (uint32_t i = 0; i < r->count; i++)
			v[i] = *ring_at(r, i);
		free(r->v);
		r->v = v, r->cap = cap, r->head = 0;
	}
	*ring_at(r, r->count++) = *img;
	r->pixels += img->n;
	return 0;
}

static void ring_pop(struct ring *r)
{
	struct win_image *w = ring_at(r, 0);

	r->pixels -= w->n;
	free(w->px);
	r->head = (r->head + 1) % r->cap;
	r->count--;
}

static void ring_clear(struct ring *r)
{
	while (r->count)
		ring_pop(r);
}

struct sf_glz *sf_glz_new(uint32_t window)
{
	struct sf_glz *g = calloc(1, sizeof(*g));

	if (!g || !(g->table = calloc((size_t)1 << HASH_LOG, sizeof(*g->table)))) {
		free(g);
		errno = ENOMEM;
		return NULL;
	}
	sf_glz_set_window(g, window);
	return g;
}

void sf_glz_free(struct sf_glz *g)
{
	if (!g)
		return;
	ring_clear(&g->ring);
	free(g->ring.v);
	free(g->table);
	free(g);
}

void sf_glz_reset(struct sf_glz *g)
{
	ring_clear(&g->ring);
	memset(g->table, 0, sizeof(*g->table) << HASH_LOG);
	g->next_id = 0;
	g->next_base = 0;
}

uint64_t sf_glz_next_id(const struct sf_glz *g)
{
	return g->next_id;
}

int sf_glz_resume(struct sf_glz *g, uint64_t id)
{
	if (g->ring.count)
		return -EBUSY;
	g->next_id = id;
	return 0;
}

void sf_glz_set_window(struct sf_glz *g, uint32_t window)
{
	g->window = SF_MIN(window, SF_GLZ_MAX_WINDOW);
}

size_t sf_glz_bound(uint32_t w, uint32_t h)
{
	return SF_GLZ_HEADER_SIZE + sf_lz_literal_bound((size_t)w * h);
}

/* ---- encoder ---- */

static uint32_t hash3(const uint32_t *p)
{
	return ((p[0] * 2654435761u) ^ (p[1] * 40503u) ^ (p[2] * 2246822519u)) >> (32 - HASH_LOG);
}

/* A reference of @len pixels. @dist: images back (0: this image); @ofs: for
 * this image the distance back minus one, else the pixel index in that
 * image. The layout is decode-glz-tmpl.c's. */
static void put_match(struct sf_lz_out *o, size_t len, uint32_t dist, uint32_t ofs)
{
	bool lng = ofs >= SHORT_OFFSET, very = ofs >= VERY_LONG_OFFSET;
	size_t f = SF_MIN(len, (size_t)7);
	unsigned k;

	sf_lz_put(o, (uint8_t)(f << 5 | (lng ? 16 : 0) | (ofs & 15)));
	if (f == 7) {
		size_t rem = len - 7;
		for (; rem >= 255; rem -= 255)
			sf_lz_put(o, 255);
		sf_lz_put(o, (uint8_t)rem);
	}
	sf_lz_put(o, (uint8_t)(ofs >> 4));
	if (!lng) { /* image distance in 6, 14, 22 or 30 bits */
		k = dist < (1u << 6) ? 0 : dist < (1u << 14) ? 1 : dist < (1u << 22) ? 2 : 3;
		sf_lz_put(o, (uint8_t)(k << 6 | (dist & 63)));
		for (unsigned j = 0; j < k; j++)
			sf_lz_put(o, (uint8_t)(dist >> (6 + 8 * j)));
		return;
	}
	k = dist == 0 ? 0 : dist < (1u << 8) ? 1 : dist < (1u << 16) ? 2 : 3;
	sf_lz_put(o, (uint8_t)(k << 6 | (very ? 32 : 0) | ((ofs >> 12) & 31)));
	for (unsigned j = 0; j < k; j++)
		sf_lz_put(o, (uint8_t)(dist >> (8 * j)));
	if (very)
		sf_lz_put(o, (uint8_t)(ofs >> 17));
}

static size_t extend(const uint32_t *a, const uint32_t *b, size_t max)
{
	size_t len = 0;

	while (len < max && a[len] == b[len])
		len++;
	return len;
}

/* The window image holding global position @pos (binary search). */
static const struct win_image *find_image(const struct ring *r, uint64_t pos)
{
	uint32_t lo = 0, hi = r->count;

	if (!r->count || pos < ring_at(r, 0)->base)
		return NULL;
	while (hi - lo > 1) {
		uint32_t mid = lo + (hi - lo) / 2;
		if (ring_at(r, mid)->base <= pos)
			lo = mid;
		else
			hi = mid;
	}
	return ring_at(r, lo);
}

struct cur {
	const uint32_t *px;
	size_t n;
	uint64_t id, base;
};

struct found {
	size_t len;
	uint32_t dist, ofs;
};

/* Try the candidate at global position @gp for the pixels at @i. */
static void try_candidate(const struct sf_glz *g, const struct cur *c, size_t i, uint64_t gp,
			  struct found *best)
{
	const struct win_image *w;
	size_t len;

	if (gp >= c->base) { /* earlier in this image */
		size_t ref = gp - c->base;
		if (ref >= i || i - ref > MAX_OFFSET)
			return;
		len = extend(c->px + ref, c->px + i, c->n - i);
		if (len >= MIN_MATCH && len > best->len)
			*best = (struct found){len, 0, (uint32_t)(i - ref - 1)};
		return;
	}
	if (!(w = find_image(&g->ring, gp)) || gp - w->base >= w->n)
		return;
	len = extend(w->px + (gp - w->base), c->px + i, SF_MIN(c->n - i, w->n - (gp - w->base)));
	if (len >= MIN_MATCH_ELSEWHERE && len > best->len)
		*best = (struct found){len, (uint32_t)(c->id - w->id), (uint32_t)(gp - w->base)};
}

static uint64_t table_entry(uint32_t first, uint64_t pos)
{
	return (uint64_t)first << POS_BITS | ((pos + 1) & POS_MASK);
}

static void compress(struct sf_glz *g, struct sf_lz_out *o, const struct cur *c)
{
	size_t i = 0, lit = 0;

	while (i + 3 <= c->n) {
		uint32_t h = hash3(c->px + i);
		uint64_t cand = g->table[h], here = c->base + i;
		struct found best = {0, 0, 0};

		g->table[h] = table_entry(c->px[i], here);
		if (cand && cand >> POS_BITS == c->px[i]) {
			uint64_t back = (here + 1 - cand) & POS_MASK;
			if (back && back <= here)
				try_candidate(g, c, i, here - back, &best);
		}
		if (i && c->px[i - 1] == c->px[i]) /* a run: distance 1 */
			try_candidate(g, c, i, c->base + i - 1, &best);
		if (!best.len) {
			i++;
			continue;
		}
		sf_lz_literals(o, c->px + lit, i - lit);
		put_match(o, best.len, best.dist, best.ofs);
		for (size_t k = i + 1; k + 2 < i + best.len && k + 2 < c->n; k += 2)
			g->table[hash3(c->px + k)] = table_entry(c->px[k], c->base + k);
		i += best.len;
		lit = i;
	}
	sf_lz_literals(o, c->px + lit, c->n - lit);
}

/* Make room for @n pixels; returns the id distance to the oldest image kept,
 * which tells the client what it may release. */
static uint32_t make_room(struct sf_glz *g, size_t n)
{
	struct ring *r = &g->ring;

	while (r->count && (r->pixels + n > g->window || r->count >= MAX_IMAGES - 1))
		ring_pop(r);
	return r->count ? (uint32_t)(g->next_id - ring_at(r, 0)->id) : 0;
}

static void put_header(struct sf_lz_out *o, uint32_t w, uint32_t h, uint64_t id, uint32_t head)
{
	sf_lz_put32(o, SF_LZ_MAGIC);
	sf_lz_put32(o, SF_LZ_VERSION);
	sf_lz_put(o, SF_LZ_TYPE_RGB32 | 1 << 4); /* type, top-down */
	sf_lz_put32(o, w);
	sf_lz_put32(o, h);
	sf_lz_put32(o, w * 4);
	sf_lz_put32(o, (uint32_t)(id >> 32));
	sf_lz_put32(o, (uint32_t)id);
	sf_lz_put32(o, head);
}

size_t sf_glz_encode(struct sf_glz *g, const struct sf_image *img, uint32_t x, uint32_t y,
		     uint32_t w, uint32_t h, uint8_t *out, size_t cap)
{
	size_t n = (size_t)w * h;
	struct sf_lz_out o = {out, out + cap, false};
	struct win_image wi = {g->next_id, g->next_base, (uint32_t)n, NULL};
	struct cur c;

	if (!n || n > SF_GLZ_MAX_WINDOW || img->format != SPICE_BITMAP_FMT_32BIT ||
	    !(wi.px = malloc(n * 4)))
		return 0;
	sf_lz_gather(img, x, y, w, h, wi.px);
	c = (struct cur){wi.px, n, wi.id, wi.base};
	/* Eviction is final even if this encode fails: the next header still
	 * tells the clients, and the server never references what it dropped. */
	put_header(&o, w, h, wi.id, make_room(g, n));
	compress(g, &o, &c);
	if (o.err || ring_push(&g->ring, &wi) < 0) {
		/* table slots may point into the unused range: checked on use */
		free(wi.px);
		return 0;
	}
	g->next_id++;
	g->next_base += n;
	return (size_t)(o.p - out);
}

/* ---- decoder (untrusted input) ---- */

struct sf_glz_window {
	struct ring ring;
	uint64_t next_id;
};

struct sf_glz_window *sf_glz_window_new(void)
{
	return calloc(1, sizeof(struct sf_glz_window));
}

void sf_glz_window_free(struct sf_glz_window *win)
{
	if (!win)
		return;
	ring_clear(&win->ring);
	free(win->ring.v);
	free(win);
}

struct ref {
	size_t len;
	uint32_t dist, ofs;
};

/* Parse a reference after its control byte (decode-glz-tmpl.c's layout). */
static struct ref get_ref(struct sf_lz_in *i, uint32_t ctrl)
{
	struct ref r = {ctrl >> 5, 0, ctrl & 15};
	uint32_t code, k;

	if (r.len == 7)
		do {
			code = sf_lz_get(i);
			r.len += code;
		} while (code == 255 && !i->err);
	r.ofs += (uint32_t)sf_lz_get(i) << 4;
	code = sf_lz_get(i);
	k = code >> 6;
	if (!(ctrl & 16)) {
		r.dist = code & 63;
		for (uint32_t j = 0; j < k; j++)
			r.dist += (uint32_t)sf_lz_get(i) << (6 + 8 * j);
		return r;
	}
	r.ofs += (code & 31) << 12;
	for (uint32_t j = 0; j < k; j++)
		r.dist += (uint32_t)sf_lz_get(i) << (8 * j);
	if (code & 32)
		r.ofs += (uint32_t)sf_lz_get(i) << 17;
	return r;
}

/* Copy reference @r to out[*op]; false if it points outside what exists. */
static bool copy_ref(const struct sf_glz_window *win, uint64_t id, const struct ref *r,
		     uint32_t *out, size_t *op, size_t n)
{
	const uint32_t *src;

	if (r->len > n - *op)
		return false;
	if (r->dist == 0) {
		size_t back = (size_t)r->ofs + 1;
		if (back > *op)
			return false;
		for (size_t k = 0; k < r->len; k++, (*op)++)
			out[*op] = out[*op - back];
		return true;
	}
	if (!win->ring.count || r->dist > id - ring_at(&win->ring, 0)->id)
		return false;
	const struct win_image *w =
		ring_at(&win->ring, (uint32_t)(id - r->dist - ring_at(&win->ring, 0)->id));
	if (r->ofs > w->n || r->len > w->n - r->ofs)
		return false;
	src = w->px + r->ofs;
	memcpy(out + *op, src, r->len * 4);
	*op += r->len;
	return true;
}

static bool get_header(struct sf_lz_in *i, uint32_t w, uint32_t h, uint64_t *id, uint32_t *head)
{
	if (sf_lz_get32(i) != SF_LZ_MAGIC || sf_lz_get32(i) != SF_LZ_VERSION ||
	    sf_lz_get(i) != (SF_LZ_TYPE_RGB32 | 1 << 4) || sf_lz_get32(i) != w ||
	    sf_lz_get32(i) != h || sf_lz_get32(i) != w * 4)
		return false;
	*id = (uint64_t)sf_lz_get32(i) << 32;
	*id |= sf_lz_get32(i);
	*head = sf_lz_get32(i);
	return !i->err && *head <= *id;
}

/* Keep the decoded image and drop those before @id - @head. */
static int keep(struct sf_glz_window *win, uint64_t id, uint32_t head, const uint32_t *px, size_t n)
{
	struct win_image wi = {id, 0, (uint32_t)n, malloc(n * 4)};
	struct ring *r = &win->ring;

	if (!wi.px)
		return -ENOMEM;
	memcpy(wi.px, px, n * 4);
	while (r->count && ring_at(r, 0)->id < id - head)
		ring_pop(r);
	if (r->pixels + n > 2 * (uint64_t)SF_GLZ_MAX_WINDOW || ring_push(r, &wi) < 0) {
		free(wi.px);
		return -ENOMEM;
	}
	win->next_id = id + 1;
	return 0;
}

int sf_glz_decode(struct sf_glz_window *win, const uint8_t *in, size_t len, uint32_t w, uint32_t h,
		  uint32_t *out)
{
	struct sf_lz_in i = {in, in + len, false};
	size_t n = (size_t)w * h, op = 0;
	uint64_t id;
	uint32_t head;

	if (!get_header(&i, w, h, &id, &head) || id != win->next_id || !n || n > SF_GLZ_MAX_WINDOW)
		return -EINVAL;
	while (op < n) {
		uint32_t ctrl = sf_lz_get(&i);
		if (i.err)
			return -EINVAL;
		if (ctrl < SF_LZ_MAX_COPY) {
			if (!sf_lz_get_literals(&i, ctrl, out, &op, n))
				return -EINVAL;
			continue;
		}
		struct ref r = get_ref(&i, ctrl);
		if (i.err || !copy_ref(win, id, &r, out, &op, n))
			return -EINVAL;
	}
	return keep(win, id, head, out, n);
}
