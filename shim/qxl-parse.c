/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* shim/qxl-parse.c: drawables (fill, copy, opaque, copy-bits, blackness,
 * whiteness, invert, fills through raster ops, alpha blend, transparent;
 * copies and blends scaled too; rectangle clips), bitmaps in every indexed
 * and direct format, surface and cursor commands. Unsupported operations
 * are rejected with a reason; the guest keeps running. */
#include <errno.h>
#include <string.h>
#include <pixman.h>
#include <spice/enums.h>
#include <spice/qxl_dev.h>
#include "channels/surface.h"
#include "shim/qxl-parse.h"

#define MAX_IMAGE_DIM	16384
#define MAX_IMAGE_BYTES (256u << 20)
#define MAX_CHUNKS	65536
#define MAX_CURSOR_DIM	512

static int fail(struct sf_qxl_parser *p, int err, const char *why)
{
	p->error = why;
	return err;
}

/* Copy @n bytes of guest memory at @addr; false if any byte is outside. */
static bool rd(const struct sf_qxl_parser *p, uint64_t addr, void *dst, size_t n)
{
	const void *src = sf_memslot_get(p->ms, p->group, addr, n);

	if (!src)
		return false;
	memcpy(dst, src, n);
	return true;
}

void *sf_qxl_release_ptr(const struct sf_qxl_parser *p, uint64_t addr)
{
	return sf_memslot_get(p->ms, p->group, addr, sizeof(QXLReleaseInfo));
}

/* Gather @want bytes from a QXLDataChunk chain starting at @chunk. */
static int read_chunks(struct sf_qxl_parser *p, uint64_t chunk, uint8_t *dst, size_t want)
{
	size_t got = 0;

	for (int n = 0; got < want; n++) {
		QXLDataChunk c;
		size_t take;
		if (n == MAX_CHUNKS || !chunk)
			return fail(p, -EINVAL, "data chunks end before the data does");
		if (!rd(p, chunk, &c, sizeof(c)))
			return fail(p, -EINVAL, "data chunk outside guest memory");
		take = SF_MIN((size_t)c.data_size, want - got);
		if (take && !rd(p, chunk + sizeof(c), dst + got, take))
			return fail(p, -EINVAL, "data chunk payload outside guest memory");
		got += take;
		chunk = c.next_chunk;
	}
	return 0;
}

static unsigned bits_per_pixel(uint8_t fmt)
{
	switch (fmt) {
	case SPICE_BITMAP_FMT_1BIT_LE:
	case SPICE_BITMAP_FMT_1BIT_BE:
		return 1;
	case SPICE_BITMAP_FMT_4BIT_LE:
	case SPICE_BITMAP_FMT_4BIT_BE:
		return 4;
	case SPICE_BITMAP_FMT_8BIT:
		return 8;
	case SPICE_BITMAP_FMT_16BIT:
		return 16;
	case SPICE_BITMAP_FMT_24BIT:
		return 24;
	case SPICE_BITMAP_FMT_32BIT:
	case SPICE_BITMAP_FMT_RGBA:
		return 32;
	default:
		return 0;
	}
}

static int read_palette(struct sf_qxl_parser *p, uint64_t addr, unsigned bpp, uint32_t *pal)
{
	QXLPalette hdr;
	unsigned n = 1u << bpp;

	memset(pal, 0, 256 * sizeof(*pal));
	if (!addr || !rd(p, addr, &hdr, sizeof(hdr)))
		return fail(p, -EINVAL, "indexed bitmap without a readable palette");
	n = SF_MIN(n, hdr.num_ents);
	if (n && !rd(p, addr + sizeof(hdr), pal, n * sizeof(*pal)))
		return fail(p, -EINVAL, "palette entries outside guest memory");
	return 0;
}

static uint32_t pixel(const uint8_t *row, uint32_t x, uint8_t fmt, const uint32_t *pal)
{
	switch (fmt) {
	case SPICE_BITMAP_FMT_1BIT_LE:
		return pal[(row[x / 8] >> (x % 8)) & 1];
	case SPICE_BITMAP_FMT_1BIT_BE:
		return pal[(row[x / 8] >> (7 - x % 8)) & 1];
	case SPICE_BITMAP_FMT_4BIT_LE:
		return pal[(row[x / 2] >> (x % 2 ? 4 : 0)) & 0xf];
	case SPICE_BITMAP_FMT_4BIT_BE:
		return pal[(row[x / 2] >> (x % 2 ? 0 : 4)) & 0xf];
	case SPICE_BITMAP_FMT_8BIT:
		return pal[row[x]];
	case SPICE_BITMAP_FMT_16BIT: {
		uint16_t v = (uint16_t)(row[2 * x] | row[2 * x + 1] << 8);
		uint32_t r = (v >> 10) & 0x1f, g = (v >> 5) & 0x1f, b = v & 0x1f;
		return (r << 3 | r >> 2) << 16 | (g << 3 | g >> 2) << 8 | (b << 3 | b >> 2);
	}
	case SPICE_BITMAP_FMT_24BIT:
		return (uint32_t)row[3 * x] | (uint32_t)row[3 * x + 1] << 8 |
		       (uint32_t)row[3 * x + 2] << 16;
	default: /* 32BIT, RGBA */
		return (uint32_t)row[4 * x] | (uint32_t)row[4 * x + 1] << 8 |
		       (uint32_t)row[4 * x + 2] << 16 | (uint32_t)row[4 * x + 3] << 24;
	}
}

/* A 32-bit bitmap whose rows lie in one piece of guest memory (direct, or
 * one chunk holding them all: QEMU's own updates and Linux's qxl driver),
 * word-aligned, is read where it is: NULL if it is not such a bitmap. The
 * caller keeps the drawable from the guest until its commands have run. */
static struct sf_image *wrap_in_place(struct sf_qxl_parser *p, const QXLBitmap *b, bool keep_alpha,
				      size_t total)
{
	QXLDataChunk c;
	uint8_t *src;
	struct sf_image *img;

	if (bits_per_pixel(b->format) != 32)
		return NULL;
	if (b->flags & QXL_BITMAP_DIRECT) {
		src = sf_memslot_get(p->ms, p->group, b->data, total);
	} else {
		if (!rd(p, b->data, &c, sizeof(c)) || c.data_size < total)
			return NULL;
		src = sf_memslot_get(p->ms, p->group, b->data + sizeof(c), total);
	}
	/* rows are read as 32-bit words (and pixman takes only such rows) */
	if (!src || (((uintptr_t)src | b->stride) & 3))
		return NULL;
	img = (b->flags & QXL_BITMAP_TOP_DOWN)
		      ? sf_image_wrap(b->x, b->y, src, (int32_t)b->stride)
		      : sf_image_wrap(b->x, b->y, src + (size_t)(b->y - 1) * b->stride,
				      -(int32_t)b->stride);
	if (img && keep_alpha && b->format == SPICE_BITMAP_FMT_RGBA)
		img->format = SPICE_BITMAP_FMT_RGBA;
	return img;
}

/* @keep_alpha: an RGBA bitmap stays RGBA (blend sources); otherwise every
 * format becomes 32-bit, whose fourth byte nobody reads. */
static int read_bitmap(struct sf_qxl_parser *p, const QXLImage *im, bool keep_alpha,
		       struct sf_image **out)
{
	const QXLBitmap *b = &im->bitmap;
	unsigned bpp = bits_per_pixel(b->format);
	uint32_t pal[256];
	uint64_t need_row, total;
	const uint8_t *src;
	uint8_t *tmp = NULL;
	struct sf_image *img;

	if (!bpp)
		return fail(p, -ENOTSUP, "unsupported bitmap format");
	if (!b->x || !b->y || b->x > MAX_IMAGE_DIM || b->y > MAX_IMAGE_DIM)
		return fail(p, -EINVAL, "bad bitmap size");
	need_row = ((uint64_t)b->x * bpp + 7) / 8;
	total = (uint64_t)b->stride * b->y;
	if (b->stride < need_row || total > MAX_IMAGE_BYTES)
		return fail(p, -EINVAL, "bitmap stride too small or bitmap too large");
	if ((*out = wrap_in_place(p, b, keep_alpha, (size_t)total)))
		return 0;
	if (bpp <= 8 && read_palette(p, b->palette, bpp, pal) < 0)
		return -EINVAL;
	if (b->flags & QXL_BITMAP_DIRECT) {
		src = sf_memslot_get(p->ms, p->group, b->data, (size_t)total);
		if (!src)
			return fail(p, -EINVAL, "bitmap data outside guest memory");
	} else {
		tmp = malloc((size_t)total);
		if (!tmp)
			return fail(p, -ENOMEM, "out of memory");
		if (read_chunks(p, b->data, tmp, (size_t)total) < 0) {
			free(tmp);
			return -EINVAL;
		}
		src = tmp;
	}
	img = sf_image_new_unset(b->x, b->y,
				 keep_alpha && b->format == SPICE_BITMAP_FMT_RGBA
					 ? SPICE_BITMAP_FMT_RGBA
					 : SPICE_BITMAP_FMT_32BIT);
	if (!img) {
		free(tmp);
		return fail(p, -ENOMEM, "out of memory");
	}
	for (uint32_t y = 0; y < b->y; y++) {
		uint32_t sy = (b->flags & QXL_BITMAP_TOP_DOWN) ? y : b->y - 1 - y;
		const uint8_t *row = src + (size_t)sy * b->stride;
		uint32_t *dst = (uint32_t *)sf_image_row(img, y);
		if (bpp == 32) { /* already the layout: the common case, one copy */
			memcpy(dst, row, (size_t)b->x * 4);
			continue;
		}
		for (uint32_t x = 0; x < b->x; x++)
			dst[x] = pixel(row, x, b->format, pal);
	}
	free(tmp);
	*out = img;
	return 0;
}

/* A bitmap into *@out, or a surface image (off-screen pixmaps: X's qxl
 * driver and Windows' draw through them) as @t's source surface, left for
 * the producer to read when the command runs, in order. */
static int read_image(struct sf_qxl_parser *p, uint64_t addr, bool keep_alpha,
		      struct sf_image **out, struct sf_cmd *t)
{
	QXLImage im;

	if (!rd(p, addr, &im, sizeof(im.descriptor) + sizeof(im.bitmap)))
		return fail(p, -EINVAL, "image outside guest memory");
	if (im.descriptor.type == SPICE_IMAGE_TYPE_SURFACE && !t)
		return fail(p, -ENOTSUP, "scaled draw from a surface");
	if (im.descriptor.type == SPICE_IMAGE_TYPE_SURFACE) {
		if (im.surface_image.surface_id >= p->n_surfaces)
			return fail(p, -EINVAL, "source surface id out of range");
		t->from_surface = true;
		t->src_surface = im.surface_image.surface_id;
		return 0;
	}
	if (im.descriptor.type != SPICE_IMAGE_TYPE_BITMAP)
		return fail(p, -ENOTSUP, "image type other than bitmap or surface");
	return read_bitmap(p, &im, keep_alpha, out);
}

static bool rect_ok(const QXLRect *r)
{
	return r->left < r->right && r->top < r->bottom && r->left >= 0 && r->top >= 0 &&
	       r->right <= MAX_IMAGE_DIM && r->bottom <= MAX_IMAGE_DIM;
}

/* The clip as a list of rectangles (NULL clip: the bbox alone). */
static int read_clip(struct sf_qxl_parser *p, const QXLDrawable *d, QXLRect *rects)
{
	QXLClipRects cr;
	uint32_t n;

	if (d->clip.type == SPICE_CLIP_TYPE_NONE) {
		rects[0] = d->bbox;
		return 1;
	}
	if (d->clip.type != SPICE_CLIP_TYPE_RECTS)
		return fail(p, -ENOTSUP, "unsupported clip type");
	if (!rd(p, d->clip.data, &cr, sizeof(cr)))
		return fail(p, -EINVAL, "clip rects outside guest memory");
	n = cr.num_rects;
	if (n > SF_QXL_MAX_SPLIT)
		return fail(p, -ENOTSUP, "too many clip rects");
	if (n && read_chunks(p, d->clip.data + offsetof(QXLClipRects, chunk), (uint8_t *)rects,
			     n * sizeof(QXLRect)) < 0)
		return -EINVAL;
	return (int)n;
}

static bool intersect(const QXLRect *a, const QXLRect *b, struct sf_rect *out)
{
	out->left = SF_MAX(a->left, b->left);
	out->top = SF_MAX(a->top, b->top);
	out->right = SF_MIN(a->right, b->right);
	out->bottom = SF_MIN(a->bottom, b->bottom);
	return out->left < out->right && out->top < out->bottom;
}

#define MAX_SCALED_PIXELS (16u << 20) /* 64 MiB: a scaled source is made at full size */

/* @img's @sa scaled to @w x @h exactly as spice-gtk's software canvas
 * scales a COPY or ALPHA_BLEND source (pixman, 16.16 scale factors, the
 * transform over the whole bitmap, REPEAT_NONE, nearest or "good"), so the
 * scaled pixels can be sent as an unscaled draw and the client's picture
 * is the one spice-server's clients see. */
static struct sf_image *scale(const struct sf_image *img, const QXLRect *sa, uint32_t w, uint32_t h,
			      bool nearest)
{
	bool rgba = img->format == SPICE_BITMAP_FMT_RGBA;
	pixman_format_code_t fmt = rgba ? PIXMAN_a8r8g8b8 : PIXMAN_x8r8g8b8;
	struct sf_image *out = sf_image_new(w, h, img->format);
	pixman_image_t *src, *dst;
	pixman_transform_t tr;

	if (!out)
		return NULL;
	src = pixman_image_create_bits(fmt, (int)img->width, (int)img->height,
				       (uint32_t *)img->pixels, img->stride);
	dst = pixman_image_create_bits(fmt, (int)w, (int)h, (uint32_t *)out->pixels, out->stride);
	if (src && dst) {
		pixman_transform_init_scale(
			&tr, (pixman_fixed_t)(((int64_t)(sa->right - sa->left) << 16) / w),
			(pixman_fixed_t)(((int64_t)(sa->bottom - sa->top) << 16) / h));
		pixman_transform_translate(&tr, NULL, pixman_int_to_fixed(sa->left),
					   pixman_int_to_fixed(sa->top));
		pixman_image_set_transform(src, &tr);
		pixman_image_set_repeat(src, PIXMAN_REPEAT_NONE);
		pixman_image_set_filter(src, nearest ? PIXMAN_FILTER_NEAREST : PIXMAN_FILTER_GOOD,
					NULL, 0);
		pixman_image_composite32(PIXMAN_OP_SRC, src, NULL, dst, 0, 0, 0, 0, 0, 0, (int)w,
					 (int)h);
	}
	if (src)
		pixman_image_unref(src);
	if (dst)
		pixman_image_unref(dst);
	if (!src || !dst) {
		sf_image_unref(out);
		return NULL;
	}
	return out;
}

/* A COPY or BLEND source: the bitmap at @addr, its area @sa drawn into
 * @bbox; scaled here when the sizes differ (see scale()). */
static int source(struct sf_qxl_parser *p, uint64_t addr, const QXLRect *sa, const QXLRect *bbox,
		  bool keep_alpha, bool nearest, struct sf_cmd *t)
{
	uint32_t w = (uint32_t)(bbox->right - bbox->left), h = (uint32_t)(bbox->bottom - bbox->top);
	struct sf_image *img, *scaled;
	int r;

	if (!rect_ok(sa))
		return fail(p, -EINVAL, "invalid source area");
	t->src_x = sa->left;
	t->src_y = sa->top;
	if ((uint32_t)(sa->right - sa->left) == w && (uint32_t)(sa->bottom - sa->top) == h)
		return read_image(p, addr, keep_alpha, &t->image, t);
	if ((uint64_t)w * h > MAX_SCALED_PIXELS)
		return fail(p, -ENOTSUP, "scaled draw too large");
	r = read_image(p, addr, keep_alpha, &img, NULL); /* a surface: -ENOTSUP */
	if (r < 0)
		return r;
	if ((uint32_t)sa->right > img->width || (uint32_t)sa->bottom > img->height) {
		sf_image_unref(img);
		return fail(p, -EINVAL, "scaled source area outside the bitmap");
	}
	scaled = scale(img, sa, w, h, nearest);
	sf_image_unref(img);
	if (!scaled)
		return fail(p, -ENOMEM, "out of memory");
	t->image = scaled;
	t->src_x = t->src_y = 0;
	return 0;
}

/* A fill through descriptor @ropd: the ops that ignore the destination
 * become plain fills; NOOP becomes nothing (type 0 and no image: the
 * caller drops it); the others read the destination (SF_CMD_FILL_ROP). */
static int fill(struct sf_qxl_parser *p, uint16_t ropd, uint32_t brush, uint32_t color,
		struct sf_cmd *t)
{
	enum sf_rop op = sf_rop_for_brush(ropd & SPICE_ROPD_MASK);
	bool reads_brush =
		op != SF_ROP_CLEAR && op != SF_ROP_SET && op != SF_ROP_INVERT && op != SF_ROP_NOOP;

	if (reads_brush && brush != SPICE_BRUSH_TYPE_SOLID)
		return fail(p, -ENOTSUP, "fill with a pattern brush");
	t->type = SF_CMD_FILL;
	switch (op) {
	case SF_ROP_COPY:
		t->color = color & 0xffffff;
		return 0;
	case SF_ROP_COPY_INVERTED:
		t->color = ~color & 0xffffff;
		return 0;
	case SF_ROP_CLEAR:
		t->color = 0;
		return 0;
	case SF_ROP_SET:
		t->color = 0xffffff;
		return 0;
	case SF_ROP_NOOP:
		return 1; /* nothing to draw */
	default:
		t->type = SF_CMD_FILL_ROP;
		t->rop = (uint8_t)op;
		t->ropd = (uint16_t)(ropd & SPICE_ROPD_MASK);
		t->color = color;
		return 0;
	}
}

/* QXL_DRAW_TRANSPARENT: the source's pixels of the key colour (true_color,
 * as spice-gtk compares it, on RGB) become transparent, the others opaque,
 * and the draw a blend: OVER with alpha 0 or 255 leaves or replaces each
 * pixel exactly, and every codec with alpha carries it. Scaled sources are
 * scaled nearest first, as spice-gtk's colour-key scaling does. */
static int transparent(struct sf_qxl_parser *p, const QXLTransparent *tr, const QXLRect *bbox,
		       struct sf_cmd *t)
{
	uint32_t key = tr->true_color & 0xffffff;
	struct sf_image *src, *img;
	int r = source(p, tr->src_bitmap, &tr->src_area, bbox, false, true, t);

	if (r < 0)
		return r;
	if (t->from_surface)
		return fail(p, -ENOTSUP, "transparent copy from a surface");
	src = t->image;
	img = sf_image_new_unset(src->width, src->height, SPICE_BITMAP_FMT_RGBA);
	for (uint32_t y = 0; img && y < src->height; y++) {
		const uint32_t *in = (const uint32_t *)sf_image_row(src, y);
		uint32_t *out = (uint32_t *)sf_image_row(img, y);
		for (uint32_t x = 0; x < src->width; x++)
			out[x] = (in[x] & 0xffffff) == key ? 0 : in[x] | 0xff000000u;
	}
	sf_image_unref(src);
	t->image = img;
	return img ? 0 : fail(p, -ENOMEM, "out of memory");
}

/* COPY and BLEND: the descriptor maps with the source as input (spice-gtk:
 * ROP_INPUT_SRC). Ops that ignore the source become fills, a no-op
 * nothing, a plain copy a COPY; the rest read both (SF_CMD_COPY_ROP). */
static int copy_rop(struct sf_qxl_parser *p, const QXLCopy *c, const QXLRect *bbox,
		    struct sf_cmd *t)
{
	uint16_t ropd = c->rop_descriptor & SPICE_ROPD_MASK;
	enum sf_rop op = sf_rop_for_source(ropd);

	switch (op) {
	case SF_ROP_NOOP:
		return 1; /* nothing to draw */
	case SF_ROP_CLEAR:
	case SF_ROP_SET:
	case SF_ROP_INVERT:
		return fill(p,
			    op == SF_ROP_CLEAR ? SPICE_ROPD_OP_BLACKNESS
			    : op == SF_ROP_SET ? SPICE_ROPD_OP_WHITENESS
					       : SPICE_ROPD_OP_INVERS,
			    SPICE_BRUSH_TYPE_SOLID, 0, t);
	case SF_ROP_COPY:
		t->type = SF_CMD_COPY;
		break;
	default:
		t->type = SF_CMD_COPY_ROP;
		t->rop = (uint8_t)op;
		t->ropd = ropd;
		break;
	}
	return source(p, c->src_bitmap, &c->src_area, bbox, false,
		      c->scale_mode != SPICE_IMAGE_SCALE_MODE_INTERPOLATE, t);
}

/* The template command for one drawable; the clip splits it. */
static int drawable_cmd(struct sf_qxl_parser *p, const QXLDrawable *d, struct sf_cmd *t)
{
	const QXLCopy *c = &d->u.copy; /* QXLBlend has the same layout */

	memset(t, 0, sizeof(*t));
	t->surface_id = d->surface_id;
	switch (d->type) {
	case QXL_DRAW_FILL:
		if (d->u.fill.mask.bitmap)
			return fail(p, -ENOTSUP, "fill with a mask");
		return fill(p, d->u.fill.rop_descriptor, d->u.fill.brush.type,
			    d->u.fill.brush.u.color, t);
	case QXL_DRAW_INVERS:
		if (d->u.invers.mask.bitmap)
			return fail(p, -ENOTSUP, "invert with a mask");
		return fill(p, SPICE_ROPD_OP_INVERS, SPICE_BRUSH_TYPE_SOLID, 0, t);
	case QXL_DRAW_BLACKNESS:
	case QXL_DRAW_WHITENESS:
		if (d->u.blackness.mask.bitmap)
			return fail(p, -ENOTSUP, "blackness/whiteness with a mask");
		t->type = SF_CMD_FILL;
		t->color = d->type == QXL_DRAW_WHITENESS ? 0xffffff : 0;
		return 0;
	case QXL_DRAW_OPAQUE: /* its brush only matters to raster ops that read it */
		if (d->u.opaque.rop_descriptor != SPICE_ROPD_OP_PUT)
			return fail(p, -ENOTSUP, "opaque copy with a raster op");
		if (d->u.opaque.mask.bitmap)
			return fail(p, -ENOTSUP, "copy with a mask");
		t->type = SF_CMD_COPY;
		return source(p, d->u.opaque.src_bitmap, &d->u.opaque.src_area, &d->bbox, false,
			      d->u.opaque.scale_mode != SPICE_IMAGE_SCALE_MODE_INTERPOLATE, t);
	case QXL_DRAW_COPY:
	case QXL_DRAW_BLEND: /* the same layout: a copy through a raster op */
		if (c->mask.bitmap)
			return fail(p, -ENOTSUP, "copy with a mask");
		return copy_rop(p, c, &d->bbox, t);
	case QXL_DRAW_ALPHA_BLEND: /* spice-gtk scales blends with nearest */
		t->type = SF_CMD_BLEND;
		t->alpha = d->u.alpha_blend.alpha;
		return source(p, d->u.alpha_blend.src_bitmap, &d->u.alpha_blend.src_area, &d->bbox,
			      true, true, t);
	case QXL_DRAW_TRANSPARENT: /* a colour-keyed copy is a blend of 0 and 255 */
		t->type = SF_CMD_BLEND;
		t->alpha = 0xff;
		return transparent(p, &d->u.transparent, &d->bbox, t);
	case QXL_COPY_BITS:
		t->type = SF_CMD_COPY_BITS;
		t->src_x = d->u.copy_bits.src_pos.x;
		t->src_y = d->u.copy_bits.src_pos.y;
		return 0;
	default:
		return fail(p, -ENOTSUP, "unsupported drawing type");
	}
}

/* The clip as non-overlapping rectangles, as spice-server takes it (a
 * region): a blend over two overlapping rectangles would apply twice. */
static int clip_union(struct sf_qxl_parser *p, QXLRect *rects, int n)
{
	pixman_box32_t boxes[SF_QXL_MAX_SPLIT];
	pixman_region32_t reg;
	const pixman_box32_t *out;
	int count;

	for (int i = 0; i < n; i++)
		boxes[i] = (pixman_box32_t){rects[i].left, rects[i].top, rects[i].right,
					    rects[i].bottom};
	if (!pixman_region32_init_rects(&reg, boxes, n))
		return fail(p, -ENOMEM, "out of memory");
	out = pixman_region32_rectangles(&reg, &count);
	if (count > SF_QXL_MAX_SPLIT) {
		pixman_region32_fini(&reg);
		return fail(p, -ENOTSUP, "too many clip rects");
	}
	for (int i = 0; i < count; i++)
		rects[i] = (QXLRect){.top = out[i].y1,
				     .left = out[i].x1,
				     .bottom = out[i].y2,
				     .right = out[i].x2};
	pixman_region32_fini(&reg);
	return count;
}

int sf_qxl_parse_drawable(struct sf_qxl_parser *p, uint64_t addr, struct sf_cmd *out)
{
	QXLRect clips[SF_QXL_MAX_SPLIT];
	QXLDrawable d;
	struct sf_cmd t;
	int n, r, count = 0;

	p->error = NULL;
	if (!rd(p, addr, &d, sizeof(d)))
		return fail(p, -EINVAL, "drawable outside guest memory");
	if (d.surface_id >= p->n_surfaces)
		return fail(p, -EINVAL, "surface id out of range");
	if (!rect_ok(&d.bbox))
		return fail(p, -EINVAL, "bad bounding box");
	n = read_clip(p, &d, clips);
	if (n < 0)
		return n;
	r = drawable_cmd(p, &d, &t);
	if (r != 0)
		return r < 0 ? r : 0; /* 1: a drawable that draws nothing */
	if (t.type == SF_CMD_BLEND && n > 1 && (n = clip_union(p, clips, n)) < 0) {
		sf_image_unref(t.image);
		return n;
	}
	for (int i = 0; i < n; i++) {
		struct sf_cmd *o = &out[count];
		if (!intersect(&d.bbox, &clips[i], &t.rect))
			continue;
		*o = t;
		/* sources move with the clipped destination */
		o->src_x = t.src_x + (t.rect.left - d.bbox.left);
		o->src_y = t.src_y + (t.rect.top - d.bbox.top);
		if (o->image)
			sf_image_ref(o->image);
		count++;
	}
	sf_image_unref(t.image);
	return count;
}

int sf_qxl_own_images(struct sf_qxl_parser *p, struct sf_cmd *cmds, int n)
{
	struct sf_image *img = n > 0 ? cmds[0].image : NULL, *copy;

	if (!img || img->alloc)
		return 0;
	copy = sf_image_copy(img, 0, 0, img->width, img->height);
	for (int i = 0; i < n; i++) {
		sf_image_unref(cmds[i].image);
		cmds[i].image = copy ? sf_image_ref(copy) : NULL;
	}
	sf_image_unref(copy);
	return copy ? 0 : fail(p, -ENOMEM, "out of memory");
}

uint8_t *sf_qxl_surface_mem(struct sf_qxl_parser *p, uint64_t addr, uint32_t width, uint32_t height,
			    int32_t stride)
{
	uint64_t abs_stride = stride < 0 ? -(int64_t)stride : stride;
	uint8_t *base;

	if (!width || !height || width > 8192 || height > 8192 ||
	    abs_stride < (uint64_t)width * 4 || abs_stride * height > (1ull << 31)) {
		fail(p, -EINVAL, "bad surface geometry");
		return NULL;
	}
	base = sf_memslot_get(p->ms, p->group, addr, (size_t)(abs_stride * height));
	if (!base) {
		fail(p, -EINVAL, "surface memory outside guest memory");
		return NULL;
	}
	if (((uintptr_t)base | abs_stride) & 3) { /* pixels are 32-bit words */
		fail(p, -EINVAL, "surface memory not word-aligned");
		return NULL;
	}
	return stride < 0 ? base + abs_stride * (height - 1) : base;
}

int sf_qxl_parse_surface(struct sf_qxl_parser *p, uint64_t addr, struct sf_cmd *out)
{
	QXLSurfaceCmd s;
	const QXLSurface *c = &s.u.surface_create;

	p->error = NULL;
	if (!rd(p, addr, &s, sizeof(s)))
		return fail(p, -EINVAL, "surface command outside guest memory");
	if (s.surface_id == 0 || s.surface_id >= p->n_surfaces)
		return fail(p, -EINVAL, "surface id out of range");
	memset(out, 0, sizeof(*out));
	out->surface_id = s.surface_id;
	if (s.type == QXL_SURFACE_CMD_DESTROY) {
		out->type = SF_CMD_SURFACE_DESTROY;
		return 1;
	}
	if (s.type != QXL_SURFACE_CMD_CREATE)
		return fail(p, -EINVAL, "unknown surface command");
	if (c->format != SPICE_SURFACE_FMT_32_xRGB && c->format != SPICE_SURFACE_FMT_32_ARGB)
		return fail(p, -ENOTSUP, "surface format other than 32-bit");
	out->type = SF_CMD_SURFACE_CREATE;
	out->keep_data = s.flags & QXL_SURF_FLAG_KEEP_DATA;
	out->width = c->width;
	out->height = c->height;
	out->stride = c->stride;
	out->mem = sf_qxl_surface_mem(p, c->data, c->width, c->height, c->stride);
	return out->mem ? 1 : -EINVAL;
}

/* MONO cursors: an AND mask then an XOR mask, 1 bpp, rows padded to bytes. */
static void mono_to_alpha(const uint8_t *data, struct sf_image *img)
{
	uint32_t w = img->width, h = img->height, pitch = (w + 7) / 8;
	const uint8_t *and_m = data, *xor_m = data + (size_t)pitch * h;

	for (uint32_t y = 0; y < h; y++) {
		uint32_t *row = (uint32_t *)sf_image_row(img, y);
		for (uint32_t x = 0; x < w; x++) {
			bool a = (and_m[y * pitch + x / 8] >> (7 - x % 8)) & 1;
			bool xo = (xor_m[y * pitch + x / 8] >> (7 - x % 8)) & 1;
			row[x] = a ? (xo ? 0xff000000u : 0) : (xo ? 0xffffffffu : 0xff000000u);
		}
	}
}

static int read_cursor_shape(struct sf_qxl_parser *p, uint64_t addr, struct sf_cmd *out)
{
	QXLCursor cur;
	struct sf_image *img;
	size_t need;
	uint8_t *tmp;

	if (!rd(p, addr, &cur, sizeof(cur)))
		return fail(p, -EINVAL, "cursor shape outside guest memory");
	if (!cur.header.width || !cur.header.height || cur.header.width > MAX_CURSOR_DIM ||
	    cur.header.height > MAX_CURSOR_DIM || cur.header.hot_spot_x >= cur.header.width ||
	    cur.header.hot_spot_y >= cur.header.height)
		return fail(p, -EINVAL, "bad cursor size or hot spot");
	if (cur.header.type == SPICE_CURSOR_TYPE_ALPHA)
		need = (size_t)cur.header.width * cur.header.height * 4;
	else if (cur.header.type == SPICE_CURSOR_TYPE_MONO)
		need = (size_t)(cur.header.width + 7) / 8 * cur.header.height * 2;
	else
		return fail(p, -ENOTSUP, "cursor type other than alpha or mono");
	if (cur.data_size < need)
		return fail(p, -EINVAL, "cursor data smaller than its size says");
	img = sf_image_new(cur.header.width, cur.header.height, SPICE_BITMAP_FMT_RGBA);
	tmp = malloc(need);
	if (!img || !tmp || read_chunks(p, addr + offsetof(QXLCursor, chunk), tmp, need) < 0) {
		sf_image_unref(img);
		free(tmp);
		return p->error ? -EINVAL : fail(p, -ENOMEM, "out of memory");
	}
	if (cur.header.type == SPICE_CURSOR_TYPE_ALPHA)
		memcpy(img->pixels, tmp, need);
	else
		mono_to_alpha(tmp, img);
	free(tmp);
	out->image = img;
	out->hot_x = cur.header.hot_spot_x;
	out->hot_y = cur.header.hot_spot_y;
	return 0;
}

int sf_qxl_parse_cursor(struct sf_qxl_parser *p, uint64_t addr, struct sf_cmd *out)
{
	QXLCursorCmd c;

	p->error = NULL;
	if (!rd(p, addr, &c, offsetof(QXLCursorCmd, device_data)))
		return fail(p, -EINVAL, "cursor command outside guest memory");
	memset(out, 0, sizeof(*out));
	switch (c.type) {
	case QXL_CURSOR_SET:
		out->type = c.u.set.visible ? SF_CMD_CURSOR_SET : SF_CMD_CURSOR_HIDE;
		out->x = c.u.set.position.x;
		out->y = c.u.set.position.y;
		if (!c.u.set.visible)
			return 1;
		return read_cursor_shape(p, c.u.set.shape, out) < 0 ? -EINVAL : 1;
	case QXL_CURSOR_MOVE:
		out->type = SF_CMD_CURSOR_MOVE;
		out->x = c.u.position.x;
		out->y = c.u.position.y;
		return 1;
	case QXL_CURSOR_HIDE:
		out->type = SF_CMD_CURSOR_HIDE;
		return 1;
	case QXL_CURSOR_TRAIL:
		return 0;
	default:
		return fail(p, -EINVAL, "unknown cursor command");
	}
}
