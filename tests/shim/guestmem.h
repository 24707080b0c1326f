/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* tests/shim/guestmem.h: a fake guest RAM image behind one memslot, shared by
 * the QXL parser tests and the QXL fuzzer. Guest physical addresses carry
 * slot id 1 and generation 3 in their top bits, like QEMU's qxl device. */
#ifndef SF_TESTS_GUESTMEM_H
#define SF_TESTS_GUESTMEM_H

#include <string.h>
#include "shim/memslot.h"

#define GM_SLOT 1u
#define GM_GEN	3u
#define GM_BASE 0x10000u

struct guestmem {
	struct sf_memslots ms;
	uint8_t *ram;
	size_t size;
	size_t brk; /* bump allocator for building structures */
};

static inline uint64_t gm_phys(size_t off)
{
	return ((uint64_t)GM_SLOT << 56) | ((uint64_t)GM_GEN << 48) | (GM_BASE + off);
}

static inline void gm_init(struct guestmem *g, uint8_t *ram, size_t size)
{
	g->ram = ram;
	g->size = size;
	g->brk = 64;
	sf_memslots_init(&g->ms, 2, 4, 8, 8);
	/* host = guest physical - GM_BASE + ram */
	sf_memslots_add(&g->ms, 0, GM_SLOT, GM_GEN, (uintptr_t)ram, (uintptr_t)ram + size,
			(uintptr_t)ram - GM_BASE);
}

/* Reserve @n bytes (8-aligned) in guest RAM; returns the offset. */
static inline size_t gm_alloc(struct guestmem *g, size_t n)
{
	size_t off = g->brk;
	g->brk += (n + 7) & ~(size_t)7;
	return off;
}

#endif
