/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* channels/display-t.h: types shared by the display producer, the marshallers
 * and guest front-ends (the demo guest, the QXL shim): rectangles, immutable
 * refcounted images and the validated drawing commands a producer consumes. */
#ifndef SF_CHANNELS_DISPLAY_T_H
#define SF_CHANNELS_DISPLAY_T_H

#include <stdatomic.h>
#include <stdint.h>
#include "engine/common.h"

struct sf_rect {
	int32_t left, top, right, bottom;
};

static inline int32_t sf_rect_w(const struct sf_rect *r)
{
	return r->right - r->left;
}

static inline int32_t sf_rect_h(const struct sf_rect *r)
{
	return r->bottom - r->top;
}

/* Pixels in SPICE's 32-bit layouts: SPICE_BITMAP_FMT_32BIT (B,G,R,X bytes) or
 * SPICE_BITMAP_FMT_RGBA (B,G,R,A premultiplied: cursors, blend sources).
 * Immutable once shared.
 * @pixels is row 0; @stride may be negative (bottom-up guest surfaces).
 * Fields public: read on producer and sender threads without calls. */
struct sf_image {
	atomic_uint ref;
	uint64_t id;
	uint32_t width, height;
	int32_t stride;
	uint8_t format;
	uint8_t *pixels;
	uint8_t *alloc; /* owned memory, NULL for external (guest) memory */
};

static inline uint8_t *sf_image_row(const struct sf_image *img, uint32_t y)
{
	return img->pixels + (ptrdiff_t)y * img->stride;
}

/* Allocate a zeroed image (stride = width * 4). Returns NULL with errno set
 * (also for sizes over 16384 x 16384). Thread: any. */
struct sf_image *sf_image_new(uint32_t width, uint32_t height, uint8_t format);
/* The same with the pixels left unset, for a caller that writes every one
 * before anyone else sees the image (a copy of a bitmap or an area): large
 * images skip zeroing memory that is overwritten at once. */
struct sf_image *sf_image_new_unset(uint32_t width, uint32_t height, uint8_t format);
/* Wrap memory the caller keeps alive for the image's lifetime (guest VRAM).
 * @row0 is row 0; @stride may be negative. Returns NULL with errno set. */
/* The area (@x, @y, @w x @h) of @img, which must lie inside it, in an image
 * of our own with @img's format. Returns NULL with errno set. Thread: any. */
struct sf_image *sf_image_copy(const struct sf_image *img, uint32_t x, uint32_t y, uint32_t w,
			       uint32_t h);
struct sf_image *sf_image_wrap(uint32_t width, uint32_t height, uint8_t *row0, int32_t stride);
struct sf_image *sf_image_ref(struct sf_image *img);
void sf_image_unref(struct sf_image *img);

enum sf_cmd_type {
	SF_CMD_SURFACE_CREATE,
	SF_CMD_SURFACE_DESTROY,
	SF_CMD_FILL,
	SF_CMD_COPY,
	SF_CMD_COPY_BITS,
	SF_CMD_BLEND,	 /* ALPHA_BLEND: @image OVER @rect, times @alpha */
	SF_CMD_FILL_ROP, /* a solid fill through a raster op: @rop, sent as @ropd */
	SF_CMD_COPY_ROP, /* a copy through a raster op (QXL's BLEND): @rop, sent as @ropd */
	SF_CMD_CURSOR_SET,
	SF_CMD_CURSOR_MOVE,
	SF_CMD_CURSOR_HIDE,
};

/* A drawing or cursor command, already validated by the front-end that built
 * it (guest memory checks live in the front-end, not here). */
/* How an image goes on the wire: each is encoded at most once per draw and
 * shared by every client that gets it. */
enum sf_codec {
	SF_CODEC_RAW,  /* SPICE_IMAGE_TYPE_BITMAP */
	SF_CODEC_LZ4,  /* SPICE_IMAGE_TYPE_LZ4 (clients with the cap) */
	SF_CODEC_LZ,   /* SPICE_IMAGE_TYPE_LZ_RGB */
	SF_CODEC_QUIC, /* SPICE_IMAGE_TYPE_QUIC (photographic content) */
	SF_CODEC_GLZ,  /* SPICE_IMAGE_TYPE_GLZ_RGB (one dictionary per display) */
	SF_CODEC_JPEG, /* SPICE_IMAGE_TYPE_JPEG (lossy, photos, WAN setting) */
	SF_CODECS
};

/* spice-gtk's SpiceROP: what a ROP descriptor does to brush (s) and
 * destination (d), in its order (sf_rop_from_ropd makes one). */
enum sf_rop {
	SF_ROP_CLEAR,	      /* 0 */
	SF_ROP_AND,	      /* s & d */
	SF_ROP_AND_REVERSE,   /* s & ~d */
	SF_ROP_COPY,	      /* s */
	SF_ROP_AND_INVERTED,  /* ~s & d */
	SF_ROP_NOOP,	      /* d */
	SF_ROP_XOR,	      /* s ^ d */
	SF_ROP_OR,	      /* s | d */
	SF_ROP_NOR,	      /* ~s & ~d */
	SF_ROP_EQUIV,	      /* ~s ^ d */
	SF_ROP_INVERT,	      /* ~d */
	SF_ROP_OR_REVERSE,    /* s | ~d */
	SF_ROP_COPY_INVERTED, /* ~s */
	SF_ROP_OR_INVERTED,   /* ~s | d */
	SF_ROP_NAND,	      /* ~s | ~d */
	SF_ROP_SET,	      /* all ones */
};

/* One monitor output (SPICE_MSG_DISPLAY_MONITORS_CONFIG's Head). */
struct sf_head {
	uint32_t id, surface_id, width, height, x, y, flags;
};

struct sf_cmd {
	enum sf_cmd_type type;
	uint32_t surface_id;
	struct sf_rect rect;	/* destination (FILL, COPY, COPY_BITS) */
	uint32_t width, height; /* SURFACE_CREATE */
	uint32_t color;		/* FILL: x8r8g8b8 */
	uint8_t *mem;		/* SURFACE_CREATE: external row 0 (guest memory), or NULL */
	int32_t stride;		/* SURFACE_CREATE with @mem */
	bool keep_data;		/* SURFACE_CREATE with @mem: it holds the picture (a
				 * migration target's replay), clients need it */
	int32_t src_x, src_y;	/* COPY, BLEND: origin in image; COPY_BITS: source point */
	uint8_t alpha;		/* BLEND: overall alpha (0 is never sent: a no-op) */
	uint8_t rop;		/* FILL_ROP, COPY_ROP: enum sf_rop */
	uint16_t ropd;		/* FILL_ROP, COPY_ROP: the guest's SPICE_ROPD_*, for the wire */
	int16_t x, y;		/* CURSOR_*: position */
	uint16_t hot_x, hot_y;	/* CURSOR_SET */
	struct sf_image *image; /* COPY, BLEND, CURSOR_SET; the command owns one reference */
	bool from_surface;	/* COPY, COPY_ROP, BLEND: the source is surface @src_surface */
	uint32_t src_surface;
	uint64_t cookie; /* front-end's own, returned on release */
};

#endif
