/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* channels/surface.h: the one server-side copy of a guest surface, rendered
 * with pixman exactly as spice-gtk's canvas renders the same commands, so a
 * snapshot sent to a late or resyncing client equals what the others built. */
#ifndef SF_CHANNELS_SURFACE_H
#define SF_CHANNELS_SURFACE_H

#include "channels/display-t.h"

struct sf_surface;

/* Black x8r8g8b8 surface. Returns NULL with errno set. Thread: producer. */
struct sf_surface *sf_surface_create(uint32_t width, uint32_t height);
/* A surface over memory the caller keeps valid until destroy (guest VRAM);
 * @row0 is row 0, @stride may be negative. Unless @keep (QXL's KEEP_DATA)
 * the pixels are cleared to black. Thread: producer. */
struct sf_surface *sf_surface_create_external(uint32_t width, uint32_t height, uint8_t *row0,
					      int32_t stride, bool keep);
void sf_surface_destroy(struct sf_surface *s);

/* The pixels (read by the marshaller on the producer thread). */
const struct sf_image *sf_surface_image(const struct sf_surface *s);

/* True if @r is non-empty and inside the surface. */
bool sf_surface_contains(const struct sf_surface *s, const struct sf_rect *r);

/* Drawing. Callers validate rectangles first (sf_surface_contains and the
 * image bounds); these functions assume valid input. Thread: producer. */
void sf_surface_fill(struct sf_surface *s, const struct sf_rect *r, uint32_t color);
void sf_surface_copy(struct sf_surface *s, const struct sf_rect *r, const struct sf_image *img,
		     int32_t src_x, int32_t src_y);
/* ALPHA_BLEND: @img (premultiplied if RGBA) OVER @r, times @alpha overall. */
void sf_surface_blend(struct sf_surface *s, const struct sf_rect *r, const struct sf_image *img,
		      int32_t src_x, int32_t src_y, uint8_t alpha);
/* A solid fill through raster op @op, on all 32 bits of each pixel as
 * spice-gtk's canvas applies it. */
void sf_surface_fill_rop(struct sf_surface *s, const struct sf_rect *r, uint32_t color,
			 enum sf_rop op);
/* A copy through raster op @op: each pixel becomes op(source, pixel). */
void sf_surface_copy_rop(struct sf_surface *s, const struct sf_rect *r, const struct sf_image *img,
			 int32_t src_x, int32_t src_y, enum sf_rop op);
/* What a SPICE_ROPD_* descriptor does to its input and the destination, as
 * spice-gtk maps it: @invers_input is the flag that inverts the input
 * (SPICE_ROPD_INVERS_BRUSH for fills, _SRC for copies); the other input
 * flag means nothing. The two short forms are for fills and copies.
 * Thread: any. */
enum sf_rop sf_rop_for(uint16_t ropd, uint16_t invers_input);
enum sf_rop sf_rop_for_brush(uint16_t ropd);
enum sf_rop sf_rop_for_source(uint16_t ropd);
void sf_surface_copy_bits(struct sf_surface *s, const struct sf_rect *r, int32_t src_x,
			  int32_t src_y);

#endif
