/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* channels/wire.c: growable writer and bounded reader. */
#include <string.h>
#include "channels/wire.h"

void sf_wbuf_init(struct sf_wbuf *w, uint16_t type, uint32_t hint)
{
	w->buf = sf_buf_new(type, hint ? hint : 64);
	w->err = !w->buf;
}

uint8_t *sf_wbuf_space(struct sf_wbuf *w, size_t n)
{
	struct sf_buf *nb;
	uint64_t need;

	if (w->err)
		return NULL;
	need = (uint64_t)w->buf->size + n;
	if (need > UINT32_MAX / 2) {
		w->err = true;
		return NULL;
	}
	if (need > w->buf->cap) {
		uint64_t cap = SF_MAX(need, (uint64_t)w->buf->cap * 2);
		nb = sf_buf_reserve(w->buf, (uint32_t)SF_MIN(cap, UINT32_MAX / 2));
		if (!nb) {
			w->err = true;
			return NULL;
		}
		w->buf = nb;
	}
	w->buf->size += (uint32_t)n;
	return w->buf->data + w->buf->size - n;
}

void sf_wbuf_u8(struct sf_wbuf *w, uint8_t v)
{
	uint8_t *p = sf_wbuf_space(w, 1);
	if (p)
		*p = v;
}

void sf_wbuf_u16(struct sf_wbuf *w, uint16_t v)
{
	uint8_t *p = sf_wbuf_space(w, 2);
	if (p)
		sf_put_le16(p, v);
}

void sf_wbuf_u32(struct sf_wbuf *w, uint32_t v)
{
	uint8_t *p = sf_wbuf_space(w, 4);
	if (p)
		sf_put_le32(p, v);
}

void sf_wbuf_u64(struct sf_wbuf *w, uint64_t v)
{
	uint8_t *p = sf_wbuf_space(w, 8);
	if (p)
		sf_put_le64(p, v);
}

void sf_wbuf_bytes(struct sf_wbuf *w, const void *src, size_t n)
{
	uint8_t *p = sf_wbuf_space(w, n);
	if (p && n)
		memcpy(p, src, n);
}

uint32_t sf_wbuf_pos(const struct sf_wbuf *w)
{
	return w->err ? 0 : w->buf->size;
}

void sf_wbuf_patch_u32(struct sf_wbuf *w, uint32_t off, uint32_t v)
{
	if (!w->err && off + 4 <= w->buf->size)
		sf_put_le32(w->buf->data + off, v);
}

struct sf_buf *sf_wbuf_finish(struct sf_wbuf *w)
{
	struct sf_buf *b = w->buf;

	w->buf = NULL;
	if (w->err) {
		sf_buf_unref(b);
		return NULL;
	}
	return b;
}

void sf_rbuf_init(struct sf_rbuf *r, const void *p, size_t len)
{
	r->p = p;
	r->len = len;
	r->pos = 0;
	r->err = false;
}

const uint8_t *sf_rbuf_bytes(struct sf_rbuf *r, size_t n)
{
	const uint8_t *p;

	if (r->err || n > r->len - r->pos) {
		r->err = true;
		return NULL;
	}
	p = r->p + r->pos;
	r->pos += n;
	return p;
}

uint8_t sf_rbuf_u8(struct sf_rbuf *r)
{
	const uint8_t *p = sf_rbuf_bytes(r, 1);
	return p ? p[0] : 0;
}

uint16_t sf_rbuf_u16(struct sf_rbuf *r)
{
	const uint8_t *p = sf_rbuf_bytes(r, 2);
	return p ? sf_get_le16(p) : 0;
}

uint32_t sf_rbuf_u32(struct sf_rbuf *r)
{
	const uint8_t *p = sf_rbuf_bytes(r, 4);
	return p ? sf_get_le32(p) : 0;
}

uint64_t sf_rbuf_u64(struct sf_rbuf *r)
{
	const uint8_t *p = sf_rbuf_bytes(r, 8);
	return p ? (uint64_t)sf_get_le32(p) | ((uint64_t)sf_get_le32(p + 4) << 32) : 0;
}

size_t sf_rbuf_left(const struct sf_rbuf *r)
{
	return r->err ? 0 : r->len - r->pos;
}
