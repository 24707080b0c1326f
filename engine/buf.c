/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* engine/buf.c: refcounted message bodies. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "engine/buf.h"

/* Bodies smaller than this are not worth moving to trim them. */
#define TRIM_MIN (32u << 10)

struct sf_buf *sf_buf_new(uint16_t type, uint32_t cap)
{
	struct sf_buf *b = malloc(sizeof(*b) + cap);

	if (!b)
		return NULL;
	atomic_init(&b->ref, 1);
	atomic_init(&b->obsolete, false);
	b->type = type;
	b->size = 0;
	b->cap = cap;
	return b;
}

struct sf_buf *sf_buf_reserve(struct sf_buf *buf, uint32_t cap)
{
	struct sf_buf *nb;

	if (cap <= buf->cap)
		return buf;
	nb = realloc(buf, sizeof(*buf) + cap);
	if (!nb)
		return NULL;
	nb->cap = cap;
	return nb;
}

struct sf_buf *sf_buf_trim(struct sf_buf *buf)
{
	struct sf_buf *nb;

	if (buf->size > buf->cap / 2 || buf->cap < TRIM_MIN)
		return buf;
	nb = sf_buf_new(buf->type, buf->size);
	if (!nb)
		return buf;
	memcpy(nb->data, buf->data, buf->size);
	nb->size = buf->size;
	free(buf);
	return nb;
}

struct sf_buf *sf_buf_ref(struct sf_buf *buf)
{
	/* relaxed: taking a reference publishes nothing; the caller already has one */
	atomic_fetch_add_explicit(&buf->ref, 1, memory_order_relaxed);
	return buf;
}

void sf_buf_ref_n(struct sf_buf *buf, unsigned n)
{
	/* relaxed: as sf_buf_ref() */
	atomic_fetch_add_explicit(&buf->ref, n, memory_order_relaxed);
}

void sf_buf_unref_n(struct sf_buf *buf, unsigned n)
{
	/* acq_rel: as sf_buf_unref() */
	if (n && atomic_fetch_sub_explicit(&buf->ref, n, memory_order_acq_rel) == n)
		free(buf);
}

void sf_buf_unref(struct sf_buf *buf)
{
	if (!buf)
		return;
	/* acq_rel: the release orders our reads of data[] before the free; the
	 * acquire on the last drop pairs with the releases of the other holders */
	if (atomic_fetch_sub_explicit(&buf->ref, 1, memory_order_acq_rel) == 1)
		free(buf);
}
