/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* tests/fuzz/fuzz-qxl.c: libFuzzer target for QXL command parsing. The input
 * is a guest RAM image behind one memslot; its first bytes choose the command
 * kind and where in the image the command sits. Every parser result must be
 * safe to use: images are walked end to end. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "shim/qxl-parse.h"
#include "tests/shim/guestmem.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void touch(const struct sf_cmd *c)
{
	volatile uint32_t sink = 0;

	if (!c->image)
		return;
	for (uint32_t y = 0; y < c->image->height; y++)
		sink ^= ((const uint32_t *)sf_image_row(c->image, y))[c->image->width - 1];
	(void)sink;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sf_cmd out[SF_QXL_MAX_SPLIT];
	struct guestmem g;
	struct sf_qxl_parser p;
	uint8_t *ram;
	uint64_t addr;
	int n;

	if (size < 8 || size > (1 << 20))
		return 0;
	ram = malloc(size);
	memcpy(ram, data, size);
	gm_init(&g, ram, size);
	p = (struct sf_qxl_parser){.ms = &g.ms, .n_surfaces = 64};
	addr = gm_phys((size_t)(data[1] | data[2] << 8) % size);
	if (data[3] & 1) /* sometimes a raw, possibly bogus, address */
		memcpy(&addr, data, sizeof(addr));
	switch (data[0] % 3) {
	case 0:
		n = sf_qxl_parse_drawable(&p, addr, out);
		break;
	case 1:
		n = sf_qxl_parse_surface(&p, addr, out);
		break;
	default:
		n = sf_qxl_parse_cursor(&p, addr, out);
		break;
	}
	for (int i = 0; i < n; i++) {
		touch(&out[i]);
		sf_image_unref(out[i].image);
	}
	(void)sf_qxl_release_ptr(&p, addr);
	free(ram);
	return 0;
}
