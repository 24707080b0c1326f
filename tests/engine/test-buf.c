/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* tests/engine/test-buf.c: sf_buf refcounts, the wire writer and the bounded
 * reader. */
#include <string.h>
#include "channels/wire.h"
#include "tests/unit.h"

SF_TEST(wbuf_grows_and_is_little_endian)
{
	struct sf_wbuf w;
	struct sf_buf *b;

	sf_wbuf_init(&w, 7, 2);
	sf_wbuf_u8(&w, 0x11);
	sf_wbuf_u16(&w, 0x2233);
	sf_wbuf_u32(&w, 0x44556677);
	sf_wbuf_u64(&w, 0x8899aabbccddeeffull);
	for (int i = 0; i < 1000; i++)
		sf_wbuf_u8(&w, (uint8_t)i);
	sf_wbuf_patch_u32(&w, 3, 0xdeadbeef);
	b = sf_wbuf_finish(&w);
	SF_TEST_ASSERT(b && b->type == 7 && b->size == 15 + 1000);
	SF_TEST_ASSERT(b->data[0] == 0x11 && b->data[1] == 0x33 && b->data[2] == 0x22);
	SF_TEST_ASSERT(sf_get_le32(b->data + 3) == 0xdeadbeef);
	SF_TEST_ASSERT(b->data[7] == 0xff && b->data[14] == 0x88);
	SF_TEST_ASSERT(b->data[15 + 999] == (uint8_t)999);
	sf_buf_ref(b);
	sf_buf_unref(b);
	SF_TEST_ASSERT(atomic_load(&b->ref) == 1);
	sf_buf_unref(b);
	sf_buf_unref(NULL);
}

SF_TEST(buf_trim_moves_a_mostly_empty_large_body_only)
{
	struct sf_buf *big = sf_buf_new(5, 256u << 10), *small = sf_buf_new(6, 1024), *t;

	SF_TEST_ASSERT(big && small);
	for (uint32_t i = 0; i < 100000; i++)
		big->data[i] = (uint8_t)(i * 7);
	big->size = 100000;
	t = sf_buf_trim(big); /* under half of 256 KiB: moved, same bytes */
	SF_TEST_ASSERT(t->cap == 100000 && t->size == 100000 && t->type == 5);
	SF_TEST_ASSERT(atomic_load(&t->ref) == 1 && !sf_buf_is_obsolete(t));
	for (uint32_t i = 0; i < 100000; i++)
		SF_TEST_ASSERT(t->data[i] == (uint8_t)(i * 7));
	SF_TEST_ASSERT(sf_buf_trim(t) == t); /* full now */
	small->size = 10;
	SF_TEST_ASSERT(sf_buf_trim(small) == small); /* too small to bother */
	sf_buf_unref(t);
	sf_buf_unref(small);
}

SF_TEST(rbuf_underrun_sets_error_and_returns_zero)
{
	const uint8_t data[] = {1, 2, 3, 4, 5};
	struct sf_rbuf r;

	sf_rbuf_init(&r, data, sizeof(data));
	SF_TEST_ASSERT(sf_rbuf_u32(&r) == 0x04030201);
	SF_TEST_ASSERT(!r.err && sf_rbuf_left(&r) == 1);
	SF_TEST_ASSERT(sf_rbuf_u16(&r) == 0 && r.err);
	SF_TEST_ASSERT(sf_rbuf_u8(&r) == 0 && r.err);
	SF_TEST_ASSERT(sf_rbuf_bytes(&r, 0) == NULL);
	sf_rbuf_init(&r, data, sizeof(data));
	SF_TEST_ASSERT(sf_rbuf_bytes(&r, (size_t)-1) == NULL && r.err);
}

SF_TEST(buf_references_taken_and_dropped_many_at_once)
{
	struct sf_buf *b = sf_buf_new(1, 16);

	SF_TEST_ASSERT(b);
	sf_buf_ref_n(b, 64); /* a fan-out's batch */
	SF_TEST_ASSERT(atomic_load(&b->ref) == 65);
	sf_buf_unref(b); /* one queue done with it */
	sf_buf_unref_n(b, 0);
	SF_TEST_ASSERT(atomic_load(&b->ref) == 64);
	sf_buf_unref_n(b, 63); /* the batch's unused spares */
	SF_TEST_ASSERT(atomic_load(&b->ref) == 1);
	sf_buf_unref_n(b, 1); /* the last: freed (ASan checks) */
}
