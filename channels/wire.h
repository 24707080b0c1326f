/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* channels/wire.h: little-endian marshalling into sf_buf and bounded parsing of
 * untrusted bytes. Readers never fail loudly: an underrun sets ->err and every
 * later read returns 0, so a parser checks once at the end. */
#ifndef SF_CHANNELS_WIRE_H
#define SF_CHANNELS_WIRE_H

#include <stdint.h>
#include <stddef.h>
#include "engine/buf.h"

/* Writer. Fields public: used on the stack by every marshaller. */
struct sf_wbuf {
	struct sf_buf *buf;
	bool err;
};

/* Start a message of @type with @hint bytes reserved. Thread: any. */
void sf_wbuf_init(struct sf_wbuf *w, uint16_t type, uint32_t hint);
void sf_wbuf_u8(struct sf_wbuf *w, uint8_t v);
void sf_wbuf_u16(struct sf_wbuf *w, uint16_t v);
void sf_wbuf_u32(struct sf_wbuf *w, uint32_t v);
void sf_wbuf_u64(struct sf_wbuf *w, uint64_t v);
void sf_wbuf_bytes(struct sf_wbuf *w, const void *p, size_t n);
/* Reserve @n bytes and return a pointer to them (valid until the next write). */
uint8_t *sf_wbuf_space(struct sf_wbuf *w, size_t n);
uint32_t sf_wbuf_pos(const struct sf_wbuf *w);
/* Overwrite a u32 written earlier at @off (pointer fix-ups). */
void sf_wbuf_patch_u32(struct sf_wbuf *w, uint32_t off, uint32_t v);
/* Finish: returns the buffer (one reference) or NULL if any write failed. */
struct sf_buf *sf_wbuf_finish(struct sf_wbuf *w);

/* Reader over untrusted bytes. */
struct sf_rbuf {
	const uint8_t *p;
	size_t len;
	size_t pos;
	bool err;
};

void sf_rbuf_init(struct sf_rbuf *r, const void *p, size_t len);
uint8_t sf_rbuf_u8(struct sf_rbuf *r);
uint16_t sf_rbuf_u16(struct sf_rbuf *r);
uint32_t sf_rbuf_u32(struct sf_rbuf *r);
uint64_t sf_rbuf_u64(struct sf_rbuf *r);
/* Returns a pointer to @n bytes in place, or NULL (and ->err) on underrun. */
const uint8_t *sf_rbuf_bytes(struct sf_rbuf *r, size_t n);
size_t sf_rbuf_left(const struct sf_rbuf *r);

static inline uint16_t sf_get_le16(const uint8_t *p)
{
	return (uint16_t)(p[0] | (p[1] << 8));
}

static inline uint32_t sf_get_le32(const uint8_t *p)
{
	return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) |
	       ((uint32_t)p[3] << 24);
}

static inline void sf_put_le16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

static inline void sf_put_le32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static inline void sf_put_le64(uint8_t *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

#endif
