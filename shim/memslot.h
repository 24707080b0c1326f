/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* shim/memslot.h: translation of guest QXLPHYSICAL addresses to host
 * pointers through QXL memslots. Every access the QXL front-end makes to
 * guest memory goes through sf_memslot_get(), which checks the slot group,
 * the slot id (spice's CVE-2019-3813 was an off-by-one here), the generation
 * and that [addr, addr + size) lies inside the slot, without overflow. */
#ifndef SF_SHIM_MEMSLOT_H
#define SF_SHIM_MEMSLOT_H

#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>

#define SF_MEMSLOT_MAX_GROUPS 8
#define SF_MEMSLOT_MAX_SLOTS  256

struct sf_memslot {
	uint64_t virt_start, virt_end, delta;
	uint32_t generation;
	bool valid;
};

/* Fields public: embedded in the QXL state; touched on the producer only. */
struct sf_memslots {
	uint32_t ngroups, nslots;
	uint8_t gen_bits, id_bits;
	struct sf_memslot slots[SF_MEMSLOT_MAX_GROUPS][SF_MEMSLOT_MAX_SLOTS];
};

/* Returns 0 or -EINVAL when the device asks for more than we support. */
int sf_memslots_init(struct sf_memslots *ms, uint32_t ngroups, uint32_t nslots, uint8_t gen_bits,
		     uint8_t id_bits);
int sf_memslots_add(struct sf_memslots *ms, uint32_t group, uint32_t slot, uint32_t generation,
		    uint64_t virt_start, uint64_t virt_end, uint64_t delta);
int sf_memslots_del(struct sf_memslots *ms, uint32_t group, uint32_t slot);
void sf_memslots_reset(struct sf_memslots *ms);

/* Host pointer for @size bytes at guest @addr in @group, or NULL. Pure. */
void *sf_memslot_get(const struct sf_memslots *ms, uint32_t group, uint64_t addr, size_t size);

#endif
