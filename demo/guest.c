/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* demo/guest.c: the synthetic guest's ring (single producer: the main thread;
 * single consumer: the display's producer thread), its notification protocol
 * (QXL's req_cmd_notification / notify) and the desktop it draws. */
#include <sched.h>
#include <stdatomic.h>
#include <string.h>
#include <ck_ring.h>
#include <spice/enums.h>
#include "demo/guest.h"
#include "engine/tsan.h"

#define RING_SIZE 4096 /* power of two, as ck_ring requires */
#define BG_COLOR  0x2e5e8cu
#define RECT_Y	  470
#define RECT_SIZE 40
#define RECT_X0	  60
#define RECT_X1	  540

struct sf_guest {
	ck_ring_t ring;
	ck_ring_buffer_t slots[RING_SIZE];
	atomic_bool want_notify;
	uint64_t flooded;
	struct sf_display *display;
	/* main thread only */
	unsigned keys;
	int32_t mx, my;
	int32_t rect_x, rect_dx;
};

struct sf_guest *sf_guest_create(void)
{
	struct sf_guest *g = calloc(1, sizeof(*g));

	if (!g)
		return NULL;
	ck_ring_init(&g->ring, RING_SIZE);
	g->rect_x = RECT_X0;
	g->rect_dx = 8;
	g->mx = SF_GUEST_WIDTH / 2;
	g->my = SF_GUEST_HEIGHT / 2;
	return g;
}

static void free_cmd(struct sf_cmd *c)
{
	sf_image_unref(c->image);
	free(c);
}

void sf_guest_destroy(struct sf_guest *g)
{
	void *p;

	if (!g)
		return;
	while (ck_ring_dequeue_spsc(&g->ring, g->slots, &p))
		free_cmd(p);
	free(g);
}

void sf_guest_set_display(struct sf_guest *g, struct sf_display *d)
{
	g->display = d;
}

/* ---- device side (producer thread) ---- */

static bool get_command(void *opaque, struct sf_cmd *cmd)
{
	struct sf_guest *g = opaque;
	void *p;

	if (!ck_ring_dequeue_spsc(&g->ring, g->slots, &p))
		return false;
	SF_TSAN_ACQUIRE(p); /* pairs with the release in submit() */
	*cmd = *(struct sf_cmd *)p;
	free(p); /* the command's image reference moves to @cmd */
	return true;
}

static bool req_notification(void *opaque)
{
	struct sf_guest *g = opaque;

	/* seq_cst: store-then-load must not reorder with the guest's
	 * enqueue-then-exchange in submit(), or a wakeup could be lost */
	atomic_store(&g->want_notify, true);
	return ck_ring_size(&g->ring) == 0;
}

static const struct sf_display_source_ops source_ops = {
	.get_command = get_command,
	.req_notification = req_notification,
};

const struct sf_display_source_ops *sf_guest_source_ops(void)
{
	return &source_ops;
}

/* ---- guest side (main thread) ---- */

static int submit(struct sf_guest *g, const struct sf_cmd *cmd)
{
	struct sf_cmd *c = malloc(sizeof(*c));

	if (!c) {
		sf_image_unref(cmd->image);
		return -1;
	}
	*c = *cmd;
	SF_TSAN_RELEASE(c); /* the ring publishes the command */
	for (int tries = 0; !ck_ring_enqueue_spsc(&g->ring, g->slots, c); tries++) {
		if (tries > 100000 || !g->display) {
			free_cmd(c);
			return -1;
		}
		sched_yield(); /* ring full: a real guest would wait too */
	}
	/* seq_cst: pairs with req_notification() */
	if (g->display && atomic_exchange(&g->want_notify, false))
		sf_display_wakeup(g->display);
	return 0;
}

static void fill(struct sf_guest *g, int32_t l, int32_t t, int32_t r, int32_t b, uint32_t color)
{
	struct sf_cmd c = {.type = SF_CMD_FILL, .rect = {l, t, r, b}, .color = color};
	submit(g, &c);
}

static void copy(struct sf_guest *g, struct sf_image *img, int32_t x, int32_t y)
{
	struct sf_cmd c = {.type = SF_CMD_COPY,
			   .rect = {x, y, x + (int32_t)img->width, y + (int32_t)img->height},
			   .image = img};
	submit(g, &c);
}

static uint32_t hash32(uint32_t x)
{
	x ^= x >> 16;
	x *= 0x7feb352dU;
	x ^= x >> 15;
	x *= 0x846ca68bU;
	x ^= x >> 16;
	return x;
}

/* A strip of pseudo glyphs: 8x12 cells with a deterministic dot pattern. */
static struct sf_image *glyph_strip(uint32_t seed, uint32_t cells)
{
	struct sf_image *img = sf_image_new(cells * 8, 12, SPICE_BITMAP_FMT_32BIT);

	if (!img)
		return NULL;
	for (uint32_t y = 0; y < 12; y++) {
		uint32_t *row = (uint32_t *)sf_image_row(img, y);
		for (uint32_t x = 0; x < img->width; x++) {
			uint32_t cell = x / 8, cx = x % 8;
			bool space = hash32(seed * 131 + cell) % 6 == 0;
			bool ink = !space && cx < 6 && y >= 2 && y < 11 &&
				   (hash32(seed ^ (cell * 977 + y * 31 + cx)) & 3) == 0;
			row[x] = ink ? 0x101010u : 0xf0f0f0u;
		}
	}
	return img;
}

static struct sf_image *gradient(uint32_t w, uint32_t h)
{
	struct sf_image *img = sf_image_new(w, h, SPICE_BITMAP_FMT_32BIT);

	if (!img)
		return NULL;
	for (uint32_t y = 0; y < h; y++) {
		uint32_t *row = (uint32_t *)sf_image_row(img, y);
		for (uint32_t x = 0; x < w; x++)
			row[x] = (x * 255 / w) << 16 | (y * 255 / h) << 8 | ((x ^ y) & 0xff);
	}
	return img;
}

static struct sf_image *arrow_cursor(void)
{
	struct sf_image *img = sf_image_new(16, 16, SPICE_BITMAP_FMT_RGBA);

	if (!img)
		return NULL;
	for (uint32_t y = 0; y < 16; y++) {
		uint32_t *row = (uint32_t *)sf_image_row(img, y);
		for (uint32_t x = 0; x <= y && x < 11; x++)
			row[x] = (x == 0 || x == y || y == 15) ? 0xff000000u : 0xffffffffu;
	}
	return img;
}

static void window(struct sf_guest *g, int32_t l, int32_t t, int32_t r, int32_t b, uint32_t title)
{
	fill(g, l, t, r, b, 0x202020);
	fill(g, l + 2, t + 2, r - 2, t + 28, title);
	fill(g, l + 2, t + 28, r - 2, b - 2, 0xf0f0f0);
	fill(g, r - 24, t + 6, r - 6, t + 24, 0xc04040); /* close button */
}

int sf_guest_draw_desktop(struct sf_guest *g)
{
	struct sf_cmd c = {
		.type = SF_CMD_SURFACE_CREATE, .width = SF_GUEST_WIDTH, .height = SF_GUEST_HEIGHT};
	struct sf_image *img;

	if (submit(g, &c) < 0)
		return -1;
	fill(g, 0, 0, SF_GUEST_WIDTH, SF_GUEST_HEIGHT, BG_COLOR);
	fill(g, 0, 736, SF_GUEST_WIDTH, SF_GUEST_HEIGHT, 0x303030);
	fill(g, 4, 740, 84, 764, 0x3a9a3a);
	window(g, 60, 60, 560, 420, 0x4060a0);
	for (uint32_t line = 0; line < 8; line++) {
		img = glyph_strip(line + 1, 58);
		if (img)
			copy(g, img, 70, 100 + (int32_t)line * 16);
	}
	/* scroll-like duplicate of the first four lines: exercises COPY_BITS */
	c = (struct sf_cmd){
		.type = SF_CMD_COPY_BITS, .rect = {70, 240, 534, 304}, .src_x = 70, .src_y = 100};
	submit(g, &c);
	window(g, 600, 120, 980, 520, 0x8a4a9a);
	img = gradient(256, 256);
	if (img)
		copy(g, img, 662, 180);
	window(g, 600, 550, 980, 720, 0x3a7a5a); /* input log */
	fill(g, g->rect_x, RECT_Y, g->rect_x + RECT_SIZE, RECT_Y + RECT_SIZE, 0xff9900);
	c = (struct sf_cmd){.type = SF_CMD_CURSOR_SET, .image = arrow_cursor(), .x = 512, .y = 384};
	return submit(g, &c);
}

enum gallery_kind { G_TEXT, G_UI, G_PHOTO, G_GRADIENT, G_NOISE, G_KINDS };

static uint32_t gallery_pixel(enum gallery_kind k, uint32_t x, uint32_t y)
{
	uint32_t grain = hash32(x * 31 + y * 1009) & 7;

	switch (k) {
	case G_TEXT:
		return x % 8 < 6 && y % 12 > 1 && y % 12 < 11 && !(hash32(x * 977 + y * 31) & 3)
			       ? 0x101010u
			       : 0xf0f0f0u;
	case G_UI:
		return x % 64 == 0 || y % 16 == 0 ? 0x404040u
		       : (y / 16) % 2		  ? 0xe0e0e0u
						  : 0xd0d8f0u;
	case G_PHOTO: /* smooth fields with grain */
		return ((x / 3 + grain) & 255) << 16 | ((y * 5 + grain) & 255) << 8 |
		       (((x + y) / 7 + grain) & 255);
	case G_GRADIENT:
		return (x & 255) << 16 | (y * 4 & 255) << 8 | ((x + y) & 255);
	default:
		return hash32(x * 131 + y * 7919) & 0xffffffu;
	}
}

static struct sf_image *gallery_image(enum gallery_kind k, uint32_t w, uint32_t h)
{
	struct sf_image *img = sf_image_new(w, h, SPICE_BITMAP_FMT_32BIT);

	for (uint32_t y = 0; img && y < h; y++)
		for (uint32_t x = 0; x < w; x++)
			((uint32_t *)sf_image_row(img, y))[x] = gallery_pixel(k, x + w, y);
	return img;
}

/* The kind under an alpha that rises left to right (random for noise),
 * premultiplied as SPICE's RGBA bitmaps are. */
static struct sf_image *gallery_rgba(enum gallery_kind k, uint32_t w, uint32_t h)
{
	struct sf_image *img = sf_image_new(w, h, SPICE_BITMAP_FMT_RGBA);

	for (uint32_t y = 0; img && y < h; y++)
		for (uint32_t x = 0; x < w; x++) {
			uint32_t v = gallery_pixel(k, x, y), a, pm = 0;
			a = k == G_NOISE ? hash32(x * 7 + y * 13) >> 24
			    : w > 1	 ? x * 255 / (w - 1)
					 : 128;
			for (int s = 0; s < 24; s += 8)
				pm |= (((v >> s) & 0xff) * a / 255) << s;
			((uint32_t *)sf_image_row(img, y))[x] = a << 24 | pm;
		}
	return img;
}

static void blend(struct sf_guest *g, struct sf_image *img, int32_t x, int32_t y, uint8_t alpha)
{
	struct sf_cmd c = {.type = SF_CMD_BLEND,
			   .rect = {x, y, x + (int32_t)img->width, y + (int32_t)img->height},
			   .image = img,
			   .alpha = alpha};
	submit(g, &c);
}

/* Alpha blends over the 4096-wide bands: each kind as RGBA, at widths 1,
 * 3 and 257, and an opaque image at half alpha overall. */
static void gallery_blends(struct sf_guest *g)
{
	static const uint32_t widths[] = {1, 3, 257};
	struct sf_image *img;

	for (int k = 0; k < G_KINDS; k++)
		for (size_t i = 0; i < SF_ARRAY_SIZE(widths); i++)
			if ((img = gallery_rgba((enum gallery_kind)k, widths[i], 60)))
				blend(g, img, 2200 + k * 300 + (int32_t)i * 8, 290 + k * 20, 0xff);
	if ((img = gallery_image(G_PHOTO, 300, 50)))
		blend(g, img, 3700, 300, 0x80);
}

int sf_guest_gallery_surface(struct sf_guest *g)
{
	struct sf_cmd c = {.type = SF_CMD_SURFACE_CREATE,
			   .width = SF_GUEST_GALLERY_WIDTH,
			   .height = SF_GUEST_GALLERY_HEIGHT};

	if (submit(g, &c) < 0)
		return -1;
	fill(g, 0, 0, SF_GUEST_GALLERY_WIDTH, SF_GUEST_GALLERY_HEIGHT, BG_COLOR);
	return 0;
}

/* One band per kind: widths 1..2049 side by side (48 rows), then the kind
 * at 4096 wide (24 rows), then areas of a 600 x 40 image, then alpha
 * blends over the wide bands. */
void sf_guest_gallery_images(struct sf_guest *g)
{
	static const uint32_t widths[] = {1, 2, 3, 7, 31, 33, 100, 257, 1023, 2049};
	struct sf_cmd c;
	struct sf_image *img;

	for (int k = 0; k < G_KINDS; k++) {
		int32_t x = 0, y = k * 56;
		for (size_t i = 0; i < SF_ARRAY_SIZE(widths); x += (int32_t)widths[i++] + 4)
			if ((img = gallery_image((enum gallery_kind)k, widths[i], 48)))
				copy(g, img, x, y);
		if ((img = gallery_image((enum gallery_kind)k, 4096, 24)))
			copy(g, img, 0, 280 + k * 28);
		/* one again: GLZ sends it as references to the first */
		if ((img = gallery_image((enum gallery_kind)k, 257, 48)))
			copy(g, img, 3600, y);
	}
	img = gallery_image(G_PHOTO, 600, 40);
	for (int i = 0; img && i < 3; i++) {
		c = (struct sf_cmd){
			.type = SF_CMD_COPY,
			.rect = {i * 700, 420, i * 700 + 333 - i * 100, 420 + 27 - i * 9},
			.image = sf_image_ref(img),
			.src_x = 13 + i * 101,
			.src_y = 5 + i * 3};
		submit(g, &c);
	}
	if (img)
		sf_image_unref(img);
	gallery_blends(g);
}

void sf_guest_tick(struct sf_guest *g)
{
	fill(g, g->rect_x, RECT_Y, g->rect_x + RECT_SIZE, RECT_Y + RECT_SIZE, BG_COLOR);
	if (g->rect_x + g->rect_dx < RECT_X0 || g->rect_x + g->rect_dx > RECT_X1)
		g->rect_dx = -g->rect_dx;
	g->rect_x += g->rect_dx;
	fill(g, g->rect_x, RECT_Y, g->rect_x + RECT_SIZE, RECT_Y + RECT_SIZE, 0xff9900);
}

struct sf_rect sf_guest_video_rect(void)
{
	return (struct sf_rect){640, 100, 640 + 320, 100 + 240};
}

/* A photo-like frame: smooth colour fields drifting with @n, plus grain. */
void sf_guest_video_frame(struct sf_guest *g, unsigned n)
{
	struct sf_rect r = sf_guest_video_rect();
	uint32_t w = (uint32_t)sf_rect_w(&r), h = (uint32_t)sf_rect_h(&r);
	struct sf_image *img = sf_image_new(w, h, SPICE_BITMAP_FMT_32BIT);

	for (uint32_t y = 0; img && y < h; y++) {
		uint32_t *row = (uint32_t *)sf_image_row(img, y);
		for (uint32_t x = 0; x < w; x++) {
			uint32_t red = (x + 3 * n) & 0xff, green = (y * 2 + n) & 0xff;
			uint32_t blue = ((x + y) / 2 + 5 * n) & 0xff,
				 grain = hash32(x + y * w + n) & 7;
			row[x] = (red ^ grain) << 16 | (green ^ grain) << 8 | (blue ^ grain);
		}
	}
	if (img)
		copy(g, img, r.left, r.top);
}

unsigned sf_guest_flood(struct sf_guest *g, unsigned max)
{
	unsigned n = 0;

	/* background over background on the rectangle's track, right of where
	 * the static desktop has it: the picture never changes */
	for (; n < max && ck_ring_size(&g->ring) < RING_SIZE / 2; n++) {
		int32_t x = 200 + (int32_t)(g->flooded++ % 8) * RECT_SIZE;
		fill(g, x, RECT_Y, x + RECT_SIZE, RECT_Y + RECT_SIZE, BG_COLOR);
	}
	return n;
}

struct sf_rect sf_guest_key_block(unsigned n)
{
	int32_t x = 610 + 20 * (int32_t)(n % 18), y = 584 + 20 * (int32_t)((n / 18) % 6);
	return (struct sf_rect){x, y, x + 16, y + 16};
}

uint32_t sf_guest_key_color(uint32_t scancode)
{
	return hash32(scancode + 1) & 0xffffff;
}

/* ---- input reactions (main thread) ---- */

static void on_key(void *data, uint32_t scancode, bool down)
{
	struct sf_guest *g = data;
	struct sf_rect r;

	if (!down)
		return;
	r = sf_guest_key_block(g->keys++);
	fill(g, r.left, r.top, r.right, r.bottom, sf_guest_key_color(scancode));
}

static void click(struct sf_guest *g)
{
	int32_t l = SF_MAX(g->mx - SF_GUEST_CLICK_HALF, 0);
	int32_t t = SF_MAX(g->my - SF_GUEST_CLICK_HALF, 0);
	int32_t r = SF_MIN(g->mx + SF_GUEST_CLICK_HALF + 1, SF_GUEST_WIDTH);
	int32_t b = SF_MIN(g->my + SF_GUEST_CLICK_HALF + 1, SF_GUEST_HEIGHT);

	if (l < r && t < b)
		fill(g, l, t, r, b, SF_GUEST_CLICK_COLOR);
}

static void move_cursor(struct sf_guest *g)
{
	struct sf_cmd c = {.type = SF_CMD_CURSOR_MOVE, .x = (int16_t)g->mx, .y = (int16_t)g->my};
	submit(g, &c);
}

static void on_motion(void *data, int32_t dx, int32_t dy, uint32_t buttons)
{
	struct sf_guest *g = data;

	(void)buttons;
	g->mx = SF_MIN(SF_MAX(g->mx + dx, 0), SF_GUEST_WIDTH - 1);
	g->my = SF_MIN(SF_MAX(g->my + dy, 0), SF_GUEST_HEIGHT - 1);
	move_cursor(g);
}

static void on_position(void *data, uint32_t x, uint32_t y, uint32_t buttons, uint8_t disp)
{
	struct sf_guest *g = data;

	(void)buttons;
	if (disp != 0)
		return;
	g->mx = (int32_t)SF_MIN(x, SF_GUEST_WIDTH - 1u);
	g->my = (int32_t)SF_MIN(y, SF_GUEST_HEIGHT - 1u);
}

static void on_button(void *data, uint8_t button, bool down, uint32_t buttons)
{
	(void)buttons;
	if (down && button == SPICE_MOUSE_BUTTON_LEFT)
		click(data);
}

static const struct sf_input_ops input_ops = {
	.key = on_key,
	.motion = on_motion,
	.position = on_position,
	.button = on_button,
};

const struct sf_input_ops *sf_guest_input_ops(void)
{
	return &input_ops;
}
