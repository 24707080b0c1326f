/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* channels/marshal.c: message layouts follow shared/reference/spice.proto; a
 * pointer field is a u32 offset from the start of the message body. */
#include <string.h>
#include <spice/enums.h>
#include "channels/marshal.h"
#include "channels/wire.h"
#include "encoders/lz.h"
#include "encoders/lz4.h"
#include "encoders/glz.h"
#include "encoders/jpeg.h"
#include "encoders/quic.h"

static void put_rect(struct sf_wbuf *w, const struct sf_rect *r)
{
	sf_wbuf_u32(w, (uint32_t)r->top);
	sf_wbuf_u32(w, (uint32_t)r->left);
	sf_wbuf_u32(w, (uint32_t)r->bottom);
	sf_wbuf_u32(w, (uint32_t)r->right);
}

/* DisplayBase with no clip. */
static void put_base(struct sf_wbuf *w, uint32_t surface_id, const struct sf_rect *r)
{
	sf_wbuf_u32(w, surface_id);
	put_rect(w, r);
	sf_wbuf_u8(w, SPICE_CLIP_TYPE_NONE);
}

static void put_no_mask(struct sf_wbuf *w)
{
	sf_wbuf_u8(w, 0); /* flags */
	sf_wbuf_u32(w, 0);
	sf_wbuf_u32(w, 0); /* pos */
	sf_wbuf_u32(w, 0); /* bitmap: NULL */
}

struct sf_buf *sf_marshal_main_init(const struct sf_main_init *m)
{
	struct sf_wbuf w;

	sf_wbuf_init(&w, SPICE_MSG_MAIN_INIT, 32);
	sf_wbuf_u32(&w, m->session_id);
	sf_wbuf_u32(&w, m->display_channels_hint);
	sf_wbuf_u32(&w, m->supported_mouse_modes);
	sf_wbuf_u32(&w, m->current_mouse_mode);
	sf_wbuf_u32(&w, m->agent_connected);
	sf_wbuf_u32(&w, m->agent_tokens);
	sf_wbuf_u32(&w, m->multi_media_time);
	sf_wbuf_u32(&w, m->ram_hint);
	return sf_wbuf_finish(&w);
}

struct sf_buf *sf_marshal_channels_list(const uint8_t (*chans)[2], uint32_t n)
{
	struct sf_wbuf w;

	sf_wbuf_init(&w, SPICE_MSG_MAIN_CHANNELS_LIST, 4 + 2 * n);
	sf_wbuf_u32(&w, n);
	for (uint32_t i = 0; i < n; i++) {
		sf_wbuf_u8(&w, chans[i][0]);
		sf_wbuf_u8(&w, chans[i][1]);
	}
	return sf_wbuf_finish(&w);
}

struct sf_buf *sf_marshal_mouse_mode(uint16_t supported, uint16_t current)
{
	struct sf_wbuf w;

	sf_wbuf_init(&w, SPICE_MSG_MAIN_MOUSE_MODE, 4);
	sf_wbuf_u16(&w, supported);
	sf_wbuf_u16(&w, current);
	return sf_wbuf_finish(&w);
}

struct sf_buf *sf_marshal_mm_time(uint32_t mm_time)
{
	struct sf_wbuf w;

	sf_wbuf_init(&w, SPICE_MSG_MAIN_MULTI_MEDIA_TIME, 4);
	sf_wbuf_u32(&w, mm_time);
	return sf_wbuf_finish(&w);
}

struct sf_buf *sf_marshal_ping(uint32_t id, uint64_t timestamp, uint32_t pad)
{
	struct sf_wbuf w;
	uint8_t *p;

	sf_wbuf_init(&w, SPICE_MSG_PING, 12 + pad);
	sf_wbuf_u32(&w, id);
	sf_wbuf_u64(&w, timestamp);
	p = sf_wbuf_space(&w, pad);
	if (p)
		memset(p, 0, pad);
	return sf_wbuf_finish(&w);
}

struct sf_buf *sf_marshal_surface_create(uint32_t id, uint32_t width, uint32_t height, uint32_t fmt,
					 uint32_t flags)
{
	struct sf_wbuf w;

	sf_wbuf_init(&w, SPICE_MSG_DISPLAY_SURFACE_CREATE, 20);
	sf_wbuf_u32(&w, id);
	sf_wbuf_u32(&w, width);
	sf_wbuf_u32(&w, height);
	sf_wbuf_u32(&w, fmt);
	sf_wbuf_u32(&w, flags);
	return sf_wbuf_finish(&w);
}

struct sf_buf *sf_marshal_surface_destroy(uint32_t id)
{
	struct sf_wbuf w;

	sf_wbuf_init(&w, SPICE_MSG_DISPLAY_SURFACE_DESTROY, 4);
	sf_wbuf_u32(&w, id);
	return sf_wbuf_finish(&w);
}

struct sf_buf *sf_marshal_empty(uint16_t type)
{
	struct sf_wbuf w;

	sf_wbuf_init(&w, type, 1);
	return sf_wbuf_finish(&w);
}

struct sf_buf *sf_marshal_monitors_config(const struct sf_head *h, uint16_t count, uint16_t max)
{
	struct sf_wbuf w;

	sf_wbuf_init(&w, SPICE_MSG_DISPLAY_MONITORS_CONFIG, 4 + 28u * count);
	sf_wbuf_u16(&w, count);
	sf_wbuf_u16(&w, max);
	for (uint16_t i = 0; i < count; i++) {
		sf_wbuf_u32(&w, h[i].id);
		sf_wbuf_u32(&w, h[i].surface_id);
		sf_wbuf_u32(&w, h[i].width);
		sf_wbuf_u32(&w, h[i].height);
		sf_wbuf_u32(&w, h[i].x);
		sf_wbuf_u32(&w, h[i].y);
		sf_wbuf_u32(&w, h[i].flags);
	}
	return sf_wbuf_finish(&w);
}

struct sf_buf *sf_marshal_mark(void)
{
	return sf_marshal_empty(SPICE_MSG_DISPLAY_MARK);
}

struct sf_buf *sf_marshal_fill_rop(uint32_t surface_id, const struct sf_rect *r, uint32_t color,
				   uint16_t ropd)
{
	struct sf_wbuf w;

	sf_wbuf_init(&w, SPICE_MSG_DISPLAY_DRAW_FILL, 41);
	put_base(&w, surface_id, r);
	sf_wbuf_u8(&w, SPICE_BRUSH_TYPE_SOLID);
	sf_wbuf_u32(&w, color);
	sf_wbuf_u16(&w, ropd);
	put_no_mask(&w);
	return sf_wbuf_finish(&w);
}

struct sf_buf *sf_marshal_fill(uint32_t surface_id, const struct sf_rect *r, uint32_t color)
{
	return sf_marshal_fill_rop(surface_id, r, color, SPICE_ROPD_OP_PUT);
}

/* A draw that carries an image: COPY (ROP put) or ALPHA_BLEND. */
struct head {
	uint32_t surface_id;
	const struct sf_rect *r;
	int alpha;     /* ALPHA_BLEND's overall alpha; -1: COPY or BLEND */
	uint16_t ropd; /* COPY (SPICE_ROPD_OP_PUT) or BLEND (a raster op) */
};

/* DisplayBase, the Copy or AlphaBlend (whole image, no mask) and the
 * ImageDescriptor of a @w x @h image of @type; the image's own payload
 * follows. */
static void put_image_head(struct sf_wbuf *w, const struct head *h, uint64_t id, uint8_t type)
{
	uint32_t w_px = (uint32_t)sf_rect_w(h->r), h_px = (uint32_t)sf_rect_h(h->r), img_off;
	struct sf_rect src = {0, 0, (int32_t)w_px, (int32_t)h_px};

	put_base(w, h->surface_id, h->r);
	if (h->alpha >= 0) {
		sf_wbuf_u8(w, 0); /* alpha_flags: bitmap source, opaque (xRGB) surface */
		sf_wbuf_u8(w, (uint8_t)h->alpha);
	}
	img_off = sf_wbuf_pos(w);
	sf_wbuf_u32(w, 0); /* src_bitmap, patched below */
	put_rect(w, &src);
	if (h->alpha < 0) {
		sf_wbuf_u16(w, h->ropd);
		sf_wbuf_u8(w, SPICE_IMAGE_SCALE_MODE_NEAREST);
		put_no_mask(w);
	}
	sf_wbuf_patch_u32(w, img_off, sf_wbuf_pos(w));
	sf_wbuf_u64(w, id);
	sf_wbuf_u8(w, type);
	sf_wbuf_u8(w, 0);
	sf_wbuf_u32(w, w_px);
	sf_wbuf_u32(w, h_px);
}

static void wbuf_init_draw(struct sf_wbuf *w, const struct head *h, size_t size)
{
	uint16_t type = h->alpha >= 0		       ? SPICE_MSG_DISPLAY_DRAW_ALPHA_BLEND
			: h->ropd == SPICE_ROPD_OP_PUT ? SPICE_MSG_DISPLAY_DRAW_COPY
						       : SPICE_MSG_DISPLAY_DRAW_BLEND;

	sf_wbuf_init(w, type, (uint32_t)SF_MIN(size, (size_t)1 << 20));
}

/* The visible part of @img as a tightly packed top-down bitmap in its own
 * format (RGBA keeps its alpha). */
static struct sf_buf *raw(const struct head *h, const struct sf_image *img, int32_t src_x,
			  int32_t src_y)
{
	uint32_t w_px = (uint32_t)sf_rect_w(h->r), h_px = (uint32_t)sf_rect_h(h->r);
	uint32_t stride = w_px * 4;
	struct sf_wbuf w;
	uint8_t *p;

	wbuf_init_draw(&w, h, 96 + (size_t)stride * h_px);
	put_image_head(&w, h, img->id, SPICE_IMAGE_TYPE_BITMAP);
	/* BitmapData */
	sf_wbuf_u8(&w, img->format == SPICE_BITMAP_FMT_RGBA ? SPICE_BITMAP_FMT_RGBA
							    : SPICE_BITMAP_FMT_32BIT);
	sf_wbuf_u8(&w, SPICE_BITMAP_FLAGS_TOP_DOWN);
	sf_wbuf_u32(&w, w_px);
	sf_wbuf_u32(&w, h_px);
	sf_wbuf_u32(&w, stride);
	sf_wbuf_u32(&w, 0); /* palette: NULL */
	p = sf_wbuf_space(&w, (size_t)stride * h_px);
	for (uint32_t y = 0; p && y < h_px; y++)
		memcpy(p + (size_t)y * stride,
		       sf_image_row(img, (uint32_t)src_y + y) + (size_t)src_x * 4, stride);
	return sf_wbuf_finish(&w);
}

struct sf_buf *sf_marshal_copy(uint32_t surface_id, const struct sf_rect *r,
			       const struct sf_image *img, int32_t src_x, int32_t src_y)
{
	return raw(&(struct head){surface_id, r, -1, SPICE_ROPD_OP_PUT}, img, src_x, src_y);
}

struct encoder {
	uint8_t image_type;
	size_t (*bound)(uint32_t w, uint32_t h);
	size_t (*encode)(const struct sf_image *img, uint32_t x, uint32_t y, uint32_t w, uint32_t h,
			 uint8_t *out, size_t cap);
	/* instead of encode, for a codec with state (GLZ's dictionary) */
	size_t (*encode_in)(void *ctx, const struct sf_image *img, uint32_t x, uint32_t y,
			    uint32_t w, uint32_t h, uint8_t *out, size_t cap);
};

static size_t glz_encode(void *ctx, const struct sf_image *img, uint32_t x, uint32_t y, uint32_t w,
			 uint32_t h, uint8_t *out, size_t cap)
{
	return sf_glz_encode(ctx, img, x, y, w, h, out, cap);
}

/* Still images in the lossy WAN setting, at spice-server's quality. */
#define JPEG_STILL_QUALITY 85

static size_t jpeg_bound(uint32_t w, uint32_t h)
{
	return (size_t)w * h * 4; /* not smaller than raw: not worth it */
}

static size_t jpeg_encode(const struct sf_image *img, uint32_t x, uint32_t y, uint32_t w,
			  uint32_t h, uint8_t *out, size_t cap)
{
	size_t n = 0;
	uint8_t *j = sf_jpeg_encode(img, x, y, w, h, JPEG_STILL_QUALITY, &n);

	if (!j || n > cap)
		n = 0;
	else
		memcpy(out, j, n);
	free(j);
	return n;
}

/* JPEG_ALPHA's payload after its flags and jpeg_size: the JPEG of the
 * colour, then the alpha as LZ XXXA; *@jpeg_size tells where one ends. */
static size_t jpeg_alpha_encode(const struct sf_image *img, uint32_t x, uint32_t y, uint32_t w,
				uint32_t h, uint8_t *out, size_t cap, uint32_t *jpeg_size)
{
	size_t n = jpeg_encode(img, x, y, w, h, out, cap), a;

	if (!n)
		return 0;
	a = sf_lz_encode_alpha(img, x, y, w, h, out + n, cap - n);
	*jpeg_size = (uint32_t)n;
	return a && n + a <= cap ? n + a : 0;
}

static size_t jpeg_alpha_bound(uint32_t w, uint32_t h)
{
	return jpeg_bound(w, h) + sf_lz_bound(w, h);
}

static const struct encoder encoders[SF_CODECS] = {
	[SF_CODEC_LZ4] = {SPICE_IMAGE_TYPE_LZ4, sf_lz4_bound, sf_lz4_encode, NULL},
	[SF_CODEC_LZ] = {SPICE_IMAGE_TYPE_LZ_RGB, sf_lz_bound, sf_lz_encode, NULL},
	[SF_CODEC_QUIC] = {SPICE_IMAGE_TYPE_QUIC, sf_quic_bound, sf_quic_encode, NULL},
	[SF_CODEC_GLZ] = {SPICE_IMAGE_TYPE_GLZ_RGB, sf_glz_bound, NULL, glz_encode},
	[SF_CODEC_JPEG] = {SPICE_IMAGE_TYPE_JPEG, jpeg_bound, jpeg_encode, NULL},
};

/* Image types whose payload is BinaryData (u32 size, bytes), and
 * JPEG_ALPHA's (flags, jpeg_size, then the same): encoded in place into the
 * worst-case space, which is then given back. An encoder that declines
 * (QUIC or JPEG output no smaller than raw) yields a raw bitmap. */
static struct sf_buf *encoded(enum sf_codec k, void *ctx, const struct head *h,
			      const struct sf_image *img, int32_t src_x, int32_t src_y)
{
	const struct encoder *e = &encoders[k];
	bool jalpha = k == SF_CODEC_JPEG && img->format == SPICE_BITMAP_FMT_RGBA;
	uint32_t w_px = (uint32_t)sf_rect_w(h->r), h_px = (uint32_t)sf_rect_h(h->r), size_off;
	uint32_t jpeg_size = 0, jsize_off = 0;
	size_t bound = jalpha ? jpeg_alpha_bound(w_px, h_px) : e->bound(w_px, h_px), n = 0;
	uint32_t x = (uint32_t)src_x, y = (uint32_t)src_y;
	struct sf_wbuf w;
	struct sf_buf *b;
	uint8_t *p;

	wbuf_init_draw(&w, h, bound + 96);
	put_image_head(&w, h, img->id, jalpha ? SPICE_IMAGE_TYPE_JPEG_ALPHA : e->image_type);
	if (jalpha) {
		sf_wbuf_u8(&w, SPICE_JPEG_ALPHA_FLAGS_TOP_DOWN);
		jsize_off = sf_wbuf_pos(&w);
		sf_wbuf_u32(&w, 0); /* jpeg_size, patched below */
	}
	size_off = sf_wbuf_pos(&w);
	sf_wbuf_u32(&w, 0); /* data_size, patched below */
	p = sf_wbuf_space(&w, bound);
	if (p)
		n = jalpha	   ? jpeg_alpha_encode(img, x, y, w_px, h_px, p, bound, &jpeg_size)
		    : e->encode_in ? e->encode_in(ctx, img, x, y, w_px, h_px, p, bound)
				   : e->encode(img, x, y, w_px, h_px, p, bound);
	if (!n) {
		w.err = true;
		(void)sf_wbuf_finish(&w); /* frees it */
		return p ? raw(h, img, src_x, src_y) : NULL;
	}
	w.buf->size -= (uint32_t)(bound - n); /* give back the unused worst case */
	sf_wbuf_patch_u32(&w, size_off, (uint32_t)n);
	if (jalpha)
		sf_wbuf_patch_u32(&w, jsize_off, jpeg_size);
	b = sf_wbuf_finish(&w);
	return b ? sf_buf_trim(b) : NULL;
}

struct sf_buf *sf_marshal_copy_as(enum sf_codec codec, uint32_t surface_id, const struct sf_rect *r,
				  const struct sf_image *img, int32_t src_x, int32_t src_y)
{
	struct head h = {surface_id, r, -1, SPICE_ROPD_OP_PUT};

	if (codec <= SF_CODEC_RAW || codec >= SF_CODECS || codec == SF_CODEC_GLZ)
		return raw(&h, img, src_x, src_y);
	return encoded(codec, NULL, &h, img, src_x, src_y);
}

struct sf_buf *sf_marshal_copy_glz(struct sf_glz *g, uint32_t surface_id, const struct sf_rect *r,
				   const struct sf_image *img, int32_t src_x, int32_t src_y)
{
	return encoded(SF_CODEC_GLZ, g, &(struct head){surface_id, r, -1, SPICE_ROPD_OP_PUT}, img,
		       src_x, src_y);
}

enum sf_codec sf_marshal_blend_codec(enum sf_codec codec, const struct sf_image *img)
{
	if (codec == SF_CODEC_GLZ)
		return SF_CODEC_LZ;
	if (img->format == SPICE_BITMAP_FMT_RGBA && codec == SF_CODEC_LZ4)
		return SF_CODEC_LZ;
	return codec < SF_CODECS ? codec : SF_CODEC_RAW;
}

/* A blend (@h->alpha >= 0) or a raster-op copy: codecs as for a blend. */
static struct sf_buf *reading_draw(enum sf_codec codec, const struct head *h,
				   const struct sf_image *img, int32_t src_x, int32_t src_y)
{
	codec = sf_marshal_blend_codec(codec, img);
	if (codec == SF_CODEC_RAW)
		return raw(h, img, src_x, src_y);
	return encoded(codec, NULL, h, img, src_x, src_y);
}

struct sf_buf *sf_marshal_blend_as(enum sf_codec codec, uint32_t surface_id,
				   const struct sf_rect *r, const struct sf_image *img,
				   int32_t src_x, int32_t src_y, uint8_t alpha)
{
	return reading_draw(codec, &(struct head){surface_id, r, alpha, SPICE_ROPD_OP_PUT}, img,
			    src_x, src_y);
}

struct sf_buf *sf_marshal_rop_as(enum sf_codec codec, uint32_t surface_id, const struct sf_rect *r,
				 const struct sf_image *img, int32_t src_x, int32_t src_y,
				 uint16_t ropd)
{
	return reading_draw(codec, &(struct head){surface_id, r, -1, ropd}, img, src_x, src_y);
}

struct sf_buf *sf_marshal_copy_bits(uint32_t surface_id, const struct sf_rect *r, int32_t src_x,
				    int32_t src_y)
{
	struct sf_wbuf w;

	sf_wbuf_init(&w, SPICE_MSG_DISPLAY_COPY_BITS, 29);
	put_base(&w, surface_id, r);
	sf_wbuf_u32(&w, (uint32_t)src_x);
	sf_wbuf_u32(&w, (uint32_t)src_y);
	return sf_wbuf_finish(&w);
}

static void put_cursor(struct sf_wbuf *w, const struct sf_image *shape, uint16_t hot_x,
		       uint16_t hot_y)
{
	if (!shape) {
		sf_wbuf_u16(w, SPICE_CURSOR_FLAGS_NONE);
		return;
	}
	sf_wbuf_u16(w, 0);
	sf_wbuf_u64(w, shape->id);
	sf_wbuf_u8(w, SPICE_CURSOR_TYPE_ALPHA);
	sf_wbuf_u16(w, (uint16_t)shape->width);
	sf_wbuf_u16(w, (uint16_t)shape->height);
	sf_wbuf_u16(w, hot_x);
	sf_wbuf_u16(w, hot_y);
	for (uint32_t y = 0; y < shape->height; y++)
		sf_wbuf_bytes(w, sf_image_row(shape, y), shape->width * 4);
}

struct sf_buf *sf_marshal_cursor_init(int16_t x, int16_t y, bool visible,
				      const struct sf_image *shape, uint16_t hot_x, uint16_t hot_y)
{
	struct sf_wbuf w;

	sf_wbuf_init(&w, SPICE_MSG_CURSOR_INIT, 64);
	sf_wbuf_u16(&w, (uint16_t)x);
	sf_wbuf_u16(&w, (uint16_t)y);
	sf_wbuf_u16(&w, 0); /* trail length */
	sf_wbuf_u16(&w, 0); /* trail frequency */
	sf_wbuf_u8(&w, visible);
	put_cursor(&w, shape, hot_x, hot_y);
	return sf_wbuf_finish(&w);
}

struct sf_buf *sf_marshal_cursor_set(int16_t x, int16_t y, bool visible,
				     const struct sf_image *shape, uint16_t hot_x, uint16_t hot_y)
{
	struct sf_wbuf w;

	sf_wbuf_init(&w, SPICE_MSG_CURSOR_SET, 64);
	sf_wbuf_u16(&w, (uint16_t)x);
	sf_wbuf_u16(&w, (uint16_t)y);
	sf_wbuf_u8(&w, visible);
	put_cursor(&w, shape, hot_x, hot_y);
	return sf_wbuf_finish(&w);
}

struct sf_buf *sf_marshal_cursor_move(int16_t x, int16_t y)
{
	struct sf_wbuf w;

	sf_wbuf_init(&w, SPICE_MSG_CURSOR_MOVE, 4);
	sf_wbuf_u16(&w, (uint16_t)x);
	sf_wbuf_u16(&w, (uint16_t)y);
	return sf_wbuf_finish(&w);
}

struct sf_buf *sf_marshal_cursor_hide(void)
{
	return sf_marshal_empty(SPICE_MSG_CURSOR_HIDE);
}

struct sf_buf *sf_marshal_inputs_init(uint16_t modifiers)
{
	struct sf_wbuf w;

	sf_wbuf_init(&w, SPICE_MSG_INPUTS_INIT, 2);
	sf_wbuf_u16(&w, modifiers);
	return sf_wbuf_finish(&w);
}

struct sf_buf *sf_marshal_key_modifiers(uint16_t modifiers)
{
	struct sf_wbuf w;

	sf_wbuf_init(&w, SPICE_MSG_INPUTS_KEY_MODIFIERS, 2);
	sf_wbuf_u16(&w, modifiers);
	return sf_wbuf_finish(&w);
}

struct sf_buf *sf_marshal_stream_create(uint32_t id, uint32_t surface_id, const struct sf_rect *r)
{
	uint32_t w_px = (uint32_t)sf_rect_w(r), h_px = (uint32_t)sf_rect_h(r);
	struct sf_wbuf w;

	sf_wbuf_init(&w, SPICE_MSG_DISPLAY_STREAM_CREATE, 59);
	sf_wbuf_u32(&w, surface_id);
	sf_wbuf_u32(&w, id);
	sf_wbuf_u8(&w, SPICE_STREAM_FLAGS_TOP_DOWN);
	sf_wbuf_u8(&w, SPICE_VIDEO_CODEC_TYPE_MJPEG);
	sf_wbuf_u64(&w, 0); /* stamp: unused by clients */
	sf_wbuf_u32(&w, w_px);
	sf_wbuf_u32(&w, h_px);
	sf_wbuf_u32(&w, w_px);
	sf_wbuf_u32(&w, h_px);
	put_rect(&w, r);
	sf_wbuf_u8(&w, SPICE_CLIP_TYPE_NONE);
	return sf_wbuf_finish(&w);
}

struct sf_buf *sf_marshal_stream_data(uint32_t id, uint32_t mm_time, const uint8_t *frame,
				      size_t len)
{
	struct sf_wbuf w;

	if (len > UINT32_MAX - 64)
		return NULL;
	sf_wbuf_init(&w, SPICE_MSG_DISPLAY_STREAM_DATA, (uint32_t)len + 12);
	sf_wbuf_u32(&w, id);
	sf_wbuf_u32(&w, mm_time);
	sf_wbuf_u32(&w, (uint32_t)len);
	sf_wbuf_bytes(&w, frame, len);
	return sf_wbuf_finish(&w);
}

struct sf_buf *sf_marshal_stream_destroy(uint32_t id)
{
	struct sf_wbuf w;

	sf_wbuf_init(&w, SPICE_MSG_DISPLAY_STREAM_DESTROY, 4);
	sf_wbuf_u32(&w, id);
	return sf_wbuf_finish(&w);
}
