/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* shim/qxl-parse.h: QXL commands in guest memory -> validated sf_cmds. Every
 * structure is copied out of guest memory once before it is checked (no
 * double fetch, spice's CVE-2015-3247 class), every pointer goes through the
 * memslots, every size, count and chunk chain is bounded. Bitmaps are
 * converted to 32-bit images, so nothing refers to guest memory afterwards
 * except surfaces, which live in guest memory by design. */
#ifndef SF_SHIM_QXL_PARSE_H
#define SF_SHIM_QXL_PARSE_H

#include "channels/display-t.h"
#include "shim/memslot.h"

#define SF_QXL_MAX_SPLIT 64 /* commands one drawable may become (one per clip rect) */

struct sf_qxl_parser {
	const struct sf_memslots *ms;
	uint32_t group;
	uint32_t n_surfaces;
	const char *error; /* why the last parse failed (static string) */
};

/* Give @n commands from one drawable (they share its image) a copy of an
 * image read in guest memory, so the drawable can go back to the guest
 * before they run. Returns 0, or -ENOMEM with the commands' images
 * dropped (p->error says why). */
int sf_qxl_own_images(struct sf_qxl_parser *p, struct sf_cmd *cmds, int n);

/* Host pointer to the release info at the start of the command at @addr, or
 * NULL if @addr is not valid guest memory. */
void *sf_qxl_release_ptr(const struct sf_qxl_parser *p, uint64_t addr);

/* QXL_CMD_DRAW. Fills up to SF_QXL_MAX_SPLIT commands; returns how many (0
 * when fully clipped away) or -EINVAL/-ENOTSUP/-ENOMEM (p->error says why).
 * On success the caller owns the commands' image references. An image with
 * alloc NULL is read in guest memory: the drawable goes back to the guest
 * only after those commands have run. */
int sf_qxl_parse_drawable(struct sf_qxl_parser *p, uint64_t addr, struct sf_cmd *out);

/* QXL_CMD_SURFACE: one command. Returns 1 or -errno. */
int sf_qxl_parse_surface(struct sf_qxl_parser *p, uint64_t addr, struct sf_cmd *out);

/* QXL_CMD_CURSOR: 0 (trail: nothing to do) or 1 command, or -errno. */
int sf_qxl_parse_cursor(struct sf_qxl_parser *p, uint64_t addr, struct sf_cmd *out);

/* Read @width x @height pixels of a primary/off-screen surface's memory:
 * returns row 0 (for a negative @stride, the last row in memory) or NULL. */
uint8_t *sf_qxl_surface_mem(struct sf_qxl_parser *p, uint64_t addr, uint32_t width, uint32_t height,
			    int32_t stride);

#endif
