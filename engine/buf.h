/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* engine/buf.h: refcounted, immutable message bodies. A message is marshalled
 * once and the same bytes are queued to every client that needs them; each
 * send stage adds its own per-client header at write time. */
#ifndef SF_ENGINE_BUF_H
#define SF_ENGINE_BUF_H

#include <stdatomic.h>
#include <stdint.h>
#include "engine/common.h"

/* Fields public for the send path (read-only once published). */
struct sf_buf {
	atomic_uint ref;
	/* Set (once, by its producer) when a later message makes this one
	 * pointless; a send stage that has not started writing it skips it. */
	atomic_bool obsolete;
	uint16_t type; /* SPICE message type */
	uint32_t size; /* bytes used in data[] */
	uint32_t cap;
	uint8_t data[];
};

/* Allocate a buffer of @cap bytes with size 0 and one reference.
 * Returns NULL with errno set. Thread: any. */
struct sf_buf *sf_buf_new(uint16_t type, uint32_t cap);

/* Grow to at least @cap bytes; may move the buffer. Only before publication
 * (refcount 1). Returns the new pointer or NULL (old buffer untouched). */
struct sf_buf *sf_buf_reserve(struct sf_buf *buf, uint32_t cap);

/* Before publication (refcount 1): a body using at most half its space (an
 * image encoded into its worst case) is moved into one of its size, so
 * queued messages hold what they send; otherwise @buf itself. Returns the
 * buffer to use (@buf is released if it moved); never NULL. */
struct sf_buf *sf_buf_trim(struct sf_buf *buf);

/* Mark @buf superseded. Thread: any. */
static inline void sf_buf_set_obsolete(struct sf_buf *buf)
{
	/* relaxed: a hint; skipping or sending a superseded draw both give the
	 * same final picture */
	atomic_store_explicit(&buf->obsolete, true, memory_order_relaxed);
}

static inline bool sf_buf_is_obsolete(const struct sf_buf *buf)
{
	return atomic_load_explicit(&buf->obsolete, memory_order_relaxed);
}

/* Thread: any. Returns @buf. */
struct sf_buf *sf_buf_ref(struct sf_buf *buf);

/* Drop a reference; frees at zero. NULL is a no-op. Thread: any. */
void sf_buf_unref(struct sf_buf *buf);

/* Take or drop @n references in one atomic step, for a fan-out that hands
 * one to each of many queues. Thread: any; the caller holds one. */
void sf_buf_ref_n(struct sf_buf *buf, unsigned n);
void sf_buf_unref_n(struct sf_buf *buf, unsigned n);

#endif
