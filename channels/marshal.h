/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* channels/marshal.h: server->client message bodies in spice.proto's wire
 * layout. Each returns a new sf_buf (one reference) or NULL on allocation
 * failure; pure functions, callable from any thread. Marshalled once, the body
 * is shared by every client that receives it. */
#ifndef SF_CHANNELS_MARSHAL_H
#define SF_CHANNELS_MARSHAL_H

#include <stdint.h>
#include "engine/buf.h"
#include "channels/display-t.h"

/* main channel */
struct sf_main_init {
	uint32_t session_id, display_channels_hint, supported_mouse_modes, current_mouse_mode;
	uint32_t agent_connected, agent_tokens, multi_media_time, ram_hint;
};
struct sf_buf *sf_marshal_main_init(const struct sf_main_init *m);
struct sf_buf *sf_marshal_channels_list(const uint8_t (*chans)[2], uint32_t n);
struct sf_buf *sf_marshal_mouse_mode(uint16_t supported, uint16_t current);
struct sf_buf *sf_marshal_mm_time(uint32_t mm_time);
struct sf_buf *sf_marshal_ping(uint32_t id, uint64_t timestamp, uint32_t pad);

/* display channel */
struct sf_buf *sf_marshal_surface_create(uint32_t id, uint32_t w, uint32_t h, uint32_t fmt,
					 uint32_t flags);
struct sf_buf *sf_marshal_surface_destroy(uint32_t id);
struct sf_buf *sf_marshal_mark(void);
struct sf_buf *sf_marshal_monitors_config(const struct sf_head *heads, uint16_t count,
					  uint16_t max_allowed);
struct sf_buf *sf_marshal_fill(uint32_t surface_id, const struct sf_rect *r, uint32_t color);
/* A solid fill through the raster op SPICE_ROPD_* @ropd: the client applies
 * it to its own pixels, as the producer did to the surface. */
struct sf_buf *sf_marshal_fill_rop(uint32_t surface_id, const struct sf_rect *r, uint32_t color,
				   uint16_t ropd);
/* Copy the @src_x,@src_y origin of @img into @r (a raw BITMAP image). */
struct sf_buf *sf_marshal_copy(uint32_t surface_id, const struct sf_rect *r,
			       const struct sf_image *img, int32_t src_x, int32_t src_y);
/* The same copy with the pixels encoded once by @codec (raw included). */
struct sf_buf *sf_marshal_copy_as(enum sf_codec codec, uint32_t surface_id, const struct sf_rect *r,
				  const struct sf_image *img, int32_t src_x, int32_t src_y);
/* The copy GLZ-encoded into dictionary @g, which it joins whatever happens
 * next: the caller must deliver it to every client of @g. Falls back to a
 * raw bitmap (dictionary unchanged) only if GLZ cannot encode it. */
struct sf_glz;
struct sf_buf *sf_marshal_copy_glz(struct sf_glz *g, uint32_t surface_id, const struct sf_rect *r,
				   const struct sf_image *img, int32_t src_x, int32_t src_y);
struct sf_buf *sf_marshal_copy_bits(uint32_t surface_id, const struct sf_rect *r, int32_t src_x,
				    int32_t src_y);
/* DRAW_ALPHA_BLEND of the @src_x,@src_y origin of @img over @r: pixman OVER,
 * premultiplied alpha for an RGBA image (a 32-bit one is opaque), scaled by
 * @alpha overall. A blend is never GLZ (it would tie the dictionary to
 * drawables occlusion may drop), and our LZ4 encoder has no alpha plane:
 * both become LZ, which keeps it (LZ and QUIC RGBA). JPEG of an RGBA image
 * is JPEG_ALPHA (the alpha as LZ). */
struct sf_buf *sf_marshal_blend_as(enum sf_codec codec, uint32_t surface_id,
				   const struct sf_rect *r, const struct sf_image *img,
				   int32_t src_x, int32_t src_y, uint8_t alpha);
/* DRAW_BLEND: the copy through raster op SPICE_ROPD_* @ropd, each pixel
 * op(source, destination) on the client's own pixels; its codecs as a
 * blend's (never GLZ). */
struct sf_buf *sf_marshal_rop_as(enum sf_codec codec, uint32_t surface_id, const struct sf_rect *r,
				 const struct sf_image *img, int32_t src_x, int32_t src_y,
				 uint16_t ropd);
/* The codec sf_marshal_blend_as() and sf_marshal_rop_as() really use. */
enum sf_codec sf_marshal_blend_codec(enum sf_codec codec, const struct sf_image *img);

/* video streams (MJPEG): one stream covers @r on @surface_id */
struct sf_buf *sf_marshal_stream_create(uint32_t id, uint32_t surface_id, const struct sf_rect *r);
struct sf_buf *sf_marshal_stream_data(uint32_t id, uint32_t mm_time, const uint8_t *frame,
				      size_t len);
struct sf_buf *sf_marshal_stream_destroy(uint32_t id);

/* cursor channel; @shape NULL means "no cursor" (flags NONE) */
struct sf_buf *sf_marshal_cursor_init(int16_t x, int16_t y, bool visible,
				      const struct sf_image *shape, uint16_t hot_x, uint16_t hot_y);
struct sf_buf *sf_marshal_cursor_set(int16_t x, int16_t y, bool visible,
				     const struct sf_image *shape, uint16_t hot_x, uint16_t hot_y);
struct sf_buf *sf_marshal_cursor_move(int16_t x, int16_t y);
struct sf_buf *sf_marshal_cursor_hide(void);

/* inputs channel */
struct sf_buf *sf_marshal_inputs_init(uint16_t modifiers);
struct sf_buf *sf_marshal_key_modifiers(uint16_t modifiers);
struct sf_buf *sf_marshal_empty(uint16_t type);

#endif
