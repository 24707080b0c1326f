/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* shim/memslot.c: memslot table and checked translation. */
#include <errno.h>
#include <string.h>
#include "shim/memslot.h"

int sf_memslots_init(struct sf_memslots *ms, uint32_t ngroups, uint32_t nslots, uint8_t gen_bits,
		     uint8_t id_bits)
{
	memset(ms, 0, sizeof(*ms));
	if (!ngroups || ngroups > SF_MEMSLOT_MAX_GROUPS || !nslots ||
	    nslots > SF_MEMSLOT_MAX_SLOTS || id_bits > 16 || gen_bits > 16 ||
	    (nslots > 1 && (1u << id_bits) < nslots))
		return -EINVAL;
	ms->ngroups = ngroups;
	ms->nslots = nslots;
	ms->gen_bits = gen_bits;
	ms->id_bits = id_bits;
	return 0;
}

int sf_memslots_add(struct sf_memslots *ms, uint32_t group, uint32_t slot, uint32_t generation,
		    uint64_t virt_start, uint64_t virt_end, uint64_t delta)
{
	if (group >= ms->ngroups || slot >= ms->nslots || virt_end < virt_start)
		return -EINVAL;
	ms->slots[group][slot] = (struct sf_memslot){virt_start, virt_end, delta, generation, true};
	return 0;
}

int sf_memslots_del(struct sf_memslots *ms, uint32_t group, uint32_t slot)
{
	if (group >= ms->ngroups || slot >= ms->nslots)
		return -EINVAL;
	ms->slots[group][slot].valid = false;
	return 0;
}

void sf_memslots_reset(struct sf_memslots *ms)
{
	for (uint32_t g = 0; g < ms->ngroups; g++)
		for (uint32_t s = 0; s < ms->nslots; s++)
			ms->slots[g][s].valid = false;
}

void *sf_memslot_get(const struct sf_memslots *ms, uint32_t group, uint64_t addr, size_t size)
{
	unsigned id_shift = 64u - ms->id_bits, gen_shift = id_shift - ms->gen_bits;
	uint64_t slot_id = ms->id_bits ? addr >> id_shift : 0;
	uint64_t gen = ms->gen_bits ? (addr >> gen_shift) & ((1ull << ms->gen_bits) - 1) : 0;
	uint64_t clean = addr & (~0ull >> (ms->id_bits + ms->gen_bits));
	const struct sf_memslot *s;
	uint64_t h;

	if (group >= ms->ngroups || slot_id >= ms->nslots)
		return NULL;
	s = &ms->slots[group][slot_id];
	if (!s->valid || gen != s->generation)
		return NULL;
	h = clean + s->delta;
	if (h < clean) /* wrapped */
		return NULL;
	if (h < s->virt_start || h > s->virt_end || size > s->virt_end - h)
		return NULL;
	return (void *)(uintptr_t)h;
}
